"""The torch MLP family on CUDA, for each task: it trains there, and its state_dict + JSON
reloads with weights_only=True onto the GPU (and the CPU) predicting what it did before saving.

Skipped without a CUDA device (CI has none); `bench/gpu_check.py` is the longer check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from stages import split as split_stage
from tests.conftest import REPO
from tuneloop import families, torch_mlp
from tuneloop.config import DataConfig, SplitConfig, load_params
from tuneloop.features import Schema

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="needs a CUDA device; CI has none")

ORIGIN = DataConfig(target="origin", task="multiclass", time="time_hour", id="flight_id",
                    exclude=["late"])
DISTANCE = DataConfig(target="distance", task="regression", time="time_hour", id="flight_id",
                      exclude=["late"])


@pytest.mark.parametrize(("task", "encoding"), [
    ("binary", "embedding"), ("binary", "onehot"), ("multiclass", "embedding"),
    ("regression", "onehot")])
def test_torch_family_trains_on_cuda_and_round_trips(ingested: Any, tmp_path: Path,
                                                      task: str, encoding: str) -> None:
    splits = split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), ingested.dataset)
    train, valid = splits.train, splits.valid
    spec = {"binary": load_params(REPO / "params.yaml").data, "multiclass": ORIGIN,
            "regression": DISTANCE}[task]
    schema = Schema.fit(spec, train)
    params = {"family": "torch_mlp", "hidden_units": 16, "lr": 0.01, "cat_encoding": encoding}
    assert torch_mlp.device() == "cuda"
    model = families.refit("torch_mlp", train, schema, params, iterations=2, seed=9,
                           num_threads=1)
    assert next(model[0].parameters()).device.type == "cuda"
    before = families.predict("torch_mlp", model, valid, schema)

    families.save("torch_mlp", model, tmp_path / "m", params, seed=9)
    state = torch.load(tmp_path / "m" / torch_mlp.STATE_FILE, map_location="cuda",
                       weights_only=True)
    assert {t.device.type for t in state.values()} == {"cuda"}
    net, enc = torch_mlp.load(tmp_path / "m")
    assert next(net.parameters()).device.type == "cuda"
    after = torch_mlp.predict(net, enc, valid)
    expected_shape = (len(valid), 3) if task == "multiclass" else (len(valid),)
    assert before.shape == after.shape == expected_shape
    # Regression predicts in the target's units (miles): compare relative to them.
    tol = {"rtol": 1e-5, "atol": 1e-3} if task == "regression" else {"rtol": 0, "atol": 1e-5}
    np.testing.assert_allclose(after, before, **tol)
    np.testing.assert_allclose(torch_mlp.predict(net.cpu(), enc, valid), before, **tol)
