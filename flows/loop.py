"""The continuous-tuning loop as a Prefect flow. Orchestration only: each step is a stage.

ingest -> validate -> version -> split -> tune -> evaluate -> promote -> drift check
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from flows.trials import PrefectTrialExecutor
from stages import (
    advance,
    drift,
    evaluate,
    ingest,
    plots,
    promote,
    split,
    tune,
    validate,
    version,
)
from tuneloop.config import PARAMS_FILE, load_params


def _stage(fn: Any, name: str) -> Any:
    return task(fn, name=name, cache_policy=NONE)


advance_task = _stage(advance.execute, "advance")
ingest_task = _stage(ingest.execute, "ingest")
validate_task = _stage(validate.execute, "validate")
version_task = _stage(version.execute, "version")
split_task = _stage(split.execute, "split")
tune_task = _stage(tune.execute, "tune")
evaluate_task = _stage(evaluate.execute, "evaluate")
promote_task = _stage(promote.execute, "promote")
drift_task = _stage(drift.execute, "drift")
plots_task = _stage(plots.execute, "plots")
record_task = _stage(version.commit_and_push, "record")


@flow(name="tuneloop", log_prints=True)
def tuneloop_flow(root: str = ".", params_file: str = PARAMS_FILE, resume: bool = False,
                  advance_to: int | None = None) -> dict[str, Any]:
    """Run the whole loop on the project at `root`; return a summary of what it decided.

    advance_to=MONTH (the re-tune after drift) first extends the training window to take in
    the month that drifted; a window that already holds it is left alone.
    """
    logger = get_run_logger()
    project = Path(root).resolve()
    params = load_params(project / params_file)
    if advance_to is not None:
        params = advance_task(params, project, params_file, advance_to)
        logger.info("training window now months %d..%d", params.ingest.first_month,
                    params.ingest.last_month)
    ingest_task(params, project)
    validate_task(params, project)
    dataset_version = version_task(params, project)
    logger.info("dataset version %s", dataset_version)
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
            "holdout": metrics, "promotion": decision.to_dict(), "drift": report.drift}
