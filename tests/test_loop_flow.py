"""The whole loop, end to end, on a small slice of the real data, with the real parts:
Prefect engine (test server), MLflow SQLite store, DVC repo in a temp git repo, GX."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from tests.conftest import write_month
from tuneloop import jsonl
from tuneloop.features import BATCH_COLUMN
from tuneloop.io import read_parquet
from tuneloop.metrics import TASK_METRICS
from tuneloop_cli.app import app

DATASET = "data/prepared/dataset.parquet"


def _dvc(project: Path, *args: str) -> str:
    # The stages run as `python -m ...`: the venv's python must come first on PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "DVC_NO_ANALYTICS": "1"}
    out = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=project, check=True,
                         capture_output=True, text=True, env=env)
    return out.stdout + out.stderr


def _status(project: Path) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["status", "--json", "--root", str(project)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def _in_remote(project: Path, md5: str) -> bool:
    remote = project / ".tuneloop" / "dvc-remote" / "files" / "md5"
    return (remote / md5[:2] / md5[2:]).is_file()


def _locked_dataset_md5(project: Path) -> str:
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    out = next(o for o in lock["stages"]["dataset"]["outs"] if o["path"] == DATASET)
    return str(out["md5"])


def _months(frame: pd.DataFrame) -> set[int]:
    """The months of 2013 the rows were scheduled in (time_hour is stored in UTC)."""
    return set(frame["time_hour"].dt.tz_convert("America/New_York").dt.month)


def _check_gate(decision: dict[str, Any], champion_before: str) -> None:
    """The decision against the champion it found: promoted only when the challenger is better
    on this holdout by more than the margin, with a paired CI above zero."""
    assert decision["champion_version"] == champion_before
    assert decision["metric"] == "auc"
    delta, (low, high) = decision["delta"], decision["ci"]
    assert low <= high
    if decision["reason"].startswith("refit of the champion's configuration"):
        # The same configuration on newer data: gated for non-inferiority only.
        assert decision["promoted"] == (low > -0.002)
    elif decision["promoted"]:
        assert decision["challenger"]["auc"] > decision["champion"]["auc"]
        assert delta > decision["margin"] and low > 0
    else:
        assert delta <= decision["margin"] or low <= 0
        assert decision["reason"].startswith("holdout auc ")
        assert "vs the champion's" in decision["reason"]


def _artifact(flow_run_id: Any, key: str) -> Any:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
            key=ArtifactFilterKey(any_=[key])))
    assert len(found) == 1, key
    return found[0].data


def _check_prefect_ui(project: Path, flow_run_id: Any, summary: dict[str, Any]) -> None:
    """What the Prefect UI shows of the run, read back from its API: the run's name, each
    trial's task run in the state the journal gives it, the run page and the top trials."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from tests.test_prefect_ui import NAME, expected_states, seen_states, task_runs
    from tuneloop.run_summary import SUMMARY_KEY, TOP_TRIALS_KEY, top_trials

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        artifacts = {a.key: a for a in client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))}
    name = NAME.match(run.name)
    assert name and name["project"] == project.name and name["trigger"] == "manual", run.name
    journal = project / "reports" / "trials.jsonl"
    expected = expected_states(journal)
    assert seen_states(task_runs(flow_run_id, sum(expected.values()))) == expected

    page = artifacts[SUMMARY_KEY]
    assert page.type == "markdown"
    version = summary["promotion"]["version"]
    for text in (f"`{summary['dataset_version']}`", "Retrain carried out: **cold**",
                 f"version {version} **promoted to champion**: no champion yet",
                 f"auc {summary['holdout']['auc']:.4f}"):
        assert text in page.data, text
    table = artifacts[TOP_TRIALS_KEY]
    assert table.type == "table"
    assert json.loads(table.data) == top_trials(journal, "auc")
    assert "tuneloop-batch-check" in artifacts


