"""What a replay reports: totals per policy, the printed table and the plot (pure: rows in,
text or a PNG out; flows/replay.py makes the rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tuneloop.metrics import higher_is_better


def _defined(value: Any) -> bool:
    return value is not None and bool(np.isfinite(value))


def totals(per_policy: dict[str, list[dict[str, Any]]], metric: str) -> dict[str, dict[str, Any]]:
    """Per policy: mean metric, compute, retrains, rejected candidates and regret. A batch on
    which the metric is undefined (one class: AUC) is left out of the means and regret, for
    every policy alike, and counted (sweep 52b: one such batch made every mean NaN)."""
    n = min(len(rows) for rows in per_policy.values())
    sign = 1.0 if higher_is_better(metric) else -1.0
    scored = [i for i in range(n) if all(_defined(rows[i]["metric"])
                                         for rows in per_policy.values())]
    best = {i: max(sign * rows[i]["metric"] for rows in per_policy.values()) for i in scored}
    out = {}
    for name, rows in per_policy.items():
        out[name] = {
            f"mean_{metric}": float(np.mean([rows[i]["metric"] for i in scored]))
            if scored else None,
            "compute_core_s": float(sum(r.get("compute_s", 0.0) for r in rows)),
            "retrains": sum(r.get("decision", "none") != "none" for r in rows),
            "promoted": sum(r.get("promoted") is not None for r in rows),
            "rejected_candidates": sum(not c["promote"] for r in rows
                                       for c in r.get("candidates", [])),
            "regret": float(np.mean([best[i] - sign * rows[i]["metric"] for i in scored]))
            if scored else None,
            "undefined_batches": n - len(scored),
        }
    return out


def strict(value: Any) -> Any:
    """`value` with every non-finite float as None: JSON has no NaN, and strict parsers refuse
    the bare token Python writes."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict(v) for v in value]
    return value


def table(per_policy: dict[str, list[dict[str, Any]]], summary: dict[str, dict[str, Any]],
          metric: str) -> str:
    names = list(per_policy)
    rows = next(iter(per_policy.values()))
    # As wide as the longest batch name: a long one pushed its row's figures out of their
    # columns (sweep 20).
    width = max([28, *(len(r["batch"]) + 1 for r in rows)])
    lines = [f"{'batch':<{width}}" + "".join(f"{n:>16}" for n in names)]
    for i, row in enumerate(rows):
        cells = []
        for n in names:
            r = per_policy[n][i]
            mark = "*" if r.get("promoted") else ("x" if r.get("decision", "none") != "none"
                                                  else "h" if r.get("held") else " ")
            value = f"{r['metric']:.4f}" if _defined(r["metric"]) else "n/a"
            cells.append(f"{value:>15}{mark}")
        lines.append(f"{row['batch']:<{width}}" + "".join(cells))
    for key in (f"mean_{metric}", "compute_core_s", "retrains", "rejected_candidates", "regret"):
        fmt = "{:>16.0f}" if key in ("compute_core_s", "retrains", "rejected_candidates") \
            else "{:>16.4f}"
        label = f"mean {metric}" if key == f"mean_{metric}" else key
        lines.append(f"{label:<{width}}" + "".join(
            fmt.format(summary[n][key]) if summary[n][key] is not None else f"{'n/a':>16}"
            for n in names))
    lines.append("* retrained and promoted after this batch; x retrained, every candidate "
                 "rejected by the gate" + ("; h retrain held a batch (only its labels moved)"
                                           if any(r.get("held") for rows_ in per_policy.values()
                                                  for r in rows_) else ""))
    undefined = summary[names[0]].get("undefined_batches", 0)
    if undefined:
        lines.append(f"n/a: {metric} is undefined on {undefined} batch(es) (one class, or one "
                     "value); the means and regret leave them out for every policy")
    return "\n".join(lines)


def _label(batch: str) -> str:
    """000007-sales-2024-07.parquet -> sales-2024-07 (the stored file's source name)."""
    stem = batch.rsplit(".", 1)[0]
    head, _, rest = stem.partition("-")
    return rest if head.isdigit() and rest else stem


def plot(per_policy: dict[str, list[dict[str, Any]]], metric: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for name, rows in per_policy.items():
        xs = [_label(r["batch"]) for r in rows]
        line, = ax.plot(xs, [r["metric"] for r in rows], marker=".", label=name)
        for x, r in zip(xs, rows, strict=True):
            if r.get("promoted"):
                ax.plot([x], [r["metric"]], marker="^", markersize=10, color=line.get_color())
    better = "higher" if higher_is_better(metric) else "lower"
    ax.set_ylabel(f"{metric} of the serving champion\n(prequential; {better} is better)")
    gaps = any(not _defined(r["metric"]) for rows in per_policy.values() for r in rows)
    ax.set_xlabel("batch (^ = retrained and promoted after it"
                  + (f"; a gap: {metric} undefined on that batch" if gaps else "") + ")")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
