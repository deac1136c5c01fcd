"""The study runner: keeps N workers busy, journals every event, tells results by id.

Strategies read, the runner writes: only this module changes study state. Every event is in
the journal before the strategy or the caller hears of it, so `kill -9` loses no finished trial.
A trial the executor loses (its Dask worker died, its task was cancelled) is retried like a
failed one, its reason in the journal; an executor that can run nothing more stops the study.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from tuneloop.search.budget import Budget, BudgetTracker
from tuneloop.search.executor import ThreadExecutor, TrialExecutor
from tuneloop.search.journal import Journal
from tuneloop.search.pruner import NoPruner, Pruner
from tuneloop.search.strategy import SearchStrategy
from tuneloop.search.trial import (
    TrialContext,
    TrialOutcome,
    TrialPruned,
    TrialSpec,
    TrialTimeout,
    measures,
)

Objective = Callable[[TrialSpec, TrialContext], TrialOutcome]

__all__ = ["StudyResult", "TrialOutcome", "TrialSpec", "run_study", "trial_seed"]


@dataclass(frozen=True)
class StudyResult:
    trials: list[TrialOutcome]
    seed: int
    stop_reason: str = "max_trials"
    wall_seconds: float = 0.0
    ask_seconds: list[float] = field(default_factory=list)  # one per proposal
    overhead_seconds: float = 0.0  # the runner's own busy time: propose + orchestrate + log
    retries: int = 0
    # Failed attempts of trials that never finished (the study stopped before their retry).
    unfinished_retry_core_s: float = 0.0

    @property
    def completed(self) -> list[TrialOutcome]:
        return [t for t in self.trials if t.status == "ok"]

    @property
    def failed(self) -> list[TrialOutcome]:
        return [t for t in self.trials if t.status == "failed"]

    @property
    def pruned(self) -> list[TrialOutcome]:
        return [t for t in self.trials if t.status == "pruned"]

    @property
    def compute_seconds(self) -> float:
        return sum(t.core_s for t in self.trials) + self.unfinished_retry_core_s

    def failure_reasons(self) -> dict[str, int]:
        """How often each failure reason occurred among trials that failed for good."""
        out: dict[str, int] = {}
        for t in self.failed:
            out[t.error or "?"] = out.get(t.error or "?", 0) + 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    @property
    def best(self) -> TrialOutcome:
        done = self.completed
        if not done:
            from tuneloop.errors import StudyFailed

            reasons = "; ".join(self.failure_reasons()) or "every trial was pruned"
            raise StudyFailed(f"no trial completed; failures: {reasons[:500]}")
        return max(done, key=lambda t: (t.value, -t.id))


def trial_seed(study_seed: int, trial_id: int) -> int:
    """Every trial's seed derives from the study seed and the trial id alone."""
    return int(np.random.SeedSequence([study_seed, trial_id]).generate_state(1)[0] % (2**31 - 1))


def _where(exc: BaseException) -> str:
    """The line that raised, named from its package (lightgbm/basic.py), not by the machine's
    absolute path: the error text goes to the journal, MLflow and the report."""
    last = traceback.extract_tb(exc.__traceback__)[-1:]
    if not last:
        return ""
    path = Path(last[0].filename)
    roots = sorted((Path(p or ".").resolve() for p in sys.path), key=lambda r: -len(r.parts))
    name = next((path.relative_to(r) for r in roots if path.is_relative_to(r)), Path(path.name))
    return f" at {name.as_posix()}:{last[0].lineno}"


def guarded(objective: Objective, pruner: Pruner | None = None,
            time_limit_s: float | None = None, threads: int = 1,
            core_s_limit: float | None = None) -> GuardedTrial:
    """A trial that raises, returns a non-finite value or runs too long is a failed trial, never
    a crash; a pruned trial comes back as pruned with its rung (a trial whose compute passed
    `core_s_limit` as pruned without one, the reason in `error`)."""
    return GuardedTrial(objective, pruner, time_limit_s, threads, core_s_limit)


