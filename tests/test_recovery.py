"""What a killed run leaves is put right by the next one (tuneloop.recovery): unfinished writes,
a directory swap cut between its renames, a dvc.lock or suite cut mid-write, MLflow runs left
RUNNING and a registered version the gate never decided. Real files, a real git repository and
a real SQLite MLflow registry; the kills are injected where they would land."""

# ruff: noqa: F811  (the fixtures imported from test_promote are parameters here)
from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import SMALL, write_params
from tests.test_promote import (  # noqa: F401
    alias,
    holdout,
    oracles,
    promote,
    registry_project,
    store_template,
)
from tuneloop.config import load_params
from tuneloop.io import atomic_dir, previous_dir
from tuneloop.promotion import CHAMPION, registry_files
from tuneloop.recovery import ABANDONED, clean_files, recover_registry, restore_damaged


class Killed(Exception):
    pass


def test_a_swap_cut_between_its_renames_is_restored_and_leftovers_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    params = load_params(write_params(tmp_path, SMALL))
    model_dir = tmp_path / params.paths.model_dir
    with atomic_dir(model_dir) as tmp:
        (tmp / "model.txt").write_text("v1")
    real_replace = os.replace
    calls = []

    def killed_on_second(src: Any, dst: Any) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise Killed
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", killed_on_second)
    with pytest.raises(Killed), atomic_dir(model_dir) as tmp:
        (tmp / "model.txt").write_text("v2")
    monkeypatch.setattr(os, "replace", real_replace)
    assert not model_dir.exists() and previous_dir(model_dir).is_dir()
    # A write killed before its rename, in the splits folder.
    splits = tmp_path / params.paths.splits_dir
    splits.mkdir(parents=True)
    leftover = splits / ".train.parquet.k2j3.tmp"
    leftover.write_bytes(b"PAR1 half")
    (splits / "train.parquet").write_bytes(b"whole")

    done = clean_files(params, tmp_path)
    assert (model_dir / "model.txt").read_text() == "v1"  # the last good copy is back
    assert not leftover.exists() and (splits / "train.parquet").read_bytes() == b"whole"
    assert len(done) == 2 and any("restored" in line for line in done)
    assert clean_files(params, tmp_path) == []  # nothing left to do

    # A swap that finished its renames but not its clean-up leaves a stale copy: it goes.
    previous_dir(model_dir).mkdir()
    assert clean_files(params, tmp_path) == [f"{previous_dir(model_dir)}: removed the copy a "
                                             "finished swap left"]
    assert (model_dir / "model.txt").read_text() == "v1"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_a_lock_file_or_suite_cut_mid_write_is_restored_from_the_last_commit(
        tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path, SMALL))
    suite = tmp_path / params.validate_.suite
    suite.parent.mkdir(parents=True)
    suite.write_text("columns:\n  a: {type: int}\n  b: {type: float}\n")
    lock = tmp_path / "dvc.lock"
    lock.write_text("schema: '2.0'\nstages:\n  split:\n    cmd: python -m stages.split\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "good")
    good_suite, good_lock = suite.read_text(), lock.read_text()

    lock.write_text(good_lock[:30])               # does not parse
    suite.write_text(good_suite[:25])             # parses, but was cut mid-line
    done = restore_damaged(params, tmp_path)
    assert lock.read_text() == good_lock and suite.read_text() == good_suite
    assert len(done) == 2 and all("restored from the last commit" in d for d in done)

    # A user's own edit (whole lines dropped) is not damage: it stays.
    suite.write_text("columns:\n  a: {type: int}\n")
    assert restore_damaged(params, tmp_path) == []
    assert suite.read_text() == "columns:\n  a: {type: int}\n"


def test_dead_runs_are_closed_and_undecided_versions_settled(
        holdout: pd.DataFrame, oracles: list[Path], tmp_path: Path,
        store_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """v1 champion; v2 registered, then the process died before the gate (no alias, no tag,
    no audit entry); a study's run left RUNNING; v3 decided and audited, then died before its
    tags. The next run's recovery: v2 abandoned, v3's decision finished from the audit log,
    the dead runs KILLED; the champion untouched; a second pass finds nothing."""
    import mlflow

    from tuneloop import audit, promotion

    params = registry_project(tmp_path, holdout, store_template)
    name = params.promote.model_name
    assert promote(params, tmp_path, oracles[1], holdout).promoted

    def killed(*args: Any, **kwargs: Any) -> None:
        raise Killed

    oracle = oracles[0]
    with monkeypatch.context() as patched:  # v2: registered, then killed before the gate
        patched.setattr(promotion.audit, "registry_lock", killed)
        with pytest.raises(Killed):
            promote(params, tmp_path, oracle, holdout)
    with monkeypatch.context() as patched:  # v3: decided and audited, killed before its tags
        patched.setattr(promotion, "_tag", killed)
        with pytest.raises(Killed):
            promote(params, tmp_path, oracles[4], holdout)
    client = mlflow.MlflowClient()
    stuck = client.create_run(mlflow.get_experiment_by_name(params.mlflow.experiment)
                              .experiment_id, run_name="tune")  # a study killed mid-way
    assert "decision" not in client.get_model_version(name, "2").tags

    done = recover_registry(params, tmp_path)
    tags2, tags3 = (client.get_model_version(name, v).tags for v in ("2", "3"))
    assert tags2["decision"] == ABANDONED and "stopped before the gate" in tags2["reason"]
    assert tags3["decision"] == "rejected" and tags3["action"] == "gate"
    assert client.get_run(stuck.info.run_id).info.status == "KILLED"
    assert not mlflow.search_runs(filter_string="attributes.status = 'RUNNING'",
                                  search_all_experiments=True, output_format="list")
    assert alias(params, CHAMPION) == "1"
    assert sum("marked KILLED" in d for d in done) >= 1 and len(done) >= 3
    assert recover_registry(params, tmp_path) == []

    # The abandoned version can still be judged: a manual promote gates it as usual.
    decision = promotion.promote_version(params, tmp_path, "2", holdout)
    assert decision.promoted and alias(params, CHAMPION) == "2"
    assert [e["version"] for e in audit.read(registry_files(params, tmp_path).audit_log)] == \
        ["1", "3", "2"]


def test_a_dvc_file_cut_mid_rewrite_comes_back_from_the_copy_kept_meanwhile(
        tmp_path: Path) -> None:
    """DVC rewrites dvc.lock and data/batches.dvc in place; the version stage keeps a copy of
    each while DVC runs (kept_while_rewritten). Killed mid-write: an empty dvc.lock (it parses,
    as nothing) and a cut .dvc file are put back from the copies; a rewrite that finished
    leaves only its copy, which goes."""
    from tuneloop.recovery import kept_while_rewritten

    params = load_params(write_params(tmp_path, SMALL))
    lock = tmp_path / "dvc.lock"
    lock.write_text("schema: '2.0'\nstages:\n  split:\n    cmd: python -m stages.split\n")
    batches = tmp_path / f"{params.data.batches}.dvc"
    batches.parent.mkdir(parents=True, exist_ok=True)
    batches.write_text("outs:\n- md5: 0123.dir\n  path: batches\n")
    good_lock, good_batches = lock.read_text(), batches.read_text()

    with pytest.raises(Killed), kept_while_rewritten([lock, batches]):
        lock.write_text("")                       # what the chaos test found after a kill
        batches.write_text("outs:\n- md5: 01")
        raise Killed
    done = restore_damaged(params, tmp_path)
    assert lock.read_text() == good_lock and batches.read_text() == good_batches
    assert len(done) == 2 and all("restored from the copy kept meanwhile" in d for d in done)
    assert restore_damaged(params, tmp_path) == []

    with pytest.raises(Killed), kept_while_rewritten([lock]):
        lock.write_text(good_lock + "  tune:\n    cmd: python -m stages.tune\n")
        raise Killed  # after DVC finished writing, before the copy went
    assert restore_damaged(params, tmp_path) == []
    assert "tune" in lock.read_text()
    assert not list(tmp_path.glob(".*.good"))


def test_a_batch_stored_by_an_ingest_killed_before_its_ledger_line_goes(tmp_path: Path) -> None:
    """...and only that one: a batch with no undecided source (pulled by DVC) stays."""
    from tuneloop import jsonl
    from tuneloop.recovery import orphan_batches

    params = load_params(write_params(tmp_path, SMALL))
    batches = tmp_path / params.data.batches
    batches.mkdir(parents=True)
    ledger = tmp_path / params.paths.arrivals
    assert orphan_batches(params, tmp_path) == []  # no ledger (a fresh clone): nothing touched
    for n in (1, 2):
        (batches / f"00000{n}-m{n}.parquet").write_bytes(b"PAR1")
    assert orphan_batches(params, tmp_path) == []
    jsonl.append(ledger, {"md5": "a", "accepted": True, "stored_as": f"{params.data.batches}/"
                          "000001-m1.parquet"})
    jsonl.append(ledger, {"md5": "b", "accepted": True, "stored_as": f"{params.data.batches}/"
                          "000002-m2.parquet"})
    (batches / "000003-m3.parquet").write_bytes(b"PAR1")  # killed before its ledger line
    (batches / "000004-m4.parquet").write_bytes(b"PAR1")  # pulled by DVC: no source here
    (batches / "000005-m5.parquet").write_bytes(b"PAR1")  # killed too: from m5.csv.gz
    incoming = tmp_path / params.data.incoming
    incoming.mkdir(parents=True, exist_ok=True)
    (incoming / "m3.csv").write_text("a,b\n1,2\n")          # m3's source, still undecided
    (incoming / "m5.csv.gz").write_bytes(gzip.compress(b"a,b\n3,4\n"))
    # m3 was rejected once, and its `ingest --retry` killed before the ledger line (the
    # review): a rejection leaves its source undecided, so the orphan still goes.
    from tuneloop.io import file_md5

    jsonl.append(ledger, {"md5": file_md5(incoming / "m3.csv"), "accepted": False,
                          "stored_as": None})
    done = orphan_batches(params, tmp_path)
    assert len(done) == 2, done
    assert "000003-m3.parquet" in done[0] and "m3.csv" in done[0]
    assert "000005-m5.parquet" in done[1] and "m5.csv.gz" in done[1]
    assert sorted(p.name for p in batches.iterdir()) == [
        "000001-m1.parquet", "000002-m2.parquet", "000004-m4.parquet"]


def test_a_promotion_killed_before_its_alias_moved_is_finished_by_recovery(
        holdout: pd.DataFrame, oracles: list[Path], tmp_path: Path,
        store_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate decided v2, audited it, and the process died before the alias moved: recovery
    moves it (before settling tags, which would otherwise read as the move being done)."""
    from tuneloop import promotion

    params = registry_project(tmp_path, holdout, store_template)
    assert promote(params, tmp_path, oracles[2], holdout).promoted

    def killed(*args: Any, **kwargs: Any) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(promotion, "_set_alias", killed)
        with pytest.raises(Killed):
            promote(params, tmp_path, oracles[0], holdout)
    assert alias(params, CHAMPION) == "1"
    done = recover_registry(params, tmp_path)
    assert alias(params, CHAMPION) == "2"
    assert any("v2: champion, as the audit log records" in d for d in done)
    import mlflow

    tags = mlflow.MlflowClient().get_model_version(params.promote.model_name, "2").tags
    assert tags["decision"] == "promoted"
    assert recover_registry(params, tmp_path) == []
