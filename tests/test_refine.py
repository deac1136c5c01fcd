"""Refinement (tuneloop.search.refine): the best exploration trials re-run with a smaller
learning rate, never pruned, journalled so a resumed study neither repeats nor forgets one.
Real skopt strategies, synthetic objectives: no model training here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import space_of
from tuneloop.search import (
    AshaPruner,
    Journal,
    TrialContext,
    TrialOutcome,
    TrialSpec,
    make_strategy,
    run_study,
)
from tuneloop.search.refine import RefinePolicy, RefiningStrategy

SPACE = {
    "learning_rate": {"type": "real", "low": 0.01, "high": 0.3, "prior": "log-uniform"},
    "leaves": {"type": "integer", "low": 4, "high": 64},
}


class Share:
    """The budget share the runner would report, set by hand."""

    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value


def refiner(share: Share, **policy: Any) -> RefiningStrategy:
    space = space_of(SPACE)
    return RefiningStrategy(make_strategy("random", space, seed=3, n_initial_points=2), space,
                            RefinePolicy(**policy), budget_share=share)


def test_refines_the_best_exploration_trial_once_the_start_share_is_used() -> None:
    share = Share()
    strategy = refiner(share, start_share=0.5, factor=4.0)  # not the default 3: passed through
    values = [-0.80, -0.90, -0.85]  # minimised: trial 1 is the best
    explored = []
    for v in values:
        p = strategy.ask()
        assert p.refines is None  # before the start share: exploration only
        strategy.tell(p.id, v)
        explored.append(p)
    share.value = 0.5
    refine = strategy.ask()
    assert refine.refines == explored[1].id
    assert refine.params["learning_rate"] == pytest.approx(
        max(explored[1].params["learning_rate"] / 4, 0.01))
    assert refine.params["leaves"] == explored[1].params["leaves"]
    assert strategy.refines(refine.id) == explored[1].id
    # One refinement in flight at a time: meanwhile the other workers explore.
    assert strategy.ask().refines is None
    strategy.tell(refine.id, -0.95)
    # Trial 1 is refined already and the refinement itself is never refined again.
    nxt = strategy.ask()
    assert nxt.refines is None
    strategy.tell(nxt.id, -0.99)  # a new best exploration trial ...
    again = strategy.ask()
    assert again.refines == nxt.id  # ... is refined next


def test_pruned_trials_edges_and_inactive_params_are_not_refined() -> None:
    share = Share()
    share.value = 1.0
    strategy = refiner(share, start_share=0.0, top_k=5)
    low = strategy.enqueue({"learning_rate": 0.01, "leaves": 8})  # at the space's lower edge
    strategy.tell(low.id, -0.99)
    pruned = strategy.ask()
    strategy.tell(pruned.id, -0.98, complete=False)  # a rung score, not a result
    assert strategy.ask().refines is None
    assert strategy.refined_params({"leaves": 8}) is None  # learning_rate inactive there


def test_a_best_trial_without_the_parameter_does_not_block_refinement() -> None:
    """Another family's best trial (no learning_rate) is skipped, not counted as the top 1."""
    raw = {"family": {"type": "categorical", "choices": ["gbm", "net"]},
           "learning_rate": {"type": "real", "low": 0.01, "high": 0.3, "prior": "log-uniform",
                             "when": {"family": ["gbm"]}},
           "width": {"type": "integer", "low": 4, "high": 64, "when": {"family": ["net"]}}}
    space = space_of(raw)
    strategy = RefiningStrategy(make_strategy("random", space, seed=1, n_initial_points=2),
                                space, RefinePolicy(start_share=0.0))
    net = strategy.enqueue({"family": "net", "width": 16})
    gbm = strategy.enqueue({"family": "gbm", "learning_rate": 0.2})
    strategy.tell(net.id, -0.99)  # the best, but it has no learning rate to lower
    strategy.tell(gbm.id, -0.90)
    refine = strategy.ask()
    assert refine.refines == gbm.id
    assert refine.params == {"family": "gbm", "learning_rate": pytest.approx(0.2 / 3)}


