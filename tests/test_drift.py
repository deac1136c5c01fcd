from __future__ import annotations

from stages import drift, ingest
from tuneloop.config import Params


def test_same_distribution_is_not_drift(small_params: Params,
                                        ingested: ingest.IngestResult) -> None:
    data = ingested.dataset.sample(frac=1.0, random_state=0)
    half = len(data) // 2
    report = drift.run(small_params.drift, data.iloc[:half], data.iloc[half:])
    assert report.drift is False
    assert report.drifted_features == []


def test_summer_weather_is_drift(small_params: Params, ingested: ingest.IngestResult) -> None:
    # Training on January-June, the July batch is warmer and more humid: real seasonal drift.
    report = drift.run(small_params.drift, ingested.dataset, ingested.batch)
    assert report.drift is True
    assert {"temp", "dewp"} <= set(report.drifted_features)
    by_name = {f.feature: f for f in report.features}
    assert by_name["temp"].p_value < small_params.drift.p_value
    assert "month" not in by_name  # calendar features differ by construction
