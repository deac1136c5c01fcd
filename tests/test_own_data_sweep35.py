"""Findings of sweep 35 (a new user's own tables), each as it was seen."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _table(rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(35)
    return pd.DataFrame({"sex": rng.choice(["F", "M"], rows),
                         "when": pd.date_range("2020-01-01", periods=rows).astype(str),
                         "height": rng.normal(170, 9, rows).round(1),
                         "weight": rng.normal(65, 12, rows).round(1)}).astype("string")


def _with(footer: list[list[object]]) -> pd.DataFrame:
    table = _table()
    blank = pd.DataFrame([[pd.NA] * 4], columns=table.columns, dtype="string")
    tail = pd.DataFrame(footer, columns=table.columns, dtype="string")
    return pd.concat([table, blank, tail], ignore_index=True)


def test_a_footer_labelled_in_a_text_or_date_column_is_dropped() -> None:
    """carData Davis saved as a spreadsheet: "Total" and "Mean" rows under its blank lines sat
    in `sex` (text above too), parsed as numbers elsewhere, and were learnt as two people."""
    from tuneloop.project import _without_blank_lines

    davis = _with([["Total", pd.NA, "10200", "3900"], ["Mean", pd.NA, "170.0", "65.0"]])
    kept, said = _without_blank_lines(davis)
    assert len(kept) == 60 and "2 row(s) below the file's last blank line dropped as its " \
        "footer (totals or notes: 'Total'" in said[-1], said
    dated = _with([["F", "Total", "10200", "3900"]])  # the label in a date column
    assert len(_without_blank_lines(dated)[0]) == 60
    note = _with([["Source: a survey of 60 people, 2020", pd.NA, pd.NA, pd.NA]])
    assert len(_without_blank_lines(note)[0]) == 60


def test_rows_after_a_blank_line_that_are_data_stay() -> None:
    """A last group after a blank line is data: a dash for a weight not known, or a level the
    column held above (a "Max" team among teams named so), keeps it."""
    from tuneloop.project import _without_blank_lines

    dash = _with([["F", "2020-03-01", "171.0", "-"], ["M", "2020-03-02", "180.5", "77.0"]])
    kept, said = _without_blank_lines(dash)
    assert len(kept) == 62 and not any("footer" in s for s in said), said
    table = _table()
    table.loc[:9, "sex"] = "Max"
    blank = pd.DataFrame([[pd.NA] * 4], columns=table.columns, dtype="string")
    tail = pd.DataFrame([["Max", "2020-03-01", "171.0", "60.0"]], columns=table.columns,
                        dtype="string")
    kept, _ = _without_blank_lines(pd.concat([table, blank, tail], ignore_index=True))
    assert len(kept) == 61
