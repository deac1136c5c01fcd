"""Warm vs cold re-tune: is a warm re-tune as good as a cold one, at a fraction of its compute?

Run from the repository root (``bench`` is a namespace package)::

    .venv/bin/python -m bench.warm_vs_cold                      # seeds 1,2,3: ~4 min, 2 idle cores
    .venv/bin/python -m bench.warm_vs_cold --seeds 1,2,3,4,5 --valid-months 6,9,11
    .venv/bin/python -m bench.warm_vs_cold --set tune.warm_seeds=1   # a params override
    .venv/bin/python -m bench.warm_vs_cold --from-json bench/results/warm_vs_cold.json
    .venv/bin/python -m bench.warm_vs_cold --keep /tmp/wvc            # keep every journal, then
    .venv/bin/python -m bench.warm_vs_cold --reuse /tmp/wvc           # re-run only the warm ones

Data: the bundled NYC flights 2013 months (data/incoming + data/feed), each prepared by the
project's hook (hooks.flights.prepare) and conformed to the suite, one batch per month. Settings:
params.yaml's tune section (only tune.seed changes, per run). Windows follow the split stage: the
newest batch is the holdout (never seen here), the one before it validates, all earlier ones train.

Scenario, per valid month V (default 6) and per study seed:

- previous study: a cold study on the window that validated on month V-1 (train 1..V-2). Its
  journal is kept in a studies folder; its best configuration is the champion.
- a new batch arrives; the new window validates on month V (train 1..V-1):
  (a) cold re-tune: the full budget, from scratch;
  (b) warm re-tune: tune.warm_share of the budget, seeded with the champion's configuration and
      the previous study's best tune.warm_seeds configurations, each re-run on the new window.

Both go through stages.tune.run, the function the stage runs. Reported per run: the best
validation AUC on month V and three measures of compute: core-seconds (TuneResult.
compute_seconds: each trial's wall seconds x its threads, what the target is stated in), the
process CPU seconds of the study (what the cores actually spent, which other load on the machine
does not inflate) and the boosting rounds trained. Target: warm within 0.001 AUC of cold at
<= 35% of its core-seconds. Also reported, outside the target: each study's choice refit on
train + valid and scored on the window's holdout month V+1 (stages.evaluate.run), which no
study saw: a best-of-24 validation figure carries more selection optimism than a best-of-9.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
FEED = (REPO / "data" / "incoming", REPO / "data" / "feed")
DEFAULT_OUT = Path("bench/results/warm_vs_cold.json")
AUC_TARGET = 0.001
COMPUTE_TARGET = 0.35


def month_file(month: int) -> Path:
    name = f"flights-2013-{month:02d}.parquet"
    return next(folder / name for folder in FEED if (folder / name).is_file())


def prepare_months(months: range, suite_path: Path) -> pd.DataFrame:
    """Each month through the project's hook and suite, as `tuneloop ingest` stores a batch,
    with the batch column the dataset stage adds (month 1 is batch 0)."""
    from hooks.flights import prepare
    from tuneloop.batches import conform
    from tuneloop.features import BATCH_COLUMN
    from tuneloop.suite import load_suite

    suite = load_suite(suite_path)
    parts = []
    for month in months:
        part = conform(prepare(pd.read_parquet(month_file(month))), suite)
        part[BATCH_COLUMN] = month - 1
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def window(dataset: pd.DataFrame, last_month: int, split_cfg: Any) -> Any:
    """The split stage's train/valid/holdout of the window of months 1..last_month."""
    from stages import split as split_stage
    from tuneloop.features import BATCH_COLUMN

    return split_stage.run(split_cfg, dataset[dataset[BATCH_COLUMN] < last_month])


