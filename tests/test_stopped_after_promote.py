"""A run stopped after it promoted and before its last records (versioning the model stages and
the ledger's `retrained` line): the next plain run must close the decision with what the stopped
run did, not train again. Training again was gated against a champion that learnt the holdout,
promote refused, and the decision stayed pending (found by the chaos test, a kill in `record`).
Real Prefect flow runs, DVC, git and MLflow; the stop is injected into the record step."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_project, write_month
from tests.project_checks import problems
from tuneloop import jsonl
from tuneloop.config import load_params


class Stopped(Exception):
    pass


# Slow: full runs, one stopped (the default suite stays under 15 minutes on 2 cores).
@pytest.mark.slow
def test_a_run_stopped_after_promoting_is_recorded_not_retrained(
        prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows import loop
    from stages import version

    # The first window's cold tune always promotes (no champion yet): the run is stopped in
    # its record step, after promote moved the alias and before the ledger's `retrained` line.
    project = make_project(tmp_path / "project", {"policy.name": "every"})
    params = load_params(project / "params.yaml")
    real = loop.record_task

    def stops_at_the_model_stages(root, stages, *args, **kwargs):  # type: ignore[no-untyped-def]
        if stages == version.MODEL_STAGES:
            raise Stopped("the process died while versioning the retrain")
        return real(root, stages, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(loop, "record_task", stops_at_the_model_stages)
        with pytest.raises(Stopped):
            loop.tuneloop_flow(root=str(project))
    from tuneloop.champion import load_champion

    champion = load_champion(params, project)
    assert champion is not None and champion.trained_through == "000006-flights-2013-06.parquet"
    ledger = project / params.paths.decisions
    assert [e["event"] for e in jsonl.read(ledger, "ledger")][-1] == "decided"  # still pending
    journal_before = (project / params.paths.journal).read_bytes()

    again = loop.tuneloop_flow(root=str(project))
    assert again["retrain"] == "none" and again["recorded_after_stop"] == champion.version
    assert (project / params.paths.journal).read_bytes() == journal_before  # nothing trained
    last = jsonl.read(ledger, "ledger")[-1]
    assert last["event"] == "retrained" and last["promoted"] == champion.version
    assert last["batches"][-1] == "000006-flights-2013-06.parquet" and len(last["batches"]) == 6
    assert problems(project) == []  # registry, audit, ledgers, dvc status all consistent
    # And the loop goes on as usual: July is decided and retrained against v1.
    write_month(project / "data" / "incoming", 7)
    assert loop.tuneloop_flow(root=str(project))["retrain"] == "warm"
    assert problems(project) == []
    # A batch that arrives late (March rows, after July's) sits before the champion's newest
    # batch in time order: that is no sign a stopped run trained on it. It was recorded as
    # "already carried out by a stopped run" and never trained on.
    from tests.conftest import raw_month

    march = raw_month(3, 1.0)
    taken = raw_month(3)
    late = march.drop(index=taken.index).sample(n=600, random_state=1)
    late.to_parquet(project / "data" / "incoming" / "late-march.parquet", index=False)
    after_late = loop.tuneloop_flow(root=str(project))
    assert "recorded_after_stop" not in after_late
    if after_late["retrain"] == "none":
        # July's model was promoted (trained through July, the holdout a retrain now would
        # be gated on): the late batch's retrain waits for a batch later in time, and then
        # trains with it.
        assert "retrain deferred until a batch later in time arrives" in after_late["deferred"]
        assert jsonl.read(ledger, "ledger")[-1]["event"] == "decided"  # still pending
        write_month(project / "data" / "incoming", 8)
        after_late = loop.tuneloop_flow(root=str(project))
        late = ["000008-late-march.parquet", "000009-flights-2013-08.parquet"]
    else:  # July's model was kept out: the champion never learnt July, the holdout
        late = ["000008-late-march.parquet"]
    assert after_late["retrain"] == "warm" and "recorded_after_stop" not in after_late
    last = jsonl.read(ledger, "ledger")[-1]
    assert last["event"] == "retrained" and sorted(last["batches"]) == late
    assert problems(project) == []
