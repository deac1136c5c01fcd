"""A study killed while its trial runs were still queued for MLflow (the background log drains
after the journal): the resumed study logs the missing ones, so MLflow ends with every trial
of the journal exactly once, at the time it finished. A real study in a real subprocess,
SIGKILLed; the fault injected is a trial log that stalls inside its second trial's logging
(that trial's run created, its metrics and end not written)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.conftest import REPO

CHILD = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    import mlflow
    from stages import tune
    from tests.test_trial_log_backfill import frames_and_config

    real_log_batch = mlflow.MlflowClient.log_batch
    logged = []

    def stalls_in_the_second(self, run_id, *args, **kwargs):
        if logged:
            # The log thread stops inside the second trial's logging: its run exists (RUNNING,
            # tags only) and the later trials stay queued.
            threading.Event().wait()
        logged.append(run_id)
        return real_log_batch(self, run_id, *args, **kwargs)

    mlflow.MlflowClient.log_batch = stalls_in_the_second
    uri, experiment_id, journal, workdir = sys.argv[1:5]
    mlflow.set_tracking_uri(uri)
    cfg, schema, train, valid = frames_and_config(Path(workdir))
    with mlflow.start_run(experiment_id=experiment_id) as parent:
        tune.run(cfg, schema, "auc", train, valid, Path(journal),
                 tracking=(experiment_id, parent.info.run_id))
""")


def frames_and_config(workdir: Path):  # type: ignore[no-untyped-def]
    from tests.conftest import SMALL, flights_schema, prepared_months, write_params
    from tuneloop.config import TuneConfig, load_params
    from tuneloop.features import BATCH_COLUMN

    params = load_params(write_params(workdir, SMALL))
    data = prepared_months((1, 2))
    train = data[data[BATCH_COLUMN] == 0].reset_index(drop=True)
    valid = data[data[BATCH_COLUMN] == 1].reset_index(drop=True)
    raw = params.tune.model_dump()
    raw.update({"n_trials": 5, "pruner": {"kind": "none"}, "refine": {"param": None},
                "reproducibility_reruns": 0})
    return (TuneConfig.model_validate(raw), flights_schema(params, train), train, valid)


def finished_ids(journal: Path) -> list[int]:
    if not journal.exists():
        return []
    return [json.loads(line)["id"] for line in journal.read_text().splitlines(keepends=True)
            if line.endswith("\n") and json.loads(line)["event"] == "finished"]


def test_a_resumed_study_logs_the_trials_a_kill_left_unlogged(tmp_path: Path) -> None:
    import mlflow

    from stages import tune
    from tuneloop.search import study_header
    from tuneloop.tracking import STUDY_TAG

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    experiment_id = mlflow.create_experiment("backfill",
                                             artifact_location=(tmp_path / "art").as_uri())
    journal = tmp_path / "trials.jsonl"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, uri, experiment_id, str(journal), str(tmp_path)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while len(finished_ids(journal)) < 5:
            assert child.poll() is None, child.stderr.read()[-2000:]  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the study did not finish its trials"
            time.sleep(0.2)
        time.sleep(0.5)  # the study is now waiting on its stalled trial log
        assert child.poll() is None
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()

    study_id = study_header(journal)["study_id"]  # type: ignore[index]
    client = mlflow.MlflowClient()

    def trial_runs() -> list:  # type: ignore[type-arg]
        return client.search_runs([experiment_id],
                                  filter_string=f"tags.`{STUDY_TAG}` = '{study_id}'")

    cut = trial_runs()  # the kill left one trial logged, one cut mid-log, three never logged
    assert sorted(r.info.status for r in cut) == ["FINISHED", "RUNNING"]

    cfg, schema, train, valid = frames_and_config(tmp_path)
    with mlflow.start_run(experiment_id=experiment_id) as parent:
        tune.run(cfg, schema, "auc", train, valid, journal, resume=True,
                 tracking=(experiment_id, parent.info.run_id))
    runs = trial_runs()
    ids = sorted(int(r.data.tags["tuneloop.trial_id"]) for r in runs)
    assert ids == sorted(finished_ids(journal)) == [0, 1, 2, 3, 4]  # each exactly once
    assert {r.info.status for r in runs} <= {"FINISHED", "FAILED"}  # the cut run was replaced
    events = {e["id"]: e for e in map(json.loads, journal.read_text().splitlines())
              if e["event"] == "finished"}
    from datetime import datetime

    for run in runs:
        event = events[int(run.data.tags["tuneloop.trial_id"])]
        # The trial's own duration and end, from the journal, not the time of the backfill.
        assert abs((run.info.end_time - run.info.start_time) / 1000 - event["seconds"]) < 0.01
        # (the one logged live ended when the runner received it, milliseconds apart)
        assert abs(run.info.end_time / 1000
                   - datetime.fromisoformat(event["at"]).timestamp()) < 0.5
        assert run.data.metrics["value"] == event["value"]
