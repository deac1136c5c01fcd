"""The deployments load with the real Prefect, register on a real (test) Prefect server, and a
retrain decided by the drift-check flow (which first ingests the batch files that arrived)
triggers a run of the re-tune deployment, once."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prefect.events import emit_event

from deployments.deployments import DRIFT_CHECK, RETUNE, build
from tests.conftest import make_project, write_month
from tuneloop import jsonl
from tuneloop.config import load_params
from tuneloop.events import project_resource_id


def _client_call(fn: Any) -> Any:
    from prefect.client.orchestration import get_client

    async def call() -> Any:
        async with get_client() as client:
            return await fn(client)

    return asyncio.run(call())


def _retune_runs(retune_id: Any) -> list[Any]:
    return [r for r in _client_call(lambda c: c.read_flow_runs()) if r.deployment_id == retune_id]


def _wait_for_runs(retune_id: Any, count: int, seconds: float = 30) -> list[Any]:
    deadline = time.monotonic() + seconds
    runs = _retune_runs(retune_id)
    while len(runs) < count and time.monotonic() < deadline:
        time.sleep(0.5)
        runs = _retune_runs(retune_id)
    return runs


def _retrains(project: Path) -> list[dict[str, Any]]:
    return [e for e in jsonl.read(project / ".tuneloop" / "decisions.jsonl", "decision ledger")
            if e["event"] == "retrained"]


def test_drift_check_schedule_and_decision_triggered_retune(prefect_server: None,
                                                            tmp_path: Path) -> None:
    """The retrain a batch asks for happens once: a repeated event, a re-run of the scheduled
    check and a second concurrent run each cause zero extra retrains."""
    from flows.drift import drift_check_flow
    from flows.loop import tuneloop_flow

    # January-June tuned cold: champion v1. Policy `every`: each new batch asks for a retrain.
    project = make_project(tmp_path / "project", {"policy.name": "every",
                                                  "loop.lock_wait_s": 600})
    params = load_params(project / "params.yaml")
    assert tuneloop_flow(root=str(project))["retrain"] == "cold"
    deployments = build(project)
    ids = [d.apply() for d in deployments]
    drift_check, retune = [_client_call(lambda c, i=i: c.read_deployment(i)) for i in ids]
    assert drift_check.name == DRIFT_CHECK and retune.name == RETUNE
    assert [s.schedule.cron for s in drift_check.schedules] == [params.schedule.drift_cron]
    assert drift_check.parameters["root"] == str(project.resolve())
    assert retune.entrypoint.endswith("flows/loop.py:tuneloop_flow")
    limit = retune.global_concurrency_limit
    assert limit is not None and limit.limit == 1  # one re-tune at a time, server-side
    automations = _client_call(lambda c: c.read_automations())
    assert any(a.trigger.expect == {params.schedule.drift_event} for a in automations)

    # July arrives: the scheduled check ingests it, decides it (retrain), emits the event, and
    # the server's trigger creates a run of the re-tune deployment for this project.
    write_month(project / "data" / "incoming", 7)
    report = drift_check_flow(root=str(project))
    assert report["retrain"] == "warm" and report["requested"] is True
    assert [d["batch"] for d in report["decided"]] == ["000007-flights-2013-07.parquet"]
    runs = _wait_for_runs(retune.id, 1)
    assert runs, "no re-tune flow run was triggered by the decision's event"
    assert runs[0].parameters == {"root": str(project.resolve()), "params_file": "params.yaml"}

    # The re-run of the scheduled check finds nothing new: nothing decided, no event.
    again = drift_check_flow(root=str(project))
    assert again["decided"] == [] and again["requested"] is False
    assert again["pending"] == ["000007-flights-2013-07.parquet"]  # still to be carried out

    # Two loop runs at once (the triggered deployment run and a manual `tuneloop run`, say):
    # one retrains, the other waits for the project lock and then finds nothing pending.
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: tuneloop_flow(root=str(project)), range(2)))
    assert sorted(r["retrain"] for r in results) == ["none", "warm"]
    assert [e["action"] for e in _retrains(project)] == ["cold", "warm"]

    # The same event delivered again: the server triggers another re-tune run, and running
    # it retrains nothing (the batch's retrain was carried out once).
    emit_event(event=params.schedule.drift_event,
               resource={"prefect.resource.id": project_resource_id(project)},
               payload={"root": str(project), "retrain": "warm"})
    assert len(_wait_for_runs(retune.id, 2)) >= 2
    repeated = tuneloop_flow(root=str(project))
    assert repeated["retrain"] == "none" and "promotion" not in repeated
    assert len(_retrains(project)) == 2
