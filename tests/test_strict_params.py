"""Seeds are any non-negative 64-bit integer: every random state derived from one stays in the
range its library accepts, so a large `tune.seed` tunes instead of crashing after ingest,
validation and versioning have run. (What params.yaml refuses is in test_config.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stages import split as split_stage
from stages import tune
from tests.conftest import REPO, space_of
from tuneloop.config import Params, SplitConfig, TuneConfig, load_params
from tuneloop.features import Schema
from tuneloop.search import Journal, make_strategy, trial_seed


@pytest.mark.filterwarnings("ignore:The objective has been evaluated")  # a six-point space
@pytest.mark.parametrize("seed", [20240101, 2**64 - 1])
@pytest.mark.parametrize("kind", ["gp", "rf", "et", "random"])
def test_every_strategy_proposes_under_a_large_seed(kind: str, seed: int) -> None:
    """Initial points, the surrogate's proposals and redraws around a banned point: each takes
    a random state derived from the seed."""
    space = space_of({"c": {"type": "categorical", "choices": ["a", "b"]},
                      "x": {"type": "integer", "low": 1, "high": 3}})
    strategy = make_strategy(kind, space, seed=seed, n_initial_points=2)
    first = strategy.ask()
    strategy.ban(first.id, 0.0)
    for _ in range(4):
        proposal = strategy.ask()
        assert space.contains(proposal.params)
        assert proposal.params != first.params  # redrawn while the banned point came up
        strategy.tell(proposal.id, -float(proposal.params["x"]))


def test_a_seed_and_its_32_bit_folds_do_not_all_collide() -> None:
    """Seeds past 2**32 still pick their own proposals (not all the ones of seed 0)."""
    space = space_of({"x": {"type": "real", "low": 0.0, "high": 1.0}})

    def first(seed: int) -> float:
        return make_strategy("random", space, seed=seed, n_initial_points=2).ask().params["x"]

    assert len({first(s) for s in (0, 2**32, 2**63, 2**64 - 1)}) == 4
    assert first(2**63) == first(2**63)
    assert 0 <= trial_seed(2**64 - 1, 7) < 2**31 - 1  # LightGBM's and torch's range


@pytest.mark.parametrize("seed", [20240101, 2**63])
def test_a_real_study_runs_under_a_large_seed(small_params: Params, ingested: Any,
                                              tmp_path: Path, seed: int) -> None:
    """The tune stage with real LightGBM: random initial points, then GP proposals."""
    splits = split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), ingested.dataset)
    schema = Schema.fit(load_params(REPO / "params.yaml").data, splits.train)
    raw = small_params.tune.model_dump()
    raw.update(seed=seed, n_trials=4, n_workers=1, n_initial_points=2, strategy="gp",
               max_boost_rounds=20, early_stopping_rounds=5, pruner={"kind": "none"})
    cfg = TuneConfig.model_validate(raw)
    result = tune.run(cfg, schema, "auc", splits.train, splits.valid, tmp_path / "j.jsonl")
    assert (result.n_trials, result.n_failed, result.study_seed) == (4, 0, seed)
    events = list(Journal(tmp_path / "j.jsonl").events())
    assert events[0]["seed"] == seed
    assert {e["status"] for e in events if e["event"] == "finished"} == {"ok"}
