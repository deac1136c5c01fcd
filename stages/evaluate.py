"""evaluate: refit the best configuration and score it on the untouched holdout.

Writes the model directory (LightGBM text model + JSON metadata, no pickle) and the holdout
metrics JSON that `dvc metrics show` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from stages import split as split_stage
from stages._cli import run_main, stage_parser
from stages.tune import TuneResult, threads_per_trial
from tuneloop import lgbm
from tuneloop.config import EvaluateConfig, Params
from tuneloop.features import FEATURES, category_levels, labels
from tuneloop.io import atomic_dir, read_json, write_json
from tuneloop.metrics import binary_metrics

BOOSTER_FILE = "model.txt"
META_FILE = "model.json"


@dataclass(frozen=True)
class Evaluation:
    booster: Any
    meta: dict[str, Any]
    metrics: dict[str, float]


def run(cfg: EvaluateConfig, tuned: TuneResult, train: pd.DataFrame, valid: pd.DataFrame,
        holdout: pd.DataFrame) -> Evaluation:
    fit_on = pd.concat([train, valid], ignore_index=True) if cfg.refit_on_valid else train
    levels = category_levels(fit_on)
    rounds = max(1, tuned.best_iteration)
    booster = lgbm.fit(fit_on, levels, tuned.best_params, rounds, tuned.best_seed,
                       threads_per_trial(1))
    metrics = binary_metrics(labels(holdout), lgbm.predict(booster, holdout, levels))
    meta = {"family": "lightgbm", "params": tuned.best_params, "num_boost_round": rounds,
            "seed": tuned.best_seed, "features": list(FEATURES), "levels": levels,
            "train_rows": len(fit_on), "holdout_rows": len(holdout)}
    return Evaluation(booster=booster, meta=meta, metrics=metrics)


def write(evaluation: Evaluation, model_dir: Path, metrics_path: Path) -> None:
    with atomic_dir(model_dir) as tmp:
        evaluation.booster.save_model(str(tmp / BOOSTER_FILE))
        write_json(tmp / META_FILE, evaluation.meta)
    write_json(metrics_path, {"holdout": evaluation.metrics})


def read_metrics(metrics_path: Path) -> dict[str, float]:
    return read_json(metrics_path)["holdout"]


def execute(params: Params, root: Path) -> dict[str, float]:
    data = split_stage.read(root / params.paths.splits_dir)
    tuned = TuneResult.load(root / params.paths.tune_report)
    evaluation = run(params.evaluate, tuned, data["train"], data["valid"], data["holdout"])
    write(evaluation, root / params.paths.model_dir, root / params.paths.metrics)
    return evaluation.metrics


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
