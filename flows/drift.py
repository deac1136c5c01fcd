"""The scheduled check: ingest the batch files that arrived, compare the newest batch with the
ones before it, and on drift emit the event that triggers the re-tuning deployment.
Orchestration only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.events import emit_event

from stages import dataset, drift, ingest
from tuneloop.config import PARAMS_FILE, load_params
from tuneloop.events import project_resource_id
from tuneloop.project_lock import project_lock

ingest_task = task(ingest.execute, name="ingest", cache_policy=NONE)
dataset_task = task(dataset.execute, name="dataset", cache_policy=NONE)
drift_task = task(drift.execute, name="drift", cache_policy=NONE)


@flow(name="tuneloop-drift-check")
def drift_check_flow(root: str = ".", params_file: str = PARAMS_FILE) -> dict[str, Any]:
    """Ingest what arrived; when a new batch was accepted and drifted from the ones before it,
    emit `schedule.drift_event`."""
    project = Path(root).resolve()
    params = load_params(project / params_file)
    with project_lock(project, "drift check (flow)", params.loop.lock_wait_s):
        arrived = ingest_task(params, project)
        dataset_task(params, project)
        report = drift_task(params, project)
    # Only a batch this check accepted can request a re-tune: the same drifted batch seen again
    # by the next cron tick (or a re-run) is not news.
    if report.drift and arrived.accepted:
        emit_event(
            event=params.schedule.drift_event,
            resource={"prefect.resource.id": project_resource_id(project)},
            payload={"root": str(project),
                     "batches": [a.stored_as for a in arrived.accepted],
                     "drifted_features": report.drifted_features,
                     "drifted_share": report.drifted_share},
        )
        get_run_logger().info("drift in %s: re-tuning requested", report.drifted_features)
    return report.to_dict()
