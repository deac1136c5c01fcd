"""The three tasks and their metrics, in one place: evaluation, tuning, the gate, slices and the
champion's re-scoring all read names, directions and formulas from here.

Predictions have one shape per task: binary, the probability of the positive class (1-D);
multiclass, one probability column per class (2-D, classes in the schema's order); regression,
the predicted value (1-D). Labels are class indices (0/1 for binary) or values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# scikit-learn is imported where a metric is computed, not here: params validation reads this
# module's names, and importing sklearn (~2.5 s) made every CLI command that loads params slow.

BINARY, MULTICLASS, REGRESSION = "binary", "multiclass", "regression"
TASKS = (BINARY, MULTICLASS, REGRESSION)
TASK_METRICS: dict[str, tuple[str, ...]] = {
    BINARY: ("auc", "logloss", "accuracy", "f1", "brier"),
    MULTICLASS: ("logloss", "accuracy", "f1_macro", "auc_ovr"),
    REGRESSION: ("rmse", "mae", "r2"),
}
ALL_METRICS = tuple(dict.fromkeys(m for ms in TASK_METRICS.values() for m in ms))
# What tuning maximises and the gate compares when params.yaml does not say.
DEFAULT_METRIC = {BINARY: "auc", MULTICLASS: "logloss", REGRESSION: "rmse"}
# Metrics LightGBM can early-stop on, as LightGBM names them.
LGB_METRIC = {(BINARY, "auc"): "auc", (BINARY, "logloss"): "binary_logloss",
              (MULTICLASS, "logloss"): "multi_logloss",
              (MULTICLASS, "accuracy"): "multi_error",
              (REGRESSION, "rmse"): "rmse", (REGRESSION, "mae"): "l1"}
# A smaller value is better; the tuner and the gate flip their sign. Everything else: higher.
LOWER_IS_BETTER = frozenset({"logloss", "brier", "rmse", "mae"})
# Areas under the ROC curve: 0.5 is chance, whatever the classes' shares.
AUC_METRICS = frozenset({"auc", "auc_ovr"})
THRESHOLD = 0.5  # binary accuracy and F1 classify at this probability
_EPS = 1e-15


def check_metric(task: str, metric: str, where: str) -> str:
    if metric not in TASK_METRICS[task]:
        raise ValueError(f"{where}: {metric!r} is not a {task} metric; one of "
                         f"{', '.join(TASK_METRICS[task])}")
    return metric


def tuning_metrics(task: str) -> tuple[str, ...]:
    return tuple(m for (t, m) in LGB_METRIC if t == task)


def higher_is_better(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


def to_maximise(metric: str, value: float) -> float:
    """The study maximises: losses enter with their sign flipped."""
    return -value if metric in LOWER_IS_BETTER else value


def clip(proba: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(proba, dtype="float64"), _EPS, 1 - _EPS)


def _binary(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

    proba = clip(proba)
    hard = proba >= THRESHOLD
    both = len(np.unique(y)) == 2
    return {
        "auc": float(roc_auc_score(y, proba)) if both else float("nan"),
        "logloss": float(log_loss(y, proba, labels=[0, 1])),
        "accuracy": float(accuracy_score(y, hard)),
        "f1": float(f1_score(y, hard, zero_division=0.0)),
        "brier": float(np.mean((proba - y) ** 2)),
    }


def _multiclass(y: np.ndarray, proba: np.ndarray, within: bool = False) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

    proba = np.clip(np.asarray(proba, dtype="float64"), _EPS, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    k = proba.shape[1]
    hard = proba.argmax(axis=1)
    present = np.unique(y)
    auc = float("nan")
    if len(present) >= 2:
        # One-vs-rest per class present in y (a class absent from a small slice has no AUC).
        aucs = [roc_auc_score(y == c, proba[:, c]) for c in present]
        auc = float(np.mean(aucs))
    return {
        "logloss": float(log_loss(y, proba, labels=list(range(k)))),
        "accuracy": float(accuracy_score(y, hard)),
        # Over the classes in the labels or the predictions, as scikit-learn's default: a
        # class predicted but absent from the holdout counts (F1 0); over the labels' alone
        # two models' F1 read 0.43 where recomputed 0.38 (sweep 50a). `within` a slice, over
        # the classes it holds: a group of one class scored 0 for each class its few misses
        # named, and a group gap read 0.555 where the accuracy gap was 0.055 (the review).
        "f1_macro": float(f1_score(y, hard, average="macro", zero_division=0.0,
                                   labels=list(present) if within else None)),
        "auc_ovr": auc,
    }


def _regression(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import mean_absolute_error, r2_score

    pred = np.asarray(pred, dtype="float64")
    y = np.asarray(y, dtype="float64")
    return {
        "rmse": float(np.sqrt(np.mean((pred - y) ** 2))),
        "mae": float(mean_absolute_error(y, pred)),
        "r2": float(r2_score(y, pred)) if len(y) > 1 and np.var(y) > 0 else float("nan"),
    }


def task_metrics(task: str, y: np.ndarray, pred: np.ndarray,
                 within: bool = False) -> dict[str, float]:
    """Every metric of the task. A metric undefined on these rows (AUC with one class, R2 of a
    constant) is NaN rather than an error, so one thin slice cannot break a report. `within`:
    the rows are a slice of a holdout (a macro average over the classes the slice holds)."""
    y = np.asarray(y)
    if task == BINARY:
        return _binary(y, pred)
    if task == MULTICLASS:
        return _multiclass(y, pred, within)
    return _regression(y, pred)


# The field a calibration table's observed side is written in, by task (dvc.yaml's plot reads
# it): a rate for classification, the target's mean for a regression.
CALIBRATION_Y = {BINARY: "observed_rate", MULTICLASS: "observed_rate",
                 REGRESSION: "observed_mean"}


def calibration_table(y_true: np.ndarray, pred: np.ndarray, bins: int,
                      task: str = BINARY) -> list[dict[str, Any]]:
    """Predicted against observed, one record per non-empty bin (the shape DVC plots read):
    binary, equal-width bins of the positive class's probability against its observed rate;
    multiclass, of the top class's probability (the confidence) against the share of rows whose
    top class is right (top-label calibration: a model saying 90% should be right 9 times in
    10); regression, bins of equal row counts over the prediction against the target's mean
    in each (a model whose predictions run too far or too short shows a slope off 1)."""
    if task == REGRESSION:
        return _regression_calibration(np.asarray(y_true, dtype="float64"),
                                       np.asarray(pred, dtype="float64"), bins)
    y_true = np.asarray(y_true)
    if task == MULTICLASS:
        proba = np.asarray(pred, dtype="float64")
        said, hit = proba.max(axis=1), (proba.argmax(axis=1) == y_true).astype("float64")
    else:
        said, hit = clip(pred), y_true.astype("float64")
    index = np.minimum((said * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            rows.append({"bin": b, "lower": b / bins, "upper": (b + 1) / bins,
                         "rows": int(mask.sum()), "mean_predicted": float(said[mask].mean()),
                         "observed_rate": float(hit[mask].mean())})
    return rows


def _regression_calibration(y: np.ndarray, pred: np.ndarray, bins: int) -> list[dict[str, Any]]:
    keep = np.isfinite(y) & np.isfinite(pred)
    y, pred = y[keep], pred[keep]
    order = np.argsort(pred, kind="stable")
    rows = []
    for b, part in enumerate(p for p in np.array_split(order, min(bins, len(order))) if len(p)):
        rows.append({"bin": b, "lower": float(pred[part].min()), "upper": float(pred[part].max()),
                     "rows": len(part), "mean_predicted": float(pred[part].mean()),
                     "observed_mean": float(y[part].mean())})
    return rows


def slice_metrics(task: str, frame: pd.DataFrame, y_true: np.ndarray, pred: np.ndarray,
                  columns: tuple[str, ...], min_rows: int) -> dict[str, dict[str, Any]]:
    """The task's metrics per value of each slice column; values with fewer than min_rows rows
    are counted but not scored, as their metrics would be noise; a metric undefined on a
    value's rows is None."""
    y_true = np.asarray(y_true)
    pred = np.asarray(pred)
    out: dict[str, dict[str, Any]] = {}
    for col in columns:
        values = frame[col].astype("string").fillna("<missing>").to_numpy()
        per: dict[str, Any] = {}
        for value in sorted(set(values)):
            mask = values == value
            n = int(mask.sum())
            entry: dict[str, Any] = {"rows": n}
            if task != MULTICLASS:
                entry["target_mean"] = float(np.asarray(y_true[mask], dtype="float64").mean())
            if n >= min_rows:
                # An undefined metric (AUC of a one-class slice) is null: a bare NaN is not
                # JSON, and readers other than Python's refuse the whole file.
                entry.update({name: value if np.isfinite(value) else None for name, value
                              in task_metrics(task, y_true[mask], pred[mask],
                                              within=True).items()})
            per[str(value)] = entry
        out[col] = per
    return out
