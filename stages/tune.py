"""tune: scikit-optimize proposes configurations (LightGBM, or a torch MLP); trials run in parallel.

Only train and valid reach this stage: the holdout is not an input (see dvc.yaml), so no trial
can see it. Each trial is a nested MLflow run; every event is journalled for --resume. ASHA
prunes weak trials at rungs of boosting rounds / epochs; the study stops at the first budget
used up (trials, wall clock, compute) and says which.

A warm re-tune (`--warm`) spends `tune.warm_share` of the budget: it first re-runs the caller's
seeds (e.g. the champion's configuration) and the previous study's best configurations on this
window, then searches on. Every finished study's journal is kept in `paths.studies_dir`.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from stages._cli import run_main, stage_parser
from tuneloop.config import CostConfig, Params, TuneConfig
from tuneloop.errors import ConfigError, DataError
from tuneloop.families import LIGHTGBM, TORCH_MLP, FamilyObjective, family_of, resources_for
from tuneloop.features import Schema
from tuneloop.io import write_json
from tuneloop.lgbm import cores
from tuneloop.metrics import AUC_METRICS, REGRESSION, to_maximise
from tuneloop.policy import REFIT
from tuneloop.records import TuneResult, frame_digest, read_splits, threads_per_trial
from tuneloop.search import (
    Journal,
    SearchSpace,
    SearchStrategy,
    load_outcomes,
    make_strategy,
    outcomes_of,
    run_study,
    study_header,
)
from tuneloop.search.budget import stop_words
from tuneloop.search.executor import TrialExecutor
from tuneloop.search.pruner import KeyedPruner, make_pruner
from tuneloop.search.refine import RefinePolicy, RefiningStrategy
from tuneloop.search.seeded import (
    SeededStrategy,
    best_configs,
    fitting_seeds,
    keep_study,
    latest_study,
    study_indicators_path,
)

MODES = ("cold", "warm")
FINGERPRINT = "fingerprint"  # the study header's record of what makes its trials comparable
# What a resumed study must share with the one it continues, and how a refusal names it.
COMPARABLE = {"tune.search_space": "another search space", "tune.strategy": "another strategy",
              "tune.seed": "another seed", "tune.metric": "another tuning metric",
              "families": "other model families", "data": "other train/valid data",
              "tune.training": "other training settings"}


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


def _share_of(value: float, share: float) -> int:
    # 24 x 0.34 is 8.16: nine trials. The epsilon keeps 0.5 x 8 at four, not five.
    return math.ceil(value * share - 1e-9)


def warm_config(cfg: TuneConfig, n_seeds: int) -> TuneConfig:
    """The settings of a warm re-tune: `warm_share` of the trials (at least one more than the
    seeds, so the search gets a turn), of the wall-clock, compute and cost budgets, and of the
    initial random points. The strategy counts pending and told points, seeds included, toward
    n_initial_points, so the surrogate takes over as soon as the seeds are out."""
    share = cfg.warm_share
    budget = cfg.budget.model_copy(update={
        key: None if getattr(cfg.budget, key) is None else getattr(cfg.budget, key) * share
        for key in ("wall_clock_s", "compute_s", "cost")})
    return cfg.model_copy(update={
        "n_trials": max(n_seeds + 1, _share_of(cfg.n_trials, share)),
        "n_initial_points": max(1, _share_of(cfg.n_initial_points, share)),
        "budget": budget})


def resumed_header(journal_path: Path, mode: str) -> dict[str, Any] | None:
    """The header of the study --resume continues; one started in the other mode is refused
    (its budget and seeds are not this mode's)."""
    header = study_header(journal_path)
    recorded = None if header is None else header.get("mode", "cold")
    if recorded is not None and recorded != mode:
        raise ConfigError(f"{journal_path}: the study to resume is a {recorded} one; resume it "
                          f"{'with' if recorded == 'warm' else 'without'} --warm")
    return header


def study_fingerprint(cfg: TuneConfig, metric: str, train: pd.DataFrame,
                      valid: pd.DataFrame) -> dict[str, Any]:
    """Everything that makes a study's trials comparable (COMPARABLE's keys), as the journal
    header holds it (plain JSON values)."""
    family = cfg.search_space.get("family")
    return json.loads(json.dumps({
        "tune.search_space": {k: d.model_dump(mode="json") for k, d in cfg.search_space.items()},
        "tune.strategy": cfg.strategy, "tune.seed": cfg.seed, "tune.metric": metric,
        "families": sorted(map(str, family.choices or [])) if family else [LIGHTGBM],
        # What a trial's value depends on besides its configuration.
        "tune.training": {"max_boost_rounds": cfg.max_boost_rounds,
                          "early_stopping_rounds": cfg.early_stopping_rounds,
                          "torch": cfg.torch.model_dump(mode="json")},
        "data": {"train": frame_digest(train), "valid": frame_digest(valid)}}))


def _differences(old: Any, new: Any, values: bool, path: str = "") -> list[str]:
    """Where two JSON values differ: dotted paths, each with its old and new value."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [d for key in sorted({*old, *new}, key=str)
                for d in _differences(old.get(key), new.get(key), values,
                                      f"{path}.{key}" if path else str(key))]
    if old == new:
        return []
    if old is None or new is None:
        return [f"{path} {'added' if old is None else 'removed'}"]
    return [f"{path} {old!r}, now {new!r}".strip() if values else path]


def check_comparable(journal_path: Path, header: dict[str, Any],
                     fingerprint: dict[str, Any]) -> None:
    """--resume continues only a study run with this fingerprint; a journal from before
    fingerprints resumes unchecked, with a warning."""
    recorded = header.get(FINGERPRINT)
    if not isinstance(recorded, dict):
        logging.getLogger(__name__).warning(
            "%s: the study's journal does not record its search space, strategy, seed, metric "
            "or data (written by an older tuneloop); resuming without checking them",
            journal_path)
        return
    differs = [k for k in COMPARABLE if k in recorded and recorded[k] != fingerprint.get(k)]
    if differs:
        what = " and ".join(COMPARABLE[k] for k in differs)
        detail = "; ".join(f"{k} differs: " + ", ".join(
            _differences(recorded[k], fingerprint.get(k), values=k != "data")) for k in differs)
        raise ConfigError(f"{journal_path}: the study was run with {what} ({detail}); run "
                          "without --resume to start a new study")


def plan_seeds(cfg: TuneConfig, space: SearchSpace, seeds: list[dict[str, Any]] | None,
               studies_dir: Path | None, limits: dict[str, float] | None = None,
               ) -> tuple[list[dict[str, Any]], int, Path | None]:
    """A warm study's seeds: the caller's, then the best `warm_seeds` configurations of the
    previous study (the newest journal kept in studies_dir), each once; those that do not fit
    this space are skipped and counted. Returns (seeds, skipped, the previous study)."""
    previous = latest_study(studies_dir) if studies_dir is not None else None
    # Only configurations that met the limits: a warm study's budget is too short to re-run
    # ones already known to break them.
    best = best_configs(previous, cfg.warm_seeds, limits) if previous and cfg.warm_seeds else []
    if previous and cfg.warm_seeds and "family" in space.names:
        # The best of each family too: seeded from one family only, a warm re-tune of a linear
        # champion tried LightGBM never again, whatever the new batch changed (sweep 24).
        chosen = [*(seeds or []), *best]
        for config in best_configs(previous, 100, limits):
            if all(family_of(config) != family_of(c) for c in chosen):
                best.append(config)
                chosen.append(config)
    planted, skipped = fitting_seeds(space, [*(seeds or []), *best])
    return planted, skipped, previous


def summary_line(result: TuneResult) -> str:
    share = result.overhead_seconds / result.compute_seconds if result.compute_seconds else 0.0
    reasons = "; ".join(f"{n}x {r}" for r, n in (result.failure_reasons or {}).items())
    mode = (f"warm, {result.n_seeds} seed{'' if result.n_seeds == 1 else 's'}"
            if result.mode == "warm" else result.mode)
    return (f"tune: {result.n_trials} trials ({mode}; {result.n_pruned} pruned, "
            f"{result.n_refined} refined, {result.n_failed} "
            f"failed{': ' + reasons[:300] if reasons else ''}); stopped by "
            f"{stop_words(result.stop_reason)}; "
            f"best {result.metric} {result.best_value:.5g} ({result.family}, trial "
            f"{result.best_trial}{_refined_from(result)}); "
            f"{_constrained(result)}"
            f"compute {result.compute_seconds:.1f} core-s, tuner "
            f"overhead {result.overhead_seconds:.2f} s ({100 * share:.1f}% of compute), "
            f"propose p50/p95 {1000 * result.propose_p50_s:.0f}/"
            f"{1000 * result.propose_p95_s:.0f} ms")


def dask_security(cfg: TuneConfig, root: Path) -> Any:
    """distributed.Security for a tls:// cluster (tune.dask_tls, paths from the project root):
    encryption required, this client's own certificate; None for a plain address."""
    if cfg.dask_tls is None:
        return None
    from distributed import Security

    tls = cfg.dask_tls
    files = {name: root / getattr(tls, name) for name in ("ca_file", "cert_file", "key_file")}
    missing = [f"tune.dask_tls.{k}: {v}" for k, v in files.items() if not v.is_file()]
    if missing:
        raise ConfigError(f"{missing[0]}: file not found")
    return Security(tls_ca_file=str(files["ca_file"]), tls_client_cert=str(files["cert_file"]),
                    tls_client_key=str(files["key_file"]), require_encryption=True)


# LightGBM's regression objectives that refuse some labels: objective -> (lowest allowed,
# whether the lowest itself is refused).
LABEL_FLOORS = {"poisson": (0.0, False), "tweedie": (0.0, False), "gamma": (0.0, True)}


def check_objective_labels(cfg: TuneConfig, schema: Schema, train: pd.DataFrame) -> None:
    """A search-space objective whose labels the training target breaks is refused before
    the study: LightGBM fails every such trial ("[poisson]: at least one target label is
    negative"), and a study of failed trials says nothing."""
    dim = cfg.search_space.get("objective")
    if dim is None or schema.task != REGRESSION or schema.target not in train.columns:
        return
    target = pd.to_numeric(train[schema.target], errors="coerce")
    if not target.notna().any():
        return
    lowest = float(target.min())
    for choice in dim.choices or []:
        floor = LABEL_FLOORS.get(str(choice))
        if floor is not None and (lowest < floor[0] or (floor[1] and lowest <= floor[0])):
            raise ConfigError(f"tune.search_space.objective: {choice!r} needs a target "
                              f"{'above' if floor[1] else 'of at least'} {floor[0]:g}, but "
                              f"{schema.target!r} holds {lowest:g} in the training rows; "
                              "drop it from the choices")


def run(cfg: TuneConfig, schema: Schema, metric: str, train: pd.DataFrame,
        valid: pd.DataFrame, journal_path: Path, *,
        executor: TrialExecutor | None = None, tracking: tuple[str, str] | None = None,
        resume: bool = False, warm_start: list[Any] | None = None,
        run_tags: dict[str, str] | None = None, mode: str = "cold",
        seeds: list[dict[str, Any]] | None = None,
        studies_dir: Path | None = None, root: Path | None = None,
        prices: CostConfig | None = None, measure: Any = None,
        limits: dict[str, float] | None = None) -> TuneResult:
    """Tune on train, score on valid. tracking = (experiment_id, parent_run_id) logs trials,
    each trial run tagged with run_tags (the lineage). mode "warm" re-runs `seeds` and the
    previous study's best (kept in studies_dir) first, at `warm_share` of the budget. A study
    that finishes is kept in studies_dir (when given) for the next warm re-tune.
    `measure` (tuneloop.constraints.Measurer) measures each trained trial; `limits` (measure ->
    limit) steer the search and decide which trials may be selected."""
    if mode not in MODES:
        raise ConfigError(f"tune mode {mode!r}: one of {', '.join(MODES)}")
    if mode == "warm" and warm_start:
        # Old values were scored on another window: a warm study re-scores its seeds instead.
        raise ConfigError("tune.warm_start: a warm re-tune never learns earlier studies' "
                          "values; its seeds are re-run on this window")
    check_objective_labels(cfg, schema, train)
    threads = threads_per_trial(cfg.n_workers)
    if not cfg.dask_address and cfg.n_workers > cores():
        # Accepted (trials of a family that waits on a GPU may want it), but said: sweep 29
        # set 64 on a 2-core machine and heard nothing while every trial ran 32x slower.
        print(f"tune: note: tune.n_workers {cfg.n_workers} is more than the {cores()} "
              f"core(s) here: that many trials run at once on one thread each, so each takes "
              f"longer and the study ends no sooner; {cores()} suits this machine",
              file=sys.stderr)
    if schema.task != REGRESSION and metric in AUC_METRICS and len(valid) \
            and schema.target in valid.columns and valid[schema.target].nunique() < 2:
        # Every trial scores alike on one class: the study's choice would be arbitrary.
        print(f"tune: warning: the validation rows hold one class of {schema.target!r}: "
              f"validation {metric} cannot tell trials apart, so the choice among them is "
              "arbitrary until a batch with every class validates (or set tune.metric to "
              "logloss)", file=sys.stderr)
    space = SearchSpace.from_config(cfg.search_space)
    planted: list[dict[str, Any]] = []
    fingerprint = study_fingerprint(cfg, metric, train, valid)
    header = resumed_header(journal_path, mode) if resume else None
    if header is not None:  # before anything is appended: a refused journal stays as it was
        check_comparable(journal_path, header, fingerprint)
    # Names the study's trial runs in MLflow, so a resumed study finds the ones it lacks.
    study_id = header.get("study_id") if header is not None else uuid.uuid4().hex
    study_info: dict[str, Any] = {"mode": mode, FINGERPRINT: fingerprint, "study_id": study_id}
    if mode == "warm":
        if header is not None:  # the seeds it started with, whatever was kept since
            planted, skipped = fitting_seeds(space, header.get("seeds", []))
        else:
            planted, skipped, previous = plan_seeds(cfg, space, seeds, studies_dir, limits)
            study_info.update(seeds=planted, seeded_from=previous.name if previous else None)
        if skipped:
            print(f"tune: {skipped} seed configuration(s) do not fit tune.search_space; "
                  "skipped", file=sys.stderr)
        cfg = warm_config(cfg, len(planted))
    elif header is not None:  # the baseline and linear grid it started with
        planted, _ = fitting_seeds(space, header.get("seeds", []))
    else:
        from tuneloop.search.baseline import default_configuration, linear_grid

        planted = [*([default_configuration(space)] if cfg.baseline else []),
                   *linear_grid(space)]
        if planted:
            study_info.update(seeds=planted)
        if cfg.baseline:
            study_info.update(baseline=planted[0])
    limits = dict(limits or {})
    objective = FamilyObjective(cfg, schema, metric, train, valid, threads,
                                measure=measure or None)
    strategy: SearchStrategy = make_strategy(cfg.strategy, space, cfg.seed, cfg.n_initial_points,
                                             limits=limits, objectives=cfg.objectives)
    if cfg.refine.param is not None:
        strategy = RefiningStrategy(strategy, space, RefinePolicy(
            **cfg.refine.model_dump(), min_finished=cfg.n_initial_points),
            # A warm study's seeds were refined (or had their turn) in the study that found
            # them; a cold study's baseline never had one.
            settled=planted if mode == "warm" else ())
    if mode == "cold" and any(c.get("family") == "linear" for c in planted):
        from tuneloop.search.baseline import LINEAR_GRID
        from tuneloop.search.quota import FamilyQuota

        # The grid and as many trials again while it leads; the rest go to the other families.
        strategy = FamilyQuota(strategy, space, "linear", 2 * LINEAR_GRID, seed=cfg.seed,
                               free=LINEAR_GRID)
    if planted:
        # Outermost: seeds come before refinements, and a seed that completes is an ordinary
        # exploration trial the refiner may pick.
        strategy = SeededStrategy(strategy, planted)
    on_trial = None
    if tracking is not None:
        from tuneloop.tracking import STUDY_TAG, BackgroundTrialLog, TrialLog, unlogged_trials

        trial_log = TrialLog(*tracking, extra_tags={**(run_tags or {}),
                                                   **({STUDY_TAG: study_id} if study_id else {})},
                             metric=metric)
        if header is not None and study_id:
            # A killed study's last trials may be journalled but not yet logged: log them now,
            # under this run, with the times they finished.
            for outcome, finished_at in unlogged_trials(tracking[0], study_id,
                                                         list(Journal(journal_path).events())):
                trial_log(outcome, finished_at)
        on_trial = BackgroundTrialLog(trial_log)
    lines = TrialLines(metric, on_trial)
    fan_out = None
    security = dask_security(cfg, root or Path("."))
    if cfg.dask_address and executor is not None and hasattr(executor, "with_dask"):
        # In a flow: prefect-dask.
        executor = fan_out = executor.with_dask(cfg.dask_address, resources_for(cfg), security)
    elif cfg.dask_address and executor is None:
        from tuneloop.search.executor import DaskExecutor

        executor = fan_out = DaskExecutor(cfg.dask_address, resources_for(cfg),
                                          security=security)
    try:
        study = run_study(objective, strategy, Journal(journal_path), n_trials=cfg.n_trials,
                          n_workers=cfg.n_workers, seed=cfg.seed, executor=executor,
                          on_trial=lines, resume=resume, pruner=make_study_pruner(cfg),
                          max_retries=cfg.max_retries, time_limit_s=cfg.trial_time_limit_s,
                          wall_clock_s=cfg.budget.wall_clock_s,
                          compute_s=cfg.budget.compute_s, cost_cap=cfg.budget.cost,
                          flat_trials=cfg.budget.flat_trials,
                          flat_tolerance=cfg.budget.flat_tolerance,
                          cost_of=trial_cost(prices or CostConfig()),
                          threads_per_trial=threads,
                          warm_start=warm_start or (), study_info=study_info,
                          describe=lambda v: f"{metric} {to_maximise(metric, v):.5g}",
                          # Compute only grows: a trial past the limit stops there.
                          core_s_limit=limits.get("train_core_s"))
    finally:
        if fan_out is not None:
            fan_out.close()
        if on_trial is not None:  # every trial logged before the parent run ends
            on_trial.close(raise_error=sys.exc_info()[0] is None)
    _ = study.best  # raises StudyFailed when no trial completed: such a study is not kept
    from tuneloop import selection

    ranked, n_infeasible = selection.feasible_ranking(study.completed, limits)
    best = ranked[0]
    if cfg.reproducibility_reruns:
        reproduce(objective, best, Journal(journal_path), cfg.reproducibility_reruns, metric,
                  threads=threads, time_limit_s=cfg.trial_time_limit_s,
                  cost_of=trial_cost(prices or CostConfig()))
    from tuneloop import experiments

    # An experiment's study is not the project's: the next warm re-tune must not seed from it.
    if studies_dir is not None and experiments.current() is None:
        keep_study(journal_path, studies_dir)
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
        propose_p95_s=_quantile(study.ask_seconds, 0.95), mode=mode,
        n_seeds=len(planted) if mode == "warm" else 0,  # a cold study's baseline is no seed
        n_infeasible=n_infeasible, measures=selection.measured(best),
        constraint_cost=float(study.best.value) - float(best.value),  # type: ignore[arg-type]
        best_unconstrained_trial=study.best.id,
        best_unconstrained_broke=_broke(study.best, limits),
        candidates=[selection.candidate(t, metric)
                    for t in ranked[1:1 + selection.CANDIDATES]])


