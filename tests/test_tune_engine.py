"""The tune stage with real LightGBM on the small flights slice: ASHA on boosting rounds with
rungs in the journal and in MLflow, budgets, failure reasons, seeded reproducibility; and the
multiclass and regression tasks on the same rows, tuned on their own metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stages import split as split_stage
from stages import tune
from tests.conftest import REPO
from tuneloop import lgbm
from tuneloop.config import DataConfig, Params, SplitConfig, TuneConfig, load_params
from tuneloop.errors import StudyFailed
from tuneloop.features import Schema
from tuneloop.lgbm import LightGBMObjective
from tuneloop.metrics import task_metrics, to_maximise
from tuneloop.search import Journal, TrialContext, TrialSpec

# The flights rows as the other two tasks: which airport a flight leaves from, how far it flies.
ORIGIN = DataConfig(target="origin", task="multiclass", time="time_hour", id="flight_id",
                    exclude=["late"])
DISTANCE = DataConfig(target="distance", task="regression", time="time_hour", id="flight_id",
                      exclude=["late"])


@pytest.fixture(scope="module")
def frames(ingested: Any) -> tuple[Any, Any]:
    splits = split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), ingested.dataset)
    return splits.train, splits.valid


@pytest.fixture(scope="module")
def schema(frames: tuple[Any, Any]) -> Schema:
    """The flights project's schema (binary `late`), fitted on the training rows."""
    return Schema.fit(load_params(REPO / "params.yaml").data, frames[0])


def tune_cfg(small_params: Params, **changes: Any) -> TuneConfig:
    raw = small_params.tune.model_dump()
    raw.update(changes)
    return TuneConfig.model_validate(raw)


def test_asha_on_boosting_rounds_records_rungs_in_journal_and_mlflow(
        small_params: Params, frames: tuple[Any, Any], schema: Schema, tmp_path: Path) -> None:
    import mlflow

    from tuneloop.tracking import setup

    cfg = tune_cfg(small_params, n_trials=10, n_initial_points=10, strategy="random",
                   max_boost_rounds=80, early_stopping_rounds=40,
                   pruner={"kind": "asha", "min_resource": 5, "reduction_factor": 2,
                           "min_trials_per_rung": 2})
    experiment_id = setup(small_params.mlflow, tmp_path)
    with mlflow.start_run(experiment_id=experiment_id) as parent:
        result = tune.run(cfg, schema, "auc", *frames, tmp_path / "j.jsonl",
                          tracking=(experiment_id, parent.info.run_id))
    assert result.n_trials == 10 and result.n_pruned >= 1
    assert result.stop_reason == "max_trials"
    events = [e for e in Journal(tmp_path / "j.jsonl").events() if e["event"] == "finished"]
    pruned = [e for e in events if e["status"] == "pruned"]
    assert len(pruned) == result.n_pruned
    for e in pruned:
        step = 5 * 2 ** e["rung"]
        assert e["intermediate"][-1][0] == step
        assert e["metrics"]["rounds_trained"] == step  # it stopped on the rung's round
    runs = mlflow.search_runs([experiment_id], filter_string="tags.`tuneloop.state` = 'pruned'",
                              output_format="list")
    assert {r.data.tags["tuneloop.rung"] for r in runs} == {str(e["rung"]) for e in pruned}
    history = mlflow.MlflowClient().get_metric_history(runs[0].info.run_id, "rung_value")
    assert [m.step for m in history] == [s for s, _ in pruned_by_id(pruned, runs[0])]


def pruned_by_id(pruned: list[dict], run: Any) -> list[list[float]]:
    tid = int(run.data.tags["tuneloop.trial_id"])
    return next(e["intermediate"] for e in pruned if e["id"] == tid)


def test_compute_budget_stops_the_study_and_says_so(
        small_params: Params, frames: tuple[Any, Any], schema: Schema, tmp_path: Path) -> None:
    cfg = tune_cfg(small_params, n_trials=50, strategy="random", budget={"compute_s": 0.3})
    result = tune.run(cfg, schema, "auc", *frames, tmp_path / "j.jsonl")
    assert result.stop_reason == "compute"
    assert result.n_trials < 50 and result.compute_seconds >= 0.3


def test_bad_trials_are_reported_with_reasons(
        small_params: Params, frames: tuple[Any, Any], schema: Schema, tmp_path: Path) -> None:
    # feature_fraction > 1 is rejected by LightGBM itself: a real failure, not a simulated one.
    cfg = tune_cfg(small_params, n_trials=4, strategy="random", max_retries=1, search_space={
        "feature_fraction": {"type": "real", "low": 1.5, "high": 2.0},
        "learning_rate": {"type": "real", "low": 0.05, "high": 0.2}})
    with pytest.raises(StudyFailed, match=r"no trial completed; failures: LightGBMError: "):
        tune.run(cfg, schema, "auc", *frames, tmp_path / "j.jsonl")


