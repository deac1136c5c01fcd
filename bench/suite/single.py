"""One cell from the command line: every tuner x seed on one dataset at one budget, the detailed
tables (checkpoints at 25/50/100%, cost, the full compute-ratio matrix). This is the historical
``python -m bench.tuning_bench`` command, flags and output unchanged, plus ``--dataset``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightgbm as lgb

from bench.suite.analysis import checkpoint_metrics, summarize
from bench.suite.datasets import DATASETS
from bench.suite.loop import (
    DEFAULT_REPORT_EVERY,
    WorkerConfig,
    run_jobs,
    run_tuner,
)
from bench.suite.objective import (
    DEFAULT_EARLY_STOPPING,
    DEFAULT_MAX_ROUNDS,
    METRICS,
    LgbTask,
    MetricNames,
    fixed_params,
)
from bench.suite.records import RunResult
from bench.suite.store import read_runs, write_json
from bench.suite.tables import fmt, format_tables
from bench.suite.tuners import TUNERS, load_tuner_modules

DEFAULT_OUT = Path("bench/results/tuning.json")
DEFAULT_BUDGET = 30_000
DEFAULT_SEEDS = 5
QUICK = {"seeds": 2, "budget_rounds": 3_000, "max_rounds": 600}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.tuning_bench",
        description=(
            "Search-quality benchmark of hyperparameter tuners on UCI Adult with LightGBM. "
            "Each tuner runs once per seed until --budget-rounds boosting rounds have been trained "
            "in total; the best trial by validation AUC at 25/50/100% of the budget is scored on "
            "the test split. Prints a table and writes every trial to --out (JSON)."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--tuners",
        default="all",
        help="comma-separated registered tuner names, or 'all' (see --list-tuners)",
    )
    p.add_argument("--list-tuners", action="store_true", help="print the registered tuners, exit")
    p.add_argument(
        "--tuner-module",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE (dotted path) before running; it registers tuners with "
        "@register_tuner. Repeatable.",
    )
    p.add_argument(
        "--dataset",
        default="adult",
        choices=sorted(DATASETS),
        help="registered dataset (bench/suite/datasets.py); the tables name its metrics",
    )
    p.add_argument(
        "--seeds", type=int, default=DEFAULT_SEEDS, help="runs per tuner, seeds 0..N-1 (+offset)"
    )
    p.add_argument("--seed-offset", type=int, default=0, help="first seed")
    p.add_argument(
        "--budget-rounds",
        type=int,
        default=DEFAULT_BUDGET,
        help="compute budget per run: total boosting rounds trained over all trials",
    )
    p.add_argument(
        "--max-rounds", type=int, default=DEFAULT_MAX_ROUNDS, help="boosting rounds cap per trial"
    )
    p.add_argument(
        "--early-stopping",
        type=int,
        default=DEFAULT_EARLY_STOPPING,
        help="early-stopping patience (rounds) on validation AUC",
    )
    p.add_argument(
        "--report-every",
        type=int,
        default=DEFAULT_REPORT_EVERY,
        help="rounds between intermediate reports to pruning tuners",
    )
    p.add_argument(
        "--n-workers",
        type=int,
        default=1,
        help="trials in flight at once (threads). The baselines are run sequentially (1); "
        "tuners that support more say so in their description",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="LightGBM threads per trial; 0 = cpu_count // (n_workers * jobs) (at least 1). On a "
        "busy machine use 1: LightGBM's OpenMP threads stall badly when a core is taken",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="(tuner, seed) runs at once, each in its own worker process (spawned; OpenMP/BLAS "
        "pools sized to --threads). 1 = one run after the other in this process",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="adult: folder with adult.*.gz (default data/raw/adult); flights: the folder whose "
        "subfolders hold flights-2013-*.parquet (default data/); others ignore it",
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file with every trial")
    p.add_argument(
        "--spread",
        choices=("iqr", "range"),
        default="iqr",
        help="spread shown next to medians: interquartile range or min-max",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK['seeds']} seeds, budget {QUICK['budget_rounds']} rounds, "
        f"{QUICK['max_rounds']} rounds cap per trial (overrides --seeds, --budget-rounds and "
        "--max-rounds)",
    )
    p.add_argument(
        "--from-json",
        type=Path,
        nargs="+",
        default=None,
        metavar="PATH",
        help="do not run anything: print the tables of earlier --out files (their runs merged, "
        "e.g. one file per tuner or per seed range)",
    )
    p.add_argument(
        "--merge-into",
        type=Path,
        default=None,
        metavar="PATH",
        help="with --from-json: also write the merged runs to PATH (same JSON layout)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no per-run progress lines")
    return p


def versions() -> dict[str, str]:
    """Versions of the libraries that decide the numbers, for the results file's meta."""
    out = {"python": platform.python_version(), "lightgbm": lgb.__version__}
    for mod in ("optuna", "skopt", "numpy", "pandas", "sklearn"):
        try:
            out[mod] = str(importlib.import_module(mod).__version__)
        except Exception:  # noqa: BLE001 - a missing optional tuner library is not an error here
            out[mod] = "missing"
    return out


