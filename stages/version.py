"""version: record the accepted data in DVC and push it to the remote; its hash is the version.

`dvc repro` versions stage outputs by itself. A Prefect run produces the same outputs outside
`dvc repro`, so this stage commits them to dvc.lock and the DVC cache (`dvc commit`) and pushes
them, which leaves `dvc repro` with nothing to do afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tuneloop.config import Params
from tuneloop.errors import DataError, TuneloopError
from tuneloop.features import TIME
from tuneloop.io import atomic_path, file_md5, read_json, read_parquet

DATA_STAGES = ("ingest", "validate")
MODEL_STAGES = ("split", "tune", "evaluate", "promote", "drift", "plots")


class VersioningError(TuneloopError):
    """DVC could not commit or push."""


def _dvc(root: Path, *args: str) -> None:
    # A subprocess in the project's directory: DVC resolves paths against the working
    # directory, which a flow serving several projects must not change under its threads.
    done = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "DVC_NO_ANALYTICS": "1"})
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit code {done.returncode}"
        raise VersioningError(f"{root / 'dvc.yaml'}: dvc {args[0]} failed: {reason}")


def commit_and_push(root: Path, stages: tuple[str, ...], push: bool = True) -> None:
    """`dvc commit` the named dvc.yaml stages (outputs already on disk), then `dvc push` them."""
    _dvc(root, "commit", "--force", "--quiet", *stages)
    if push:
        _dvc(root, "push", "--quiet", *stages)


def _period(dataset: Path) -> tuple[int, str | None, str | None]:
    times = read_parquet(dataset, columns=[TIME])[TIME]
    if times.empty:
        return 0, None, None
    return len(times), times.min().isoformat(), times.max().isoformat()


def read_versions(path: Path) -> list[dict[str, Any]]:
    """The accepted dataset versions, oldest first (empty before the first accepted batch)."""
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            raise DataError(f"{path}: line {number} is not valid JSON") from None
    return entries


def record_version(params: Params, root: Path, md5: str) -> dict[str, Any]:
    """Add the accepted dataset to the versions file unless it is already the latest entry."""
    path = root / params.paths.data_versions
    versions = read_versions(path)
    if versions and versions[-1]["md5"] == md5:
        return versions[-1]
    rows, first, last = _period(root / params.paths.dataset)
    report_path = root / params.paths.validation_report
    report = read_json(report_path) if report_path.exists() else {}
    entry = {"md5": md5, "path": params.paths.dataset, "rows": rows, "first": first,
             "last": last, "months": [params.ingest.first_month, params.ingest.last_month],
             "validation_result_id": report.get("result_id"),
             "accepted_at": report.get("validated_at") or datetime.now(UTC).isoformat(),
             "versioned_at": datetime.now(UTC).isoformat()}
    with atomic_path(path) as tmp:  # rewrite whole: a crash never leaves half a line
        tmp.write_text("".join(json.dumps(e, sort_keys=True) + "\n"
                               for e in [*versions, entry]), encoding="utf-8")
    return entry


def execute(params: Params, root: Path, stages: tuple[str, ...] = DATA_STAGES) -> str:
    """Version the accepted dataset (DVC commit + push), list it in the versions file and
    return its DVC hash (the dataset version)."""
    commit_and_push(root, stages)
    md5 = file_md5(root / params.paths.dataset)
    record_version(params, root, md5)
    return md5
