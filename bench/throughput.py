"""Trials per hour with 1 worker vs 2 workers, from two benchmark JSON files.

    .venv/bin/python -m bench.tuning_bench --tuner-module bench.tuneloop_tuner --tuners tuneloop \\
        --seeds 2 --budget-rounds 3000 --max-rounds 1000 --threads 1 --n-workers 1 \\
        --out bench/results/workers1.json
    (the same with --n-workers 2 --out bench/results/workers2.json)
    .venv/bin/python -m bench.throughput bench/results/workers1.json bench/results/workers2.json

Trials differ in length (pruned ones are short), so boosting rounds per hour, the work actually
done, is printed next to trials per hour.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.tuning_bench import read_runs


def rates(path: Path) -> tuple[int, float, float, float]:
    meta, runs = read_runs(path)
    trials = sum(len(r.records) for r in runs)
    rounds = sum(r.rounds_used for r in runs)
    wall = sum(r.wall_s for r in runs)
    return int(meta["n_workers"]), trials / wall * 3600, rounds / wall * 3600, wall


def main(argv: list[str]) -> int:
    one, two = (rates(Path(p)) for p in argv[:2])
    for workers, tph, rph, wall in (one, two):
        print(f"{workers} worker(s): {tph:7.0f} trials/hour, {rph:9.0f} rounds/hour "
              f"({wall:.0f} s wall)")
    print(f"speed-up {two[0]} vs {one[0]} workers: {two[1] / one[1]:.2f}x trials/hour, "
          f"{two[2] / one[2]:.2f}x rounds/hour")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
