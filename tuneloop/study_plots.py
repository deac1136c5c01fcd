"""Pictures of one study, drawn from its trials: the tuning history and each parameter
against the score (where the good region of every dimension lies). The tune stage attaches
them to the study's MLflow run; the plots stage draws the history for `dvc plots`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from tuneloop.io import atomic_path
from tuneloop.metrics import higher_is_better, to_maximise

MARKERS = (("ok", dict(c="tab:blue", marker="o")),
           ("refined", dict(c="tab:green", marker="*", s=70)),
           ("pruned", dict(c="tab:orange", marker="v")),
           ("failed", dict(c="tab:red", marker="x")))


def tuning_rows(outcomes: list[Any], metric: str) -> list[dict[str, Any]]:
    """One row per finished trial, in the order they finished, with the best score so far,
    in the metric's own terms (a loss positive, its best the lowest: sweep 51c F1, the plot
    data of a log loss study read -0.95)."""
    rows, best, compute = [], None, 0.0
    for o in outcomes:
        compute += o.core_s  # its retried attempts too: spent compute (sweep 51c F2)
        if o.status == "ok" and o.value is not None:
            best = o.value if best is None else max(best, o.value)
        rows.append({"finished": len(rows) + 1, "trial": o.id, "status": o.status,
                     "value": own(metric, o.value), "best": own(metric, best),
                     "compute_s": round(compute, 3), "rung": o.rung, "refines": o.refines})
    return rows


def own(metric: str, value: float | None) -> float | None:
    """A study's (maximised) value in the metric's own terms."""
    return None if value is None else to_maximise(metric, float(value))


def kind(row: dict[str, Any]) -> str:
    """A completed refinement (smaller learning rate, search/refine.py) gets its own marker."""
    return "refined" if row["status"] == "ok" and row.get("refines") is not None else row["status"]


def score_label(metric: str) -> str:
    # Drawn in the metric's own terms, as every table and log line gives it.
    return f"validation {metric} ({'higher' if higher_is_better(metric) else 'lower'} is better)"


def render_history(rows: list[dict[str, Any]], metric: str, out: Path) -> None:
    save(history_figure(rows, metric), out)


def history_figure(rows: list[dict[str, Any]], metric: str) -> Any:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for name, style in MARKERS:
        pts = [(r["finished"], r["value"]) for r in rows
               if kind(r) == name and r["value"] is not None]
        if pts:
            ax.scatter(*zip(*pts, strict=True), **{"s": 22, **style}, label=name)
    best = [(r["finished"], r["best"]) for r in rows if r["best"] is not None]
    if best:
        ax.step(*zip(*best, strict=True), where="post", c="black", lw=1.5, label="best so far")
    failed = [r["finished"] for r in rows if r["value"] is None]
    if failed:
        # No score to place it by: along the bottom edge, so every trial finished is drawn
        # (sweep 51c F8: an axis to 6 trials showed 5 points).
        from matplotlib.transforms import blended_transform_factory

        ax.scatter(failed, [0.02] * len(failed), transform=blended_transform_factory(
            ax.transData, ax.transAxes), **{"s": 30, **dict(MARKERS)["failed"]},
            label="failed (no score)", clip_on=False)
    ax.set_xlabel("trials finished")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no "2.5 trials finished"
    ax.set_ylabel(score_label(metric))
    ax.set_title("Tuning history")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # an empty study has nothing to name
        ax.legend(loc="best")  # where it hides no point
    return fig


def render_parameters(outcomes: list[Any], metric: str, out: Path) -> None:
    save(parameters_figure(outcomes, metric), out)


def parameters_figure(outcomes: list[Any], metric: str) -> Any:
    """One panel per parameter: each scored trial's value against the score (pruned trials at
    their rung's score, hollow); a numeric dimension spanning decades is drawn on a log axis."""
    plt = pyplot()
    names = sorted({k for o in outcomes for k in o.params})
    cols = min(4, max(1, len(names)))
    nrows = max(1, math.ceil(len(names) / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 2.6 * nrows), dpi=110,
                             squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        for status, face in (("ok", "tab:blue"), ("pruned", "none")):
            pts = [(o.params[name], own(metric, o.value)) for o in outcomes
                   if o.status == status and o.value is not None and name in o.params]
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax.scatter([str(x) if isinstance(x, str) else x for x in xs], ys, s=14,
                           facecolors=face, edgecolors="tab:blue", label=status)
        values = [o.params[name] for o in outcomes if isinstance(o.params.get(name), float)]
        if values and min(values) > 0 and max(values) / min(values) > 100:
            ax.set_xscale("log")
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    fig.suptitle(f"Each parameter against the {score_label(metric)}", fontsize=10)
    return fig


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only backend (no display on servers and in CI)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


LABEL_WIDTH = 40  # characters of a column name an axis shows


def short_label(name: str, width: int = LABEL_WIDTH) -> str:
    """A column name an axis can show: long ones keep their start and end around an ellipsis
    (sweep 52c: a 120-character name was clipped at the figure's edge, and matplotlib warned
    "Tight layout not applied" in the run's output)."""
    name = " ".join(str(name).split())
    if len(name) <= width:
        return name
    head = (width - 1) // 2
    return f"{name[:head]}…{name[-(width - 1 - head):]}"


def save(fig: Any, out: Path) -> None:
    with atomic_path(out) as tmp:
        tmp.write_bytes(png_bytes(fig))


def png_bytes(fig: Any, dpi: float | None = None) -> bytes:
    """The figure as PNG, laid out; the figure is closed (pyplot keeps every open one)."""
    import io

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=dpi)
    pyplot().close(fig)
    return buffer.getvalue()


def pareto_figure(pareto: dict[str, Any]) -> Any:
    """The study's trials on the metric and its first extra objective, the Pareto front joined
    up, the selected trial marked and the objective's limit (when set) drawn."""
    plt = pyplot()
    metric, other = pareto["metric"], pareto["objectives"][0]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    points = pareto["points"]
    ax.scatter([p[other] for p in points], [p[metric] for p in points], s=14, color="#bbbbbb",
               label="trials")
    front = sorted(pareto["front"], key=lambda p: p[other])
    ax.plot([p[other] for p in front], [p[metric] for p in front], "o-", color="#1f77b4",
            label="Pareto front")
    chosen = [p for p in points if p["trial"] == pareto["selected"]]
    if chosen:
        ax.scatter([chosen[0][other]], [chosen[0][metric]], marker="*", s=180, color="#d62728",
                   zorder=3, label=f"selected (trial {pareto['selected']})")
    limit = pareto["limits"].get(other)
    if limit is not None:
        ax.axvline(limit, color="#d62728", linestyle="--", linewidth=1, label="limit")
    ax.set_xlabel(other)
    ax.set_ylabel(score_label(metric))
    ax.legend(loc="best", fontsize=8)
    return fig