def run_line(run: RunResult, metrics: MetricNames = METRICS["binary"]) -> str:
    """One progress line per finished run (Adult's wording for binary tasks)."""
    fin = checkpoint_metrics(run, 1.0)
    names = ("AUC", "acc") if metrics == METRICS["binary"] else (metrics.test, metrics.test2)
    return (
        f"  {run.tuner:<14} seed {run.seed}: {len(run.records):>3} trials, "
        f"{run.rounds_used} rounds, best valid {fmt(fin['valid_auc'])}, "
        f"test {names[0]} {fmt(fin['test_auc'])} {names[1]} {fmt(fin['test_acc'])}, "
        f"{run.wall_s:.1f}s"
    )


def _table_labels(meta: dict[str, Any]) -> dict[str, Any]:
    """format_tables keyword arguments for a results file's dataset (Adult when unnamed)."""
    first = (meta.get("merged_from") or [meta])[0]  # a merged file names its parts' dataset
    ds = DATASETS.get(first.get("dataset", "adult"), DATASETS["adult"])
    return {"metrics": METRICS[ds.task], "anchors": ds.anchors}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.from_json is not None:
        runs = []
        metas = []
        for path in args.from_json:
            meta, more = read_runs(path)
            commands = [m.get("command", "") for m in meta.get("merged_from", [meta])]
            print(f"# {path}: " + "\n#   ".join(commands))
            metas.append(meta)
            runs.extend(more)
        print(format_tables(summarize(runs), spread=args.spread, **_table_labels(metas[0])))
        if args.merge_into is not None:
            write_json(args.merge_into, {"merged_from": metas}, runs)
            print(f"wrote {args.merge_into} ({len(runs)} runs)")
        return 0
    load_tuner_modules(args.tuner_module)
    if args.list_tuners:
        for name, cls in TUNERS.items():
            print(f"{name:<16} {cls.description}")
        return 0
    if args.quick:
        args.seeds, args.budget_rounds = QUICK["seeds"], QUICK["budget_rounds"]
        args.max_rounds = QUICK["max_rounds"]
    names = list(TUNERS) if args.tuners == "all" else [n.strip() for n in args.tuners.split(",")]
    unknown = [n for n in names if n not in TUNERS]
    if unknown:
        print(f"unknown tuner(s) {unknown}; registered: {list(TUNERS)}", file=sys.stderr)
        return 2
    if args.seeds < 1 or args.budget_rounds < 1 or args.n_workers < 1 or args.jobs < 1:
        print("--seeds, --budget-rounds, --n-workers and --jobs must be >= 1", file=sys.stderr)
        return 2
    threads = args.threads or max(1, (os.cpu_count() or 1) // (args.n_workers * args.jobs))
    seeds = list(range(args.seed_offset, args.seed_offset + args.seeds))
    dataset = DATASETS[args.dataset]

    data = dataset.load(args.data_dir)
    meta: dict[str, Any] = {
        "command": " ".join(["python -m bench.tuning_bench", *(argv or sys.argv[1:])]),
        "tuners": names,
        "seeds": seeds,
        "budget_rounds": args.budget_rounds,
        "max_rounds": args.max_rounds,
        "early_stopping": args.early_stopping,
        "report_every": args.report_every,
        "n_workers": args.n_workers,
        "threads_per_worker": threads,
        "jobs": args.jobs,
        "cpu_count": os.cpu_count(),
        "rows": {
            "tune_train": len(data.X_train),
            "valid": len(data.X_valid),
            "test": len(data.X_test),
        },
        "versions": versions(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if args.dataset != "adult":  # Adult's files stay as they were
        meta["dataset"] = args.dataset
        meta["task"] = dataset.task
    file_kw = {
        "fixed_params": fixed_params(dataset.task, dataset.num_class),
        "anchors": dataset.anchors,
    }
    if not args.quiet:
        print(
            f"tuners {names}; seeds {seeds}; budget {args.budget_rounds} rounds/run; "
            f"{args.n_workers} worker(s) x {threads} thread(s)"
            + (f"; {args.jobs} runs at once (processes)" if args.jobs > 1 else ""),
            flush=True,
        )
    runs: list[RunResult] = []
    t0 = time.perf_counter()
    if args.jobs == 1:
        task = LgbTask(
            data,
            threads=threads,
            max_rounds=args.max_rounds,
            early_stopping_rounds=args.early_stopping,
            task=dataset.task,
            num_class=dataset.num_class,
        )
        for seed in seeds:  # seed-major order: a partial JSON has every tuner on the same seeds
            for name in names:
                run = run_tuner(
                    TUNERS[name],
                    task,
                    budget_rounds=args.budget_rounds,
                    seed=seed,
                    n_workers=args.n_workers,
                    report_every=args.report_every,
                )
                runs.append(run)
                if not args.quiet:
                    print(run_line(run, METRICS[dataset.task]), flush=True)
                meta["elapsed_s"] = time.perf_counter() - t0
                write_json(args.out, meta, runs, **file_kw)  # after every run: keep what was done
    else:
        order = [(name, seed) for seed in seeds for name in names]  # as the loop above

        def on_result(done_runs: list[RunResult], run: RunResult, n_done: int) -> None:
            if not args.quiet:
                left = len(order) - n_done
                line = run_line(run, METRICS[dataset.task])
                print(f"{line}  [{n_done}/{len(order)} done, {left} left]", flush=True)
            meta["elapsed_s"] = time.perf_counter() - t0
            write_json(args.out, meta, done_runs, **file_kw)  # a crash keeps what was done

        cfg = WorkerConfig(
            tuner_modules=tuple(args.tuner_module),
            data_dir=args.data_dir,
            threads=threads,
            max_rounds=args.max_rounds,
            early_stopping_rounds=args.early_stopping,
            dataset=args.dataset,
        )
        try:
            runs = run_jobs(
                order,
                jobs=args.jobs,
                cfg=cfg,
                budget_rounds=args.budget_rounds,
                n_workers=args.n_workers,
                report_every=args.report_every,
                on_result=on_result,
            )
        except KeyboardInterrupt:
            print(f"\ninterrupted; the finished runs are in {args.out}", file=sys.stderr)
            return 130
        except Exception:
            print(f"\nstopped; the finished runs are in {args.out}", file=sys.stderr)
            raise
    print()
    print(format_tables(summarize(runs), spread=args.spread, **_table_labels(meta)))
    print(f"\nwrote {args.out} ({len(runs)} runs, {time.perf_counter() - t0:.0f}s)")
    return 0
