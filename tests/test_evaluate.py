"""The evaluate stage on a small slice of the real data: holdout metrics, calibration, slices,
latency and size; the metrics file holds numbers only and `dvc metrics show` reads it. The
same flights rows also make a multiclass task (which airport a flight leaves from) and a
regression task (its distance), each scored with its own task's metrics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from stages import evaluate as evaluate_stage
from stages import split as split_stage
from tests.conftest import REPO, make_project
from tuneloop.config import DataConfig, EvaluateConfig, SplitConfig, load_params
from tuneloop.errors import ConfigError, DataError
from tuneloop.families import LIGHTGBM
from tuneloop.features import Schema
from tuneloop.io import read_json, write_json
from tuneloop.metrics import BINARY, TASK_METRICS, slice_metrics, task_metrics
from tuneloop.records import Splits, TuneResult, read_report

TUNED = {"best_params": {"learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 20},
         "best_value": 0.7, "best_trial": 0, "best_iteration": 30, "best_seed": 1,
         "metric": "auc", "n_trials": 1, "n_failed": 0, "study_seed": 1, "parent_run_id": None}
# The flights rows as other tasks: the target is a column of the prepared table.
ORIGIN = DataConfig(target="origin", task="multiclass", time="time_hour", id="flight_id",
                    exclude=["late"])
DISTANCE = DataConfig(target="distance", task="regression", time="time_hour", id="flight_id",
                      exclude=["late"])


def flights_spec() -> DataConfig:
    return load_params(REPO / "params.yaml").data


@pytest.fixture(scope="module")
def splits(ingested: Any) -> Splits:
    return split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), ingested.dataset)


@pytest.fixture(scope="module")
def evaluation(splits: Splits) -> tuple[evaluate_stage.Evaluation, Splits]:
    cfg = EvaluateConfig(slices=("carrier", "origin"), min_slice_rows=30, latency_repeats=2)
    return evaluate_stage.run(cfg, flights_spec(), TuneResult(**TUNED), splits.train,
                              splits.valid, splits.holdout), splits


def _leaves(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in _leaves(value)]
    return [node]


def test_holdout_report(evaluation: tuple[Any, Any], tmp_path: Path) -> None:
    ev, splits = evaluation
    n = len(splits.holdout)
    assert set(ev.metrics) == {"auc", "logloss", "accuracy", "f1", "brier"}
    assert 0.5 < ev.metrics["auc"] < 1 and 0 < ev.metrics["brier"] < 0.5
    assert ev.cost["latency_ms_per_1k"] > 0 and ev.cost["size_bytes"] > 1000
    assert ev.meta["holdout_rows"] == n
    assert ev.meta["train_rows"] == len(splits.train) + len(splits.valid)
    # The served model needs the frozen schema and the dataset spec (with its prepare hook).
    assert ev.meta["data"]["prepare"] == "hooks.flights:prepare"
    assert Schema.from_dict(ev.meta["schema"]).classes == [0, 1]

    assert sum(row["rows"] for row in ev.calibration) == n
    for row in ev.calibration:
        assert row["lower"] <= row["mean_predicted"] <= row["upper"]
        assert 0 <= row["observed_rate"] <= 1
    carriers = ev.tables["slices"]["carrier"]
    assert set(carriers) == set(splits.holdout["carrier"].astype(str))
    assert sum(v["rows"] for v in carriers.values()) == n
    assert sum(v["rows"] for v in ev.tables["slices"]["origin"].values()) == n
    scored = [v for v in carriers.values() if v["rows"] >= 30]
    unscored = [v for v in carriers.values() if v["rows"] < 30]
    assert scored and all("auc" in v and "f1" in v for v in scored)
    assert all("auc" not in v for v in unscored)
    assert all(0 <= v["target_mean"] <= 1 for v in carriers.values())  # the late rate

    metrics, tables, calib = tmp_path / "m.json", tmp_path / "e.json", tmp_path / "c.json"
    evaluate_stage.write(ev, tmp_path / "model", metrics, tables, calib)
    report = read_json(metrics)
    assert all(isinstance(x, int | float) for x in _leaves(report))  # dvc metrics: numbers only
    assert report["holdout"] == ev.metrics and report["model"] == ev.cost
    assert report["rows"] == {"train": ev.meta["scored_train_rows"], "holdout": n,
                              "served_model": ev.meta["train_rows"]}
    assert read_json(tables)["slices"]["origin"] == ev.tables["slices"]["origin"]
    assert read_json(tables)["calibration"] == ev.calibration
    assert read_json(calib) == ev.calibration
    # Refit on the holdout once scored, the model travels with the scored fit's predictions.
    gate_evidence = {"holdout_predictions.parquet"} if ev.meta["refit_on_holdout"] else set()
    assert {p.name for p in (tmp_path / "model").iterdir()} == \
        {"model.txt", "model.json", *gate_evidence}
    assert read_report(metrics)["holdout"] == ev.metrics


def test_dvc_metrics_and_plots_read_the_report(evaluation: tuple[Any, Any], tmp_path: Path) -> None:
    ev, _ = evaluation
    project = make_project(tmp_path / "project", months=())
    evaluate_stage.write(ev, project / "models" / "challenger", project / "reports" /
                         "metrics.json", project / "reports" / "evaluation.json",
                         project / "reports" / "calibration.json")
    out = subprocess.run([sys.executable, "-m", "dvc", "metrics", "show", "--json"],
                         cwd=project, check=True, capture_output=True, text=True).stdout
    shown = json.loads(out)
    data = next(iter(shown.values()))["data"]["reports/metrics.json"]["data"]
    assert data["holdout"]["auc"] == pytest.approx(ev.metrics["auc"])
    assert data["model"]["size_bytes"] == ev.cost["size_bytes"]

    # The calibration table is a DVC plot (other stages' plots are absent here: not our concern).
    out = subprocess.run([sys.executable, "-m", "dvc", "plots", "show", "--json"],
                         cwd=project, capture_output=True, text=True).stdout
    plot = json.loads(out)["data"]["reports/calibration.json"][0]["content"]
    assert plot["data"]["values"][0]["mean_predicted"] == ev.calibration[0]["mean_predicted"]
    assert plot["encoding"]["x"]["field"] == "mean_predicted"


def test_unknown_slice_column_is_named(evaluation: tuple[Any, Any]) -> None:
    _, splits = evaluation
    with pytest.raises(ConfigError, match=r"^evaluate.slices: holdout has no column 'gate'$"):
        evaluate_stage.run(EvaluateConfig(slices=("carrier", "gate")), flights_spec(),
                           TuneResult(**TUNED), splits.train, splits.valid, splits.holdout)


def test_report_without_cost_section_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    write_json(path, {"holdout": {"auc": 0.7}})
    with pytest.raises(DataError, match=r"metrics.json: no 'model' section \(re-run the "
                                        r"evaluate stage\)"):
        read_report(path)
    path.write_text("[1, 2]")
    with pytest.raises(DataError, match=r"metrics.json: no 'holdout' section"):
        read_report(path)


@pytest.mark.parametrize(("spec", "metric", "slice_col"), [(ORIGIN, "logloss", "carrier"),
                                                           (DISTANCE, "rmse", "origin")],
                         ids=["multiclass", "regression"])
def test_multiclass_and_regression_are_scored_with_their_tasks_metrics(
        splits: Splits, tmp_path: Path, spec: DataConfig, metric: str, slice_col: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    import lightgbm as lgb

    tuned = TuneResult(**{**TUNED, "metric": metric, "best_iteration": 40})
    cfg = EvaluateConfig(slices=(slice_col,), min_slice_rows=30, latency_repeats=1)
    ev = evaluate_stage.run(cfg, spec, tuned, splits.train, splits.valid, splits.holdout)
    # Its refits say what runs and how long it took (a large table's took minutes unsaid).
    said = capsys.readouterr().out
    rows = len(splits.train) + len(splits.valid)
    assert f"evaluate: fitting trial {tuned.best_trial}'s configuration (lightgbm, 40 rounds) " \
        f"on {rows:,} rows, to score on the holdout\nevaluate: fitted in " in said, said
    task = spec.task
    assert set(ev.metrics) == set(TASK_METRICS[task])
    # Predicted against observed per bin, in the task's own terms (metrics.calibration_table).
    assert sum(row["rows"] for row in ev.calibration) == len(splits.holdout)
    observed = "observed_mean" if spec.task == "regression" else "observed_rate"
    assert all({"mean_predicted", observed} <= set(row) for row in ev.calibration)
    assert all(np.isfinite(v) for v in ev.metrics.values())
    holdout = splits.holdout
    if task == "multiclass":
        assert Schema.from_dict(ev.meta["schema"]).classes == ["EWR", "JFK", "LGA"]
        # Far better than the class shares alone (the weather is joined by origin).
        assert ev.metrics["logloss"] < 0.5 and ev.metrics["accuracy"] > 0.8
        assert 0.8 < ev.metrics["auc_ovr"] <= 1 and 0.8 < ev.metrics["f1_macro"] <= 1
    else:
        spread = float(holdout["distance"].std())
        assert ev.metrics["rmse"] < 0.6 * spread  # far better than predicting the mean
        assert ev.metrics["mae"] <= ev.metrics["rmse"] and 0.5 < ev.metrics["r2"] <= 1

    per_value = ev.tables["slices"][slice_col]
    assert sum(v["rows"] for v in per_value.values()) == len(holdout)
    scored = [v for v in per_value.values() if v["rows"] >= 30]
    assert scored and all(set(TASK_METRICS[task]) <= set(v) for v in scored)
    # A class label has no mean; a regression slice reports its mean target.
    assert all(("target_mean" in v) == (task == "regression") for v in per_value.values())

    # The saved model reproduces the reported numbers on the holdout.
    metrics_path = tmp_path / "metrics.json"
    evaluate_stage.write(ev, tmp_path / "model", metrics_path, tmp_path / "evaluation.json",
                         tmp_path / "calibration.json")
    assert read_json(tmp_path / "calibration.json") == ev.calibration
    assert all(isinstance(x, int | float) for x in _leaves(read_json(metrics_path)))
    booster = lgb.Booster(model_file=str(tmp_path / "model" / "model.txt"))
    schema = Schema.from_dict(read_json(tmp_path / "model" / "model.json")["schema"])
    pred = booster.predict(schema.make_features(holdout))
    assert pred.shape == ((len(holdout), 3) if task == "multiclass" else (len(holdout),))
    again = task_metrics(task, schema.labels(holdout), pred)
    assert again == pytest.approx(ev.metrics)


def test_a_refit_is_logged_as_the_champions_configuration(
        evaluation: tuple[Any, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """A refit has no study (best_trial -1): its log names the champion's configuration, not a
    "trial -1" a user would look for in vain."""
    splits = evaluation[1]
    capsys.readouterr()
    evaluate_stage.run(EvaluateConfig(latency_repeats=1), flights_spec(),
                       TuneResult(**{**TUNED, "best_trial": -1}), splits.train, splits.valid,
                       splits.holdout)
    said = capsys.readouterr().out
    assert "evaluate: fitting the champion's configuration (lightgbm, 30 rounds) on " in said
    assert "trial -1" not in said


@pytest.mark.parametrize("change", ["number sent as text", "a duration column"])
def test_the_served_fit_keeps_the_scored_schema_where_the_holdout_would_change_a_kind(
        evaluation: tuple[Any, Any], change: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The served fit learns the holdout's new category levels, nothing else: a numeric column
    sent as text in the holdout stays numeric, and a column no schema can take (a duration)
    leaves the scored schema as it was instead of failing after the scored fit."""
    import pandas as pd

    splits = evaluation[1]
    cfg = EvaluateConfig(refit_on_holdout=True, latency_repeats=1)
    scored = Schema.fit(flights_spec(), pd.concat([splits.train, splits.valid],
                                                  ignore_index=True))
    assert "distance" in scored.numeric
    changed = splits.holdout.assign(distance=splits.holdout["distance"].astype("string")) \
        if change == "number sent as text" \
        else splits.holdout.assign(waited=pd.to_timedelta(1, unit="h"))
    changed.loc[changed.index[:20], "dest"] = "NEW"
    capsys.readouterr()
    ev = evaluate_stage.run(cfg, flights_spec(), TuneResult(**TUNED), splits.train,
                            splits.valid, changed)
    served = Schema.from_dict(ev.meta["schema"])
    assert served.to_dict() == scored.to_dict()  # nor the new level: one schema or the other
    assert ev.meta["train_rows"] == len(splits.train) + len(splits.valid) + len(changed)
    assert "the served fit keeps the scored fit's schema" in capsys.readouterr().out


