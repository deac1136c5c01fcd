"""The shared LightGBM objective: one configuration in, one trained booster and its scores out.

Every tuner goes through the same :class:`LgbTask`, so only the search differs. The task kind
decides the LightGBM objective, the validation metric used for early stopping and handed to the
tuner (always maximised: its sign is flipped when LightGBM says lower is better), and the test
metrics the harness records:

| task | objective / early-stopping metric | tuner maximises | headline test metric | second |
|---|---|---|---|---|
| binary | binary / auc | AUC | AUC | accuracy at 0.5 |
| multiclass | multiclass / multi_logloss | -multi_logloss | accuracy | macro one-vs-rest AUC |
| regression | regression (L2) / rmse | -RMSE | R^2 | -RMSE |

Accuracy is the multiclass headline because macro AUC saturates near 1 on easy tables; R^2 is the
regression headline because it is scale-free and higher is better, so cells can be ranked alike.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

from bench.suite.datasets import Splits, TaskKind
from bench.suite.records import TrialStatus
from bench.suite.space import Params

DEFAULT_MAX_ROUNDS = 2_000
DEFAULT_EARLY_STOPPING = 50

#: Parameters every binary trial shares (``num_threads`` and ``seed`` are set per trial).
FIXED_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "metric": "auc",
    "bagging_freq": 1,
    "verbosity": -1,
    "deterministic": True,
}


@dataclass(frozen=True)
class MetricNames:
    """Human names of what the records' ``valid_auc``, ``test_auc`` and ``test_acc`` hold."""

    valid: str
    test: str
    test2: str


METRICS: dict[TaskKind, MetricNames] = {
    "binary": MetricNames("AUC", "AUC", "accuracy (0.5)"),
    "multiclass": MetricNames("-multi_logloss", "accuracy", "macro AUC"),
    "regression": MetricNames("-RMSE", "R2", "-RMSE"),
}


def fixed_params(task: TaskKind, num_class: int | None = None) -> dict[str, Any]:
    """The LightGBM parameters every trial of a task shares."""
    if task == "binary":
        return dict(FIXED_PARAMS)
    if task == "multiclass":
        if not num_class or num_class < 3:
            raise ValueError("a multiclass task needs num_class >= 3")
        head: dict[str, Any] = {
            "objective": "multiclass", "num_class": num_class, "metric": "multi_logloss"
        }
    elif task == "regression":
        head = {"objective": "regression", "metric": "rmse"}
    else:
        raise ValueError(f"unknown task {task!r}")
    return {**head, **{k: v for k, v in FIXED_PARAMS.items() if k not in ("objective", "metric")}}


RoundVerdict = Literal["continue", "prune", "budget"]


class _Pruned(Exception):
    pass


@dataclass
class FitResult:
    booster: lgb.Booster | None  # None when pruned
    status: TrialStatus
    valid_auc: float  # best validation score, maximised (see the module docstring)
    best_iteration: int  # 1-based
    rounds_trained: int
    fit_s: float
    report_s: float


class _RoundCallback:
    """Early stopping on the validation score + per-round hook (budget accounting and pruning).

    The score is LightGBM's first validation metric, negated when LightGBM reports it as
    lower-is-better, so that "best" always means the largest."""

    order = 30
    before_iteration = False

    def __init__(self, patience: int, hook: Callable[[int, float], tuple[RoundVerdict, float]]):
        self.patience = patience
        self.hook = hook
        self.best_auc = -math.inf
        self.best_iter = -1  # 0-based
        self.best_list: list[Any] = []
        self.rounds = 0
        self.report_s = 0.0
        self.stopped_by_budget = False

    def __call__(self, env: lgb.callback.CallbackEnv) -> None:
        results = env.evaluation_result_list or []
        value = float(results[0][2])
        score = value if results[0][3] else -value
        self.rounds = env.iteration - env.begin_iteration + 1
        if score > self.best_auc:
            self.best_auc, self.best_iter, self.best_list = score, env.iteration, list(results)
        verdict, spent = self.hook(self.rounds, self.best_auc)
        self.report_s += spent
        if verdict == "prune":
            raise _Pruned
        if verdict == "budget":
            self.stopped_by_budget = True
        last_round = env.iteration + 1 >= env.end_iteration
        if self.stopped_by_budget or last_round or env.iteration - self.best_iter >= self.patience:
            raise lgb.callback.EarlyStopException(self.best_iter, self.best_list)


