"""Which trial a study hands on: the best that meets every limit of `constraints:`, and the
feasible runners-up evaluation falls back on when the refitted model breaks a limit."""

from __future__ import annotations

from typing import Any

from tuneloop.families import family_of
from tuneloop.metrics import to_maximise

CANDIDATES = 8  # feasible runners-up evaluation may fall back on, in order


def feasible_ranking(completed: list[Any], limits: dict[str, float]) -> tuple[list[Any], int]:
    """The completed trials that meet every limit, best first (ties: the earlier trial), and
    how many broke one. None meeting them stops the study: nothing may be registered."""
    from tuneloop.constraints import violations
    from tuneloop.errors import NoFeasibleTrial
    from tuneloop.search.runner import measures_of

    ranked = sorted(completed, key=lambda t: (-t.value, t.id))
    feasible = [t for t in ranked if not violations(measures_of(t), limits)]
    if not feasible:
        closest = min(ranked, key=lambda t: len(violations(measures_of(t), limits)))
        raise NoFeasibleTrial(f"no trial met the constraints ({len(ranked)} completed); e.g. "
                              f"trial {closest.id}: "
                              + "; ".join(violations(measures_of(closest), limits)))
    return feasible, len(ranked) - len(feasible)


def measured(trial: Any) -> dict[str, float]:
    from tuneloop.constraints import CORE_S, GAP, LATENCY, SIZE
    from tuneloop.search.runner import measures_of

    return {k: float(v) for k, v in measures_of(trial).items()
            if k in (SIZE, LATENCY, GAP, CORE_S)}


def candidate(trial: Any, metric: str) -> dict[str, Any]:
    """A feasible runner-up as evaluation needs it to refit it."""
    return {"trial": trial.id, "params": trial.params, "seed": trial.seed,
            "best_iteration": int(trial.metrics["best_iteration"]),
            "family": family_of(trial.params), "value": to_maximise(metric, float(trial.value)),
            "measures": measured(trial)}