def reproduce(objective: Any, best: Any, journal: Journal, times: int, metric: str,
              **how: Any) -> None:
    """The selected trial again with its seed (tuneloop.search.reproduce), and one line on it."""
    from tuneloop.search.reproduce import rerun_best

    events = rerun_best(objective, best, journal, times, **how)
    values = [e["value"] for e in events if e["status"] == "ok" and e["value"] is not None]
    if len(values) < len(events):
        print(f"tune: trial {best.id} re-run with its seed did not complete "
              f"({next(e['error'] for e in events if e['status'] != 'ok')})", file=sys.stderr)
        return
    spread = max([*values, best.value]) - min([*values, best.value])
    print(f"tune: trial {best.id} re-run {len(values)}x with its seed: {metric} "
          + ", ".join(f"{to_maximise(metric, v):.6g}" for v in values)
          + f" (selected {to_maximise(metric, best.value):.6g}; spread {spread:.3g})")


def _broke(trial: Any, limits: dict[str, float]) -> str:
    """The limits a trial broke, in words ("" when it met them)."""
    from tuneloop.constraints import violations
    from tuneloop.search.runner import measures_of

    return "; ".join(violations(measures_of(trial), limits)) if limits else ""


def _constrained(result: TuneResult) -> str:
    if not result.n_infeasible:
        return ""
    broke = f" ({result.best_unconstrained_broke})" if result.best_unconstrained_broke else ""
    return (f"{result.n_infeasible} completed trial(s) broke a limit; the limits cost "
            f"{result.constraint_cost:.5f} {result.metric} against the best trial "
            f"{result.best_unconstrained_trial}{broke}; ")


