"""Process defaults tuneloop sets on import (tuneloop.runtime), and that they reach the servers
it starts."""

from __future__ import annotations

import os
import subprocess
import sys

from prefect import flow, task

from tuneloop.runtime import _DEFAULTS

BATCH = "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE"


def _value_after_import(env: dict[str, str]) -> str:
    out = subprocess.run([sys.executable, "-c",
                          f"import os, tuneloop; print(os.environ[{BATCH!r}])"],
                         env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_a_users_own_setting_wins_over_the_default() -> None:
    env = {k: v for k, v in os.environ.items() if k != BATCH}
    assert _value_after_import(env) == _DEFAULTS[BATCH] == "100"
    assert _value_after_import({**env, BATCH: "7"}) == "7"


@task
def _one(i: int) -> int:
    return i


def test_the_prefect_server_a_flow_starts_records_task_runs_in_batches() -> None:
    """The API server of a flow run (the ephemeral one `make run` starts, inheriting this
    process's environment) has the task-run recorder's batching that bench/scale.py measured,
    and still records every task run."""
    from prefect.client.orchestration import get_client

    @flow(name="runtime-defaults-test")
    def some_tasks() -> list[int]:
        return [f.result() for f in [_one.submit(i) for i in range(3)]]

    assert some_tasks() == [0, 1, 2]
    with get_client(sync_client=True) as client:
        settings = client._client.get("/admin/settings").json()
    recorder = settings["server"]["services"]["task_run_recorder"]
    assert recorder["batch_size"] == 100
    assert recorder["flush_interval"] == 1


def test_a_native_crash_in_a_command_prints_the_python_stacks() -> None:
    """The entry points enable faulthandler: a segfault names where each thread was."""
    code = ("import sys, ctypes\n"
            "from tuneloop_cli import app\n"
            "app._invoke = lambda: ctypes.string_at(0)\n"
            "app.main()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "Fatal Python error: Segmentation fault" in out.stderr
    assert 'File "<string>", line 3' in out.stderr


def test_a_prefect_home_under_a_missing_folder_still_runs_a_flow(tmp_path) -> None:
    """PREFECT_HOME under folders that do not exist yet (a fresh clone's `.tuneloop/prefect`):
    the ephemeral server's database could not be opened, and a run retried for 2 minutes
    before a traceback. Importing tuneloop makes the folder; a real flow then runs.
    Its 40 task runs' last states are all written before the temporary server stops
    (temporary_server_settled, as `tuneloop run` wraps its flow): stopped at once, the server
    cancelled a batched flush ("Error flushing 13 events" and a traceback; sweep 21)."""
    home = tmp_path / "not" / "yet" / "prefect"
    code = ("import tuneloop\n"
            "from prefect import flow, task\n"
            "from tuneloop.runtime import temporary_server_settled\n"
            "@task\n"
            "def part(i: int) -> int:\n"
            "    return i\n"
            "@flow(name='missing-home-test')\n"
            "def one() -> int:\n"
            "    return 1 + sum(f.result() for f in [part.submit(0) for _ in range(40)])\n"
            "with temporary_server_settled():\n"
            "    print('result', one())\n")
    env = {**os.environ, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)  # its own ephemeral server, in the new home
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "result 1" in out.stdout
    assert (home / "prefect.db").is_file()
    assert "Error flushing" not in out.stderr, out.stderr[-2000:]
    import sqlite3

    with sqlite3.connect(home / "prefect.db") as db:
        states = db.execute("SELECT state_type, count(*) FROM task_run GROUP BY state_type")
        assert dict(states.fetchall()) == {"COMPLETED": 40}
