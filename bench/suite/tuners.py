"""The ask/tell contract between the harness and a tuner, and the registry of tuners by name.

The harness owns the loop, the budget, the timing and the test scoring; a tuner only proposes
configurations and learns from their outcomes. Keeping tuners this thin is what lets every tuner
be compared on exactly the same trials' costs.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from bench.suite.records import TrialStatus
from bench.suite.space import Dim, Params

#: Modules imported by :func:`load_tuner_modules` whatever the caller asks: the baselines.
BUILTIN_MODULES: tuple[str, ...] = ("bench.baselines",)


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
    """What ``Tuner.tell`` receives. The objective is maximised.

    ``valid_auc`` is the trial's best validation score, higher is better on every task (AUC for
    binary, -multi_logloss for multiclass, -RMSE for regression); the name is historical.
    """

    valid_auc: float
    status: TrialStatus
    rounds_trained: int
    best_iteration: int
    # Constraint measures of the trained model (e.g. size_bytes); only a harness that measures
    # them fills this (bench/constrained_bench.py), run_tuner leaves it None.
    measures: dict[str, float] | None = None

    @property
    def value(self) -> float:
        """The maximised validation score (task-neutral name for ``valid_auc``)."""
        return self.valid_auc


class Tuner(ABC):
    """Ask/tell search strategy. The harness owns the loop, the budget and all timing.

    Contract:

    * ``__init__(self, ctx: TunerContext)``: the search space, seed, worker count, per-trial round
      cap, early-stopping patience, reporting period and the run's total rounds budget.
    * ``ask() -> Proposal``: next configuration; ``params`` holds one value per ``ctx.space``
      dimension, within bounds (ints for int dimensions). With ``n_workers > 1`` several asks may
      be outstanding before their tells.
    * ``tell(proposal, outcome)``: exactly once per ask, for every status (``pruned`` trials too;
      ``truncated`` = stopped by the global budget, its score is as good as a complete one's).
    * ``report(proposal, rounds, valid_auc) -> bool``: only called when ``wants_reports`` is true,
      every ``ctx.report_every`` rounds, with the best validation score of the trial so far.
      Return True to prune the trial.
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
    for module in (*BUILTIN_MODULES, *modules):
        importlib.import_module(module)
