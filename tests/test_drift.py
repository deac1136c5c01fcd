"""The drift check on the real flights data: the newest batch of the window against the
batches before it, feature by feature, on the features the frozen schema makes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from stages import drift
from tests.conftest import Ingested
from tuneloop.config import Params
from tuneloop.errors import DataError
from tuneloop.features import BATCH_COLUMN
from tuneloop.io import write_parquet


def test_same_distribution_is_not_drift(small_params: Params, ingested: Ingested) -> None:
    data = ingested.dataset.sample(frac=1.0, random_state=0)
    half = len(data) // 2
    report = drift.run(small_params.drift, small_params.data, data.iloc[:half],
                       data.iloc[half:])
    assert report.drift is False
    assert report.drifted_features == []
    assert report.reference_rows == half and report.batch_rows == len(data) - half


def test_summer_weather_is_drift(small_params: Params, ingested: Ingested) -> None:
    # Training on January-June, the July batch is warmer and more humid: real seasonal drift.
    report = drift.run(small_params.drift, small_params.data, ingested.dataset, ingested.batch)
    assert report.drift is True
    assert {"temp", "dewp"} <= set(report.drifted_features)
    by_name = {f.feature: f for f in report.features}
    assert by_name["temp"].p_value < small_params.drift.p_value
    assert by_name["temp"].test == "ks" and by_name["carrier"].test == "chi2"
    # Never compared: calendar parts differ by construction; the target, the id, the batch
    # number and the forbidden columns are no features.
    assert not {"time_hour__month", "time_hour", "late", "flight_id", BATCH_COLUMN} & set(by_name)
    assert report.drifted_share == len(report.drifted_features) / len(report.features)


def test_execute_compares_the_newest_batch_of_the_window(small_params: Params,
                                                         ingested: Ingested,
                                                         tmp_path: Path) -> None:
    july = ingested.batch.assign(**{BATCH_COLUMN: 6})
    window = pd.concat([ingested.dataset, july], ignore_index=True)
    write_parquet(tmp_path / small_params.paths.dataset, window)
    report = drift.execute(small_params, tmp_path)
    assert report.batch_rows == len(july)
    assert report.reference_rows == len(ingested.dataset)
    assert report.drift is True
    saved = json.loads((tmp_path / small_params.paths.drift_report).read_text())
    assert saved["drift"] is True and saved["drifted_features"] == report.drifted_features
    assert "temp" in saved["drifted_features"]


def test_drift_needs_two_batches(small_params: Params, ingested: Ingested,
                                 tmp_path: Path) -> None:
    one = ingested.dataset[ingested.dataset[BATCH_COLUMN] == 0]
    path = tmp_path / small_params.paths.dataset
    write_parquet(path, one)
    with pytest.raises(DataError) as info:
        drift.execute(small_params, tmp_path)
    assert str(info.value) == f"{path}: the drift check needs at least two batches"
