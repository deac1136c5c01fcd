"""A study on Dask survives the cluster: a trial whose worker dies (killed, or crashed by the
trial itself) is retried elsewhere, counted as a retry with its reason, and the study ends with
all its trials; a cluster that is gone stops the study with one line naming it."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from functools import partial
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
from tuneloop.search.executor import ClusterLost, DaskExecutor

SPACE = {"x": DimensionConfig(type="real", low=0.0, high=1.0)}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Four worker processes of one thread, each behind a nanny that restarts it when it dies.
    Dask itself re-runs a task whose worker died up to `allowed-failures` times (3 by default)
    before it reports KilledWorker; with 0 every death reaches the study, so one SIGKILL here
    stands for the fourth death in production (or a trial that kills every worker it runs on)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        running = LocalCluster(n_workers=4, threads_per_worker=1, processes=True,
                               dashboard_address=":0", memory_limit="2GiB")
    with running:
        yield running


def events(journal: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]


def assert_consistent(journal: Path, n_trials: int) -> list[dict[str, Any]]:
    """Every proposed trial finished exactly once; the retries are of proposed trials."""
    log = events(journal)
    proposed = [e["id"] for e in log if e["event"] == "proposed"]
    finished = [e["id"] for e in log if e["event"] == "finished"]
    assert sorted(proposed) == sorted(finished) == list(range(n_trials))
    assert {e["id"] for e in log if e["event"] == "retry"} <= set(proposed)
    return log


def kill_a_busy_worker(cluster: Any, journal: Path, after: int,
                       done: threading.Event) -> list[str]:
    """From the side, as an operator (or the OOM killer) would: once `after` trials finished,
    SIGKILL the worker process that has just been handed a trial. Again (three times at most)
    if no trial was lost after two seconds (that trial ended first), so the study surely is."""
    from distributed import Client

    killed: list[str] = []

    def watch() -> None:
        since, seen = 0.0, set()
        with Client(cluster.scheduler_address, set_as_default=False) as client:
            while not done.is_set() and len(killed) < 3:
                time.sleep(0.01)
                log = events(journal) if journal.exists() else []
                if any(e["event"] == "retry" for e in log):
                    return
                processing = client.processing()
                new = [a for a, keys in processing.items() if set(keys) - seen]
                seen |= {k for keys in processing.values() for k in keys}
                if sum(e["event"] == "finished" for e in log) < after or not new or (
                        killed and time.monotonic() - since < 2):
                    continue
                nanny = next((n for n in cluster.workers.values()
                              if n.worker_address == new[0]), None)
                if nanny is not None:
                    os.kill(nanny.process.process.pid, signal.SIGKILL)
                    killed.append(new[0])
                    since = time.monotonic()

    threading.Thread(target=watch, daemon=True).start()
    return killed


def test_a_study_on_four_workers_with_one_killed_mid_study_ends_with_all_its_trials(
        small_params: Params, ingested: Any, cluster: Any, tmp_path: Path) -> None:
    from stages import split as split_stage
    from stages import tune
    from tests.conftest import flights_schema

    splits = split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), ingested.dataset)
    raw = small_params.tune.model_dump()
    # Long enough trials (no early stop) that the kill lands while one runs.
    # Two retries: the watcher may kill a second worker (when the first kill lost only a result
    # Dask recomputed by itself), and a trial and its retry queued there are both lost.
    raw.update(n_trials=10, n_workers=4, strategy="random", max_retries=2,
               max_boost_rounds=300, early_stopping_rounds=300,
               dask_address=cluster.scheduler_address)
    journal = tmp_path / "j.jsonl"
    done = threading.Event()
    killed = kill_a_busy_worker(cluster, journal, after=2, done=done)
    try:
        result = tune.run(TuneConfig.model_validate(raw),
                          flights_schema(small_params, splits.train), small_params.tuning_metric,
                          splits.train, splits.valid, journal)
    finally:
        done.set()
    assert killed, "no worker was killed during the study"
    assert result.n_trials == 10 and result.n_failed == 0
    log = assert_consistent(journal, 10)
    retries = [e for e in log if e["event"] == "retry"]
    assert retries, "the killed worker's trial was not retried"
    assert all("died while running trial" in e["error"] and e["error"].startswith(
        "lost by the executor: TrialLost: Dask worker tcp://") for e in retries), \
        [e["error"] for e in retries]
    again = {e["id"]: e for e in log if e["event"] == "finished"}
    # The retry ran to its end (the study's pruner may stop it at a rung, as any trial).
    assert all(again[e["id"]]["status"] in ("ok", "pruned") and again[e["id"]]["attempt"] >= 1
               for e in retries)


def crashes_its_worker(marks: Path, spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
    """Trial 2 kills the worker it first runs on (a segfault, an OOM kill); trial 5 kills every
    worker it runs on (noted in `marks`). The others sleep a little."""
    from distributed import get_worker

    name = str(get_worker().name)
    if spec.id == 5 or (spec.id == 2 and spec.attempt == 0):
        (marks / f"{spec.id}-{spec.attempt}").write_text(name)
        os._exit(1)
    time.sleep(0.3)
    return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=spec.params["x"],
                        metrics={"worker": float(name)})


def test_a_trial_that_crashes_its_worker_is_retried_elsewhere_then_recorded_failed(
        cluster: Any, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    executor = DaskExecutor(cluster.scheduler_address)
    try:
        result = run_study(partial(crashes_its_worker, marks),
                           make_strategy("random", SearchSpace.from_config(SPACE), 0, 3),
                           Journal(tmp_path / "j.jsonl"), n_trials=8, n_workers=2, seed=0,
                           executor=executor, max_retries=1)
    finally:
        executor.close()
    # Two trials at a time on four workers: one is always idle, so Dask never queues a second
    # trial behind one that is about to crash (a trial lost that way is retried too).
    assert len(result.trials) == 8 and result.retries >= 2
    assert [t.id for t in result.failed] == [5]
    assert "died while running trial 5 (KilledWorker)" in (result.failed[0].error or "")
    log = assert_consistent(tmp_path / "j.jsonl", 8)
    assert all(e["error"].startswith("lost by the executor: TrialLost: Dask worker tcp://")
               for e in log if e["event"] == "retry")
    # Trial 2's retry ran on another worker than the one it crashed.
    retried = next(t for t in result.trials if t.id == 2)
    assert retried.status == "ok" and retried.attempt == 1
    assert str(int(retried.metrics["worker"])) != (marks / "2-0").read_text()


def sleepy(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
    time.sleep(0.2)
    return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=spec.params["x"])


def one_line(exc: BaseException) -> str:
    message = str(exc)
    assert "\n" not in message and len(message) < 300, message
    return message


@pytest.mark.parametrize("how", ["scheduler gone", "no worker left"])
def test_a_cluster_that_is_gone_stops_the_study_with_one_line_naming_it(
        how: str, tmp_path: Path) -> None:
    from distributed import LocalCluster

    lost = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                        dashboard_address=":0")
    address = lost.scheduler_address
    executor = DaskExecutor(address, no_worker_grace_s=2, poll_s=0.5)
    finished: list[TrialOutcome] = []

    def on_trial(outcome: TrialOutcome) -> None:
        finished.append(outcome)
        if len(finished) == 2:
            lost.close() if how == "scheduler gone" else lost.scale(0)

    try:
        with pytest.raises(ClusterLost) as err:
            run_study(sleepy, make_strategy("random", SearchSpace.from_config(SPACE), 0, 2),
                      Journal(tmp_path / "j.jsonl"), n_trials=20, n_workers=2, seed=0,
                      executor=executor, on_trial=on_trial, max_retries=1)
    finally:
        executor.close()
        lost.close()
    message = one_line(err.value)
    assert message.startswith(f"Dask {'scheduler' if how == 'scheduler gone' else 'cluster'} "
                              f"at {address}")
    assert ("unreachable" if how == "scheduler gone" else "no worker left") in message
    # What finished is in the journal, for --resume.
    assert sum(e["event"] == "finished" for e in events(tmp_path / "j.jsonl")) >= 2


def test_no_scheduler_at_the_address_is_one_line(tmp_path: Path) -> None:
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), \
            pytest.raises(ClusterLost) as err:
        DaskExecutor("tcp://127.0.0.1:9")
    assert one_line(err.value).startswith("Dask scheduler at tcp://127.0.0.1:9 is unreachable")


def _slow(x: int) -> int:
    time.sleep(10)
    return x


def test_a_result_waited_for_after_the_last_worker_left_stops_with_one_line() -> None:
    """A test run under load hung 11 minutes in a trial's `result()`: the future's worker was
    gone, and the scheduler waits for a worker to recompute it for ever. The executor waits a
    poll at a time while the cluster has a worker, and stops with ClusterLost when it has had
    none for its grace."""
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                           dashboard_address=":0")
    executor = DaskExecutor(cluster.scheduler_address, no_worker_grace_s=2, poll_s=0.5)
    try:
        handle = executor.submit(_slow, 1)
        time.sleep(0.5)
        cluster.scale(0)
        started = time.monotonic()
        with pytest.raises(ClusterLost) as err:
            executor.result(handle)
        assert time.monotonic() - started < 8  # not the task's 10 s, nor for ever
    finally:
        executor.close()
        cluster.close()
    assert "no worker left for 2 s" in one_line(err.value)


def test_a_slow_scheduler_reply_while_waiting_for_any_trial_is_no_lost_cluster() -> None:
    """The review: waiting for any trial, one scheduler reply slower than its timeout (a
    loaded machine) raised ClusterLost and stopped the study, though the cluster was there;
    waiting for a result already counted it as no worker until the grace ran out. A fault
    injected into the real scheduler query: its first answer is a timeout."""
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                           dashboard_address=":0")
    executor = DaskExecutor(cluster.scheduler_address, no_worker_grace_s=30, poll_s=0.2)
    real, calls = executor._watch.workers, []

    def slow_once() -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise ClusterLost(f"Dask scheduler at {cluster.scheduler_address} is unreachable "
                              "(TimeoutError: slow)")
        return real()

    executor._watch.workers = slow_once  # type: ignore[method-assign]
    try:
        handle = executor.submit(_slow_for, 1.0)
        assert executor.wait_any([handle]) is handle
        assert executor.result(handle) == 1.0 and calls
    finally:
        executor.close()
        cluster.close()


def _slow_for(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
