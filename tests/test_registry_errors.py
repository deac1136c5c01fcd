"""A registry that cannot answer is never read as "no champion": a locked or unreadable store
stops the decision with one line naming the store, and leaves the champion, the audit log and
rollback as they were. The store is a real SQLite MLflow registry; the faults are injected into
it (a call that fails as SQLite's busy store fails) or made for real (another connection holding
the database with BEGIN EXCLUSIVE)."""

# ruff: noqa: F811  (the fixtures imported from test_promote are parameters here)
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.test_promote import (  # noqa: F401
    alias,
    holdout,
    oracles,
    promote,
    registry_project,
    store_template,
)
from tuneloop.errors import StoreError
from tuneloop.promotion import CHAMPION, registry_files

LOCKED = "(sqlite3.OperationalError) database is locked"


def _three_versions(root: Path, holdout: pd.DataFrame, oracles: list[Path],
                    store_template: Path) -> Any:
    """v1 champion, then v2 (better) champion, then v3 (worse) rejected: a champion with a
    history to roll back to and a challenger to promote by hand."""
    params = registry_project(root, holdout, store_template, {"mlflow.store_retries": 2})
    assert promote(params, root, oracles[2], holdout).promoted
    assert promote(params, root, oracles[0], holdout).promoted
    assert not promote(params, root, oracles[4], holdout).promoted
    assert alias(params, CHAMPION) == "2"
    return params


def _busy(*args: Any, **kwargs: Any) -> Any:
    from mlflow.exceptions import MlflowException

    raise MlflowException(LOCKED, error_code="TEMPORARILY_UNAVAILABLE")


@pytest.mark.slow  # ~45 s: one aborted promotion per injected store error, each re-checked
def test_a_busy_registry_during_a_gated_promote_aborts_the_decision(
        holdout: pd.DataFrame, oracles: list[Path], tmp_path: Path, store_template: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The champion lookup fails past every retry (or with an error no retry fixes): the gated
    `promote 3` stops with one line, v3 is not champion, the audit log is byte-for-byte the
    same, and rollback still walks back to v1 afterwards."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from tuneloop import promotion

    params = _three_versions(tmp_path, holdout, oracles, store_template)
    log = registry_files(params, tmp_path).audit_log
    before = log.read_bytes()
    for error, tries in ((LOCKED, 2), ("(sqlite3.OperationalError) disk I/O error", 1)):
        calls: list[str] = []

        def failing(self: Any, name: str, alias_: str, error: str = error,
                    calls: list[str] = calls) -> Any:
            calls.append(alias_)
            raise MlflowException(error, error_code="TEMPORARILY_UNAVAILABLE")

        with monkeypatch.context() as patched:
            patched.setattr(mlflow.MlflowClient, "get_model_version_by_alias", failing)
            with pytest.raises(StoreError) as caught:
                promotion.promote_version(params, tmp_path, "3", holdout)
        message = str(caught.value)
        assert "\n" not in message and "mlflow.db" in message
        assert ("stayed locked" in message) == (error == LOCKED)
        assert len(calls) == tries  # mlflow.store_retries tries for a busy store, no more
        assert alias(params, CHAMPION) == "2"
        assert log.read_bytes() == before
    client = mlflow.MlflowClient()
    assert client.get_model_version(params.promote.model_name, "3").tags["decision"] == \
        "rejected"

    _cli_promote_against_a_held_store(tmp_path)
    assert alias(params, CHAMPION) == "2"
    assert log.read_bytes() == before

    entry = promotion.rollback(params, tmp_path, "after the busy store")
    assert entry["champion_after"] == "1" and alias(params, CHAMPION) == "1"


def _cli_promote_against_a_held_store(root: Path) -> None:
    """A real lock: another connection holds the SQLite store with BEGIN EXCLUSIVE for the
    whole of `tuneloop promote 3`. MLflow waits its busy timeout (20 s) on the one try that
    mlflow.store_retries allows, then the command exits 1 with one line naming the store."""
    import yaml

    raw = yaml.safe_load((root / "params.yaml").read_text())
    raw["mlflow"]["store_retries"] = 1
    (root / "params.yaml").write_text(yaml.safe_dump(raw))
    db = root / ".tuneloop" / "mlflow.db"
    holder = sqlite3.connect(db, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("tuneloop")), "promote", "3", "--root",
             str(root)], capture_output=True, text=True, timeout=300)
    finally:
        holder.rollback()
        holder.close()
    assert done.returncode == 2, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and str(db) in lines[0] and "locked" in lines[0], \
        done.stderr[-3000:]
    assert "Traceback" not in done.stderr


def test_status_and_lineage_report_a_busy_registry_not_an_empty_one(
        holdout: pd.DataFrame, oracles: list[Path], tmp_path: Path,
        store_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    from tuneloop.champion import load_champion
    from tuneloop.lineage import model_lineage
    from tuneloop.registry_view import _version_info

    params = registry_project(tmp_path, holdout, store_template, {"mlflow.store_retries": 1})
    name = params.promote.model_name
    client = mlflow.MlflowClient()
    # The definite answer first: an empty registry has no champion.
    assert _version_info(client, name, CHAMPION) is None
    assert load_champion(params, tmp_path) is None
    monkeypatch.setattr(mlflow.MlflowClient, "get_model_version_by_alias", _busy)
    for call in (lambda: _version_info(client, name, CHAMPION),
                 lambda: load_champion(params, tmp_path),
                 lambda: model_lineage(f"models:/{name}@champion")):
        with pytest.raises(StoreError) as caught:
            call()
        assert "\n" not in str(caught.value) and "locked" in str(caught.value)