def one_seed(params: Any, dataset: pd.DataFrame, valid_month: int, seed: int,
             work: Path, reused: dict[str, Any] | None = None) -> dict[str, Any]:
    from stages import tune
    from tuneloop.features import Schema

    cfg = params.tune.model_copy(update={"seed": seed})
    metric = params.tuning_metric
    studies = work / "studies"
    out: dict[str, Any] = {"seed": seed, "valid_month": valid_month}

    def study(name: str, last_month: int, **kwargs: Any) -> Any:
        splits = window(dataset, last_month, params.split)
        schema = Schema.fit(params.data, splits.train)  # as the stage: fitted on train
        started, cpu = time.perf_counter(), time.process_time()
        result = tune.run(cfg, schema, metric, splits.train, splits.valid,
                          work / f"{name}.jsonl", **kwargs)
        out[name] = {"best_value": result.best_value, "compute_s": result.compute_seconds,
                     "cpu_s": time.process_time() - cpu, "rounds": rounds_trained(
                         work / f"{name}.jsonl"),
                     "wall_s": time.perf_counter() - started, "n_trials": result.n_trials,
                     "n_pruned": result.n_pruned, "n_refined": result.n_refined,
                     "n_seeds": result.n_seeds, "best_trial": result.best_trial,
                     "best_refines": result.best_refines, "best_params": result.best_params,
                     "train_rows": len(splits.train), "valid_rows": len(splits.valid)}
        print(f"  seed {seed} {name:8s} {tune.summary_line(result)}", flush=True)
        if name != "previous":
            out[name]["holdout"] = holdout_auc(params, result, splits)
            print(f"  seed {seed} {name:8s} holdout (month {last_month}) auc "
                  f"{out[name]['holdout']:.5f}", flush=True)
        return result

    if reused is not None:
        # The previous and cold studies of a kept run, as they were: only warm runs again, so
        # a change to the warm mode is compared on the same studies (no sitting-to-sitting
        # noise in cold's figure).
        out.update(previous=reused["previous"], cold=reused["cold"])
        previous = SimpleNamespace(best_params=reused["previous"]["best_params"])
    else:
        # Validates on V-1 (the window's holdout is month V, unseen); kept as the previous
        # study.
        previous = study("previous", valid_month, studies_dir=studies)
        # The new window validates on V. Cold is not kept: warm must seed from the previous
        # study.
        study("cold", valid_month + 1)
    study("warm", valid_month + 1, mode="warm", seeds=[previous.best_params],
          studies_dir=studies)
    return out


def holdout_auc(params: Any, result: Any, splits: Any) -> float:
    """The study's selected configuration as the evaluate stage scores it: refit on train +
    valid, then scored on the window's holdout month, which no study saw. Not counted in the
    compute: it is what each re-tune's choice is worth, the question the validation figure
    answers with the optimism of a best-of-n."""
    from stages import evaluate

    cfg = params.evaluate.model_copy(update={"refit_on_holdout": False, "latency_repeats": 1})
    evaluation = evaluate.run(cfg, params.data, result, splits.train, splits.valid,
                              splits.holdout)
    return float(evaluation.metrics["auc"])


def rounds_trained(journal: Path) -> int:
    """Boosting rounds trained over the study (pruned and early-stopped trials count what they
    ran): a compute measure that, unlike seconds, other load on the machine cannot inflate."""
    from tuneloop.search import Journal

    return int(sum(e.get("metrics", {}).get("rounds_trained", 0)
                   for e in Journal(journal).events() if e["event"] == "finished"))


MEASURES = ("compute_s", "cpu_s", "rounds")  # TuneResult core-s, process CPU-s, rounds


