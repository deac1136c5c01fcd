"""The flat-objective stop: a study whose latest trials all score as its best stops there and
says so (sweep 27: 1.4M rows, 24 trials of 15-340 s each, every one within 0.01% of one log
loss); a study whose trials differ, or whose run of equal trials is broken by a failed one,
goes on (a pruned trial neither counts nor breaks a run); a resumed study stops where the
uninterrupted one did."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import space_of
from tuneloop.search import Journal, TrialContext, TrialOutcome, TrialSpec, make_strategy, run_study
from tuneloop.search.budget import Budget, BudgetTracker, stop_words

SPACE = {"x": {"type": "real", "low": 0.0, "high": 1.0}}


def tracker(trials: int = 4, tolerance: float = 0.001) -> BudgetTracker:
    return BudgetTracker(Budget(100, flat_trials=trials, flat_tolerance=tolerance))


def test_flat_needs_a_run_of_completed_trials_near_the_best() -> None:
    t = tracker()
    for value in (-1.2281, -1.2282, -1.2281):
        t.record("ok", value)
    assert t.exhausted() is None  # three of four
    # A pruned trial neither counts nor breaks the run: on a flat objective a slow learner is
    # pruned at an early rung though it would have ended where the others did.
    t.record("pruned", -1.5)
    assert t.exhausted() is None
    t.record("ok", -1.2282)
    assert t.exhausted() == "flat"
    # A better trial beyond the tolerance starts a new run.
    t.record("ok", -1.2)
    assert t.exhausted() is None
    for value in (-1.2001,) * 3:
        t.record("ok", value)
    assert t.exhausted() == "flat"


def test_a_run_below_a_distant_best_or_with_a_failure_is_not_flat() -> None:
    t = tracker()
    t.record("ok", -0.5)  # the best, far above the rest
    for value in (-0.9,) * 4:
        t.record("ok", value)
    assert t.exhausted() is None
    u = tracker()
    for status in ("ok", "failed", "ok", "ok", "ok"):
        u.record(status, -1.0 if status == "ok" else None)
    assert u.exhausted() is None  # a failed trial in the last four
    u.record("ok", -1.0)
    assert u.exhausted() == "flat"


def test_off_by_default_and_worded_for_the_user() -> None:
    t = BudgetTracker(Budget(100))
    for _ in range(50):
        t.record("ok", 1.0)
    assert t.exhausted() is None
    assert "budget.flat_tolerance" in stop_words("flat")
    assert stop_words("max_trials") == "max_trials"


def constant(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
    # Every configuration scores the same up to noise far below the tolerance.
    return TrialOutcome(spec.id, spec.params, spec.seed, "ok",
                        value=0.75 + 1e-6 * spec.params["x"])


def varied(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
    return TrialOutcome(spec.id, spec.params, spec.seed, "ok",
                        value=1.0 - (spec.params["x"] - 0.7) ** 2)


@pytest.mark.parametrize(("objective", "reason", "trials"),
                         [(constant, "flat", 8), (varied, "max_trials", 30)])
def test_a_study_stops_on_a_flat_objective_only(tmp_path: Path, objective, reason: str,
                                                trials: int) -> None:
    space = space_of(SPACE)
    result = run_study(objective, make_strategy("gp", space, 0, 4), Journal(tmp_path / "j"),
                       n_trials=30, n_workers=1, seed=0, flat_trials=8)
    assert result.stop_reason == reason
    assert len(result.trials) == trials


def test_a_resumed_study_stops_where_the_uninterrupted_one_did(tmp_path: Path) -> None:
    space = space_of(SPACE)
    journal = Journal(tmp_path / "j")
    first = run_study(constant, make_strategy("random", space, 0, 4), journal,
                      n_trials=5, n_workers=1, seed=0, flat_trials=8)
    assert first.stop_reason == "max_trials" and len(first.trials) == 5
    # Resumed with the full budget: the five journalled trials count toward the flat run.
    resumed = run_study(constant, make_strategy("random", space, 0, 4), journal,
                        n_trials=30, n_workers=1, seed=0, flat_trials=8, resume=True)
    assert resumed.stop_reason == "flat"
    assert len(resumed.trials) == 8
