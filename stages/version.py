"""version: record the accepted data in DVC and push it to the remote; its hash is the version.

`dvc repro` versions stage outputs by itself. A Prefect run produces the same outputs outside
`dvc repro`, so this stage commits them to dvc.lock and the DVC cache (`dvc commit`) and pushes
them, which leaves `dvc repro` with nothing to do afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tuneloop.config import Params
from tuneloop.errors import TuneloopError
from tuneloop.io import file_md5

DATA_STAGES = ("ingest", "validate")
MODEL_STAGES = ("split", "tune", "evaluate", "promote", "drift")


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


def execute(params: Params, root: Path, stages: tuple[str, ...] = DATA_STAGES) -> str:
    """Version the accepted dataset; return its DVC hash (the dataset version)."""
    commit_and_push(root, stages)
    return file_md5(root / params.paths.dataset)