def _refined_from(result: TuneResult) -> str:
    return "" if result.best_refines is None else f", refining trial {result.best_refines}"


def _quantile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.quantile(values, q)) if values else 0.0


def trial_cost(prices: CostConfig) -> Callable[[Any], float]:
    """A trial's cost: its seconds on the cores it held, and on a GPU if it had one."""
    return lambda o: prices.of(o.seconds, o.threads, o.metrics.get("gpus", 0.0))


class TrialLines:
    """One line per finished trial, as Optuna and Ray Tune users read a running study: number,
    state, score in the metric's own terms, best so far, the trial's own duration. Then hands
    the trial on (to MLflow)."""

    def __init__(self, metric: str, then: Callable[[Any], None] | None = None) -> None:
        self.metric, self.then, self.best = metric, then, None

    def __call__(self, outcome: Any) -> None:
        if outcome.status == "ok" and outcome.value is not None and (
                self.best is None or outcome.value > self.best):
            self.best = outcome.value
        state = outcome.status
        if outcome.status == "pruned":
            state = f"pruned at rung {outcome.rung}" if outcome.rung is not None \
                else f"pruned ({outcome.error})"
        elif outcome.status == "failed":
            last = (outcome.error or "").strip().splitlines()
            state = f"failed ({last[-1][:120] if last else 'no message'})"
        value = "-" if outcome.value is None else f"{to_maximise(self.metric, outcome.value):.5g}"
        best = "-" if self.best is None else f"{to_maximise(self.metric, self.best):.5g}"
        print(f"trial {outcome.id}: {state}, {self.metric} {value}, best {best}, "
              f"{outcome.seconds:.2f} s", flush=True)
        if self.then is not None:
            self.then(outcome)


