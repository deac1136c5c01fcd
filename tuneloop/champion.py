"""The serving champion, loaded from the registry as the per-batch statistics and a warm
re-tune need it: its predictions on prepared rows, its holdout figure, its importance and its
configuration.

"No champion" is an answer only when the registry says the alias does not exist; any other
registry failure (a locked or unreadable store) stops the step naming the store, never passes
for "no champion" (which would trigger a cold re-tune).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuneloop.config import Params
from tuneloop.errors import TuneloopError
from tuneloop.features import Schema
from tuneloop.monitor import Champion
from tuneloop.promotion import (
    CHAMPION,
    FAMILY_BETTER,
    MODEL_CODE_LOCK,
    TRAINED_THROUGH,
    alias_version,
    load_registered,
)


@dataclass(frozen=True)
class Loaded:
    version: str
    params: dict[str, Any]
    schema: Schema
    served: Any          # tuneloop.serving.TabularModel
    holdout_value: float | None
    metric: str
    meta: dict[str, Any]  # model.json: family, params, num_boost_round, seed (refit needs them)
    trained_through: str | None = None  # the newest batch file it was fit on (version tag)
    holdout_r2: float | None = None  # regression: its holdout r2 (monitor.Champion)
    # Another family held out better at its evaluation (version tag FAMILY_BETTER): words
    family_better: str | None = None

    def configuration(self) -> dict[str, Any] | None:
        """What a refit of the champion needs, or None (a model registered without it)."""
        meta = self.meta
        if not {"params", "num_boost_round", "seed"} <= set(meta):
            return None
        return {"family": meta.get("family", "lightgbm"), "params": meta["params"],
                "num_boost_round": int(meta["num_boost_round"]), "seed": int(meta["seed"])}

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.served.predict_prepared(frame), dtype="float64")

    def view(self) -> Champion:
        model = getattr(self.served, "_model", None)
        gains: dict[str, float] = {}
        if hasattr(model, "feature_importance"):
            gains = dict(zip(model.feature_name(), map(float, model.feature_importance("gain")),
                             strict=True))
        return Champion(version=self.version, predict=self.predict, metric=self.metric,
                        holdout_value=self.holdout_value, importance=gains,
                        holdout_r2=self.holdout_r2)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else ""


def champion_version(client: Any, name: str, store: str) -> Any | None:
    """The champion's model version, None only when the registry says there is no alias."""
    return alias_version(client, name, CHAMPION)


def _registry(params: Params, root: Path) -> Any:
    """An MLflow client on the project's store; a store it cannot open is a stop."""
    import mlflow

    from tuneloop.tracking import setup

    try:
        setup(params.mlflow, root)
    except TuneloopError:
        raise
    except Exception as exc:  # a locked, unreadable or missing store: no answer, a stop
        raise TuneloopError(f"{params.mlflow.tracking_uri}: cannot open the tracking store to "
                            f"find the champion ({type(exc).__name__}: {_first_line(exc)})"
                            ) from None
    return mlflow.MlflowClient()


def champion_trained_through(params: Params,
                             root: Path) -> tuple[str, str | None, float] | None:
    """(the champion's version, the newest batch it was fit on, when it was registered: UTC
    seconds) from the registry alone, without loading the model; None: no champion."""
    version = champion_version(_registry(params, root), params.promote.model_name,
                               params.mlflow.tracking_uri)
    if version is None:
        return None
    return (str(version.version), version.tags.get(TRAINED_THROUGH),
            float(version.creation_timestamp or 0) / 1000)


def load_champion(params: Params, root: Path) -> Loaded | None:
    name, store = params.promote.model_name, params.mlflow.tracking_uri
    client = _registry(params, root)
    version = champion_version(client, name, store)
    if version is None:
        return None
    try:
        with MODEL_CODE_LOCK:
            model = load_registered(f"models:/{name}/{version.version}")
        run = client.get_run(version.run_id)
    except Exception as exc:  # a registered champion that cannot be loaded is no answer
        from tuneloop.registry_view import stored_model_missing

        if (gone := stored_model_missing(client, version)) is not None:
            raise TuneloopError(gone) from None
        raise TuneloopError(f"{store}: cannot load champion {name} v{version.version} "
                            f"({type(exc).__name__}: {_first_line(exc)})") from None
    served = model.unwrap_python_model()
    metric = params.gate_metric
    return Loaded(version=str(version.version),
                  params=json.loads(version.tags.get("params", "{}")),
                  schema=served.schema, served=served,
                  holdout_value=run.data.metrics.get(f"holdout_{metric}"), metric=metric,
                  meta=dict(getattr(served, "meta", {}) or {}),
                  trained_through=version.tags.get(TRAINED_THROUGH),
                  holdout_r2=run.data.metrics.get("holdout_r2"),
                  family_better=version.tags.get(FAMILY_BETTER))
