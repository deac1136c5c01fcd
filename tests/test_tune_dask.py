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
        prefect_server: None, cluster: Any, tmp_path: Path, small_params: Params) -> None:
    """tune.resources' default: a torch trial asks for a GPU, so only the GPU worker runs it."""
    from prefect import flow

    from flows.trials import PrefectTrialExecutor
    from tuneloop.families import resources_for

    space = SearchSpace.from_config({
        "family": DimensionConfig(type="categorical", choices=["lightgbm", "torch_mlp"]),
        "x": DimensionConfig(type="real", low=0.0, high=1.0)})

    @flow(name="dask-fan-out-test")
    def study(address: str) -> Any:
        executor = PrefectTrialExecutor().with_dask(address, resources_for(small_params.tune))
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
    from tests.conftest import flights_schema

    splits = split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), ingested.dataset)
    raw = small_params.tune.model_dump()
    raw.update(n_trials=3, strategy="random", dask_address=cluster.scheduler_address)
    result = tune.run(TuneConfig.model_validate(raw), flights_schema(small_params, splits.train),
                      small_params.tuning_metric, splits.train, splits.valid,
                      tmp_path / "j.jsonl")
    assert result.n_trials == 3 and result.n_failed == 0
    assert result.metric == "auc" and 0.5 < result.best_value <= 1
    # The scheduler saw the trials: the runner's guarded trial function is named "call".
    finished_on_cluster = cluster.scheduler.task_prefixes["call"].state_counts["memory"]
    assert finished_on_cluster >= 3


def slow_learner(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
    """Final score set by x, reached at the learning rate's pace: at an early rung a small
    learning rate looks worst (as boosting rounds do), so only an unpruned refinement shows it."""
    lr, x = spec.params["learning_rate"], spec.params["x"]
    final = x - lr
    for step in range(1, 28):
        ctx.report(step, final * min(1.0, step * lr * 4))
    return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=final)


def test_asha_prunes_on_dask_and_refinements_run_unpruned_there(
        cluster: Any, tmp_path: Path) -> None:
    """Each trial carries a copy of the pruner to its worker; the runner records finished
    trials' rung scores into the study's pruner, so later trials are judged against them."""
    from tuneloop.search import AshaPruner
    from tuneloop.search.executor import DaskExecutor
    from tuneloop.search.refine import RefinePolicy, RefiningStrategy

    space = SearchSpace.from_config({
        "learning_rate": DimensionConfig(type="real", low=0.01, high=0.3, prior="log-uniform"),
        "x": DimensionConfig(type="real", low=0.0, high=1.0)})
    strategy = RefiningStrategy(make_strategy("random", space, 5, 10), space,
                                RefinePolicy(start_share=0.5))
    pruner = AshaPruner(1, 3, min_trials_per_rung=3)
    executor = DaskExecutor(cluster.scheduler_address)
    try:
        result = run_study(slow_learner, strategy, Journal(tmp_path / "j.jsonl"), n_trials=16,
                           n_workers=1, seed=5, executor=executor, pruner=pruner)
    finally:
        executor.close()
    pruned = result.pruned
    assert pruned, "no trial was pruned on the Dask workers"
    assert all(t.rung is not None and t.intermediate for t in pruned)
    # The pruning happened on the workers against scores the study's pruner had recorded.
    assert pruner.rung_sizes()[0] >= len(result.trials) - len(
        [t for t in result.trials if t.refines is not None])
    refined = [t for t in result.trials if t.refines is not None]
    assert refined and all(t.status == "ok" and not t.intermediate for t in refined)



def slow_trial(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
    # In-process workers: the test releases the slow ones once it has its answer.
    _LOSING["release"].wait(0.3 if spec.id < 2 else 30)
    return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=spec.params["x"])


# The cluster the next test takes workers from: a module global, not a closure, since Prefect
# ships the flow (and what it closes over) to the workers, and a cluster does not pickle.
_LOSING: dict[str, Any] = {}


def _lose_workers_after_two(outcome: TrialOutcome) -> None:
    # Trials 0 and 1 take 0.3 s, in either order under load; then 2 and 3 run, 30 s each.
    _LOSING["finished"] = _LOSING.get("finished", 0) + 1
    if _LOSING["finished"] == 2:
        _LOSING["cluster"].scale(0)


def _study_on(address: str, journal: str) -> Any:
    from prefect import flow

    from flows.trials import PrefectTrialExecutor

    @flow(name="dask-no-worker-test")
    def study() -> Any:
        space = SearchSpace.from_config({"x": DimensionConfig(type="real", low=0.0, high=1.0)})
        executor = PrefectTrialExecutor(no_worker_grace_s=2, poll_s=0.5).with_dask(address)
        try:
            return run_study(slow_trial, make_strategy("random", space, 0, 2),
                             Journal(Path(journal)), n_trials=6, n_workers=2, seed=0,
                             executor=executor, on_trial=_lose_workers_after_two, max_retries=1)
        finally:
            executor.close()

    return study()


def test_a_flow_on_a_cluster_whose_last_worker_left_stops_with_one_line(
        prefect_server: None, tmp_path: Path) -> None:
    """The flow's path (prefect-dask) waits as DaskExecutor does: a trial whose worker left
    waits for a recompute no worker will run, so after the grace without a worker the study
    stops with ClusterLost naming the cluster, its finished trials kept for --resume."""
    import threading
    import time

    from distributed import LocalCluster

    from tuneloop.search.executor import ClusterLost

    _LOSING["release"] = threading.Event()
    lost = _LOSING["cluster"] = LocalCluster(n_workers=2, threads_per_worker=1,
                                             processes=False, dashboard_address=":0")
    journal = tmp_path / "j.jsonl"
    started = time.monotonic()
    try:
        with pytest.raises(ClusterLost) as err:
            _study_on(lost.scheduler_address, str(journal))
        waited = time.monotonic() - started
    finally:
        _LOSING["release"].set()
        lost.close()
        _LOSING.clear()
    assert waited < 25  # not the running trials' 30 s, nor for ever
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"Dask cluster at {lost.scheduler_address}: no worker left for 2 s")
    finished = [line for line in journal.read_text().splitlines() if '"finished"' in line]
    assert len(finished) >= 2