def run_tracked(params: Params, root: Path, train: pd.DataFrame, valid: pd.DataFrame, *,
                executor: TrialExecutor | None = None, resume: bool = False,
                mode: str = "cold", seeds: list[dict[str, Any]] | None = None) -> TuneResult:
    """run() inside an MLflow parent run, with the study's settings, seed and mode logged."""
    import mlflow

    from tuneloop.lineage import tag_run
    from tuneloop.tracking import flat_params, log_inputs, name_run, setup

    experiment_id = setup(params.mlflow, root)
    cfg, metric = params.tune, params.tuning_metric
    schema = Schema.fit(params.data, train)
    with mlflow.start_run(experiment_id=experiment_id) as parent:
        lineage = tag_run(params, root)
        name_run(root, "study", lineage, mode)
        log_inputs(root, params.paths.splits_dir,
                   {"train": (train, "training"), "valid": (valid, "validation")}, lineage)
        mlflow.log_params(flat_params({
            "study_seed": cfg.seed, "strategy": cfg.strategy, "n_trials": cfg.n_trials,
            "n_workers": cfg.n_workers, "max_boost_rounds": cfg.max_boost_rounds,
            "task": params.data.task, "metric": metric,
            "train_rows": len(train), "valid_rows": len(valid), "pruner": cfg.pruner.kind,
            "max_retries": cfg.max_retries, "warm_start": cfg.warm_start,
            "refine": cfg.refine.model_dump(), "mode": mode,
            **({"warm_share": cfg.warm_share} if mode == "warm" else {})}))
        mlflow.log_dict({k: d.model_dump(mode="json", exclude_none=True)
                         for k, d in cfg.search_space.items()}, "search_space.json")
        result = run(cfg, schema, metric, train, valid, root / params.paths.journal,
                     executor=executor,
                     tracking=(experiment_id, parent.info.run_id), resume=resume,
                     # A warm study re-scores its seeds; earlier values never reach it.
                     warm_start=warm_start_trials(cfg, root) if mode == "cold" else None,
                     run_tags=lineage, mode=mode, seeds=seeds,
                     studies_dir=root / params.paths.studies_dir, root=root,
                     prices=params.cost, measure=measurer(params, schema, valid),
                     limits=params.constraints.limits())
        # Known once the seeds were planned (those outside the space are skipped).
        mlflow.log_params({"n_seeds": result.n_seeds, "trial_budget": result_budget(cfg, result)})
        mlflow.log_metrics({f"best_valid_{metric}": result.best_value,
                            "n_failed": result.n_failed, "n_pruned": result.n_pruned,
                            "n_refined": result.n_refined,
                            "n_infeasible": result.n_infeasible,
                            "constraint_cost": result.constraint_cost,
                            "compute_core_s": result.compute_seconds,  # as sli.*
                            "overhead_seconds": result.overhead_seconds,
                            "propose_p50_s": result.propose_p50_s,
                            "propose_p95_s": result.propose_p95_s})
        log_best(result)
        events = list(Journal(root / params.paths.journal).events())  # read once, used twice
        slis = record_slis(params, root, result, events)
        record_pareto(params, root, result, events)
        mlflow.log_metrics({f"sli.{k}": float(v) for k, v in slis.items()
                            if isinstance(v, int | float) and not isinstance(v, bool)})
        mlflow.set_tag("tuneloop.stop_reason", result.stop_reason)
        mlflow.set_tag("tuneloop.tune_mode", mode)
        mlflow.log_dict(result.to_dict(), "tune_result.json")
        log_study_plots(outcomes_of(events), metric)
    return result


