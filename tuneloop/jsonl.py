"""Append-only JSONL files (the study journal, the promotion audit log, the dataset versions,
the batch ledger): one writer rule and one reader rule for all of them.

Writes: one line per entry, appended under an exclusive flock and fsync'ed before the caller
goes on (or, asked with `sync=False`, left to the next synced append); a torn last line (a
writer that died mid-write) is cut before appending, so the next entry is never glued onto it.
Reads: a torn last line is skipped; a bad line anywhere else is an error naming the file and
the line, because the file was edited or damaged.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from tuneloop.errors import DataError


def _drop_torn_tail(fd: int) -> None:
    size = os.fstat(fd).st_size
    if not size or os.pread(fd, 1, size - 1) == b"\n":
        return  # the usual case: one byte read, not the tail (a study appends thousands)
    chunk = min(size, 1 << 20)
    tail = os.pread(fd, chunk, size - chunk)
    if not tail.endswith(b"\n"):
        os.ftruncate(fd, size - chunk + tail.rfind(b"\n") + 1)


def append(path: Path | str, entry: dict[str, Any], sync: bool = True) -> dict[str, Any]:
    """Append one entry and fsync it; return it. `sync=False` leaves the fsync to the next
    synced append, which makes this line durable too: a killed process loses nothing (the line
    is in the OS's cache); a power loss before that sync can cost the unsynced lines at the end
    of the file, never an earlier synced one."""
    path = Path(path)
    line = (json.dumps(entry, sort_keys=True, default=str) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            _drop_torn_tail(fd)
            os.write(fd, line)
            if sync:
                os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    return entry


def read(path: Path | str, what: str = "file") -> list[dict[str, Any]]:
    """Every entry, oldest first; a missing file is empty. `what` names the file in errors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    lines = text.split("\n")
    torn = lines.pop()  # "" when the file ends with a newline, else the torn last line
    del torn
    entries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            raise DataError(f"{path}: line {number} is not valid JSON; the {what} was edited or "
                            "damaged") from None
    return entries
