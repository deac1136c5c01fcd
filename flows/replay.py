"""Replay the project's batches in time order under several retraining policies, side by side.

From a starting window (the first `start` batches, tuned cold once and shared), each later batch
is handled as the live loop would: the serving champion is scored on it before anything trains
on it (prequential), the batch's statistics are computed against the champion's training window
(tuneloop.monitor), the policy decides (tuneloop.policy), and on a retrain the candidates (the
champion's configuration refit on the new window, and a warm or cold re-tune) are trained by
the real stage functions, gated on the newest batch (tuneloop.gate) and the best passing one
becomes the champion. Nothing touches the project's registry, window or reports: the replay
works in memory and writes only its own report and plot. Fits are memoized across policies (a
retrain from the same champion on the same window is the same fit), and each policy is charged
the core-seconds its fits cost when first made. A refit's scored fit (its configuration on the
window before the newest batch) is the champion itself when the champion learnt exactly those
batches, so it is not fit again (`evaluate.run`'s `already_fit`): for every policy alike.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from prefect import flow, get_run_logger

from flows.naming import from_root
from stages import evaluate, split, tune
from tuneloop.batches import accepted_batches, in_time_order, stack_batches, training_window
from tuneloop.config import PARAMS_FILE, Params, load_params
from tuneloop.errors import ConfigError, DataError
from tuneloop.features import Schema
from tuneloop.gate import GateRules, order_figure
from tuneloop.gate import decide as gate_decide
from tuneloop.io import read_parquet, write_json
from tuneloop.lgbm import cores
from tuneloop.metrics import REGRESSION, higher_is_better, task_metrics
from tuneloop.monitor import Champion, Reference, statistics
from tuneloop.policy import (
    COLD,
    HELD_TRIGGER,
    REFIT,
    History,
    candidate_kinds,
    decide,
    kept_reference,
    labels_moved,
    parse_policy,
    performance_triggered,
)
from tuneloop.records import TuneResult
from tuneloop.replay_report import plot, strict, table, totals
from tuneloop.search.seeded import best_configs


@dataclass(frozen=True)
class Model:
    key: str                    # how it was made, e.g. "warm@6<cold@4"
    end: int                    # index of the newest batch it was trained on
    family: str
    params: dict[str, Any]
    rounds: int
    seed: int
    schema: Schema
    model: Any
    holdout_value: float        # the gate metric of the scored fit on its holdout
    journal: Path | None        # the study its configuration came from (warm seeds)
    order: float | None = None  # gate.order_figure of its holdout metrics (a refit's floor)
    error: float | None = None  # its holdout rmse (regression): a refit's usual error
    weighted: float | None = None  # its row-weighted holdout order (multiclass): a refit's floor
    reference: float | None = None  # where drops are measured from, if not holdout_value
    r2: float | None = None     # its holdout r2 (regression): monitor.Champion.holdout_r2

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        from tuneloop import families

        return families.predict(self.family, self.model, frame, self.schema)

    def gains(self) -> dict[str, float]:
        """LightGBM's gain per model column (empty for a family without one)."""
        if not hasattr(self.model, "feature_importance"):
            return {}
        return dict(zip(self.model.feature_name(),
                        map(float, self.model.feature_importance("gain")), strict=True))


@dataclass(frozen=True)
class Candidate:
    model: Model
    holdout_pred: np.ndarray
    cost: dict[str, float]
    compute_s: float


