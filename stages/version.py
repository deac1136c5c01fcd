"""version: record the accepted data in DVC and push it to the remote; its hash is the version.

`dvc repro` versions stage outputs by itself. A Prefect run produces the same outputs outside
`dvc repro`, so this stage commits them to dvc.lock and the DVC cache (`dvc commit`) and pushes
them, which leaves `dvc repro` with nothing to do afterwards.
"""

from __future__ import annotations

from pathlib import Path

from tuneloop.config import Params
from tuneloop.errors import TuneloopError
from tuneloop.io import file_md5

DATA_STAGES = ("ingest", "validate")
MODEL_STAGES = ("split", "tune", "evaluate", "promote", "drift")


class VersioningError(TuneloopError):
    """DVC could not commit or push."""


def commit_and_push(root: Path, stages: tuple[str, ...], push: bool = True) -> None:
    """`dvc commit` the named dvc.yaml stages (outputs already on disk), then `dvc push` them."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with Repo(str(root)) as repo:
            for stage in stages:
                repo.commit(stage, force=True)
            if push:
                repo.push(targets=list(stages))
    except DvcException as exc:
        raise VersioningError(
            f"{root / 'dvc.yaml'}: dvc could not version {stages}: {exc}") from None


def execute(params: Params, root: Path, stages: tuple[str, ...] = DATA_STAGES) -> str:
    """Version the accepted dataset; return its DVC hash (the dataset version)."""
    commit_and_push(root, stages)
    return file_md5(root / params.paths.dataset)