def test_whole_loop_registers_champion_and_versions_data(prefect_server: None,
                                                        project: Path) -> None:
    from flows.loop import tuneloop_flow

    state = tuneloop_flow(root=str(project), return_state=True)
    first = state.result()
    assert first["task"] == "binary"
    assert first["promotion"]["promoted"] is True
    assert first["promotion"]["reason"].startswith("no champion yet; holdout auc ")
    _check_prefect_ui(project, state.state_details.flow_run_id, first)

    # Each month in data/incoming was validated and accepted as one batch, in time order.
    ledger = jsonl.read(project / "data" / "arrivals.jsonl", "batch ledger")
    assert len(ledger) == 6 and all(e["accepted"] for e in ledger)
    stored = sorted(p.name for p in (project / "data" / "batches").glob("*.parquet"))
    assert stored == [f"{n:06d}-flights-2013-{n:02d}.parquet" for n in range(1, 7)]
    dataset = read_parquet(project / DATASET)
    assert sorted(dataset[BATCH_COLUMN].unique()) == list(range(6))
    holdout = read_parquet(project / "data" / "splits" / "holdout.parquet")
    assert _months(holdout) == {6}  # the newest batch is the holdout

    status = _status(project)
    assert status["champion"]["name"] == "tuneloop-flights"
    assert status["champion"]["version"] == first["promotion"]["version"]
    assert status["task"] == "binary"
    assert set(status["metrics"]) == set(TASK_METRICS["binary"])
    assert 0.5 < status["metrics"]["auc"] <= 1.0
    assert status["metrics"]["auc"] == first["holdout"]["auc"]
    assert status["params"] == first["best_params"]

    # The dataset version is the hash DVC recorded, and the data is in the remote: the window
    # and every accepted batch (the batches folder, added with `dvc add`).
    md5 = _locked_dataset_md5(project)
    assert status["dataset_version"] == md5 == first["dataset_version"]
    assert _in_remote(project, md5)
    batches = yaml.safe_load((project / "data" / "batches.dvc").read_text())["outs"][0]
    assert batches["md5"].endswith(".dir") and _in_remote(project, batches["md5"])
    versions = jsonl.read(project / "data" / "versions.jsonl", "dataset versions")
    assert [v["dataset_version"] for v in versions] == [md5]
    assert versions[0]["batches"] == 6 and versions[0]["rows"] == len(dataset)

    # Every run of the loop carries the dataset version: the study, each trial, the candidate.
    import mlflow

    from tuneloop.config import load_params
    from tuneloop.lineage import BATCHES_VERSION
    from tuneloop.tracking import setup

    setup(load_params(project / "params.yaml").mlflow, project)
    tagged = mlflow.search_runs(search_all_experiments=True, output_format="list",
                                filter_string=f"tags.dataset_version = '{md5}'")
    names = {r.info.run_name for r in tagged}
    study, candidate_name = (f"project-{kind}-{md5[:8]}-manual" for kind in ("study", "candidate"))
    assert {study, candidate_name} <= names
    assert any(n.startswith("trial-") for n in names)
    candidate = next(r for r in tagged if r.info.run_name == candidate_name)
    assert candidate.data.tags[BATCHES_VERSION] == batches["md5"]

    # dvc status / dvc repro right after a flow run have nothing to do.
    assert "Data and pipelines are up to date" in _dvc(project, "status")
    repro = _dvc(project, "repro")
    assert "Running stage" not in repro

    # A second run with nothing new: every batch file was decided already, so nothing is
    # decided, nothing retrains, and the window and its version are the same.
    champion = status["champion"]["version"]
    state = tuneloop_flow(root=str(project), return_state=True)
    second = state.result()
    assert _artifact(state.state_details.flow_run_id, "tuneloop-run-summary").endswith(
        "- no new batch\n\nDrifted features (newest batch): none. "
        "Retrain carried out: **none**.\n")
    assert second["dataset_version"] == md5
    assert second["retrain"] == "none" and second["check"]["decided"] == []
    assert "promotion" not in second
    assert len(jsonl.read(project / "data" / "arrivals.jsonl", "batch ledger")) == 6
    assert _status(project)["champion"]["version"] == champion
    assert "Data and pipelines are up to date" in _dvc(project, "status")

    # July arrives as a file: a new batch, decided once by the policy (here `every`: each
    # batch retrains), a new window and version, a new holdout (July) on which the champion
    # is re-scored before the gate compares it with the warm re-tune's challenger.
    text = (project / "params.yaml").read_text().replace("name: auto", "name: every")
    (project / "params.yaml").write_text(text)
    write_month(project / "data" / "incoming", 7)
    third = tuneloop_flow(root=str(project))
    assert [d["batch"] for d in third["check"]["decided"]] == ["000007-flights-2013-07.parquet"]
    assert third["retrain"] == "warm"
    # The warm re-tune's model, or (refused) the champion's configuration refit after it, each
    # gated (sweep 31: the live loop gates both candidates, as the replay does).
    assert third["mode"] == "warm" and (third["decided_by"] == "warm" or (
        third["decided_by"] == "refit" and [e["mode"] for e in third["earlier"]] == ["warm"]))
    assert third["dataset_version"] not in (md5, "")
    assert third["dataset_version"] == _locked_dataset_md5(project)
    assert _in_remote(project, third["dataset_version"])
    ledger = jsonl.read(project / "data" / "arrivals.jsonl", "batch ledger")
    assert len(ledger) == 7 and ledger[-1]["source"].endswith("flights-2013-07.parquet")
    holdout = read_parquet(project / "data" / "splits" / "holdout.parquet")
    assert _months(holdout) == {7}
    decision = third["promotion"]
    _check_gate(decision, champion)
    assert decision["champion"]["auc"] != first["holdout"]["auc"]  # re-scored on July
    retrained = [e for e in jsonl.read(project / ".tuneloop" / "decisions.jsonl", "ledger")
                 if e["event"] == "retrained"]
    assert [e["action"] for e in retrained] == ["cold", "warm"]
    assert retrained[-1]["batches"] == ["000007-flights-2013-07.parquet"]
    assert "Data and pipelines are up to date" in _dvc(project, "status")
    _check_history(project, [first, second, third])


