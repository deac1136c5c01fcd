"""LightGBM as one model family: a trial objective, the refit and prediction, for every task."""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np
import pandas as pd

from tuneloop.features import Schema
from tuneloop.lgbm_threads import GATE
from tuneloop.metrics import BINARY, LGB_METRIC, MULTICLASS, REGRESSION, to_maximise
from tuneloop.search.trial import TrialContext, TrialOutcome, TrialSpec

# A ranking or counting metric is no guide to how many rounds to train: it plateaus (AUC 1.0
# on separable rows, one accuracy for many rounds) and stopping on it kept the first round of
# the plateau, a model whose probabilities sit near the base rate (a strong signal: AUC flat
# from round 5 to 35, stopped at round 5 with log loss 0.54, where round 95 has 0.18 and an AUC
# 0.0006 higher). These stop on the task's own loss; the trial is scored by its tuning metric
# at that round (on Adult: AUC within 0.0003 of the metric's own best round).
STOP_ON = {"auc": "binary_logloss", "multi_error": "multi_logloss"}

FIXED = {"verbosity": -1, "deterministic": True, "force_row_wise": True}

# Objectives whose loss is not the same for labels shifted by a constant (a log link, or an
# error relative to the label): their labels are given as they are.
NOT_SHIFTABLE = frozenset({"poisson", "gamma", "tweedie", "mape",
                           "mean_absolute_percentage_error"})


# The 32-bit step between labels, as a share of their spread, beyond which they are centred.
CENTRED_STEP = 1e-3


def label_offset(schema: Schema, params: dict[str, Any], y: np.ndarray) -> float:
    """What a regression's labels are centred by before LightGBM sees them (0: as they are).
    LightGBM keeps labels as 32-bit floats: around 1e10 they are 1,024 apart, more than a
    target there varied by (sweep 53c: wages offset by 1e10, spread 442, trained on labels
    rounded to three values; holdout R^2 0.32 where the same rows read 0.47 without the
    offset). Centred, the labels keep their differences; the model adds the offset back
    (shifted), as LightGBM adds the average it boosts from."""
    if schema.task != REGRESSION or not len(y):
        return 0.0
    if str(params.get("objective", "regression")) in NOT_SHIFTABLE:
        return 0.0
    values = np.asarray(y, dtype="float64")
    step = float(np.spacing(np.float32(np.abs(values).max())))
    if not step > CENTRED_STEP * float(values.std()):
        return 0.0  # 32 bits hold them to a thousandth of their spread: as they are
    return float(np.round(values.mean()))  # whole: whole labels stay whole


def shifted(booster: Any, offset: float) -> Any:
    """The booster whose every prediction is `offset` higher: its first tree's leaves (and,
    for linear trees, their constants) moved by it, where LightGBM puts the average it boosts
    from; every tree's where the model averages its trees (`boosting: rf`: the review, one
    tree moved shifted the average by a 1/trees of it). The text model carries it, so a saved
    and served model needs nothing else."""
    if offset == 0.0:
        return booster
    import lightgbm as lgb

    text = booster.model_to_string()
    first = text.index("Tree=0\n")
    head, rest = text[:first], text[first:]
    averaged = re.search(r"(?m)^average_output$", head) is not None

    def moved(match: re.Match[str]) -> str:
        values = [repr(float(v) + offset) for v in match.group(2).split()]
        return f"{match.group(1)}{' '.join(values)}"

    blocks = rest.split("\n\n")  # the trees, then what follows them (end of trees, ...)
    grown = []
    for i, block in enumerate(blocks):
        if not block.lstrip("\n").startswith("Tree=") or (i > 0 and not averaged):
            continue
        new = re.sub(r"(?m)^(leaf_value=)(.*)$", moved, block, count=1)
        new = re.sub(r"(?m)^(leaf_const=)(.*)$", moved, new, count=1)
        grown.append(len(new.encode()) - len(block.encode()))
        blocks[i] = new

    def resized(match: re.Match[str]) -> str:
        # The header's tree_sizes gives each tree's length in bytes: the changed ones grow.
        sizes = match.group(2).split()
        sizes = [str(int(size) + (grown[k] if k < len(grown) else 0))
                 for k, size in enumerate(sizes)]
        return f"{match.group(1)}{' '.join(sizes)}"

    head = re.sub(r"(?m)^(tree_sizes=)(.*)$", resized, head, count=1)
    return lgb.Booster(model_str=head + "\n\n".join(blocks))


