"""promote: register the challenger; it becomes `champion` only if it passes the gate.

Both are scored on the same, current holdout: the champion is loaded from the registry and
re-scored, so a champion chosen on an older holdout is not compared on stale numbers. The gate
(tuneloop.gate) wants a margin, a paired bootstrap CI excluding zero, and the cost constraints;
the decision runs under a lock next to the store and is appended to the audit log.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stages._cli import run_main, stage_parser
from tuneloop import experiments
from tuneloop.config import Params, PromoteConfig
from tuneloop.errors import ConfigError
from tuneloop.families import META_FILE
from tuneloop.features import Schema
from tuneloop.io import read_json, write_json
from tuneloop.lineage import lineage_tags
from tuneloop.promotion import (
    CHALLENGER,
    CHAMPION,
    FAMILY_BETTER,
    MODEL_CODE_LOCK,
    ROUNDS_TAG,
    TRAINED_THROUGH,
    Decision,
    PromotionError,
    RegistryFiles,
    apply_gate,
    check_holdout_is_new,
    current_alias,
    gate_blocker,
    registry_files,
    score_version,
    training_window_now,
    with_retries,
    withdrawn_reader,
)
from tuneloop.records import read_report, read_splits
from tuneloop.tracking import log_inputs, name_run
from tuneloop.verdict import verdict_words

__all__ = ["CHALLENGER", "CHAMPION", "Decision", "register", "run", "execute"]
# tzdata: a schema's data.time_zones are looked up by zoneinfo, which a minimal serving image
# may have no system zone files for.
_REQUIREMENTS = ("mlflow", "lightgbm", "pandas", "numpy", "scikit-learn", "pyarrow", "tzdata")


def _requirements(family: str) -> list[str]:
    names = (*_REQUIREMENTS, "torch") if family == "torch_mlp" else _REQUIREMENTS
    return [f"{name}=={importlib.metadata.version(name)}" for name in names]


def hook_code_path(prepare: str | None, root: Path) -> list[str]:
    """The project's prepare hook travels with the model: its top-level package or module."""
    if not prepare:
        return []
    top = prepare.partition(":")[0].split(".")[0]
    for candidate in (root / top, root / f"{top}.py"):
        if candidate.exists():
            return [str(candidate)]
    raise ConfigError(f"data.prepare: {prepare!r}: no {top}/ or {top}.py in {root} to log with "
                      "the model (the hook must live in the project)")


def scored_predictions(model_dir: Path, rows: int) -> np.ndarray:
    path = model_dir / "holdout_predictions.parquet"
    try:
        values = pd.read_parquet(path).to_numpy(dtype="float64")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the holdout predictions the gate needs "
                          f"({type(exc).__name__}); re-run the evaluate stage") from None
    if len(values) != rows:
        raise ConfigError(f"{path}: {len(values)} predictions for {rows} holdout rows; "
                          "re-run the evaluate stage")
    return values[:, 0] if values.shape[1] == 1 else values


def _log_model(model_dir: Path, holdout: pd.DataFrame, name: str, meta: dict[str, Any],
               root: Path) -> Any:
    import mlflow

    import tuneloop
    from tuneloop import serving

    prepare = (meta.get("data") or {}).get("prepare")
    schema = Schema.from_dict(meta["schema"])
    example = None
    if not prepare:
        # Without a hook the served model's input is the prepared table's feature columns;
        # with one it is the raw batch, which this stage never sees, so no example is made up.
        example = holdout[schema.inputs].head(5).copy()
        for col in schema.datetime:
            # MLflow examples hold timezone-naive datetimes only: the example carries them in
            # UTC, which the schema reads them as.
            if getattr(example[col].dtype, "tz", None) is not None:
                example[col] = example[col].dt.tz_convert("UTC").dt.tz_localize(None)
    # signature=False: no input schema. MLflow would enforce the example's dtypes and refuse
    # raw rows tuneloop reads fine (dates as text from a CSV, an integer column with a missing
    # value); the served model checks its columns itself and names a missing one.
    # Explicit pip requirements: inferring them costs ~5 s per model here. The lock: log_model
    # runs the model's code file (see MODEL_CODE_LOCK).
    with MODEL_CODE_LOCK:
        return mlflow.pyfunc.log_model(
            name="model", python_model=serving.__file__,
            artifacts={serving.MODEL_DIR_ARTIFACT: str(model_dir)},
            code_paths=[str(Path(tuneloop.__file__).parent), *hook_code_path(prepare, root)],
            pip_requirements=_requirements(meta.get("family", "lightgbm")),
            signature=False, input_example=example, registered_model_name=name)