def test_no_refinement_before_min_finished_trials() -> None:
    share = Share()
    share.value = 1.0
    strategy = refiner(share, start_share=0.0, min_finished=3)
    for v in (-0.5, -0.6):
        p = strategy.ask()
        assert p.refines is None
        strategy.tell(p.id, v)
    p = strategy.ask()
    assert p.refines is None
    strategy.tell(p.id, -0.7)  # the third finished trial
    assert strategy.ask().refines is not None


def test_a_failed_refinement_is_not_taught_to_the_surrogate_nor_retried() -> None:
    share = Share()
    share.value = 1.0
    strategy = refiner(share, start_share=0.0)
    inner = strategy._inner  # the wrapped SkoptStrategy: what its surrogate will be fitted on
    best = strategy.ask()
    strategy.tell(best.id, -0.9)
    refine = strategy.ask()
    assert refine.refines == best.id
    observed_before = len(inner._observed)
    strategy.ban(refine.id, 0.0)  # what the runner does when a trial failed for good
    assert len(inner._observed) == observed_before  # no worst value planted next to the best
    assert refine.id not in inner._pending
    assert strategy.ask().refines is None  # and the failed refinement is not tried again


def test_budget_share_is_the_largest_share_of_any_budget() -> None:
    from tuneloop.search.budget import Budget, BudgetTracker

    tracker = BudgetTracker(Budget(max_trials=10, compute_s=100.0), trials_done=2,
                            compute_used=50.0)
    assert tracker.share_used() == pytest.approx(0.5)  # compute: 50 of 100 core-s
    tracker.add(seconds=10.0, threads=4)  # 3 trials of 10, 90 core-s of 100
    assert tracker.share_used() == pytest.approx(0.9)
    assert BudgetTracker(Budget(max_trials=4), trials_done=1).share_used() == 0.25
    assert BudgetTracker(Budget(max_trials=1, wall_clock_s=1e-9)).share_used() == 1.0


def test_policy_must_name_a_real_dimension() -> None:
    space = space_of(SPACE)
    inner = make_strategy("random", space, seed=0, n_initial_points=2)
    with pytest.raises(ValueError, match="'leaves' is not a real dimension"):
        RefiningStrategy(inner, space, RefinePolicy(param="leaves"))
    with pytest.raises(ValueError, match="factor must be above 1"):
        RefiningStrategy(inner, space, RefinePolicy(factor=1.0))


def slow_learner(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
    """The final score prefers a small learning rate, but the curve rises at the rate's pace:
    at an early rung a small learning rate always looks worst (as with boosting rounds)."""
    lr, leaves = spec.params["learning_rate"], spec.params["leaves"]
    final = 1.0 - abs(leaves - 20) / 100 - lr
    for step in range(1, 28):
        ctx.report(step, final * min(1.0, step * lr))
    return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=final)


def study(journal: Path, n_trials: int, resume: bool = False) -> Any:
    space = space_of(SPACE)
    strategy = RefiningStrategy(make_strategy("gp", space, seed=7, n_initial_points=4), space,
                                RefinePolicy(start_share=0.3, min_finished=4))
    return run_study(slow_learner, strategy, Journal(journal), n_trials=n_trials, n_workers=2,
                     seed=7, resume=resume, pruner=AshaPruner(2, 3, min_trials_per_rung=3))


def test_refinements_run_unpruned_are_journalled_and_survive_resume(tmp_path: Path) -> None:
    journal = tmp_path / "trials.jsonl"
    first = study(journal, 14)
    refined = [t for t in first.trials if t.refines is not None]
    assert refined, "no refinement ran"
    assert all(t.status == "ok" for t in refined)  # exempt from ASHA
    assert any(t.status == "pruned" for t in first.trials)  # ASHA did prune exploration
    by_id = {t.id: t for t in first.trials}
    for t in refined:
        parent = by_id[t.refines]
        assert t.params["learning_rate"] == pytest.approx(
            max(parent.params["learning_rate"] / 3, 0.01))  # the default factor
    proposed = [e for e in Journal(journal).events() if e["event"] == "proposed"]
    assert {e["id"] for e in proposed if "refines" in e} == {t.id for t in refined}

    resumed = study(journal, 24, resume=True)
    again = [t for t in resumed.trials if t.refines is not None]
    parents = [t.refines for t in again]
    assert len(parents) == len(set(parents))  # no trial refined twice across the resume
    assert {t.id for t in refined} <= {t.id for t in again}

