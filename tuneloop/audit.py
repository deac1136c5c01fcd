"""The promotion audit log and the lock that serializes registry decisions.

The log is append-only JSONL: one line per decision (gate, manual promote, forced promote,
rollback), written under an exclusive flock and fsync'ed before the decision is reported, so two
loops finishing at once cannot interleave or lose a line. The registry lock (fcntl.flock on a
file next to the MLflow store) covers read-champion + decide + move alias + append, so the alias
can never be set from a stale view of the champion.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tuneloop import jsonl
from tuneloop.errors import StoreError, TuneloopError
from tuneloop.io import flock_within

# Actions that make a version champion; rollback undoes the latest of them.
PROMOTING = frozenset({"gate", "manual", "force"})


class RegistryBusy(TuneloopError):
    """Another promotion held the registry lock for longer than the timeout."""


def now() -> str:
    return datetime.now(UTC).isoformat()


@contextmanager
def registry_lock(path: Path, timeout_s: float) -> Iterator[None]:
    """Exclusive lock across threads and processes (flock locks belong to the open file, so two
    threads opening the file separately also exclude each other)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        # A read-only store's folder: a traceback and exit 1 (a definite "no") otherwise, where
        # `tuneloop run` on the same store stops in one line (sweep 56c).
        raise StoreError(f"{path}: cannot open the registry lock ({exc.strerror or exc}): "
                         "a registry decision writes beside the MLflow store") from None
    try:
        if not flock_within(fd, timeout_s):
            raise RegistryBusy(f"{path}: registry lock still held after {timeout_s:g} s "
                               f"(promote.lock_timeout_s); another promotion is running")
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def append(path: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Append one entry (a `time` is added if absent) and fsync it; return what was written."""
    return jsonl.append(path, {"time": now(), **entry})


def read(path: Path) -> list[dict[str, Any]]:
    """Every entry, oldest first; a missing log is an empty history (tuneloop.jsonl's rules
    for a torn last line and a damaged one)."""
    return jsonl.read(path, "promotion audit log")


def champion_history(entries: list[dict[str, Any]], model_name: str) -> list[str]:
    """The stack of earlier champions, most recent last: each promotion that changed the
    champion pushes the one it replaced; each rollback pops one."""
    stack: list[str] = []
    for entry in entries:
        if entry.get("model_name") != model_name:
            continue
        before, after = entry.get("champion_before"), entry.get("champion_after")
        if entry.get("action") == "rollback":
            if stack:
                stack.pop()
        elif entry.get("action") in PROMOTING and after != before and before is not None:
            stack.append(before)
    return stack


def last_decision(entries: list[dict[str, Any]], model_name: str) -> dict[str, Any] | None:
    for entry in reversed(entries):
        if entry.get("model_name") == model_name:
            return entry
    return None
