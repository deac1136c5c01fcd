"""The holdout is later than everything tuning sees, and tuning cannot reach it.

Three proofs: the tune stage runs with the holdout file absent; every frame the trial objective
is built from (the only data any trial trains or scores on) shares no row (by the spec's id) and
no batch with the holdout and ends before it (by the spec's time column); and dvc.yaml gives the
tune stage no path to it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from stages import split as split_stage
from stages import tune as tune_stage
from tests.conftest import REPO, SMALL, write_params
from tests.test_promote import empty_store
from tuneloop.config import load_params
from tuneloop.features import BATCH_COLUMN
from tuneloop.tracking import resolve_uri


def test_no_holdout_row_reaches_any_trial(ingested: Any, tmp_path: Path,
                                          tmp_path_factory: pytest.TempPathFactory,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    params = load_params(write_params(tmp_path, {**SMALL, "tune.n_trials": 3,
                                                 "tune.max_boost_rounds": 20}))
    splits_dir = tmp_path / params.paths.splits_dir
    key, time = params.data.id, params.data.time
    assert key and time
    splits = split_stage.run(params.split, ingested.dataset)
    split_stage.write(splits, splits_dir)
    (splits_dir / "holdout.parquet").unlink()  # tuning must not need it
    db = Path(resolve_uri(params.mlflow.tracking_uri, tmp_path).removeprefix("sqlite:///"))
    shutil.copy(empty_store(tmp_path_factory.getbasetemp()), db)

    # Wrap the real objective (whichever class the stage builds) to record its data and calls.
    name = next(n for n in ("FamilyObjective", "LightGBMObjective") if hasattr(tune_stage, n))
    real = getattr(tune_stage, name)
    frames: list[pd.DataFrame] = []
    calls: list[int] = []

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            frames.extend(a for a in (*args, *kwargs.values()) if isinstance(a, pd.DataFrame))
            super().__init__(*args, **kwargs)

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return super().__call__(*args, **kwargs)

    monkeypatch.setattr(tune_stage, name, Recording)
    result = tune_stage.execute(params, tmp_path)

    assert result.n_trials == 3 and len(calls) >= 3
    assert len(frames) == 2  # train and valid, nothing else
    seen = pd.concat(frames)
    assert len(seen) == len(splits.train) + len(splits.valid)
    assert set(seen[key]).isdisjoint(set(splits.holdout[key]))
    assert set(seen[BATCH_COLUMN]).isdisjoint(set(splits.holdout[BATCH_COLUMN]))
    assert seen[time].max() < splits.holdout[time].min()
    assert result.metric == params.tuning_metric == "auc"  # tune.metric null: binary default


def test_dvc_tune_stage_has_no_path_to_the_holdout() -> None:
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    deps = [str(d) for d in stages["tune"]["deps"]]
    assert not [d for d in deps if "holdout" in d]
    assert "${paths.splits_dir}" not in deps  # the whole folder would include the holdout
    assert "${paths.splits_dir}/holdout.parquet" in [str(d) for d in stages["promote"]["deps"]]
