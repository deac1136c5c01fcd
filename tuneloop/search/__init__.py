"""The search engine: spaces, strategies (skopt behind an adapter), pruners, the journal and
the runner."""

from tuneloop.search.budget import Budget
from tuneloop.search.journal import Journal, load_outcomes, outcomes_of, study_header
from tuneloop.search.pruner import AshaPruner, NoPruner, Pruner, make_pruner
from tuneloop.search.runner import StudyResult, run_study, trial_seed
from tuneloop.search.seeded import SeededStrategy, best_configs, keep_study, latest_study
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
    "SearchSpace", "SearchStrategy", "SeededStrategy", "StudyResult", "TrialContext",
    "TrialOutcome", "TrialPruned", "TrialSpec", "TrialTimeout", "best_configs", "keep_study",
    "latest_study", "load_outcomes", "outcomes_of", "make_pruner", "make_strategy", "run_study",
    "study_header", "trial_seed",
]
