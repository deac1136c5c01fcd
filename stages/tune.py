"""tune: scikit-optimize proposes configurations (LightGBM, or a torch MLP); trials run in parallel.

Only train and valid reach this stage: the holdout is not an input (see dvc.yaml), so no trial
can see it. Each trial is a nested MLflow run; every event is journalled for --resume. ASHA
prunes weak trials at rungs of boosting rounds / epochs; the study stops at the first budget
used up (trials, wall clock, compute) and says which.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

from stages._cli import run_main, stage_parser
from tuneloop.config import Params, TuneConfig
from tuneloop.errors import ConfigError, DataError
from tuneloop.families import LIGHTGBM, TORCH_MLP, FamilyObjective, family_of, needs_gpu
from tuneloop.features import Schema
from tuneloop.io import write_json
from tuneloop.metrics import to_maximise
from tuneloop.records import TuneResult, read_splits, threads_per_trial
from tuneloop.search import Journal, SearchSpace, load_outcomes, make_strategy, run_study
from tuneloop.search.executor import TrialExecutor
from tuneloop.search.pruner import KeyedPruner, make_pruner
from tuneloop.search.refine import RefinePolicy, RefiningStrategy


def make_study_pruner(cfg: TuneConfig) -> KeyedPruner:
    """ASHA per family: boosting rounds and epochs are different resources."""
    p = cfg.pruner
    return KeyedPruner({
        LIGHTGBM: make_pruner(p.kind, p.min_resource, p.reduction_factor, p.min_trials_per_rung,
                              cfg.max_boost_rounds),
        TORCH_MLP: make_pruner(p.kind, p.min_epochs, p.reduction_factor, p.min_trials_per_rung,
                               cfg.torch.max_epochs),
    }, family_of)


def warm_start_trials(cfg: TuneConfig, root: Path) -> list[Any]:
    """Finished trials of earlier studies; those that do not fit this space are skipped later."""
    trials = []
    for i, name in enumerate(cfg.warm_start):
        try:
            trials.extend(load_outcomes(root / name))
        except (FileNotFoundError, ValueError, TypeError, DataError) as exc:
            raise ConfigError(f"tune.warm_start.{i}: {root / name}: cannot read a trial "
                              f"journal ({type(exc).__name__})") from None
    return trials


def summary_line(result: TuneResult) -> str:
    share = result.overhead_seconds / result.compute_seconds if result.compute_seconds else 0.0
    reasons = "; ".join(f"{n}x {r}" for r, n in (result.failure_reasons or {}).items())
    return (f"tune: {result.n_trials} trials ({result.n_pruned} pruned, {result.n_refined} "
            f"refined, {result.n_failed} "
            f"failed{': ' + reasons[:300] if reasons else ''}); stopped by {result.stop_reason}; "
            f"best {result.metric} {result.best_value:.4f} ({result.family}, trial "
            f"{result.best_trial}{_refined_from(result)}); "
            f"compute {result.compute_seconds:.1f} core-s, tuner "
            f"overhead {result.overhead_seconds:.2f} s ({100 * share:.1f}% of compute), "
            f"propose p50/p95 {1000 * result.propose_p50_s:.0f}/"
            f"{1000 * result.propose_p95_s:.0f} ms")


def run(cfg: TuneConfig, schema: Schema, metric: str, train: pd.DataFrame,
        valid: pd.DataFrame, journal_path: Path, *,
        executor: TrialExecutor | None = None, tracking: tuple[str, str] | None = None,
        resume: bool = False, warm_start: list[Any] | None = None,
        run_tags: dict[str, str] | None = None) -> TuneResult:
    """Tune on train, score on valid. tracking = (experiment_id, parent_run_id) logs trials,
    each trial run tagged with run_tags (the lineage)."""
    threads = threads_per_trial(cfg.n_workers)
    objective = FamilyObjective(cfg, schema, metric, train, valid, threads)
    space = SearchSpace.from_config(cfg.search_space)
    strategy = make_strategy(cfg.strategy, space, cfg.seed, cfg.n_initial_points)
    if cfg.refine.param is not None:
        strategy = RefiningStrategy(strategy, space, RefinePolicy(
            **cfg.refine.model_dump(), min_finished=cfg.n_initial_points))
    on_trial = None
    if tracking is not None:
        from tuneloop.tracking import BackgroundTrialLog, TrialLog

        on_trial = BackgroundTrialLog(TrialLog(*tracking, extra_tags=run_tags))
    fan_out = None
    if cfg.dask_address and executor is not None and hasattr(executor, "with_dask"):
        executor = fan_out = executor.with_dask(cfg.dask_address)  # in a flow: prefect-dask
    elif cfg.dask_address and executor is None:
        from tuneloop.search.executor import DaskExecutor

        executor = fan_out = DaskExecutor(
            cfg.dask_address, needs_gpu)
    try:
        study = run_study(objective, strategy, Journal(journal_path), n_trials=cfg.n_trials,
                          n_workers=cfg.n_workers, seed=cfg.seed, executor=executor,
                          on_trial=on_trial, resume=resume, pruner=make_study_pruner(cfg),
                          max_retries=cfg.max_retries, time_limit_s=cfg.trial_time_limit_s,
                          wall_clock_s=cfg.budget.wall_clock_s,
                          compute_s=cfg.budget.compute_s, threads_per_trial=threads,
                          warm_start=warm_start or ())
    finally:
        if fan_out is not None:
            fan_out.close()
        if on_trial is not None:  # every trial logged before the parent run ends
            on_trial.close(raise_error=sys.exc_info()[0] is None)
    best = study.best
    return TuneResult(
        # The study maximises; the result speaks the metric's own terms (a loss stays positive).
        best_params=best.params,
        best_value=to_maximise(metric, float(best.value)),  # type: ignore[arg-type]
        best_trial=best.id, best_iteration=int(best.metrics["best_iteration"]),
        best_seed=best.seed, metric=metric, n_trials=len(study.trials),
        n_failed=len(study.failed), study_seed=cfg.seed,
        parent_run_id=tracking[1] if tracking else None, family=family_of(best.params),
        n_pruned=len(study.pruned), stop_reason=study.stop_reason,
        n_refined=sum(t.refines is not None and t.status == "ok" for t in study.trials),
        best_refines=best.refines,
        compute_seconds=study.compute_seconds, overhead_seconds=study.overhead_seconds,
        failure_reasons=study.failure_reasons(),
        propose_p50_s=_quantile(study.ask_seconds, 0.5),
        propose_p95_s=_quantile(study.ask_seconds, 0.95))


def _refined_from(result: TuneResult) -> str:
    return "" if result.best_refines is None else f", refining trial {result.best_refines}"


def _quantile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.quantile(values, q)) if values else 0.0


def run_tracked(params: Params, root: Path, train: pd.DataFrame, valid: pd.DataFrame, *,
                executor: TrialExecutor | None = None, resume: bool = False) -> TuneResult:
    """run() inside an MLflow parent run, with the study's settings and seed logged."""
    import mlflow

    from tuneloop.lineage import tag_run
    from tuneloop.tracking import flat_params, setup

    experiment_id = setup(params.mlflow, root)
    cfg, metric = params.tune, params.tuning_metric
    schema = Schema.fit(params.data, train)
    with mlflow.start_run(experiment_id=experiment_id, run_name="tune") as parent:
        lineage = tag_run(params, root)
        mlflow.log_params(flat_params({
            "study_seed": cfg.seed, "strategy": cfg.strategy, "n_trials": cfg.n_trials,
            "n_workers": cfg.n_workers, "max_boost_rounds": cfg.max_boost_rounds,
            "task": params.data.task, "metric": metric,
            "train_rows": len(train), "valid_rows": len(valid), "pruner": cfg.pruner.kind,
            "max_retries": cfg.max_retries, "warm_start": cfg.warm_start,
            "refine": cfg.refine.model_dump()}))
        result = run(cfg, schema, metric, train, valid, root / params.paths.journal,
                     executor=executor,
                     tracking=(experiment_id, parent.info.run_id), resume=resume,
                     warm_start=warm_start_trials(cfg, root), run_tags=lineage)
        mlflow.log_metrics({f"best_valid_{metric}": result.best_value,
                            "n_failed": result.n_failed, "n_pruned": result.n_pruned,
                            "n_refined": result.n_refined,
                            "compute_seconds": result.compute_seconds,
                            "overhead_seconds": result.overhead_seconds,
                            "propose_p50_s": result.propose_p50_s,
                            "propose_p95_s": result.propose_p95_s})
        mlflow.set_tag("tuneloop.stop_reason", result.stop_reason)
        mlflow.log_dict(result.to_dict(), "tune_result.json")
    return result


def execute(params: Params, root: Path, *, executor: TrialExecutor | None = None,
            resume: bool = False) -> TuneResult:
    data = read_splits(root / params.paths.splits_dir, ("train", "valid"))
    result = run_tracked(params, root, data["train"], data["valid"], executor=executor,
                         resume=resume)
    write_json(root / params.paths.tune_report, result.to_dict())
    print(summary_line(result))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = stage_parser(__doc__.splitlines()[0])
    parser.add_argument("--resume", action="store_true",
                        help="continue the study recorded in the journal instead of starting anew")
    return run_main(execute, parser, argv, resume="resume")


if __name__ == "__main__":
    raise SystemExit(main())