class GuardedTrial:
    """The function each trial runs. Its `shared` part (the objective, which holds the training
    data) is the same for every trial: an executor may ship it once per worker and call
    `run(shared, spec)` there on a copy made `without_shared()` (executor.DaskExecutor).
    A plain class, not a dataclass: Prefect walks dataclass parameters, and this one holds
    the training data."""

    __name__ = "call"  # the task name executors show (Dask: the scheduler's task prefix)

    def __init__(self, objective: Objective | None, pruner: Pruner | None = None,
                 time_limit_s: float | None = None, threads: int = 1,
                 core_s_limit: float | None = None,
                 describe: Callable[[float], str] | None = None) -> None:
        self.objective, self.pruner = objective, pruner
        self.time_limit_s, self.threads = time_limit_s, threads
        self.core_s_limit = core_s_limit
        # A study value in the metric's own words ("logloss 0.939"), for what executors show
        # of a trial (the Prefect task state of a pruned one).
        self.describe = describe

    @property
    def shared(self) -> Objective | None:
        return self.objective

    def without_shared(self) -> GuardedTrial:
        return GuardedTrial(None, self.pruner, self.time_limit_s, self.threads,
                            self.core_s_limit, self.describe)

    def __call__(self, spec: TrialSpec) -> TrialOutcome:
        assert self.objective is not None, "a trial function without its objective"
        return self.run(self.objective, spec)

    def run(self, objective: Objective, spec: TrialSpec) -> TrialOutcome:
        pruner, time_limit_s, threads = self.pruner, self.time_limit_s, self.threads
        # A refinement learns slowly on purpose: comparing it at a rung would always prune it.
        chosen = None if spec.refines is not None else _select(pruner, spec.params)
        ctx = TrialContext(spec, chosen, time_limit_s, self.core_s_limit, threads)
        base = {"id": spec.id, "params": spec.params, "seed": spec.seed,
                "attempt": spec.attempt, "threads": threads, "refines": spec.refines}
        try:
            outcome = objective(spec, ctx)
        except TrialPruned as p:
            return TrialOutcome(**base, status="pruned", value=p.value, rung=p.rung,
                                metrics=dict(ctx.metrics), seconds=ctx.elapsed(),
                                intermediate=ctx.intermediate, error=getattr(p, "reason", None))
        except TrialTimeout as exc:
            return TrialOutcome(**base, status="failed", metrics=dict(ctx.metrics),
                                seconds=ctx.elapsed(), error=f"TrialTimeout: {exc}",
                                intermediate=ctx.intermediate)
        except Exception as exc:  # the trial's own failure: record it, keep the study alive
            return TrialOutcome(**base, status="failed", seconds=ctx.elapsed(),
                                error=f"{type(exc).__name__}: {exc}{_where(exc)}",
                                intermediate=ctx.intermediate)
        seconds = ctx.elapsed()
        if outcome.value is None or not math.isfinite(outcome.value):
            return TrialOutcome(**base, status="failed", metrics=outcome.metrics,
                                seconds=seconds, error=f"objective returned {outcome.value!r}")
        if time_limit_s is not None and seconds > time_limit_s:
            return TrialOutcome(**base, status="failed", metrics=outcome.metrics, seconds=seconds,
                                error=f"TrialTimeout: took {seconds:.1f} s, over the limit of "
                                      f"{time_limit_s:g} s")
        return TrialOutcome(**{**outcome.to_dict(), **base, "seconds": seconds,
                               "intermediate": ctx.intermediate or outcome.intermediate})


def _collect(executor: TrialExecutor, handle: Any, spec: TrialSpec,
          threads: int) -> TrialOutcome:
    """The trial's result, or a failed outcome saying why the executor lost it (a dead worker,
    a cancelled task, a dropped connection): the trial itself never raises (GuardedTrial).
    Raises ClusterLost instead when the executor can run no trial any more."""
    try:
        return executor.result(handle)
    except (Exception, asyncio.CancelledError) as exc:
        check = getattr(executor, "check", None)
        if check is not None:
            check()
        reason = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        return TrialOutcome(spec.id, spec.params, spec.seed, "failed",
                            error=f"lost by the executor: {reason}"[:300],
                            attempt=spec.attempt, threads=threads, refines=spec.refines)


def _select(pruner: Any, params: dict[str, Any]) -> Pruner | None:
    return pruner.select(params) if hasattr(pruner, "select") else pruner


def _record_rungs(pruner: Any, spec: TrialSpec, outcome: TrialOutcome) -> None:
    """Give the study's pruner a finished trial's rung scores. With threads the trial already
    reported them to this same object (recording again is a no-op); a trial that ran elsewhere
    (Dask) reported to its own copy, and only this makes later trials see its scores."""
    chosen = _select(pruner, spec.params)
    if hasattr(chosen, "record"):
        for step, value in outcome.intermediate:
            chosen.record(spec.id, int(step), value)  # type: ignore[union-attr]