def slice_rows(tables: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-slice numbers as one table (a row per column value), logged as one MLflow table
    artifact: as flat metrics they were hundreds of charts in the run page."""
    return [{"column": column, "value": str(value), **metrics}
            for column, values in tables.get("slices", {}).items()
            for value, metrics in values.items()]


def register(cfg: PromoteConfig, model_dir: Path, report: dict[str, Any], holdout: pd.DataFrame,
             tags: dict[str, str], tables: dict[str, Any] | None = None,
             root: Path = Path("."), splits_dir: str | None = None) -> tuple[str, str]:
    """Log the candidate run (params, holdout metrics, cost, per-slice metrics, tables) and the
    served model; register it. Returns (version, run_id). Runs outside the registry lock:
    MLflow numbers versions itself, retrying on conflicts."""
    import mlflow

    meta = read_json(model_dir / META_FILE)
    client = mlflow.MlflowClient()
    attempts: list[str] = []  # candidate runs started so far (one per try)

    def _once() -> tuple[str, str]:
        if attempts:
            # A retry after "database is locked": if the last try got as far as registering its
            # model, that version is the result; else its half-logged run goes, so the
            # experiment shows one candidate run per registered version, not one per try.
            last = attempts[-1]
            done = client.search_model_versions(f"run_id = '{last}'")
            if done:
                client.set_terminated(last, "FINISHED")
                return str(done[0].version), last
            client.delete_run(last)
            attempts.pop()
        study = meta.get("study_run_id")
        # The candidate nests under the study that chose it (candidate -> study -> trials).
        with mlflow.start_run(tags={"mlflow.parentRunId": study} if study else None) as run_:
            attempts.append(run_.info.run_id)
            name_run(root, "candidate", tags)
            mlflow.log_params({k: str(v) for k, v in meta["params"].items()})
            mlflow.log_params({"num_boost_round": meta["num_boost_round"], "seed": meta["seed"]})
            # An undefined holdout figure (AUC of a one-class holdout) is null in the metrics
            # file and NaN in MLflow, which refuses None.
            weighted = meta.get("holdout_order_weighted")
            mlflow.log_metrics({
                **{f"holdout_{k}": math.nan if v is None else v
                   for k, v in report["holdout"].items()},
                # a multiclass refit's floor by rows (gate._newest_batch_check)
                **({"holdout_order_weighted": weighted} if weighted is not None else {}),
                **{f"model_{k}": v for k, v in report["model"].items()}})
            mlflow.set_tags({**tags, **({"tuneloop.study_run_id": study,
                                         "tuneloop.best_trial": str(meta.get("best_trial"))}
                                        if study else {})})
            if splits_dir is not None:  # the holdout as the run's input, hashed as DVC does
                log_inputs(root, splits_dir, {"holdout": (holdout, "evaluation")}, tags)
            if tables is not None:
                mlflow.log_dict(tables, "evaluation.json")
                if rows := slice_rows(tables):
                    mlflow.log_table(pd.DataFrame(rows), "slices.json")
            info = _log_model(model_dir, holdout, cfg.model_name, meta, root)
        return str(info.registered_model_version), run_.info.run_id

    return with_retries(_once)


def run(cfg: PromoteConfig, metric: str, model_dir: Path, report: dict[str, Any],
        holdout: pd.DataFrame, tags: dict[str, str], files: RegistryFiles,
        tables: dict[str, Any] | None = None, root: Path = Path("."),
        splits_dir: str | None = None, *, limits: Any,
        withdrawn_in: Callable[[str], list[str]] | None = None,
        window_note: Callable[[], str] | None = None) -> Decision:
    """Register the model, then decide under the registry lock on the holdout `metric`, the
    model held to `limits` (the ConstraintsConfig). MLflow must be set up by the caller
    (tuneloop.tracking.setup). `withdrawn_in`: promotion.apply_gate's (a champion trained
    with withdrawn batches is no bar); `window_note`: gate.decide's (window_departure)."""
    meta = read_json(model_dir / META_FILE)
    schema = Schema.from_dict(meta["schema"])
    y = schema.labels(holdout, "holdout")
    version, run_id = register(cfg, model_dir, report, holdout, tags, tables, root, splits_dir)
    if meta.get("refit_on_holdout"):
        # The registered model was refit on the holdout after being scored: the gate compares
        # the scored fit's predictions (saved beside it), never the refit's own view of rows it
        # has learnt.
        challenger_proba = scored_predictions(model_dir, len(holdout))
    else:
        challenger_proba = score_version(cfg.model_name, version, holdout)
    version_tags = {**tags, "run_id": run_id, "task": schema.task,
                    "params": json.dumps(meta["params"], sort_keys=True),
                    **rounds_tag(meta), **served_fit_tags(meta), **prediction_tag(schema)}
    return apply_gate(cfg, files, version, holdout, y, schema.task, metric, challenger_proba,
                      report["model"], limits=limits, tags=version_tags, run_id=run_id,
                      constants=schema.target_center or (),
                      learns_holdout=bool(meta.get("refit_on_holdout")),
                      withdrawn_in=withdrawn_in, window_note=window_note)


