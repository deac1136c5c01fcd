"""File I/O that never leaves a half-written artifact: write beside, then rename."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from tuneloop.errors import DataError


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to target; rename it over target only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600; artifacts are shared like any file
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


OLD_SUFFIX = ".old"  # a directory being replaced, kept until its successor is in place


def previous_dir(target: Path) -> Path:
    """Where atomic_dir keeps `target` while swapping it (tuneloop.recovery restores it from
    there when a kill fell between the two renames)."""
    return target.with_name(f".{target.name}{OLD_SUFFIX}")


@contextmanager
def atomic_dir(target: Path | str) -> Iterator[Path]:
    """Like atomic_path, for a directory: the new one is built beside the old, then swapped in
    by two renames, the old deleted last. At no moment is there neither a complete old nor a
    complete new directory on disk: a kill between the renames leaves the old one as
    `.NAME.old`, which the next run puts back (tuneloop.recovery)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    old = previous_dir(target)
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        if old.exists():  # a leftover of an earlier swap: target is complete, so it is stale
            shutil.rmtree(old)
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_json(path: Path | str, payload: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: Path | str) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None


def write_parquet(path: Path | str, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, compression="zstd")


def read_parquet(path: Path | str, columns: list[str] | None = None) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found" if not path.exists() else f"{path}: not a file")
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise DataError(f"{path}: cannot read as Parquet ({type(exc).__name__}: {exc})") from None


def file_md5(path: Path | str) -> str:
    """The md5 DVC 3 records for a file output: the dataset version."""
    digest = hashlib.md5()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def flock_within(fd: int, seconds: float, poll_s: float = 0.05) -> bool:
    """Take an exclusive flock on fd, trying for up to `seconds`; False if it stayed held.
    flock locks belong to the open file, so two threads that opened it separately exclude each
    other too, and the kernel drops the lock when its holder dies."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll_s)
