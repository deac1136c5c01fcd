"""The torch MLP family on CPU: tuned as a conditional branch of `family`, pruned on epochs,
refit and saved as a state_dict that loads with weights_only=True."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stages import split as split_stage
from stages import tune
from tuneloop import families, torch_mlp
from tuneloop.config import Params, SplitConfig, TuneConfig
from tuneloop.features import category_levels

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


@pytest.fixture(scope="module")
def frames(ingested: Any) -> tuple[Any, Any]:
    splits = split_stage.run(SplitConfig(valid_months=1, holdout_months=1), ingested.dataset)
    return splits.train, splits.valid


def test_torch_family_tunes_on_cpu_next_to_lightgbm(
        small_params: Params, frames: tuple[Any, Any], tmp_path: Path) -> None:
    raw = small_params.tune.model_dump()
    raw.update(n_trials=6, n_initial_points=6, strategy="random", seed=5, search_space=SPACE,
               torch={"max_epochs": 6, "patience": 2, "batch_size": 256},
               pruner={"kind": "asha", "min_resource": 10, "min_epochs": 2,
                       "reduction_factor": 2, "min_trials_per_rung": 2})
    result = tune.run(TuneConfig.model_validate(raw), *frames, tmp_path / "j.jsonl")
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
            assert 1 <= e["metrics"]["best_iteration"] <= 6
    assert result.n_trials == 6


@pytest.mark.parametrize("encoding", ["embedding", "onehot"])
def test_refit_saves_a_state_dict_that_reloads_with_weights_only(
        frames: tuple[Any, Any], tmp_path: Path, encoding: str) -> None:
    train, valid = frames
    levels = category_levels(train)
    params = {"family": "torch_mlp", "hidden_units": 16, "lr": 0.01, "cat_encoding": encoding}
    model = families.refit("torch_mlp", train, levels, params, iterations=2, seed=9,
                           num_threads=1)
    before = families.predict("torch_mlp", model, valid, levels)
    families.save("torch_mlp", model, tmp_path / "m", params, seed=9)
    assert torch_mlp.device() == "cpu" or torch_mlp.device() == "cuda"
    net, enc = torch_mlp.load(tmp_path / "m")
    after = torch_mlp.predict(net, enc, valid)
    np.testing.assert_allclose(before, after, rtol=1e-5, atol=1e-6)
    assert ((after > 0) & (after < 1)).all()
    # Same seed, same model: the trial's own generators make refits reproducible.
    again = families.refit("torch_mlp", train, levels, params, iterations=2, seed=9,
                           num_threads=1)
    np.testing.assert_allclose(families.predict("torch_mlp", again, valid, levels), before,
                               rtol=1e-5, atol=1e-6)
