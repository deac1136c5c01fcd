"""The torch MLP family on CUDA: it trains there, and its state_dict + JSON reloads with
weights_only=True onto the GPU (and the CPU) predicting what it did before saving.

Skipped without a CUDA device (CI has none); `bench/gpu_check.py` is the longer check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from stages import split as split_stage
from tuneloop import families, torch_mlp
from tuneloop.config import SplitConfig
from tuneloop.features import category_levels

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="needs a CUDA device; CI has none")


@pytest.mark.parametrize("encoding", ["embedding", "onehot"])
def test_torch_family_trains_on_cuda_and_round_trips(ingested: Any, tmp_path: Path,
                                                      encoding: str) -> None:
    splits = split_stage.run(SplitConfig(valid_months=1, holdout_months=1), ingested.dataset)
    train, valid = splits.train, splits.valid
    levels = category_levels(train)
    params = {"family": "torch_mlp", "hidden_units": 16, "lr": 0.01, "cat_encoding": encoding}
    assert torch_mlp.device() == "cuda"
    model = families.refit("torch_mlp", train, levels, params, iterations=2, seed=9,
                           num_threads=1)
    assert next(model[0].parameters()).device.type == "cuda"
    before = families.predict("torch_mlp", model, valid, levels)

    families.save("torch_mlp", model, tmp_path / "m", params, seed=9)
    state = torch.load(tmp_path / "m" / torch_mlp.STATE_FILE, map_location="cuda",
                       weights_only=True)
    assert {t.device.type for t in state.values()} == {"cuda"}
    net, enc = torch_mlp.load(tmp_path / "m")
    assert next(net.parameters()).device.type == "cuda"
    np.testing.assert_allclose(torch_mlp.predict(net, enc, valid), before, rtol=0, atol=1e-5)
    np.testing.assert_allclose(torch_mlp.predict(net.cpu(), enc, valid), before, rtol=0,
                               atol=1e-5)