@dataclass
class Replay:
    params: Params
    names: list[str]
    frames: list[pd.DataFrame]
    workdir: Path
    fits: dict[tuple[str, int, str], Candidate] = field(default_factory=dict)

    @property
    def metric(self) -> str:
        return self.params.gate_metric

    def window(self, end: int) -> pd.DataFrame:
        """The training window ending at batch `end`, as the dataset stage builds it."""
        return stack_batches(training_window(self.params.data, self.frames[:end + 1]))

    def _batches(self, end: int) -> list[int]:
        return training_window(self.params.data, list(range(end + 1)))

    def _served_on(self, model: Model) -> list[int] | None:
        """The batches a candidate's serving fit learnt (None: not the whole window)."""
        cfg = self.params.evaluate
        return self._batches(model.end) if cfg.refit_on_valid and cfg.refit_on_holdout \
            else None

    def _scored_after(self, end: int) -> list[int] | None:
        """The batches a candidate's scored fit learns when the window ends at `end`."""
        if not self.params.evaluate.refit_on_valid:
            return None
        return self._batches(end)[:-self.params.split.holdout_batches]

    def champion_is_scored_fit(self, champion: Model, end: int) -> bool:
        """Whether the champion's serving fit learnt exactly the batches a refit of its
        configuration, on the window ending at `end`, is scored after."""
        served = self._served_on(champion)
        return served is not None and served == self._scored_after(end)

    def fit(self, kind: str, end: int, champion: Model | None) -> Candidate:
        """A candidate trained on the window ending at batch `end` (its holdout)."""
        memo = (kind, end, champion.key if champion else "")
        if memo not in self.fits:
            self.fits[memo] = self._fit(kind, end, champion)
        return self.fits[memo]

    def _fit(self, kind: str, end: int, champion: Model | None) -> Candidate:
        params, spec = self.params, self.params.data
        parts = split.run(params.split, self.window(end), f"window ending at {self.names[end]}")
        started = time.perf_counter()
        journal = None
        if kind == REFIT:
            assert champion is not None
            tuned = TuneResult(best_params=champion.params, best_value=math.nan, best_trial=-1,
                               best_iteration=champion.rounds, best_seed=champion.seed,
                               metric=params.tuning_metric, n_trials=0, n_failed=0,
                               study_seed=params.tune.seed, parent_run_id=None,
                               family=champion.family)
            journal = champion.journal
        else:
            journal = self.workdir / f"{kind}-{end}-{len(self.fits)}.jsonl"
            seeds = []
            if champion is not None and kind != COLD:
                # The champion's configuration, then the best of the study it came from: the
                # same seeds the live loop's warm re-tune plants (tune.run re-scores them).
                seeds = [champion.params]
                if champion.journal is not None and params.tune.warm_seeds:
                    seeds += best_configs(champion.journal, params.tune.warm_seeds,
                                          params.constraints.limits())
            schema = Schema.fit(spec, parts.train)
            # As the live loop tunes (measured and selected against the limits), without the
            # reproducibility re-run, which is not part of a retrain's cost here.
            tuned = tune.run(params.tune.model_copy(update={"reproducibility_reruns": 0}),
                             schema, params.tuning_metric, parts.train, parts.valid, journal,
                             mode=kind, seeds=seeds,
                             measure=tune.measurer(params, schema, parts.valid),
                             limits=params.constraints.limits())
        tune_s = time.perf_counter() - started
        started = time.perf_counter()
        already_fit = (champion.model, champion.schema) \
            if kind == REFIT and champion is not None and self.champion_is_scored_fit(
                champion, end) else None
        scored = evaluate.run(params.evaluate, spec, tuned, parts.train, parts.valid,
                              parts.holdout, params.constraints, already_fit)
        fit_s = time.perf_counter() - started
        # Trials report their own core-seconds; the refits use every core.
        compute = (tuned.compute_seconds if kind != REFIT else 0.0) + fit_s * cores()
        if kind == REFIT:
            compute += tune_s
        key = f"{kind}@{end}" + (f"<{champion.key}" if champion else "")
        meta = scored.meta  # the configuration evaluation kept (a runner-up when the first
        # broke a limit), not necessarily the tune stage's first choice
        model = Model(key=key, end=end, family=meta["family"], params=meta["params"],
                      rounds=max(1, int(meta["num_boost_round"])), seed=int(meta["seed"]),
                      schema=Schema.from_dict(meta["schema"]), model=scored.model,
                      holdout_value=scored.metrics[self.metric], journal=journal,
                      order=order_figure(params.data.task, scored.metrics),
                      error=scored.metrics.get("rmse") if params.data.task == REGRESSION
                      else None, weighted=meta.get("holdout_order_weighted"),
                      r2=scored.metrics.get("r2") if params.data.task == REGRESSION else None)
        return Candidate(model, np.asarray(scored.holdout_pred), scored.cost, compute)


