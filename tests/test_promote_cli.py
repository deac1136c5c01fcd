"""`tuneloop promote VERSION`, `tuneloop rollback` and `tuneloop status --json` on a real
registry; the audit log they write; the lock and log primitives underneath."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import raw_month
from tests.test_promote import (
    FLIPS,
    HOLDOUT_MONTH,
    alias,
    empty_store,
    holdout_of,
    oracle_model,
    promote,
    registry_project,
    served,
)
from tuneloop import audit
from tuneloop.errors import TuneloopError
from tuneloop.promotion import CHALLENGER, CHAMPION, registry_files
from tuneloop_cli.app import app


@pytest.fixture(scope="module")
def holdout(ingested: Any) -> pd.DataFrame:
    return holdout_of(ingested.dataset)


@pytest.fixture(scope="module")
def oracles(holdout: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("oracles")
    return [oracle_model(holdout, flip, base / f"flip{flip}") for flip in FLIPS]


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return empty_store(tmp_path_factory.getbasetemp())


def cli(root: Path, *args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--root", str(root)])


def predictions(uri: str, raw: pd.DataFrame) -> np.ndarray:
    """What the served model answers for raw rows of a batch as known at scheduling time (no
    post-departure columns; its prepare hook runs first)."""
    from tests.conftest import REPO
    from tuneloop.config import load_params

    forbid = load_params(REPO / "params.yaml").data.forbid
    return np.asarray(served(uri).predict(raw.drop(columns=[c for c in forbid if c in raw])))


@pytest.mark.slow  # ~70 s: three promotions, the CLI's refusals, a forced one, rollbacks
def test_manual_promote_force_and_rollback(holdout: pd.DataFrame, oracles: list[Path],
                                           tmp_path: Path, store_template: Path) -> None:
    params = registry_project(tmp_path, holdout, store_template)
    name = params.promote.model_name
    v1 = promote(params, tmp_path, oracles[3], holdout)   # worse: first, so champion
    v2 = promote(params, tmp_path, oracles[0], holdout)   # best: replaces it
    v3 = promote(params, tmp_path, oracles[2], holdout)   # middle: stays challenger
    assert (v1.promoted, v2.promoted, v3.promoted) == (True, True, False)
    assert alias(params, CHAMPION) == "2" and alias(params, CHALLENGER) == "3"

    refused = cli(tmp_path, "promote", "3")
    assert refused.exit_code == 1, refused.output
    assert f"{name} v3 not promoted (its aliases unchanged): holdout auc " in refused.output
    assert ": improvement -" in refused.output
    assert alias(params, CHAMPION) == "2"

    no_reason = cli(tmp_path, "promote", "3", "--force")
    assert no_reason.exit_code == 2
    assert "error: --force needs --reason: say why the gate is overridden" in no_reason.output
    missing = cli(tmp_path, "promote", "99")
    assert missing.exit_code == 2
    assert f"error: registered model '{name}' has no version '99'" in missing.output
    already = cli(tmp_path, "promote", "2")
    assert already.exit_code == 2 and f"error: {name} v2 is already the champion" in already.output

    forced = cli(tmp_path, "promote", "3", "--force", "--reason", "hotfix for a bad slice")
    assert forced.exit_code == 0, forced.output
    assert "v3 is now the champion: forced by" in forced.output
    assert "hotfix for a bad slice" in forced.output
    assert alias(params, CHAMPION) == "3" and alias(params, CHALLENGER) is None

    # Rollback: back to v2, then v1; the served champion predicts exactly as that version.
    batch = raw_month(HOLDOUT_MONTH).head(200)
    seen = {}
    for expected, before in (("2", "3"), ("1", "2")):
        result = cli(tmp_path, "rollback")
        assert result.exit_code == 0, result.output
        assert f"{name}: champion v{before} -> v{expected}" in result.output
        assert alias(params, CHAMPION) == expected
        champion = predictions(f"models:/{name}@champion", batch)
        np.testing.assert_array_equal(champion,
                                      predictions(f"models:/{name}/{expected}", batch))
        assert 0 < len(champion) <= len(batch)  # cancelled flights have no label: dropped
        seen[expected] = champion
    assert not np.array_equal(seen["2"], seen["1"])  # the alias really changed models
    nothing = cli(tmp_path, "rollback")
    assert nothing.exit_code == 2
    assert f"no earlier champion of '{name}' to roll back to" in nothing.output
    assert alias(params, CHAMPION) == "1"

    # An alias moved behind tuneloop's back makes the history unreliable: refuse, change nothing.
    import mlflow

    client = mlflow.MlflowClient()
    client.set_registered_model_alias(name, CHAMPION, "2")
    moved = cli(tmp_path, "rollback")
    assert moved.exit_code == 2
    assert ("the champion alias points at v2 but the last audited champion is v1 (the alias was "
            "moved outside tuneloop)") in moved.output
    assert alias(params, CHAMPION) == "2"
    flagged = cli(tmp_path, "status", "--json")  # and status says so
    assert flagged.exit_code == 0, flagged.output
    moved_note = json.loads(flagged.stdout.strip().splitlines()[-1])["moved_outside_tuneloop"]
    assert moved_note.startswith("the champion alias points at v2 but the audit log's last "
                                 "champion is v1: moved outside tuneloop")
    # What status says to do records the move (it refused: "v2 is already the champion").
    recorded = cli(tmp_path, "promote", "2", "--force", "--reason", "moved in the UI")
    assert recorded.exit_code == 0, recorded.output
    assert cli(tmp_path, "status", "--json").stdout.count('"moved_outside_tuneloop": null') == 1
    back = cli(tmp_path, "rollback")
    assert back.exit_code == 0 and alias(params, CHAMPION) == "1", back.output

    entries = audit.read(registry_files(params, tmp_path).audit_log)
    assert [(e["action"], e["version"], e["champion_before"], e["champion_after"])
            for e in entries] == [
        ("gate", "1", None, "1"), ("gate", "2", "1", "2"), ("gate", "3", "2", "2"),
        ("manual", "3", "2", "2"), ("force", "3", "2", "3"),
        ("rollback", "2", "3", "2"), ("rollback", "1", "2", "1"), ("force", "2", "1", "2"),
        ("rollback", "1", "2", "1")]
    assert entries[7]["reason"].endswith("records the champion alias moved to v2 outside "
                                         "tuneloop (the audit log's champion was v1)")
    for entry in entries:
        assert entry["time"] and entry["reason"]
    gated = entries[1]
    assert gated["metric"] == "auc" and gated["margin"] == 0.0
    assert gated["ci"][0] > 0 and gated["delta"] > 0
    assert gated["challenger_metrics"]["auc"] > gated["champion_metrics"]["auc"]
    assert "hotfix for a bad slice" in entries[4]["reason"]

    status = cli(tmp_path, "status", "--json")
    assert status.exit_code == 0, status.output
    info = json.loads(status.stdout.strip().splitlines()[-1])
    assert info["champion"]["version"] == "1"
    assert info["moved_outside_tuneloop"] is None
    assert info["challenger"] is None  # v3 left the challenger alias when forced in
    assert info["last_decision"]["action"] == "rollback"
    assert info["reason"] == info["last_decision"]["reason"] == "rollback from v2 to v1"


def test_a_champion_refit_on_the_holdout_is_not_gated_on_it(
        holdout: pd.DataFrame, oracles: list[Path], tmp_path: Path,
        store_template: Path) -> None:
    """v2 was promoted, then refit on the holdout rows for serving; `tuneloop promote 1` scored
    that refit on rows it had learnt (rmse 472.87 against the 530.27 it had scored there) and
    kept v1 out, leaving it the challenger. A rollback to v1 then showed v1 as champion and
    as challenger. The champion side is refused as the challenger side is, and a version made
    champion leaves the challenger alias."""
    import mlflow

    from tuneloop.io import write_json
    from tuneloop.promotion import TRAINED_THROUGH
    from tuneloop.records import HOLDOUT_BATCHES

    params = registry_project(tmp_path, holdout, store_template)
    name, client = params.promote.model_name, mlflow.MlflowClient()
    batches = tmp_path / params.data.batches
    batches.mkdir(parents=True, exist_ok=True)
    names = [f"{n:06d}-m{n:02d}.parquet" for n in range(1, 8)]
    for month, file in enumerate(names, start=1):  # in time order as in arrival order
        pd.DataFrame({params.data.time: pd.date_range(f"2013-{month:02d}-01", periods=2,
                                                      freq="h")}).to_parquet(batches / file)
    splits = tmp_path / params.paths.splits_dir
    write_json(splits / HOLDOUT_BATCHES, [names[5]])  # the holdout is June's batch
    assert promote(params, tmp_path, oracles[2], holdout).promoted   # v1, fit through May
    assert promote(params, tmp_path, oracles[0], holdout).promoted   # v2, refit on June
    client.set_model_version_tag(name, "1", TRAINED_THROUGH, names[4])
    client.set_model_version_tag(name, "2", TRAINED_THROUGH, names[5])
    log = registry_files(params, tmp_path).audit_log
    logged, tags = log.read_bytes(), [client.get_model_version(name, v).tags for v in "12"]

    refused = cli(tmp_path, "promote", "1")
    assert refused.exit_code == 2, refused.output  # as for a challenger that learnt it
    assert refused.output.strip().splitlines() == [
        f"error: the champion {name} v2 was trained through {names[5]}, which covers the "
        f"holdout the gate scores on ({names[5]}): it would be judged on rows it learnt, so v1 "
        "is not compared with it; the next retrain scores on a newer one (`tuneloop promote 1 "
        "--force --reason ...` overrides)"]
    assert (alias(params, CHAMPION), alias(params, CHALLENGER)) == ("2", None)
    assert log.read_bytes() == logged  # nothing decided, nothing written
    assert [client.get_model_version(name, v).tags for v in "12"] == tags

    # A retrain on July's batch gives a holdout neither learnt: v1 is gated, and kept out.
    write_json(splits / HOLDOUT_BATCHES, [names[6]])
    gated = cli(tmp_path, "promote", "1")
    assert gated.exit_code == 1 and f"{name} v1 not promoted" in gated.output, gated.output
    # Kept out by hand, v1 takes no alias and keeps its own run's decision (sweep 8); the
    # verdict is in the audit log and the version's manual_* tags.
    assert (alias(params, CHAMPION), alias(params, CHALLENGER)) == ("2", None)
    v1 = client.get_model_version(name, "1").tags
    assert v1["decision"] == tags[0]["decision"] and v1["manual_decision"] == "rejected"
    # Rolled back to, v1 is the champion and no longer the challenger.
    rolled = cli(tmp_path, "rollback")
    assert rolled.exit_code == 0, rolled.output
    assert (alias(params, CHAMPION), alias(params, CHALLENGER)) == ("1", None)
    status = cli(tmp_path, "status", "--json")
    info = json.loads(status.stdout.strip().splitlines()[-1])
    assert info["champion"]["version"] == "1" and info["challenger"] is None, info

    # Forced back in on June's holdout, which v2 learnt: the figures are printed and logged,
    # and the reason says they flatter v2 (sweep 8: they were shown as if they meant something).
    write_json(splits / HOLDOUT_BATCHES, [names[5]])
    forced = cli(tmp_path, "promote", "2", "--force", "--reason", "back to v2")
    assert forced.exit_code == 0, forced.output
    assert (f"; but v2 has learnt these holdout rows ({names[5]}), so its figures flatter "
            "it)") in forced.output, forced.output
    assert "the champion v1 has learnt" not in forced.output
    assert alias(params, CHAMPION) == "2"


def test_audit_append_is_complete_under_threads(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"

    def writer(i: int) -> None:
        for j in range(25):
            audit.append(log, {"writer": i, "n": j, "payload": "x" * 5000})

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = audit.read(log)
    assert len(entries) == 200
    assert {(e["writer"], e["n"]) for e in entries} == {(i, j) for i in range(8)
                                                         for j in range(25)}


def test_audit_read_errors_and_history(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    assert audit.read(log) == []
    log.write_text('{"a": 1}\n{"a": 2}\n{"a": 3')  # torn last line: a crash mid-append
    assert audit.read(log) == [{"a": 1}, {"a": 2}]
    audit.append(log, {"a": 4, "time": "t"})  # the torn line is dropped, not glued onto
    assert audit.read(log) == [{"a": 1}, {"a": 2}, {"a": 4, "time": "t"}]
    log.write_text('{"a": 1')
    audit.append(log, {"a": 5, "time": "t"})
    assert audit.read(log) == [{"a": 5, "time": "t"}]
    log.write_text('{"a": 1}\nnot json\n{"a": 3}\n')
    with pytest.raises(TuneloopError, match=r"audit.jsonl: line 2 is not valid JSON"):
        audit.read(log)

    def e(action: str, before: str | None, after: str | None) -> dict[str, Any]:
        return {"model_name": "m", "action": action, "champion_before": before,
                "champion_after": after}

    entries = [e("gate", None, "1"), e("gate", "1", "2"), e("gate", "2", "2"),
               e("force", "2", "4"), e("rollback", "4", "2"), e("gate", "2", "5")]
    assert audit.champion_history(entries, "m") == ["1", "2"]
    assert audit.champion_history(entries, "other") == []


def test_registry_lock_times_out_with_a_clear_message(tmp_path: Path) -> None:
    lock = tmp_path / "mlflow.db.lock"
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with audit.registry_lock(lock, 5):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    try:
        with pytest.raises(audit.RegistryBusy, match=r"mlflow.db.lock: registry lock still held "
                                                     r"after 0.2 s \(promote.lock_timeout_s\)"):
            with audit.registry_lock(lock, 0.2):
                pass
    finally:
        release.set()
        thread.join()
    with audit.registry_lock(lock, 1):  # free again
        pass


def test_status_says_a_champion_another_family_beat_at_its_evaluation(
        holdout: pd.DataFrame, oracles: list[Path], tmp_path: Path,
        store_template: Path) -> None:
    """The second review (57s F5): a champion tagged family_better is re-tuned, not refit, at
    the next triggered batch (policy.decide); status said nothing of it, only the next
    decision's reason did."""
    import mlflow

    from tuneloop.promotion import FAMILY_BETTER

    params = registry_project(tmp_path, holdout, store_template)
    assert promote(params, tmp_path, oracles[0], holdout).promoted
    plain = json.loads(cli(tmp_path, "status", "--json").stdout.strip().splitlines()[-1])
    assert "champion_family_better" not in plain
    said = "the linear family's best trial held out at auc 0.71, better than the choice's 0.70"
    mlflow.MlflowClient().set_model_version_tag(params.promote.model_name, "1", FAMILY_BETTER,
                                                said)
    info = json.loads(cli(tmp_path, "status", "--json").stdout.strip().splitlines()[-1])
    assert info["champion_family_better"] == said
    text = cli(tmp_path, "status")
    assert text.exit_code == 0 and f"at the champion's evaluation {said}: policy auto " \
        "re-tunes (warm) at the next triggered batch rather than refit it" in text.output, \
        text.output
