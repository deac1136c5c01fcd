"""Preflight: a store, artifact root or DVC remote the run cannot write to stops it before any
stage runs, in one line naming the resource. Real SQLite stores, real folders made immutable
(`chattr +i`: as root, `chmod` does not stop writes), a real lock held by another connection,
real git and DVC projects."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import SMALL, make_project, write_params
from tuneloop import jsonl, preflight
from tuneloop.config import load_params
from tuneloop.errors import StoreError


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """The file or folder cannot be written, even by root, until the block ends."""
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"chattr +i {path} failed ({done.stderr.strip()}): this test needs a "
                    "file system with immutable files (ext4, xfs)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _store(root: Path) -> Path:
    db = root / ".tuneloop" / "mlflow.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
    conn.commit()
    conn.close()
    return db


def test_a_read_only_store_or_artifact_root_is_named(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path, SMALL))
    db = _store(tmp_path)
    preflight.check(params, tmp_path, remote=False)  # all writable: passes
    with immutable(db), pytest.raises(StoreError) as caught:
        preflight.check(params, tmp_path, remote=False)
    assert str(caught.value).startswith(f"{db}: the MLflow store is read-only")
    with immutable(db.parent), pytest.raises(StoreError) as caught:
        preflight.check(params, tmp_path, remote=False)
    assert str(caught.value).startswith(f"{db.parent}: the MLflow store's folder is not writable")
    artifacts = tmp_path / params.mlflow.artifact_root
    artifacts.mkdir(parents=True, exist_ok=True)
    with immutable(artifacts), pytest.raises(StoreError) as caught:
        preflight.check(params, tmp_path, remote=False)
    assert str(caught.value).startswith(f"{artifacts}: the MLflow artifact root is not writable")


def test_a_store_held_by_another_writer_is_named_after_the_busy_wait(tmp_path: Path) -> None:
    db = _store(tmp_path)
    holder = sqlite3.connect(db, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as caught:
            preflight.sqlite_store(db, busy_wait_s=0.5)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(caught.value).startswith(f"{db}: the MLflow store is locked by another process")
    preflight.sqlite_store(db, busy_wait_s=0.5)  # released: passes


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=root,
                   check=True, capture_output=True)


def test_a_missing_remote_that_held_versions_is_an_error_not_recreated(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    _git(root, "init", "-q")
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=root, check=True)
    shutil.copy(Path(__file__).resolve().parents[1] / ".dvc" / "config", root / ".dvc" / "config")
    remote = root / ".tuneloop" / "dvc-remote"
    assert preflight.local_remote(root) == remote
    preflight.dvc_remote(root)  # a new project: nothing recorded yet, the remote is made
    assert remote.is_dir()
    shutil.rmtree(remote)

    # Committed DVC outputs that were never pushed (a `tuneloop init` project): still a start.
    (root / "data.txt").write_text("batch\n")
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "data.txt"], cwd=root, check=True)
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "a version")
    preflight.dvc_remote(root)
    assert remote.is_dir()
    # Pushed (the version stage records each push), then the remote disappears: an error.
    from stages import version

    version._dvc(root, "push", "--quiet")  # how the version stage pushes
    assert (root / preflight.PUSHES).exists()
    shutil.rmtree(remote)
    with pytest.raises(StoreError) as caught:
        preflight.dvc_remote(root)
    message = str(caught.value)
    assert message.startswith(f"{remote}: the DVC remote is missing") and "\n" not in message
    assert not remote.exists()  # not silently re-created


def test_the_loop_stops_at_preflight_before_any_stage(tmp_path: Path,
                                                      prefect_server: None) -> None:
    """A read-only store is found before ingest: nothing is ingested, versioned or trained."""
    from flows.loop import tuneloop_flow

    project = make_project(tmp_path / "project")
    db = _store(project)
    before = sorted(p.relative_to(project) for p in project.rglob("*")
                    if ".git" not in p.parts and ".dvc" not in p.parts)
    with immutable(db), pytest.raises(StoreError) as caught:
        tuneloop_flow(root=str(project))
    assert str(caught.value).startswith(f"{db}: the MLflow store is read-only")
    after = sorted(p.relative_to(project) for p in project.rglob("*")
                   if ".git" not in p.parts and ".dvc" not in p.parts
                   and "prefect" not in p.parts and p.name != "loop.lock"
                   and p.name != "runs.jsonl")
    assert after == before
    # The only trace: the run's own record, a failed run naming the store (tuneloop history).
    (record,) = jsonl.read(project / ".tuneloop" / "runs.jsonl", "loop run history")
    assert record["status"] == "failed" and record["error"].startswith(
        f"StoreError: {db}: the MLflow store is read-only")


def test_a_tracking_server_that_does_not_answer_is_named_in_seconds_not_minutes() -> None:
    """MLflow's client retried an unreachable server for ~256 s before its one line."""
    import socket
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(StoreError) as err:
        preflight.tracking_server(f"http://127.0.0.1:{port}", tries=(0.0, 0.1))
    assert time.monotonic() - started < 10
    assert str(err.value).startswith(f"http://127.0.0.1:{port}: the MLflow tracking server "
                                     "does not answer (")
    assert "mlflow.tracking_uri" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(StoreError) as err:  # credentials are MLflow's, never printed
        preflight.tracking_server(f"http://alice:s3cret@127.0.0.1:{port}", tries=(0.0,))
    assert "s3cret" not in str(err.value) and "Connection refused" in str(err.value)

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:  # a server that answers, whatever it says, is for MLflow's client to judge
        preflight.tracking_server(f"http://127.0.0.1:{server.server_port}", tries=(0.0,))
        preflight.tracking_server(f"http://alice:s3cret@127.0.0.1:{server.server_port}/mlflow",
                                  tries=(0.0,))
    finally:
        server.shutdown()
        server.server_close()
