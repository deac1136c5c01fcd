"""One loop per project: a second run is refused in one line naming the holder, a stage
command `dvc repro` runs honours the lock, a killed holder's lock is taken over at once, and a
run given time waits for the holder to finish."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, make_project
from tuneloop.project_lock import LOCK_FILE, ProjectBusy, project_lock

HOLD = """
import sys, time
from pathlib import Path
from tuneloop.project_lock import project_lock
with project_lock(Path(sys.argv[1]), "a test holder"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(root: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the project's lock (it says so once it does)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(root), str(seconds)],
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_run_is_refused_naming_the_holder(tmp_path: Path) -> None:
    holder = hold(tmp_path, 30)
    try:
        with pytest.raises(ProjectBusy) as refused, project_lock(tmp_path, "second"):
            pass
        message = str(refused.value)
        assert "\n" not in message
        assert message.startswith(f"{tmp_path / LOCK_FILE}: another tuneloop run holds")
        assert f"a test holder, pid {holder.pid} on " in message and "since 20" in message
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holders_lock_is_taken_over_at_once(tmp_path: Path) -> None:
    holder = hold(tmp_path, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    started = time.monotonic()
    with project_lock(tmp_path, "after a crash"):
        assert (tmp_path / LOCK_FILE).read_text().startswith('{"what": "after a crash"')
    assert time.monotonic() - started < 2


def test_a_run_given_time_waits_for_the_holder(tmp_path: Path) -> None:
    holder = hold(tmp_path, 1.5)
    started = time.monotonic()
    try:
        with project_lock(tmp_path, "patient", wait_s=30):
            waited = time.monotonic() - started
            assert '"what": "patient"' in (tmp_path / LOCK_FILE).read_text()
    finally:
        holder.wait()
    assert 0.5 < waited < 30  # it waited for the holder's release, not for the limit


def test_stage_commands_and_the_flow_honour_the_lock(prefect_server: None,
                                                     tmp_path: Path) -> None:
    """What `dvc repro` runs (python -m stages.NAME) and the loop flow are refused while
    another run holds the project: nothing is ingested, nothing is registered."""
    from flows.loop import tuneloop_flow

    project = make_project(tmp_path / "project")
    holder = hold(project, 60)
    try:
        stage = subprocess.run([sys.executable, "-m", "stages.ingest", "--root", str(project),
                                "--params", str(project / "params.yaml")],
                               capture_output=True, text=True, cwd=REPO)
        assert stage.returncode == 1
        lines = stage.stderr.strip().splitlines()
        assert len(lines) == 1 and "another tuneloop run holds this project" in lines[0]
        with pytest.raises(ProjectBusy, match=f"pid {holder.pid}"):
            tuneloop_flow(root=str(project))
        assert not (project / "data" / "batches").exists()
        assert not (project / ".tuneloop" / "mlflow.db").exists()
    finally:
        holder.kill()
        holder.wait()


def test_the_retune_deployment_runs_one_at_a_time(tmp_path: Path) -> None:
    from deployments.deployments import RETUNE, build

    project = make_project(tmp_path / "project")
    retune = next(d for d in build(project) if d.name == RETUNE)
    limit = retune.concurrency_limit
    assert getattr(limit, "limit", limit) == 1


def test_a_lock_that_cannot_be_opened_is_one_line_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only `.tuneloop/` (a bind mount: root ignores chmod) stopped `tuneloop ingest`
    and `run` with a traceback and exit 1 (sweep 21). The fault is injected where the real lock
    file is opened; the command says which file, exit 2, and nothing is ingested."""
    import errno
    import os

    from tests.test_init_projects import tool
    from tuneloop.errors import StoreError

    real_open = os.open

    def read_only(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith(LOCK_FILE):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    project = make_project(tmp_path / "proj", months=(1, 2, 3, 4))
    batch = next((project / "data" / "incoming").glob("*"))
    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(StoreError) as err, project_lock(project, "ingest"):
        pass
    assert str(err.value) == (f"{project / LOCK_FILE}: cannot open the project's loop lock "
                              f"(Read-only file system); is {project / '.tuneloop'} writable?")
    done = tool("ingest", str(batch), cwd=project, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == f"error: {err.value}"
    assert not list((project / "data" / "batches").glob("*.parquet"))
