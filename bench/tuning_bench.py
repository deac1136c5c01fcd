"""Search-quality benchmark: how good a LightGBM configuration does a tuner find per compute?

Run from the repository root (``bench`` is a namespace package, no ``__init__.py``)::

    .venv/bin/python -m bench.tuning_bench --quick            # smoke run, ~2-3 minutes on 2 cores
    .venv/bin/python -m bench.tuning_bench --seeds 5 --budget-rounds 30000
    .venv/bin/python -m bench.tuning_bench --jobs 16 --threads 1   # 16 runs at once, 16 processes
    .venv/bin/python -m bench.tuning_bench --from-json bench/results/tuning.json   # re-print

Task: UCI Adult (:mod:`bench.adult_data`). Every trial fits LightGBM on the tune-train split with
early stopping on validation AUC; the tuner sees only the validation AUC. The *compute budget* is
the total number of boosting rounds actually trained across trials (a pruned trial costs the rounds
it ran; an early-stopped one costs ``best_iteration + patience``), not the number of trials. When
the budget runs out mid-trial, that trial stops there and keeps its best iteration so far.

After every trial the harness keeps the incumbent: the best *completed* trial by validation AUC
(pruned trials are not eligible, as in Optuna's ``study.best_trial``). Whenever the incumbent
changes, its booster (the model that trial trained, at its best iteration) is scored on the
untouched test split: AUC and accuracy at threshold 0.5. So the "best-so-far test AUC" at any
cumulative compute is the test score of the configuration the tuner would hand over then.

Adding a tuner: subclass :class:`Tuner` (ask/tell), decorate it with :func:`register_tuner`, and
either put it in ``bench/baselines.py`` or in any importable module passed with ``--tuner-module``.
See ``bench/README.md`` for the exact contract.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import multiprocessing
import os
import platform
import signal
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
    wait,
)
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import lightgbm as lgb
import numpy as np
from sklearn.metrics import roc_auc_score

from bench.adult_data import DEFAULT_DIR, AdultSplits, load_adult

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

DEFAULT_OUT = Path("bench/results/tuning.json")
DEFAULT_BUDGET = 30_000
DEFAULT_SEEDS = 5
DEFAULT_MAX_ROUNDS = 2_000
DEFAULT_EARLY_STOPPING = 50
DEFAULT_REPORT_EVERY = 10
CHECKPOINTS: tuple[float, ...] = (0.25, 0.5, 1.0)
QUICK = {"seeds": 2, "budget_rounds": 3_000, "max_rounds": 600}

#: Published tuned results on exactly this test split (mean of 15 seeds; Gorishniy et al. 2021,
#: "Revisiting Deep Learning Models for Tabular Data"; Gorishniy et al. 2023, TabR).
ANCHORS: dict[str, str] = {
    "tuned LightGBM accuracy": "0.8713-0.8723",
    "tuned LightGBM AUC": "0.926-0.928",
    "tuned XGBoost accuracy": "0.8723",
    "tuned CatBoost accuracy": "0.8727",
}

# --------------------------------------------------------------------------------------------
# Search space
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dim:
    """One hyperparameter: ``kind`` int or float, inclusive bounds, ``log``: log-uniform prior."""

    name: str
    low: float
    high: float
    kind: Literal["int", "float"] = "float"
    log: bool = False

    def clip(self, value: float) -> int | float:
        v = min(max(float(value), self.low), self.high)
        return int(round(v)) if self.kind == "int" else v


SEARCH_SPACE: tuple[Dim, ...] = (
    Dim("learning_rate", 0.005, 0.3, "float", log=True),
    Dim("num_leaves", 8, 256, "int", log=True),
    Dim("min_child_samples", 5, 200, "int", log=True),
    Dim("feature_fraction", 0.4, 1.0, "float"),
    Dim("bagging_fraction", 0.4, 1.0, "float"),
    Dim("lambda_l1", 1e-3, 10.0, "float", log=True),
    Dim("lambda_l2", 1e-3, 10.0, "float", log=True),
    Dim("min_split_gain", 0.0, 1.0, "float"),
)

#: Parameters every trial shares (``num_threads`` and ``seed`` are set per trial).
FIXED_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "metric": "auc",
    "bagging_freq": 1,
    "verbosity": -1,
    "deterministic": True,
}

Params = dict[str, int | float]

# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------

TrialStatus = Literal["complete", "pruned", "truncated"]


@dataclass
class TrialRecord:
    """One trial, as written to the JSON file.

    Timings (seconds): ``wall_s`` is the whole trial from ask to the end of bookkeeping; ``fit_s``
    the LightGBM training (without time spent in ``Tuner.report``); ``score_s`` the harness's test
    scoring (not a tuner cost); ``tuner_overhead_s = wall_s - fit_s - score_s`` = ask + tell +
    report + harness bookkeeping; ``propose_latency_s = ask_s + tell_s``, the tuner's think time per
    trial (Optuna's TPE works in ``ask``; skopt fits its GP and optimises the acquisition in
    ``tell``, so ``ask`` alone would hide it).
    """

    number: int
    params: Params
    status: TrialStatus
    valid_auc: float  # best validation AUC of the trial (pruned: best reported so far)
    best_iteration: int  # 1-based number of trees in the kept model
    rounds_trained: int
    cum_rounds: int  # budget used when this trial finished (all trials so far, incl. this one)
    wall_s: float
    fit_s: float
    ask_s: float
    tell_s: float
    report_s: float
    score_s: float
    tuner_overhead_s: float
    propose_latency_s: float
    incumbent: bool = False  # became the best completed trial by validation AUC
    test_auc: float | None = None  # only for incumbents
    test_acc: float | None = None


@dataclass
class RunResult:
    tuner: str
    seed: int
    budget_rounds: int
    n_workers: int
    threads_per_worker: int
    rounds_used: int
    wall_s: float
    records: list[TrialRecord] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Tuner interface and registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TunerContext:
    """Everything a tuner is constructed with."""

    space: tuple[Dim, ...]
    seed: int
    n_workers: int
    max_rounds: int  # per-trial cap on boosting rounds (the largest resource a trial can get)
    early_stopping_rounds: int
    report_every: int  # rounds between Tuner.report calls (only if wants_reports)
    budget_rounds: int | None = None  # total rounds budget of the run (tuners may plan with it)


@dataclass
class Proposal:
    """A configuration to evaluate; ``token`` is the tuner's own handle (Optuna trial, skopt x)."""

    params: Params
    token: Any = None