def test_a_trial_rerun_with_its_seed_reproduces_its_score(
        frames: tuple[Any, Any], schema: Schema) -> None:
    objective = LightGBMObjective(*frames, schema=schema, max_rounds=60,
                                  early_stopping_rounds=10, metric="auc", num_threads=1)
    spec = TrialSpec(3, {"learning_rate": 0.1, "num_leaves": 31, "bagging_fraction": 0.7,
                         "feature_fraction": 0.7}, seed=1234)
    scores = {objective(spec, TrialContext(spec)).value for _ in range(3)}
    assert len(scores) == 1


def test_a_refinement_may_train_factor_times_the_round_cap(frames: tuple[Any, Any],
                                                          schema: Schema) -> None:
    objective = LightGBMObjective(*frames, schema=schema, max_rounds=20,
                                  early_stopping_rounds=1000, metric="auc", num_threads=1,
                                  refine_factor=3.0)
    params = {"learning_rate": 0.01, "num_leaves": 15}
    plain, refined = TrialSpec(1, params, seed=5), TrialSpec(2, params, seed=5, refines=1)
    assert objective(plain, TrialContext(plain)).metrics["rounds_trained"] == 20
    rounds = objective(refined, TrialContext(refined)).metrics["rounds_trained"]
    assert 20 < rounds <= 60  # past the cap, within factor x cap
    # Stopped by patience, a trial counts every round it trained, not just up to its best.
    hasty = LightGBMObjective(*frames, schema=schema, max_rounds=200, early_stopping_rounds=3,
                              metric="auc", num_threads=1)
    fast = TrialSpec(3, {"learning_rate": 0.3, "num_leaves": 63}, seed=5)
    metrics = hasty(fast, TrialContext(fast)).metrics
    assert metrics["rounds_trained"] == metrics["best_iteration"] + 3 < 200


@pytest.mark.parametrize("strength", [None, 6.0])
def test_rounds_are_chosen_by_the_tasks_loss_and_scored_by_the_tuning_metric(
        strength: float | None) -> None:
    """AUC is no guide to the number of rounds. Separable rows (strength None): AUC is 1.0 from
    round 1 and stopping on it kept round 1, probabilities near the base rate. A strong signal
    (y ~ Bernoulli(sigmoid(6x))): AUC flat from round 5 for 30 rounds, stopped at round 5 with
    log loss 0.54. Early stopping is on the log loss; the trial's score is its AUC there."""
    import pandas as pd

    rng = np.random.default_rng(0)

    def rows(n: int) -> pd.DataFrame:
        x, noise = rng.normal(size=n), rng.normal(size=n)
        y = (x > 0) if strength is None else rng.random(n) < 1 / (1 + np.exp(-strength * x))
        return pd.DataFrame({"x": x, "noise": noise, "y": y.astype(int)})

    schema = Schema(target="y", task="binary", classes=[0, 1], numeric=["x", "noise"],
                    categorical=[], datetime=[], levels={})
    train, valid = rows(3000), rows(800)
    objective = LightGBMObjective(train, valid, schema=schema, metric="auc", max_rounds=600,
                                  early_stopping_rounds=30, num_threads=1)
    spec = TrialSpec(0, {"learning_rate": 0.05, "num_leaves": 15}, seed=3)
    outcome = objective(spec, TrialContext(spec))
    rounds = int(outcome.metrics["best_iteration"])
    assert rounds > 50
    booster = lgbm.fit(train, schema, spec.params, rounds, seed=3, num_threads=1)
    proba = lgbm.predict(booster, valid, schema)
    from sklearn.metrics import log_loss, roc_auc_score

    assert outcome.metrics["valid_auc"] == pytest.approx(roc_auc_score(valid["y"], proba),
                                                         abs=0.002)
    if strength is None:
        assert outcome.metrics["valid_auc"] == 1.0
        positives = valid["y"].to_numpy() == 1
        assert proba[positives].min() > 0.9 and proba[~positives].max() < 0.1
    else:
        assert log_loss(valid["y"], proba) < 0.25


def test_warm_start_reads_earlier_journals_and_names_a_bad_one(
        small_params: Params, frames: tuple[Any, Any], schema: Schema, tmp_path: Path) -> None:
    from tuneloop.errors import ConfigError

    cfg = tune_cfg(small_params, n_trials=3, strategy="random")
    first = tune.run(cfg, schema, "auc", *frames, tmp_path / "old.jsonl")
    warm = tune.warm_start_trials(tune_cfg(small_params, warm_start=["old.jsonl"]), tmp_path)
    assert len(warm) == 3 and {t.value for t in warm} >= {first.best_value}
    second = tune.run(tune_cfg(small_params, n_trials=2, strategy="gp", n_initial_points=1),
                      schema, "auc", *frames, tmp_path / "new.jsonl", warm_start=warm)
    assert second.n_trials == 2
    assert "stopped by max_trials" in tune.summary_line(second)
    (tmp_path / "junk.jsonl").write_text("not json\n")
    for bad in ("missing.jsonl", "junk.jsonl"):
        with pytest.raises(ConfigError, match=rf"tune\.warm_start\.1: .*{bad}: cannot read a "
                                              r"trial journal"):
            tune.warm_start_trials(tune_cfg(small_params, warm_start=["old.jsonl", bad]),
                                   tmp_path)


