"""Constrained search benchmark: the best LightGBM configuration on Adult whose model fits a size
limit, per compute.

Run from the repository root::

    .venv/bin/python -m bench.constrained_bench --size-limit 0 --seeds 2      # unconstrained sizes
    .venv/bin/python -m bench.constrained_bench --size-limit 400000 --seeds 5 --budget-rounds 10000
    .venv/bin/python -m bench.constrained_bench --from-json bench/results/constrained.json

Same task, search space, budget accounting (boosting rounds) and test scoring as
:mod:`bench.suite` (the harness behind ``bench.tuning_bench``), whose pieces it reuses; what
differs:

* Every trial that ends with a model (complete, or truncated by the budget) is measured: its
  *size* is the bytes of LightGBM's text model at the trial's best iteration, what the loop's
  evaluate stage stores as model.txt. A pruned trial has no model and no size.
* A trial is *feasible* when its size is at most ``--size-limit`` (0: no limit, every trial is).
  The incumbent, the configuration a tuner would hand over, is the best *feasible* completed
  trial by validation AUC; its test AUC is the "best feasible test AUC". A tuner that never
  completes a feasible trial hands over nothing (n/a).
* The tuners are told the size, each the way its library takes constraints:

  - ``tuneloop``: tuneloop's engine (:mod:`bench.tuneloop_tuner`: GP + ASHA + refinement) with
    ``limits={"size_bytes": limit}``; a completed trial is told ``measures={"size_bytes": s}``.
  - ``tpe``: Optuna ``TPESampler(seed=seed, constraints_func=...)``, ask/tell, no pruner (the
    ``tpe`` baseline of :mod:`bench.baselines` plus the constraint). The size is stored as the
    trial's user attribute before ``study.tell``; ``constraints_func`` returns
    ``(size - limit,)`` from it, which Optuna calls in ``after_trial`` and stores in the trial's
    system attributes, where TPE's split reads it (infeasible trials rank below feasible ones).
  - ``random``: random search; it learns nothing, the constraint only filters the incumbent.
  - ``tuneloop-nolimit``: tuneloop's engine told nothing about the limit (ablation): the
    constraint only filters its incumbent, like random search.

Runs are sequential (one trial at a time), one run after the other, seed-major.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import optuna
from optuna.trial import TrialState

from bench.adult_data import DEFAULT_DIR, load_adult
from bench.baselines import OptunaTPE, RandomSearch, optuna_distributions
from bench.suite.analysis import checkpoint_metrics, compute_ratio, final_median_auc
from bench.suite.analysis import quantile as _q
from bench.suite.loop import DEFAULT_REPORT_EVERY, trial_seed
from bench.suite.objective import (
    DEFAULT_EARLY_STOPPING,
    DEFAULT_MAX_ROUNDS,
    LgbTask,
    RoundVerdict,
)
from bench.suite.records import RunResult, TrialRecord
from bench.suite.single import versions as _versions
from bench.suite.space import SEARCH_SPACE
from bench.suite.space import check_params as _check_params
from bench.suite.store import dump_json
from bench.suite.store import read_runs as _read_runs
from bench.suite.tables import fmt as _fmt
from bench.suite.tuners import Proposal, TrialOutcome, Tuner, TunerContext
from bench.tuneloop_tuner import TuneloopTuner

DEFAULT_OUT = Path("bench/results/constrained.json")
DEFAULT_BUDGET = 10_000
SIZE = "size_bytes"

# --------------------------------------------------------------------------------------------
# Tuners with the size limit
# --------------------------------------------------------------------------------------------


class ConstrainedTPE(OptunaTPE):
    """The ``tpe`` baseline with the size limit given to TPE through ``constraints_func``."""

    def __init__(self, ctx: TunerContext, limit: float | None) -> None:
        Tuner.__init__(self, ctx)
        self.limit = limit
        self.dists = optuna_distributions(ctx.space)
        constraints = None
        if limit is not None:
            def constraints(trial: optuna.trial.FrozenTrial) -> tuple[float]:
                return (float(trial.user_attrs[SIZE]) - limit,)
        with warnings.catch_warnings():
            # Optuna 5 deprecates constraints_func for Trial.set_constraint; both store the
            # same system attribute that TPE reads.
            warnings.simplefilter("ignore", FutureWarning)
            sampler = optuna.samplers.TPESampler(seed=ctx.seed, constraints_func=constraints)
        self.study = optuna.create_study(direction="maximize", sampler=sampler,
                                         pruner=optuna.pruners.NopPruner())

    def tell(self, proposal: Proposal, outcome: TrialOutcome) -> None:
        trial: optuna.Trial = proposal.token
        if outcome.status == "pruned":  # never with the NopPruner
            self.study.tell(trial, state=TrialState.PRUNED)
            return
        trial.set_user_attr(SIZE, (outcome.measures or {})[SIZE])
        self.study.tell(trial, outcome.valid_auc)


def _tuneloop(ctx: TunerContext, limit: float | None) -> Tuner:
    return TuneloopTuner(ctx, limits=None if limit is None else {SIZE: limit})


#: name -> factory(ctx, size limit or None).
TUNERS: dict[str, Callable[[TunerContext, float | None], Tuner]] = {
    "tuneloop": _tuneloop,
    "tpe": ConstrainedTPE,
    "random": lambda ctx, limit: RandomSearch(ctx),
    "tuneloop-nolimit": lambda ctx, limit: TuneloopTuner(ctx),
}

# --------------------------------------------------------------------------------------------
# The run loop
# --------------------------------------------------------------------------------------------


@dataclass
class ConstrainedRecord(TrialRecord):
    """A harness trial record plus the model's size; ``incumbent`` = new best *feasible*."""

    size_bytes: int | None = None  # None: pruned, no model
    feasible: bool = False


