"""Settings `tuneloop init` scales to the table: the params.yaml it writes (batches, trials,
boosting rounds, the search space's ranges, row-count and positive-rate bounds, latency
limit) and the slices its report breaks metrics down by.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import yaml

from tuneloop.config import (
    AlertsConfig,
    ConstraintsConfig,
    CostConfig,
    DataConfig,
    DriftConfig,
    PolicyConfig,
)
from tuneloop.features import column_kind, feature_columns
from tuneloop.metrics import MULTICLASS
from tuneloop.search.baseline import LINEAR_GRID
from tuneloop.table.batching import MIN_BATCH_ROWS


def positive_rate_bounds(rate: float | None) -> dict[str, float]:
    """validate's positive-rate range for a binary table whose positive share is `rate`: a
    fourfold change of either class's share (a batch of one class, where the table held both,
    is an export gone wrong: sweep 6's all-'yes' CreditCard batch passed every check); the
    check widens it by sampling for small batches (tuneloop.validation.positive_counts)."""
    if rate is None:
        return {}
    return {"positive_rate_min": round(rate / 4, 6),
            "positive_rate_max": round(1 - (1 - rate) / 4, 6)}


# constraints.max_latency_ms_per_1k of a narrow table: the config's own default
BASE_LATENCY_MS: float = ConstraintsConfig.model_fields["max_latency_ms_per_1k"].default


def latency_limit(features: int, classes: int) -> float:
    """init's constraints.max_latency_ms_per_1k: 500 ms per 1,000 rows, scaled with what
    scoring a row costs: its columns made into features (per 50) and the trees each round
    grows (one per class, beyond two). A 172-column table's trials took 280-420 ms idle and
    684 ms with a second run beside them, and the flat 500 refused every trial of a user's
    run (sweep 21); a 32-class table's best trial was dropped so (sweep 20)."""
    scale = max(1.0, features / 50) * max(1.0, classes / 2)
    return float(round(BASE_LATENCY_MS * scale, -1))


# tune.budget's flat-objective stop in a made project: four completed trials in a row within
# 0.02% of the best (on the bundled project a study's completed trials spread over several AUC
# points, the nearest to the best 0.4% below it: the stop leaves such a study alone; on a
# 1.4M-row table where every configuration scored the same, ASHA pruned 14 of 20 trials as
# slow learners, and four completions came after 9 finished trials, six after 19 of 20).
FLAT_TRIALS, FLAT_TOLERANCE = 4, 0.0002


# A table of fewer rows than this tunes a linear model beside LightGBM (tuneloop.linear says
# what was measured: on tables of 200-1,000 rows the linear model often held out better; on
# 3,000-6,000 LightGBM matched or beat it).
LINEAR_BELOW_ROWS = 5_000


def search_space(rows: int, leaves_high: int, min_child_high: int) -> dict[str, Any]:
    """init's tune.search_space: LightGBM's usual six, and on a small table a `family`
    dimension with the linear family and its `alpha` (LightGBM's keys only when it is chosen)."""
    lgbm = {
        "learning_rate": {"type": "real", "low": 0.02, "high": 0.3, "prior": "log-uniform"},
        "num_leaves": {"type": "integer", "low": 7, "high": leaves_high,
                       "prior": "log-uniform"},
        "min_child_samples": {"type": "integer", "low": 2, "high": min_child_high,
                              "prior": "log-uniform"},
        "feature_fraction": {"type": "real", "low": 0.4, "high": 1.0},
        "bagging_fraction": {"type": "real", "low": 0.5, "high": 1.0},
        "lambda_l2": {"type": "real", "low": 0.001, "high": 10.0, "prior": "log-uniform"}}
    if rows >= LINEAR_BELOW_ROWS:
        return lgbm
    return {"family": {"type": "categorical", "choices": ["lightgbm", "linear"]},
            **{k: {**v, "when": {"family": ["lightgbm"]}} for k, v in lgbm.items()},
            "alpha": {"type": "real", "low": 0.001, "high": 1000.0, "prior": "log-uniform",
                      "when": {"family": ["linear"]}}}


def rows_per_period(frame: pd.DataFrame, time: str | None) -> int | None:
    """The rows one value of a coarse time holds (a panel's year, a month), as the median over
    its values; None where the time is fine-grained (more than 200 values) or absent."""
    if time is None or time not in frame.columns:
        return None
    counts = frame[time].value_counts()
    return int(counts.median()) if 3 <= len(counts) <= 200 else None