def load_batches(params: Params, root: Path) -> tuple[list[str], list[pd.DataFrame]]:
    files = in_time_order(params.data, accepted_batches(root / params.data.batches))
    return [f.name for f in files], [read_parquet(f) for f in files]


def _champion_view(model: Model, metric: str) -> Champion:
    return Champion(version=model.key, predict=model.predict, metric=metric,
                    holdout_value=model.holdout_value, importance=model.gains(),
                    reference=model.reference, holdout_r2=model.r2)


def run_policy(replay: Replay, policy_name: str, start: int,
               initial: Model) -> list[dict[str, Any]]:
    params, metric = replay.params, replay.metric
    cfg = params.policy.model_copy(update={"name": policy_name})
    rules = GateRules.from_config(params.promote, metric, params.constraints)
    champion, since, rejected = initial, 0, 0
    held: str | None = None   # the batch before, its retrain held (policy.Decision.held)
    confirmed = False         # a held move confirmed since the last promotion
    reference: Reference | None = None
    spent: list[float] = []   # core-seconds per batch decided, for the compute cap's period
    rows = []
    for t in range(start, len(replay.frames)):
        batch = replay.frames[t]
        y = champion.schema.labels(batch, replay.names[t])
        row: dict[str, Any] = {
            "batch": replay.names[t], "index": t, "champion": champion.key,
            "metric": task_metrics(params.data.task, y, champion.predict(batch))[metric]}
        if t == len(replay.frames) - 1:
            rows.append(row)  # nothing after it could be served by a retrain decided here
            break
        since += 1
        calibration = 0.0
        if reference is None or reference.champion.version != champion.key:
            first = champion.end + 1 - (params.drift.reference_batches or champion.end + 1)
            reference = Reference(params.drift, champion.schema,
                                  replay.frames[max(0, first):champion.end + 1],
                                  _champion_view(champion, metric))
            calibration = reference.seconds
        due = t - params.drift.label_delay
        stats = statistics(reference, batch, replay.frames[due] if due > champion.end else None)
        history = History(since_retrain=since, champion_age=t - champion.end,
                          compute_in_period=sum(spent[-(cfg.period_batches - 1):])
                          if cfg.period_batches > 1 else 0.0,
                          rejected_in_row=rejected, held=held, confirmed=confirmed)
        evidence = replace(stats.evidence(), label_delay=params.drift.label_delay)
        decision = decide(cfg, evidence, history)
        held = replay.names[t] if decision.held else None
        # As decisions._confirmed: set by a release, lapsed by a batch whose labels held.
        confirmed = any(t_.startswith(HELD_TRIGGER) for t_ in decision.triggers) or (
            confirmed and labels_moved(evidence))
        compute, tried = stats.seconds + calibration, []
        if decision.retrain:
            since = 0
            holdout_y = y
            champion_pred = champion.predict(batch)
            best: Candidate | None = None
            for kind in candidate_kinds(decision.action):
                cand = replay.fit(kind, t, champion)
                compute += cand.compute_s
                # Its rounds too: a warm trial of the champion's params, early stopped
                # elsewhere, is a new model (sweep 52e: served after b4 at log loss 0.87
                # where the refit would have served 0.66).
                refit = cand.model.params == champion.params and \
                    cand.model.rounds == champion.rounds
                verdict = gate_decide(rules, holdout_y, cand.holdout_pred, champion_pred,
                                      cand.cost, params.promote.refit_tolerance if refit
                                      else None, champion.order,
                                      champion.error,
                                      champion.weighted if refit else None,
                                      constants=cand.model.schema.target_center or (),
                                      learns_holdout=params.evaluate.refit_on_holdout)
                tried.append({"kind": kind, "key": cand.model.key, "promote": verdict.promote,
                              "delta": verdict.delta, "reason": verdict.reason,
                              "compute_s": round(cand.compute_s, 1)})
                # Ties go to the later candidate: a re-tune that passed the stricter test.
                if verdict.promote and (best is None or not _better(
                        metric, best.model.holdout_value, cand.model.holdout_value)):
                    best = cand
            if best is None:
                rejected += 1
            else:
                before, rejected, champion, confirmed = champion, 0, best.model, False
                if performance_triggered(decision.triggers) and stats.realized is not None:
                    # As the live loop's ledger keeps it (Ledger.reference_of): the previous
                    # champion's own figure, one retrain deep.
                    champion = replace(champion, reference=kept_reference(
                        champion.holdout_value, [before.holdout_value],
                        higher_is_better(metric)))
        spent.append(compute)
        print(f"replay {policy_name}: {replay.names[t]}: {metric} {row['metric']:.4f}; "
              f"{decision.action}" + (f" -> {champion.key}" if decision.retrain and
                                     rejected == 0 else "") + f" ({compute:.0f} core-s)")
        row.update({"decision": decision.action, "held": decision.held,
                    "reason": decision.reason,
                    "candidates": tried, "promoted": champion.key if decision.retrain and
                    rejected == 0 else None, "compute_s": round(compute, 1),
                    "drift_importance": round(stats.drift_importance, 3),
                    "drifted_features": stats.drifted_features,
                    "label_alarm": bool(stats.label and stats.label.alarm),
                    "domain_auc": stats.domain_auc,
                    "realized_drop": stats.realized.drop if stats.realized else None})
        rows.append(row)
    return rows