def model_bytes(booster: lgb.Booster, best_iteration: int) -> int:
    """What the loop stores as model.txt: the text model at the best iteration, in bytes."""
    return len(booster.model_to_string(num_iteration=best_iteration).encode())


def run_constrained(name: str, task: LgbTask, *, budget_rounds: int, seed: int,
                    limit: float | None, report_every: int = DEFAULT_REPORT_EVERY) -> RunResult:
    """:func:`bench.suite.loop.run_tuner` for one worker, with every model measured and the
    incumbent restricted to feasible trials."""
    ctx = TunerContext(space=SEARCH_SPACE, seed=seed, n_workers=1, max_rounds=task.max_rounds,
                       early_stopping_rounds=task.early_stopping_rounds,
                       report_every=report_every, budget_rounds=budget_rounds)
    tuner = TUNERS[name](ctx, limit)
    result = RunResult(tuner=name, seed=seed, budget_rounds=budget_rounds, n_workers=1,
                       threads_per_worker=task.threads, rounds_used=0, wall_s=0.0)
    used = 0
    best_valid = -math.inf
    run_t0 = time.perf_counter()
    number = 0
    try:
        while used < budget_rounds:
            t_start = time.perf_counter()
            proposal = tuner.ask()
            ask_s = time.perf_counter() - t_start
            proposal.params = _check_params(proposal.params)

            def hook(rounds: int, best_auc: float, proposal: Proposal = proposal
                     ) -> tuple[RoundVerdict, float]:
                nonlocal used
                used += 1
                exhausted = used >= budget_rounds
                if tuner.wants_reports and rounds % report_every == 0 and not exhausted:
                    t = time.perf_counter()
                    prune = tuner.report(proposal, rounds, best_auc)
                    if prune:
                        return "prune", time.perf_counter() - t
                    return "continue", time.perf_counter() - t
                return ("budget" if exhausted else "continue"), 0.0

            fit = task.fit(proposal.params, seed=trial_seed(seed, number), hook=hook)
            size = None if fit.booster is None else model_bytes(fit.booster, fit.best_iteration)
            feasible = size is not None and (limit is None or size <= limit)
            outcome = TrialOutcome(valid_auc=fit.valid_auc, status=fit.status,
                                   rounds_trained=fit.rounds_trained,
                                   best_iteration=fit.best_iteration,
                                   measures=None if size is None else {SIZE: float(size)})
            t = time.perf_counter()
            tuner.tell(proposal, outcome)
            tell_s = time.perf_counter() - t
            incumbent = feasible and fit.valid_auc > best_valid
            test_auc = test_acc = None
            score_s = 0.0
            if incumbent and fit.booster is not None:
                best_valid = fit.valid_auc
                t = time.perf_counter()
                test_auc, test_acc = task.score_test(fit.booster, fit.best_iteration)
                score_s = time.perf_counter() - t
            wall_s = time.perf_counter() - t_start
            result.records.append(ConstrainedRecord(
                number=number, params=proposal.params, status=fit.status,
                valid_auc=fit.valid_auc, best_iteration=fit.best_iteration,
                rounds_trained=fit.rounds_trained, cum_rounds=used, wall_s=wall_s,
                fit_s=fit.fit_s, ask_s=ask_s, tell_s=tell_s, report_s=fit.report_s,
                score_s=score_s, tuner_overhead_s=max(0.0, wall_s - fit.fit_s - score_s),
                propose_latency_s=ask_s + tell_s, incumbent=incumbent, test_auc=test_auc,
                test_acc=test_acc, size_bytes=size, feasible=feasible))
            number += 1
    finally:
        tuner.close()
    result.rounds_used = used
    result.wall_s = time.perf_counter() - run_t0
    return result


