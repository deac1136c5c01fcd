"""Edges of users' own tables found by the new-user sweeps of session 23 (sweep 27): each was a
wrong answer or a misleading line, and each test fails on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.test_init_projects import tool


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x.round(4), "z": rng.normal(size=n).round(4),
                         "y": np.round(100 + 20 * x + rng.normal(size=n), 3)})


def test_a_time_of_eight_digit_dates_reads_alike_in_later_batches(tmp_path: Path) -> None:
    """init read a `--time` of 20230101-style integers as dates and cut batches by them, but
    every later batch of the same export, CSV or Parquet, was "not a date written ISO 8601"."""
    frame = _frame(600)
    frame["d"] = pd.date_range("2023-01-01", periods=600, freq="D").strftime("%Y%m%d")\
        .astype(int)
    frame.iloc[:450].to_csv(tmp_path / "table.csv", index=False)
    later = frame.iloc[450:]
    later.to_csv(tmp_path / "later.csv", index=False)
    later.to_parquet(tmp_path / "later.parquet")
    done = tool("init", "proj", "--data", str(tmp_path / "table.csv"), "--target", "y",
                "--time", "d", cwd=tmp_path)
    assert "column 'd' (--time) holds dates written as eight digits (20230101 is 2023-01-01)" \
        in done.stdout, done.stdout
    for name in ("later.csv", "later.parquet"):
        checked = tool("validate", str(tmp_path / name), cwd=tmp_path / "proj", check=False)
        assert checked.returncode == 0 and "passed" in checked.stdout, checked.stdout