def window_departure(params: Params, root: Path, window: list[str], schema: Schema) -> str:
    """gate.departing_batch on the rows the scored binary fit learnt (the split's training
    part, its validation part where evaluate.refit_on_valid, as trained_through reads them),
    their batches named by file: the words a refusal of its probabilities gives to name the
    batch to check first. "" for other tasks, or where the split's batch numbers are not the
    window's places, its holdout not the files the split recorded (a batch accepted or
    withdrawn since the split: the review)."""
    from tuneloop.features import BATCH_COLUMN
    from tuneloop.gate import departing_batch
    from tuneloop.io import read_parquet
    from tuneloop.metrics import BINARY
    from tuneloop.records import read_holdout_batches, split_paths

    if schema.task != BINARY:
        return ""
    paths = split_paths(root / params.paths.splits_dir)
    parts = {part: read_parquet(paths[part], columns=[schema.target, BATCH_COLUMN])
             for part in ("train", "valid", "holdout")}
    numbers = sorted(set().union(*(frame[BATCH_COLUMN].unique().tolist()
                                   for frame in parts.values())))
    holdout = sorted(parts["holdout"][BATCH_COLUMN].unique().tolist())
    if numbers != list(range(len(window))) or read_holdout_batches(
            root / params.paths.splits_dir) != [window[n] for n in holdout]:
        return ""
    # The scored fit's rows: the gate compares it, also where the model served is then refit
    # on the holdout (evaluate.refit_on_holdout).
    learnt = ["train", *(["valid"] if params.evaluate.refit_on_valid else [])]
    frame = pd.concat([parts[part] for part in learnt], ignore_index=True)
    return departing_batch(schema.labels(frame, "training window"),
                           frame[BATCH_COLUMN].to_numpy(), window)


def family_better_tag(tables: dict[str, Any] | None) -> dict[str, str]:
    """{FAMILY_BETTER: words} where the evaluation found another family's best trial holding
    out better than the choice beyond the holdout's noise (reports/evaluation.json
    `other_families`), else {}. Kept on the version, so the next batch's policy re-tunes
    rather than refit a family the evidence is against (sweep 57b: a linear model chosen on a
    window where a column was blank in training kept by refits for good, each saying LightGBM
    held out at RMSE 0.95 against its 1.94). A refit's only: see below."""
    from tuneloop.metrics import higher_is_better
    from tuneloop.policy import REFIT

    # Only on a refit: a re-tune weighed the families on this window's validation batch
    # already, and re-tuning it again at every batch would cost a study each (the second
    # review); a refit's champion is re-tuned once, its re-tune untagged.
    better = [t for t in (tables or {}).get("other_families") or []
              if t.get("better") and t.get("chosen_mode") == REFIT]
    if not better:
        return {}
    # The family that held out best, not the first by name (the second review).
    t = (max if higher_is_better(better[0]["metric"]) else min)(
        better, key=lambda table: float(table["holdout"]))
    return {FAMILY_BETTER: f"the {t['family']} family's best trial held out at {t['metric']} "
                           f"{t['holdout']:.5g}, better than the choice's "
                           f"{t['chosen_holdout']:.5g}"}


