"""A copied or moved project's MLflow store follows it: new runs write into the new folder,
and old runs and registered models are read from it, with the old folder gone."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from tuneloop.config import MlflowConfig
from tuneloop.tracking import setup

CFG = MlflowConfig(tracking_uri="sqlite:///.tuneloop/mlflow.db",
                   artifact_root=".tuneloop/mlartifacts", experiment="moving")


def _log_champion(root: Path) -> str:
    import lightgbm
    import mlflow

    setup(CFG, root)
    rng = np.random.default_rng(0)
    booster = lightgbm.train({"verbose": -1}, lightgbm.Dataset(rng.random((40, 2)),
                                                              rng.random(40)), 2)
    with mlflow.start_run() as run:
        mlflow.log_dict({"kept": True}, "note.json")
        mlflow.lightgbm.log_model(booster, name="model", pip_requirements=[],
                                  registered_model_name="moving-model")
    return run.info.run_id


def test_a_moved_project_reads_and_writes_its_own_artifacts(tmp_path: Path) -> None:
    import mlflow

    old, new = tmp_path / "old", tmp_path / "new"
    run_id = _log_champion(old)
    shutil.copytree(old, new)
    shutil.rmtree(old)  # moved: nothing may be read from or written to the old folder

    experiment_id = setup(CFG, new)
    client = mlflow.MlflowClient()
    here = (new / CFG.artifact_root).resolve().as_uri()
    assert client.get_experiment(experiment_id).artifact_location == here
    assert client.get_run(run_id).info.artifact_uri.startswith(here)
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/note.json") == {"kept": True}
    loaded = mlflow.lightgbm.load_model("models:/moving-model/1")
    assert loaded.predict(np.zeros((1, 2))).shape == (1,)
    with mlflow.start_run() as later:
        mlflow.log_dict({"new": True}, "later.json")
    assert (new / CFG.artifact_root).resolve().as_uri() in later.info.artifact_uri
    assert not old.exists()


def test_a_copied_project_leaves_the_original_alone(tmp_path: Path) -> None:
    import mlflow

    original, copy = tmp_path / "original", tmp_path / "copy"
    run_id = _log_champion(original)
    shutil.copytree(original, copy)
    setup(CFG, copy)
    with mlflow.start_run() as run:
        mlflow.log_dict({"copy": True}, "c.json")
    assert (copy / CFG.artifact_root).is_dir() and str(copy) in run.info.artifact_uri
    setup(CFG, original)  # the original's own store still points at its own folder
    assert str(original) in mlflow.MlflowClient().get_run(run_id).info.artifact_uri


def test_a_changed_artifact_root_is_refused_not_rewritten(tmp_path: Path) -> None:
    """Not a move: the old runs' files are still where they were, so nothing is re-pointed."""
    import mlflow
    import pytest

    from tuneloop.errors import ConfigError

    run_id = _log_champion(tmp_path)
    moved_root = CFG.model_copy(update={"artifact_root": "artifacts"})
    with pytest.raises(ConfigError, match=r"^mlflow: the experiment stores its artifacts in "
                                          r".*\.tuneloop/mlartifacts, not in .*/artifacts "
                                          r"\(mlflow\.artifact_root\)"):
        setup(moved_root, tmp_path)
    setup(CFG, tmp_path)
    assert ".tuneloop/mlartifacts" in mlflow.MlflowClient().get_run(run_id).info.artifact_uri
