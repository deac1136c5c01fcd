"""The suite command: every dataset x budget cell, every tuner x seed in each, one JSON per cell,
a short table per cell, one ranking across all cells and a plot per dataset.

    .venv/bin/python -m bench.suite --datasets adult,flights,diamonds,digits \\
        --budgets small,medium,large --seeds 5 --out bench/results/suite
    .venv/bin/python -m bench.suite --from-json bench/results/suite     # re-print, re-plot

A cell's budget comes from its dataset (:mod:`bench.suite.datasets`: Adult's budgets scaled by
the square root of the training rows), so "medium" means comparable effort on every dataset.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.suite.analysis import cell_summary, checkpoint_metrics, rank_tuners
from bench.suite.datasets import BASE_BUDGETS, DATASETS, Dataset
from bench.suite.loop import DEFAULT_REPORT_EVERY, WorkerConfig, run_jobs, run_tuner
from bench.suite.objective import DEFAULT_EARLY_STOPPING, METRICS, LgbTask, fixed_params
from bench.suite.records import RunResult
from bench.suite.single import versions
from bench.suite.store import dump_json, read_doc, runs_from_doc, write_json
from bench.suite.tables import fmt, format_cell, format_ranking
from bench.suite.tuners import TUNERS, load_tuner_modules

DEFAULT_TUNERS = "tuneloop,random,tpe,tpe-hyperband,gp-optuna,gp"
#: Imported besides the baselines: tuneloop's own engine is a tuner like any other here.
DEFAULT_TUNER_MODULES: tuple[str, ...] = ("bench.tuneloop_tuner",)
SUMMARY_FILE = "summary.json"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.suite",
        description="Benchmark suite: tuners x seeds on every dataset x budget cell. Writes one "
        "JSON per cell to --out, prints a table per cell and a ranking across cells, and plots "
        "best-so-far test metric against compute per dataset.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated, registered")
    p.add_argument(
        "--budgets",
        default="small,medium,large",
        help=f"comma-separated, of {', '.join(BASE_BUDGETS)} (rounds scaled per dataset)",
    )
    p.add_argument("--tuners", default=DEFAULT_TUNERS, help="comma-separated registered tuners")
    p.add_argument(
        "--tuner-module",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE too (it registers tuners); bench.tuneloop_tuner always is",
    )
    p.add_argument("--seeds", type=int, default=5, help="runs per tuner and cell: seeds 0..N-1")
    p.add_argument("--seed-offset", type=int, default=0, help="first seed")
    p.add_argument("--early-stopping", type=int, default=DEFAULT_EARLY_STOPPING)
    p.add_argument("--report-every", type=int, default=DEFAULT_REPORT_EVERY)
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="LightGBM threads per trial; 0 = cpu_count // jobs. Use 1 on a busy machine",
    )
    p.add_argument(
        "--jobs", type=int, default=1, help="(tuner, seed) runs at once, in worker processes"
    )
    p.add_argument("--data-dir", type=Path, default=None, help="see python -m bench.tuning_bench")
    p.add_argument("--out", type=Path, default=Path("bench/results/suite"), help="folder")
    p.add_argument(
        "--from-json",
        type=Path,
        default=None,
        metavar="DIR",
        help="run nothing: re-print (and re-plot) the cells saved in DIR",
    )
    p.add_argument("--no-plots", action="store_true", help="do not draw the per-dataset PNGs")
    p.add_argument("--list", action="store_true", help="print datasets, budgets, tuners; exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no per-run progress lines")
    return p


def _split(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def cell_name(dataset: str, budget: str) -> str:
    return f"{dataset}-{budget}"


def _list(names: Sequence[str]) -> str:
    lines = ["datasets (budgets: rounds per run / max rounds per trial):"]
    for ds in DATASETS.values():
        budgets = ", ".join(
            f"{b} {ds.budget(b).rounds}/{ds.budget(b).max_rounds}" for b in BASE_BUDGETS
        )
        lines.append(f"  {ds.name:<9} {ds.task:<10} {budgets}")
        lines.append(f"  {'':<9} {ds.source}; license {ds.license}")
    lines.append("tuners: " + ", ".join(names))
    return "\n".join(lines)


def _progress(run: RunResult) -> str:
    fin = checkpoint_metrics(run, 1.0)
    return (
        f"  {run.tuner:<14} seed {run.seed}: {len(run.records):>3} trials, {run.rounds_used} "
        f"rounds, best valid {fmt(fin['valid_auc'])}, test {fmt(fin['test_auc'])}, "
        f"{run.wall_s:.1f}s"
    )


def run_cell(
    ds: Dataset,
    budget: str,
    task: LgbTask | None,
    args: argparse.Namespace,
    *,
    tuners: list[str],
    seeds: list[int],
    threads: int,
    meta: dict[str, Any],
) -> list[RunResult]:
    """Every tuner x seed of one cell, seed-major; the cell's JSON is rewritten after each run so
    a crash keeps what was done."""
    b = ds.budget(budget)
    path = args.out / f"{cell_name(ds.name, budget)}.json"
    file_kw = {"fixed_params": fixed_params(ds.task, ds.num_class), "anchors": ds.anchors}
    t0 = time.perf_counter()

    def save(done: list[RunResult]) -> None:
        meta["elapsed_s"] = time.perf_counter() - t0
        write_json(path, meta, done, **file_kw, extra={"cell": cell_summary(done)})

    runs: list[RunResult] = []
    if task is not None:
        task.max_rounds = b.max_rounds
        for seed in seeds:
            for name in tuners:
                run = run_tuner(
                    TUNERS[name], task, budget_rounds=b.rounds, seed=seed,
                    report_every=args.report_every,
                )
                runs.append(run)
                if not args.quiet:
                    print(_progress(run), flush=True)
                save(runs)
        return runs
    order = [(name, seed) for seed in seeds for name in tuners]

    def on_result(done: list[RunResult], run: RunResult, n_done: int) -> None:
        if not args.quiet:
            print(f"{_progress(run)}  [{n_done}/{len(order)}]", flush=True)
        save(done)

    cfg = WorkerConfig(
        tuner_modules=(*DEFAULT_TUNER_MODULES, *args.tuner_module),
        data_dir=args.data_dir,
        threads=threads,
        max_rounds=b.max_rounds,
        early_stopping_rounds=args.early_stopping,
        dataset=ds.name,
    )
    return run_jobs(
        order, jobs=args.jobs, cfg=cfg, budget_rounds=b.rounds, n_workers=1,
        report_every=args.report_every, on_result=on_result,
    )


def report(cells: dict[str, tuple[dict[str, Any], list[RunResult]]], out: Path,
           plots: bool) -> str:
    """Per-cell tables, the ranking across cells (also written to out/summary.json) and the
    per-dataset plots. ``cells``: cell name -> (meta, runs), in display order."""
    lines: list[str] = []
    summaries: dict[str, dict[str, Any]] = {}
    for name, (meta, runs) in cells.items():
        suite = meta["suite"]
        summaries[name] = cell_summary(runs)
        title = (
            f"{name} ({suite['task']}, {meta['budget_rounds']} rounds/run, "
            f"{meta['max_rounds']} max/trial)"
        )
        lines += [format_cell(title, summaries[name], suite["metrics"]["test"]), ""]
    ranking = rank_tuners(summaries)
    lines.append(format_ranking(ranking, len(summaries)))
    dump_json(out / SUMMARY_FILE, {"cells": summaries, "ranking": ranking})
    if plots:
        from bench.suite.plots import draw_dataset

        by_dataset: dict[str, dict[str, list[RunResult]]] = {}
        for meta, runs in cells.values():
            by_dataset.setdefault(meta["suite"]["dataset"], {})[meta["suite"]["budget"]] = runs
        for dataset, per_budget in by_dataset.items():
            metric = METRICS[DATASETS[dataset].task].test if dataset in DATASETS else "metric"
            png = draw_dataset(per_budget, out / f"{dataset}.png", dataset=dataset, metric=metric)
            lines.append(f"plot: {png}")
    return "\n".join(lines)


def load_cells(folder: Path) -> dict[str, tuple[dict[str, Any], list[RunResult]]]:
    """The cell files of a suite folder, ordered by dataset registry then budget order."""
    found: dict[str, tuple[dict[str, Any], list[RunResult]]] = {}
    for path in sorted(folder.glob("*.json")):
        doc = read_doc(path)
        if "suite" not in doc.get("meta", {}):
            continue  # summary.json or a foreign file
        found[path.stem] = (doc["meta"], runs_from_doc(doc))
    dataset_order = {n: i for i, n in enumerate(DATASETS)}
    budget_order = {n: i for i, n in enumerate(BASE_BUDGETS)}

    def key(item: tuple[str, tuple[dict[str, Any], list[RunResult]]]) -> tuple[int, int, str]:
        suite = item[1][0]["suite"]
        return (
            dataset_order.get(suite["dataset"], 99), budget_order.get(suite["budget"], 99),
            item[0],
        )

    return dict(sorted(found.items(), key=key))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.from_json is not None:
        cells = load_cells(args.from_json)
        if not cells:
            print(f"no suite cell files in {args.from_json}", file=sys.stderr)
            return 2
        print(report(cells, args.from_json, plots=not args.no_plots))
        return 0
    load_tuner_modules((*DEFAULT_TUNER_MODULES, *args.tuner_module))
    tuners, datasets, budgets = _split(args.tuners), _split(args.datasets), _split(args.budgets)
    if args.list:
        print(_list(list(TUNERS)))
        return 0
    bad = (
        [f"tuner {t}" for t in tuners if t not in TUNERS]
        + [f"dataset {d}" for d in datasets if d not in DATASETS]
        + [f"budget {b}" for b in budgets if b not in BASE_BUDGETS]
    )
    if bad or args.seeds < 1 or args.jobs < 1:
        print(f"unknown: {bad}; or --seeds/--jobs < 1 (see --list)", file=sys.stderr)
        return 2
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.jobs)
    seeds = list(range(args.seed_offset, args.seed_offset + args.seeds))
    command = " ".join(["python -m bench.suite", *(argv if argv is not None else sys.argv[1:])])
    cells: dict[str, tuple[dict[str, Any], list[RunResult]]] = {}
    t0 = time.perf_counter()
    for dname in datasets:
        ds = DATASETS[dname]
        data = ds.load(args.data_dir)
        rows = {"train": len(data.X_train), "valid": len(data.X_valid), "test": len(data.X_test)}
        task = None
        if args.jobs == 1:
            task = LgbTask(
                data, threads=threads, early_stopping_rounds=args.early_stopping,
                task=ds.task, num_class=ds.num_class,
            )
        for budget in budgets:
            b = ds.budget(budget)
            name = cell_name(dname, budget)
            if not args.quiet:
                print(f"== {name}: {ds.task}, {b.rounds} rounds/run, {b.max_rounds} max/trial, "
                      f"tuners {tuners}, seeds {seeds}", flush=True)
            meta: dict[str, Any] = {
                "command": command,
                "suite": {
                    "dataset": dname, "budget": budget, "task": ds.task,
                    "metrics": asdict(METRICS[ds.task]), "source": ds.source,
                    "license": ds.license,
                },
                "tuners": tuners, "seeds": seeds, "budget_rounds": b.rounds,
                "max_rounds": b.max_rounds, "early_stopping": args.early_stopping,
                "report_every": args.report_every, "n_workers": 1,
                "threads_per_worker": threads, "jobs": args.jobs, "cpu_count": os.cpu_count(),
                "rows": rows, "versions": versions(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            runs = run_cell(ds, budget, task, args, tuners=tuners, seeds=seeds,
                            threads=threads, meta=meta)
            cells[name] = (meta, runs)
            if not args.quiet:
                summary = cell_summary(runs)
                print(format_cell(name, summary, METRICS[ds.task].test), flush=True)
    print()
    print(report(cells, args.out, plots=not args.no_plots))
    print(f"\nwrote {len(cells)} cell file(s) to {args.out} ({time.perf_counter() - t0:.0f}s)")
    return 0
