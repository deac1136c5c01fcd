"""LightGBM as one model family: a trial objective and the refit on the holdout's eve."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from tuneloop.features import category_levels, labels, make_features
from tuneloop.search.trial import TrialContext, TrialOutcome, TrialSpec

FIXED = {"objective": "binary", "verbosity": -1, "deterministic": True, "force_row_wise": True}


def cores() -> int:
    return len(os.sched_getaffinity(0))


def booster_params(params: dict[str, Any], seed: int, num_threads: int) -> dict[str, Any]:
    out = {**FIXED, **params, "seed": seed, "num_threads": num_threads}
    if out.get("bagging_fraction", 1.0) < 1.0:
        out.setdefault("bagging_freq", 1)
    return out


class LightGBMObjective:
    """Trains one configuration with early stopping on the validation months."""

    def __init__(self, train: pd.DataFrame, valid: pd.DataFrame, *, max_rounds: int,
                 early_stopping_rounds: int, metric: str, num_threads: int,
                 refine_factor: float = 1.0) -> None:
        self.levels = category_levels(train)
        self._x_train, self._y_train = make_features(train, self.levels), labels(train)
        self._x_valid, self._y_valid = make_features(valid, self.levels), labels(valid)
        self._max_rounds = max_rounds
        # A refinement (search/refine.py) divides the learning rate by this factor: it may
        # train as many times more rounds, or the cap would cut the very point of refining.
        self._refine_factor = refine_factor
        self._patience = early_stopping_rounds
        self._metric = metric
        self._threads = num_threads

    def __call__(self, spec: TrialSpec, ctx: TrialContext | None = None) -> TrialOutcome:
        import lightgbm as lgb

        ctx = ctx or TrialContext(spec)
        params = booster_params({**without_family(spec.params), "metric": self._metric},
                                spec.seed, self._threads)
        dtrain = lgb.Dataset(self._x_train, self._y_train, free_raw_data=False)
        dvalid = lgb.Dataset(self._x_valid, self._y_valid, reference=dtrain)
        rounds = self._max_rounds
        if spec.refines is not None:
            rounds = round(self._max_rounds * self._refine_factor)
        booster = lgb.train(params, dtrain, num_boost_round=rounds, valid_sets=[dvalid],
                            callbacks=[lgb.early_stopping(self._patience, verbose=False),
                                       report_rounds(ctx)])
        score = float(booster.best_score["valid_0"][self._metric])
        value = score if self._metric == "auc" else -score
        return TrialOutcome(
            spec.id, spec.params, spec.seed, "ok", value=value,
            metrics={f"valid_{self._metric}": score,
                     "best_iteration": float(booster.best_iteration),
                     "rounds_trained": float(booster.current_iteration())},
            seconds=ctx.elapsed())


def without_family(params: dict[str, Any]) -> dict[str, Any]:
    """The model family is a search dimension, not a LightGBM parameter."""
    return {k: v for k, v in params.items() if k != "family"}


def report_rounds(ctx: TrialContext) -> Any:
    """LightGBM callback: the best validation score so far after every round, to the context.

    It runs after early stopping's own bookkeeping (order 40 > 30), so a pruned trial stops on
    the round that reached the rung. Raising TrialPruned / TrialTimeout ends lgb.train.
    """
    best = [float("-inf")]

    def callback(env: Any) -> None:
        _, _, result, higher_better = env.evaluation_result_list[0]
        value = float(result) if higher_better else -float(result)
        best[0] = max(best[0], value)
        step = env.iteration + 1
        ctx.metrics["rounds_trained"] = float(step)
        ctx.report(step, best[0])

    callback.order = 40  # type: ignore[attr-defined]
    return callback


def fit(frame: pd.DataFrame, levels: dict[str, list[str]], params: dict[str, Any],
        num_boost_round: int, seed: int, num_threads: int) -> Any:
    import lightgbm as lgb

    data = lgb.Dataset(make_features(frame, levels), labels(frame))
    return lgb.train(booster_params(without_family(params), seed, num_threads), data,
                     num_boost_round=num_boost_round)


def predict(booster: Any, frame: pd.DataFrame, levels: dict[str, list[str]]) -> np.ndarray:
    return booster.predict(make_features(frame, levels))
