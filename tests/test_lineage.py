"""Lineage and the data gate inside the real loop (Prefect test server, MLflow SQLite store, DVC
with a local remote, GX), on one project where a whole loop has registered a champion:

- every raw batch of the bad corpus (tests/bad_batches.py RAW_CASES) is rejected at ingest with
  one line per failed check naming the file and the column or problem, kept in quarantine with its
  report and recorded in the ledger, and after each the champion, the accepted batches, the
  training window and every artifact are unchanged;
- a bad batch in the incoming folder stops the whole flow before anything is split, tuned or
  registered;
- a registered model traces back to its exact training data, restored by DVC from its tags."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from stages import ingest
from tests.bad_batches import RAW_CASES
from tests.conftest import make_project, raw_month
from tuneloop import jsonl
from tuneloop.config import load_params
from tuneloop.errors import ValidationFailed
from tuneloop.io import file_md5
from tuneloop.lineage import LINEAGE_KEYS, params_md5, parse_model
from tuneloop_cli.app import app

MODEL = "tuneloop-flights"
GIT = ["git", "-c", "user.name=tuneloop-test", "-c", "user.email=test@example.invalid"]


def _cli(*args: str) -> Any:
    result = CliRunner().invoke(app, [*args])
    return result


def _lock_out(project: Path, stage: str, path: str) -> str:
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    return next(o["md5"] for o in lock["stages"][stage]["outs"] if o["path"] == path)


WEBHOOK_ENV = "TUNELOOP_LINEAGE_WEBHOOK"


@pytest.fixture(scope="module")
def webhook() -> Any:
    """A real alert webhook on 127.0.0.1 for this module's loop runs (tests/test_alerts.py
    forces each cause; here the flow sends them)."""
    import os

    from tests.webhook_sink import WebhookSink

    with WebhookSink() as sink:
        os.environ[WEBHOOK_ENV] = sink.url
        try:
            yield sink
        finally:
            os.environ.pop(WEBHOOK_ENV, None)


@pytest.fixture(scope="module")
def looped(prefect_server: None, tmp_path_factory: pytest.TempPathFactory,
           webhook: Any) -> dict[str, Any]:
    """A committed project after one whole loop: a champion trained on the accepted batches
    (January-June, ingested from the incoming folder by the loop itself)."""
    from flows.loop import tuneloop_flow

    # Enough trials and low rungs that ASHA prunes some: the MLflow view must show them right.
    project = make_project(tmp_path_factory.mktemp("lineage") / "project",
                           {"tune.n_trials": 8, "tune.pruner.min_resource": 10,
                            "tune.pruner.min_trials_per_rung": 2,
                            "alerts.webhook_env": WEBHOOK_ENV})
    subprocess.run([*GIT, "add", "-A"], cwd=project, check=True, capture_output=True)
    subprocess.run([*GIT, "commit", "-qm", "project"], cwd=project, check=True,
                   capture_output=True)
    summary = tuneloop_flow(root=str(project))
    assert webhook.causes(within_s=2.0) == []  # a clean run alerts nobody
    return {"project": project, "summary": summary}


def _files_md5(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): file_md5(p) for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _registry(project: Path) -> dict[str, Any]:
    status = _cli("status", "--json", "--root", str(project))
    assert status.exit_code == 0, status.output
    import mlflow

    versions = mlflow.MlflowClient().search_model_versions(f"name='{MODEL}'")
    return {"champion": json.loads(status.stdout.splitlines()[-1])["champion"],
            "versions": sorted(v.version for v in versions)}


def _state(project: Path) -> dict[str, Any]:
    """Everything a rejected batch must leave as it was."""
    params = load_params(project / "params.yaml")
    p = params.paths
    return {
        "registry": _registry(project),
        "batches": _files_md5(project / params.data.batches),
        "batches_dvc": (project / f"{params.data.batches}.dvc").read_text(),
        "dataset": file_md5(project / p.dataset),
        "splits": _files_md5(project / p.splits_dir),
        "model": _files_md5(project / p.model_dir),
        "metrics": file_md5(project / p.metrics),
        "lock": (project / "dvc.lock").read_text(),
        "versions": (project / p.data_versions).read_text(),
    }


def _ledger(project: Path) -> list[dict[str, Any]]:
    params = load_params(project / "params.yaml")
    return jsonl.read(project / params.paths.arrivals, "batch ledger")


def _leftovers(project: Path) -> list[Path]:
    """Half-written files: atomic writes leave `.NAME.*` temporaries only when interrupted."""
    return [path for folder in ("data", "reports", "models") for path in
            (project / folder).rglob(".*")
            if path.name not in (".ge_store_backend_id", ".gitignore")]


def _kept(project: Path) -> set[Path]:
    quarantine = project / load_params(project / "params.yaml").paths.quarantine_dir
    return set(quarantine.iterdir()) if quarantine.exists() else set()


@pytest.mark.parametrize("case", sorted(RAW_CASES))
def test_bad_batch_is_rejected_quarantined_and_changes_nothing(
        case: str, looped: dict[str, Any], tmp_path: Path) -> None:
    project = looped["project"]
    params = load_params(project / "params.yaml")
    bad = RAW_CASES[case].build(raw_month(7), tmp_path)  # the next month, broken
    before, kept_before, ledger_before = _state(project), _kept(project), _ledger(project)

    with pytest.raises(ValidationFailed) as info:
        ingest.execute(params, project, [bad])

    message = str(info.value)
    # One line per failed check, each naming the file; the last says where it was kept.
    lines = message.splitlines()
    assert all(line.startswith(f"{bad}: ") for line in lines), message
    assert RAW_CASES[case].expect in message, message
    assert "Traceback" not in message
    # The batch and its report are kept together, the decision is in the ledger; nothing
    # else changed.
    (kept,) = _kept(project) - kept_before
    assert lines[-1].endswith(f"; batch and report kept in {kept}")
    assert message.count("; batch and report kept in ") == 1
    assert (kept / bad.name).exists()
    report = json.loads((kept / "report.json").read_text())
    assert report["success"] is False and report["quarantined_from"] == str(bad)
    *earlier, entry = _ledger(project)
    assert earlier == ledger_before
    assert (entry["source"], entry["accepted"], entry["stored_as"], entry["quarantined_in"]) \
        == (str(bad), False, None, str(kept))
    assert _state(project) == before
    assert _leftovers(project) == []


def test_bad_batch_in_the_loop_changes_nothing_downstream(looped: dict[str, Any],
                                                         webhook: Any) -> None:
    from flows.loop import tuneloop_flow

    project = looped["project"]
    params = load_params(project / "params.yaml")
    before, kept_before = _state(project), _kept(project)
    # A bad delivery: the July flights file names an airport not in the suite.
    raw = raw_month(7)
    raw.loc[raw["day"] == 3, "origin"] = "XXX"
    bad = project / params.data.incoming / "flights-2013-07.parquet"
    raw.to_parquet(bad, index=False)
    try:
        with pytest.raises(ValidationFailed) as info:
            tuneloop_flow(root=str(project))
    finally:
        bad.unlink()  # the lineage tests below re-use this project

    (line,) = str(info.value).splitlines()
    assert line.startswith(f"{bad}: column 'origin': "
                           f"expect_column_values_to_be_in_set failed (")
    assert "e.g. ['XXX'])" in line
    (kept,) = _kept(project) - kept_before
    assert line.endswith(f"; batch and report kept in {kept}")
    assert json.loads((kept / "report.json").read_text())["success"] is False
    assert file_md5(kept / bad.name) == _ledger(project)[-1]["md5"]
    assert _state(project) == before
    assert _leftovers(project) == []
    # The failed run is a row of `tuneloop history`, its reason the same one line.
    history = _cli("history", "--json", "--root", str(project))
    assert history.exit_code == 0, history.output
    failed = json.loads(history.stdout.strip().splitlines()[-1])["runs"][-1]
    # A data rejection is the gate's answer, not a broken run (sweep 25: "failed").
    assert failed["status"] == "rejected" and failed["promoted"] is None
    assert failed["error"].startswith(f"ValidationFailed: {bad}: column 'origin'")
    assert webhook.causes(at_least=1) == ["batch_rejected"]  # one POST, from the flow itself
    assert webhook.received[0]["error"] == failed["error"]


def test_data_list_shows_the_accepted_version(looped: dict[str, Any]) -> None:
    project = looped["project"]
    params = load_params(project / "params.yaml")
    md5 = _lock_out(project, "dataset", params.paths.dataset)
    listed = _cli("data", "list", "--root", str(project), "--json")
    assert listed.exit_code == 0, listed.output
    (entry,) = [json.loads(line) for line in listed.stdout.splitlines()]
    dataset = pd.read_parquet(project / params.paths.dataset)
    assert entry["dataset_version"] == md5 == looped["summary"]["dataset_version"]
    assert entry["path"] == params.paths.dataset
    assert entry["rows"] == len(dataset) and entry["batches"] == 6
    assert entry["first"] == dataset["time_hour"].min().isoformat()
    assert entry["last"] == dataset["time_hour"].max().isoformat()
    assert entry["versioned_at"]
    plain = _cli("data", "list", "--root", str(project))
    assert plain.stdout.startswith(f"{md5}  ")


def test_lineage_restores_the_exact_training_data(looped: dict[str, Any],
                                                  tmp_path: Path) -> None:
    project = looped["project"]
    params = load_params(project / "params.yaml")
    version = looped["summary"]["promotion"]["version"]
    shown = _cli("lineage", f"{MODEL}/{version}", "--root", str(project), "--json")
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.stdout)
    tags = info["tags"]
    assert set(tags) == set(LINEAGE_KEYS)
    assert tags["dataset_version"] == _lock_out(project, "dataset", params.paths.dataset)
    assert tags["dataset_path"] == params.paths.dataset
    stub = yaml.safe_load((project / f"{params.data.batches}.dvc").read_text())
    assert tags["batches_version"] == stub["outs"][0]["md5"]
    # The run's own record commit (dvc.lock, the batches' pointer and the compared reports,
    # made by the loop's record step; the code is the commit before's): checking it out gives
    # the model's data. The tags named the commit before, which held the previous run's.
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, check=True,
                          capture_output=True, text=True).stdout.strip()
    assert tags["git_commit"] == head

    def committed(path: str) -> bytes:
        return subprocess.run(["git", "show", f"{head}:{path}"], cwd=project, check=True,
                              capture_output=True).stdout

    assert tags["dvc_lock_md5"] == hashlib.md5(committed("dvc.lock")).hexdigest()
    assert yaml.safe_load(committed(f"{params.data.batches}.dvc"))["outs"][0]["md5"] == \
        tags["batches_version"]
    assert tags["params_md5"] == params_md5(params)
    newest = [e for e in _ledger(project) if e["accepted"]][-1]
    assert newest["stored_as"].endswith("flights-2013-06.parquet")
    assert tags["validation_result_id"] == newest["validation_result_id"]
    # The run carries the same tags as the version.
    import mlflow

    run = mlflow.MlflowClient().get_run(info["run_id"])
    assert {k: run.data.tags.get(k) for k in LINEAGE_KEYS} == tags

    # Restore from the remote alone: the local DVC cache is gone.
    shutil.rmtree(project / ".dvc" / "cache")
    dest = tmp_path / "restored.parquet"
    restored = _cli("lineage", f"{MODEL}@champion", "--root", str(project),
                    "--restore", str(dest))
    assert restored.exit_code == 0, restored.output
    assert f"restored {tags['dataset_version']} to {dest}" in restored.stdout
    assert file_md5(dest) == tags["dataset_version"]
    pd.testing.assert_frame_equal(pd.read_parquet(dest),
                                  pd.read_parquet(project / params.paths.dataset))


def test_lineage_errors_are_one_line(looped: dict[str, Any], tmp_path: Path) -> None:
    project = looped["project"]
    missing = _cli("lineage", f"{MODEL}/999", "--root", str(project))
    assert missing.exit_code == 2
    assert missing.stderr.strip() == (f"error: model '{MODEL}/999': no such registered model "
                                      f"version (MODEL is NAME/VERSION, NAME@ALIAS, NAME for "
                                      f"its champion or a VERSION of the project's model, e.g. "
                                      f"{MODEL}/1 or {MODEL}@champion)")  # as --help (51c F10)
    # Sweep 9: `tuneloop lineage 1` looked for a model named '1'. A bare number is that
    # version of the project's model.
    bare = _cli("lineage", "1", "--root", str(project))
    assert bare.exit_code == 0, bare.output
    assert bare.stdout.startswith(f"{MODEL} v1 (run ")
    assert _cli("lineage", "999", "--root", str(project)).stderr.startswith(
        f"error: model '{MODEL}/999': no such registered model version (")
    taken = tmp_path / "exists.parquet"
    taken.write_text("x")
    refused = _cli("lineage", MODEL, "--root", str(project), "--restore", str(taken))
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (f"error: {taken.resolve()}: already exists; choose "
                                      f"another destination")


def test_mlflow_shows_the_study_as_it_ran(looped: dict[str, Any]) -> None:
    """Read back from MLflow after a loop run: each trial run's state and duration are the
    journal's, pruned trials FINISHED with a `pruned` state tag (not a red KILLED), the split
    files are the runs' dataset inputs with their DVC md5 as digest, the study run carries the
    journal's best trial, and the candidate nests under the study that chose it."""
    import mlflow

    from tuneloop.search import Journal
    from tuneloop.tracking import setup

    project = looped["project"]
    params = load_params(project / "params.yaml")
    experiment_id = setup(params.mlflow, project)
    client = mlflow.MlflowClient()
    assert client.get_experiment(experiment_id).tags["mlflow.experimentKind"] == \
        "custom_model_development"  # not opened in GenAI mode
    [study] = mlflow.search_runs([experiment_id], "tags.`tuneloop.run_kind` = 'study'",
                                 output_format="list")
    assert study.info.run_name == f"project-study-{looped['summary']['dataset_version'][:8]}-manual"
    finished = [e for e in Journal(project / params.paths.journal).events()
                if e["event"] == "finished"]
    trials = {int(r.data.tags["tuneloop.trial_id"]): r for r in mlflow.search_runs(
        [experiment_id], f"tags.`mlflow.parentRunId` = '{study.info.run_id}' "
                         "and tags.`tuneloop.trial_id` != ''", output_format="list")}
    assert sorted(trials) == sorted(e["id"] for e in finished)
    assert any(e["status"] == "pruned" for e in finished)
    for event in finished:
        run = trials[event["id"]]
        assert run.data.tags["tuneloop.state"] == event["status"]
        assert run.info.status == ("FAILED" if event["status"] == "failed" else "FINISHED")
        if event["status"] == "pruned":
            assert run.data.tags["tuneloop.rung"] == str(event["rung"])
        shown = (run.info.end_time - run.info.start_time) / 1000
        assert abs(shown - event["seconds"]) <= max(0.2 * event["seconds"], 0.002), event["id"]
        # And it sits where the trial ran: it ended when the journal recorded it finished
        # (not when the background logger got to it).
        finished_at = datetime.fromisoformat(event["at"]).timestamp()
        assert abs(run.info.end_time / 1000 - finished_at) < 1.0, event["id"]
    best = max((e for e in finished if e["status"] == "ok"), key=lambda e: e["value"])
    assert study.data.tags["tuneloop.best_trial"] == str(best["id"])
    assert {k[len("best."):]: v for k, v in study.data.params.items()
            if k.startswith("best.")} == {k: v if isinstance(v, str) else json.dumps(v)
                                          for k, v in best["params"].items()}
    artifacts = {a.path for a in client.list_artifacts(study.info.run_id)} | {
        a.path for a in client.list_artifacts(study.info.run_id, "plots")}
    assert {"search_space.json", "best_trial.json", "plots/tuning_history.png",
            "plots/parameters.png"} <= artifacts
    splits = project / params.paths.splits_dir
    inputs = {d.dataset.name: d.dataset for d in study.inputs.dataset_inputs}
    assert {n: d.digest for n, d in inputs.items()} == {
        f"project-{s}": file_md5(splits / f"{s}.parquet") for s in ("train", "valid")}
    assert json.loads(inputs["project-train"].source)["md5"] == file_md5(splits / "train.parquet")
    [candidate] = mlflow.search_runs([experiment_id], "tags.`tuneloop.run_kind` = 'candidate'",
                                     output_format="list")
    assert candidate.data.tags["mlflow.parentRunId"] == study.info.run_id
    assert not any(k.startswith("slice") for k in candidate.data.metrics)
    assert [d.dataset.name for d in candidate.inputs.dataset_inputs] == ["project-holdout"]
    # The version says which fit it is beside the fit its holdout figures are of (51c F7).
    meta = json.loads((project / params.paths.model_dir / "model.json").read_text())
    version = client.get_model_version(MODEL, looped["summary"]["promotion"]["version"])
    assert version.tags["served_train_rows"] == str(meta["train_rows"])
    assert version.tags["scored_train_rows"] == str(meta["scored_train_rows"])
    assert int(meta["train_rows"]) > int(meta["scored_train_rows"])
    assert version.tags["refit_on_holdout"].startswith("true: this model was refit on the "
                                                       "holdout rows")
    # Its trials' scores are AUC's own (a higher-is-better metric: the journal's value).
    assert all(trials[e["id"]].data.tags["tuneloop.metric"] == "auc" for e in finished)


