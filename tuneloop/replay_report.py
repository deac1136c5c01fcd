"""What a replay reports: totals per policy, the printed table and the plot (pure: rows in,
text or a PNG out; flows/replay.py makes the rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tuneloop.metrics import higher_is_better


def totals(per_policy: dict[str, list[dict[str, Any]]], metric: str) -> dict[str, dict[str, Any]]:
    n = min(len(rows) for rows in per_policy.values())
    sign = 1.0 if higher_is_better(metric) else -1.0
    best = [max(sign * rows[i]["metric"] for rows in per_policy.values()) for i in range(n)]
    out = {}
    for name, rows in per_policy.items():
        out[name] = {
            f"mean_{metric}": float(np.mean([r["metric"] for r in rows])),
            "compute_core_s": float(sum(r.get("compute_s", 0.0) for r in rows)),
            "retrains": sum(r.get("decision", "none") != "none" for r in rows),
            "promoted": sum(r.get("promoted") is not None for r in rows),
            "rejected_candidates": sum(not c["promote"] for r in rows
                                       for c in r.get("candidates", [])),
            "regret": float(np.mean([b - sign * r["metric"] for b, r in zip(best, rows,
                                                                           strict=False)])),
        }
    return out


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
                                                  else " ")
            cells.append(f"{r['metric']:>15.4f}{mark}")
        lines.append(f"{row['batch']:<{width}}" + "".join(cells))
    lines.append(f"{'mean ' + metric:<{width}}" + "".join(
        f"{summary[n]['mean_' + metric]:>16.4f}" for n in names))
    for key in ("compute_core_s", "retrains", "rejected_candidates", "regret"):
        fmt = "{:>16.4f}" if key == "regret" else "{:>16.0f}"
        lines.append(f"{key:<{width}}" + "".join(fmt.format(summary[n][key]) for n in names))
    lines.append("* retrained and promoted after this batch; x retrained, every candidate "
                 "rejected by the gate")
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
    ax.set_xlabel("batch (^ = retrained and promoted after it)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
