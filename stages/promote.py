"""promote: register the challenger; it becomes `champion` only if it beats the champion.

Both are scored on the same, current holdout: the champion is loaded from the registry and
re-scored, so a champion chosen on an older holdout is not compared on stale numbers.
"""

from __future__ import annotations

import importlib.metadata
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stages import split as split_stage
from stages._cli import run_main, stage_parser
from stages.evaluate import BOOSTER_FILE, META_FILE, read_metrics
from tuneloop.config import Params, PromoteConfig
from tuneloop.features import labels
from tuneloop.io import read_json, write_json
from tuneloop.lineage import lineage_tags
from tuneloop.metrics import binary_metrics

CHAMPION = "champion"
CHALLENGER = "challenger"
_REQUIREMENTS = ("mlflow", "lightgbm", "pandas", "numpy", "scikit-learn", "pyarrow")


@dataclass(frozen=True)
class Decision:
    model_name: str
    version: str
    promoted: bool
    reason: str
    metric: str
    challenger: dict[str, float]
    champion_version: str | None = None
    champion: dict[str, float] = field(default_factory=dict)
    decided_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(cfg: PromoteConfig, challenger: dict[str, float],
           champion: dict[str, float] | None) -> tuple[bool, str]:
    """The gate: strictly better than the champion by more than min_improvement."""
    if champion is None:
        return True, "no champion yet"
    diff = challenger[cfg.metric] - champion[cfg.metric]
    if diff > cfg.min_improvement:
        return True, f"holdout {cfg.metric} +{diff:.5f} > min_improvement {cfg.min_improvement}"
    return False, (f"holdout {cfg.metric} {diff:+.5f} does not beat the champion by more than "
                   f"min_improvement {cfg.min_improvement}")


def _requirements() -> list[str]:
    return [f"{name}=={importlib.metadata.version(name)}" for name in _REQUIREMENTS]


def _log_model(model_dir: Path, holdout: pd.DataFrame, name: str) -> Any:
    import mlflow
    from mlflow.models import infer_signature

    import tuneloop
    from tuneloop import serving

    example = holdout[list(serving.SERVING_COLUMNS)].head(5)
    signature = infer_signature(example, np.zeros(len(example)))
    return mlflow.pyfunc.log_model(
        name="model", python_model=serving.__file__,
        artifacts={serving.BOOSTER_ARTIFACT: str(model_dir / BOOSTER_FILE),
                   serving.META_ARTIFACT: str(model_dir / META_FILE)},
        code_paths=[str(Path(tuneloop.__file__).parent)],
        pip_requirements=_requirements(), signature=signature, input_example=example,
        registered_model_name=name)


def champion_metrics(name: str, holdout: pd.DataFrame) -> tuple[str, dict[str, float]] | None:
    """The current champion's version and its metrics re-scored on this holdout, if any."""
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    from tuneloop.serving import SERVING_COLUMNS

    model = mlflow.pyfunc.load_model(f"models:/{name}/{version.version}")
    proba = model.predict(holdout[list(SERVING_COLUMNS)])
    return str(version.version), binary_metrics(labels(holdout), proba)


def run(cfg: PromoteConfig, model_dir: Path, metrics: dict[str, float], holdout: pd.DataFrame,
        tags: dict[str, str]) -> Decision:
    """Register the model in the current MLflow registry and move the aliases. MLflow must be
    set up by the caller (tuneloop.tracking.setup)."""
    import mlflow

    meta = read_json(model_dir / META_FILE)
    client = mlflow.MlflowClient()
    with mlflow.start_run(run_name="candidate") as run_:
        mlflow.log_params({k: str(v) for k, v in meta["params"].items()})
        mlflow.log_params({"num_boost_round": meta["num_boost_round"], "seed": meta["seed"]})
        mlflow.log_metrics({f"holdout_{k}": v for k, v in metrics.items()})
        mlflow.set_tags(tags)
        info = _log_model(model_dir, holdout, cfg.model_name)
    version = str(info.registered_model_version)
    current = champion_metrics(cfg.model_name, holdout)
    promoted, reason = decide(cfg, metrics, current[1] if current else None)
    client.set_registered_model_alias(cfg.model_name, CHAMPION if promoted else CHALLENGER, version)
    version_tags = {**tags, "decision": "promoted" if promoted else "rejected", "reason": reason,
                    "run_id": run_.info.run_id,
                    "params": json.dumps(meta["params"], sort_keys=True)}
    for key, value in version_tags.items():
        client.set_model_version_tag(cfg.model_name, version, key, value)
    return Decision(model_name=cfg.model_name, version=version, promoted=promoted, reason=reason,
                    metric=cfg.metric, challenger=metrics,
                    champion_version=current[0] if current else None,
                    champion=current[1] if current else {})


def execute(params: Params, root: Path) -> Decision:
    from tuneloop.tracking import setup

    setup(params.mlflow, root)
    holdout = split_stage.read(root / params.paths.splits_dir, ("holdout",))["holdout"]
    decision = run(params.promote, root / params.paths.model_dir,
                   read_metrics(root / params.paths.metrics), holdout,
                   lineage_tags(params, root))
    write_json(root / params.paths.promotion, decision.to_dict())
    return decision


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
