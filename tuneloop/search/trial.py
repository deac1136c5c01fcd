"""One trial: what it runs (spec), what it reports while running (context), what came out.

An objective is `objective(spec, ctx) -> TrialOutcome`. While it trains it calls
`ctx.report(step, value)` at every step (boosting round, epoch): that records intermediate
scores at the pruner's rungs, enforces the trial time limit and asks the pruner whether to stop.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from tuneloop.search.pruner import NoPruner, Pruner

Status = Literal["ok", "failed", "pruned"]


@dataclass(frozen=True)
class TrialSpec:
    id: int
    params: dict[str, Any]
    seed: int
    attempt: int = 0  # 0 on the first run, k on the k-th retry
    refines: int | None = None  # a refinement (search/refine.py) of this trial: never pruned


@dataclass(frozen=True)
class TrialOutcome:
    id: int
    params: dict[str, Any]
    seed: int
    status: Status
    value: float | None = None  # the metric the study maximises (for pruned: at its rung)
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    rung: int | None = None  # for pruned trials: the rung where it stopped
    intermediate: list[list[float]] = field(default_factory=list)  # [step, value] at rungs
    attempt: int = 0
    threads: int = 1  # cores the trial held: seconds * threads is its compute
    refines: int | None = None  # the trial this one refines (a smaller learning rate)
    # Wall seconds of this trial's earlier attempts that failed and were retried (on as many
    # cores): spent compute too, though `seconds` stays the trial's own (sweep 51c F2).
    retried_s: float = 0.0

    @property
    def core_s(self) -> float:
        """The compute this trial spent, its retried attempts included."""
        return (self.seconds + self.retried_s) * self.threads

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrialOutcome:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})


MEASURE_SECONDS = "measure_s"  # a trial's seconds spent measuring its model, not training


def measures(metrics: dict[str, Any], seconds: float, threads: int) -> dict[str, float]:
    """What a trial measured besides its value (the objective's metrics: model size, latency,
    group gap, ...) and its training compute in core-seconds (train_core_s: its seconds on its
    cores, less the time spent measuring the model). For an outcome or a journal event alike."""
    train = max(0.0, float(seconds) - float(metrics.get(MEASURE_SECONDS, 0.0)))
    return {**metrics, "train_core_s": train * int(threads)}


class TrialPruned(Exception):  # noqa: N818 - a signal, like optuna.TrialPruned
    def __init__(self, step: int, rung: int, value: float) -> None:
        super().__init__(f"pruned at step {step} (rung {rung}) with value {value:.6g}")
        self.step, self.rung, self.value = step, rung, value


class OverLimit(TrialPruned):
    """Stopped early because its compute already broke constraints.max_train_core_s: compute
    only grows, so the trial could never meet the limit. A pruned trial, with the reason."""

    def __init__(self, step: int, value: float, reason: str) -> None:
        Exception.__init__(self, reason)
        self.step, self.rung, self.value, self.reason = step, None, value, reason  # type: ignore[assignment]


class TrialTimeout(Exception):  # noqa: N818
    pass


class TrialContext:
    """Handed to the objective by the runner; lives on the worker for one trial."""

    def __init__(self, spec: TrialSpec, pruner: Pruner | None = None,
                 time_limit_s: float | None = None, core_s_limit: float | None = None,
                 threads: int = 1) -> None:
        self.spec = spec
        self.pruner = pruner or NoPruner()
        self.time_limit_s = time_limit_s
        self.core_s_limit, self.threads = core_s_limit, threads
        self.started = time.perf_counter()
        self.intermediate: list[list[float]] = []
        self.metrics: dict[str, float] = {}  # the objective keeps e.g. rounds_trained current

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def check_time(self, step: int) -> None:
        if self.time_limit_s is not None and self.elapsed() > self.time_limit_s:
            raise TrialTimeout(f"exceeded the trial time limit of {self.time_limit_s:g} s "
                               f"at step {step}")

    def report(self, step: int, value: float) -> None:
        """A maximised score after `step` steps; raises TrialPruned or TrialTimeout to stop."""
        self.check_time(step)
        if self.core_s_limit is not None and self.elapsed() * self.threads > self.core_s_limit:
            raise OverLimit(step, float(value), f"over constraints.max_train_core_s "
                                                f"{self.core_s_limit:g} at step {step}")
        rung = self.pruner.rung_of(step)
        if rung is None:
            return
        self.intermediate.append([step, float(value)])
        if self.pruner.should_prune(self.spec.id, step, float(value)):
            raise TrialPruned(step, rung, float(value))