@dataclass(frozen=True)
class TrialOutcome:
    """What ``Tuner.tell`` receives. The objective is maximised (validation AUC)."""

    valid_auc: float
    status: TrialStatus
    rounds_trained: int
    best_iteration: int
    # Constraint measures of the trained model (e.g. size_bytes); only a harness that measures
    # them fills this (bench/constrained_bench.py), run_tuner leaves it None.
    measures: dict[str, float] | None = None


class Tuner(ABC):
    """Ask/tell search strategy. The harness owns the loop, the budget and all timing.

    Contract:

    * ``__init__(self, ctx: TunerContext)``: the search space, seed, worker count, per-trial round
      cap, early-stopping patience, reporting period and the run's total rounds budget.
    * ``ask() -> Proposal``: next configuration; ``params`` holds one value per ``ctx.space``
      dimension, within bounds (ints for int dimensions). With ``n_workers > 1`` several asks may
      be outstanding before their tells.
    * ``tell(proposal, outcome)``: exactly once per ask, for every status (``pruned`` trials too;
      ``truncated`` = stopped by the global budget, its ``valid_auc`` is as good as a complete one).
    * ``report(proposal, rounds, valid_auc) -> bool``: only called when ``wants_reports`` is true,
      every ``ctx.report_every`` rounds, with the best validation AUC of the trial so far. Return
      True to prune the trial.
    * ``close()``: release resources; called once at the end of a run.

    The harness serialises all calls into one tuner instance with a lock (``report`` runs on the
    worker thread that trains the trial when ``n_workers > 1``), so tuners need no locking.
    """

    name: ClassVar[str] = ""
    wants_reports: ClassVar[bool] = False
    description: ClassVar[str] = ""

    def __init__(self, ctx: TunerContext) -> None:
        self.ctx = ctx

    @abstractmethod
    def ask(self) -> Proposal: ...

    @abstractmethod
    def tell(self, proposal: Proposal, outcome: TrialOutcome) -> None: ...

    def report(self, proposal: Proposal, rounds: int, valid_auc: float) -> bool:
        return False

    def close(self) -> None:
        return None


#: name -> tuner class. Fill it with :func:`register_tuner`.
TUNERS: dict[str, type[Tuner]] = {}


def register_tuner(name: str) -> Callable[[type[Tuner]], type[Tuner]]:
    """Class decorator: ``@register_tuner("tuneloop") class TuneloopTuner(Tuner): ...``."""

    def deco(cls: type[Tuner]) -> type[Tuner]:
        if name in TUNERS and TUNERS[name] is not cls:
            raise ValueError(f"tuner {name!r} is already registered by {TUNERS[name]!r}")
        cls.name = name
        TUNERS[name] = cls
        return cls

    return deco


def load_tuner_modules(modules: Sequence[str] = ()) -> None:
    """Import the built-in baselines and any extra modules that register tuners on import."""
    importlib.import_module("bench.baselines")
    for module in modules:
        importlib.import_module(module)


# --------------------------------------------------------------------------------------------
# The LightGBM task
# --------------------------------------------------------------------------------------------

RoundVerdict = Literal["continue", "prune", "budget"]


class _Pruned(Exception):
    pass


@dataclass
class FitResult:
    booster: lgb.Booster | None  # None when pruned
    status: TrialStatus
    valid_auc: float
    best_iteration: int  # 1-based
    rounds_trained: int
    fit_s: float
    report_s: float


