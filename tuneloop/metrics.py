"""Holdout metrics, in one place so evaluation, the gate and the champion's re-scoring agree."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

HOLDOUT_METRICS = ("auc", "logloss", "accuracy", "f1", "brier")
# Metrics where a smaller value is better; the gate flips their sign to compare improvements.
LOWER_IS_BETTER = frozenset({"logloss", "brier"})
THRESHOLD = 0.5  # accuracy and F1 classify at this probability
_EPS = 1e-15


def clip(proba: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(proba, dtype="float64"), _EPS, 1 - _EPS)


def binary_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """AUC, log loss, accuracy, F1 and Brier score. AUC is NaN when only one class is present
    (a small slice), rather than an error, so one thin slice cannot break a report."""
    y_true = np.asarray(y_true)
    proba = clip(proba)
    hard = proba >= THRESHOLD
    both = len(np.unique(y_true)) == 2
    return {
        "auc": float(roc_auc_score(y_true, proba)) if both else float("nan"),
        "logloss": float(log_loss(y_true, proba, labels=[0, 1])),
        "accuracy": float(accuracy_score(y_true, hard)),
        "f1": float(f1_score(y_true, hard, zero_division=0.0)),
        "brier": float(np.mean((proba - y_true) ** 2)),
    }


def calibration_table(y_true: np.ndarray, proba: np.ndarray, bins: int) -> list[dict[str, Any]]:
    """Equal-width probability bins: mean predicted vs observed rate, one row per non-empty bin
    (a list of records, the shape DVC plots read)."""
    proba = clip(proba)
    y_true = np.asarray(y_true, dtype="float64")
    index = np.minimum((proba * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            rows.append({"bin": b, "lower": b / bins, "upper": (b + 1) / bins,
                         "rows": int(mask.sum()), "mean_predicted": float(proba[mask].mean()),
                         "observed_rate": float(y_true[mask].mean())})
    return rows


def slice_metrics(frame: pd.DataFrame, y_true: np.ndarray, proba: np.ndarray,
                  columns: tuple[str, ...], min_rows: int) -> dict[str, dict[str, Any]]:
    """Metrics per value of each slice column (e.g. per carrier, per origin airport); values
    with fewer than min_rows rows are counted but not scored, as their metrics would be noise."""
    y_true = np.asarray(y_true)
    proba = np.asarray(proba)
    out: dict[str, dict[str, Any]] = {}
    for col in columns:
        values = frame[col].astype("string").fillna("<missing>").to_numpy()
        per: dict[str, Any] = {}
        for value in sorted(set(values)):
            mask = values == value
            n = int(mask.sum())
            entry: dict[str, Any] = {"rows": n, "positive_rate": float(y_true[mask].mean())}
            if n >= min_rows:
                entry.update(binary_metrics(y_true[mask], proba[mask]))
            per[str(value)] = entry
        out[col] = per
    return out
