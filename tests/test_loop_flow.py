"""The whole loop, end to end, on a small slice of the real data, with the real parts:
Prefect engine (test server), MLflow SQLite store, DVC repo in a temp git repo, GX."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from tuneloop_cli.app import app
from typer.testing import CliRunner


def _dvc(project: Path, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=project, check=True,
                         capture_output=True, text=True)
    return out.stdout + out.stderr


def _status(project: Path) -> dict:
    result = CliRunner().invoke(app, ["status", "--json", "--root", str(project)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_whole_loop_registers_champion_and_versions_data(prefect_server: None,
                                                        project: Path) -> None:
    from flows.loop import tuneloop_flow

    first = tuneloop_flow(root=str(project))
    assert first["promotion"]["promoted"] is True

    status = _status(project)
    assert status["champion"]["name"] == "tuneloop-flights"
    assert status["champion"]["version"] == first["promotion"]["version"]
    assert set(status["metrics"]) >= {"auc", "logloss", "accuracy"}
    assert 0.5 < status["metrics"]["auc"] <= 1.0
    assert status["params"] == first["best_params"]

    # The dataset version is the hash DVC recorded, and the data is in the remote.
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    dataset_out = next(o for o in lock["stages"]["validate"]["outs"]
                       if o["path"] == "data/prepared/dataset.parquet")
    assert status["dataset_version"] == dataset_out["md5"] == first["dataset_version"]
    remote = project / ".tuneloop" / "dvc-remote" / "files" / "md5"
    md5 = dataset_out["md5"]
    assert (remote / md5[:2] / md5[2:]).is_file()

    # Every run of the loop carries the dataset version: the study, each trial, the candidate.
    import mlflow

    from tuneloop.config import load_params
    from tuneloop.tracking import setup

    setup(load_params(project / "params.yaml").mlflow, project)
    tagged = mlflow.search_runs(search_all_experiments=True, output_format="list",
                                filter_string=f"tags.dataset_version = '{md5}'")
    names = {r.info.run_name for r in tagged}
    assert {"tune", "candidate"} <= names
    assert any(n.startswith("trial-") for n in names)

    # dvc repro right after a flow run has nothing to do.
    assert "Data and pipelines are up to date" in _dvc(project, "status")
    repro = _dvc(project, "repro")
    assert "Running stage" not in repro

    # A second run with nothing changed never replaces the champion with an equal or worse one.
    second = tuneloop_flow(root=str(project))
    decision = second["promotion"]
    assert decision["champion_version"] == status["champion"]["version"]
    if decision["promoted"]:
        assert decision["challenger"]["auc"] > decision["champion"]["auc"]
    else:
        assert _status(project)["champion"]["version"] == status["champion"]["version"]
        assert decision["challenger"]["auc"] <= decision["champion"]["auc"]


def test_dvc_repro_runs_the_same_stage_functions(prefect_server: None, project: Path) -> None:
    """dvc.yaml calls the stages' main(), which runs the same execute() the flow runs: after a
    flow run, changing one drift knob re-runs only the drift stage (and the plots drawn from
    it), and its report is rewritten by that stage function."""
    from flows.loop import tuneloop_flow

    tuneloop_flow(root=str(project))
    params_path = project / "params.yaml"
    raw = yaml.safe_load(params_path.read_text())
    raw["drift"]["max_drifted_share"] = 1.0  # can never be exceeded: no drift
    params_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    env_path = f"{Path(sys.executable).parent}:{__import__('os').environ['PATH']}"
    out = subprocess.run([sys.executable, "-m", "dvc", "repro"], cwd=project, check=True,
                         capture_output=True, text=True, env={**__import__("os").environ,
                                                              "PATH": env_path})
    ran = [line for line in out.stdout.splitlines() if line.startswith("Running stage")]
    # drift reads the changed knob; plots reads drift's report; nothing upstream re-runs.
    assert ran == ["Running stage 'drift':", "Running stage 'plots':"]
    report = json.loads((project / "reports" / "drift.json").read_text())
    assert report["drift"] is False
