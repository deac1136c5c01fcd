"""The served model: raw flight batch in, probability of a late arrival out.

Logged to MLflow as "models from code": this file is the model's definition, the saved model
directory is its artifact (LightGBM text model, or a torch state_dict loaded with
weights_only=True, plus JSON metadata), and nothing is pickled. Feature engineering is inside,
so `mlflow.pyfunc.load_model("models:/NAME@champion").predict(batch)` needs nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from tuneloop.families import BOOSTER_FILE, META_FILE
from tuneloop.features import make_features

MODEL_DIR_ARTIFACT = "model_dir"  # the whole model directory the evaluate stage wrote
SERVING_COLUMNS = (
    "year", "month", "day", "sched_dep_time", "sched_arr_time", "carrier", "origin", "dest",
    "distance", "temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip",
    "pressure", "visib",
)


class FlightDelayModel(PythonModel):
    def load_context(self, context: Any) -> None:
        import lightgbm as lgb

        directory = Path(context.artifacts[MODEL_DIR_ARTIFACT])
        booster_file = directory / BOOSTER_FILE
        with open(directory / META_FILE, encoding="utf-8") as fh:
            meta = json.load(fh)
        self._family = meta.get("family", "lightgbm")
        self._levels = meta["levels"]
        if self._family == "lightgbm":
            self._model = lgb.Booster(model_file=str(booster_file))
        else:
            from tuneloop import torch_mlp

            self._model = torch_mlp.load(directory)  # torch.load(..., weights_only=True)

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> np.ndarray:
        if self._family == "lightgbm":
            return self._model.predict(make_features(model_input, self._levels))
        from tuneloop import torch_mlp

        net, encoder = self._model
        return torch_mlp.predict(net, encoder, model_input)


mlflow.models.set_model(FlightDelayModel())