def _replay(journal: Journal, strategy: SearchStrategy,
            pruner: Pruner) -> tuple[list[TrialOutcome], list[TrialSpec]]:
    proposed: dict[int, TrialSpec] = {}
    finished: dict[int, TrialOutcome] = {}
    for event in journal.events():
        if event["event"] == "proposed":
            proposed[event["id"]] = TrialSpec(event["id"], event["params"], event["seed"],
                                              refines=event.get("refines"))
        elif event["event"] == "finished":
            finished[event["id"]] = TrialOutcome.from_dict(event)
    for tid, spec in sorted(proposed.items()):
        done = finished.get(tid)
        if done is not None:
            _record_rungs(pruner, spec, done)
        value = -done.value if done and done.value is not None else None
        if done is not None and done.status == "failed":
            value = -_worst(finished.values())
        strategy.replay(tid, spec.params, value,  # type: ignore[attr-defined]
                        banned=done is not None and done.status == "failed",
                        refines=spec.refines, complete=done is not None and done.status == "ok",
                        measures=None if done is None else measures_of(done))
    unfinished = [spec for tid, spec in sorted(proposed.items()) if tid not in finished]
    return [finished[t] for t in sorted(finished)], unfinished


def measures_of(outcome: TrialOutcome) -> dict[str, float]:
    """tuneloop.search.trial.measures of a finished trial."""
    return measures(outcome.metrics, outcome.seconds, outcome.threads)


def _best_value(trials: Iterable[TrialOutcome]) -> float | None:
    return max((t.value for t in trials if t.status == "ok" and t.value is not None),
               default=None)


def _worst(trials: Iterable[TrialOutcome]) -> float:
    return min((t.value for t in trials if t.status != "failed" and t.value is not None),
               default=0.0)


