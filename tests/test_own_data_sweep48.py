"""Findings of the own-data sweeps of session 32 (48a, 48b) and the carried ones it fixed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tuneloop.metrics import MULTICLASS, REGRESSION


def test_a_whole_number_measurement_peaking_inside_its_range_is_a_regression() -> None:
    """Sweep 47 (F4): openintro ncbirths' weeks 20-45 (23 values, a bell peaking at 39, rare
    values in the early tail with 21, 23 and 27 missing) were 23 frozen classes, and a later
    batch with a 46-week birth would have been refused as an unknown class. Codes of as many
    values that do not rise and fall around one (sports seeds 1-16, plots 1-24) stay classes,
    as a 0-10 scale does."""
    from tuneloop.project import _not_classes_words, infer_task

    rows = [1, 3, 2, 3, 4, 3, 5, 4, 6, 8, 16, 19, 32, 46, 105, 178, 237, 168, 99, 25, 17, 13, 4]
    values = [20, 22, 24, 25, 26, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42,
              43, 44, 45]
    weeks = pd.Series(np.repeat(values, rows), name="weeks")
    assert infer_task(weeks, "ncbirths.csv") == REGRESSION
    assert "a measurement, not classes" in _not_classes_words(weeks)
    # The same values in another order of rows per value: codes, whose rows go up and down.
    shuffled = np.random.default_rng(3).permutation(rows)
    assert infer_task(pd.Series(np.repeat(values, shuffled), name="code"), "x.csv") == \
        MULTICLASS
    seeds = pd.Series(np.repeat(range(1, 17), 40), name="seed")
    assert infer_task(seeds, "finalfour.csv") == MULTICLASS
    scale = pd.Series(np.repeat(range(11), [21, 56, 99, 181, 311, 500, 666, 482, 323, 234,
                                            162]), name="vocabulary")
    assert infer_task(scale, "vocab.csv") == MULTICLASS  # a 0-10 scale: below 15 values
    assert _not_classes_words(scale) == ""
