"""When a study stops: max trials, wall-clock seconds, compute (core-seconds in trials), cost
(money spent in trials at the project's prices), or a flat objective (the last `flat_trials`
trials to complete all did so within `flat_tolerance` of the best, relative: on such data the
search space makes no difference, and more trials only spend compute).

Whichever is reached first wins and is named in the result. A study that hits the wall-clock or
compute budget starts no new trial; the ones running finish (bounded by the trial time limit),
so the journal never holds a half-run trial from an orderly stop.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    max_trials: int
    wall_clock_s: float | None = None
    compute_s: float | None = None
    cost: float | None = None
    flat_trials: int | None = None
    flat_tolerance: float = 0.0002


class BudgetTracker:
    def __init__(self, budget: Budget, trials_done: int = 0, compute_used: float = 0.0,
                 cost_used: float = 0.0) -> None:
        self.budget = budget
        self.started = time.perf_counter()
        self.trials_done = trials_done
        self.compute_used = compute_used
        self.cost_used = cost_used
        self.best: float | None = None
        # The latest completed trials' values, None for a failed one. A pruned trial neither
        # counts nor breaks the run: on a flat objective a slow learner is pruned at an early
        # rung though it would end where the others did.
        self.recent: deque[float | None] = deque(maxlen=budget.flat_trials or 1)

    def record(self, status: str, value: float | None) -> None:
        """A finished trial's outcome (the value maximised), for the flat-objective stop."""
        if status == "pruned":
            return
        done = status == "ok" and value is not None
        if done and (self.best is None or value > self.best):
            self.best = value
        self.recent.append(float(value) if done else None)

    def flat(self) -> bool:
        """The last `flat_trials` trials to complete all did so within `flat_tolerance` x |best|
        of the best (the best among them or before), with no failure among them."""
        b = self.budget
        if not b.flat_trials or self.best is None or len(self.recent) < b.flat_trials:
            return False
        allowed = b.flat_tolerance * abs(self.best)
        return all(v is not None and self.best - v <= allowed for v in self.recent)

    def add(self, seconds: float, threads: int, cost: float = 0.0, *,
            attempt_only: bool = False) -> None:
        """A finished trial's spend, or (attempt_only) a failed attempt's that is retried:
        spent all the same, but no trial toward max_trials."""
        self.trials_done += 0 if attempt_only else 1
        self.compute_used += seconds * threads
        self.cost_used += cost

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def share_used(self) -> float:
        """How far along the study is, 0..1: the largest share used of any of its budgets."""
        b = self.budget
        shares = [self.trials_done / b.max_trials]
        if b.wall_clock_s is not None:
            shares.append(self.elapsed() / b.wall_clock_s)
        if b.compute_s is not None:
            shares.append(self.compute_used / b.compute_s)
        if b.cost is not None:
            shares.append(self.cost_used / b.cost)
        return min(1.0, max(shares))

    def exhausted(self, running: int = 0) -> str | None:
        """The budget that is used up, counting running trials toward max_trials; else None."""
        b = self.budget
        if self.trials_done + running >= b.max_trials:
            return "max_trials"
        if b.wall_clock_s is not None and self.elapsed() >= b.wall_clock_s:
            return "wall_clock"
        if b.compute_s is not None and self.compute_used >= b.compute_s:
            return "compute"
        if b.cost is not None and self.cost_used >= b.cost:
            return "cost"
        if self.flat():
            return "flat"
        return None


def stop_words(reason: str) -> str:
    """A stop reason as a user reads it in a summary line."""
    if reason == "flat":
        return ("flat (the latest trials all scored as the best, within budget.flat_tolerance: "
                "on this data the configuration barely matters, and more trials would only "
                "spend compute)")
    return reason
