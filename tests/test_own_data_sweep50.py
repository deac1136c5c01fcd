"""Findings of the own-data sweeps of session 33 (50a, 50b) and the carried ones it fixed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tuneloop.metrics import MULTICLASS


def test_holdout_predictions_name_each_class_and_are_read_by_position(tmp_path: Path) -> None:
    """Sweep 49a (F2): a multiclass model's saved holdout predictions were columns '0', '1',
    '2': which class each was had to be looked up in the model's metadata. They are named by
    the class labels now; the gate still reads them by position, so the order is the schema's.
    Labels that print alike fall back to positions rather than two columns of one name."""
    from stages.evaluate import prediction_columns, write_predictions
    from stages.promote import scored_predictions

    pred = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    write_predictions(tmp_path / "holdout_predictions.parquet", pred, ["setosa", "virginica", 3])
    frame = pd.read_parquet(tmp_path / "holdout_predictions.parquet")
    assert list(frame.columns) == ["setosa", "virginica", "3"]
    np.testing.assert_array_equal(scored_predictions(tmp_path, 2), pred)
    assert prediction_columns([1, "1", 2], 3) == ["0", "1", "2"]
    assert prediction_columns(["a", "b"], 3) == ["0", "1", "2"]
    write_predictions(tmp_path / "binary.parquet", np.array([0.2, 0.9]), [0, 1])
    assert list(pd.read_parquet(tmp_path / "binary.parquet").columns) == ["pred"]


def test_a_target_averaging_two_columns_is_named_by_that_pair_not_a_weaker_one() -> None:
    """Sweep 50a (F1): hfi's hf_score is (pf_score + ef_score) / 2 exactly, yet init named
    'pf_score' and a rank column together (R^2 0.990, 'nearly') and advised excluding them,
    leaving ef_score in: ef_score was neither among the four columns most correlated with the
    target nor among the heaviest of a fit of all 124 collinear columns (its parts beside it
    took its weight), and the first pair over the bar was named. A forward selection adds it
    to the candidates, and the pair that gives the target best is named."""
    from tuneloop.leakage import combined

    rng = np.random.default_rng(0)
    n = 1_500
    personal = rng.normal(7, 1.2, n)
    parts = rng.normal(0, 1, (n, 12))
    economic = parts.sum(axis=1) / 6 + 6.5      # an index of its parts, listed beside it
    frame = pd.DataFrame({"pf_score": personal, "ef_score": economic,
                          **{f"ef_part{i}": parts[:, i] for i in range(12)}})
    for i in range(3):
        frame[f"pf_rank{i}"] = -personal + rng.normal(0, 0.3 * (i + 1), n)
    # A rank that follows both scores: with pf_score it gives the target at R^2 0.994.
    frame["ef_rank"] = -(economic + 0.3 * (personal - 7)) + rng.normal(0, 0.1, n)
    frame["hf_score"] = (personal + economic) / 2
    features = [c for c in frame.columns if c != "hf_score"]
    [note] = combined(frame, features, "hf_score", "regression")
    assert "'pf_score', 'ef_score' together give the target almost exactly" in note
    assert note.endswith("--exclude pf_score,ef_score")


def test_macro_f1_counts_a_class_predicted_but_absent_from_the_holdout() -> None:
    """Sweep 50a (F3): f1_macro averaged over the classes in the holdout's labels only, so a
    class the model predicted that the holdout lacks was left out of the mean (rpdr 0.4305
    reported, 0.3827 recomputed with scikit-learn's default). It is scikit-learn's now."""
    from sklearn.metrics import f1_score

    from tuneloop.metrics import task_metrics

    y = np.array([0, 0, 1, 1, 0, 1])
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.2, 0.7, 0.1],
                      [0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.3, 0.6, 0.1]])
    got = task_metrics(MULTICLASS, y, proba)["f1_macro"]
    assert got == f1_score(y, proba.argmax(axis=1), average="macro")
    assert got < f1_score(y, proba.argmax(axis=1), average="macro", labels=[0, 1])
    # The gate's figure is the same number, and its resamples count the class so too.
    from tuneloop.gate import weighted_scorer

    scorer = weighted_scorer("f1_macro", y, proba)
    assert scorer(np.ones(len(y))) == pytest.approx(got)
    assert scorer(np.array([1.0, 0, 1, 1, 1, 1])) == pytest.approx(
        f1_score(np.delete(y, 1), np.delete(proba.argmax(axis=1), 1), average="macro"))
