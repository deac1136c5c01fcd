"""What a flight looks like to a model, known at scheduling time.

Shared by the training stages and the served model, so the two can never disagree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

LABEL = "late"  # arrival more than 15 minutes after schedule
KEY = "flight_id"
TIME = "time_hour"
LATE_MINUTES = 15

# Known only after departure: never a feature, and a batch carrying them is rejected.
LEAKAGE_COLUMNS = ("dep_time", "dep_delay", "arr_time", "air_time", "arr_delay")

WEATHER_COLUMNS = (
    "temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib",
)
CATEGORICAL_FEATURES = ("carrier", "origin", "dest")
NUMERIC_FEATURES = (
    "month", "day_of_week", "day_of_year", "dep_hour", "dep_minute", "arr_hour", "distance",
    *WEATHER_COLUMNS,
)
FEATURES = (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES)

# Columns of the ingested dataset (the raw batch a served model also accepts).
BATCH_COLUMNS = (
    KEY, TIME, "year", "month", "day", "sched_dep_time", "sched_arr_time", "carrier", "flight",
    "origin", "dest", "distance", *WEATHER_COLUMNS,
)


def category_levels(frame: pd.DataFrame) -> dict[str, list[str]]:
    """The category levels seen in training; the served model maps anything else to missing."""
    return {col: sorted(frame[col].dropna().astype(str).unique().tolist())
            for col in CATEGORICAL_FEATURES}


def make_features(batch: pd.DataFrame, levels: dict[str, list[str]]) -> pd.DataFrame:
    """Turn an ingested batch into the model's feature frame, columns in FEATURES order."""
    when = pd.to_datetime(
        dict(year=batch["year"], month=batch["month"], day=batch["day"]), errors="coerce"
    )
    out = pd.DataFrame(index=batch.index)
    out["month"] = batch["month"].astype("float64")
    out["day_of_week"] = when.dt.dayofweek.astype("float64")
    out["day_of_year"] = when.dt.dayofyear.astype("float64")
    out["dep_hour"] = (batch["sched_dep_time"] // 100).astype("float64")
    out["dep_minute"] = (batch["sched_dep_time"] % 100).astype("float64")
    out["arr_hour"] = (batch["sched_arr_time"] // 100).astype("float64")
    out["distance"] = batch["distance"].astype("float64")
    for col in WEATHER_COLUMNS:
        out[col] = batch[col].astype("float64").replace([np.inf, -np.inf], np.nan)
    for col in CATEGORICAL_FEATURES:
        out[col] = pd.Categorical(batch[col].astype("string"), categories=levels[col])
    return out[list(FEATURES)]


def labels(batch: pd.DataFrame) -> np.ndarray:
    return batch[LABEL].to_numpy(dtype="int8")


def plain(value: Any) -> Any:
    """numpy scalars to Python ones, for LightGBM, MLflow and JSON."""
    return value.item() if isinstance(value, np.generic) else value
