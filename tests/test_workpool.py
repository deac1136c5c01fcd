"""The deployments on a real process work pool (a real Prefect server, a real
`prefect worker start --pool NAME --run-once`): the drift check runs on the project the pool
pins, and a run asking for other job variables is refused by the server, or, created past that
check, still runs on the pinned project."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from deployments.deployments import DRIFT_CHECK, RETUNE
from deployments.pinned import PINNED_ROOT
from deployments.workpool import CODE_DIR, deploy, main
from tests.conftest import make_project
from tuneloop import jsonl
from tuneloop.config import PARAMS_FILE, load_params

POOL = "tuneloop-test"


def _client_call(fn: Any) -> Any:
    from prefect.client.orchestration import get_client

    async def call() -> Any:
        async with get_client() as client:
            return await fn(client)

    return asyncio.run(call())


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".git" not in p.parts)


@pytest.mark.slow  # ~40 s: a real work pool and worker process
def test_a_work_pool_runs_the_deployments_on_the_pinned_project_only(
        prefect_server: None, tmp_path: Path) -> None:
    import httpx
    from prefect.deployments import run_deployment
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.settings import PREFECT_API_URL, get_current_settings

    # Two drift checks share the pinned project in one worker pass: the second waits its turn.
    project = make_project(tmp_path / "project", {"loop.lock_wait_s": 300}, months=(1,))
    elsewhere = make_project(tmp_path / "elsewhere", months=(3,))
    untouched = _tree(elsewhere)
    params = load_params(project / PARAMS_FILE)

    ids = deploy(project, PARAMS_FILE, POOL)
    pool = _client_call(lambda c: c.read_work_pool(POOL))
    assert pool.type == "process" and "env" not in pool.base_job_template["job_configuration"]
    assert pool.base_job_template["variables"]["additionalProperties"] is False
    check, retune = [_client_call(lambda c, i=i: c.read_deployment(i)) for i in ids]
    assert (check.name, retune.name) == (DRIFT_CHECK, RETUNE)
    assert check.work_pool_name == retune.work_pool_name == POOL
    assert [s.schedule.cron for s in check.schedules] == [params.schedule.drift_cron]
    assert retune.global_concurrency_limit.limit == 1
    assert check.parameters == {} and retune.entrypoint == "deployments/pinned.py:retune_flow"
    assert check.pull_steps == [{"prefect.deployments.steps.set_working_directory":
                                 {"directory": str(CODE_DIR)}}]

    # A run that asks for another environment, command or working directory: refused, one line.
    for override in ({"env": {PINNED_ROOT: str(elsewhere)}}, {"command": "true"},
                     {"working_dir": str(elsewhere)}):
        with pytest.raises(PrefectHTTPStatusError) as refused:
            run_deployment(check.id, job_variables=override, timeout=0)
        detail = refused.value.response.json()["detail"]
        assert refused.value.response.status_code == 422
        assert f"Additional properties are not allowed ({next(iter(override))!r} was" in detail
        assert "\n" not in detail

    # The scheduled check, run through the API; and one created past the server's check, with
    # all three overrides stored on it: were any used, `elsewhere` would change.
    run = run_deployment(check.id, timeout=0)
    overrides = {"env": {PINNED_ROOT: str(elsewhere)}, "working_dir": str(elsewhere),
                 "command": f"{sys.executable} -c \"open('{elsewhere}/overridden', 'w')\""}
    created = httpx.post(f"{PREFECT_API_URL.value()}/flow_runs/", json={
        "flow_id": str(check.flow_id), "deployment_id": str(check.id), "work_pool_name": POOL,
        "job_variables": overrides, "state": {"type": "SCHEDULED", "state_details": {
            "scheduled_time": datetime.now(UTC).isoformat()}}}).raise_for_status()
    sneaked = created.json()["id"]
    assert created.json()["job_variables"] == overrides  # stored unchecked

    env = {**os.environ, **get_current_settings().to_environment_variables(exclude_unset=True)}
    env[PINNED_ROOT] = str(elsewhere)  # the worker's own environment does not pin either
    worker = subprocess.run([sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL,
                             "--run-once"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    output = worker.stdout + worker.stderr
    assert worker.returncode == 0, output
    for run_id in (run.id, sneaked):
        state = _client_call(lambda c, i=run_id: c.read_flow_run(i)).state
        assert state.is_completed(), output

    # Both acted on the pinned project: January ingested and decided, once.
    decided = [e["batch"] for e in jsonl.read(project / params.paths.decisions, "ledger")
               if e["event"] == "decided"]
    assert decided == ["000001-flights-2013-01.parquet"], output
    assert _tree(elsewhere) == untouched


def test_deploy_refuses_a_project_without_its_params_file(prefect_server: None,
                                                          tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["--root", str(tmp_path), "--pool", POOL + "-unused"])
    assert str(refused.value).startswith(f"error: {tmp_path / PARAMS_FILE}")
    assert "\n" not in str(refused.value)
    assert all(p.name != POOL + "-unused" for p in _client_call(lambda c: c.read_work_pools()))


def test_deploy_refuses_to_take_another_projects_pool_or_deployments(
        prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool pins one project and the deployments' names are the same for every project:
    deploying a second project there would silently move the first one's scheduled checks and
    re-tunes to it. Refused in one line; the first project's pool and deployments unchanged."""
    first = make_project(tmp_path / "first", months=(1,))
    second = make_project(tmp_path / "second", months=(1,))
    ids = deploy(first, PARAMS_FILE, POOL + "-a")
    before = _client_call(lambda c: c.read_work_pool(POOL + "-a")).base_job_template

    for pool, what in ((POOL + "-a", "is pinned to another project"),
                       (POOL + "-b", "already serves another project")):
        with pytest.raises(SystemExit) as refused:
            main(["--root", str(second), "--pool", pool])
        assert what in str(refused.value) and "\n" not in str(refused.value)
    assert _client_call(lambda c: c.read_work_pool(POOL + "-a")).base_job_template == before
    assert all(p.name != POOL + "-b" for p in _client_call(lambda c: c.read_work_pools()))
    for i in ids:
        assert _client_call(lambda c, i=i: c.read_deployment(i)).work_pool_name == POOL + "-a"
    assert deploy(first, PARAMS_FILE, POOL + "-a") == ids  # the same project: updated in place
    # A process pool of someone else's under the name asked for: not taken either.
    from prefect.client.schemas.actions import WorkPoolCreate

    _client_call(lambda c: c.create_work_pool(WorkPoolCreate(name=POOL + "-plain",
                                                             type="process")))
    with pytest.raises(SystemExit) as refused:
        main(["--root", str(first), "--pool", POOL + "-plain"])
    assert "is not a tuneloop pool" in str(refused.value) and "\n" not in str(refused.value)
    # ... also from another interpreter (another venv, `python3`): the pin is the project.
    monkeypatch.setattr(sys, "executable", "/opt/other-venv/bin/python")
    assert deploy(first, PARAMS_FILE, POOL + "-a") == ids
    assert "/opt/other-venv/bin/python" in _client_call(
        lambda c: c.read_work_pool(POOL + "-a")).base_job_template["job_configuration"]["command"]
