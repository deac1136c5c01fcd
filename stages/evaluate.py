"""evaluate: refit the best configuration and score it on the untouched holdout.

Refits whichever model family tuning chose. Writes the model directory (LightGBM text model,
or torch state_dict + JSON; our JSON metadata, with the feature schema and the dataset spec the
served model needs; no pickle), the metrics JSON that `dvc metrics show` reads (numbers only),
the tables (per-slice metrics) in a second JSON, and, for a binary task, the calibration table
as DVC plot data. The promote stage logs all of them to MLflow.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stages._cli import run_main, stage_parser
from tuneloop import families
from tuneloop.config import DataConfig, EvaluateConfig, Params
from tuneloop.errors import ConfigError
from tuneloop.families import LIGHTGBM, META_FILE
from tuneloop.features import Schema
from tuneloop.io import atomic_dir, write_json
from tuneloop.metrics import BINARY, calibration_table, slice_metrics, task_metrics
from tuneloop.records import TuneResult, read_splits, threads_per_trial

LATENCY_ROWS = 1000
HOLDOUT_PREDICTIONS = "holdout_predictions.parquet"


def write_predictions(path: Path, pred: Any) -> None:
    values = np.asarray(pred, dtype="float64")
    frame = pd.DataFrame(values if values.ndim == 2 else {"pred": values})
    frame.columns = [str(c) for c in frame.columns]
    frame.to_parquet(path, index=False)


@dataclass(frozen=True)
class Evaluation:
    model: Any                           # LightGBM Booster, or (torch module, encoder)
    meta: dict[str, Any]
    metrics: dict[str, float]            # the task's holdout metrics
    cost: dict[str, float]               # latency_ms_per_1k, size_bytes
    tables: dict[str, Any]               # per-slice metrics
    calibration: list[dict[str, Any]]    # binary only; empty otherwise
    holdout_pred: Any = None             # the scored model's holdout predictions (the gate's)

    def report(self) -> dict[str, Any]:
        """The metrics file: numbers only, so `dvc metrics show/diff` can read every entry."""
        return {"holdout": self.metrics, "model": self.cost,
                "rows": {"train": self.meta["train_rows"], "holdout": self.meta["holdout_rows"]}}


def prediction_latency_ms(predict: Any, frame: pd.DataFrame, repeats: int) -> float:
    """Median milliseconds to score 1,000 rows, feature engineering included (what serving
    pays). Rows are repeated when the holdout is smaller. A figure, not a test assertion."""
    batch = frame.sample(n=LATENCY_ROWS, replace=len(frame) < LATENCY_ROWS, random_state=0)
    predict(batch.head(10))  # warm-up: first call pays one-off costs
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        predict(batch)
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.median(timings))


def dir_size_bytes(directory: Path) -> int:
    """Model size: the bytes of its saved files, i.e. what the registry stores and serving loads."""
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())


def save_model(model: Any, directory: Path, meta: dict[str, Any]) -> None:
    """The family's own safe format (LightGBM text; torch state_dict + JSON, loaded with
    weights_only=True), plus our JSON metadata naming the family. Never pickle."""
    family = meta.get("family", LIGHTGBM)
    families.save(family, model, directory, meta["params"], meta["seed"])
    write_json(directory / META_FILE, meta)


def run(cfg: EvaluateConfig, spec: DataConfig, tuned: TuneResult, train: pd.DataFrame,
        valid: pd.DataFrame, holdout: pd.DataFrame) -> Evaluation:
    missing = [col for col in cfg.slices if col not in holdout.columns]
    if missing:
        raise ConfigError(f"evaluate.slices: holdout has no column {missing[0]!r}")
    fit_on = pd.concat([train, valid], ignore_index=True) if cfg.refit_on_valid else train
    schema = Schema.fit(spec, fit_on)
    rounds = max(1, tuned.best_iteration)  # boosting rounds, or epochs for the torch MLP
    model = families.refit(tuned.family, fit_on, schema, tuned.best_params, rounds,
                           tuned.best_seed, threads_per_trial(1))

    def predict(frame: pd.DataFrame) -> Any:
        return families.predict(tuned.family, model, frame, schema)

    y = schema.labels(holdout, "holdout")
    pred = predict(holdout)
    scored_rows = len(fit_on)
    if cfg.refit_on_holdout:
        # Scored first, refit after: the holdout figures (and the gate, which reads
        # `holdout_pred`) are for the fit that never saw the holdout; the saved model is the
        # same configuration fit on the holdout too, so it serves the next batch with the
        # newest one learnt. Same schema: categories unseen before the holdout stay unseen.
        fit_on = pd.concat([fit_on, holdout], ignore_index=True)
        model = families.refit(tuned.family, fit_on, schema, tuned.best_params, rounds,
                               tuned.best_seed, threads_per_trial(1))
    meta = {"family": tuned.family, "params": tuned.best_params, "num_boost_round": rounds,
            "seed": tuned.best_seed, "schema": schema.to_dict(),
            "data": spec.model_dump(mode="json"), "train_rows": len(fit_on),
            "scored_train_rows": scored_rows, "holdout_rows": len(holdout),
            "refit_on_holdout": cfg.refit_on_holdout,
            # Which study chose it (its MLflow run), so the candidate run links back to it.
            "study_run_id": tuned.parent_run_id, "best_trial": tuned.best_trial}
    with tempfile.TemporaryDirectory() as tmp:
        save_model(model, Path(tmp), meta)
        size = dir_size_bytes(Path(tmp))
    cost = {"latency_ms_per_1k": prediction_latency_ms(predict, holdout, cfg.latency_repeats),
            "size_bytes": size}
    return Evaluation(
        model=model, meta=meta, metrics=task_metrics(schema.task, y, pred), cost=cost,
        tables={"slices": slice_metrics(schema.task, holdout, y, pred, tuple(cfg.slices),
                                        cfg.min_slice_rows)},
        calibration=calibration_table(y, pred, cfg.calibration_bins)
        if schema.task == BINARY else [], holdout_pred=pred)


def write(evaluation: Evaluation, model_dir: Path, metrics_path: Path,
          evaluation_path: Path | None = None, calibration_path: Path | None = None) -> None:
    with atomic_dir(model_dir) as tmp:
        save_model(evaluation.model, tmp, evaluation.meta)
        if evaluation.meta.get("refit_on_holdout") and evaluation.holdout_pred is not None:
            # The gate's evidence travels with the model it vouches for: the saved model has
            # seen the holdout, so promote reads these instead of re-scoring it.
            write_predictions(tmp / HOLDOUT_PREDICTIONS, evaluation.holdout_pred)
    if evaluation_path is not None:
        write_json(evaluation_path, {**evaluation.tables, "calibration": evaluation.calibration})
    if calibration_path is not None:
        write_json(calibration_path, evaluation.calibration)
    write_json(metrics_path, evaluation.report())


def execute(params: Params, root: Path) -> dict[str, float]:
    data = read_splits(root / params.paths.splits_dir)
    tuned = TuneResult.load(root / params.paths.tune_report)
    evaluation = run(params.evaluate, params.data, tuned, data["train"], data["valid"],
                     data["holdout"])
    paths = params.paths
    write(evaluation, root / paths.model_dir, root / paths.metrics, root / paths.evaluation,
          root / paths.calibration)
    return evaluation.metrics


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