def test_a_refit_scored_after_the_rows_its_configuration_learnt_reuses_that_fit(
        evaluation: tuple[Any, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The saved model learnt train + valid + holdout (refit_on_holdout). When the next batch
    arrives, the same configuration's scored fit would learn exactly those rows again: the
    saved model is scored instead (the replay and the live loop's refit both save that fit)."""
    import pandas as pd

    from tuneloop import families

    splits = evaluation[1]
    cfg = EvaluateConfig(refit_on_holdout=True, latency_repeats=1)
    tuned = TuneResult(**TUNED)
    # The newest batch brings a destination no earlier row had (as flights' months do): the
    # served model learns it as a level, so its schema is the one the next window gives.
    holdout = splits.holdout.copy()
    holdout.loc[holdout.index[:50], "dest"] = "NEW"
    first = evaluate_stage.run(cfg, flights_spec(), tuned, splits.train, splits.valid,
                               holdout)
    assert "NEW" in first.meta["schema"]["levels"]["dest"]
    model_dir = tmp_path / "model"
    evaluate_stage.write(first, model_dir, tmp_path / "metrics.json")
    # The next window: what the saved model learnt is now train + valid; new rows score it.
    train = pd.concat([splits.train, splits.valid], ignore_index=True)
    valid, new = holdout, splits.valid
    found = evaluate_stage.previous_fit(cfg, model_dir, tuned, train, valid)
    assert found is not None and found[1].to_dict() == first.meta["schema"]
    assert found[1].to_dict() == Schema.fit(flights_spec(), pd.concat(
        [train, valid], ignore_index=True)).to_dict()
    capsys.readouterr()
    second = evaluate_stage.run(cfg, flights_spec(), tuned, train, valid, new, None, found)
    said = capsys.readouterr().out
    assert "already fit on these" in said and said.count("evaluate: fitting") == 1
    expected = families.predict(LIGHTGBM, first.model, new, found[1])
    assert np.array_equal(second.holdout_pred, expected)
    assert second.meta["rows_digest"] != first.meta["rows_digest"]  # it learnt `new` too
    # The premise: fitting it again gives the same model (LightGBM, same threads and seed).
    fresh = evaluate_stage.run(cfg, flights_spec(), tuned, train, valid, new)
    assert np.allclose(fresh.holdout_pred, second.holdout_pred, rtol=0, atol=1e-12)
    # A model whose schema is not the one these rows give is fit again, not reused.
    other = Schema.fit(flights_spec(), splits.train)
    assert other.to_dict() != found[1].to_dict()
    capsys.readouterr()
    evaluate_stage.run(cfg, flights_spec(), tuned, train, valid, new, None,
                       (found[0], other))
    said = capsys.readouterr().out
    assert "already fit" not in said and said.count("evaluate: fitting") == 2

    # Another configuration, seed or set of rows: no reuse.
    for other, rows in ((TuneResult(**{**TUNED, "best_seed": 2}), train),
                        (TuneResult(**{**TUNED, "best_iteration": 31}), train),
                        (tuned, train.iloc[1:])):
        assert evaluate_stage.previous_fit(cfg, model_dir, other, rows, valid) is None
    # Nothing saved (dvc repro clears a stage's outputs), or no train + valid refit.
    assert evaluate_stage.previous_fit(cfg, tmp_path / "none", tuned, train, valid) is None
    assert evaluate_stage.previous_fit(cfg.model_copy(update={"refit_on_valid": False}),
                                       model_dir, tuned, train, valid) is None


def heavy_tailed(ingested: Any) -> tuple[DataConfig, Any, Any]:
    """Real flights rows with a heavy-tailed cost, never negative, as the target: (spec,
    2,000 training rows, 1,000 later ones)."""
    rows = ingested.dataset.head(3000).copy()
    draws = np.random.default_rng(0).pareto(1.2, len(rows))  # a heavy tail, never negative
    rows["cost"] = np.round(draws * 10 + rows["distance"] / 100, 2)
    spec = DISTANCE.model_copy(update={"target": "cost", "exclude": ["late", "distance"]})
    return spec, rows.iloc[:2000], rows.iloc[2000:]


def test_a_regressions_predictions_stay_inside_the_targets_it_learnt(ingested: Any) -> None:
    """A boosted sum overshoots the values it learnt on a heavy-tailed target: a cost never
    below 0.99 was predicted at -1,161 (sweep 20: a heavy-tailed target never below zero was
    predicted negative, and a later version was promoted at holdout R^2 -0.185).
    The schema keeps the training target's range; every prediction (holdout, served) is held
    inside it, and the error falls (here: the later rows' targets lie inside the range; one
    beyond it, a trend, can be held further from its truth)."""
    from tuneloop import families, lgbm

    spec, train, later = heavy_tailed(ingested)
    schema = Schema.fit(spec, train)
    assert schema.target_range == [float(train["cost"].min()), float(train["cost"].max())]
    assert schema.target_center == pytest.approx([float(train["cost"].mean()),
                                                  float(train["cost"].median())])
    model = families.refit(LIGHTGBM, train, schema, {"learning_rate": 0.3, "num_leaves": 63,
                                                     "min_child_samples": 2}, 200, 1, 1)
    raw = lgbm.predict(model, later, schema)
    assert raw.min() < 0 < schema.target_range[0]  # the overshoot this is about
    served = families.predict(LIGHTGBM, model, later, schema)
    low, high = schema.target_range
    assert served.min() >= low and served.max() <= high
    assert np.array_equal(served, np.clip(raw, low, high))
    y = later["cost"].to_numpy()
    assert np.sqrt(np.mean((served - y) ** 2)) < np.sqrt(np.mean((raw - y) ** 2))
    # A classifier's probabilities, and a model saved before the range was kept: as they are.
    old = Schema.from_dict({**schema.to_dict(), "target_range": None})
    assert np.array_equal(families.predict(LIGHTGBM, model, later, old), raw)
    assert Schema.fit(flights_spec(), train).target_range is None


def test_a_study_tuned_for_mae_trains_on_absolute_error(ingested: Any) -> None:
    """An absolute error is minimised by the median: trained on squared error whatever the
    metric, a model tuned for mae did worse than the training median on a heavy-tailed target
    (sweep 21: holdout mae 58,191 against the median's 43,002). Trials and refits train with
    the objective the tuning metric calls for; a search space `objective` still overrides."""
    from tuneloop import families, lgbm

    spec, train, later = heavy_tailed(ingested)
    schema = Schema.fit(spec, train)
    assert lgbm.booster_params(schema, {}, 1, 1, metric="mae")["objective"] == "regression_l1"
    assert lgbm.booster_params(schema, {}, 1, 1, metric="rmse")["objective"] == "regression"
    assert lgbm.booster_params(schema, {"objective": "huber"}, 1, 1, metric="mae")[
        "objective"] == "huber"
    config = {"learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 20}
    y = later["cost"].to_numpy()

    def mae(metric: str | None) -> float:
        model = families.refit(LIGHTGBM, train, schema, config, 100, 1, 1, metric=metric)
        return float(np.mean(np.abs(families.predict(LIGHTGBM, model, later, schema) - y)))

    median = float(np.mean(np.abs(np.median(train["cost"]) - y)))
    assert mae("mae") < median < mae(None)  # squared error: worse than the median here
    # The evaluate stage refits with the study's metric.
    tuned = TuneResult(**{**TUNED, "metric": "mae", "best_params": config,
                          "best_iteration": 100})
    cfg = EvaluateConfig(slices=(), latency_repeats=1, refit_on_holdout=False)
    ev = evaluate_stage.run(cfg, spec, tuned, train, later.iloc[:0], later)
    assert ev.metrics["mae"] == pytest.approx(mae("mae"))


def test_an_objective_the_target_cannot_take_is_refused_before_the_study(
        ingested: Any, tmp_path: Path) -> None:
    """A review of session 20: `poisson` passed the objective check on a target with negative
    values, and LightGBM refuses such labels, so every trial failed after the whole study.
    The training target is checked first, in one line naming the key, and nothing is written;
    on a target that fits, the same space tunes."""
    from stages import tune as tune_stage
    from tuneloop.config import TuneConfig

    spec, train, _ = heavy_tailed(ingested)
    shifted = train.assign(cost=train["cost"] - float(train["cost"].median()))
    space = {"objective": {"type": "categorical", "choices": ["regression", "poisson"]},
             "num_leaves": {"type": "integer", "low": 7, "high": 15}}
    cfg = TuneConfig(n_trials=2, n_workers=1, n_initial_points=2, max_boost_rounds=20,
                     early_stopping_rounds=5, reproducibility_reruns=0, search_space=space)
    journal = tmp_path / "study.jsonl"
    with pytest.raises(ConfigError) as err:
        tune_stage.run(cfg, Schema.fit(spec, shifted), "rmse", shifted.iloc[:1500],
                       shifted.iloc[1500:], journal)
    assert str(err.value).startswith("tune.search_space.objective: 'poisson' needs a target "
                                     "of at least 0, but 'cost' holds -")
    assert "\n" not in str(err.value) and not journal.exists()
    gamma = cfg.model_copy(update={"search_space": {**cfg.search_space, "objective": cfg.
                                   search_space["objective"].model_copy(
                                       update={"choices": ["gamma"]})}})
    zero = train.assign(cost=train["cost"].where(train.index != train.index[0], 0.0))
    with pytest.raises(ConfigError, match="'gamma' needs a target above 0"):
        tune_stage.run(gamma, Schema.fit(spec, zero), "rmse", zero.iloc[:1500],
                       zero.iloc[1500:], journal)
    result = tune_stage.run(cfg, Schema.fit(spec, train), "rmse", train.iloc[:1500],
                            train.iloc[1500:], journal)
    assert result.n_trials == 2 and result.best_value is not None


def test_a_fit_made_for_another_metric_is_not_reused(ingested: Any, tmp_path: Path) -> None:
    """The review: a project tuned on rmse, its tune.metric changed to mae, refits the
    champion's configuration: the saved squared-error fit matched family, parameters, rounds,
    seed and rows, and was scored as the mae refit. The objective is kept and compared."""
    spec, train, later = heavy_tailed(ingested)
    valid, holdout = later.iloc[:500], later.iloc[500:]
    config = {"learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 20}
    cfg = EvaluateConfig(slices=(), latency_repeats=1)
    rmse = TuneResult(**{**TUNED, "metric": "rmse", "best_params": config})
    first = evaluate_stage.run(cfg, spec, rmse, train, valid, holdout)
    evaluate_stage.write(first, tmp_path / "model", tmp_path / "metrics.json")
    assert first.meta["objective"] == "regression"
    # The saved fit learnt train + valid (no refit on the holdout here): these rows again.
    assert evaluate_stage.previous_fit(cfg, tmp_path / "model", rmse, train, valid) is not None
    mae = TuneResult(**{**TUNED, "metric": "mae", "best_params": config})
    assert evaluate_stage.previous_fit(cfg, tmp_path / "model", mae, train, valid) is None


def test_the_gates_training_constants_are_the_scored_fits_not_the_holdouts(
        ingested: Any) -> None:
    """A model refit on its holdout saves the wider schema; the training mean and median the
    gate holds a first model to must stay the scored fit's (train + valid): with the holdout's
    labels in them, a shifted holdout raised the bar a good model had to clear (the review)."""
    spec, train, later = heavy_tailed(ingested)
    valid, holdout = later.iloc[:500], later.iloc[500:].assign(
        cost=lambda f: f["cost"] + 500.0)  # a holdout far above the rest
    tuned = TuneResult(**{**TUNED, "metric": "rmse", "best_params": {
        "learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 20}})
    cfg = EvaluateConfig(slices=(), latency_repeats=1, refit_on_holdout=True)
    ev = evaluate_stage.run(cfg, spec, tuned, train, valid, holdout)
    saved = Schema.from_dict(ev.meta["schema"])
    scored = Schema.fit(spec, pd.concat([train, valid], ignore_index=True))
    assert saved.target_center == pytest.approx(scored.target_center)
    assert saved.target_range[1] >= float(holdout["cost"].max())  # the served range widened


def test_a_slice_metric_undefined_on_its_rows_is_null_in_strict_json() -> None:
    """One value's rows hold one class: its AUC is undefined. The tables stay strict JSON
    (a bare NaN makes browsers and jq refuse the whole file)."""
    frame = pd.DataFrame({"gate": ["a"] * 4 + ["b"] * 4})
    y = np.array([0, 1, 0, 1, 0, 0, 0, 0])
    proba = np.array([0.2, 0.8, 0.4, 0.6, 0.1, 0.3, 0.2, 0.4])
    tables = slice_metrics(BINARY, frame, y, proba, ("gate",), 2)
    assert tables["gate"]["a"]["auc"] == 1.0
    assert tables["gate"]["b"]["auc"] is None and tables["gate"]["b"]["rows"] == 4
    assert tables["gate"]["b"]["accuracy"] == 1.0  # defined: every row predicted 0
    assert json.loads(json.dumps(tables, allow_nan=False)) == tables


def test_a_group_gap_skips_a_group_whose_metric_is_undefined() -> None:
    """A one-class group's AUC is null in the slice table; group_gap did float() on it and
    every trial under constraints.max_group_gap failed (the review of session 22)."""
    from tuneloop.constraints import group_gap

    rng = np.random.default_rng(0)
    groups = np.repeat(["a", "b", "c"], 100)
    y = rng.integers(0, 2, 300)
    y[200:] = 1  # group c: one class
    proba = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    frame = pd.DataFrame({"g": groups})
    gap = group_gap(BINARY, "auc", frame, "g", y, proba, 30)
    tables = slice_metrics(BINARY, frame, y, proba, ("g",), 30)["g"]
    assert tables["c"]["auc"] is None
    assert gap == pytest.approx(abs(tables["a"]["auc"] - tables["b"]["auc"]))


def test_the_families_defaults_are_scored_on_the_holdout_beside_the_choice(
        evaluation: tuple[Any, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Sweep 35: Forbes2000's choice beat the defaults by 0.72 RMSE on 400 validation rows and
    held out at 11.74 where the defaults held out at 10.32, without a word. The evaluate stage
    refits a cold study's baseline trial as it refits the choice, scores it on the same
    holdout, and says which held out better; the choice is kept either way."""
    from dataclasses import replace as copied

    scored, splits = evaluation
    params = load_params(REPO / "params.yaml")
    defaults = {"learning_rate": 0.1, "num_leaves": 31, "min_child_samples": 20}
    journal = tmp_path / params.paths.journal
    journal.parent.mkdir(parents=True)
    journal.write_text("\n".join(json.dumps(e) for e in (
        {"event": "study", "baseline": defaults},
        {"event": "finished", "id": 0, "params": defaults, "status": "ok", "value": 0.71,
         "seed": 7, "metrics": {"best_iteration": 40.0}})) + "\n")
    data = {"train": splits.train, "valid": splits.valid, "holdout": splits.holdout}
    said_by_run: dict[str, str | None] = {}
    # A weak choice's holdout predictions are noise (AUC about 0.5), so the defaults' gain is
    # beyond the holdout's own noise (the gate's paired bootstrap: sweep 42a).
    noise = np.random.default_rng(0).random(len(splits.holdout))
    for chosen, wins in (("a weak choice", False), ("a strong choice", True)):
        metrics = dict(scored.metrics, auc=0.5 if not wins else 0.99)
        mine = copied(scored, metrics=metrics, tables={"compute": {"fit_core_s": 1.0}},
                      holdout_pred=scored.holdout_pred if wins else noise)
        evaluate_stage.against_defaults(params, tmp_path, TuneResult(**{**TUNED, "best_trial": 5,
                                                                        "mode": "cold"}),
                                        data, mine)
        table = mine.tables["defaults"]
        assert table["trial"] == 0 and table["metric"] == "auc", chosen
        assert 0.6 < table["holdout"] < 0.9 and table["chosen_beats_defaults"] is wins
        assert mine.tables["compute"]["fit_core_s"] > 1.0  # the extra fit is counted
        said = capsys.readouterr().out
        assert ("evaluate: note: the family's defaults (trial 0) hold out at auc" in said) \
            is not wins, said
        # ... and among the run's closing lines (sweep 36: only in the flow's task logs).
        evaluate_stage.write(mine, tmp_path / "model", tmp_path / "metrics.json",
                             tmp_path / params.paths.evaluation)
        said_by_run[chosen] = next((n for n in evaluate_stage.closing_notes(params, tmp_path)
                                    if n.startswith("the family's defaults")), None)
    assert said_by_run["a strong choice"] is None
    assert said_by_run["a weak choice"].startswith(
        "the family's defaults (trial 0) held out at auc 0."), said_by_run
    # A choice the defaults beat by less than the holdout's noise: no note, the CI kept.
    theirs = table["holdout"]
    close = copied(scored, metrics=dict(scored.metrics, auc=theirs - 1e-4),
                   tables={"compute": {"fit_core_s": 1.0}})
    evaluate_stage.against_defaults(params, tmp_path, TuneResult(**{**TUNED, "best_trial": 5,
                                                                    "mode": "cold"}),
                                    data, close)
    told = close.tables["defaults"]
    assert told["defaults_better"] is False and told["defaults_gain_ci"][0] <= 0, told
    assert "(the difference within the holdout's noise)" in capsys.readouterr().out
    # The choice was the defaults, or no baseline ran (a warm study): nothing to compare.
    alone = copied(scored, tables={})
    evaluate_stage.against_defaults(params, tmp_path, TuneResult(**{**TUNED, "best_trial": 0,
                                                                    "mode": "cold"}),
                                    data, alone)
    assert "defaults" not in alone.tables


def test_another_familys_best_trial_is_scored_on_the_holdout_beside_the_choice(
        evaluation: tuple[Any, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Sweep 56a (F3): ambientNOxCH's study chose LightGBM on validation (RMSE 6.21 against
    the linear family's 6.84); it held out at 11.66 where the linear family's best held out
    at 7.33 (a holdout above the training range), without a word. The best completed trial
    of each other family the study tuned is refit, scored beside the choice, and said where
    it holds out better beyond the holdout's noise; the choice is kept either way."""
    from dataclasses import replace as copied

    scored, splits = evaluation
    both = {"type": "categorical", "choices": ["lightgbm", "linear"]}
    params = load_params(REPO / "params.yaml", {"tune.search_space.family": both})
    journal = tmp_path / params.paths.journal
    journal.parent.mkdir(parents=True)
    linear = [{"family": "linear", "alpha": alpha} for alpha in (1.0, 0.01, 0.1)]
    met = {"best_iteration": 1.0, "size_bytes": 2_000.0, "latency_ms_per_1k": 5.0}
    journal.write_text("\n".join(json.dumps(e) for e in (
        {"event": "study"},
        {"event": "finished", "id": 3, "params": linear[0], "status": "ok", "value": 0.70,
         "seed": 7, "metrics": met},
        {"event": "finished", "id": 4, "params": linear[1], "status": "ok", "value": 0.72,
         "seed": 8, "metrics": met},
        # Better on validation, but too slow for constraints.max_latency_ms_per_1k: never a
        # choice, so no alternative (the review).
        {"event": "finished", "id": 5, "params": linear[2], "status": "ok", "value": 0.8,
         "seed": 8, "metrics": {**met, "latency_ms_per_1k": 1e6}},
        {"event": "finished", "id": 6, "params": linear[0], "status": "pruned", "value": 0.9,
         "seed": 9, "metrics": met})) + "\n")
    data = {"train": splits.train, "valid": splits.valid, "holdout": splits.holdout}
    noise = np.random.default_rng(0).random(len(splits.holdout))
    for wins in (False, True):
        metrics = dict(scored.metrics, auc=0.5 if not wins else 0.99)
        mine = copied(scored, metrics=metrics, tables={"compute": {"fit_core_s": 1.0}},
                      holdout_pred=scored.holdout_pred if wins else noise)
        evaluate_stage.other_families(params, tmp_path, TuneResult(**{**TUNED, "best_trial": 5,
                                                                      "mode": "cold"}),
                                      data, mine)
        (table,) = mine.tables["other_families"]
        assert table["family"] == "linear" and table["trial"] == 4, table  # the best completed
        assert 0.55 < table["holdout"] < 0.95 and table["better"] is not wins, table
        said = capsys.readouterr().out
        assert ("evaluate: note: the linear family's best trial (trial 4) holds out at auc"
                in said) is not wins, said
        evaluate_stage.write(mine, tmp_path / "model", tmp_path / "metrics.json",
                             tmp_path / params.paths.evaluation)
        note = next((n for n in evaluate_stage.closing_notes(params, tmp_path)
                     if n.startswith("the linear family's")), None)
        assert (note is None) is wins, note
    # A family the search space no longer holds (a refit reads the last study's journal):
    # no re-tune could reach it, so it is not compared (the second review).
    dropped = copied(scored, tables={})
    evaluate_stage.other_families(load_params(REPO / "params.yaml"), tmp_path,
                                  TuneResult(**{**TUNED, "mode": "refit"}), data, dropped)
    assert "other_families" not in dropped.tables
    # A study of one family: nothing to compare.
    alone = copied(scored, tables={})
    journal.write_text(json.dumps({"event": "study"}) + "\n")
    evaluate_stage.other_families(params, tmp_path, TuneResult(**{**TUNED, "mode": "cold"}),
                                  data, alone)
    assert "other_families" not in alone.tables
