"""Holdout metrics, in one place so evaluation and the champion's re-scoring agree."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score


def binary_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    proba = np.clip(np.asarray(proba, dtype="float64"), 1e-15, 1 - 1e-15)
    return {
        "auc": float(roc_auc_score(y_true, proba)),
        "logloss": float(log_loss(y_true, proba, labels=[0, 1])),
        "accuracy": float(accuracy_score(y_true, proba >= 0.5)),
    }
