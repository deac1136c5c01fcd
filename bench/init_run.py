"""Wall time of `tuneloop init` + the first `tuneloop run` on a 50,000-row table, with defaults.

    .venv/bin/python -m bench.init_run                  # 50,000 prepared flights rows (Jan-Feb)
    .venv/bin/python -m bench.init_run --data my.csv --target y [--time t] [--id i]

Runs the installed tool as a user would, from a fresh temporary folder outside the repository,
and prints each step's wall time, the tune stage's summary line and, measured in the same run
for reference, one LightGBM fit with default parameters on the same training rows (what a single
untuned model costs). The target for the default table: init + run <= 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def flights_table(dest: Path, rows: int) -> Path:
    import pandas as pd

    sys.path.insert(0, str(REPO))
    from hooks.flights import prepare

    raw = pd.concat([pd.read_parquet(REPO / "data" / "incoming" / f"flights-2013-0{m}.parquet")
                     for m in (1, 2, 3)])
    table = prepare(raw).head(rows)
    path = dest / "flights.csv"
    table.to_csv(path, index=False)
    return path


def timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return seconds, done.stdout + done.stderr


def one_default_fit(project: Path) -> float:
    import lightgbm as lgb

    from tuneloop.config import load_params
    from tuneloop.features import Schema
    from tuneloop.lgbm import task_params
    from tuneloop.records import read_splits

    params = load_params(project / "params.yaml")
    train = read_splits(project / params.paths.splits_dir, ("train",))["train"]
    schema = Schema.fit(params.data, train)
    x, y = schema.make_features(train), schema.labels(train)
    started = time.perf_counter()
    lgb.train({**task_params(schema), "verbosity": -1, "num_threads": 2}, lgb.Dataset(x, y),
              num_boost_round=100)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="your table (default: 50k flights rows)")
    parser.add_argument("--target", default="late")
    parser.add_argument("--time", default="time_hour")
    parser.add_argument("--id", default="flight_id")
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tuneloop-init-run-") as tmp:
        work = Path(tmp)
        data = args.data.resolve() if args.data else flights_table(work, args.rows)
        init_cmd = [str(BIN / "tuneloop"), "init", "proj", "--data", str(data), "--target",
                    args.target, *(["--time", args.time] if args.time else []),
                    *(["--id", args.id] if args.id else [])]
        init_s, init_out = timed(init_cmd, work)
        run_s, run_out = timed([str(BIN / "tuneloop"), "run"], work / "proj")
        fit_s = one_default_fit(work / "proj")
    print(init_out.strip())
    summary = [ln for ln in run_out.splitlines() if "tune: " in ln]
    print(summary[-1].split(" - ", 1)[-1] if summary else "(no tune summary)")
    print([ln for ln in run_out.splitlines() if ln.startswith("holdout:")][-1])
    print(f"tuneloop init: {init_s:6.1f} s")
    print(f"tuneloop run:  {run_s:6.1f} s (first run: starts Prefect's temporary API, "
          "tunes, evaluates, registers, versions)")
    print(f"total:         {init_s + run_s:6.1f} s   (target <= 120 s on 2 cores)")
    print(f"reference, same run: one LightGBM fit, defaults, 100 rounds, train split: "
          f"{fit_s:.1f} s")


if __name__ == "__main__":
    main()
