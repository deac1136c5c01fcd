"""The served model: raw flight batch in, probability of a late arrival out.

Logged to MLflow as "models from code": this file is the model's definition, the LightGBM text
model and its JSON metadata are its artifacts, and nothing is pickled. Feature engineering is
inside, so `mlflow.pyfunc.load_model("models:/NAME@champion").predict(batch)` needs nothing else.
"""

from __future__ import annotations

import json
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from tuneloop.features import make_features

BOOSTER_ARTIFACT = "booster"
META_ARTIFACT = "meta"
SERVING_COLUMNS = (
    "year", "month", "day", "sched_dep_time", "sched_arr_time", "carrier", "origin", "dest",
    "distance", "temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip",
    "pressure", "visib",
)


class FlightDelayModel(PythonModel):
    def load_context(self, context: Any) -> None:
        import lightgbm as lgb

        self._booster = lgb.Booster(model_file=context.artifacts[BOOSTER_ARTIFACT])
        with open(context.artifacts[META_ARTIFACT], encoding="utf-8") as fh:
            self._levels = json.load(fh)["levels"]

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> np.ndarray:
        return self._booster.predict(make_features(model_input, self._levels))


mlflow.models.set_model(FlightDelayModel())
