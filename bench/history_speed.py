"""How long `tuneloop history --json` takes on a generated history. Prints figures; asserts
nothing.

    .venv/bin/python -m bench.history_speed            # 100 and 1,000 runs, 5 repeats each

Each figure is the wall time of the whole command as a user runs it (a fresh Python process:
interpreter start, imports, reading `.tuneloop/runs.jsonl`, printing JSON), the median of the
repeats. The baseline, measured in the same sitting, is `tuneloop --help`: the same process
start and CLI import with no work, i.e. the floor any tuneloop command pays.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def fake_run(i: int, rng: random.Random) -> dict[str, object]:
    """A record shaped as tuneloop.history.run_record writes it (values made up)."""
    studied = rng.random() < 0.6
    trials = 40 if studied else None
    slis = {"trials": 40, "ok": 20, "pruned": 19, "failed": 1, "retries": 1,
            "success_rate": 0.975, "pruned_rate": 0.475, "trial_seconds_p50": 3.1,
            "trial_seconds_p95": 9.8, "trial_seconds_max": 14.2, "metric": "auc",
            "best_valid": 0.75 + rng.random() / 100, "best_trial": 17,
            "compute_core_s": 150.0, "cost": 0.02, "cost_per_trial": 0.0005,
            "currency": "USD", "wall_s": 80.0, "worker_utilization": 0.93,
            "time_to_best_s": 41.0, "compute_to_best_core_s": 70.0,
            "trials_per_hour": 1800.0, "rounds_per_hour": 4e5, "stop_reason": "max_trials",
            "mode": "warm"} if studied else None
    return {"at": f"2026-01-01T00:{i % 60:02d}:00.000+00:00", "finished": "",
            "trigger": rng.choice(["manual", "schedule", "drift"]), "flow_run": f"run-{i}",
            "status": "ok", "error": None, "dataset_version": f"{i:032x}",
            "batches": [f"{i:06d}-batch.parquet"], "retrain": "warm" if studied else "none",
            "mode": "warm" if studied else None, "trials": trials,
            "stop_reason": "max_trials" if studied else None,
            "success_rate": 0.975 if studied else None, "metric": "auc",
            "best_valid": slis["best_valid"] if slis else None, "cost": 0.02 if studied else None,
            "currency": "USD", "compute_core_s": 150.0 if studied else None, "sli": slis,
            "gate_metric": "auc", "holdout": 0.76 if studied else None,
            "version": str(i) if studied else None,
            "promoted": rng.random() < 0.3 if studied else None,
            "reason": "holdout auc improvement ..." if studied else None}


def timed(cmd: list[str], cwd: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="100,1000", help="history sizes, comma-separated")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cli = [sys.executable, "-c", "from tuneloop_cli.app import app; app()"]
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copy(REPO / "params.yaml", project / "params.yaml")
        runs = project / ".tuneloop" / "runs.jsonl"
        runs.parent.mkdir()
        baseline = timed([*cli, "--help"], project, args.repeats)
        print(f"baseline  `tuneloop --help`                 {baseline:6.2f} s")
        for n in (int(x) for x in args.runs.split(",")):
            rng = random.Random(0)
            runs.write_text("".join(json.dumps(fake_run(i, rng)) + "\n" for i in range(n)))
            took = timed([*cli, "history", "--json", "--root", "."], project, args.repeats)
            print(f"{n:>5} runs `tuneloop history --json`        {took:6.2f} s "
                  f"({took - baseline:+.2f} s over the baseline; target < 2 s at 100)")


if __name__ == "__main__":
    main()
