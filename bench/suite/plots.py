"""Best-so-far headline test metric against compute, median and IQR over seeds (PNG).

Compute is in boosting rounds, the budget unit, so the curves do not depend on machine speed.
A point is drawn once more than half the seeds have an incumbent there.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.suite.analysis import best_so_far
from bench.suite.records import RunResult

GRID_POINTS = 200


def curves(runs: Sequence[RunResult]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """tuner -> (compute grid, best-so-far test metric per seed on that grid; NaN before any)."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for tuner in dict.fromkeys(r.tuner for r in runs):
        mine = [r for r in runs if r.tuner == tuner]
        grid = np.linspace(0, max(r.budget_rounds for r in mine), GRID_POINTS + 1)[1:]
        values = np.full((len(mine), len(grid)), np.nan)
        for i, run in enumerate(mine):
            for j, compute in enumerate(grid):
                rec = best_so_far(run.records, compute)
                if rec is not None and rec.test_auc is not None:
                    values[i, j] = rec.test_auc
        out[tuner] = (grid, values)
    return out


def draw_curves(ax: object, runs: Sequence[RunResult]) -> None:
    """One step curve per tuner (median) with its IQR shaded, on a matplotlib Axes."""
    for tuner, (grid, values) in curves(runs).items():
        seeds = values.shape[0]
        with warnings.catch_warnings():  # columns before any incumbent are all-NaN: masked
            warnings.simplefilter("ignore", RuntimeWarning)
            enough = np.sum(~np.isnan(values), axis=0) > seeds / 2
            median = np.where(enough, np.nanmedian(values, axis=0), np.nan)
            low = np.where(enough, np.nanpercentile(values, 25, axis=0), np.nan)
            high = np.where(enough, np.nanpercentile(values, 75, axis=0), np.nan)
        (line,) = ax.step(  # type: ignore[attr-defined]
            grid, median, where="post", lw=2 if tuner == "tuneloop" else 1.3,
            label=f"{tuner} ({seeds} seeds)",
        )
        ax.fill_between(  # type: ignore[attr-defined]
            grid, low, high, step="post", color=line.get_color(), alpha=0.12
        )


def draw_dataset(
    cells: dict[str, Sequence[RunResult]], out: Path, *, dataset: str, metric: str
) -> Path:
    """One PNG per dataset: a panel per budget (budget name -> that cell's runs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(cells), figsize=(5.2 * len(cells), 4.2), dpi=100, squeeze=False
    )
    for ax, (budget, runs) in zip(axes[0], cells.items(), strict=True):
        draw_curves(ax, runs)
        ax.set_title(f"{dataset}, {budget} budget")
        ax.set_xlabel("compute used (boosting rounds)")
        ax.set_ylabel(f"test {metric} of the best-by-validation trial")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=7)
    fig.suptitle("best-so-far test metric, median and IQR over seeds", fontsize=10)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out