def summarise(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Means over runs; the ratios are of the means (warm / cold), the gap warm - cold."""
    out: dict[str, float] = {}
    for side in ("cold", "warm"):
        out[f"{side}_auc"] = statistics.fmean(r[side]["best_value"] for r in runs)
        for m in MEASURES:
            out[f"{side}_{m}"] = statistics.fmean(r[side].get(m, float("nan")) for r in runs)
    out["auc_gap"] = out["warm_auc"] - out["cold_auc"]
    for side in ("cold", "warm"):  # nan for runs kept before the holdout was scored
        out[f"{side}_holdout"] = statistics.fmean(r[side].get("holdout", float("nan"))
                                                  for r in runs)
    out["holdout_gap"] = out["warm_holdout"] - out["cold_holdout"]
    out["worst_auc_gap"] = min(r["warm"]["best_value"] - r["cold"]["best_value"] for r in runs)
    for m in MEASURES:
        out[f"{m}_ratio"] = out[f"warm_{m}"] / out[f"cold_{m}"]
    return out


def _row(label: str, seed: str, c: dict[str, float], w: dict[str, float]) -> str:
    ratios = " ".join(f"{w[m] / c[m]:5.2f}" for m in MEASURES)
    return (f"{label:>5} {seed:>4} | {c['auc']:.4f} {c['compute_s']:6.1f} {c['cpu_s']:6.1f} "
            f"{c['rounds']:6.0f} | {w['auc']:.4f} {w['compute_s']:6.1f} {w['cpu_s']:6.1f} "
            f"{w['rounds']:6.0f} | {w['auc'] - c['auc']:+.4f} {ratios}")


def _holdout_gap(run: dict[str, Any]) -> float:
    nan = float("nan")
    return run["warm"].get("holdout", nan) - run["cold"].get("holdout", nan)


def table(runs: list[dict[str, Any]]) -> str:
    head = "   AUC  core-s  CPU-s rounds"
    lines = [f"{'month':>5} {'seed':>4} | cold{head} | warm{head} |     gap core-s CPU-s "
             "rounds (ratios warm / cold)"]

    def side(r: dict[str, Any]) -> dict[str, float]:
        return {"auc": r["best_value"], **{m: r.get(m, float("nan")) for m in MEASURES}}

    for r in runs:
        lines.append(_row(str(r["valid_month"]), str(r["seed"]), side(r["cold"]),
                          side(r["warm"])))
    months = sorted({r["valid_month"] for r in runs})
    for month in [*(months if len(months) > 1 else []), None]:
        chosen = [r for r in runs if month is None or r["valid_month"] == month]
        s = summarise(chosen)
        c = {"auc": s["cold_auc"], **{m: s[f"cold_{m}"] for m in MEASURES}}
        w = {"auc": s["warm_auc"], **{m: s[f"warm_{m}"] for m in MEASURES}}
        lines.append(_row("mean" if month is None else str(month), "", c, w))
    s = summarise(runs)
    met = s["auc_gap"] >= -AUC_TARGET and s["compute_s_ratio"] <= COMPUTE_TARGET
    lines.append(f"mean AUC gap (warm - cold) {s['auc_gap']:+.4f} (worst single run "
                 f"{s['worst_auc_gap']:+.4f}); compute ratio (warm / cold) core-s "
                 f"{s['compute_s_ratio']:.3f}, process CPU-s {s['cpu_s_ratio']:.3f}, boosting "
                 f"rounds {s['rounds_ratio']:.3f}; target (gap >= -{AUC_TARGET}, core-s ratio "
                 f"<= {COMPUTE_TARGET}): {'met' if met else 'NOT met'}")
    if s["holdout_gap"] == s["holdout_gap"]:  # not nan
        lines.append(f"on the untouched holdout month (each choice refit on train + valid, as "
                     f"the evaluate stage does): cold {s['cold_holdout']:.4f}, warm "
                     f"{s['warm_holdout']:.4f}, gap (warm - cold) {s['holdout_gap']:+.4f}; per "
                     "run " + " ".join(f"{_holdout_gap(r):+.4f}" for r in runs))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from tuneloop.config import load_params

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3", help="study seeds (default: %(default)s)")
    parser.add_argument("--valid-months", default="6",
                        help="months the new window validates on, 3..11 (default: %(default)s)")
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a params key for this run, e.g. tune.warm_seeds=1 "
                             "(YAML value; repeatable)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--from-json", type=Path, help="re-print a saved result")
    parser.add_argument("--keep", type=Path,
                        help="keep every study's journal under this folder (default: "
                             "discarded), with the runs' figures in its runs.json")
    parser.add_argument("--reuse", type=Path, metavar="KEPT",
                        help="a --keep folder: re-run only the warm studies, seeded from its "
                             "previous studies and compared with its cold ones (the seeds and "
                             "months are its own)")
    args = parser.parse_args(argv)
    if args.from_json:
        print(table(json.loads(args.from_json.read_text())["runs"]))
        return 0
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set {item!r}: expected KEY=VALUE")
        overrides[key] = yaml.safe_load(value)
    params = load_params(args.params, overrides)
    seeds = [int(s) for s in args.seeds.split(",")]
    months = [int(m) for m in args.valid_months.split(",")]
    if any(not 3 <= m <= 11 for m in months):
        parser.error("--valid-months: each month 3..11 (the window needs a later holdout month)")
    if args.reuse and (args.keep or argv_has(argv, "--seeds", "--valid-months")):
        parser.error("--reuse takes its seeds and months from the kept runs, and keeps nothing: "
                     "drop --keep, --seeds and --valid-months")
    if args.reuse:
        kept = json.loads((args.reuse / "runs.json").read_text())
        reused = {(r["valid_month"], r["seed"]): r for r in kept}
        months = sorted({m for m, _ in reused})
        seeds = sorted({s for _, s in reused})
    started = time.perf_counter()
    dataset = prepare_months(range(1, 13), REPO / params.validate_.suite)
    print(f"prepared 12 months, {len(dataset):,} rows, in {time.perf_counter() - started:.0f} s; "
          f"tune: {params.tune.n_trials} trials, warm_share {params.tune.warm_share}, "
          f"warm_seeds {params.tune.warm_seeds}, {params.tune.n_workers} workers", flush=True)
    runs = []
    for month in months:
        for seed in seeds:
            if args.reuse:
                if (month, seed) not in reused:
                    continue
                with tempfile.TemporaryDirectory(prefix="warm_vs_cold.") as tmp:
                    (Path(tmp) / "studies").mkdir()
                    shutil.copy(args.reuse / f"m{month}-s{seed}" / "studies" / "0001.jsonl",
                                Path(tmp) / "studies" / "0001.jsonl")
                    runs.append(one_seed(params, dataset, month, seed, Path(tmp),
                                         reused=reused[month, seed]))
                continue
            if args.keep:
                work = args.keep / f"m{month}-s{seed}"
                shutil.rmtree(work, ignore_errors=True)
                runs.append(one_seed(params, dataset, month, seed, work))
                (args.keep / "runs.json").write_text(json.dumps(runs, indent=2, default=str))
                continue
            with tempfile.TemporaryDirectory(prefix="warm_vs_cold.") as tmp:
                runs.append(one_seed(params, dataset, month, seed, Path(tmp)))
    report = {"runs": runs, "summary": summarise(runs), "overrides": overrides,
              "reused": str(args.reuse) if args.reuse else None,
              "machine": {"platform": platform.platform(), "cpus": _cores()},
              "seconds": time.perf_counter() - started}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(table(runs))
    print(f"total {report['seconds'] / 60:.1f} min; saved {args.out}")
    return 0


def argv_has(argv: list[str] | None, *options: str) -> bool:
    """Whether the command line named any of `options` (given explicitly, not defaulted)."""
    import sys

    given = sys.argv[1:] if argv is None else argv
    return any(a == o or a.startswith(o + "=") for a in given for o in options)


def _cores() -> int:
    from tuneloop.lgbm import cores

    return cores()


if __name__ == "__main__":
    raise SystemExit(main())
