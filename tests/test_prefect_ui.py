"""What the Prefect UI shows of a study, read back from Prefect's API: each trial's task run
ends as the trial did (Completed, Pruned, Failed with its error), on threads and on Dask, while
the study gets the same outcomes as without Prefect; and the run summary's pieces (flow-run
name, top-trials table, markdown page) say what the journal and the stages said."""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tuneloop.config import DimensionConfig
from tuneloop.promotion import Decision
from tuneloop.records import TuneResult
from tuneloop.run_summary import markdown, run_name, top_trials
from tuneloop.search import (
    Journal,
    SearchSpace,
    TrialContext,
    TrialOutcome,
    TrialPruned,
    TrialSpec,
    make_strategy,
    run_study,
)

SPACE = {"x": DimensionConfig(type="real", low=0.0, high=1.0)}
NAME = re.compile(r"^(?P<project>.+)-(?P<trigger>manual|schedule|drift)-(?P<at>\d{8}-\d{4})$")
# The state each trial status ends its task run in (name, Prefect state type).
STATE = {"ok": ("Completed", "COMPLETED"), "pruned": ("Pruned", "COMPLETED"),
         "failed": ("Failed", "FAILED")}


def task_runs(flow_run_id: Any, count: int, prefix: str = "trial-",
              seconds: float = 60) -> list[Any]:
    """The flow run's task runs named `prefix...`, once `count` of them are final. Task runs
    reach the server through its event pipeline, after the flow returns: read until they are
    there (or `seconds` passed)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + seconds
    while True:
        with get_client(sync_client=True) as client:
            runs = [r for r in client.read_task_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[flow_run_id]))) if r.name.startswith(prefix)]
        final = [r for r in runs if r.state is not None and r.state.is_final()]
        if len(final) >= count or time.monotonic() > deadline:
            return final
        time.sleep(0.5)


def expected_states(journal: Path) -> Counter[tuple[str, str, str]]:
    """(task-run name, state name, state type) for every run of every trial in a journal: a
    retried attempt ended Failed, the last one as the trial finished."""
    expected: Counter[tuple[str, str, str]] = Counter()
    for event in Journal(journal).events():
        if event["event"] in ("retry", "finished"):
            expected[(f"trial-{event['id']}", *STATE[event["status"]])] += 1
    return expected


def seen_states(runs: list[Any]) -> Counter[tuple[str, str, str]]:
    return Counter((r.name, r.state.name, r.state.type.value) for r in runs)


def toy(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
    """Trial 3k completes, 3k+1 is pruned at its first rung, 3k+2 raises (every attempt)."""
    if spec.id % 3 == 1:
        raise TrialPruned(10, 0, -0.25)  # a loss of 0.25, maximised
    if spec.id % 3 == 2:
        raise ValueError(f"boom {spec.id}")
    return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=float(spec.params["x"]))


def toy_study(journal: Path, executor: Any) -> Any:
    try:
        return run_study(toy, make_strategy("random", SearchSpace.from_config(SPACE), 0, 2),
                         Journal(journal), n_trials=6, n_workers=2, seed=0, executor=executor,
                         max_retries=1, describe=lambda v: f"logloss {-v:.5g}")
    finally:
        if executor is not None:
            executor.close()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=":0") as running:
        yield running


@pytest.mark.parametrize("on", ["threads", "dask"])
def test_trial_task_runs_end_as_the_trials_did(prefect_server: None, cluster: Any,
                                               tmp_path: Path, on: str) -> None:
    from prefect import flow

    from flows.trials import PrefectTrialExecutor

    # The flow's context goes to the Dask workers: it may hold the address, not the cluster.
    @flow(name="prefect-ui-test")
    def study(address: str | None) -> tuple[Any, str]:
        from prefect.runtime import flow_run

        executor = PrefectTrialExecutor()
        if address is not None:
            executor = executor.with_dask(address)
        return toy_study(tmp_path / "prefect.jsonl", executor), flow_run.id

    result, flow_run_id = study(cluster.scheduler_address if on == "dask" else None)
    plain = toy_study(tmp_path / "plain.jsonl", None)  # the same study without Prefect
    # The study got the same outcomes: a failed trial retried once, then failed for good.
    assert [(t.id, t.status) for t in result.trials] == [(t.id, t.status) for t in plain.trials]
    assert [t.status for t in result.trials] == ["ok", "pruned", "failed"] * 2
    assert result.retries == plain.retries == 2
    assert result.pruned[0].rung == 0 and result.failed[0].error.startswith("ValueError: boom 2")

    journal = tmp_path / "prefect.jsonl"
    expected = expected_states(journal)
    runs = task_runs(uuid.UUID(flow_run_id), sum(expected.values()))
    assert seen_states(runs) == expected
    failed = [r for r in runs if r.state.is_failed()]
    assert len(failed) == 4
    assert all(r.state.message.startswith(f"ValueError: boom {r.name.split('-')[1]}")
               for r in failed)
    assert {r.state.message for r in runs if r.state.name == "Pruned"} == {
        "pruned at rung 0 (logloss 0.25)"}  # the metric's own terms (sweep 51c F1)


def test_flow_run_names_follow_one_scheme() -> None:
    at = datetime(2026, 3, 1, 6, 5, 59, tzinfo=UTC)
    assert run_name("flights", "schedule", at) == "flights-schedule-20260301-0605"
    assert NAME.match(run_name("my-project", "drift", at)).group("project") == "my-project"


def _journal(path: Path) -> Path:
    events = [
        TrialOutcome(0, {"lr": 0.1, "leaves": 31}, 1, "ok", value=-0.5, seconds=1.234),
        TrialOutcome(1, {"lr": 0.3, "leaves": 15}, 1, "pruned", value=-0.4, rung=0,
                     seconds=0.2),
        TrialOutcome(2, {"lr": 0.05, "leaves": 63}, 1, "failed", error="ValueError: x"),
        TrialOutcome(3, {"lr": 0.02, "leaves": 7}, 1, "ok", value=-0.45, seconds=2.0),
    ]
    journal = Journal(path)
    journal.append({"event": "study", "seed": 1, "n_trials": 4})
    for outcome in events:
        journal.append({"event": "finished", **outcome.to_dict()})
    return path


def test_top_trials_rank_completed_then_pruned_in_the_metrics_terms(tmp_path: Path) -> None:
    rows = top_trials(_journal(tmp_path / "trials.jsonl"), "logloss")
    # logloss is a loss: the study maximised -logloss; the table shows logloss itself.
    assert [(r["trial"], r["logloss"], r["state"]) for r in rows] == [
        (3, 0.45, "Completed"), (0, 0.5, "Completed"), (1, 0.4, "Pruned (rung 0)")]
    assert rows[0] == {"trial": 3, "logloss": 0.45, "state": "Completed", "seconds": 2.0,
                       "lr": 0.02, "leaves": 7}
    assert len(top_trials(tmp_path / "trials.jsonl", "logloss", n=1)) == 1


def test_the_run_page_says_what_the_stages_said() -> None:
    check = {"decided": [{"batch": "000007-flights-2013-07.parquet", "action": "warm",
                          "reason": "drifted features carry 31% of the importance"}],
             "retrain": "warm", "pending": [], "drifted_features": ["dep_hour"],
             "requested": True}
    tuned = TuneResult(best_params={}, best_value=0.7612, best_trial=7, best_iteration=40,
                       best_seed=1, metric="auc", n_trials=8, n_failed=1, study_seed=42,
                       parent_run_id=None, n_pruned=3, mode="warm")
    decision = Decision(model_name="m", version="3", promoted=False, metric="auc",
                        reason="holdout auc improvement 0.0010 within the margin",
                        challenger={"auc": 0.76}, champion_version="2", delta=0.001,
                        ci=[-0.002, 0.004], margin=0.002)
    page = markdown(project="flights", trigger="drift", dataset_version="abc123", rows=12345,
                    action="warm", check=check, tuned=tuned, holdout={"auc": 0.7601},
                    decision=decision)
    for text in ("# flights: drift run", "`abc123` (12,345 rows)",
                 "`000007-flights-2013-07.parquet`: **warm**: drifted features carry 31%",
                 "Drifted features (newest batch): `dep_hour`", "Retrain carried out: **warm**",
                 "8 trials: 4 completed, 3 pruned, 1 failed", "Best validation auc: **0.7612** "
                 "(trial 7)", "auc 0.7601", "version 3 **rejected by the gate**, kept as "
                 "challenger against champion version 2: holdout auc improvement",
                 "delta +0.0010 (CI -0.0020..+0.0040"):
        assert text in page, text
    quiet = markdown(project="flights", trigger="schedule", dataset_version="abc123", rows=1,
                     action="none", check={**check, "decided": []})
    assert "- no new batch" in quiet and "## Tuning" not in quiet
