"""Trials fan out to a real Dask cluster through prefect-dask when an address is configured;
torch trials carry a GPU resource, so only a worker that offers one runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tuneloop.config import DimensionConfig, Params, SplitConfig, TuneConfig
from tuneloop.search import (
    Journal,
    SearchSpace,
    TrialContext,
    TrialOutcome,
    TrialSpec,
    make_strategy,
    run_study,
)


def where_it_ran(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
    from distributed import get_worker

    name = get_worker().name
    return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=0.5,
                        metrics={"on_gpu_worker": float(name == "gpu")})


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A real two-worker Dask cluster; only the worker named "gpu" offers a GPU resource."""
    from distributed import Scheduler, SpecCluster, Worker

    specs = {"cpu": {"cls": Worker, "options": {"nthreads": 1}},
             "gpu": {"cls": Worker, "options": {"nthreads": 1, "resources": {"GPU": 1}}}}
    with SpecCluster(workers=specs, asynchronous=False, scheduler={
            "cls": Scheduler, "options": {"dashboard_address": ":0"}}) as running:
        yield running


def test_trials_fan_out_to_dask_and_torch_trials_need_a_gpu(
        prefect_server: None, cluster: Any, tmp_path: Path) -> None:
    from prefect import flow

    from flows.trials import PrefectTrialExecutor

    space = SearchSpace.from_config({
        "family": DimensionConfig(type="categorical", choices=["lightgbm", "torch_mlp"]),
        "x": DimensionConfig(type="real", low=0.0, high=1.0)})

    @flow(name="dask-fan-out-test")
    def study(address: str) -> Any:
        executor = PrefectTrialExecutor().with_dask(address)
        try:
            return run_study(where_it_ran, make_strategy("random", space, 0, 10),
                             Journal(tmp_path / "j.jsonl"), n_trials=10, n_workers=2, seed=0,
                             executor=executor)
        finally:
            executor.close()

    result = study(cluster.scheduler_address)
    assert len(result.completed) == 10
    torch_trials = [t for t in result.trials if t.params["family"] == "torch_mlp"]
    assert torch_trials
    assert all(t.metrics["on_gpu_worker"] == 1.0 for t in torch_trials)


def test_tune_stage_without_a_flow_uses_the_configured_dask_cluster(
        small_params: Params, ingested: Any, cluster: Any, tmp_path: Path) -> None:
    from stages import split as split_stage
    from stages import tune

    splits = split_stage.run(SplitConfig(valid_months=1, holdout_months=1), ingested.dataset)
    raw = small_params.tune.model_dump()
    raw.update(n_trials=3, strategy="random", dask_address=cluster.scheduler_address)
    result = tune.run(TuneConfig.model_validate(raw), splits.train, splits.valid,
                      tmp_path / "j.jsonl")
    assert result.n_trials == 3 and result.n_failed == 0
    # The scheduler saw the trials: the runner's guarded trial function is named "call".
    finished_on_cluster = cluster.scheduler.task_prefixes["call"].state_counts["memory"]
    assert finished_on_cluster >= 3
