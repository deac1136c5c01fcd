"""Early stopping across trials: asynchronous successive halving (ASHA).

Rungs sit at min_resource * reduction_factor**k steps (boosting rounds or epochs; ASHA's paper
calls the factor eta). When a trial reaches a rung it records its score there and carries on only
if that score is in the top 1/reduction_factor of the scores recorded at that rung so far.
Nothing waits for a full bracket, so workers never idle (Li et al., "A System for Massively
Parallel Hyperparameter Tuning", 2020).

Trials report from worker threads; a lock keeps the rung tables consistent.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any, Protocol


class Pruner(Protocol):
    def rung_of(self, step: int) -> int | None:
        """The rung index reached exactly at this step, or None when the step is no rung."""
        ...

    def should_prune(self, trial_id: int, step: int, value: float) -> bool:
        """Record a maximised score at a rung step; True when the trial should stop there."""
        ...


class NoPruner:
    def rung_of(self, step: int) -> int | None:
        return None

    def should_prune(self, trial_id: int, step: int, value: float) -> bool:
        return False


class AshaPruner:
    def __init__(self, min_resource: int, reduction_factor: int = 3,
                 min_trials_per_rung: int = 3, max_resource: int | None = None) -> None:
        self.min_resource = min_resource
        self.reduction_factor = reduction_factor
        self.min_peers = min_trials_per_rung
        self.max_resource = max_resource
        self._rungs: dict[int, dict[int, float]] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # Shipped to Dask workers by value: a lock cannot be pickled, a new one will do.
        with self._lock:
            return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def rung_of(self, step: int) -> int | None:
        if step < self.min_resource or step % self.min_resource:
            return None
        k = math.log(step / self.min_resource, self.reduction_factor)
        rung = round(k)
        if abs(k - rung) > 1e-9:
            return None
        # The last resource is where a trial ends anyway: no rung there.
        if self.max_resource is not None and step >= self.max_resource:
            return None
        return rung

    def should_prune(self, trial_id: int, step: int, value: float) -> bool:
        rung = self.rung_of(step)
        if rung is None:
            return False
        with self._lock:
            scores = self._rungs.setdefault(rung, {})
            scores[trial_id] = value
            if len(scores) < self.min_peers:
                return False
            keep = max(1, len(scores) // self.reduction_factor)
            cutoff = sorted(scores.values(), reverse=True)[keep - 1]
            return value < cutoff

    def record(self, trial_id: int, step: int, value: float) -> None:
        """Replay a rung score from the journal (resume) without deciding anything."""
        rung = self.rung_of(step)
        if rung is not None:
            with self._lock:
                self._rungs.setdefault(rung, {})[trial_id] = value

    def rung_sizes(self) -> dict[int, int]:
        with self._lock:
            return {k: len(v) for k, v in sorted(self._rungs.items())}


class KeyedPruner:
    """One pruner per kind of trial (e.g. per model family: rounds and epochs never compete)."""

    def __init__(self, pruners: dict[str, Pruner], key: Callable[[dict[str, Any]], str]) -> None:
        self.pruners = pruners
        self.key = key

    def select(self, params: dict[str, Any]) -> Pruner:
        return self.pruners.get(self.key(params)) or NoPruner()


def make_pruner(kind: str, min_resource: int, reduction_factor: int, min_trials_per_rung: int,
                max_resource: int | None = None) -> Pruner:
    if kind == "asha":
        return AshaPruner(min_resource, reduction_factor, min_trials_per_rung, max_resource)
    if kind == "none":
        return NoPruner()
    raise ValueError(f"unknown pruner {kind!r}; one of asha, none")
