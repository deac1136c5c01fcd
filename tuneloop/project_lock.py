"""One loop per project: an exclusive lock on the project folder, held for a whole flow run, a
drift check, a `tuneloop ingest` and each stage command `dvc repro` runs.

Two runs on one project at once (a drift event delivered twice, the cron plus a manual run)
would ingest, reset the study journal and register versions under each other's feet. The lock
is an flock on `.tuneloop/loop.lock`: the kernel drops it when its holder dies, so a lock left by
a killed process is taken over at once, and the file names the holder (pid, host, since, what)
for the one-line refusal.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tuneloop.errors import StoreError, TuneloopError
from tuneloop.io import flock_within

LOCK_FILE = ".tuneloop/loop.lock"


class ProjectBusy(TuneloopError):
    """Another tuneloop run holds the project."""


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "a run that has not said who it is"
    return (f"{info.get('what', '?')}, pid {info.get('pid', '?')} on {info.get('host', '?')}, "
            f"since {info.get('since', '?')}")


@contextmanager
def project_lock(root: Path, what: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the project's loop lock; wait up to wait_s for it, then refuse in one line."""
    path = Path(root) / LOCK_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        # A read-only or full project folder: one line naming it, never a traceback (sweep 21).
        raise StoreError(f"{path}: cannot open the project's loop lock ({exc.strerror}); "
                         f"is {path.parent} writable?") from None
    try:
        if not flock_within(fd, wait_s, poll_s=0.2):
            waited = f" after waiting {wait_s:g} s (loop.lock_wait_s)" if wait_s else ""
            raise ProjectBusy(f"{path}: another tuneloop run holds this project "
                              f"({_holder(fd)}){waited}; wait for it or stop it")
        info = {"what": what, "pid": os.getpid(), "host": socket.gethostname(),
                "since": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
