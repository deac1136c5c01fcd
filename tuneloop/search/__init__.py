"""The search engine: spaces, strategies (skopt behind an adapter), pruners, the journal and
the runner."""

from tuneloop.search.budget import Budget
from tuneloop.search.journal import Journal, load_outcomes
from tuneloop.search.pruner import AshaPruner, NoPruner, Pruner, make_pruner
from tuneloop.search.runner import StudyResult, run_study, trial_seed
from tuneloop.search.space import Dimension, SearchSpace
from tuneloop.search.strategy import Proposal, SearchStrategy, make_strategy
from tuneloop.search.trial import (
    TrialContext,
    TrialOutcome,
    TrialPruned,
    TrialSpec,
    TrialTimeout,
)

__all__ = [
    "AshaPruner", "Budget", "Dimension", "Journal", "NoPruner", "Proposal", "Pruner",
    "SearchSpace", "SearchStrategy", "StudyResult", "TrialContext", "TrialOutcome",
    "TrialPruned", "TrialSpec", "TrialTimeout", "load_outcomes", "make_pruner",
    "make_strategy", "run_study", "trial_seed",
]
