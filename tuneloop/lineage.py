"""What ties a model to the data and code it came from: tags on its MLflow run and version."""

from __future__ import annotations

from pathlib import Path

from tuneloop.config import Params
from tuneloop.io import file_md5


def lineage_tags(params: Params, root: Path) -> dict[str, str]:
    return {"dataset_version": file_md5(root / params.paths.dataset),
            "dataset_path": params.paths.dataset}
