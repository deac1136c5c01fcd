"""Session 38's own-data findings: each test fails on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.test_init_projects import tool


def _repeated_visits(seed: int, blank_twins: bool) -> pd.DataFrame:
    """Visits of 120 patients, 30 rows written twice; with `blank_twins` the twins' patient is
    blank (each blank a unit of its own row)."""
    rng = np.random.default_rng(seed)
    rows = [{"id": float(pid), "dose": float(rng.normal(5, 1)),
             "bili": float(rng.gamma(2, 1)), "status": str(rng.choice(["alive", "dead"]))}
            for pid in range(120) for _ in range(int(rng.integers(3, 7)))]
    frame = pd.DataFrame(rows)
    twins = frame.sample(30, random_state=seed)
    if blank_twins:
        twins = twins.assign(id=np.nan)
        frame.loc[twins.index, "id"] = np.nan
    return pd.concat([frame, twins], ignore_index=True)


def test_with_group_repeated_rows_are_not_said_to_straddle_the_holdout(tmp_path: Path) -> None:
    """Sweep 54c (F7): under --group a repeat and its twin share their unit, so their batch;
    the repeated-rows note still said they "can sit in training and in the holdout alike".
    Said now only where the twins' unit is blank (a unit of its own row, dealt apart)."""
    for blank in (False, True):
        path = tmp_path / f"visits{int(blank)}.csv"
        _repeated_visits(0, blank).to_csv(path, index=False)
        done = tool("init", f"p{int(blank)}", "--data", str(path), "--target", "status",
                    "--group", "id", cwd=tmp_path)
        line = next(s for s in done.stdout.splitlines() if "repeat another row" in s)
        assert "30 row(s)" in line and "drop them from the file if they are not real " \
            "repeats" in line, line
        assert ("can sit in training and in the holdout" in line) == blank, line
        if not blank:
            batches = [pd.read_parquet(f)
                       for f in sorted((tmp_path / "p0/data/batches").glob("*"))]
            # What the note no longer warns of: every twin in its original's batch.
            seen = [set(map(tuple, b.drop(columns="__batch__", errors="ignore")
                             .astype(str).to_numpy())) for b in batches]
            assert all(sum(key in s for s in seen) == 1 for s in seen for key in s)