def measurer(params: Params, schema: Schema, valid: pd.DataFrame) -> Any:
    """What every trial measures: the limits of `constraints:` and the extra objectives."""
    from tuneloop.constraints import Measurer

    return Measurer(params.constraints, schema, params.tuning_metric, valid,
                    params.evaluate.latency_repeats, params.evaluate.min_slice_rows,
                    wanted=params.tune.objectives)


def record_slis(params: Params, root: Path, result: TuneResult,
                events: list[dict[str, Any]]) -> dict[str, Any]:
    """The study's indicators (tuneloop.sli) from its journal: written to paths.sli (which
    `dvc metrics show` reads) and beside the kept journal (`NNNN.sli.json`), so every study's
    figures stay after the next one overwrites the latest."""
    from tuneloop.sli import study_slis

    slis = {**study_slis(events, params.tune.n_workers, params.tuning_metric,
                         params.cost.currency, params.constraints.limits()),
            "stop_reason": result.stop_reason, "mode": result.mode}
    kept = latest_study(root / params.paths.studies_dir)
    if kept is not None and kept.read_bytes() == (root / params.paths.journal).read_bytes():
        write_json(study_indicators_path(kept), slis)
    write_json(root / params.paths.sli, slis)
    return slis


def record_pareto(params: Params, root: Path, result: TuneResult,
                  events: list[dict[str, Any]]) -> dict[str, Any]:
    """The study's Pareto front (tuneloop.search.pareto) to paths.pareto, and with extra
    objectives to the study run: the JSON, the front's trials as a tag, a plot."""
    import mlflow

    from tuneloop.search.pareto import study_front

    objectives = params.tune.objectives
    front = study_front(events, params.tuning_metric, objectives,
                        params.constraints.limits(), result.best_trial)
    write_json(root / params.paths.pareto, front)
    if objectives:
        from tuneloop import study_plots

        mlflow.log_dict(front, "pareto.json")
        mlflow.set_tag("tuneloop.pareto_trials", ",".join(str(p["trial"])
                                                          for p in front["front"])[:5000])
        figure = study_plots.pareto_figure(front)
        figure.tight_layout()
        mlflow.log_figure(figure, "plots/pareto.png")
        study_plots.pyplot().close(figure)
        print(f"tune: Pareto front of {params.tuning_metric} and {', '.join(objectives)}: "
              f"{len(front['front'])} of {front['trials']} trials; selected trial "
              f"{result.best_trial}, the best meeting every limit")
    return front


