"""Findings of the own-data sweeps of session 34 (51a, 51b, 51c) and the carried ones it
fixed; each test fails on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.test_init_projects import tool


def test_a_rank_of_every_row_in_no_file_order_is_a_feature_not_row_numbers() -> None:
    """Sweep 50c (F6): every number of 1..n once was read as the rows' numbers in any order,
    so Guerry's five ranks of 86 departments were excluded and the draft lottery's `Rank`
    with them (its table left without a feature: init refused it). Such a column numbers the
    rows only where it nearly follows the file (either way up) or is named as a row number;
    otherwise it stays a feature (init's note asks whether it is a rank or an id)."""
    from tuneloop.project import _row_number, _unique_key

    rng = np.random.default_rng(0)
    n = 300
    rank = pd.Series(rng.permutation(n) + 1, name="Wealth")
    assert not _row_number(rank) and _unique_key(rank)
    assert _row_number(pd.Series(rank.to_numpy(), name="obs"))       # named as row numbers
    assert _row_number(pd.Series(rank.to_numpy(), name="case_no"))
    assert _row_number(pd.Series(rank.to_numpy(), name="patient_id"))
    assert _row_number(pd.Series(np.arange(n, 0, -1), name="k"))       # the file reversed
    nearly = np.arange(1, n + 1)
    nearly[:20] = rng.permutation(nearly[:20])                          # a few rows moved
    assert _row_number(pd.Series(nearly, name="k"))
    assert _row_number(pd.Series(np.arange(1, n + 1), name="Wealth"))  # counting up the file


def test_a_rank_target_in_no_file_order_is_a_regression(tmp_path: Path) -> None:
    """The same reading for the target: refused as numbering the rows only where it does."""
    rng = np.random.default_rng(1)
    n = 200
    wealth = rng.normal(0, 1, n)
    frame = pd.DataFrame({"tax": wealth + rng.normal(0, 0.3, n),
                          "area": rng.normal(5, 1, n),
                          "wealth_rank": pd.Series(wealth).rank(method="first").astype(int)})
    frame.to_csv(tmp_path / "depts.csv", index=False)
    done = tool("init", "p", "--data", str(tmp_path / "depts.csv"), "--target",
                "wealth_rank", cwd=tmp_path)
    assert "task regression" in done.stdout, done.stdout
    frame.sort_values("wealth_rank").to_csv(tmp_path / "sorted.csv", index=False)
    done = tool("init", "q", "--data", str(tmp_path / "sorted.csv"), "--target",
                "wealth_rank", cwd=tmp_path, check=False)
    assert done.returncode == 2 and "the target numbers the rows" in done.stderr