def prediction_tag(schema: Schema) -> dict[str, str]:
    """What the served model's predict returns, as a version tag a caller can read from the
    registry (sweep 56c F9: the positive class was only in params.yaml and the model's JSON)."""
    from tuneloop.metrics import BINARY, MULTICLASS

    if schema.task == BINARY:
        return {"prediction": f"P({schema.target} = {schema.classes[1]!r}) per row",
                "positive_class": str(schema.classes[1])}
    if schema.task == MULTICLASS:
        columns = ", ".join(map(str, schema.classes))
        return {"prediction": f"a DataFrame of P({schema.target} = class) per row, its columns "
                              f"the classes: {columns[:400]}{' ...' if len(columns) > 400 else ''}"}
    return {"prediction": f"{schema.target} per row, in its own units"}


def rounds_tag(meta: dict[str, Any]) -> dict[str, str]:
    """The boosting rounds the model was fit with, as a version tag: with its params, the
    configuration a refit repeats (sweep 52e: a warm trial of the champion's params early
    stopped at 78 rounds against its 12 was gated as a refit and served worse)."""
    rounds = meta.get("num_boost_round")
    return {ROUNDS_TAG: str(int(rounds))} if rounds is not None else {}


def served_fit_tags(meta: dict[str, Any]) -> dict[str, str]:
    """What fit the registered version is, beside the fit its holdout figures are of (sweep
    51c F7: scored on the holdout, the champion gave AUC 0.754 where its run said 0.677, and
    nothing in MLflow said it was refit on those rows)."""
    scored = meta.get("scored_train_rows", meta.get("train_rows"))
    tags = {"served_train_rows": str(meta.get("train_rows")),
            "scored_train_rows": str(scored)}
    if meta.get("refit_on_holdout"):
        tags["refit_on_holdout"] = (
            "true: this model was refit on the holdout rows after its holdout figures were "
            f"measured on a fit of {scored} rows; scoring it on the holdout again flatters it")
    return tags


def trained_through(params: Params, window: list[str], meta: dict[str, Any]) -> str | None:
    """The newest batch file the saved model was fit on."""
    split = params.split
    held = split.holdout_batches
    if not meta.get("refit_on_holdout"):
        held += 0 if params.evaluate.refit_on_valid else split.valid_batches
    fit = window if meta.get("refit_on_holdout") else window[:-held]
    return fit[-1] if fit else None


def experiment_decision(params: Params, root: Path, window: list[str],
                        accepted: list[str]) -> tuple[Decision, Any]:
    """Under `dvc exp run`: nothing is registered, no alias moves, nothing goes to the audit
    log (README "DVC experiments"). The gate's verdict against the current champion is still
    computed, read-only, when it means something: not when the champion has learnt this
    holdout. Returns the decision (version "", never promoted) and the verdict (or None)."""
    from types import SimpleNamespace

    import mlflow

    from tuneloop.gate import GateRules, decide
    from tuneloop.metrics import task_metrics
    from tuneloop.promotion import refit_terms, score_version_with_own_code
    from tuneloop.serving import MODEL_DIR_ARTIFACT, TabularModel

    cfg, metric = params.promote, params.gate_metric
    model_dir = root / params.paths.model_dir
    meta = read_json(model_dir / META_FILE)
    schema = Schema.from_dict(meta["schema"])
    holdout = read_splits(root / params.paths.splits_dir, ("holdout",))["holdout"]
    y = schema.labels(holdout, "holdout")
    cost = read_report(root / params.paths.metrics)["model"]
    if meta.get("refit_on_holdout"):
        challenger = scored_predictions(model_dir, len(holdout))
    else:
        served = TabularModel()
        served.load_context(SimpleNamespace(artifacts={MODEL_DIR_ARTIFACT: str(model_dir)}))
        challenger = served.predict_prepared(holdout)
    client = mlflow.MlflowClient()
    champion = current_alias(client, cfg.model_name, CHAMPION)
    try:
        check_holdout_is_new(params, window, accepted)
    except PromotionError as exc:
        reason = str(exc).partition(" (`tuneloop promote --force`")[0]
        return Decision(model_name=cfg.model_name, version="", promoted=False,
                        reason=f"experiment: not registered; gate not run: {reason}",
                        metric=metric, challenger=task_metrics(schema.task, y, challenger),
                        champion_version=champion, action="experiment",
                        margin=cfg.min_improvement, cost=cost), None
    champion_proba = (score_version_with_own_code(cfg.model_name, champion, holdout)
                      if champion else None)
    through = trained_through(params, window, meta)
    tags = {"params": json.dumps(meta["params"], sort_keys=True), **rounds_tag(meta),
            **({TRAINED_THROUGH: through} if through else {})}
    verdict = decide(GateRules.from_config(cfg, metric, params.constraints), y, challenger,
                     champion_proba, cost, *refit_terms(client, cfg, champion, tags, schema.task),
                     constants=schema.target_center or (),
                     learns_holdout=bool(meta.get("refit_on_holdout")),
                     window_note=lambda: window_departure(params, root, window, schema))
    would = "would promote it" if verdict.promote else "would keep the champion"
    return Decision(
        model_name=cfg.model_name, version="", promoted=False,
        reason=f"experiment: not registered; the gate {would}: {verdict.reason}",
        metric=metric, challenger=task_metrics(schema.task, y, challenger),
        champion_version=champion,
        champion={} if champion_proba is None else task_metrics(schema.task, y, champion_proba),
        action="experiment", margin=cfg.min_improvement, delta=verdict.delta,
        ci=list(verdict.ci) if verdict.ci else None, confidence=verdict.confidence,
        cost=cost), verdict


