"""The service-level indicators of one study, computed from its journal alone.

Everything here is read back from the journal's events (each carries its UTC time, its
trial's seconds, cores, cost and state), so the figures can be recomputed from a kept journal
at any time and never drift from what the study did. A pruned trial is a success (the pruner
stopped it, as asked); only a failed one counts against the success rate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from tuneloop.metrics import to_maximise

FINISHED, STUDY, RETRY, RERUN = "finished", "study", "retry", "rerun"


def _at(event: dict[str, Any]) -> datetime | None:
    raw = event.get("at")
    return datetime.fromisoformat(raw) if raw else None


def _quantile(values: list[float], q: float) -> float | None:
    return float(np.quantile(values, q)) if values else None


def baseline_trial(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A cold study's baseline trial (the family's defaults, planted first) as it finished,
    from its journal's events; None: no baseline, or it did not complete."""
    header = next((e for e in events if e.get("event") == STUDY), {})
    planted = header.get("baseline")
    return next((e for e in events if planted is not None and e.get("event") == FINISHED
                 and e.get("params") == planted and e.get("status") == "ok"
                 and e.get("value") is not None), None)


def study_slis(events: list[dict[str, Any]], n_workers: int, metric: str,
               currency: str = "USD", limits: dict[str, float] | None = None) -> dict[str, Any]:
    """The indicators of the study whose journal events are `events` (in journal order).
    `limits` (constraints: measure -> limit): the best trial is the best that meets them."""
    from tuneloop.constraints import violations
    from tuneloop.search.trial import measures
    finished = [e for e in events if e.get("event") == FINISHED]
    header = next((e for e in events if e.get("event") == STUDY), {})
    counts = {s: sum(e["status"] == s for e in finished) for s in ("ok", "pruned", "failed")}
    n = len(finished)
    seconds = [float(e["seconds"]) for e in finished]
    # Spent compute counts the failed attempts that were retried (a finished event carries
    # its own, `retried_s`; a trial the study stopped before its retry has only its retry
    # events), while a trial's seconds stay its own (sweep 51c F2: 54% of a study's compute
    # went unsaid).
    done = {e.get("id") for e in finished}
    unfinished = [e for e in events if e.get("event") == RETRY and e.get("id") not in done]
    busy = [float(e["seconds"]) + float(e.get("retried_s", 0.0)) for e in finished]
    core_s = [b * int(e.get("threads", 1)) for b, e in zip(busy, finished, strict=True)]
    lost_core_s = sum(float(e["seconds"]) * int(e.get("threads", 1)) for e in unfinished)
    costs = [float(e.get("cost", 0.0)) for e in finished]
    lost_cost = sum(float(e.get("cost", 0.0)) for e in unfinished)
    start, ends = _at(header), [_at(e) for e in finished]
    wall = (max(t for t in ends if t) - start).total_seconds() \
        if start and any(ends) else None
    ok = [(i, e) for i, e in enumerate(finished) if e["status"] == "ok" and e.get("value")
          is not None]
    # A trial's measures, as the runner tells them (tuneloop.search.runner.measures_of).
    feasible = [(i, e) for i, e in ok if not violations(
        measures(e.get("metrics", {}), e.get("seconds", 0.0), e.get("threads", 1)),
        limits or {})]
    # The selected trial: the best feasible one (ties: the earlier trial, as the tune stage).
    best_i, best = max(feasible, key=lambda p: (p[1]["value"], -p[1]["id"])) \
        if feasible else (None, None)
    rounds = sum(float(e.get("metrics", {}).get("rounds_trained",
                                                 e.get("metrics", {}).get("epochs_trained", 0)))
                 for e in finished)
    hours = wall / 3600 if wall else None
    # The baseline trial (the family's defaults, a cold study's first trial): what tuning
    # gained over not tuning, on the same validation rows. Unknown if it did not complete.
    base = baseline_trial(events)
    # The selected trial re-run with its seed (tuneloop.search.reproduce): the spread of its
    # values, the first run included; unknown when a re-run did not complete.
    reruns = [e for e in events if e.get("event") == RERUN and best is not None
              and e.get("id") == best["id"]]
    again = [float(e["value"]) for e in reruns if e["status"] == "ok"
             and e.get("value") is not None]
    spread = None if not reruns or len(again) < len(reruns) \
        else max(again + [float(best["value"])]) - min(again + [float(best["value"])])
    return {
        "trials": n, "ok": counts["ok"], "pruned": counts["pruned"], "failed": counts["failed"],
        "retries": sum(e.get("event") == RETRY for e in events),
        "success_rate": (counts["ok"] + counts["pruned"]) / n if n else None,
        "pruned_rate": counts["pruned"] / n if n else None,
        # Completed trials that broke a limit of `constraints:` (the search should learn to
        # avoid them: a low share is the sign that it did).
        "infeasible": len(ok) - len(feasible),
        "infeasible_rate": (len(ok) - len(feasible)) / len(ok) if ok else None,
        # The best completed trial's score minus the selected (feasible) one's: what the limits
        # cost in the metric (maximised terms; 0 when the best trial met them).
        "constraint_cost": None if best is None
        else max(float(e["value"]) for _, e in ok) - float(best["value"]),
        "trial_seconds_p50": _quantile(seconds, 0.5),
        "trial_seconds_p95": _quantile(seconds, 0.95),
        "trial_seconds_max": max(seconds) if seconds else None,
        "metric": metric,
        "best_valid": None if best is None else to_maximise(metric, float(best["value"])),
        "best_trial": None if best is None else best["id"],
        "baseline_valid": None if base is None else to_maximise(metric, float(base["value"])),
        "gain_over_baseline": None if base is None or best is None
        else float(best["value"]) - float(base["value"]),  # > 0: tuning beat the defaults
        "compute_core_s": sum(core_s) + lost_core_s,
        "cost": sum(costs) + lost_cost,
        "cost_per_trial": (sum(costs) + lost_cost) / n if n else None,
        "currency": currency,
        "wall_s": wall,
        # Share of the worker slots' time spent inside trials.
        "worker_utilization": (sum(busy) + sum(float(e["seconds"]) for e in unfinished))
        / (n_workers * wall) if wall else None,
        "time_to_best_s": None if best is None or start is None or ends[best_i] is None
        else (ends[best_i] - start).total_seconds(),
        "compute_to_best_core_s": None if best_i is None else sum(core_s[:best_i + 1]),
        "reproducibility_reruns": len(reruns),
        "reproducibility_spread": spread,  # 0.0: the selected trial reproduced exactly
        "reproducibility_cost": sum(float(e.get("cost", 0.0)) for e in reruns),
        "trials_per_hour": n / hours if hours else None,
        "rounds_per_hour": rounds / hours if hours else None,
    }
