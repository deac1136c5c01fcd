"""version: record the accepted data in DVC and push it to the remote; its hash is the version.

Accepted batches are tracked with `dvc add` (data.batches), the training window is the
`dataset` stage's output. `dvc repro` versions stage outputs by itself. A Prefect run
produces the same outputs outside `dvc repro`, so this stage commits them to dvc.lock and the
DVC cache (`dvc commit`) and pushes them, which leaves `dvc repro` with nothing to do
afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tuneloop import jsonl, preflight
from tuneloop.config import Params
from tuneloop.errors import TuneloopError
from tuneloop.features import BATCH_COLUMN
from tuneloop.io import file_md5, read_parquet
from tuneloop.recovery import kept_while_rewritten

DATA_STAGES = ("dataset",)
MODEL_STAGES = ("split", "tune", "evaluate", "promote", "drift", "plots")


class VersioningError(TuneloopError):
    """DVC could not add, commit or push."""


def _dvc(root: Path, *args: str) -> None:
    # A subprocess in the project's directory: DVC resolves paths against the working
    # directory, which a flow serving several projects must not change under its threads.
    # DVC rewrites dvc.lock and .dvc files in place: a copy of each is kept until it is done,
    # so a kill mid-write leaves the last good one (tuneloop.recovery puts it back).
    rewritten = [root / "dvc.lock"] + [root / (a if a.endswith(".dvc") else f"{a}.dvc")
                                       for a in args[1:] if not a.startswith("-")] \
        if args[0] in ("add", "commit") else []
    with kept_while_rewritten(rewritten):
        done = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root,
                              capture_output=True, text=True,
                              env={**os.environ, "DVC_NO_ANALYTICS": "1"})
    if done.returncode != 0:
        lines = [ln.strip() for ln in f"{done.stdout}\n{done.stderr}".splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("ERROR")]
        reason = (errors or lines or [f"exit code {done.returncode}"])[-1]
        raise VersioningError(f"{root / 'dvc.yaml'}: dvc {args[0]} failed: {reason}")
    if args[0] == "push":
        preflight.record_push(root)  # from now on a missing remote is an error, not a start


def commit_and_push(root: Path, stages: tuple[str, ...], push: bool = True) -> None:
    """`dvc commit` the named dvc.yaml stages (outputs already on disk), then `dvc push` them."""
    _dvc(root, "commit", "--force", "--quiet", *stages)
    if push:
        _dvc(root, "push", "--quiet", *stages)


def track_batches(root: Path, batches: str) -> None:
    """`dvc add` the accepted batches folder and push it: every accepted batch is kept in the
    DVC cache and remote, not only the window trained on."""
    if (root / batches).is_dir():
        _dvc(root, "add", "--quiet", batches)
        _dvc(root, "push", "--quiet", f"{batches}.dvc")


def _period(dataset: Path, time: str | None) -> tuple[int, int, str | None, str | None]:
    frame = read_parquet(dataset, columns=[BATCH_COLUMN, *([time] if time else [])])
    if frame.empty or time is None:
        return len(frame), int(frame[BATCH_COLUMN].nunique()), None, None
    times = frame[time]
    return (len(frame), int(frame[BATCH_COLUMN].nunique()), times.min().isoformat(),
            times.max().isoformat())


def read_versions(path: Path) -> list[dict[str, Any]]:
    """The accepted dataset versions, oldest first (empty before the first accepted batch)."""
    return jsonl.read(path, "dataset versions file")


def record_version(params: Params, root: Path, dataset_version: str) -> dict[str, Any]:
    """Add the dataset to the versions file unless it is already the latest entry."""
    path = root / params.paths.data_versions
    versions = read_versions(path)
    if versions and versions[-1]["dataset_version"] == dataset_version:
        return versions[-1]
    rows, batches, first, last = _period(root / params.paths.dataset, params.data.time)
    entry = {"dataset_version": dataset_version, "path": params.paths.dataset, "rows": rows,
             "batches": batches, "first": first, "last": last,
             "versioned_at": datetime.now(UTC).isoformat()}
    return jsonl.append(path, entry)


def execute(params: Params, root: Path, stages: tuple[str, ...] = DATA_STAGES) -> str:
    """Version the accepted batches and the training window (DVC add/commit + push), list the
    window in the versions file and return its DVC hash (the dataset version)."""
    track_batches(root, params.data.batches)
    commit_and_push(root, stages)
    dataset_version = file_md5(root / params.paths.dataset)
    record_version(params, root, dataset_version)
    return dataset_version
