"""Plain-text tables: the single-cell tables of ``bench.tuning_bench`` and the suite's per-cell
and ranking tables. Printing only; the numbers come from :mod:`bench.suite.analysis`."""

from __future__ import annotations

import math
from typing import Any, Literal

from bench.suite.analysis import CHECKPOINTS
from bench.suite.datasets import ADULT_ANCHORS
from bench.suite.objective import METRICS, MetricNames


def fmt(x: float | None, digits: int = 4) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def ms(x: float | None) -> str:
    if x is None or math.isnan(x):
        return "n/a"
    return f"{x * 1000:.1f}" if x < 10 else f"{x * 1000:.0f}"


def ratio_str(r: float | None) -> str:
    if r is None or math.isnan(r):
        return "n/a"
    return "inf" if math.isinf(r) else f"{r:.2f}"


def format_tables(
    summary: dict[str, Any],
    *,
    spread: Literal["iqr", "range"] = "iqr",
    metrics: MetricNames = METRICS["binary"],
    anchors: dict[str, str] | None = None,
) -> str:
    """The tables of one cell (one dataset, one budget): scores at 25/50/100% of the budget, the
    cost per run, the full compute-ratio matrix and the published anchors."""
    anchors = ADULT_ANCHORS if anchors is None else anchors
    tuners: dict[str, Any] = summary["tuners"]
    lo_key, hi_key = ("q25", "q75") if spread == "iqr" else ("min", "max")
    spread_name = "IQR" if spread == "iqr" else "min-max"
    width = max([len(n) for n in tuners] + [6])
    lines: list[str] = []
    titles = (("test_auc", f"test {metrics.test}"), ("test_acc", f"test {metrics.test2}"))
    for metric, title in titles:
        lines.append(f"{title} of the best-by-validation trial: median [{spread_name}] over seeds")
        head = f"{'tuner':<{width}}  runs"
        for frac in CHECKPOINTS:
            head += f"  {f'@{int(frac * 100)}% budget':<24}"
        lines.append(head)
        for name, e in tuners.items():
            row = f"{name:<{width}}  {e['runs']:>4}"
            for frac in CHECKPOINTS:
                cp = e["checkpoints"][str(frac)]
                m = cp[metric]
                cell = f"{fmt(m['median'])} [{fmt(m[lo_key])}-{fmt(m[hi_key])}]"
                if cp["missing"]:
                    cell += f" ({cp['missing']} n/a)"
                row += f"  {cell:<24}"
            lines.append(row.rstrip())
        lines.append("")
    lines.append("cost per run (medians over seeds; timings pooled over all trials)")
    lines.append(
        f"{'tuner':<{width}}  {'trials':>6}  {'pruned':>6}  {'rounds':>7}  {'wall s':>7}"
        f"  {'fit s':>7}  {'ovh/trial ms':>12}  {'ovh %':>6}  {'propose p50/p95 ms':>18}"
    )
    for name, e in tuners.items():
        prop = f"{ms(e['propose_latency_s_p50'])}/{ms(e['propose_latency_s_p95'])}"
        lines.append(
            f"{name:<{width}}  {e['trials_per_run_median']:>6.0f}  "
            f"{100 * e['pruned_share']:>5.0f}%  {e['rounds_used_median']:>7.0f}  "
            f"{e['wall_s_median']:>7.1f}  {e['fit_s_median']:>7.1f}  "
            f"{ms(e['overhead_per_trial_s_mean']):>12}  "
            f"{100 * e['overhead_share_of_wall']:>5.1f}%  {prop:>18}"
        )
    lines.append("")
    lines.append(
        "compute ratio: rounds tuner ROW needs (median over seeds) to reach tuner COLUMN's final"
    )
    lines.append(
        f"median test {metrics.test}, divided by the rounds COLUMN used; inf = not reached"
    )
    names = list(tuners)
    cw = max(max(len(n) for n in names), 7)
    lines.append(f"{'':<{width}}  " + "  ".join(f"{n:>{cw}}" for n in names))
    for a in names:
        cells = []
        for b in names:
            r = summary["compute_ratio"][a][b]
            cells.append(f"{'inf' if math.isinf(r) else fmt(r, 2):>{cw}}")
        lines.append(f"{a:<{width}}  " + "  ".join(cells))
    finals = ", ".join(f"{n} {fmt(v)}" for n, v in summary["final_median_test_auc"].items())
    lines.append(f"(final median test {metrics.test}: {finals})")
    if anchors:
        lines.append("")
        lines.append(
            "published anchors, same test split (Gorishniy et al. 2021/2023, 15-seed means):"
        )
        for k, v in anchors.items():
            lines.append(f"  {k}: {v}")
    return "\n".join(lines)


def format_cell(title: str, cell: dict[str, Any], metric: str) -> str:
    """One suite cell: per tuner the final median and IQR of the headline test metric, the
    compute ratio to the best peer and the ask+tell share of wall time."""
    tuners = cell["tuners"]
    width = max([len(n) for n in tuners] + [6])
    peer = cell["best_peer"] or "n/a"
    lines = [
        f"{title}: final test {metric}, median [IQR] over seeds; best peer: {peer}",
        f"{'tuner':<{width}}  runs  {'median [IQR]':<24}  {'x best peer':>11}  "
        f"{'ask+tell %':>10}  {'trials':>6}  {'wall s':>7}",
    ]
    for name, e in tuners.items():
        spread = f"{fmt(e['median'])} [{fmt(e['q25'])}-{fmt(e['q75'])}]"
        lines.append(
            f"{name:<{width}}  {e['runs']:>4}  {spread:<24}  "
            f"{ratio_str(e['ratio_to_best_peer']):>11}  "
            f"{fmt(100 * e['ask_tell_share_of_wall'], 1):>9}%  "
            f"{e['trials_per_run_median']:>6.0f}  {e['wall_s_median']:>7.1f}"
        )
    return "\n".join(lines)


def format_ranking(table: dict[str, dict[str, float]], n_cells: int) -> str:
    """The one table across all cells: tuners by mean rank of their final median test metric."""
    width = max([len(n) for n in table] + [6])
    lines = [
        f"ranking over {n_cells} cell(s) by final median test metric (1 = best; ties share)",
        f"{'tuner':<{width}}  {'mean rank':>9}  {'wins':>4}  {'cells':>5}  "
        f"{'median x best peer':>18}",
    ]
    for name, e in table.items():
        lines.append(
            f"{name:<{width}}  {e['mean_rank']:>9.2f}  {e['wins']:>4}  {e['cells']:>5}  "
            f"{ratio_str(e['median_ratio_to_best_peer']):>18}"
        )
    lines.append(
        "x best peer: rounds the tuner needs (median seed) to reach the best non-tuneloop "
        "tuner's final median, / that tuner's rounds; inf = not reached"
    )
    return "\n".join(lines)