class _RoundCallback:
    """Early stopping on validation AUC + per-round hook (budget accounting and pruning)."""

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
        auc = float(results[0][2])
        self.rounds = env.iteration - env.begin_iteration + 1
        if auc > self.best_auc:
            self.best_auc, self.best_iter, self.best_list = auc, env.iteration, list(results)
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
        data: AdultSplits,
        *,
        threads: int,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
        early_stopping_rounds: int = DEFAULT_EARLY_STOPPING,
    ) -> None:
        self.data = data
        self.threads = threads
        self.max_rounds = max_rounds
        self.early_stopping_rounds = early_stopping_rounds
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
        """Train up to ``max_rounds``; ``hook(rounds, best_valid_auc)`` runs after every round and
        returns (verdict, seconds spent in the tuner)."""
        t0 = time.perf_counter()
        train, valid = self._datasets()  # built once per thread; a worker's first trial pays it
        full = {**FIXED_PARAMS, **params, "num_threads": self.threads, "seed": seed}
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
        """(AUC, accuracy at 0.5) of the booster at ``best_iteration`` on the test split."""
        prob = booster.predict(self.data.X_test, num_iteration=best_iteration)
        y = self.data.y_test
        return float(roc_auc_score(y, prob)), float(np.mean((prob >= 0.5) == y))


# --------------------------------------------------------------------------------------------
# The run loop
# --------------------------------------------------------------------------------------------


def trial_seed(run_seed: int, number: int) -> int:
    return (run_seed * 1_000_003 + number * 7_919 + 17) % (2**31 - 1)


def run_tuner(
    tuner_cls: type[Tuner],
    task: LgbTask,
    *,
    budget_rounds: int,
    seed: int,
    n_workers: int = 1,
    report_every: int = DEFAULT_REPORT_EVERY,
) -> RunResult:
    """Drive one tuner until ``budget_rounds`` boosting rounds have been trained in total.

    ``n_workers`` trials train at once on threads (LightGBM releases the GIL); each gets
    ``task.threads`` threads. New trials start while budget is left; when it is used up, trials
    in flight stop at once and keep their best iteration so far (status ``truncated``).
    """
    ctx = TunerContext(
        space=SEARCH_SPACE,
        seed=seed,
        n_workers=n_workers,
        max_rounds=task.max_rounds,
        early_stopping_rounds=task.early_stopping_rounds,
        report_every=report_every,
        budget_rounds=budget_rounds,
    )
    tuner = tuner_cls(ctx)
    tuner_lock = threading.Lock()
    budget_lock = threading.Lock()
    used = [0]
    result = RunResult(
        tuner=tuner_cls.name,
        seed=seed,
        budget_rounds=budget_rounds,
        n_workers=n_workers,
        threads_per_worker=task.threads,
        rounds_used=0,
        wall_s=0.0,
    )
    best_valid = -math.inf
    run_t0 = time.perf_counter()

    def make_hook(proposal: Proposal) -> Callable[[int, float], tuple[RoundVerdict, float]]:
        def hook(rounds: int, best_auc: float) -> tuple[RoundVerdict, float]:
            with budget_lock:
                # Every trained round counts. With several workers the total can pass the budget
                # by at most n_workers - 1 rounds (rounds in flight when it ran out).
                used[0] += 1
                exhausted = used[0] >= budget_rounds
            spent = 0.0
            if tuner_cls.wants_reports and rounds % report_every == 0 and not exhausted:
                t = time.perf_counter()
                with tuner_lock:
                    prune = tuner.report(proposal, rounds, best_auc)
                spent = time.perf_counter() - t
                if prune:
                    return "prune", spent
            return ("budget" if exhausted else "continue"), spent

        return hook

    def one_trial(number: int, proposal: Proposal) -> FitResult:
        return task.fit(proposal.params, seed=trial_seed(seed, number), hook=make_hook(proposal))

    pending: dict[Future[FitResult], tuple[int, Proposal, float, float]] = {}
    number = 0
    try:
        with _executor(n_workers) as pool:
            while True:
                while len(pending) < n_workers and used[0] < budget_rounds:
                    t_start = time.perf_counter()
                    with tuner_lock:
                        proposal = tuner.ask()
                    ask_s = time.perf_counter() - t_start
                    proposal.params = _check_params(proposal.params)
                    fut = pool.submit(one_trial, number, proposal)
                    pending[fut] = (number, proposal, t_start, ask_s)
                    number += 1
                if not pending:
                    break
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=lambda f: pending[f][0]):
                    num, proposal, t_start, ask_s = pending.pop(fut)
                    fit = fut.result()
                    outcome = TrialOutcome(
                        valid_auc=fit.valid_auc,
                        status=fit.status,
                        rounds_trained=fit.rounds_trained,
                        best_iteration=fit.best_iteration,
                    )
                    t = time.perf_counter()
                    with tuner_lock:
                        tuner.tell(proposal, outcome)
                    tell_s = time.perf_counter() - t
                    incumbent = fit.status != "pruned" and fit.valid_auc > best_valid
                    test_auc = test_acc = None
                    score_s = 0.0
                    if incumbent and fit.booster is not None:
                        best_valid = fit.valid_auc
                        t = time.perf_counter()
                        test_auc, test_acc = task.score_test(fit.booster, fit.best_iteration)
                        score_s = time.perf_counter() - t
                    with budget_lock:
                        cum = used[0]
                    wall_s = time.perf_counter() - t_start
                    result.records.append(
                        TrialRecord(
                            number=num,
                            params=proposal.params,
                            status=fit.status,
                            valid_auc=fit.valid_auc,
                            best_iteration=fit.best_iteration,
                            rounds_trained=fit.rounds_trained,
                            cum_rounds=cum,
                            wall_s=wall_s,
                            fit_s=fit.fit_s,
                            ask_s=ask_s,
                            tell_s=tell_s,
                            report_s=fit.report_s,
                            score_s=score_s,
                            tuner_overhead_s=max(0.0, wall_s - fit.fit_s - score_s),
                            propose_latency_s=ask_s + tell_s,
                            incumbent=incumbent,
                            test_auc=test_auc,
                            test_acc=test_acc,
                        )
                    )
    finally:
        tuner.close()
    result.rounds_used = used[0]
    result.wall_s = time.perf_counter() - run_t0
    return result


