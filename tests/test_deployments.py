"""The deployments load with the real Prefect, register on a real (test) Prefect server, and a
drift found by the drift-check flow triggers a run of the re-tune deployment."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from deployments.deployments import DRIFT_CHECK, RETUNE, build
from tuneloop.config import load_params


def _client_call(fn: Any) -> Any:
    from prefect.client.orchestration import get_client

    async def call() -> Any:
        async with get_client() as client:
            return await fn(client)

    return asyncio.run(call())


def test_drift_check_schedule_and_drift_triggered_retune(prefect_server: None,
                                                         project: Path) -> None:
    from flows.drift import drift_check_flow
    from stages import ingest, validate

    params = load_params(project / "params.yaml")
    deployments = build(project)
    ids = [d.apply() for d in deployments]
    drift_check, retune = [_client_call(lambda c, i=i: c.read_deployment(i)) for i in ids]
    assert drift_check.name == DRIFT_CHECK and retune.name == RETUNE
    assert [s.schedule.cron for s in drift_check.schedules] == [params.schedule.drift_cron]
    assert drift_check.parameters["root"] == str(project.resolve())
    assert retune.entrypoint.endswith("flows/loop.py:tuneloop_flow")
    automations = _client_call(lambda c: c.read_automations())
    assert any(a.trigger.expect == {params.schedule.drift_event} for a in automations)

    # The July batch drifts from January-June: the drift check emits the event, and the
    # server's trigger creates a run of the re-tune deployment for this project.
    ingest.execute(params, project)
    validate.execute(params, project)  # accepts the candidate as the training data
    report = drift_check_flow(root=str(project))
    assert report["drift"] is True
    deadline = time.monotonic() + 30
    runs: list = []
    while not runs and time.monotonic() < deadline:
        time.sleep(0.5)
        runs = [r for r in _client_call(lambda c: c.read_flow_runs())
                if r.deployment_id == retune.id]
    assert runs, "no re-tune flow run was triggered by the drift event"
    assert runs[0].parameters["root"] == str(project.resolve())
    assert int(runs[0].parameters["advance_to"]) == params.ingest.batch_month
