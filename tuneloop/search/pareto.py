"""The Pareto front of a multi-objective study, and the 2-D hypervolume that scores a front.

Every objective is minimised here (the study's metric enters as its maximised value negated),
so "a dominates b" means a is no worse in every objective and better in one.
"""

from __future__ import annotations

from collections.abc import Sequence


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
