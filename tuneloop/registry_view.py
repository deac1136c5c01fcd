"""Read-only views of the MLflow registry for the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tuneloop.config import Params

HOLDOUT_METRICS = ("auc", "logloss", "accuracy")


def _version_info(client: Any, name: str, alias: str) -> Any | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def champion_status(params: Params, root: Path) -> dict[str, Any]:
    import mlflow

    from tuneloop.tracking import setup

    setup(params.mlflow, root)
    client = mlflow.MlflowClient()
    name = params.promote.model_name
    version = _version_info(client, name, "champion")
    if version is None:
        return {"champion": None, "metrics": {}, "dataset_version": None, "params": {}}
    run = client.get_run(version.run_id)
    metrics = {k: run.data.metrics.get(f"holdout_{k}") for k in HOLDOUT_METRICS}
    return {
        "champion": {"name": name, "version": str(version.version), "run_id": version.run_id},
        "metrics": metrics,
        "dataset_version": version.tags.get("dataset_version"),
        "params": json.loads(version.tags.get("params", "{}")),
    }