def params_yaml(name: str, spec: DataConfig, rows: int, rows_per_batch: int,
            slices: list[str], positive_rate: float | None = None,
            tune_metric: str | None = None, latency_ms: float = BASE_LATENCY_MS,
            period_rows: int | None = None) -> str:
    # split's defaults hold out one batch to validate and one to score: tuning trains on
    # the rest (a bound sized on every row let a leaf demand a third more rows than it had).
    train_rows = max(rows_per_batch, rows - 2 * rows_per_batch)
    large = rows >= 10_000
    min_child_high = int(max(10, min(200, train_rows // 20)))
    leaves_high = 255 if rows >= 20_000 else 63
    data = {k: v for k, v in spec.model_dump(mode="json").items()}
    params: dict[str, Any] = {
        "data": data,
        "paths": {
            "dataset": "data/prepared/dataset.parquet",
            "arrivals": "data/arrivals.jsonl",
            "validation_dir": "reports/validation",
            "quarantine_dir": "data/quarantine",
            "data_versions": "data/versions.jsonl",
            "splits_dir": "data/splits",
            "tune_report": "reports/tune.json",
            "journal": "reports/trials.jsonl",
            "model_dir": "models/challenger",
            "metrics": "reports/metrics.json",
            "promotion": "reports/promotion.json",
            "evaluation": "reports/evaluation.json",
            "calibration": "reports/calibration.json",
            "audit_log": ".tuneloop/promotions.jsonl",
            "decisions": ".tuneloop/decisions.jsonl",
            "studies_dir": "reports/studies",
            "drift_report": "reports/drift.json",
            "plots_dir": "reports/plots",
            "sli": "reports/sli.json",
            "pareto": "reports/pareto.json",
            "runs": ".tuneloop/runs.jsonl"},
        "validate": {"suite": f"data/suites/{name}.yaml",
                     # A fifth of a batch, or half a period of a coarse time (sweep 31: one
                     # year of 185 countries was refused where init's batches held 7 years)
                     "min_rows": int(max(1, min(1000, rows_per_batch // 5,
                                                *([max(MIN_BATCH_ROWS, period_rows // 2)]
                                                  if period_rows else [])))),
                     "max_rows": int(max(1_000_000, rows_per_batch * 20)),
                     **positive_rate_bounds(positive_rate),
                     **({"absent_class_rows": 20} if spec.task == MULTICLASS else {})},
        "split": {"valid_batches": 1, "holdout_batches": 1},
        "tune": {
            # A small table's linear grid (tuneloop.search.baseline) takes trials of its own.
            "n_trials": (24 if large else 16) + (LINEAR_GRID if rows < LINEAR_BELOW_ROWS else 0),
            "n_workers": 2, "n_initial_points": 8,
            "strategy": "gp", "seed": 42, "max_boost_rounds": 600 if large else 300,
            "early_stopping_rounds": 30, "metric": tune_metric, "max_retries": 1,
            "trial_time_limit_s": 600,
            "pruner": {"kind": "asha", "min_resource": 25, "min_epochs": 2,
                       "reduction_factor": 3, "min_trials_per_rung": 3},
            # A table where every configuration scores the same (openintro military: 1.4M rows,
            # trials of up to 566 s all within 0.01% of one log loss) stops after four completed
            # in a row (FLAT_TRIALS).
            "budget": {"wall_clock_s": None, "compute_s": None, "cost": None,
                       "flat_trials": FLAT_TRIALS, "flat_tolerance": FLAT_TOLERANCE},
            "refine": {"param": "learning_rate", "factor": 3, "start_share": 0.15, "top_k": 1},
            "warm_share": 0.34, "warm_seeds": 3, "baseline": True,
            "search_space": search_space(rows, leaves_high, min_child_high)},
        "evaluate": {"refit_on_valid": True, "calibration_bins": 10, "slices": slices,
                     "min_slice_rows": 30, "latency_repeats": 5, "refit_on_holdout": True,
                     "defaults_check_rows": 20_000},
        "promote": {"model_name": name, "metric": None, "min_improvement": 0.0,
                    "refit_tolerance": 0.002,
                    "bootstrap_samples": 1000, "confidence": 0.95, "bootstrap_seed": 42,
                    "lock_timeout_s": 120},
        # The limits tune, evaluate and the gate share (documented in the bundled params.yaml).
        "constraints": {**ConstraintsConfig().model_dump(),
                        "max_latency_ms_per_1k": latency_ms},
        # The statistics and the retraining policy: their documented defaults
        # (tuneloop/config.py; the bundled params.yaml explains each).
        "drift": DriftConfig().model_dump(),
        "policy": PolicyConfig().model_dump(),
        "schedule": {"drift_cron": "0 6 * * *", "drift_event": "tuneloop.drift.detected"},
        "loop": {"lock_wait_s": 0},
        "cost": CostConfig().model_dump(),  # no price: cost is counted in core-seconds only
        "alerts": AlertsConfig().model_dump(),  # no webhook: set alerts.webhook_env
        "mlflow": {"tracking_uri": "sqlite:///.tuneloop/mlflow.db",
                   "artifact_root": ".tuneloop/mlartifacts", "experiment": name,
                   "store_retries": 8},
    }
    header = (f"# Every knob of this tuneloop project (made by `tuneloop init` from {rows} rows).\n"
              "# data: the dataset spec; metric: null means the task's default (binary auc,\n"
              "# multiclass logloss, regression rmse). Defaults were scaled to the data's size.\n"
              + (f"# Under {LINEAR_BELOW_ROWS:,} rows a linear model (family linear, its L2 "
                 "strength alpha) is tuned beside LightGBM.\n" if rows < LINEAR_BELOW_ROWS
                 else "")
              + "# To tune the torch MLP too, add to tune.search_space\n"
              "#   family: {type: categorical, choices: [lightgbm, torch_mlp]}\n"
              "# with `when: {family: [lightgbm]}` / `when: {family: [torch_mlp]}` on each\n"
              "# family's keys (torch: hidden_units, n_layers, dropout, lr, weight_decay,\n"
              "# cat_encoding, embedding_dim); tuneloop's own params.yaml explains each knob.\n")
    return header + yaml.safe_dump(params, sort_keys=False, width=100, allow_unicode=True)


def report_slices(frame: pd.DataFrame, spec: DataConfig) -> list[str]:
    """Up to two categorical features with 2-20 levels: per-slice holdout metrics."""
    out = []
    for col in feature_columns(frame, spec):
        if column_kind(frame[col]) in ("string", "bool") and 2 <= frame[col].nunique() <= 20:
            out.append(col)
    return out[:2]
