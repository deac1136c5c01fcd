"""When tuning picks the torch MLP family: evaluation refits it, saves a state_dict + JSON (no
pickled module), and the registered pyfunc loads it with weights_only=True and serves raw rows
exactly as the saved model predicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stages import evaluate as evaluate_stage
from stages import promote as promote_stage
from stages import split as split_stage
from stages.tune import TuneResult
from tests.test_promote import empty_store, registry_project
from tuneloop.config import EvaluateConfig, SplitConfig
from tuneloop.io import read_json
from tuneloop.lineage import lineage_tags
from tuneloop.promotion import registry_files
from tuneloop.serving import SERVING_COLUMNS

PARAMS = {"family": "torch_mlp", "hidden_units": 16, "n_layers": 1, "dropout": 0.0,
          "lr": 0.01, "weight_decay": 1e-5, "cat_encoding": "embedding", "embedding_dim": 2}


def test_torch_family_is_evaluated_registered_and_served(
        ingested: Any, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    import mlflow

    from tuneloop import torch_mlp

    splits = split_stage.run(SplitConfig(valid_months=1, holdout_months=1), ingested.dataset)
    tuned = TuneResult(best_params=PARAMS, best_value=0.6, best_trial=0, best_iteration=2,
                       best_seed=3, metric="auc", n_trials=1, n_failed=0, study_seed=3,
                       parent_run_id=None, family="torch_mlp")
    ev = evaluate_stage.run(EvaluateConfig(latency_repeats=1), tuned, splits.train,
                            splits.valid, splits.holdout)
    assert ev.meta["family"] == "torch_mlp" and 0.4 < ev.metrics["auc"] < 1
    model_dir, report = tmp_path / "model", tmp_path / "metrics.json"
    evaluate_stage.write(ev, model_dir, report, tmp_path / "evaluation.json")
    assert {p.name for p in model_dir.iterdir()} == {"mlp.pt", "mlp.json", "model.json"}
    assert ev.cost["size_bytes"] == sum(p.stat().st_size for p in model_dir.iterdir())
    net, enc = torch_mlp.load(model_dir)
    batch = splits.holdout.head(100)
    expected = torch_mlp.predict(net, enc, batch)

    root = tmp_path / "project"
    params = registry_project(root, splits.holdout, empty_store(tmp_path_factory.getbasetemp()))
    decision = promote_stage.run(params.promote, model_dir, read_json(report), splits.holdout,
                                 lineage_tags(params, root), registry_files(params, root),
                                 read_json(tmp_path / "evaluation.json"))
    assert decision.promoted
    uri = f"models:/{params.promote.model_name}@champion"
    served = mlflow.pyfunc.load_model(uri).predict(batch[list(SERVING_COLUMNS)])
    np.testing.assert_allclose(served, expected, rtol=1e-6)
    local = Path(mlflow.artifacts.download_artifacts(uri))
    assert "torch==" in (local / "requirements.txt").read_text()
