"""The search engine: spaces, strategies (skopt behind an adapter), the journal and the runner."""

from tuneloop.search.journal import Journal
from tuneloop.search.runner import StudyResult, TrialOutcome, TrialSpec, run_study
from tuneloop.search.space import Dimension, SearchSpace
from tuneloop.search.strategy import Proposal, SearchStrategy, make_strategy

__all__ = [
    "Dimension", "Journal", "Proposal", "SearchSpace", "SearchStrategy", "StudyResult",
    "TrialOutcome", "TrialSpec", "make_strategy", "run_study",
]
