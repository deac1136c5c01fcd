"""plots: what people would rather look at than read, from the reports the loop wrote.

Plot data is computed apart from drawing (JSON that `dvc plots show` reads), then rendered to
PNG with matplotlib: the tuning history (each trial's validation score, the best so far, pruned
and failed trials marked) and the drift check (effect size per feature against its threshold).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stages._cli import run_main, stage_parser
from tuneloop.config import Params
from tuneloop.io import read_json, write_json
from tuneloop.search.journal import load_outcomes
from tuneloop.study_plots import pyplot, render_history, save, short_label, tuning_rows

TUNING = "tuning"
DRIFT = "drift"


def drift_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"feature": f["name"], "measure": f["measure"], "effect": f["effect"],
             "threshold": f["threshold"], "importance": f["importance"], "drifted": f["alarm"]}
            for f in report["features"]]


def _render_drift(rows: list[dict[str, Any]], out: Path) -> None:
    plt = pyplot()

    rows = sorted(rows, key=lambda r: r["effect"])
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.2), dpi=110)
    if not rows:  # the first window: no champion to compare a batch with yet
        ax.text(0.5, 0.5, "no statistics yet: the first window has no champion to compare "
                "with", ha="center", va="center")
        ax.set_axis_off()
        save(fig, out)
        return
    # Positions, labelled after: two long names alike in their shown part stay two bars.
    where = list(range(len(rows)))
    ax.barh(where, [r["effect"] for r in rows],
            color=["tab:red" if r["drifted"] else "tab:gray" for r in rows])
    ax.set_yticks(where, [short_label(r["feature"]) for r in rows])
    ax.scatter([r["threshold"] for r in rows], where, marker="|",
               s=200, c="black", label="calibrated threshold", zorder=3)
    ax.set_xlabel("effect size (KS / Jensen-Shannon); red = drifted")
    ax.set_title("The newest batch against what the champion was trained on")
    ax.legend(loc="lower right")
    save(fig, out)


def execute(params: Params, root: Path) -> list[Path]:
    """Write plot data (JSON) and PNGs under paths.plots_dir; return the PNG paths."""
    out_dir = root / params.paths.plots_dir
    plots = (  # name, source report, its rows, how to draw them
        (TUNING, root / params.paths.journal,
         lambda p: tuning_rows(load_outcomes(p), params.tuning_metric),
         lambda rows, out: render_history(rows, params.tuning_metric, out)),
        (DRIFT, root / params.paths.drift_report, lambda p: drift_rows(read_json(p)),
         _render_drift),
    )
    written = []
    for name, source, rows_of, render in plots:
        if source.exists():
            rows = rows_of(source)
            write_json(out_dir / f"{name}.json", rows)
            render(rows, out_dir / f"{name}.png")
            written.append(out_dir / f"{name}.png")
    return written


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