def test_parse_model_refs() -> None:
    assert parse_model("m@champion") == ("m", "champion", None)
    assert parse_model("m/3") == ("m", None, "3")
    assert parse_model("m") == ("m", "champion", None)


def test_versions_file_errors_name_the_line(tmp_path: Path) -> None:
    from stages.version import read_versions
    from tuneloop.errors import DataError

    path = tmp_path / "versions.jsonl"
    # A torn last line (a write cut off) is skipped; a bad line before it names the line.
    path.write_text('{"dataset_version": "a"}\n{"dataset_version": ')
    assert read_versions(path) == [{"dataset_version": "a"}]
    path.write_text('{"dataset_version": "a"}\n{"dataset_version": \n{"dataset_version": "b"}\n')
    with pytest.raises(DataError) as info:
        read_versions(path)
    assert str(info.value) == (f"{path}: line 2 is not valid JSON; the dataset versions file "
                               "was edited or damaged")
    assert read_versions(tmp_path / "none.jsonl") == []


def _chromium() -> str:
    """Debian's Chromium, which `make test` installs (Makefile: browser)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "no chromium: run the suite with `make test`, which installs it"
    return found


def test_report_opens_in_a_real_browser(looped: dict[str, Any], tmp_path: Path) -> None:
    """`tuneloop report` writes one HTML file that a headless Chromium renders offline with its
    three views, its pictures inline and the trial table holding every trial of the study."""
    from tuneloop.search import Journal

    project = looped["project"]
    result = _cli("report", "--root", str(project), "--out", "reports/tuneloop.html")
    assert result.exit_code == 0, result.output
    page = project / "reports" / "tuneloop.html"
    assert result.output.strip() == f"report: {page}"
    text = page.read_text()
    assert "http://" not in text and "https://" not in text  # nothing fetched: opens offline
    dom = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=5000",
         "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
        check=True).stdout
    assert 'data-ready="1"' in dom  # the page's script ran
    for view in ("overview", "operations", "study"):
        assert f'<section id="{view}">' in dom
    params = load_params(project / "params.yaml")
    trials = [e for e in Journal(project / params.paths.journal).events()
              if e["event"] == "finished"]
    table = dom[dom.index('<div id="trials">'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr>") == len(trials) + 1  # the header and one row per trial
    assert dom.count('src="data:image/png;base64,') >= 4
    outside = _cli("report", "--root", str(project), "--out", "../elsewhere.html")
    assert outside.exit_code == 2 and "outside the project" in outside.output
