"""The Pareto front of a multi-objective study, and the 2-D hypervolume that scores a front.

Every objective is minimised here (the study's metric enters as its maximised value negated),
so "a dominates b" means a is no worse in every objective and better in one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True))


def pareto_front(points: Sequence[Sequence[float]]) -> list[int]:
    """Indices of the points no other point dominates (duplicates: the first one), in order."""
    front = []
    for i, p in enumerate(points):
        if any(dominates(q, p) or (j < i and tuple(q) == tuple(p))
               for j, q in enumerate(points) if j != i):
            continue
        front.append(i)
    return front


def hypervolume_2d(points: Sequence[Sequence[float]], reference: Sequence[float]) -> float:
    """The area dominated by `points` (two minimised objectives) and bounded by `reference`."""
    inside = sorted((float(x), float(y)) for x, y in points
                    if x < reference[0] and y < reference[1])
    area, ceiling = 0.0, float(reference[1])
    for x, y in inside:  # sweep by the first objective; each point adds the strip below
        if y < ceiling:
            area += (reference[0] - x) * (ceiling - y)
            ceiling = y
    return area


def study_front(events: list[dict[str, Any]], metric: str, objectives: Sequence[str],
                limits: dict[str, float], selected: int | None) -> dict[str, Any]:
    """The Pareto front of a study's completed trials on its metric (in the metric's own
    terms) and its extra objectives, from the journal's events; with no extra objective the
    front is the best trial. Each point says whether it meets every limit."""
    from tuneloop.constraints import violations
    from tuneloop.metrics import to_maximise
    from tuneloop.search.trial import measures as trial_measures

    points = []
    for e in events:
        if e.get("event") != "finished" or e["status"] != "ok" or e.get("value") is None:
            continue
        measures = trial_measures(e.get("metrics", {}), e.get("seconds", 0.0), e.get("threads", 1))
        if any(measures.get(o) is None for o in objectives):
            continue  # not measured: it cannot be placed
        points.append({"trial": e["id"], metric: to_maximise(metric, float(e["value"])),
                       "value": float(e["value"]),
                       **{o: float(measures[o]) for o in objectives},
                       "feasible": not violations(measures, limits), "params": e["params"]})
    minimised = [(-p["value"], *(p[o] for o in objectives)) for p in points]
    front = [points[i] for i in pareto_front(minimised)]
    return {"metric": metric, "objectives": list(objectives), "limits": dict(limits),
            "selected": selected, "trials": len(points),
            "front": [{k: v for k, v in p.items() if k != "value"} for p in front],
            "points": [{k: v for k, v in p.items() if k not in ("value", "params")}
                       for p in points]}