class _InlineExecutor:
    """n_workers == 1: run each trial in the calling thread (no thread hand-off, and the task's
    datasets built at start-up are reused)."""

    def __enter__(self) -> _InlineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., FitResult], *args: Any) -> Future[FitResult]:
        fut: Future[FitResult] = Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as err:  # re-raised by fut.result() in the loop
            fut.set_exception(err)
        return fut


def _executor(n_workers: int) -> ThreadPoolExecutor | _InlineExecutor:
    return _InlineExecutor() if n_workers == 1 else ThreadPoolExecutor(max_workers=n_workers)


def _check_params(params: Params) -> Params:
    out: Params = {}
    for dim in SEARCH_SPACE:
        if dim.name not in params:
            raise ValueError(f"tuner proposal lacks {dim.name!r}: {params}")
        out[dim.name] = dim.clip(params[dim.name])
    return out


# --------------------------------------------------------------------------------------------
# Several runs at once (--jobs N): one worker process per job slot
# --------------------------------------------------------------------------------------------

#: Thread-pool sizes of OpenMP / BLAS. Set in the parent's environment while the pool lives, so
#: that the spawned workers start with them (OpenBLAS reads its variable when numpy loads), and
#: enforced again with threadpoolctl in each worker.
_THREAD_ENV: tuple[str, ...] = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class _WorkerConfig:
    tuner_modules: tuple[str, ...]
    data_dir: Path
    threads: int
    max_rounds: int
    early_stopping_rounds: int


# Per worker process, set by _init_worker: the task (data loaded and binned once per process),
# or why building it failed (raised by the first job, so the parent sees the real cause).
_WORKER_TASK: LgbTask | None = None
_WORKER_SETUP_ERROR: BaseException | None = None


def _init_worker(cfg: _WorkerConfig) -> None:
    """ProcessPoolExecutor initializer: runs once in each worker process."""
    global _WORKER_TASK, _WORKER_SETUP_ERROR
    # Ctrl-C reaches the whole process group; only the parent handles it (it stops the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for var in _THREAD_ENV:
            os.environ[var] = str(cfg.threads)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - sklearn depends on threadpoolctl
            pass
        else:
            threadpool_limits(limits=cfg.threads)  # pools of libraries loaded before this ran
        load_tuner_modules(cfg.tuner_modules)
        _WORKER_TASK = LgbTask(
            load_adult(cfg.data_dir),
            threads=cfg.threads,
            max_rounds=cfg.max_rounds,
            early_stopping_rounds=cfg.early_stopping_rounds,
        )
    except BaseException as err:  # noqa: BLE001 - re-raised by every job of this worker
        _WORKER_SETUP_ERROR = err


def _run_job(
    name: str, seed: int, budget_rounds: int, n_workers: int, report_every: int
) -> RunResult:
    """One (tuner, seed) run in a worker process; the RunResult is pickled back."""
    if _WORKER_SETUP_ERROR is not None:
        raise RuntimeError(
            f"worker process {os.getpid()} could not set up: {_WORKER_SETUP_ERROR!r}"
        ) from _WORKER_SETUP_ERROR
    if _WORKER_TASK is None:
        raise RuntimeError("_run_job called outside a worker started with _init_worker")
    return run_tuner(
        TUNERS[name],
        _WORKER_TASK,
        budget_rounds=budget_rounds,
        seed=seed,
        n_workers=n_workers,
        report_every=report_every,
    )


@contextmanager
def _thread_env(threads: int) -> Iterator[None]:
    """Set the thread-pool variables for processes started inside the block; restore after."""
    saved = {var: os.environ.get(var) for var in _THREAD_ENV}
    os.environ.update({var: str(threads) for var in _THREAD_ENV})
    try:
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued runs and end the running ones now (shutdown(wait=True) would wait for them)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=10)


