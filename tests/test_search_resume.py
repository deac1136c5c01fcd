"""kill -9 a real study subprocess mid-run, then resume: every finished trial survives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

CHILD = textwrap.dedent("""
    import sys, time
    from tuneloop.config import DimensionConfig
    from tuneloop.search import Journal, SearchSpace, TrialOutcome, make_strategy, run_study

    def objective(spec, ctx):
        for step in range(1, 6):
            time.sleep(0.04)
            ctx.report(step, spec.params["x"] * step / 5)
        return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=spec.params["x"])

    space = SearchSpace.from_config({
        "x": DimensionConfig(type="real", low=0.0, high=1.0),
        "k": DimensionConfig(type="categorical", choices=["a", "b"]),
    })
    result = run_study(objective, make_strategy("gp", space, 4, 3), Journal(sys.argv[1]),
                       n_trials=int(sys.argv[2]), n_workers=2, seed=4,
                       resume=sys.argv[3] == "resume")
    print("DONE", len(result.trials), result.stop_reason)
""")


def finished(journal: Path) -> dict[int, dict]:
    out = {}
    for line in journal.read_text().splitlines(keepends=True):
        if line.endswith("\n"):
            event = json.loads(line)
            if event["event"] == "finished":
                out[event["id"]] = event
    return out


def test_sigkill_then_resume_keeps_every_finished_trial(tmp_path: Path) -> None:
    journal = tmp_path / "trials.jsonl"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    n_trials = 14
    child = subprocess.Popen([sys.executable, str(script), str(journal), str(n_trials), "new"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if journal.exists() and len(finished(journal)) >= 4:
            break
        assert child.poll() is None, child.stdout.read().decode()  # type: ignore[union-attr]
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    before = finished(journal)
    assert 4 <= len(before) < n_trials

    resumed = subprocess.run(
        [sys.executable, str(script), str(journal), str(n_trials), "resume"],
        env=env, capture_output=True, text=True, timeout=300, check=True)
    assert f"DONE {n_trials} max_trials" in resumed.stdout
    after = finished(journal)
    assert sorted(after) == list(range(n_trials))  # ids are dense: nothing proposed twice
    for tid, event in before.items():
        assert after[tid] == event  # kept as journalled, not re-run
    # Each trial is journalled as finished exactly once.
    lines = [json.loads(x) for x in journal.read_text().splitlines() if x.endswith("}")]
    ids = [e["id"] for e in lines if e["event"] == "finished"]
    assert len(ids) == len(set(ids)) == n_trials


def test_a_damaged_journal_line_is_a_one_line_error(tmp_path: Path) -> None:
    from tuneloop.errors import DataError
    from tuneloop.search import Journal

    journal = Journal(tmp_path / "trials.jsonl")
    journal.append({"event": "study", "seed": 1})
    with journal.path.open("a") as fh:
        fh.write("{not json\n")
    journal.append({"event": "proposed", "id": 0})
    with pytest.raises(DataError, match=r"trials.jsonl: line 2 is not valid JSON"):
        list(journal.events())


def test_a_torn_last_line_is_skipped_and_cut_before_the_next_append(tmp_path: Path) -> None:
    """What kill -9 mid-write leaves: a last line without its newline. Reading skips it; the
    next append cuts it first, so the new event is not glued onto half an event."""
    from tuneloop.search import Journal

    journal = Journal(tmp_path / "trials.jsonl")
    journal.append({"event": "study", "seed": 1})
    with journal.path.open("a") as fh:
        fh.write('{"event": "finished", "id": 0, "val')
    assert [e["event"] for e in journal.events()] == ["study"]
    journal.append({"event": "proposed", "id": 0})
    events = list(journal.events())
    assert [{k: v for k, v in e.items() if k != "at"} for e in events] == [
        {"event": "study", "seed": 1}, {"event": "proposed", "id": 0}]
    assert all(e["at"].endswith("+00:00") for e in events)  # every event in UTC
    assert journal.path.read_text().count("\n") == 2


def test_a_study_fsyncs_once_per_trial_at_its_result(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A proposal is written unsynced (a kill loses no written line; the trial's result, synced,
    makes its proposal durable too): one fsync per trial, not two, on the runner's thread that
    every trial slot waits on. The journal is the same, line for line."""
    from tuneloop.config import DimensionConfig
    from tuneloop.search import Journal, SearchSpace, TrialOutcome, make_strategy, run_study

    synced: list[bytes] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(os.pread(fd, 1 << 16, 0).splitlines()[-1])
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)

    def objective(spec, ctx):
        return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=spec.params["x"])

    space = SearchSpace.from_config({"x": DimensionConfig(type="real", low=0.0, high=1.0)})
    journal = Journal(tmp_path / "trials.jsonl")
    run_study(objective, make_strategy("random", space, 3, 2), journal, n_trials=6,
              n_workers=2, seed=3)
    kinds = [e["event"] for e in journal.events()]
    assert kinds.count("proposed") == 6 and kinds.count("finished") == 6
    last_lines = [json.loads(line)["event"] for line in synced]
    assert last_lines == ["study"] + ["finished"] * 6  # each sync ends on a result


def test_an_unsynced_append_after_a_torn_tail_still_cuts_it(tmp_path: Path) -> None:
    from tuneloop import jsonl

    path = tmp_path / "log.jsonl"
    jsonl.append(path, {"a": 1})
    with path.open("a") as fh:
        fh.write('{"a": 2, "b')
    jsonl.append(path, {"a": 3}, sync=False)
    assert [e["a"] for e in jsonl.read(path)] == [1, 3]
    assert path.read_text().endswith("\n")