# --------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------


def _ended(run: RunResult) -> list[Any]:
    """Trials that ended with a model: complete, or truncated by the budget."""
    return [r for r in run.records if r.status != "pruned"]


def unconstrained_pick(run: RunResult) -> Any:
    """The trial an unconstrained selection would hand over: best completed by validation AUC."""
    ended = _ended(run)
    return max(ended, key=lambda r: (r.valid_auc, -r.number)) if ended else None


def feasible_pick(run: RunResult) -> Any:
    chosen = [r for r in run.records if r.incumbent]
    return chosen[-1] if chosen else None


def _spread(xs: Sequence[float]) -> dict[str, float]:
    return {"median": _q(xs, 0.5), "q25": _q(xs, 0.25), "q75": _q(xs, 0.75),
            "min": _q(xs, 0.0), "max": _q(xs, 1.0)}


def summarize(runs: Sequence[RunResult], limit: float | None,
              reference: str = "tpe") -> dict[str, Any]:
    by_tuner: dict[str, list[RunResult]] = {}
    for run in runs:
        by_tuner.setdefault(run.tuner, []).append(run)
    out: dict[str, Any] = {}
    for name, tr in by_tuner.items():
        ended = [r for run in tr for r in _ended(run)]
        infeasible = [r for r in ended if not r.feasible]
        picks = [feasible_pick(run) for run in tr]
        free = [unconstrained_pick(run) for run in tr]
        entry: dict[str, Any] = {
            "runs": len(tr),
            "test_auc": {str(f): _spread([checkpoint_metrics(r, f)["test_auc"] for r in tr])
                         for f in (0.25, 0.5, 1.0)},
            "no_feasible_runs": sum(p is None for p in picks),
            "pick_size_bytes": _spread([p.size_bytes for p in picks if p is not None]),
            "unconstrained_pick_size_bytes": _spread([p.size_bytes for p in free if p]),
            "unconstrained_pick_test_auc": _spread(
                [_free_test_auc(run, p) for run, p in zip(tr, free, strict=True)]),
            "ended_trials": len(ended),
            "infeasible_share": len(infeasible) / len(ended) if ended else math.nan,
            "infeasible_rounds_share": (sum(r.rounds_trained for r in infeasible)
                                        / sum(run.rounds_used for run in tr)),
            "trials_per_run_median": float(np.median([len(run.records) for run in tr])),
            "pruned_share": (sum(r.status == "pruned" for run in tr for r in run.records)
                             / max(1, sum(len(run.records) for run in tr))),
            "rounds_used_median": float(np.median([run.rounds_used for run in tr])),
            "wall_s_median": float(np.median([run.wall_s for run in tr])),
        }
        out[name] = entry
    ratios = {}
    if reference in by_tuner:
        ratios = {a: compute_ratio(ra, by_tuner[reference]) for a, ra in by_tuner.items()}
    return {
        "size_limit": limit,
        "reference": reference,
        "tuners": out,
        "final_median_test_auc": {n: final_median_auc(tr) for n, tr in by_tuner.items()},
        "compute_ratio_to_reference": ratios,
    }