def _check_history(project: Path, summaries: list[dict[str, Any]]) -> None:
    """`tuneloop history --json`: one row per loop run, each study's indicators recomputed
    here from its kept journal, the gate's verdict and holdout metric as the run returned."""
    from tuneloop.search import Journal
    from tuneloop.sli import study_slis

    out = CliRunner().invoke(app, ["history", "--json", "--root", str(project)])
    assert out.exit_code == 0, out.output
    history = json.loads(out.stdout.strip().splitlines()[-1])
    runs = history["runs"]
    assert len(runs) == 3 and [r["status"] for r in runs] == ["ok"] * 3
    assert [r["trigger"] for r in runs] == ["manual"] * 3
    assert [r["retrain"] for r in runs] == ["cold", "none", "warm"]
    assert [r["dataset_version"] for r in runs] == [s["dataset_version"] for s in summaries]
    kept = sorted((project / "reports" / "studies").glob("*.jsonl"))
    assert len(kept) == 2  # the no-retrain run tuned nothing
    for run, journal in zip((runs[0], runs[2]), kept, strict=True):
        slis = study_slis(list(Journal(journal).events()), 2, "auc")
        for key in ("trials", "success_rate", "best_valid", "compute_core_s", "cost",
                    "pruned_rate", "trial_seconds_p95", "time_to_best_s"):
            assert run["sli"][key] == slis[key], key
        assert run["trials"] == slis["trials"] and run["best_valid"] == slis["best_valid"]
    for run, summary in zip(runs, summaries, strict=True):
        promotion = summary.get("promotion") or {}
        assert run["promoted"] == promotion.get("promoted")
        # after a refused re-tune, the refit's reason follows the re-tune's version
        assert run["reason"] == promotion.get("reason") or (
            summary.get("earlier") and run["reason"].endswith(f"then the refit: "
                                                              f"{promotion.get('reason')}"))
        assert run["holdout"] == (summary.get("holdout") or {}).get("auc")
    assert runs[1]["trials"] is None and runs[1]["sli"] is None
    # Every candidate the gate judged: a refused re-tune before the refit counts too.
    judged = [s["promotion"]["promoted"] for s in (summaries[0], summaries[2])] + [
        e["promotion"]["promoted"] for s in summaries for e in s.get("earlier") or []]
    assert history["promotion_rate"] == sum(judged) / len(judged)
    last = CliRunner().invoke(app, ["history", "--root", str(project), "--last", "1"])
    assert last.exit_code == 0 and "warm" in last.output and "cold" not in last.output
    # Each figure says its metric (a project's runs may be scored by different ones).
    row = last.output.splitlines()[1]
    assert f"auc {runs[2]['best_valid']:.4g}" in row and f"auc {runs[2]['holdout']:.4g}" in row


@pytest.mark.slow  # dvc repro on a flow-made project; init projects run dvc repro by default
def test_dvc_repro_runs_the_same_stage_functions(prefect_server: None, project: Path) -> None:
    """dvc.yaml calls the stages' main(), which runs the same execute() the flow runs: after a
    flow run, changing one drift knob re-runs only the drift stage, which decides each batch
    once, so re-running it decides nothing again."""
    from flows.loop import tuneloop_flow

    tuneloop_flow(root=str(project))
    decisions = (project / ".tuneloop" / "decisions.jsonl").read_text()
    params_path = project / "params.yaml"
    raw = yaml.safe_load(params_path.read_text())
    raw["drift"]["threshold_factor"] = 2.0
    params_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    out = _dvc(project, "repro")
    ran = [line for line in out.splitlines() if line.startswith("Running stage")]
    # drift reads the changed knob; nothing upstream re-runs; with every batch decided
    # already, its report is unchanged, so the plots drawn from it are not redrawn either.
    assert ran == ["Running stage 'drift':"]
    assert (project / ".tuneloop" / "decisions.jsonl").read_text() == decisions
    report = json.loads((project / "reports" / "drift.json").read_text())
    assert report["decision"]["action"] == "cold"  # the first window's, not decided again
    assert "Data and pipelines are up to date" in _dvc(project, "status")
