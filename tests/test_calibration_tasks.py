"""Calibration tables for every task (a multiclass or regression project wrote an empty list):
the rows add up to the holdout, and a model that says what it does lies on the diagonal."""

from __future__ import annotations

import numpy as np

from tuneloop.metrics import calibration_table


def test_multiclass_is_top_label_calibration() -> None:
    rng = np.random.default_rng(0)
    n, k = 20_000, 3
    proba = rng.dirichlet(np.ones(k), size=n)
    # Labels drawn from the predicted probabilities: a calibrated model by construction.
    y = np.array([rng.choice(k, p=p) for p in proba])
    table = calibration_table(y, proba, 10, "multiclass")
    assert sum(row["rows"] for row in table) == n
    assert all(row["lower"] <= row["mean_predicted"] <= row["upper"] for row in table)
    # No bin below 1/k: the top class's probability is at least a third.
    assert min(row["lower"] for row in table) >= 0.3
    big = [row for row in table if row["rows"] >= 500]
    assert big and all(abs(row["observed_rate"] - row["mean_predicted"]) < 0.05 for row in big)
    # An overconfident model (its probabilities sharpened) is right less often than it says.
    sharp = proba ** 4 / (proba ** 4).sum(axis=1, keepdims=True)
    over = [row for row in calibration_table(y, sharp, 10, "multiclass") if row["rows"] >= 500]
    assert np.mean([row["mean_predicted"] - row["observed_rate"] for row in over]) > 0.05


def test_regression_bins_hold_equal_rows_and_show_a_shrunk_model() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(50.0, 10.0, 5_000)
    table = calibration_table(y, y + rng.normal(0, 1, len(y)), 10, "regression")
    assert [row["rows"] for row in table] == [500] * 10
    assert all(abs(row["observed_mean"] - row["mean_predicted"]) < 1.5 for row in table)
    # Predictions pulled halfway to the mean: the top bin's targets lie far above them.
    shrunk = calibration_table(y, 50.0 + 0.5 * (y - 50.0), 10, "regression")
    assert shrunk[-1]["observed_mean"] - shrunk[-1]["mean_predicted"] > 5
    assert all(row["lower"] <= row["mean_predicted"] <= row["upper"] for row in shrunk)
    # Fewer rows than bins, and a missing target, do not break it.
    few = calibration_table(np.array([1.0, np.nan, 3.0]), np.array([1.0, 2.0, 3.0]), 10,
                            "regression")
    assert [row["rows"] for row in few] == [1, 1]