def _free_test_auc(run: RunResult, pick: Any) -> float:
    """Test AUC of the unconstrained pick when it was scored (it was an incumbent: feasible or
    no limit); NaN otherwise (the harness scores only incumbents)."""
    return math.nan if pick is None or pick.test_auc is None else pick.test_auc


def format_table(summary: dict[str, Any]) -> str:
    tuners = summary["tuners"]
    ref = summary["reference"]
    limit = summary["size_limit"]
    width = max([len(n) for n in tuners] + [6])
    lines = [f"size limit: {'none' if limit is None else f'{limit:,.0f} bytes'}; "
             "best *feasible* trial by validation AUC, scored on test; median [IQR] over seeds",
             f"{'tuner':<{width}}  runs  {'test AUC @50%':<22}  {'test AUC @100%':<22}  "
             f"{'infeas.':>7}  {'inf.rnds':>8}  {'trials':>6}  {'pruned':>6}  "
             f"{'pick KB':>8}  {'free pick KB':>12}  {f'x{ref} to reach':>15}"]
    for name, e in tuners.items():
        cells = []
        for f in ("0.5", "1.0"):
            m = e["test_auc"][f]
            cells.append(f"{_fmt(m['median'])} [{_fmt(m['q25'])}-{_fmt(m['q75'])}]")
        ratio = summary["compute_ratio_to_reference"].get(name, math.nan)
        ratio_s = "n/a" if ratio is None or math.isnan(ratio) else (
            "inf" if math.isinf(ratio) else f"{ratio:.2f}")
        missing = f" ({e['no_feasible_runs']} none)" if e["no_feasible_runs"] else ""
        lines.append(
            f"{name:<{width}}  {e['runs']:>4}  {cells[0]:<22}  {cells[1] + missing:<22}  "
            f"{100 * e['infeasible_share']:>6.0f}%  {100 * e['infeasible_rounds_share']:>7.0f}%"
            f"  {e['trials_per_run_median']:>6.0f}  {100 * e['pruned_share']:>5.0f}%  "
            f"{e['pick_size_bytes']['median'] / 1e3:>8.0f}  "
            f"{e['unconstrained_pick_size_bytes']['median'] / 1e3:>12.0f}  {ratio_s:>15}")
    finals = ", ".join(f"{n} {_fmt(v)}" for n, v in summary["final_median_test_auc"].items())
    lines += ["", f"(final median best feasible test AUC: {finals})",
              "infeas.: share of the trials that ended with a model (complete or truncated) "
              "whose model broke the limit; inf.rnds: share of all rounds spent on them",
              "pick KB: median size of the handed-over model; free pick KB: median size of the "
              "best trial by validation AUC ignoring the limit",
              f"x{ref} to reach: rounds the tuner needs (median seed) to reach {ref}'s final "
              f"median, divided by the rounds {ref} used; inf = not reached"]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# JSON and CLI
# --------------------------------------------------------------------------------------------


def write_json(path: Path, meta: dict[str, Any], runs: Sequence[RunResult],
               limit: float | None) -> None:
    """Strict JSON, atomically (the suite's writer); this file's own summary."""
    dump_json(path, {"meta": meta, "runs": [asdict(r) for r in runs],
                     "summary": summarize(runs, limit)})


