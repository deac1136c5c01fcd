"""Findings of the own-data sweeps of session 33 (50a, 50b) and the carried ones it fixed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


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
