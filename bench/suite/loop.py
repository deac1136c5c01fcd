"""The budgeted run loop: drive one tuner until its rounds budget is used, and many such runs at
once in worker processes.

The budget is counted round by round inside LightGBM (not in trials), so a tuner that stops bad
trials early really does get more trials for the same compute, and every run uses exactly its
budget with one worker.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import threading
import time
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.suite.datasets import DATASETS
from bench.suite.objective import FitResult, LgbTask, RoundVerdict
from bench.suite.records import RunResult, TrialRecord
from bench.suite.space import SEARCH_SPACE, check_params
from bench.suite.tuners import TUNERS, Proposal, TrialOutcome, Tuner, TunerContext
from bench.suite.tuners import load_tuner_modules as _load_tuner_modules

DEFAULT_REPORT_EVERY = 10


def trial_seed(run_seed: int, number: int) -> int:
    """LightGBM's seed for trial ``number`` of run ``run_seed``: a fixed function of both, so a
    seeded tuner's run is reproducible trial by trial."""
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
                    proposal.params = check_params(proposal.params)
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


# --------------------------------------------------------------------------------------------
# Several runs at once (--jobs N): one worker process per job slot
# --------------------------------------------------------------------------------------------

#: Thread-pool sizes of OpenMP / BLAS. Set in the parent's environment while the pool lives, so
#: that the spawned workers start with them (OpenBLAS reads its variable when numpy loads), and
#: enforced again with threadpoolctl in each worker.
THREAD_ENV: tuple[str, ...] = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker process needs to build its task once: picklable, names only."""

    tuner_modules: tuple[str, ...]
    data_dir: Path | None
    threads: int
    max_rounds: int
    early_stopping_rounds: int
    dataset: str = "adult"


# Per worker process, set by _init_worker: the task (data loaded and binned once per process),
# or why building it failed (raised by the first job, so the parent sees the real cause).
_WORKER_TASK: LgbTask | None = None
_WORKER_SETUP_ERROR: BaseException | None = None


def build_task(
    dataset: str,
    data_dir: Path | None,
    *,
    threads: int,
    max_rounds: int,
    early_stopping_rounds: int,
) -> LgbTask:
    """Load a registered dataset and bin it for LightGBM (the one place a task is built)."""
    ds = DATASETS[dataset]
    return LgbTask(
        ds.load(data_dir),
        threads=threads,
        max_rounds=max_rounds,
        early_stopping_rounds=early_stopping_rounds,
        task=ds.task,
        num_class=ds.num_class,
    )


def _init_worker(cfg: WorkerConfig) -> None:
    """ProcessPoolExecutor initializer: runs once in each worker process."""
    global _WORKER_TASK, _WORKER_SETUP_ERROR
    # Ctrl-C reaches the whole process group; only the parent handles it (it stops the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for var in THREAD_ENV:
            os.environ[var] = str(cfg.threads)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - sklearn depends on threadpoolctl
            pass
        else:
            threadpool_limits(limits=cfg.threads)  # pools of libraries loaded before this ran
        _load_tuner_modules(cfg.tuner_modules)
        _WORKER_TASK = build_task(
            cfg.dataset,
            cfg.data_dir,
            threads=cfg.threads,
            max_rounds=cfg.max_rounds,
            early_stopping_rounds=cfg.early_stopping_rounds,
        )
    except BaseException as err:  # noqa: BLE001 - re-raised by every job of this worker
        _WORKER_SETUP_ERROR = err


def _run_job(
    name: str, seed: int, budget_rounds: int, n_workers: int, report_every: int
) -> RunResult:
    """One (tuner, seed) run in a worker process; the RunResult goes back to the parent."""
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
def thread_env(threads: int) -> Iterator[None]:
    """Set the thread-pool variables for processes started inside the block; restore after."""
    saved = {var: os.environ.get(var) for var in THREAD_ENV}
    os.environ.update({var: str(threads) for var in THREAD_ENV})
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
    cfg: WorkerConfig,
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
    with thread_env(cfg.threads):
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