def _better(metric: str, a: float, b: float) -> bool:
    return a > b if higher_is_better(metric) else a < b


def check_start(params: Params, start: int, accepted: int) -> None:
    needed = params.split.valid_batches + params.split.holdout_batches + 1
    if start < needed or start >= accepted:
        raise DataError(f"replay --start {start}: the project has {accepted} accepted "
                        f"batch(es); the starting window needs at least {needed} and a batch "
                        "after it")


def replay(params: Params, root: Path, policies: list[str], start: int,
           out: Path) -> dict[str, Any]:
    if not policies:
        raise ConfigError("replay: name at least one policy (never, every, every:K, auto)")
    for name in policies:
        parse_policy(name)
    names, frames = load_batches(params, root)
    check_start(params, start, len(frames))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tuneloop-replay-") as tmp:
        run = Replay(params, names, frames, Path(tmp))
        print(f"replay: a cold tune on the first {start} batches, shared by "
              f"{', '.join(policies)}")
        first = run.fit(COLD, start - 1, None)
        initial = first.model
        per_policy = {name: run_policy(run, name, start, initial) for name in policies}
    summary = totals(per_policy, run.metric)
    report = {"metric": run.metric, "start": start, "batches": names, "policies": policies,
              "initial": {"key": initial.key, "compute_core_s": round(first.compute_s, 1)},
              "totals": summary, "per_batch": per_policy,
              "wall_s": round(time.perf_counter() - started, 1)}
    write_json(out, strict(report))
    plot(per_policy, run.metric, out.with_suffix(".png"))
    report["table"] = table(per_policy, summary, run.metric)
    return report


@flow(name="tuneloop-replay", log_prints=True, flow_run_name=from_root)
def replay_flow(root: str = ".", params_file: str = PARAMS_FILE,
                policies: tuple[str, ...] = ("never", "every", "auto"), start: int = 4,
                out: str = "reports/replay.json") -> dict[str, Any]:
    """Replay the accepted batches under each policy; write the report and plot."""
    from tuneloop.config import inside_project

    project = Path(root).resolve()
    params = load_params(project / params_file)
    report = replay(params, project, list(policies), start, project / inside_project(out))
    get_run_logger().info("replay finished in %.0f s", report["wall_s"])
    return report