class LgbTask:
    """Fits one configuration; shared by every tuner so only the search differs."""

    def __init__(
        self,
        data: Splits | Any,
        *,
        threads: int,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
        early_stopping_rounds: int = DEFAULT_EARLY_STOPPING,
        task: TaskKind = "binary",
        num_class: int | None = None,
    ) -> None:
        self.data = data
        self.threads = threads
        self.max_rounds = max_rounds
        self.early_stopping_rounds = early_stopping_rounds
        self.task: TaskKind = task
        self.fixed_params = fixed_params(task, num_class)
        self.metrics = METRICS[task]
        self._local = threading.local()
        self._datasets()  # build the main thread's copy up front, outside any trial's timing

    def _datasets(self) -> tuple[lgb.Dataset, lgb.Dataset]:
        """Binned train/valid datasets, one pair per thread (lgb.train mutates Dataset params)."""
        cached = getattr(self._local, "sets", None)
        if cached is None:
            ds_params = {"feature_pre_filter": False, "verbosity": -1, "max_bin": 255}
            train = lgb.Dataset(
                self.data.X_train, self.data.y_train, params=ds_params, free_raw_data=False
            )
            valid = lgb.Dataset(
                self.data.X_valid, self.data.y_valid, reference=train, params=ds_params
            )
            train.construct()
            valid.construct()
            cached = self._local.sets = (train, valid)
        return cached

    def fit(
        self,
        params: Params,
        *,
        seed: int,
        hook: Callable[[int, float], tuple[RoundVerdict, float]],
    ) -> FitResult:
        """Train up to ``max_rounds``; ``hook(rounds, best_valid_score)`` runs after every round
        and returns (verdict, seconds spent in the tuner)."""
        t0 = time.perf_counter()
        train, valid = self._datasets()  # built once per thread; a worker's first trial pays it
        full = {**self.fixed_params, **params, "num_threads": self.threads, "seed": seed}
        cb = _RoundCallback(self.early_stopping_rounds, hook)
        booster: lgb.Booster | None
        try:
            booster = lgb.train(
                full,
                train,
                num_boost_round=self.max_rounds,
                valid_sets=[valid],
                valid_names=["valid"],
                callbacks=[cb],
            )
            status: TrialStatus = "truncated" if cb.stopped_by_budget else "complete"
        except _Pruned:
            booster, status = None, "pruned"
        fit_s = time.perf_counter() - t0 - cb.report_s
        return FitResult(
            booster=booster,
            status=status,
            valid_auc=cb.best_auc,
            best_iteration=cb.best_iter + 1,
            rounds_trained=cb.rounds,
            fit_s=fit_s,
            report_s=cb.report_s,
        )

    def score_test(self, booster: lgb.Booster, best_iteration: int) -> tuple[float, float]:
        """(headline, secondary) test metric of the booster at ``best_iteration``, both
        higher-is-better: binary (AUC, accuracy at 0.5), multiclass (accuracy, macro AUC),
        regression (R^2, -RMSE)."""
        # The trials' own thread count: LightGBM keeps one per process, and a predict at
        # another count beside a training thread crashes it (tuneloop/lgbm_threads.py).
        pred = booster.predict(self.data.X_test, num_iteration=best_iteration,
                               num_threads=self.threads)
        y = np.asarray(self.data.y_test)
        if self.task == "binary":
            return float(roc_auc_score(y, pred)), float(np.mean((pred >= 0.5) == y))
        if self.task == "multiclass":
            acc = float(accuracy_score(y, np.argmax(pred, axis=1)))
            return acc, float(roc_auc_score(y, pred, multi_class="ovr", average="macro"))
        rmse = float(np.sqrt(np.mean((pred - y) ** 2)))
        return float(r2_score(y, pred)), -rmse
