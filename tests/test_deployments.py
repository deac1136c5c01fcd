"""The deployments load with the real Prefect, register on a real (test) Prefect server, and a
drift found by the drift-check flow (which first ingests the batch files that arrived) triggers
a run of the re-tune deployment."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pandas as pd

from deployments.deployments import DRIFT_CHECK, RETUNE, build
from tests.conftest import make_project
from tuneloop.config import load_params


def _client_call(fn: Any) -> Any:
    from prefect.client.orchestration import get_client

    async def call() -> Any:
        async with get_client() as client:
            return await fn(client)

    return asyncio.run(call())


def test_drift_check_schedule_and_drift_triggered_retune(prefect_server: None,
                                                         tmp_path: Path) -> None:
    from flows.drift import drift_check_flow

    # January-July arrived in the incoming folder: July is the newest batch of the window.
    project = make_project(tmp_path / "project", months=(1, 2, 3, 4, 5, 6, 7))
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
    report = drift_check_flow(root=str(project))
    assert report["drift"] is True
    assert {"temp", "dewp"} <= set(report["drifted_features"])
    batches = sorted(p.name for p in (project / params.data.batches).iterdir())
    assert batches == [f"{n:06d}-flights-2013-{n:02d}.parquet" for n in range(1, 8)]
    assert report["batch_rows"] == len(pd.read_parquet(project / params.data.batches
                                                       / batches[-1]))
    deadline = time.monotonic() + 30
    runs: list = []
    while not runs and time.monotonic() < deadline:
        time.sleep(0.5)
        runs = [r for r in _client_call(lambda c: c.read_flow_runs())
                if r.deployment_id == retune.id]
    assert runs, "no re-tune flow run was triggered by the drift event"
    assert runs[0].parameters == {"root": str(project.resolve()), "params_file": "params.yaml"}

    # The next scheduled check finds nothing new: every file was decided once.
    ledger = (project / params.paths.arrivals).read_text()
    again = drift_check_flow(root=str(project))
    assert again["drifted_features"] == report["drifted_features"]
    assert (project / params.paths.arrivals).read_text() == ledger