def log_best(result: TuneResult) -> None:
    """The selected trial on the study run: its number and params (as `best.NAME` params, so
    the runs table can show them as columns) and a JSON of the whole choice."""
    import mlflow

    from tuneloop.tracking import flat_params

    mlflow.set_tag("tuneloop.best_trial", str(result.best_trial))
    mlflow.log_params({f"best.{k}": v for k, v in flat_params(result.best_params).items()})
    mlflow.log_dict({"trial": result.best_trial, "value": result.best_value,
                     "metric": result.metric, "params": result.best_params,
                     "seed": result.best_seed, "best_iteration": result.best_iteration,
                     "family": result.family}, "best_trial.json")


def log_study_plots(outcomes: list[Any], metric: str) -> None:
    import mlflow

    from tuneloop import study_plots

    for name, figure in (
            ("tuning_history", study_plots.history_figure(study_plots.tuning_rows(outcomes, metric),
                                                          metric)),
            ("parameters", study_plots.parameters_figure(outcomes, metric))):
        figure.tight_layout()
        mlflow.log_figure(figure, f"plots/{name}.png")
        study_plots.pyplot().close(figure)


def result_budget(cfg: TuneConfig, result: TuneResult) -> int:
    """The study's trial budget: n_trials, or a warm re-tune's share of it."""
    return warm_config(cfg, result.n_seeds).n_trials if result.mode == "warm" else cfg.n_trials


