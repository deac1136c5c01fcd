"""Own data and continuous training, as sweeps 41-42 met them: each test names the table and
what went wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd


def test_a_renamed_level_is_paired_with_the_one_it_replaced_not_one_that_ended() -> None:
    """Sweep 41b (F4): dslabs us_contagious_diseases, 1984-91 sent with Pertussis as 'Whooping
    Cough' and Measles as 'Rubeola', Polio having ended (20% of the reference). Paired by raw
    shares, every share of the batch inflated by Polio's end, Polio took Whooping Cough and
    Pertussis' vanishing went unsaid."""
    from tuneloop.monitor import RENAMED, renamed_levels

    diseases = {"Hepatitis A": 18, "Measles": 16, "Mumps": 16, "Pertussis": 14, "Polio": 20,
                "Rubella": 16}
    reference = pd.Series(np.repeat(list(diseases), [10 * n for n in diseases.values()]))
    later = {"Hepatitis A": 18, "Rubeola": 16, "Mumps": 16, "Whooping Cough": 14, "Rubella": 16}
    batch = pd.Series(np.repeat(list(later), [5 * n for n in later.values()]))
    said = renamed_levels(reference, batch)
    assert said.startswith(RENAMED), said
    assert "'Pertussis' (14% of the reference, 0% here) for 'Whooping Cough' (new, 18% here)" \
        in said, said
    assert "'Measles' (16% of the reference, 0% here) for 'Rubeola' (new, 20% here)" in said
    assert "'Polio'" not in said