def run_jobs(
    order: Sequence[tuple[str, int]],
    *,
    jobs: int,
    cfg: _WorkerConfig,
    budget_rounds: int,
    n_workers: int,
    report_every: int,
    on_result: Callable[[list[RunResult], RunResult, int], None],
) -> list[RunResult]:
    """Run every (tuner name, seed) of ``order`` in ``jobs`` spawned worker processes.

    Results are collected as they finish; after each one ``on_result(runs, run, done)`` gets the
    finished runs so far in ``order``'s order, the run that just finished and the count done.
    Returns all runs in ``order``'s order. On an error in a run, or Ctrl-C, the queued runs are
    cancelled, the workers are terminated and the exception is re-raised.
    """
    ctx = multiprocessing.get_context("spawn")  # not fork: OpenMP and threads do not survive it
    results: dict[int, RunResult] = {}
    with _thread_env(cfg.threads):
        pool = ProcessPoolExecutor(
            max_workers=min(jobs, len(order)),
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(cfg,),
        )
        futures: dict[Future[RunResult], int] = {}
        try:
            for i, (name, seed) in enumerate(order):
                fut = pool.submit(_run_job, name, seed, budget_rounds, n_workers, report_every)
                futures[fut] = i
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    run = fut.result()
                except Exception as err:
                    name, seed = order[i]
                    raise RuntimeError(f"run {name} seed {seed} failed: {err!r}") from err
                results[i] = run
                on_result([results[k] for k in sorted(results)], run, len(results))
        except BaseException:
            _stop_pool(pool)
            raise
        pool.shutdown(wait=True)
    return [results[k] for k in sorted(results)]


# --------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------


def best_so_far(records: Sequence[TrialRecord], compute: float) -> TrialRecord | None:
    """The incumbent once ``compute`` rounds had been used (last incumbent finished by then)."""
    chosen = None
    for rec in sorted(records, key=lambda r: (r.cum_rounds, r.number)):
        if rec.cum_rounds > compute:
            break
        if rec.incumbent:
            chosen = rec
    return chosen


def checkpoint_metrics(run: RunResult, fraction: float) -> dict[str, float]:
    rec = best_so_far(run.records, fraction * run.budget_rounds)
    if rec is None or rec.test_auc is None or rec.test_acc is None:
        return {"test_auc": math.nan, "test_acc": math.nan, "valid_auc": math.nan}
    return {"test_auc": rec.test_auc, "test_acc": rec.test_acc, "valid_auc": rec.valid_auc}


def compute_to_reach(records: Sequence[TrialRecord], target_auc: float) -> float:
    """First cumulative compute at which the best-so-far test AUC is >= target (inf if never)."""
    for rec in sorted(records, key=lambda r: (r.cum_rounds, r.number)):
        if rec.incumbent and rec.test_auc is not None and rec.test_auc >= target_auc:
            return float(rec.cum_rounds)
    return math.inf


def final_median_auc(runs: Sequence[RunResult]) -> float:
    return float(np.nanmedian([checkpoint_metrics(r, 1.0)["test_auc"] for r in runs]))


