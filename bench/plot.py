"""Best-so-far test AUC against compute, one curve per tuner, from benchmark JSON files.

    .venv/bin/python -m bench.plot bench/results/tuning.json --out bench/results/tuning.png

Each curve is the median over a tuner's seeds of the test AUC of its incumbent (best trial by
validation AUC so far, as in the tables) at each amount of compute, with the interquartile
range shaded; the published anchor range is drawn as a band. Compute is in boosting rounds, the
benchmark's budget unit, so the curves do not depend on the machine's speed.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from bench.suite.plots import draw_curves
from bench.suite.records import RunResult
from bench.suite.store import read_runs

#: Published tuned-LightGBM AUC range on this test split (see the tables' anchors).
ANCHOR_AUC = (0.926, 0.928)


def draw(runs: Sequence[RunResult], out: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=110)
    ax.axhspan(*ANCHOR_AUC, color="0.9", label="published tuned LightGBM")
    draw_curves(ax, runs)
    ax.set_xlabel("compute used (boosting rounds)")
    ax.set_ylabel("test AUC of the best-by-validation trial")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+", type=Path, help="benchmark --out files (merged)")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    parser.add_argument("--title", default="Best-so-far test AUC, median and IQR over seeds")
    args = parser.parse_args(argv)
    runs = [run for path in args.json for run in read_runs(path)[1]]
    print(f"wrote {draw(runs, args.out, args.title)} ({len(runs)} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