def read_runs(path: Path) -> tuple[dict[str, Any], list[RunResult]]:
    """(meta, runs) with the size-carrying records."""
    return _read_runs(path, record_cls=ConstrainedRecord)


def _engine_version() -> str:
    """The commit the engine was imported from, "+dirty" when tuneloop/ or bench/ had changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL, timeout=10).stdout.strip()

    dirty = git("status", "--porcelain", "--", "tuneloop", "bench/tuneloop_tuner.py",
                "bench/tuning_bench.py", "bench/suite", "bench/constrained_bench.py")
    return (git("rev-parse", "--short", "HEAD") or "unknown") + ("+dirty" if dirty else "")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.constrained_bench",
        description="Best feasible test AUC under a model-size limit, per tuner and compute "
        "(UCI Adult, LightGBM). Writes every trial to --out (JSON) and prints a table.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--tuners", default="tuneloop,tpe,random",
                   help=f"comma-separated, of {', '.join(TUNERS)}")
    p.add_argument("--size-limit", type=float, default=0.0,
                   help="largest feasible text-model size in bytes; 0 = no limit")
    p.add_argument("--seeds", type=int, default=5, help="runs per tuner, seeds 0..N-1 (+offset)")
    p.add_argument("--seed-offset", type=int, default=0)
    p.add_argument("--budget-rounds", type=int, default=DEFAULT_BUDGET,
                   help="compute budget per run: boosting rounds trained over all trials")
    p.add_argument("--max-rounds", type=int, default=DEFAULT_MAX_ROUNDS)
    p.add_argument("--early-stopping", type=int, default=DEFAULT_EARLY_STOPPING)
    p.add_argument("--threads", type=int, default=1, help="LightGBM threads per trial")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--from-json", type=Path, default=None, metavar="PATH",
                   help="print the table of an earlier --out file; run nothing")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.from_json is not None:
        meta, runs = read_runs(args.from_json)
        print(f"# {meta['command']}")
        print(format_table(summarize(runs, meta["size_limit"])))
        return 0
    names = [n.strip() for n in args.tuners.split(",")]
    unknown = [n for n in names if n not in TUNERS]
    if unknown:
        print(f"unknown tuner(s) {unknown}; known: {list(TUNERS)}", file=sys.stderr)
        return 2
    limit = args.size_limit or None
    seeds = list(range(args.seed_offset, args.seed_offset + args.seeds))
    data = load_adult(args.data_dir)
    task = LgbTask(data, threads=args.threads, max_rounds=args.max_rounds,
                   early_stopping_rounds=args.early_stopping)
    meta = {"command": " ".join(["python -m bench.constrained_bench",
                                 *(argv if argv is not None else sys.argv[1:])]),
            "tuners": names, "seeds": seeds, "size_limit": limit,
            "budget_rounds": args.budget_rounds, "max_rounds": args.max_rounds,
            "early_stopping": args.early_stopping, "threads": args.threads,
            "cpu_count": os.cpu_count(), "versions": _versions(), "engine": _engine_version(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    runs: list[RunResult] = []
    t0 = time.perf_counter()
    for seed in seeds:  # seed-major: a partial JSON has every tuner on the same seeds
        for name in names:
            run = run_constrained(name, task, budget_rounds=args.budget_rounds, seed=seed,
                                  limit=limit)
            runs.append(run)
            pick, free = feasible_pick(run), unconstrained_pick(run)
            print(f"  {name:<16} seed {seed}: {len(run.records):>3} trials, "
                  f"feasible pick test AUC {_fmt(pick.test_auc) if pick else 'n/a'} "
                  f"({pick.size_bytes if pick else 0:,} B), unconstrained pick "
                  f"{free.size_bytes if free else 0:,} B, {run.wall_s:.0f}s", flush=True)
            meta["elapsed_s"] = time.perf_counter() - t0
            write_json(args.out, meta, runs, limit)  # after every run: a crash keeps the rest
    print()
    print(format_table(summarize(runs, limit)))
    print(f"\nwrote {args.out} ({len(runs)} runs, {time.perf_counter() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
