"""A regularised linear model: the third model family, for small tables.

Why: on a few hundred rows a boosted ensemble has little to learn from, and a linear model often
holds out better. Measured on twelve small R tables, 5 splits each (`bench/linear_vs_lightgbm.py`):
the linear model beat a LightGBM search on the holdout on 5 (Carseats RMSE 1.01 against 1.38),
tied on 4 and lost on 3; offered beside LightGBM and chosen by validation, it served a better
model than LightGBM alone on 4 tables and a worse one on none. So `tuneloop init` puts this
family beside LightGBM in the search space of a small table, and the study decides.

Features as the torch MLP sees them (`tuneloop.torch_mlp.Encoder`: numbers standardised with
the training rows' statistics, each with a missing flag; categories one-hot, a missing or
unseen level an all-zero row). Ridge for a regression (on the standardised target), L2
logistic regression for binary and multiclass; one parameter, `alpha`, the L2 strength. Saved
as JSON (the coefficients and the encoder's statistics); predicting is numpy alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuneloop.features import Schema
from tuneloop.io import read_json, write_json
from tuneloop.metrics import BINARY, MULTICLASS, REGRESSION, task_metrics, to_maximise
from tuneloop.search.trial import TrialContext, TrialOutcome, TrialSpec

STATE_FILE = "linear.json"
DEFAULTS = {"alpha": 1.0}
# Beyond this, a class missing from the training rows: a logit it never wins with.
_ABSENT_LOGIT = -30.0


@dataclass(frozen=True)
class LinearModel:
    encoder: Any       # tuneloop.torch_mlp.Encoder
    coef: np.ndarray   # (features, outputs)
    intercept: np.ndarray  # (outputs,)

    # LightGBM's two names, so the drift check and the replay weigh a linear champion's
    # features as they weigh a booster's (without them every drifted feature weighed 0%).
    def feature_name(self) -> list[str]:
        return list(self.encoder.schema.features)

    def feature_importance(self, importance_type: str = "gain") -> np.ndarray:
        """How far each model column moves the score, summed over outputs: a standardised
        number's |coefficient| and its missing flag's, a category's spread (standard
        deviation) of its level coefficients beside the all-zero missing row. Not LightGBM's
        gain, but what a share of it is used for: which features the model relies on."""
        numbers = len(self.encoder.mean)
        weights = np.abs(self.coef)
        out = list(weights[:numbers].sum(axis=1) + weights[numbers:2 * numbers].sum(axis=1))
        start = 2 * numbers
        for levels in self.encoder.cardinalities:
            block = self.coef[start:start + levels - 1]
            out.append(float(np.vstack([block, np.zeros((1, block.shape[1]))]).std(
                axis=0).sum()))
            start += levels - 1
        return np.asarray(out, dtype="float64")


def design(enc: Any, frame: pd.DataFrame) -> Any:
    """The rows as a sparse matrix: standardised numbers and missing flags, then one column
    per known level of each category."""
    from scipy import sparse

    num, cats = enc.arrays(frame)
    blocks = [sparse.csr_matrix(num.astype("float64"))]
    rows = np.arange(len(frame))
    for i, levels in enumerate(enc.cardinalities):
        codes = cats[:, i]
        known = codes > 0  # 0: missing or unseen, the all-zero row
        blocks.append(sparse.csr_matrix((np.ones(int(known.sum())), (rows[known],
                                         codes[known] - 1)), shape=(len(frame), levels - 1)))
    return sparse.hstack(blocks, format="csr")


def fit(enc: Any, params: dict[str, Any], frame: pd.DataFrame, seed: int,
        num_threads: int = 1) -> LinearModel:
    from sklearn.linear_model import LogisticRegression, Ridge
    from threadpoolctl import threadpool_limits

    alpha = float({**DEFAULTS, **params}["alpha"])
    x, y = design(enc, frame), enc.target(frame)
    outputs = enc.outputs
    coef, intercept = np.zeros((x.shape[1], outputs)), np.zeros(outputs)
    with threadpool_limits(num_threads):
        if enc.schema.task == REGRESSION:
            model = Ridge(alpha=alpha).fit(x, y)
            coef[:, 0], intercept[0] = model.coef_, float(model.intercept_)
            return LinearModel(enc, coef, intercept)
        present = np.unique(y)
        if len(present) < 2:
            # One class in the rows: predict it (a logistic fit refuses one class).
            if enc.schema.task == BINARY:
                intercept[0] = -_ABSENT_LOGIT if present[0] == 1 else _ABSENT_LOGIT
            else:
                intercept[:] = _ABSENT_LOGIT
                intercept[int(present[0])] = 0.0
            return LinearModel(enc, coef, intercept)
        model = LogisticRegression(C=1.0 / alpha, max_iter=1000, random_state=seed).fit(x, y)
    if enc.schema.task == BINARY:
        coef[:, 0], intercept[0] = model.coef_[0], float(model.intercept_[0])
    elif len(model.classes_) == 2:  # two of the classes present: one logit, the second's
        intercept[:] = _ABSENT_LOGIT
        intercept[int(model.classes_[0])] = 0.0
        coef[:, int(model.classes_[1])] = model.coef_[0]
        intercept[int(model.classes_[1])] = float(model.intercept_[0])
    else:
        intercept[:] = _ABSENT_LOGIT
        for row, cls in enumerate(model.classes_):
            coef[:, int(cls)], intercept[int(cls)] = model.coef_[row], model.intercept_[row]
    return LinearModel(enc, coef, intercept)


def predict(model: LinearModel, frame: pd.DataFrame) -> np.ndarray:
    raw = np.asarray(design(model.encoder, frame) @ model.coef) + model.intercept
    return model.encoder.decode(raw if model.encoder.schema.task == MULTICLASS else raw[:, 0])


class LinearObjective:
    """One trial: fit on the training rows, score the tuning metric on validation."""

    def __init__(self, train_frame: pd.DataFrame, valid_frame: pd.DataFrame, *,
                 schema: Schema, metric: str, num_threads: int, measure: Any = None) -> None:
        from tuneloop.torch_mlp import Encoder

        self._train, self._valid = train_frame, valid_frame
        self.encoder = Encoder.fit(train_frame, schema)
        self._metric, self._threads, self._measure = metric, num_threads, measure
        self._y_valid = schema.labels(valid_frame)

    def __call__(self, spec: TrialSpec, ctx: TrialContext | None = None) -> TrialOutcome:
        ctx = ctx or TrialContext(spec)
        params = {k: v for k, v in spec.params.items() if k != "family"}
        model = fit(self.encoder, params, self._train, spec.seed, self._threads)
        score = task_metrics(self.encoder.schema.task, self._y_valid,
                             predict(model, self._valid))[self._metric]
        from tuneloop.constraints import measure_model

        measured = measure_model(self._measure, "linear", model, spec)
        # One fit, no rounds: best_iteration 1 keeps the refit's count meaningful.
        return TrialOutcome(spec.id, spec.params, spec.seed, "ok",
                            value=to_maximise(self._metric, score),
                            metrics={f"valid_{self._metric}": score, "best_iteration": 1.0,
                                     **measured}, seconds=ctx.elapsed())


def save(model: LinearModel, params: dict[str, Any], seed: int, directory: Path) -> None:
    enc = model.encoder
    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / STATE_FILE, {
        "family": "linear", "params": params, "seed": seed, "schema": enc.schema.to_dict(),
        "mean": enc.mean, "std": enc.std, "target_mean": enc.target_mean,
        "target_std": enc.target_std, "coef": model.coef.tolist(),
        "intercept": model.intercept.tolist()})


def load(directory: Path) -> LinearModel:
    from tuneloop.torch_mlp import Encoder

    meta = read_json(directory / STATE_FILE)
    enc = Encoder(Schema.from_dict(meta["schema"]), meta["mean"], meta["std"],
                  meta["target_mean"], meta["target_std"])
    return LinearModel(enc, np.array(meta["coef"], dtype="float64").reshape(-1, enc.outputs),
                       np.array(meta["intercept"], dtype="float64"))
