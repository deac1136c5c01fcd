"""From runs to numbers: best-so-far scores, medians over seeds, compute ratios, ranks.

Everything reads the records' headline test metric (``test_auc``; AUC, accuracy or R^2 by task,
see :mod:`bench.suite.objective`), always higher-is-better, so the same code ranks every cell.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.suite.records import RunResult, TrialRecord

CHECKPOINTS: tuple[float, ...] = (0.25, 0.5, 1.0)
#: Tuners that are not peers: the suite compares them against the best of the others.
OWN_TUNERS: frozenset[str] = frozenset({"tuneloop"})


def best_so_far(records: Sequence[TrialRecord], compute: float) -> TrialRecord | None:
    """The incumbent once ``compute`` rounds had been used (last incumbent finished by then)."""
    chosen = None
    for rec in sorted(records, key=lambda r: (r.cum_rounds, r.number)):
        if rec.cum_rounds > compute:
            break
        if rec.incumbent:
            chosen = rec
    return chosen


def checkpoint_metrics(run: RunResult, fraction: float) -> dict[str, float]:
    rec = best_so_far(run.records, fraction * run.budget_rounds)
    if rec is None or rec.test_auc is None or rec.test_acc is None:
        return {"test_auc": math.nan, "test_acc": math.nan, "valid_auc": math.nan}
    return {"test_auc": rec.test_auc, "test_acc": rec.test_acc, "valid_auc": rec.valid_auc}


def compute_to_reach(records: Sequence[TrialRecord], target_auc: float) -> float:
    """First cumulative compute at which the best-so-far test score is >= target (inf if never)."""
    for rec in sorted(records, key=lambda r: (r.cum_rounds, r.number)):
        if rec.incumbent and rec.test_auc is not None and rec.test_auc >= target_auc:
            return float(rec.cum_rounds)
    return math.inf


def final_median_auc(runs: Sequence[RunResult]) -> float:
    """Median over seeds of the final headline test metric (the name is historical)."""
    return float(np.nanmedian([checkpoint_metrics(r, 1.0)["test_auc"] for r in runs]))


def compute_ratio(runs_a: Sequence[RunResult], runs_b: Sequence[RunResult]) -> float:
    """Compute tuner A needs to reach tuner B's final median test score, relative to B's compute.

    Numerator: median over A's seeds of the first cumulative compute at which A's best-so-far test
    score >= B's final median test score (a seed that never gets there counts as infinite). With
    an even number of seeds this is the lower median (the sorted value at index (n - 1) // 2), so
    that a tuner compared with itself comes out <= 1 rather than inf.
    Denominator: median compute B used (its budget). < 1: A gets there with less compute than B
    used; inf: A's median seed never gets there within its budget.
    """
    target = final_median_auc(runs_b)
    needed = sorted(compute_to_reach(r.records, target) for r in runs_a)
    b_used = float(np.median([r.rounds_used for r in runs_b]))
    if not needed or b_used <= 0:
        return math.nan
    return needed[(len(needed) - 1) // 2] / b_used


def quantile(values: Sequence[float], q: float) -> float:
    """``np.quantile`` ignoring NaN; NaN when nothing is left."""
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    return float(np.quantile(arr, q)) if arr.size else math.nan


def by_tuner(runs: Sequence[RunResult]) -> dict[str, list[RunResult]]:
    """Runs grouped by tuner, in first-seen order."""
    out: dict[str, list[RunResult]] = {}
    for run in runs:
        out.setdefault(run.tuner, []).append(run)
    return out


def summarize(runs: Sequence[RunResult]) -> dict[str, Any]:
    """Per-tuner statistics over seeds (JSON-ready; NaN where undefined)."""
    groups = by_tuner(runs)
    out: dict[str, Any] = {}
    for name, tr in groups.items():
        recs = [rec for run in tr for rec in run.records]
        entry: dict[str, Any] = {"runs": len(tr), "checkpoints": {}}
        for frac in CHECKPOINTS:
            vals = [checkpoint_metrics(r, frac) for r in tr]
            cp: dict[str, Any] = {"missing": sum(math.isnan(v["test_auc"]) for v in vals)}
            for metric in ("test_auc", "test_acc", "valid_auc"):
                xs = [v[metric] for v in vals]
                cp[metric] = {
                    "median": quantile(xs, 0.5),
                    "q25": quantile(xs, 0.25),
                    "q75": quantile(xs, 0.75),
                    "min": quantile(xs, 0.0),
                    "max": quantile(xs, 1.0),
                }
            entry["checkpoints"][str(frac)] = cp
        trials = [len(r.records) for r in tr]
        entry["trials_per_run_median"] = float(np.median(trials))
        entry["pruned_share"] = (
            sum(rec.status == "pruned" for rec in recs) / len(recs) if recs else math.nan
        )
        entry["rounds_used_median"] = float(np.median([r.rounds_used for r in tr]))
        entry["rounds_used_total"] = int(sum(r.rounds_used for r in tr))
        entry["wall_s_median"] = float(np.median([r.wall_s for r in tr]))
        entry["fit_s_median"] = float(np.median([sum(x.fit_s for x in r.records) for r in tr]))
        overhead = [rec.tuner_overhead_s for rec in recs]
        latency = [rec.propose_latency_s for rec in recs]
        entry["overhead_per_trial_s_mean"] = float(np.mean(overhead)) if recs else math.nan
        entry["overhead_per_trial_s_p50"] = quantile(overhead, 0.5)
        entry["overhead_share_of_wall"] = (
            sum(overhead) / sum(rec.wall_s for rec in recs) if recs else math.nan
        )
        entry["propose_latency_s_p50"] = quantile(latency, 0.5)
        entry["propose_latency_s_p95"] = quantile(latency, 0.95)
        entry["propose_latency_s_max"] = quantile(latency, 1.0)
        out[name] = entry
    ratios: dict[str, dict[str, float]] = {}
    for a, ra in groups.items():
        ratios[a] = {b: compute_ratio(ra, rb) for b, rb in groups.items()}
    return {
        "tuners": out,
        "final_median_test_auc": {n: final_median_auc(tr) for n, tr in groups.items()},
        "compute_ratio": ratios,
    }


# --------------------------------------------------------------------------------------------
# Suite cells and the ranking across cells
# --------------------------------------------------------------------------------------------


def cell_summary(runs: Sequence[RunResult]) -> dict[str, Any]:
    """One dataset x budget cell: per tuner the final median and IQR of the headline test metric,
    the compute ratio to the best peer, and the ask+tell share of wall time.

    The best peer is the non-tuneloop tuner with the highest final median (ties: the first in run
    order). Every tuner's ratio is its compute to reach that median over the peer's compute, so
    tuneloop's row answers the issue's question and the peers' rows show how far behind they are.
    """
    groups = by_tuner(runs)
    finals = {n: final_median_auc(tr) for n, tr in groups.items()}
    peers = {n: v for n, v in finals.items() if n not in OWN_TUNERS and not math.isnan(v)}
    best_peer = max(peers, key=lambda n: peers[n]) if peers else None
    tuners: dict[str, Any] = {}
    for name, tr in groups.items():
        xs = [checkpoint_metrics(r, 1.0)["test_auc"] for r in tr]
        recs = [rec for run in tr for rec in run.records]
        wall = sum(rec.wall_s for rec in recs)
        tuners[name] = {
            "runs": len(tr),
            "median": quantile(xs, 0.5),
            "q25": quantile(xs, 0.25),
            "q75": quantile(xs, 0.75),
            "ratio_to_best_peer": (
                compute_ratio(tr, groups[best_peer]) if best_peer is not None else math.nan
            ),
            "ask_tell_share_of_wall": (
                sum(rec.propose_latency_s for rec in recs) / wall if wall > 0 else math.nan
            ),
            "trials_per_run_median": float(np.median([len(r.records) for r in tr])),
            "wall_s_median": float(np.median([r.wall_s for r in tr])),
        }
    return {"best_peer": best_peer, "tuners": tuners}


def _ranks(values: dict[str, float]) -> dict[str, float]:
    """Rank 1 = highest; ties share the mean of their ranks; NaN ranks last."""
    keyed = sorted(values, key=lambda n: -values[n] if not math.isnan(values[n]) else math.inf)
    ranks: dict[str, float] = {}
    i = 0
    while i < len(keyed):
        j = i
        while j + 1 < len(keyed) and values[keyed[j + 1]] == values[keyed[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[keyed[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def rank_tuners(cells: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Across cells (name -> :func:`cell_summary`): each tuner's mean rank by final median test
    metric, its wins (cells where it ranks first; a tie at the top counts for each), the number
    of cells it ran in, and its median compute ratio to the best peer."""
    ranks: dict[str, list[float]] = {}
    wins: dict[str, int] = {}
    ratios: dict[str, list[float]] = {}
    for cell in cells.values():
        cell_ranks = _ranks({n: e["median"] for n, e in cell["tuners"].items()})
        top = min(cell_ranks.values(), default=math.nan)
        for name, rank in cell_ranks.items():
            ranks.setdefault(name, []).append(rank)
            wins[name] = wins.get(name, 0) + int(rank == top)
            ratios.setdefault(name, []).append(cell["tuners"][name]["ratio_to_best_peer"])
    table = {
        name: {
            "mean_rank": float(np.mean(rs)),
            "wins": wins[name],
            "cells": len(rs),
            "median_ratio_to_best_peer": _median_with_inf(ratios[name]),
        }
        for name, rs in ranks.items()
    }
    return dict(sorted(table.items(), key=lambda kv: (kv[1]["mean_rank"], -kv[1]["wins"])))


def _median_with_inf(xs: Sequence[float]) -> float:
    """Lower median that keeps inf (not reached) as a value; NaN only when nothing is known."""
    known = sorted(x for x in xs if not math.isnan(x))
    return known[(len(known) - 1) // 2] if known else math.nan