def cores() -> int:
    """The cores this process may use (all of the machine's where affinity is not known)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def predict_threads() -> int:
    """A prediction's thread count when nothing else runs: OMP_NUM_THREADS where set (a
    serving process with several workers sets it to 1), else every core, LightGBM's own
    default."""
    try:
        # "4,2" is nested OpenMP's syntax: the outer level's count.
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0]))
    except ValueError:
        return cores()


def task_params(schema: Schema, metric: str | None = None) -> dict[str, Any]:
    """The objective LightGBM optimises for the task (and the tuning metric: an absolute error
    is minimised by the median, a squared one by the mean, so a study tuned for mae trained
    on squared error served a model worse than the training median on a heavy-tailed target;
    sweep 21). A search space dimension named `objective` overrides it."""
    if schema.task == BINARY:
        return {"objective": "binary"}
    if schema.task == MULTICLASS:
        return {"objective": "multiclass", "num_class": schema.n_classes}
    return {"objective": "regression_l1" if metric == "mae" else "regression"}


def scaled_to_rows(rows: int | None) -> dict[str, Any]:
    """Defaults that LightGBM sets for large tables, scaled down for small ones: a category
    level needs min_data_per_group (100) rows to be split on, more than a few-hundred-row
    table has in all, so its categorical features went unused (a 234-row, 7-class table:
    holdout accuracy 0.53, where a random forest gets 0.92). A level may hold 1 % of the rows,
    at least 2; from 10,000 rows on LightGBM's own 100. The search space overrides it."""
    if rows is None:
        return {}
    return {"min_data_per_group": int(min(100, max(2, rows // 100)))}


def booster_params(schema: Schema, params: dict[str, Any], seed: int,
                   num_threads: int, rows: int | None = None,
                   metric: str | None = None) -> dict[str, Any]:
    out = {**FIXED, **task_params(schema, metric), **scaled_to_rows(rows),
           **without_family(params),
           "seed": seed, "num_threads": num_threads}
    if out.get("bagging_fraction", 1.0) < 1.0:
        out.setdefault("bagging_freq", 1)
    return out


def lgb_score(metric: str, lgb_value: float) -> float:
    """LightGBM's number in the metric's own terms (multi_error is 1 - accuracy)."""
    return 1.0 - lgb_value if metric == "accuracy" else lgb_value


class LightGBMObjective:
    """Trains one configuration with early stopping on the validation batches."""

    def __init__(self, train: pd.DataFrame, valid: pd.DataFrame, *, schema: Schema, metric: str,
                 max_rounds: int, early_stopping_rounds: int, num_threads: int,
                 refine_factor: float = 1.0, measure: Any = None) -> None:
        self.schema = schema
        self._x_train, self._y_train = schema.make_features(train), schema.labels(train)
        self._x_valid, self._y_valid = schema.make_features(valid), schema.labels(valid)
        self._max_rounds = max_rounds
        # A refinement (search/refine.py) divides the learning rate by this factor: it may
        # train as many times more rounds, or the cap would cut the very point of refining.
        self._refine_factor = refine_factor
        self._patience = early_stopping_rounds
        self._metric = metric
        self._lgb_metric = LGB_METRIC[(schema.task, metric)]
        self._threads = num_threads
        # Measures the trained model against `constraints:` (tuneloop.constraints.Measurer).
        self._measure = measure

    def __call__(self, spec: TrialSpec, ctx: TrialContext | None = None) -> TrialOutcome:
        import lightgbm as lgb

        ctx = ctx or TrialContext(spec)
        stop_on = STOP_ON.get(self._lgb_metric, self._lgb_metric)
        metrics = list(dict.fromkeys([self._lgb_metric, stop_on]))
        offset = label_offset(self.schema, spec.params, self._y_train)
        dtrain = lgb.Dataset(self._x_train, self._y_train - offset, free_raw_data=False)
        dvalid = lgb.Dataset(self._x_valid, self._y_valid - offset, reference=dtrain)
        rounds = self._max_rounds
        if spec.refines is not None:
            rounds = round(self._max_rounds * self._refine_factor)
        with GATE.training(self._threads) as threads:
            params = booster_params(self.schema, {**spec.params, "metric": metrics},
                                    spec.seed, threads, rows=len(self._y_train),
                                    metric=self._metric)
            # keep_training_booster: otherwise lgb.train returns the model cut at its best
            # round, and current_iteration() below would count the best round, not the
            # rounds trained.
            booster = lgb.train(params, dtrain, num_boost_round=rounds, valid_sets=[dvalid],
                                keep_training_booster=True,
                                callbacks=[early_stopping(self._patience, stop_on),
                                           report_rounds(ctx, self._lgb_metric, stop_on)])
            score = lgb_score(self._metric,
                              float(booster.best_score["valid_0"][self._lgb_metric]))
            # The model as it would be refit: cut at its best round (save and predict use
            # it). Measured inside the trial's hold: its predictions run at the trial's own
            # thread count whatever else runs, so every trial's latency is comparable.
            from tuneloop.constraints import measure_model

            measured = measure_model(self._measure, "lightgbm",
                                     shifted(booster, offset) if self._measure else booster,
                                     spec)
        return TrialOutcome(
            spec.id, spec.params, spec.seed, "ok", value=to_maximise(self._metric, score),
            metrics={f"valid_{self._metric}": score,
                     "best_iteration": float(booster.best_iteration),
                     "rounds_trained": float(booster.current_iteration()), **measured},
            seconds=ctx.elapsed())


def without_family(params: dict[str, Any]) -> dict[str, Any]:
    """The model family is a search dimension, not a LightGBM parameter."""
    return {k: v for k, v in params.items() if k != "family"}


def _result(env: Any, metric: str) -> tuple[float, bool]:
    for _, name, value, higher_better, *_ in env.evaluation_result_list:
        if name == metric:
            return float(value), bool(higher_better)
    raise KeyError(metric)


def early_stopping(patience: int, metric: str) -> Any:
    """LightGBM callback: stop when `metric` has not improved for `patience` rounds, whatever
    the first metric is (lgb.early_stopping stops on the first, or on any). It raises
    LightGBM's own EarlyStopException, so lgb.train sets best_iteration and best_score (every
    metric at the best round) as usual."""
    import lightgbm as lgb

    best: dict[str, Any] = {"value": None, "iteration": 0, "results": None}

    def callback(env: Any) -> None:
        value, higher_better = _result(env, metric)
        value = value if higher_better else -value
        if best["value"] is None or value > best["value"]:
            best.update(value=value, iteration=env.iteration, results=env.evaluation_result_list)
        if (env.iteration - best["iteration"] >= patience
                or env.iteration == env.end_iteration - 1):
            raise lgb.callback.EarlyStopException(best["iteration"], best["results"])

    callback.order = 30  # type: ignore[attr-defined]
    return callback


def report_rounds(ctx: TrialContext, metric: str, stop_on: str | None = None) -> Any:
    """LightGBM callback: after every round, the score the trial would end with if it stopped
    now (the tuning `metric` at the best round of `stop_on`, the early-stopping metric) to the
    context, so a rung compares what completed trials are scored by.

    It runs after early stopping's own bookkeeping (order 40 > 30), so a pruned trial stops on
    the round that reached the rung. Raising TrialPruned / TrialTimeout ends lgb.train.
    """
    stop_on = stop_on or metric
    best = {"stop": float("-inf"), "score": float("-inf")}

    def callback(env: Any) -> None:
        result, higher_better = _result(env, metric)
        score = float(result) if higher_better else -float(result)
        stop, stop_higher = _result(env, stop_on)
        stop = stop if stop_higher else -stop
        if stop > best["stop"] or best["score"] == float("-inf"):
            best.update(stop=stop, score=score)
        step = env.iteration + 1
        ctx.metrics["rounds_trained"] = float(step)
        ctx.report(step, best["score"])

    callback.order = 40  # type: ignore[attr-defined]
    return callback


def fit(frame: pd.DataFrame, schema: Schema, params: dict[str, Any], num_boost_round: int,
        seed: int, num_threads: int, metric: str | None = None) -> Any:
    """A configuration fit for a number of rounds, with the objective its trials trained
    with (`metric`: the tuning metric)."""
    import lightgbm as lgb

    y = schema.labels(frame)
    offset = label_offset(schema, params, y)
    data = lgb.Dataset(schema.make_features(frame), y - offset)
    with GATE.training(num_threads) as threads:
        booster = lgb.train(booster_params(schema, params, seed, threads, rows=len(frame),
                                           metric=metric), data,
                            num_boost_round=num_boost_round)
    return shifted(booster, offset)


def predict(booster: Any, frame: pd.DataFrame, schema: Schema) -> np.ndarray:
    """Binary: P(positive); multiclass: (rows, classes) probabilities; regression: values."""
    return predict_features(booster, schema.make_features(frame))


def predict_features(booster: Any, features: Any) -> np.ndarray:
    """LightGBM's prediction at the process's running thread count (see lgbm_threads)."""
    with GATE.predicting(predict_threads()) as threads:
        return np.asarray(booster.predict(features, num_threads=threads), dtype="float64")
