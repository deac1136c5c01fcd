"""Refinement (tuneloop.search.refine): the best exploration trials re-run with a smaller
learning rate, never pruned, journalled so a resumed study neither repeats nor forgets one.
Real skopt strategies, synthetic objectives: no model training here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tuneloop.config import DimensionConfig
from tuneloop.search import (
    AshaPruner,
    Journal,
    SearchSpace,
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


def space_of(raw: dict[str, Any]) -> SearchSpace:
    return SearchSpace.from_config({k: DimensionConfig(**v) for k, v in raw.items()})


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
                                RefinePolicy(start_share=0.3))
    return run_study(slow_learner, strategy, Journal(journal), n_trials=n_trials, n_workers=2,
                     seed=7, resume=resume, pruner=AshaPruner(1, 3, min_trials_per_rung=2))


def test_refinements_run_unpruned_are_journalled_and_survive_resume(tmp_path: Path) -> None:
    journal = tmp_path / "trials.jsonl"
    first = study(journal, 12)
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
