"""The scheduled check: ingest the batch files that arrived, decide each new batch once (its
statistics against what the champion learnt from, then the retraining policy), and when a
decision asks for a retrain emit the event that triggers the re-tuning deployment.
Orchestration only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.events import emit_event

from flows.naming import from_root
from stages import dataset, drift, ingest
from tuneloop.config import PARAMS_FILE, load_params
from tuneloop.events import project_resource_id
from tuneloop.project_lock import project_lock
from tuneloop.recovery import recover

ingest_task = task(ingest.execute, name="ingest", cache_policy=NONE)
dataset_task = task(dataset.execute, name="dataset", cache_policy=NONE)
drift_task = task(drift.execute, name="drift", cache_policy=NONE)
recover_task = task(recover, name="recover", cache_policy=NONE)


@flow(name="tuneloop-drift-check", flow_run_name=from_root)
def drift_check_flow(root: str = ".", params_file: str = PARAMS_FILE) -> dict[str, Any]:
    """Ingest what arrived; decide each new batch; when one asks for a retrain, emit
    `schedule.drift_event`."""
    project = Path(root).resolve()
    params = load_params(project / params_file)
    with project_lock(project, "drift check (flow)", params.loop.lock_wait_s):
        # What a killed run left on disk first (a half-ingested batch); the registry's side
        # is the loop's.
        recover_task(params, project, registry=False)
        ingest_task(params, project)
        dataset_task(params, project)
        check = drift_task(params, project)
    if check.report is not None:
        create_markdown_artifact(
            (project / params.paths.drift_report).with_suffix(".md").read_text("utf-8"),
            key="tuneloop-batch-check", description="the newest batch's statistics and decision")
    # Only a decision this check made can request a re-tune: a batch seen again by the next
    # cron tick (or a re-run) was decided already and is not news.
    if check.newly_retrain:
        emit_event(
            event=params.schedule.drift_event,
            resource={"prefect.resource.id": project_resource_id(project)},
            payload={"root": str(project), "retrain": check.retrain,
                     "batches": [e["batch"] for e in check.decided],
                     "drifted_features": check.to_dict()["drifted_features"]})
        get_run_logger().info("retrain (%s) requested: %s", check.retrain,
                              "; ".join(d["reason"] for d in check.to_dict()["decided"]))
    return check.to_dict()
