"""Does tuneloop's torch MLP family really run on CUDA? One short, standalone check.

Run from the repository root (``bench`` is a namespace package)::

    python3 -m bench.gpu_check --out gpu_check.json            # on a CUDA machine
    .venv/bin/python -m bench.gpu_check --allow-cpu --out /tmp/gpu_check.json   # CPU smoke run

It builds a small train/valid/holdout slice of the flights data from the bundled raw monthly
batch files with the project's own prepare hook (params.yaml data.prepare) and the split stage's
code, one batch per month (no Great Expectations, MLflow, Prefect or DVC), then checks:

a. device: the family trains on ``cuda`` when CUDA is available (the refitted model's
   parameters live there, and the study's trials allocated CUDA memory);
b. study: a short study through ``tuneloop.search.run_study`` (skopt GP, ASHA on epochs, two
   workers on threads, ``family: torch_mlp``) finishes with no failed trial, rungs recorded;
c. round trip: the best trial refitted and saved through ``families.save`` (state_dict + JSON)
   loads with ``weights_only=True`` onto CUDA and onto CPU, predicting what it did before;
d. repeatability: the best trial re-run twice with its seed; the spread of the validation score
   is reported (CUDA kernels such as embedding backward are not deterministic);
e. timing: the same trial once on CUDA, once on CPU.

Prints a JSON summary, writes it to --out, and exits 1 when a, b or c fails (2 when CUDA is
absent and --allow-cpu was not given).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FEED = (REPO / "data" / "incoming", REPO / "data" / "feed")  # the 12 bundled monthly batches
TOLERANCE = 1e-5

TORCH_SPACE: dict[str, Any] = {
    "family": {"type": "categorical", "choices": ["torch_mlp"]},
    "hidden_units": {"type": "integer", "low": 16, "high": 64, "when": {"family": ["torch_mlp"]}},
    "n_layers": {"type": "integer", "low": 1, "high": 2, "when": {"family": ["torch_mlp"]}},
    "lr": {"type": "real", "low": 1e-3, "high": 3e-2, "prior": "log-uniform",
           "when": {"family": ["torch_mlp"]}},
    "dropout": {"type": "real", "low": 0.0, "high": 0.3, "when": {"family": ["torch_mlp"]}},
    "cat_encoding": {"type": "categorical", "choices": ["embedding", "onehot"],
                     "when": {"family": ["torch_mlp"]}},
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("gpu_check.json"), help="JSON summary")
    p.add_argument("--allow-cpu", action="store_true",
                   help="run on CPU when CUDA is absent (local smoke run) instead of failing")
    p.add_argument("--train-rows", type=int, default=20_000,
                   help="about this many training rows (valid and holdout about half each)")
    p.add_argument("--trials", type=int, default=6)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=8, help="max epochs per trial")
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--seed", type=int, default=7, help="study seed")
    return p.parse_args(argv)


def month_file(month: int) -> Path:
    """The raw flights batch of one month of 2013, as shipped in the repository."""
    name = f"flights-2013-{month:02d}.parquet"
    return next(folder / name for folder in FEED if (folder / name).is_file())


def build_frames(train_rows: int, seed: int) -> tuple[Any, Any, Any, Any]:
    """The raw batch files of months 1-4, each sampled so that train has about `train_rows`
    rows, turned into the project's table by its prepare hook and typed as the suite says (as
    ingest stores an accepted batch), one batch per month as the dataset stage numbers them,
    then cut by the split stage: train is months 1-2, valid month 3, holdout month 4 (only
    used for predictions here). Returns (train, valid, holdout, dataset spec)."""
    import pandas as pd

    from stages import split
    from tuneloop.batches import apply_hook, conform, load_hook
    from tuneloop.config import SplitConfig, load_params
    from tuneloop.features import BATCH_COLUMN
    from tuneloop.suite import load_suite

    params = load_params(REPO / "params.yaml")
    suite = load_suite(REPO / params.validate_.suite)
    hook = load_hook(params.data.prepare, REPO)
    raws = [pd.read_parquet(month_file(m)) for m in (1, 2, 3, 4)]
    labelled = sum(int(raw["arr_delay"].notna().sum()) for raw in raws[:2])
    fraction = min(1.0, train_rows / max(labelled, 1))
    parts = []
    for number, raw in enumerate(raws):
        if fraction < 1:
            raw = raw.sample(frac=fraction, random_state=seed)
        part = conform(apply_hook(hook, raw, str(month_file(number + 1))), suite)
        part[BATCH_COLUMN] = number
        parts.append(part)
    dataset = pd.concat(parts, ignore_index=True)
    cut = split.run(SplitConfig(valid_batches=1, holdout_batches=1), dataset)
    return cut.train, cut.valid, cut.holdout, params.data


def tune_config(args: argparse.Namespace) -> Any:
    from tuneloop.config import TuneConfig

    return TuneConfig.model_validate({
        "n_trials": args.trials, "n_workers": args.workers,
        "n_initial_points": max(1, args.trials // 2), "strategy": "gp", "seed": args.seed,
        "max_boost_rounds": 10, "early_stopping_rounds": 5, "metric": "auc", "max_retries": 0,
        "pruner": {"kind": "asha", "min_epochs": 2, "reduction_factor": 2,
                   "min_trials_per_rung": 3},
        "torch": {"max_epochs": args.epochs, "patience": 2, "batch_size": args.batch_size},
        "search_space": TORCH_SPACE,
    })


def study_pruner(cfg: Any) -> Any:
    """ASHA on epochs for the torch family, keyed by family as the tune stage does."""
    from tuneloop.families import TORCH_MLP, family_of
    from tuneloop.search.pruner import KeyedPruner, make_pruner

    p = cfg.pruner
    asha = make_pruner(p.kind, p.min_epochs, p.reduction_factor, p.min_trials_per_rung,
                       cfg.torch.max_epochs)
    return KeyedPruner({TORCH_MLP: asha}, family_of), asha


def check(summary: dict[str, Any], name: str, fn: Callable[[], dict[str, Any]]) -> bool:
    """Run one check; its dict (with ok) or its error goes into the summary."""
    t0 = time.perf_counter()
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - a failed check is reported, the others still run
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc(limit=6)}
    result["seconds"] = round(time.perf_counter() - t0, 3)
    summary[name] = result
    print(f"[gpu_check] {name}: {'ok' if result.get('ok') else 'FAILED'} "
          f"({result['seconds']:.1f} s)", flush=True)
    return bool(result.get("ok"))


def environment(cuda: bool) -> dict[str, Any]:
    import pandas as pd
    import sklearn
    import torch

    env: dict[str, Any] = {
        "python": platform.python_version(), "torch": torch.__version__,
        "torch_cuda": torch.version.cuda, "numpy": np.__version__, "pandas": pd.__version__,
        "sklearn": sklearn.__version__, "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(), "cuda_available": cuda,
    }
    try:
        import skopt

        env["skopt"] = skopt.__version__
    except Exception as exc:  # noqa: BLE001
        env["skopt"] = f"missing ({type(exc).__name__})"
    if cuda:
        env["cuda_device"] = torch.cuda.get_device_name(0)
        env["cuda_capability"] = ".".join(map(str, torch.cuda.get_device_capability(0)))
        env["cudnn"] = torch.backends.cudnn.version()
        env["matmul_allow_tf32"] = torch.backends.cuda.matmul.allow_tf32
        env["float32_matmul_precision"] = torch.get_float32_matmul_precision()
    return env


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()
    import torch

    cuda = torch.cuda.is_available()
    if not cuda and not args.allow_cpu:
        print("gpu_check: CUDA is not available (torch.cuda.is_available() is False); this check "
              "is for a CUDA machine. Pass --allow-cpu for a CPU smoke run.", file=sys.stderr)
        return 2
    if cuda:
        t0 = time.perf_counter()
        torch.zeros(1, device="cuda").sum().item()  # first CUDA init, timed on its own
        cuda_init_s = time.perf_counter() - t0
    from tuneloop import families, torch_mlp
    from tuneloop.families import TORCH_MLP, FamilyObjective
    from tuneloop.features import Schema
    from tuneloop.search import (
        Journal,
        SearchSpace,
        TrialContext,
        TrialSpec,
        make_strategy,
        run_study,
    )

    expected = "cuda" if cuda else "cpu"
    summary: dict[str, Any] = {"expected_device": expected, "env": environment(cuda)}
    if cuda:
        summary["env"]["cuda_init_s"] = round(cuda_init_s, 3)

    t0 = time.perf_counter()
    train, valid, holdout, spec = build_frames(args.train_rows, args.seed)
    schema = Schema.fit(spec, train)
    summary["data"] = {"train": len(train), "valid": len(valid), "holdout": len(holdout),
                       "positive_rate_train": round(float(train[spec.target].mean()), 4),
                       "seconds": round(time.perf_counter() - t0, 3)}
    cfg = tune_config(args)
    metric = cfg.metric
    threads = max(1, (os.cpu_count() or 1) // cfg.n_workers)
    objective = FamilyObjective(cfg, schema, metric, train, valid, threads)
    state: dict[str, Any] = {}

    def device_check() -> dict[str, Any]:
        reported = torch_mlp.device()
        probe = families.refit(TORCH_MLP, train.head(2_000), schema,
                               {"family": TORCH_MLP, "hidden_units": 8}, iterations=1, seed=1,
                               num_threads=threads)
        trained_on = next(probe[0].parameters()).device.type
        return {"ok": reported == expected and trained_on == expected,
                "torch_mlp.device()": reported, "refit_parameters_on": trained_on}

    def study_check() -> dict[str, Any]:
        pruner, asha = study_pruner(cfg)
        space = SearchSpace.from_config(cfg.search_space)
        strategy = make_strategy(cfg.strategy, space, cfg.seed, cfg.n_initial_points)
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        with tempfile.TemporaryDirectory() as tmp:
            journal = Journal(Path(tmp) / "trials.jsonl")
            study = run_study(objective, strategy, journal, n_trials=cfg.n_trials,
                              n_workers=cfg.n_workers, seed=cfg.seed, pruner=pruner,
                              max_retries=cfg.max_retries, threads_per_trial=threads)
            events = sum(1 for _ in journal.events())
        state["study"] = study
        trials = [{"id": t.id, "status": t.status, "value": t.value, "rung": t.rung,
                   "epochs": t.metrics.get("epochs_trained"),
                   "best_epoch": t.metrics.get("best_iteration"),
                   "seconds": round(t.seconds, 3), "intermediate": t.intermediate,
                   "params": t.params, "error": t.error} for t in study.trials]
        rungs = asha.rung_sizes()
        peak = torch.cuda.max_memory_allocated() if cuda else None
        best = study.best if study.completed else None
        problems = [text for bad, text in [
            (len(study.trials) != cfg.n_trials, f"{len(study.trials)} trials ran"),
            (bool(study.failed), f"{len(study.failed)} trial(s) failed"),
            (not study.completed, "no trial completed"),
            (not rungs, "no rung score recorded (epochs too few for a rung?)"),
            (any(t.params.get("family") != TORCH_MLP for t in study.trials),
             "a trial was not torch_mlp"),
            (cuda and not peak, "the trials allocated no CUDA memory"),
        ] if bad]
        return {"ok": not problems, "problems": problems, "n_trials": len(study.trials),
                "n_completed": len(study.completed),
                "n_pruned": len(study.pruned), "n_failed": len(study.failed),
                "rung_sizes": {str(k): v for k, v in rungs.items()},
                "stop_reason": study.stop_reason, "wall_s": round(study.wall_seconds, 3),
                "journal_events": events, "threads_per_trial": threads,
                "cuda_peak_bytes": peak,
                "best": best and {"id": best.id, "value": best.value, "params": best.params,
                                  "seed": best.seed},
                "trials": trials}

    def round_trip_check() -> dict[str, Any]:
        best = state["study"].best
        epochs = max(1, int(best.metrics.get("best_iteration", 1)))
        t0 = time.perf_counter()
        model = families.refit(TORCH_MLP, train, schema, best.params, iterations=epochs,
                               seed=best.seed, num_threads=threads,
                               batch_size=cfg.torch.batch_size)
        refit_s = time.perf_counter() - t0
        before = families.predict(TORCH_MLP, model, holdout, schema)
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp) / "model"
            families.save(TORCH_MLP, model, directory, best.params, best.seed)
            files = sorted(p.name for p in directory.iterdir())
            # torch_mlp.load: torch.load(weights_only=True) onto CPU, then .to(device())
            net, enc = torch_mlp.load(directory)
            loaded_on = next(net.parameters()).device.type
            after_default = torch_mlp.predict(net, enc, holdout)
            after_cpu = torch_mlp.predict(net.to("cpu"), enc, holdout)
            out: dict[str, Any] = {}
            if cuda:  # straight onto the GPU, without the CPU detour
                state_dict = torch.load(directory / torch_mlp.STATE_FILE, map_location="cuda",
                                        weights_only=True)
                direct = torch_mlp.build(enc, {k: v for k, v in best.params.items()
                                               if k != "family"}, best.seed).to("cuda")
                direct.load_state_dict(state_dict)
                after_cuda = torch_mlp.predict(direct, enc, holdout)
                out["max_abs_diff_cuda_direct"] = float(np.max(np.abs(after_cuda - before)))
        out.update({
            "files": files, "refit_epochs": epochs, "refit_s": round(refit_s, 3),
            "loaded_on": loaded_on,
            "max_abs_diff_loaded_default": float(np.max(np.abs(after_default - before))),
            "max_abs_diff_loaded_cpu": float(np.max(np.abs(after_cpu - before))),
            "predictions": len(before), "tolerance": TOLERANCE,
            "probabilities_in_0_1": bool(((before > 0) & (before < 1)).all()),
        })
        diffs = [v for k, v in out.items() if k.startswith("max_abs_diff")]
        out["ok"] = (loaded_on == expected and out["probabilities_in_0_1"]
                     and files == sorted([torch_mlp.STATE_FILE, torch_mlp.META_FILE])
                     and all(d <= TOLERANCE for d in diffs))
        return out

    def one_trial(spec: Any) -> tuple[float, float]:
        t0 = time.perf_counter()
        outcome = objective(spec, TrialContext(spec))  # no pruner: the full trial
        if cuda:
            torch.cuda.synchronize()
        return float(outcome.metrics[f"valid_{metric}"]), time.perf_counter() - t0

    def repeat_check() -> dict[str, Any]:
        best = state["study"].best
        spec = TrialSpec(best.id, best.params, best.seed)
        runs = [one_trial(spec) for _ in range(2)]
        state["device_trial_s"] = runs[-1][1]
        values = [v for v, _ in runs]
        return {"ok": True, "device": expected, "trial": best.id, "seed": best.seed,
                "valid_auc": values, "spread": float(max(values) - min(values)),
                "study_value": best.value, "wall_s": [round(s, 3) for _, s in runs]}

    def timing_check() -> dict[str, Any]:
        best = state["study"].best
        spec = TrialSpec(best.id, best.params, best.seed)
        out: dict[str, Any] = {"ok": True, "trial": best.id, "threads": threads,
                               "train_rows": len(train), "batch_size": cfg.torch.batch_size,
                               "max_epochs": cfg.torch.max_epochs}
        if "device_trial_s" not in state:
            state["device_trial_s"] = one_trial(spec)[1]
        out[f"{expected}_trial_s"] = round(state["device_trial_s"], 3)
        if cuda:
            original = torch_mlp.device
            torch_mlp.device = lambda: "cpu"  # train() asks torch_mlp.device() each time
            try:
                cpu_auc, cpu_s = one_trial(spec)
            finally:
                torch_mlp.device = original
            out.update(cpu_trial_s=round(cpu_s, 3), cpu_valid_auc=cpu_auc,
                       cuda_speedup=round(cpu_s / state["device_trial_s"], 3))
        return out

    ok_a = check(summary, "a_device", device_check)
    ok_b = check(summary, "b_study", study_check)
    if "study" in state and state["study"].completed:  # c, d, e need a completed trial
        ok_c = check(summary, "c_round_trip", round_trip_check)
        check(summary, "d_repeatability", repeat_check)
        check(summary, "e_timing", timing_check)
    else:
        ok_c = False
        summary["c_round_trip"] = {"ok": False, "error": "skipped: no completed trial"}
    summary["ok"] = ok_a and ok_b and ok_c
    summary["total_s"] = round(time.perf_counter() - t_start, 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    # Printed: everything but the per-trial list, which gets one line per trial.
    study = summary.get("b_study", {})
    short = {**summary, "b_study": {k: v for k, v in study.items() if k != "trials"}}
    print(json.dumps(short, indent=1, default=str))
    for t in study.get("trials", []):
        print(f"  trial {t['id']}: {t['status']:<7} value {t['value']} epochs {t['epochs']} "
              f"rung {t['rung']} {t['seconds']} s {t['error'] or ''}")
    print(f"[gpu_check] {'PASS' if summary['ok'] else 'FAIL'} (a={ok_a} b={ok_b} c={ok_c}); "
          f"{summary['total_s']:.1f} s; wrote {args.out}", flush=True)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