def test_trial_log_runs_in_order_off_the_runner_thread_and_reraises_at_close() -> None:
    import threading

    from tuneloop.search import TrialOutcome
    from tuneloop.tracking import BackgroundTrialLog

    seen: list[tuple[int, str]] = []

    def log(outcome: TrialOutcome, finished_at: float) -> None:
        seen.append((outcome.id, threading.current_thread().name))
        if outcome.id == 3:
            raise RuntimeError("database is locked")

    background = BackgroundTrialLog(log)
    for i in range(5):
        background(TrialOutcome(i, {}, i, "ok", value=0.5))
    with pytest.raises(RuntimeError, match="database is locked"):
        background.close()
    assert [i for i, _ in seen] == [0, 1, 2, 3]  # in order; nothing logged after the error
    assert {name for _, name in seen} == {"trial-log"}


@pytest.mark.parametrize(("spec", "metric"), [(ORIGIN, "logloss"), (ORIGIN, "accuracy"),
                                              (DISTANCE, "rmse"), (DISTANCE, "mae")])
def test_lightgbm_trial_reports_the_tasks_tuning_metric(
        frames: tuple[Any, Any], spec: DataConfig, metric: str) -> None:
    """LightGBM early-stops on its own name for the metric (multi_logloss, multi_error, rmse,
    l1); the trial reports it in tuneloop's terms, the same number tuneloop.metrics gives for
    the booster at its best round."""
    train, valid = frames
    schema = Schema.fit(spec, train)
    objective = LightGBMObjective(train, valid, schema=schema, metric=metric, max_rounds=60,
                                  early_stopping_rounds=10, num_threads=1)
    params = {"learning_rate": 0.1, "num_leaves": 15}
    trial = TrialSpec(0, params, seed=3)
    outcome = objective(trial, TrialContext(trial))
    score = outcome.metrics[f"valid_{metric}"]
    assert outcome.status == "ok"
    assert outcome.value == to_maximise(metric, score)
    assert (outcome.value < 0) == (metric != "accuracy")  # losses enter the study negated
    best = int(outcome.metrics["best_iteration"])
    trained = outcome.metrics["rounds_trained"]
    assert 1 <= best <= trained <= 60
    if trained < 60:  # stopped early: patience rounds past the best, all of them counted
        assert trained == best + 10

    # Refit as evaluate refits it: with the objective the trial trained with (mae: l1).
    booster = lgbm.fit(train, schema, params, best, seed=3, num_threads=1, metric=metric)
    pred = lgbm.predict(booster, valid, schema)
    y = schema.labels(valid)
    assert task_metrics(spec.task, y, pred)[metric] == pytest.approx(score, rel=1e-9)
    if spec.task == "multiclass":
        assert pred.shape == (len(valid), 3)
        shares = np.bincount(y, minlength=3) / len(y)
        baseline = {"logloss": -float(np.sum(shares * np.log(shares))),
                    "accuracy": float(shares.max())}[metric]
        assert (score < baseline) if metric == "logloss" else (score > baseline)
    else:
        assert pred.ndim == 1
        spread = {"rmse": float(np.std(y)), "mae": float(np.mean(np.abs(y - np.median(y))))}
        assert score < 0.5 * spread[metric]  # far better than a constant guess


@pytest.mark.parametrize(("spec", "metric"), [(ORIGIN, "logloss"), (DISTANCE, "rmse")],
                         ids=["multiclass", "regression"])
def test_a_study_on_a_loss_keeps_the_smallest_and_reports_it_positive(
        small_params: Params, frames: tuple[Any, Any], tmp_path: Path, spec: DataConfig,
        metric: str) -> None:
    train, valid = frames
    cfg = tune_cfg(small_params, n_trials=4, n_initial_points=4, strategy="random", seed=3,
                   max_boost_rounds=40, pruner={"kind": "none"})
    result = tune.run(cfg, Schema.fit(spec, train), metric, train, valid,
                      tmp_path / "j.jsonl")
    assert result.metric == metric and result.n_trials == 4 and result.n_failed == 0
    finished = [e for e in Journal(tmp_path / "j.jsonl").events()
                if e["event"] == "finished" and e["status"] == "ok"]
    losses = [e["metrics"][f"valid_{metric}"] for e in finished]
    assert len(losses) == 4 and all(loss > 0 for loss in losses)
    # The study maximised -loss: the best trial has the smallest loss, reported as a loss.
    assert result.best_value == min(losses) > 0
    assert result.best_trial == min(finished, key=lambda e: e["metrics"][f"valid_{metric}"])["id"]
    assert f"best {metric} {result.best_value:.5g}" in tune.summary_line(result)
