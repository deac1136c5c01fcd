"""The deployments load with the real Prefect, register on a real (test) Prefect server, and a
retrain decided by the drift-check flow (which first ingests the batch files that arrived)
triggers a run of the re-tune deployment, once. Both act only on the project their serving
process pins: a run asking for another `root` or `params_file` fails before it starts."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from prefect.events import emit_event

from deployments.deployments import DRIFT_CHECK, RETUNE, build
from deployments.pinned import PINNED_ROOT, NotPinned, pin, pinned_project
from tests.conftest import REPO, make_project, write_month, write_params
from tests.project_checks import assert_consistent
from tests.test_prefect_ui import NAME
from tuneloop import jsonl
from tuneloop.config import PARAMS_FILE, load_params
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


def _run_as_served(flow_run_id: Any, project: Path) -> tuple[Any, str]:
    """Execute one flow run the way `serve()` does (`python -m prefect.engine` in a child of
    the serving process, which pinned `project`); return its state and the child's output."""
    from prefect.settings import get_current_settings

    env = {**os.environ, **get_current_settings().to_environment_variables(exclude_unset=True),
           **pin(project, PARAMS_FILE), "PREFECT__FLOW_RUN_ID": str(flow_run_id)}
    child = subprocess.run([sys.executable, "-m", "prefect.engine"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=600)
    state = _client_call(lambda c: c.read_flow_run(flow_run_id)).state
    return state, child.stdout + child.stderr


def _assert_studies_never_overlapped(project: Path) -> None:
    import mlflow

    from tuneloop.tracking import setup

    setup(load_params(project / "params.yaml").mlflow, project)
    runs = sorted(mlflow.search_runs(filter_string="tags.`tuneloop.run_kind` = 'study'",
                                     search_all_experiments=True, output_format="list"),
                  key=lambda r: r.info.start_time)
    assert len(runs) >= 2 and all(r.info.status == "FINISHED" for r in runs)
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert earlier.info.end_time <= later.info.start_time, "two studies ran at once"


def _retrains(project: Path) -> list[dict[str, Any]]:
    return [e for e in jsonl.read(project / ".tuneloop" / "decisions.jsonl", "decision ledger")
            if e["event"] == "retrained"]


# ~140 s: a real server, its trigger and two loop runs (the lock's refusal of a second run is
# in test_project_lock, in the default run).
@pytest.mark.slow
def test_drift_check_schedule_and_decision_triggered_retune(
        prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The retrain a batch asks for happens once: a repeated event, a re-run of the scheduled
    check and a second concurrent run each cause zero extra retrains."""
    from deployments.pinned import scheduled_check_flow
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
    assert drift_check.parameters == {} and retune.parameters == {}  # the project is pinned
    assert retune.entrypoint.endswith("deployments/pinned.py:retune_flow")
    limit = retune.global_concurrency_limit
    assert limit is not None and limit.limit == 1  # one re-tune at a time, server-side
    automations = _client_call(lambda c: c.read_automations())
    assert any(a.trigger.expect == {params.schedule.drift_event} for a in automations)

    # July arrives: the scheduled check ingests it, decides it (retrain), emits the event, and
    # the server's trigger creates a run of the re-tune deployment for this project.
    # The serving process pins the project; the scheduled check's flow takes it from there.
    for name, value in pin(project, PARAMS_FILE).items():
        monkeypatch.setenv(name, value)
    write_month(project / "data" / "incoming", 7)
    report = scheduled_check_flow()
    assert report["retrain"] == "warm" and report["requested"] is True
    assert [d["batch"] for d in report["decided"]] == ["000007-flights-2013-07.parquet"]
    runs = _wait_for_runs(retune.id, 1)
    assert runs, "no re-tune flow run was triggered by the decision's event"
    assert runs[0].parameters == {}

    # The re-run of the scheduled check finds nothing new: nothing decided, no event.
    again = scheduled_check_flow()
    assert again["decided"] == [] and again["requested"] is False
    assert again["pending"] == ["000007-flights-2013-07.parquet"]  # still to be carried out

    # Two loop runs at once (the triggered deployment run and a manual `tuneloop run`, say):
    # one retrains, the other waits for the project lock and then finds nothing pending.
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: tuneloop_flow(root=str(project)), range(2)))
    assert sorted(r["retrain"] for r in results) == ["none", "warm"]
    assert [e["action"] for e in _retrains(project)] == ["cold", "warm"]
    # One study at a time (the tune runs never overlap), and a consistent project after:
    # registry vs audit log, journal, ledgers, dvc status.
    _assert_studies_never_overlapped(project)
    assert_consistent(project)

    # The same event delivered again: the server triggers another re-tune run, and running
    # it retrains nothing (the batch's retrain was carried out once).
    emit_event(event=params.schedule.drift_event,
               resource={"prefect.resource.id": project_resource_id(project)},
               payload={"root": str(project), "retrain": "warm"})
    triggered = _wait_for_runs(retune.id, 2)
    assert len(triggered) >= 2
    newest = max(triggered, key=lambda r: r.created)
    state, output = _run_as_served(newest.id, project)  # as `serve()` runs it: pinned project
    assert state.is_completed(), output
    # Named as every tuneloop run is, the trigger read from the deployment that started it.
    name = NAME.match(_client_call(lambda c: c.read_flow_run(newest.id)).name)
    assert name and (name["project"], name["trigger"]) == ("project", "drift")
    assert len(_retrains(project)) == 2


def test_a_run_through_the_api_cannot_choose_another_project(prefect_server: None,
                                                             tmp_path: Path) -> None:
    """Neither deployment has a `root` or `params_file` parameter: the server refuses a run that
    names one in one line, and a run created with that check turned off fails before it starts.
    Neither project is touched."""
    import httpx
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.settings import PREFECT_API_URL

    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    for folder in (project, elsewhere):
        folder.mkdir()
        write_params(folder, {})
    ids = [d.apply() for d in build(project)]
    drift_check, retune = [_client_call(lambda c, i=i: c.read_deployment(i)) for i in ids]
    assert set(drift_check.parameter_openapi_schema["properties"]) == set()
    assert set(retune.parameter_openapi_schema["properties"]) == {"resume", "force"}

    for deployment, override in [(retune, {"root": str(elsewhere)}),
                                 (drift_check, {"params_file": "../x.yaml"})]:
        with pytest.raises(PrefectHTTPStatusError) as refused:
            _client_call(lambda c, d=deployment, o=override:
                         c.create_flow_run_from_deployment(d.id, parameters=o))
        detail = refused.value.response.json()["detail"]
        assert refused.value.response.status_code == 409
        assert f"Additional properties are not allowed ({next(iter(override))!r} was" in detail
        assert "\n" not in detail

        # The REST API lets a run's creator skip the schema check; the flow still refuses.
        created = httpx.post(f"{PREFECT_API_URL.value()}/deployments/{deployment.id}"
                             "/create_flow_run",
                             json={"parameters": override, "enforce_parameter_schema": False})
        state, output = _run_as_served(created.raise_for_status().json()["id"], project)
        assert state.is_scheduled()  # never started (under serve() it ends Crashed)
        assert f"but was provided with parameters {list(override)}" in output
    for folder in (project, elsewhere):
        assert sorted(p.name for p in folder.iterdir()) == ["params.yaml"]


def test_the_deployments_flows_need_a_pinned_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PINNED_ROOT, raising=False)
    with pytest.raises(NotPinned, match=f"^{PINNED_ROOT} is not set: .*--root DIR\\)$"):
        pinned_project()