def compute_ratio(runs_a: Sequence[RunResult], runs_b: Sequence[RunResult]) -> float:
    """Compute tuner A needs to reach tuner B's final median test AUC, relative to B's compute.

    Numerator: median over A's seeds of the first cumulative compute at which A's best-so-far test
    AUC >= B's final median test AUC (a seed that never gets there counts as infinite). With an
    even number of seeds this is the lower median (the sorted value at index (n - 1) // 2), so
    that a tuner compared with itself comes out <= 1 rather than inf.
    Denominator: median compute B used (its budget). < 1: A gets there with less compute than B
    used; inf: A's median seed never gets there within its budget.
    """
    target = final_median_auc(runs_b)
    needed = sorted(compute_to_reach(r.records, target) for r in runs_a)
    b_used = float(np.median([r.rounds_used for r in runs_b]))
    if not needed or b_used <= 0:
        return math.nan
    return needed[(len(needed) - 1) // 2] / b_used


def _q(values: Sequence[float], q: float) -> float:
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    return float(np.quantile(arr, q)) if arr.size else math.nan


def summarize(runs: Sequence[RunResult]) -> dict[str, Any]:
    """Per-tuner statistics over seeds (JSON-ready; NaN where undefined)."""
    by_tuner: dict[str, list[RunResult]] = {}
    for run in runs:
        by_tuner.setdefault(run.tuner, []).append(run)
    out: dict[str, Any] = {}
    for name, tr in by_tuner.items():
        recs = [rec for run in tr for rec in run.records]
        entry: dict[str, Any] = {"runs": len(tr), "checkpoints": {}}
        for frac in CHECKPOINTS:
            vals = [checkpoint_metrics(r, frac) for r in tr]
            cp: dict[str, Any] = {"missing": sum(math.isnan(v["test_auc"]) for v in vals)}
            for metric in ("test_auc", "test_acc", "valid_auc"):
                xs = [v[metric] for v in vals]
                cp[metric] = {
                    "median": _q(xs, 0.5),
                    "q25": _q(xs, 0.25),
                    "q75": _q(xs, 0.75),
                    "min": _q(xs, 0.0),
                    "max": _q(xs, 1.0),
                }
            entry["checkpoints"][str(frac)] = cp
        trials = [len(r.records) for r in tr]
        entry["trials_per_run_median"] = float(np.median(trials))
        entry["pruned_share"] = (
            sum(rec.status == "pruned" for rec in recs) / len(recs) if recs else math.nan
        )
        entry["rounds_used_median"] = float(np.median([r.rounds_used for r in tr]))
        entry["rounds_used_total"] = int(sum(r.rounds_used for r in tr))
        entry["wall_s_median"] = float(np.median([r.wall_s for r in tr]))
        entry["fit_s_median"] = float(np.median([sum(x.fit_s for x in r.records) for r in tr]))
        overhead = [rec.tuner_overhead_s for rec in recs]
        latency = [rec.propose_latency_s for rec in recs]
        entry["overhead_per_trial_s_mean"] = float(np.mean(overhead)) if recs else math.nan
        entry["overhead_per_trial_s_p50"] = _q(overhead, 0.5)
        entry["overhead_share_of_wall"] = (
            sum(overhead) / sum(rec.wall_s for rec in recs) if recs else math.nan
        )
        entry["propose_latency_s_p50"] = _q(latency, 0.5)
        entry["propose_latency_s_p95"] = _q(latency, 0.95)
        entry["propose_latency_s_max"] = _q(latency, 1.0)
        out[name] = entry
    ratios: dict[str, dict[str, float]] = {}
    for a, ra in by_tuner.items():
        ratios[a] = {b: compute_ratio(ra, rb) for b, rb in by_tuner.items()}
    return {
        "tuners": out,
        "final_median_test_auc": {n: final_median_auc(tr) for n, tr in by_tuner.items()},
        "compute_ratio": ratios,
    }


# --------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------


def _fmt(x: float, digits: int = 4) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def _ms(x: float) -> str:
    if x is None or math.isnan(x):
        return "n/a"
    return f"{x * 1000:.1f}" if x < 10 else f"{x * 1000:.0f}"


def format_tables(summary: dict[str, Any], *, spread: Literal["iqr", "range"] = "iqr") -> str:
    tuners: dict[str, Any] = summary["tuners"]
    lo_key, hi_key = ("q25", "q75") if spread == "iqr" else ("min", "max")
    spread_name = "IQR" if spread == "iqr" else "min-max"
    width = max([len(n) for n in tuners] + [6])
    lines: list[str] = []
    for metric, title in (("test_auc", "test AUC"), ("test_acc", "test accuracy (0.5)")):
        lines.append(f"{title} of the best-by-validation trial: median [{spread_name}] over seeds")
        head = f"{'tuner':<{width}}  runs"
        for frac in CHECKPOINTS:
            head += f"  {f'@{int(frac * 100)}% budget':<24}"
        lines.append(head)
        for name, e in tuners.items():
            row = f"{name:<{width}}  {e['runs']:>4}"
            for frac in CHECKPOINTS:
                cp = e["checkpoints"][str(frac)]
                m = cp[metric]
                cell = f"{_fmt(m['median'])} [{_fmt(m[lo_key])}-{_fmt(m[hi_key])}]"
                if cp["missing"]:
                    cell += f" ({cp['missing']} n/a)"
                row += f"  {cell:<24}"
            lines.append(row.rstrip())
        lines.append("")
    lines.append("cost per run (medians over seeds; timings pooled over all trials)")
    lines.append(
        f"{'tuner':<{width}}  {'trials':>6}  {'pruned':>6}  {'rounds':>7}  {'wall s':>7}"
        f"  {'fit s':>7}  {'ovh/trial ms':>12}  {'ovh %':>6}  {'propose p50/p95 ms':>18}"
    )
    for name, e in tuners.items():
        prop = f"{_ms(e['propose_latency_s_p50'])}/{_ms(e['propose_latency_s_p95'])}"
        lines.append(
            f"{name:<{width}}  {e['trials_per_run_median']:>6.0f}  "
            f"{100 * e['pruned_share']:>5.0f}%  {e['rounds_used_median']:>7.0f}  "
            f"{e['wall_s_median']:>7.1f}  {e['fit_s_median']:>7.1f}  "
            f"{_ms(e['overhead_per_trial_s_mean']):>12}  "
            f"{100 * e['overhead_share_of_wall']:>5.1f}%  {prop:>18}"
        )
    lines.append("")
    lines.append(
        "compute ratio: rounds tuner ROW needs (median over seeds) to reach tuner COLUMN's final"
    )
    lines.append("median test AUC, divided by the rounds COLUMN used; inf = not reached")
    names = list(tuners)
    cw = max(max(len(n) for n in names), 7)
    lines.append(f"{'':<{width}}  " + "  ".join(f"{n:>{cw}}" for n in names))
    for a in names:
        cells = []
        for b in names:
            r = summary["compute_ratio"][a][b]
            cells.append(f"{'inf' if math.isinf(r) else _fmt(r, 2):>{cw}}")
        lines.append(f"{a:<{width}}  " + "  ".join(cells))
    finals = ", ".join(f"{n} {_fmt(v)}" for n, v in summary["final_median_test_auc"].items())
    lines.append(f"(final median test AUC: {finals})")
    lines.append("")
    lines.append("published anchors, same test split (Gorishniy et al. 2021/2023, 15-seed means):")
    for k, v in ANCHORS.items():
        lines.append(f"  {k}: {v}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


def _jsonable(obj: Any) -> Any:
    """Strict JSON: NaN and inf become None."""
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    return obj


def _unjson_float(x: float | None) -> float:
    return math.nan if x is None else float(x)


def write_json(path: Path, meta: dict[str, Any], runs: Sequence[RunResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "meta": meta,
        "anchors": ANCHORS,
        "space": [asdict(d) for d in SEARCH_SPACE],
        "fixed_params": FIXED_PARAMS,
        "runs": [asdict(r) for r in runs],
        "summary": summarize(runs),
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(_jsonable(doc), indent=1, allow_nan=False))
    tmp.replace(path)


def read_runs(path: Path) -> tuple[dict[str, Any], list[RunResult]]:
    doc = json.loads(path.read_text())
    runs = []
    for r in doc["runs"]:
        records = []
        for x in r.pop("records"):
            x["valid_auc"] = _unjson_float(x["valid_auc"])
            records.append(TrialRecord(**x))
        runs.append(RunResult(**r, records=records))
    return doc["meta"], runs


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.tuning_bench",
        description=(
            "Search-quality benchmark of hyperparameter tuners on UCI Adult with LightGBM. "
            "Each tuner runs once per seed until --budget-rounds boosting rounds have been trained "
            "in total; the best trial by validation AUC at 25/50/100% of the budget is scored on "
            "the test split. Prints a table and writes every trial to --out (JSON)."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--tuners",
        default="all",
        help="comma-separated registered tuner names, or 'all' (see --list-tuners)",
    )
    p.add_argument("--list-tuners", action="store_true", help="print the registered tuners, exit")
    p.add_argument(
        "--tuner-module",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE (dotted path) before running; it registers tuners with "
        "@register_tuner. Repeatable.",
    )
    p.add_argument(
        "--seeds", type=int, default=DEFAULT_SEEDS, help="runs per tuner, seeds 0..N-1 (+offset)"
    )
    p.add_argument("--seed-offset", type=int, default=0, help="first seed")
    p.add_argument(
        "--budget-rounds",
        type=int,
        default=DEFAULT_BUDGET,
        help="compute budget per run: total boosting rounds trained over all trials",
    )
    p.add_argument(
        "--max-rounds", type=int, default=DEFAULT_MAX_ROUNDS, help="boosting rounds cap per trial"
    )
    p.add_argument(
        "--early-stopping",
        type=int,
        default=DEFAULT_EARLY_STOPPING,
        help="early-stopping patience (rounds) on validation AUC",
    )
    p.add_argument(
        "--report-every",
        type=int,
        default=DEFAULT_REPORT_EVERY,
        help="rounds between intermediate reports to pruning tuners",
    )
    p.add_argument(
        "--n-workers",
        type=int,
        default=1,
        help="trials in flight at once (threads). The baselines are run sequentially (1); "
        "tuners that support more say so in their description",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="LightGBM threads per trial; 0 = cpu_count // (n_workers * jobs) (at least 1). On a "
        "busy machine use 1: LightGBM's OpenMP threads stall badly when a core is taken",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="(tuner, seed) runs at once, each in its own worker process (spawned; OpenMP/BLAS "
        "pools sized to --threads). 1 = one run after the other in this process",
    )
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DIR, help="folder with adult.*.gz")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file with every trial")
    p.add_argument(
        "--spread",
        choices=("iqr", "range"),
        default="iqr",
        help="spread shown next to medians: interquartile range or min-max",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK['seeds']} seeds, budget {QUICK['budget_rounds']} rounds, "
        f"{QUICK['max_rounds']} rounds cap per trial (overrides --seeds, --budget-rounds and "
        "--max-rounds)",
    )
    p.add_argument(
        "--from-json",
        type=Path,
        nargs="+",
        default=None,
        metavar="PATH",
        help="do not run anything: print the tables of earlier --out files (their runs merged, "
        "e.g. one file per tuner or per seed range)",
    )
    p.add_argument(
        "--merge-into",
        type=Path,
        default=None,
        metavar="PATH",
        help="with --from-json: also write the merged runs to PATH (same JSON layout)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no per-run progress lines")
    return p


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "lightgbm": lgb.__version__}
    for mod in ("optuna", "skopt", "numpy", "pandas", "sklearn"):
        try:
            out[mod] = str(importlib.import_module(mod).__version__)
        except Exception:  # noqa: BLE001 - a missing optional tuner library is not an error here
            out[mod] = "missing"
    return out


