"""The torch MLP family on CPU: tuned as a conditional branch of `family`, pruned on epochs,
refit and saved as a state_dict that loads with weights_only=True; and the same net on the
multiclass and regression tasks, each scored with its task's tuning metric."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stages import split as split_stage
from stages import tune
from tests.conftest import flights_schema
from tuneloop import families, torch_mlp
from tuneloop.config import DataConfig, Params, SplitConfig, TuneConfig
from tuneloop.features import Schema
from tuneloop.metrics import task_metrics
from tuneloop.search import AshaPruner, TrialContext, TrialSpec

SPACE = {
    "family": {"type": "categorical", "choices": ["lightgbm", "torch_mlp"]},
    "learning_rate": {"type": "real", "low": 0.05, "high": 0.3, "prior": "log-uniform",
                      "when": {"family": ["lightgbm"]}},
    "num_leaves": {"type": "integer", "low": 7, "high": 63, "when": {"family": ["lightgbm"]}},
    "hidden_units": {"type": "integer", "low": 8, "high": 32, "when": {"family": ["torch_mlp"]}},
    "lr": {"type": "real", "low": 1e-3, "high": 3e-2, "prior": "log-uniform",
           "when": {"family": ["torch_mlp"]}},
    "cat_encoding": {"type": "categorical", "choices": ["embedding", "onehot"],
                     "when": {"family": ["torch_mlp"]}},
}
# The flights rows as the other two tasks: which airport a flight leaves from, and how far it
# flies.
ORIGIN = DataConfig(target="origin", task="multiclass", time="time_hour", id="flight_id",
                    exclude=["late"])
DISTANCE = DataConfig(target="distance", task="regression", time="time_hour", id="flight_id",
                      exclude=["late"])


@pytest.fixture(scope="module")
def frames(ingested: Any) -> tuple[Any, Any]:
    splits = split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), ingested.dataset)
    return splits.train, splits.valid


def test_torch_family_tunes_on_cpu_next_to_lightgbm(
        small_params: Params, frames: tuple[Any, Any], tmp_path: Path) -> None:
    raw = small_params.tune.model_dump()
    raw.update(n_trials=6, n_initial_points=6, strategy="random", seed=5, search_space=SPACE,
               torch={"max_epochs": 6, "patience": 2, "batch_size": 256},
               pruner={"kind": "asha", "min_resource": 10, "min_epochs": 2,
                       "reduction_factor": 2, "min_trials_per_rung": 2})
    schema = flights_schema(small_params, frames[0])
    result = tune.run(TuneConfig.model_validate(raw), schema, "auc", *frames,
                      tmp_path / "j.jsonl")
    from tuneloop.search import Journal

    events = [e for e in Journal(tmp_path / "j.jsonl").events() if e["event"] == "finished"]
    torch_trials = [e for e in events if e["params"]["family"] == "torch_mlp"]
    assert torch_trials, "the seed should draw both families"
    for e in torch_trials:
        assert e["status"] in ("ok", "pruned"), e["error"]
        assert set(e["params"]) == {"family", "hidden_units", "lr", "cat_encoding"}
        assert e["metrics"]["epochs_trained"] >= 2
        if e["status"] == "ok":
            assert 0.5 < e["value"] <= 1.0
            assert e["value"] == e["metrics"]["valid_auc"]  # AUC is maximised as it is
            assert 1 <= e["metrics"]["best_iteration"] <= 6
    assert result.n_trials == 6 and result.metric == "auc"


@pytest.mark.parametrize("encoding", ["embedding", "onehot"])
def test_refit_saves_a_state_dict_that_reloads_with_weights_only(
        small_params: Params, frames: tuple[Any, Any], tmp_path: Path, encoding: str) -> None:
    train, valid = frames
    schema = flights_schema(small_params, train)
    params = {"family": "torch_mlp", "hidden_units": 16, "lr": 0.01, "cat_encoding": encoding}
    model = families.refit("torch_mlp", train, schema, params, iterations=2, seed=9,
                           num_threads=1)
    before = families.predict("torch_mlp", model, valid, schema)
    families.save("torch_mlp", model, tmp_path / "m", params, seed=9)
    assert torch_mlp.device() == "cpu" or torch_mlp.device() == "cuda"
    net, enc = torch_mlp.load(tmp_path / "m")
    assert enc.schema == schema  # the frozen schema travels in the JSON metadata
    after = torch_mlp.predict(net, enc, valid)
    np.testing.assert_allclose(before, after, rtol=1e-5, atol=1e-6)
    assert ((after > 0) & (after < 1)).all()
    # Same seed, same model: the trial's own generators make refits reproducible.
    again = families.refit("torch_mlp", train, schema, params, iterations=2, seed=9,
                           num_threads=1)
    np.testing.assert_allclose(families.predict("torch_mlp", again, valid, schema), before,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("spec", "metric"), [(ORIGIN, "logloss"), (ORIGIN, "accuracy"),
                                              (DISTANCE, "rmse"), (DISTANCE, "mae")])
def test_torch_trial_reports_the_tasks_tuning_metric(
        frames: tuple[Any, Any], spec: DataConfig, metric: str) -> None:
    train, valid = frames
    schema = Schema.fit(spec, train)
    objective = torch_mlp.TorchMlpObjective(train, valid, schema=schema, max_epochs=4,
                                            patience=2, batch_size=256, metric=metric,
                                            num_threads=1)
    spec_ = TrialSpec(0, {"family": "torch_mlp", "hidden_units": 16, "lr": 0.01}, seed=3)
    # A pruner that records rungs at epochs 1 and 2 but never prunes (no peers).
    ctx = TrialContext(spec_, AshaPruner(1, 2, min_trials_per_rung=99, max_resource=4))
    outcome = objective(spec_, ctx)
    score = outcome.metrics[f"valid_{metric}"]
    assert outcome.status == "ok" and np.isfinite(score)
    lower_is_better = metric in ("logloss", "rmse", "mae")
    assert outcome.value == (-score if lower_is_better else score)  # the study maximises
    assert 1 <= outcome.metrics["best_iteration"] <= outcome.metrics["epochs_trained"] <= 4
    # ASHA saw the best score so far at each rung, in the study's (maximised) terms.
    rungs = [value for _, value in ctx.intermediate]
    assert [step for step, _ in ctx.intermediate] == [1, 2]
    if metric in ("logloss", "rmse"):  # scored at the epoch of the best training loss, and
        assert rungs == sorted(rungs)     # these two only move with that loss
    assert all((v < 0) == lower_is_better for v in rungs)
    if outcome.metrics["best_iteration"] <= 2:
        assert rungs[-1] == pytest.approx(outcome.value)
    y = schema.labels(valid)
    if spec.task == "multiclass":
        if metric == "logloss":
            # The training loss is cross-entropy: the same number as the metric.
            assert score == pytest.approx(outcome.metrics["valid_loss"], rel=1e-4)
            assert score < np.log(3)  # better than a uniform guess over the three airports
        else:
            shares = np.bincount(y) / len(y)
            assert shares.max() < score <= 1  # better than always the commonest airport
    else:
        spread = float(np.std(y))
        assert score < spread  # better than predicting the mean distance
        if metric == "rmse":
            # The net trains on a standardised target; the metric is back in miles.
            enc = objective.encoder
            assert score == pytest.approx(
                np.sqrt(outcome.metrics["valid_loss"]) * enc.target_std, rel=1e-3)


@pytest.mark.parametrize("spec", [ORIGIN, DISTANCE], ids=["multiclass", "regression"])
def test_multiclass_and_regression_refits_round_trip(
        frames: tuple[Any, Any], tmp_path: Path, spec: DataConfig) -> None:
    train, valid = frames
    schema = Schema.fit(spec, train)
    params = {"family": "torch_mlp", "hidden_units": 16, "lr": 0.01, "cat_encoding": "onehot"}
    model = families.refit("torch_mlp", train, schema, params, iterations=3, seed=4,
                           num_threads=1)
    before = families.predict("torch_mlp", model, valid, schema)
    families.save("torch_mlp", model, tmp_path / "m", params, seed=4)
    net, enc = torch_mlp.load(tmp_path / "m")
    after = torch_mlp.predict(net, enc, valid)
    np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-4)
    y = schema.labels(valid)
    metrics = task_metrics(spec.task, y, after)
    if spec.task == "multiclass":
        assert after.shape == (len(valid), len(schema.classes)) == (len(valid), 3)
        np.testing.assert_allclose(after.sum(axis=1), 1.0, rtol=1e-6)
        assert metrics["accuracy"] > 0.5
    else:
        # The target's scale is saved with the model: a reload predicts miles again.
        assert (enc.target_mean, enc.target_std) == (model[1].target_mean, model[1].target_std)
        assert after.ndim == 1 and metrics["r2"] > 0.5
