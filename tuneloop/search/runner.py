"""The study runner: keeps N workers busy, journals every event, tells results by id.

Strategies read, the runner writes: only this module changes study state.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from tqdm.auto import tqdm

from tuneloop.search.executor import ThreadExecutor, TrialExecutor
from tuneloop.search.journal import Journal
from tuneloop.search.strategy import SearchStrategy


@dataclass(frozen=True)
class TrialSpec:
    id: int
    params: dict[str, Any]
    seed: int


@dataclass(frozen=True)
class TrialOutcome:
    id: int
    params: dict[str, Any]
    seed: int
    status: Literal["ok", "failed"]
    value: float | None = None  # the metric the study maximises
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StudyResult:
    trials: list[TrialOutcome]
    seed: int

    @property
    def completed(self) -> list[TrialOutcome]:
        return [t for t in self.trials if t.status == "ok"]

    @property
    def best(self) -> TrialOutcome:
        done = self.completed
        if not done:
            reasons = sorted({t.error or "?" for t in self.trials})
            raise RuntimeError(f"no trial completed; failures: {'; '.join(reasons)[:500]}")
        return max(done, key=lambda t: (t.value, -t.id))


def trial_seed(study_seed: int, trial_id: int) -> int:
    """Every trial's seed derives from the study seed and the trial id alone."""
    return int(np.random.SeedSequence([study_seed, trial_id]).generate_state(1)[0] % (2**31 - 1))


def _guarded(objective: Callable[[TrialSpec], TrialOutcome]) -> Callable[[TrialSpec], TrialOutcome]:
    """A trial that raises or returns a non-finite value is a failed trial, never a crash."""

    def call(spec: TrialSpec) -> TrialOutcome:
        started = time.perf_counter()
        try:
            outcome = objective(spec)
        except Exception as exc:  # the trial's own failure: record it, keep the study alive
            last = traceback.extract_tb(exc.__traceback__)[-1:]
            where = f" at {last[0].filename}:{last[0].lineno}" if last else ""
            return TrialOutcome(spec.id, spec.params, spec.seed, "failed",
                                seconds=time.perf_counter() - started,
                                error=f"{type(exc).__name__}: {exc}{where}")
        if outcome.value is None or not math.isfinite(outcome.value):
            return TrialOutcome(spec.id, spec.params, spec.seed, "failed",
                                metrics=outcome.metrics, seconds=outcome.seconds,
                                error=f"objective returned {outcome.value!r}")
        return outcome

    return call


def _replay(
    journal: Journal, strategy: SearchStrategy
) -> tuple[list[TrialOutcome], list[TrialSpec]]:
    proposed: dict[int, TrialSpec] = {}
    finished: dict[int, TrialOutcome] = {}
    for event in journal.events():
        if event["event"] == "proposed":
            proposed[event["id"]] = TrialSpec(event["id"], event["params"], event["seed"])
        elif event["event"] == "finished":
            outcome = {k: v for k, v in event.items() if k != "event"}
            finished[event["id"]] = TrialOutcome(**outcome)
    for tid, spec in sorted(proposed.items()):
        done = finished.get(tid)
        value = -done.value if done and done.status == "ok" and done.value is not None else None
        strategy.replay(tid, spec.params, value)  # type: ignore[attr-defined]
    unfinished = [spec for tid, spec in sorted(proposed.items()) if tid not in finished]
    return [finished[t] for t in sorted(finished)], unfinished


def run_study(
    objective: Callable[[TrialSpec], TrialOutcome],
    strategy: SearchStrategy,
    journal: Journal,
    *,
    n_trials: int,
    n_workers: int,
    seed: int,
    executor: TrialExecutor | None = None,
    on_trial: Callable[[TrialOutcome], None] | None = None,
    resume: bool = False,
) -> StudyResult:
    """Run trials until n_trials have finished; the objective's value is maximised."""
    if resume:
        trials, rerun = _replay(journal, strategy)
    else:
        journal.reset()
        trials, rerun = [], []
        journal.append({"event": "study", "seed": seed, "n_trials": n_trials})
    own_executor = executor is None
    executor = executor or ThreadExecutor(n_workers)
    call = _guarded(objective)
    running: dict[Any, TrialSpec] = {}
    progress = tqdm(total=n_trials, initial=len(trials), desc="tune", unit="trial", disable=None)

    def submit_next() -> None:
        if rerun:
            spec = rerun.pop(0)
        else:
            proposal = strategy.ask()
            spec = TrialSpec(proposal.id, proposal.params, trial_seed(seed, proposal.id))
            journal.append({"event": "proposed", "id": spec.id, "params": spec.params,
                            "seed": spec.seed})
        running[executor.submit(call, spec)] = spec

    try:
        while len(trials) + len(running) < n_trials or running:
            while len(running) < n_workers and len(trials) + len(running) < n_trials:
                submit_next()
            handle = executor.wait_any(list(running))
            spec = running.pop(handle)
            outcome: TrialOutcome = executor.result(handle)
            journal.append({"event": "finished", **outcome.to_dict()})
            if outcome.status == "ok":
                strategy.tell(spec.id, -float(outcome.value))  # type: ignore[arg-type]
            else:
                # A failed point is told a bad value so the surrogate steers away from it.
                worst = min((t.value for t in trials if t.status == "ok"), default=0.0)
                strategy.tell(spec.id, -float(worst))
            trials.append(outcome)
            progress.update(1)
            if on_trial is not None:
                on_trial(outcome)
    finally:
        progress.close()
        if own_executor:
            executor.close()
    return StudyResult(trials=sorted(trials, key=lambda t: t.id), seed=seed)