def refit_result(params: Params, champion: dict[str, Any]) -> TuneResult:
    """No trials: the champion's own configuration, for the evaluate stage to refit on the new
    window (champion: tuneloop.champion.Loaded.configuration())."""
    return TuneResult(best_params=champion["params"], best_value=math.nan, best_trial=-1,
                      best_iteration=int(champion["num_boost_round"]),
                      best_seed=int(champion["seed"]), metric=params.tuning_metric,
                      n_trials=0, n_failed=0, study_seed=params.tune.seed, parent_run_id=None,
                      family=champion.get("family", LIGHTGBM), mode=REFIT)


def execute(params: Params, root: Path, *, executor: TrialExecutor | None = None,
            resume: bool = False, mode: str = "cold",
            seeds: list[dict[str, Any]] | None = None,
            champion: dict[str, Any] | None = None) -> TuneResult:
    """mode cold | warm (a study), or refit (the champion's configuration, no trials)."""
    if mode == REFIT:
        if champion is None:
            raise ConfigError("tune mode 'refit' needs the champion's configuration")
        result = refit_result(params, champion)
        write_json(root / params.paths.tune_report, result.to_dict())
        # The latest indicators are this step's: no study ran. Left as they were, `dvc exp
        # show` put the previous study's trials and compute beside the refit's holdout figures
        # (sweep 10); each study's own stay beside its kept journal.
        write_json(root / params.paths.sli, {
            "mode": REFIT, "trials": 0, "compute_core_s": 0.0, "best_valid": None,
            "stop_reason": "no study: the champion's configuration refit on the new window"})
        print(f"tune: no trials; refit of the champion's configuration "
              f"({result.best_iteration} rounds)")
        return result
    data = read_splits(root / params.paths.splits_dir, ("train", "valid"))
    result = run_tracked(params, root, data["train"], data["valid"], executor=executor,
                         resume=resume, mode=mode, seeds=seeds)
    write_json(root / params.paths.tune_report, result.to_dict())
    print(summary_line(result))
    backwards = below_chance(result)
    if backwards:
        print(backwards)
    return result


