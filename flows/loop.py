"""The continuous-tuning loop as a Prefect flow. Orchestration only: each step is a stage.

ingest (new batch files) -> dataset (training window) -> version -> split -> tune -> evaluate
-> promote -> drift check -> plots
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from flows.trials import PrefectTrialExecutor
from stages import dataset, drift, evaluate, ingest, plots, promote, split, tune, version
from tuneloop.config import PARAMS_FILE, load_params
from tuneloop.project_lock import project_lock


def _stage(fn: Any, name: str) -> Any:
    return task(fn, name=name, cache_policy=NONE)


ingest_task = _stage(ingest.execute, "ingest")
dataset_task = _stage(dataset.execute, "dataset")
version_task = _stage(version.execute, "version")
split_task = _stage(split.execute, "split")
tune_task = _stage(tune.execute, "tune")
evaluate_task = _stage(evaluate.execute, "evaluate")
promote_task = _stage(promote.execute, "promote")
drift_task = _stage(drift.execute, "drift")
plots_task = _stage(plots.execute, "plots")
record_task = _stage(version.commit_and_push, "record")


@flow(name="tuneloop", log_prints=True)
def tuneloop_flow(root: str = ".", params_file: str = PARAMS_FILE,
                  resume: bool = False) -> dict[str, Any]:
    """Run the whole loop on the project at `root`; return a summary of what it decided.

    New batch files in the incoming folder are ingested first; a rejected one stops the run
    before anything is trained or promoted.
    """
    project = Path(root).resolve()
    params = load_params(project / params_file)
    # One loop per project: a second run (a drift event delivered twice, the cron plus a
    # manual run) waits loop.lock_wait_s, then is refused naming the holder.
    with project_lock(project, "tuneloop run (flow)", params.loop.lock_wait_s):
        return _loop(params, project, resume)


def _loop(params: Any, project: Path, resume: bool) -> dict[str, Any]:
    logger = get_run_logger()
    arrived = ingest_task(params, project)
    logger.info("%d batch(es) accepted, %d already decided", len(arrived.accepted),
                len(arrived.skipped))
    rows = dataset_task(params, project)
    dataset_version = version_task(params, project)
    logger.info("dataset version %s (%d rows)", dataset_version, rows)
    split_task(params, project)
    tuned = tune_task(params, project, executor=PrefectTrialExecutor(), resume=resume)
    metrics = evaluate_task(params, project)
    decision = promote_task(params, project)
    report = drift_task(params, project)
    plots_task(params, project)
    record_task(project, version.MODEL_STAGES, push=True)
    logger.info("version %s %s: %s", decision.version,
                "promoted to champion" if decision.promoted else "kept as challenger",
                decision.reason)
    return {"dataset_version": dataset_version, "best_params": tuned.best_params,
            "task": params.data.task, "holdout": metrics, "promotion": decision.to_dict(),
            "drift": report.drift}