def run_study(
    objective: Objective,
    strategy: SearchStrategy,
    journal: Journal,
    *,
    n_trials: int,
    n_workers: int,
    seed: int,
    executor: TrialExecutor | None = None,
    on_trial: Callable[[TrialOutcome], None] | None = None,
    resume: bool = False,
    pruner: Any = None,
    max_retries: int = 0,
    time_limit_s: float | None = None,
    wall_clock_s: float | None = None,
    compute_s: float | None = None,
    cost_cap: float | None = None,
    cost_of: Callable[[TrialOutcome], float] | None = None,
    threads_per_trial: int = 1,
    warm_start: Iterable[TrialOutcome] = (),
    study_info: dict[str, Any] | None = None,
    describe: Callable[[float], str] = lambda value: f"{value:.5g}",
    core_s_limit: float | None = None,
    flat_trials: int | None = None,
    flat_tolerance: float = 0.0002,
) -> StudyResult:
    """Run trials until a budget is used up; the objective's value is maximised.
    `study_info` goes into a new study's first journal event (e.g. a warm study's seeds, so a
    resumed one proposes the same). `describe` words the best value for the progress bar."""
    t0 = time.perf_counter()
    waited = 0.0
    pruner = pruner or NoPruner()
    for old in warm_start:  # earlier studies: knowledge for the surrogate, not trials of ours
        if old.status != "failed" and old.value is not None:
            strategy.observe(old.params, -float(old.value))  # type: ignore[attr-defined]
    if resume:
        trials, rerun = _replay(journal, strategy, pruner)
    else:
        journal.reset()
        trials, rerun = [], []
        journal.append({**(study_info or {}), "event": "study", "seed": seed,
                        "n_trials": n_trials})
    price = cost_of or (lambda outcome: 0.0)
    # A resumed study's spend is what its journal recorded (prices may have changed since),
    # failed attempts that were retried included; those of a trial not yet finished are
    # carried to its finish.
    retried_s: dict[int, float] = {}
    retried_core: dict[int, float] = {}
    retried_cost: dict[int, float] = {}
    done_ids = {t.id for t in trials}
    # Read once: a resumed study's journal is walked for its retries, its spend and its stop.
    earlier = list(journal.events()) if resume else []
    for event in earlier:
        if event.get("event") == "retry" and event.get("id") not in done_ids:
            tid = int(event["id"])
            retried_s[tid] = retried_s.get(tid, 0.0) + float(event.get("seconds", 0.0))
            retried_core[tid] = retried_core.get(tid, 0.0) + float(
                event.get("seconds", 0.0)) * int(event.get("threads", 1))
            retried_cost[tid] = retried_cost.get(tid, 0.0) + float(event.get("cost", 0.0))
    spent = sum(float(e.get("cost", 0.0)) for e in earlier
                if e.get("event") == "finished") + sum(retried_cost.values())
    budget = BudgetTracker(Budget(n_trials, wall_clock_s, compute_s, cost_cap, flat_trials,
                                  flat_tolerance), len(trials),
                           sum(t.core_s for t in trials) + sum(retried_core.values()), spent)
    for event in earlier:  # in the order they finished: a resumed
        if event.get("event") == "finished":             # study stops where it would have
            budget.record(str(event.get("status")), event.get("value"))
    if hasattr(strategy, "attach_budget"):
        strategy.attach_budget(budget.share_used)
    own_executor = executor is None
    executor = executor or ThreadExecutor(n_workers)
    call = guarded(objective, pruner, time_limit_s, threads_per_trial, core_s_limit)
    call.describe = describe
    running: dict[Any, TrialSpec] = {}
    retry: list[TrialSpec] = []
    asks: list[float] = []
    n_retries = 0
    stop_reason: str | None = None
    # A terminal gets a live bar (trials / budget, best so far, ETA); a log file gets nothing.
    progress = tqdm(total=n_trials, initial=len(trials), desc="tune", unit="trial", disable=None)
    best_value = _best_value(trials)

    def show_best() -> None:
        if best_value is not None:
            progress.set_postfix_str(f"best {describe(best_value)}", refresh=False)

    show_best()

    def submit_next() -> None:
        if retry:
            spec = retry.pop(0)
        elif rerun:
            spec = rerun.pop(0)
        else:
            started = time.perf_counter()
            proposal = strategy.ask()
            asks.append(time.perf_counter() - started)
            spec = TrialSpec(proposal.id, proposal.params, trial_seed(seed, proposal.id),
                             refines=proposal.refines)
            event = {"event": "proposed", "id": spec.id, "params": spec.params,
                     "seed": spec.seed}
            if spec.refines is not None:
                event["refines"] = spec.refines
            # Unsynced: one fsync per trial, at its result (the fsync was half the runner's
            # time per trial at 64 workers, bench/scale.py); a kill loses no line either way.
            journal.append(event, sync=False)
        try:
            running[executor.submit(call, spec)] = spec
        except Exception:
            check = getattr(executor, "check", None)
            if check is not None:
                check()  # ClusterLost names the cluster; otherwise the error is ours
            raise

    try:
        while True:
            # Retries of running trials' ids never count twice toward max_trials.
            while len(running) < n_workers and (
                    retry or budget.exhausted(len(running)) is None):
                submit_next()
            if not running:
                stop_reason = budget.exhausted() or "max_trials"
                break
            wait_start = time.perf_counter()
            handle = executor.wait_any(list(running))
            waited += time.perf_counter() - wait_start
            spec = running.pop(handle)
            outcome = _collect(executor, handle, spec, threads_per_trial)
            if outcome.status == "failed" and spec.attempt < max_retries:
                # A failed attempt spent its compute (and money): counted now, as the budget
                # caps read it, and carried to the trial's finished event.
                cost = price(outcome)
                journal.append({"event": "retry", **outcome.to_dict(), "cost": cost},
                               sync=False)
                budget.add(outcome.seconds, outcome.threads, cost, attempt_only=True)
                retried_s[spec.id] = retried_s.get(spec.id, 0.0) + outcome.seconds
                retried_core[spec.id] = retried_core.get(spec.id, 0.0) + \
                    outcome.seconds * outcome.threads
                retried_cost[spec.id] = retried_cost.get(spec.id, 0.0) + cost
                retry.append(TrialSpec(spec.id, spec.params, spec.seed, spec.attempt + 1,
                                       spec.refines))
                n_retries += 1
                continue
            cost = price(outcome)  # journalled, so the study's total is the sum of its trials'
            outcome = replace(outcome, retried_s=retried_s.pop(spec.id, 0.0))
            retried_core.pop(spec.id, None)
            journal.append({"event": "finished", **outcome.to_dict(),
                            "cost": cost + retried_cost.pop(spec.id, 0.0)})
            _record_rungs(pruner, spec, outcome)
            budget.add(outcome.seconds, outcome.threads, cost)
            budget.record(outcome.status, outcome.value)
            if outcome.status == "failed":
                # Failed for good: a bad value steers the surrogate away; the point is banned.
                strategy.ban(spec.id, -_worst(trials))  # type: ignore[attr-defined]
            else:
                # Pruned trials tell their rung score: a pessimistic low-fidelity value.
                strategy.tell(spec.id, -float(outcome.value),  # type: ignore[arg-type]
                              complete=outcome.status == "ok", measures=measures_of(outcome))
            trials.append(outcome)
            if outcome.status == "ok" and (best_value is None or outcome.value > best_value):
                best_value = outcome.value
                show_best()
            progress.update(1)
            if on_trial is not None:
                on_trial(outcome)
    finally:
        progress.close()
        for spec in running.values():
            strategy.forget(spec.id)
        if own_executor:
            executor.close()
    wall = time.perf_counter() - t0
    return StudyResult(trials=sorted(trials, key=lambda t: t.id), seed=seed,
                       stop_reason=stop_reason or "max_trials", wall_seconds=wall,
                       ask_seconds=asks, overhead_seconds=wall - waited, retries=n_retries,
                       unfinished_retry_core_s=sum(retried_core.values()))
