"""The fan-out paths bench/scale.py measures, checked for behaviour (never for speed): each runs
a whole study; random proposals are skopt's; Prefect on Dask ships the flow's context and the
objective once per study, records every trial as a task run and leaves nothing on the workers."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tuneloop.config import DimensionConfig
from tuneloop.search import (
    Journal,
    SearchSpace,
    TrialContext,
    TrialOutcome,
    TrialSpec,
    make_strategy,
    run_study,
)

SPACE = {
    "lr": DimensionConfig(type="real", low=1e-3, high=0.3, prior="log-uniform"),
    "leaves": DimensionConfig(type="integer", low=4, high=64, prior="log-uniform"),
    "x": DimensionConfig(type="real", low=0.0, high=1.0),
    "kind": DimensionConfig(type="categorical", choices=["a", "b", "c"]),
}
TINY = {"kind": DimensionConfig(type="categorical", choices=["a", "b"]),
        "n": DimensionConfig(type="integer", low=0, high=2)}


def skopt_random_point(strategy: Any, space: SearchSpace) -> list[Any]:
    """What the random strategy proposed before it stopped building an optimizer per ask."""
    from skopt import Optimizer

    from tuneloop.search.skopt_adapter import _plain, _skopt_dimensions

    opt = Optimizer(_skopt_dimensions(space), base_estimator="GP", n_initial_points=10**9,
                    random_state=strategy._derived_seed())
    return strategy._canonical([_plain(v) for v in opt.ask()])


@pytest.mark.parametrize("seed", [0, 7, 2**40 + 3])
def test_random_proposals_are_what_a_skopt_optimizer_asks(seed: int) -> None:
    space = SearchSpace.from_config(SPACE)
    strategy = make_strategy("random", space, seed, 4)
    for i in range(30):
        expected = skopt_random_point(strategy, space)
        proposal = strategy.ask()
        assert proposal.params == dict(zip(space.names, expected, strict=True))
        assert all(type(v) in (int, float, str) for v in proposal.params.values())
        if i % 3 == 0:
            strategy.tell(proposal.id, -0.5 - i / 100)


def test_random_proposals_still_avoid_banned_points() -> None:
    space = SearchSpace.from_config(TINY)  # six points
    strategy = make_strategy("random", space, 3, 2)
    banned = set()
    for _ in range(5):
        proposal = strategy.ask()
        point = tuple(proposal.params.values())
        assert point not in banned
        banned.add(point)
        strategy.ban(proposal.id, -1.0)
    for _ in range(5):
        proposal = strategy.ask()
        assert tuple(proposal.params.values()) not in banned
        strategy.tell(proposal.id, -0.5)


def nap(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
    time.sleep(0.05)
    return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=float(spec.params["x"]))


class Heavy:
    """An objective holding data, as a real one does: it must reach each worker once."""

    def __init__(self) -> None:
        self.data = np.arange(50_000, dtype=float)

    def __call__(self, spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
        return TrialOutcome(spec.id, spec.params, spec.seed, "ok",
                            value=float(spec.params["x"]) + float(self.data[1]))


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                      dashboard_address=":0") as running:
        yield running


def journal_is_consistent(path: Path, n: int) -> None:
    log = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    proposed = sorted(e["id"] for e in log if e["event"] == "proposed")
    finished = sorted(e["id"] for e in log if e["event"] == "finished")
    assert proposed == finished == list(range(n))


def study(tmp_path: Path, executor: Any, objective: Any = nap, n: int = 12) -> Any:
    journal = tmp_path / f"{type(executor).__name__}-{time.monotonic_ns()}.jsonl"
    try:
        result = run_study(objective, make_strategy("random", SearchSpace.from_config(SPACE),
                                                    0, 4),
                           Journal(journal), n_trials=n, n_workers=4, seed=0,
                           executor=executor, max_retries=1)
    finally:
        if executor is not None:
            executor.close()
    assert len(result.completed) == n and result.retries == 0
    journal_is_consistent(journal, n)
    return result


def test_threads_and_dask_paths_run_whole_studies(cluster: Any, tmp_path: Path) -> None:
    from tuneloop.search.executor import DaskExecutor

    study(tmp_path, None)
    study(tmp_path, DaskExecutor(cluster.scheduler_address))


def test_prefect_paths_run_whole_studies_one_task_run_per_trial(
        prefect_server: None, cluster: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import prefect.context
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.trials import PrefectTrialExecutor

    serialized = []
    real = prefect.context.serialize_context
    monkeypatch.setattr(prefect.context, "serialize_context",
                        lambda *a, **k: serialized.append(1) or real(*a, **k))

    @flow(name="scale-paths-test")
    def paths(address: str) -> Any:
        from prefect.runtime import flow_run

        study(tmp_path, PrefectTrialExecutor())
        study(tmp_path, PrefectTrialExecutor().with_dask(address), Heavy())
        return flow_run.id

    flow_run_id = uuid.UUID(paths(cluster.scheduler_address))
    # The flow's context went to Dask once for the whole study, not once per trial.
    assert len(serialized) == 1
    expected = sorted([f"trial-{i}" for i in range(12)] * 2)
    # Task runs reach the server through its event pipeline, after the flow returns: read
    # until all 24 are there (or a minute passed), then compare.
    deadline = time.monotonic() + 60
    while True:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[flow_run_id])))
        names = sorted(r.name for r in runs)
        done = all(r.state is not None and r.state.is_completed() for r in runs)
        if (names == expected and done) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert names == expected
    assert done


def test_prefect_on_dask_leaves_nothing_on_the_workers(
        prefect_server: None, cluster: Any, tmp_path: Path) -> None:
    from distributed import Client
    from prefect import flow

    from flows.trials import PrefectTrialExecutor

    def plugins(dask_worker: Any) -> list[str]:
        return sorted(n for n in dask_worker.plugins if n.startswith("tuneloop-"))

    @flow(name="scale-paths-cleanup-test")
    def one(address: str) -> Any:
        study(tmp_path, PrefectTrialExecutor().with_dask(address), Heavy(), n=6)

    one(cluster.scheduler_address)
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        assert all(not names for names in client.run(plugins).values())


def test_the_bench_figures_follow_their_definitions() -> None:
    from bench.scale import figures
    from tuneloop.search import StudyResult

    trials = [TrialOutcome(i, {}, 0, "ok", value=0.5, seconds=1.0) for i in range(8)]
    result = StudyResult(trials=trials, seed=0, wall_seconds=5.0, ask_seconds=[0.001] * 8,
                         overhead_seconds=0.08)
    fig = figures(result, workers=2, cpu=0.16)
    assert fig["busy"] == pytest.approx(8.0 / (2 * 5.0))
    assert fig["runner_ms"] == pytest.approx(10.0)
    assert fig["cpu_ms"] == pytest.approx(20.0)
    assert fig["ask_ms"] == pytest.approx(1.0)


def test_a_lost_worker_keeps_its_study_whole_in_the_bench(tmp_path: Path) -> None:
    """The bench's last run, small: one of four worker processes killed mid-study."""
    from bench.scale import lost_worker_run

    lost = lost_worker_run(str(tmp_path), 0.5)
    assert lost["killed"] >= 1 and lost["all_finished"] and lost["failed"] == 0
    assert lost["retries"] >= 1 and lost["trials"] == lost["n_trials"]