def _run_line(run: RunResult) -> str:
    fin = checkpoint_metrics(run, 1.0)
    return (
        f"  {run.tuner:<14} seed {run.seed}: {len(run.records):>3} trials, "
        f"{run.rounds_used} rounds, best valid {_fmt(fin['valid_auc'])}, "
        f"test AUC {_fmt(fin['test_auc'])} acc {_fmt(fin['test_acc'])}, "
        f"{run.wall_s:.1f}s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.from_json is not None:
        runs = []
        metas = []
        for path in args.from_json:
            meta, more = read_runs(path)
            commands = [m.get("command", "") for m in meta.get("merged_from", [meta])]
            print(f"# {path}: " + "\n#   ".join(commands))
            metas.append(meta)
            runs.extend(more)
        print(format_tables(summarize(runs), spread=args.spread))
        if args.merge_into is not None:
            write_json(args.merge_into, {"merged_from": metas}, runs)
            print(f"wrote {args.merge_into} ({len(runs)} runs)")
        return 0
    load_tuner_modules(args.tuner_module)
    if args.list_tuners:
        for name, cls in TUNERS.items():
            print(f"{name:<16} {cls.description}")
        return 0
    if args.quick:
        args.seeds, args.budget_rounds = QUICK["seeds"], QUICK["budget_rounds"]
        args.max_rounds = QUICK["max_rounds"]
    names = list(TUNERS) if args.tuners == "all" else [n.strip() for n in args.tuners.split(",")]
    unknown = [n for n in names if n not in TUNERS]
    if unknown:
        print(f"unknown tuner(s) {unknown}; registered: {list(TUNERS)}", file=sys.stderr)
        return 2
    if args.seeds < 1 or args.budget_rounds < 1 or args.n_workers < 1 or args.jobs < 1:
        print("--seeds, --budget-rounds, --n-workers and --jobs must be >= 1", file=sys.stderr)
        return 2
    threads = args.threads or max(1, (os.cpu_count() or 1) // (args.n_workers * args.jobs))
    seeds = list(range(args.seed_offset, args.seed_offset + args.seeds))

    data = load_adult(args.data_dir)
    meta = {
        "command": " ".join(["python -m bench.tuning_bench", *(argv or sys.argv[1:])]),
        "tuners": names,
        "seeds": seeds,
        "budget_rounds": args.budget_rounds,
        "max_rounds": args.max_rounds,
        "early_stopping": args.early_stopping,
        "report_every": args.report_every,
        "n_workers": args.n_workers,
        "threads_per_worker": threads,
        "jobs": args.jobs,
        "cpu_count": os.cpu_count(),
        "rows": {
            "tune_train": len(data.X_train),
            "valid": len(data.X_valid),
            "test": len(data.X_test),
        },
        "versions": _versions(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if not args.quiet:
        print(
            f"tuners {names}; seeds {seeds}; budget {args.budget_rounds} rounds/run; "
            f"{args.n_workers} worker(s) x {threads} thread(s)"
            + (f"; {args.jobs} runs at once (processes)" if args.jobs > 1 else ""),
            flush=True,
        )
    runs: list[RunResult] = []
    t0 = time.perf_counter()
    if args.jobs == 1:
        task = LgbTask(
            data,
            threads=threads,
            max_rounds=args.max_rounds,
            early_stopping_rounds=args.early_stopping,
        )
        for seed in seeds:  # seed-major order: a partial JSON has every tuner on the same seeds
            for name in names:
                run = run_tuner(
                    TUNERS[name],
                    task,
                    budget_rounds=args.budget_rounds,
                    seed=seed,
                    n_workers=args.n_workers,
                    report_every=args.report_every,
                )
                runs.append(run)
                if not args.quiet:
                    print(_run_line(run), flush=True)
                meta["elapsed_s"] = time.perf_counter() - t0
                write_json(args.out, meta, runs)  # after every run: a crash keeps what was done
    else:
        order = [(name, seed) for seed in seeds for name in names]  # as the loop above

        def on_result(done_runs: list[RunResult], run: RunResult, n_done: int) -> None:
            if not args.quiet:
                left = len(order) - n_done
                print(f"{_run_line(run)}  [{n_done}/{len(order)} done, {left} left]", flush=True)
            meta["elapsed_s"] = time.perf_counter() - t0
            write_json(args.out, meta, done_runs)  # after every run: a crash keeps what was done

        cfg = _WorkerConfig(
            tuner_modules=tuple(args.tuner_module),
            data_dir=args.data_dir,
            threads=threads,
            max_rounds=args.max_rounds,
            early_stopping_rounds=args.early_stopping,
        )
        try:
            runs = run_jobs(
                order,
                jobs=args.jobs,
                cfg=cfg,
                budget_rounds=args.budget_rounds,
                n_workers=args.n_workers,
                report_every=args.report_every,
                on_result=on_result,
            )
        except KeyboardInterrupt:
            print(f"\ninterrupted; the finished runs are in {args.out}", file=sys.stderr)
            return 130
        except Exception:
            print(f"\nstopped; the finished runs are in {args.out}", file=sys.stderr)
            raise
    print()
    print(format_tables(summarize(runs), spread=args.spread))
    print(f"\nwrote {args.out} ({len(runs)} runs, {time.perf_counter() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    # Run through the importable module, not __main__: tuners register into
    # bench.tuning_bench.TUNERS, and a second copy of this module would have an empty registry.
    from bench.tuning_bench import main as _main

    raise SystemExit(_main())