def check_can_gate(params: Params, root: Path) -> None:
    """Before a forced study: refuse now, in one line, what promote would refuse after it
    (`tuneloop run --force` with no new batch), instead of spending the study first."""
    blocker = gate_blocker(params, root)
    if blocker is not None:
        # "a batch the champion has not learnt" misled after a late batch, which it had not
        # learnt either: the holdout is the newest batch in time, so only a later one helps.
        raise PromotionError(f"{blocker}; nothing was tuned (a forced re-tune needs a batch "
                             "later in time than what the champion learnt: the holdout is "
                             "the newest batch in time order)")


def execute(params: Params, root: Path) -> Decision:
    files = registry_files(params, root)
    window, accepted = training_window_now(params, root, files)
    experiment = experiments.current()
    if experiment is not None:  # `dvc exp run`: compare, never register
        decision, verdict = experiment_decision(params, root, window, accepted)
        write_json(root / params.paths.promotion, {
            **decision.to_dict(), "registered": False, "experiment": experiment.to_dict(),
            "gate": None if verdict is None else verdict.to_dict()})
        print(f"promote: {decision.reason}")
        return decision
    check_holdout_is_new(params, window, accepted)
    holdout = read_splits(root / params.paths.splits_dir, ("holdout",))["holdout"]
    evaluation = root / params.paths.evaluation
    tables = read_json(evaluation) if evaluation.is_file() else None
    report = read_report(root / params.paths.metrics)
    meta = read_json(root / params.paths.model_dir / META_FILE)
    tags = lineage_tags(params, root)
    through = trained_through(params, window, meta)
    if through is not None:
        tags = {**tags, TRAINED_THROUGH: through}
    tags = {**tags, **family_better_tag(tables)}
    decision = run(params.promote, params.gate_metric, root / params.paths.model_dir, report,
                   holdout, tags, files, tables, root, params.paths.splits_dir,
                   limits=params.constraints,
                   withdrawn_in=withdrawn_reader(params, root),
                   window_note=lambda: window_departure(params, root, window,
                                                        Schema.from_dict(meta["schema"])))
    write_json(root / params.paths.promotion, decision.to_dict())
    return decision


def _execute_and_say(params: Params, root: Path) -> Decision:
    """execute, and under `dvc repro` one line of the gate's verdict (the flow logs its own)."""
    decision = execute(params, root)
    if experiments.current() is None:  # an experiment's line is printed by execute
        print(f"promote: version {decision.version} "
              f"{verdict_words(decision.promoted)}: "
              f"{decision.reason}")
    return decision


def main(argv: list[str] | None = None) -> int:
    return run_main(_execute_and_say, stage_parser(__doc__.splitlines()[0]), argv,
                    registry=True)


if __name__ == "__main__":
    raise SystemExit(main())
