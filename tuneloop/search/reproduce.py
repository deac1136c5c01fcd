"""Reproducibility: the study's selected trial re-run with its own seed, on the same data.

A tuner whose best trial cannot be reproduced is selecting noise. After a study the selected
trial runs again `times` times, unpruned, and each run is journalled as a `rerun` event (its
value, seconds, cores and cost), so the spread is an indicator read from the kept journal like
every other one (tuneloop.sli). A resumed study re-runs only what its journal lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tuneloop.search.journal import Journal
from tuneloop.search.runner import Objective, guarded
from tuneloop.search.trial import TrialOutcome, TrialSpec

RERUN = "rerun"


def rerun_best(objective: Objective, best: TrialOutcome, journal: Journal, times: int, *,
               threads: int = 1, time_limit_s: float | None = None,
               cost_of: Callable[[TrialOutcome], float] | None = None) -> list[dict[str, Any]]:
    """Run `best` again until the journal holds `times` reruns of it; returns its rerun events."""
    done = [e for e in journal.events() if e.get("event") == RERUN and e.get("id") == best.id]
    call = guarded(objective, None, time_limit_s, threads)
    price = cost_of or (lambda outcome: 0.0)
    for k in range(len(done), times):
        outcome = call(TrialSpec(best.id, best.params, best.seed, refines=best.refines))
        event = {"event": RERUN, "id": best.id, "run": k, "seed": best.seed,
                 "status": outcome.status, "value": outcome.value,
                 "seconds": outcome.seconds, "threads": outcome.threads,
                 "cost": price(outcome), "error": outcome.error}
        journal.append(event)
        done.append(event)
    return done
