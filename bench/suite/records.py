"""What a run produces: one :class:`TrialRecord` per trial, gathered in a :class:`RunResult`.

The field names are the JSON schema of every results file since the first Adult sitting, so they
keep their historical AUC names on every task: ``valid_auc`` is the validation score the tuner
maximises (AUC, -multi_logloss or -RMSE, see :mod:`bench.suite.objective`), ``test_auc`` the
headline test metric and ``test_acc`` the secondary one. The neutral aliases ``valid_score``,
``test_score`` and ``test_score2`` say so in code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bench.suite.space import Params

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
    valid_auc: float  # best validation score of the trial (pruned: best reported so far)
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
    incumbent: bool = False  # became the best completed trial by validation score
    test_auc: float | None = None  # headline test metric; only for incumbents
    test_acc: float | None = None  # secondary test metric; only for incumbents

    @property
    def valid_score(self) -> float:
        return self.valid_auc

    @property
    def test_score(self) -> float | None:
        return self.test_auc

    @property
    def test_score2(self) -> float | None:
        return self.test_acc


@dataclass
class RunResult:
    """One (tuner, seed) run until its rounds budget was used up."""

    tuner: str
    seed: int
    budget_rounds: int
    n_workers: int
    threads_per_worker: int
    rounds_used: int
    wall_s: float
    records: list[TrialRecord] = field(default_factory=list)
