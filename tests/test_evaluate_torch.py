"""When tuning picks the torch MLP family: evaluation refits it, saves a state_dict + JSON (no
pickled module), and the registered pyfunc loads it with weights_only=True and serves raw rows
(through the project's prepare hook) exactly as the saved model predicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from stages import evaluate as evaluate_stage
from stages import promote as promote_stage
from stages import split as split_stage
from tests.conftest import REPO, raw_month
from tests.test_promote import empty_store, registry_project
from tuneloop.config import DataConfig, EvaluateConfig, SplitConfig, load_params
from tuneloop.io import read_json
from tuneloop.lineage import lineage_tags
from tuneloop.metrics import TASK_METRICS, task_metrics
from tuneloop.promotion import registry_files
from tuneloop.records import TuneResult

PARAMS = {"family": "torch_mlp", "hidden_units": 16, "n_layers": 1, "dropout": 0.0,
          "lr": 0.01, "weight_decay": 1e-5, "cat_encoding": "embedding", "embedding_dim": 2}
HOLDOUT_MONTH = 6  # the holdout of months 1-6 is the newest batch: June


def tuned(metric: str) -> TuneResult:
    return TuneResult(best_params=PARAMS, best_value=0.6, best_trial=0, best_iteration=2,
                      best_seed=3, metric=metric, n_trials=1, n_failed=0, study_seed=3,
                      parent_run_id=None, family="torch_mlp")


def test_torch_family_is_evaluated_registered_and_served(
        ingested: Any, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    import mlflow

    from tuneloop import torch_mlp

    spec = load_params(REPO / "params.yaml").data
    splits = split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), ingested.dataset)
    ev = evaluate_stage.run(EvaluateConfig(latency_repeats=1), spec, tuned("auc"), splits.train,
                            splits.valid, splits.holdout)
    assert ev.meta["family"] == "torch_mlp" and 0.4 < ev.metrics["auc"] < 1
    model_dir, report = tmp_path / "model", tmp_path / "metrics.json"
    evaluate_stage.write(ev, model_dir, report, tmp_path / "evaluation.json")
    assert {p.name for p in model_dir.iterdir()} == {"mlp.pt", "mlp.json", "model.json"}
    assert ev.cost["size_bytes"] == sum(p.stat().st_size for p in model_dir.iterdir())
    net, enc = torch_mlp.load(model_dir)
    expected = torch_mlp.predict(net, enc, splits.holdout)
    y = enc.schema.labels(splits.holdout)
    assert task_metrics("binary", y, expected) == pytest.approx(ev.metrics)

    root = tmp_path / "project"
    params = registry_project(root, splits.holdout, empty_store(tmp_path_factory.getbasetemp()))
    decision = promote_stage.run(params.promote, params.gate_metric, model_dir,
                                 read_json(report), splits.holdout, lineage_tags(params, root),
                                 registry_files(params, root),
                                 read_json(tmp_path / "evaluation.json"), root,
                                 limits=params.constraints)
    assert decision.promoted
    uri = f"models:/{params.promote.model_name}@champion"
    # Raw June rows as known at scheduling time: the served model runs the prepare hook and
    # answers one row per raw row, flight by flight what evaluation predicted.
    from hooks.flights import prepare

    raw = raw_month(HOLDOUT_MONTH)
    scheduled = raw.drop(columns=list(params.data.forbid))
    served = np.asarray(mlflow.pyfunc.load_model(uri).predict(scheduled))
    assert served.shape == (len(raw),)
    ids = prepare(scheduled)["flight_id"].to_numpy()
    by_id = pd.Series(expected, index=splits.holdout["flight_id"].to_numpy())
    labelled = raw["arr_delay"].notna().to_numpy()
    np.testing.assert_allclose(served[labelled], by_id.loc[ids[labelled]].to_numpy(), rtol=1e-6)
    local = Path(mlflow.artifacts.download_artifacts(uri))
    assert "torch==" in (local / "requirements.txt").read_text()
    assert not [p for p in local.rglob("*") if p.suffix in {".pkl", ".pickle", ".joblib"}]


@pytest.mark.parametrize(("spec", "metric"), [
    (DataConfig(target="origin", task="multiclass", time="time_hour", id="flight_id",
                exclude=["late"]), "logloss"),
    (DataConfig(target="distance", task="regression", time="time_hour", id="flight_id",
                exclude=["late"]), "rmse")], ids=["multiclass", "regression"])
def test_torch_family_evaluates_multiclass_and_regression(
        ingested: Any, tmp_path: Path, spec: DataConfig, metric: str) -> None:
    from tuneloop import families, torch_mlp

    splits = split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), ingested.dataset)
    ev = evaluate_stage.run(EvaluateConfig(latency_repeats=1, slices=("carrier",)), spec,
                            tuned(metric), splits.train, splits.valid, splits.holdout)
    assert set(ev.metrics) == set(TASK_METRICS[spec.task])
    # Predicted against observed for every task: the top class's probability against the share
    # right (multiclass), the prediction against the target's mean per bin (regression).
    observed = "observed_rate" if spec.task == "multiclass" else "observed_mean"
    assert sum(row["rows"] for row in ev.calibration) == len(splits.holdout)
    assert all({"mean_predicted", observed} <= set(row) for row in ev.calibration)
    evaluate_stage.write(ev, tmp_path / "model", tmp_path / "metrics.json")
    net, enc = torch_mlp.load(tmp_path / "model")
    # As served: a regression's predictions inside the targets it learnt (Schema.bounded).
    pred = families.predict("torch_mlp", (net, enc), splits.holdout, enc.schema)
    y = enc.schema.labels(splits.holdout)
    # The reloaded model reproduces the reported holdout metrics.
    assert task_metrics(spec.task, y, pred) == pytest.approx(ev.metrics, rel=1e-5)
    if spec.task == "multiclass":
        assert pred.shape == (len(y), 3)
        np.testing.assert_allclose(pred.sum(axis=1), 1.0, rtol=1e-6)
        assert ev.metrics["logloss"] < np.log(3)  # better than knowing nothing
    else:
        # Predictions come back in miles, not in the standardised units the net trains on.
        assert enc.target_std > 100 and pred.shape == (len(y),)
        assert ev.metrics["rmse"] < float(np.std(y))
        assert abs(float(pred.mean()) - float(y.mean())) < float(np.std(y))