def below_chance(result: TuneResult) -> str:
    """A warning when even the study's best trial orders the validation labels worse than
    chance: the labels' doing, not the models' (sweep 33: "best auc 0.14822" said nothing, the
    validation batch flipped)."""
    if result.metric not in AUC_METRICS or not result.best_value < 0.5:
        return ""
    return (f"tune: warning: every trial orders the validation rows' labels worse than chance "
            f"(best {result.metric} {result.best_value:.5g}; 0.5 is chance): the validation "
            "batch's labels may be flipped (a broken export), or the target carries no signal "
            "there: check it (`tuneloop data list`; `tuneloop data withdraw BATCH --reason "
            "...`)")


def execute_unless_ungated(params: Params, root: Path, **options: Any) -> TuneResult:
    """execute, as `dvc repro` runs it: refused first, in one line, when promote would refuse
    whatever it tuned (a champion that has learnt the holdout: `tune.seed` changed, no new
    batch), instead of tuning and evaluating for nothing. The flow checks this itself."""
    from tuneloop.promotion import PromotionError, gate_blocker

    blocker = gate_blocker(params, root)
    if blocker is not None:
        raise PromotionError(f"{blocker}; nothing was tuned (`dvc exp run` tries settings "
                             "without registering a model)")
    return execute(params, root, **options)


def main(argv: list[str] | None = None) -> int:
    parser = stage_parser(__doc__.splitlines()[0])
    parser.add_argument("--resume", action="store_true",
                        help="continue the study recorded in the journal instead of starting anew")
    parser.add_argument("--warm", dest="mode", action="store_const", const="warm",
                        default="cold",
                        help="a warm re-tune: tune.warm_share of the budget, re-running the "
                             "previous study's best configurations first")
    return run_main(execute_unless_ungated, parser, argv, registry=True, resume="resume",
                    mode="mode")


if __name__ == "__main__":
    raise SystemExit(main())
