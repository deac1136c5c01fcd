"""A copied or moved project keeps its MLflow artifacts where it now is.

MLflow stores an experiment's artifact location (and each run's, logged model's and model
version's) as an absolute URI when it is created: after `cp -r` or `mv` of a project, every new
run would keep writing into the old folder, and the registry would load its champion from
there. The store is the project's own SQLite file, so the stored prefix is rewritten to the
folder the project has now, in one transaction. Only rows under the old prefix change.
"""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from tuneloop.errors import ConfigError, StoreError
from tuneloop.tracking import SQLITE_PREFIX

# (table, column) pairs holding artifact URIs, as MLflow 3's SQLAlchemy store names them.
LOCATIONS = (("experiments", "artifact_location"), ("runs", "artifact_uri"),
             ("logged_models", "artifact_location"), ("model_versions", "storage_location"),
             ("model_versions", "source"))


def follow_the_project(tracking_uri: str, root: Path, artifact_root: str, old_location: str,
                       new_root: Path) -> int:
    """Re-point the store when the project itself moved: its SQLite file lies inside the
    project and the old location is the same `artifact_root` under another folder. Anything
    else (a changed `mlflow.artifact_root`, a store outside the project shared by clones) is
    not a move: rewriting would point old runs at a folder without their files, so it stops
    with one line instead."""
    db = Path(tracking_uri[len(SQLITE_PREFIX):]) if tracking_uri.startswith(SQLITE_PREFIX) \
        else None
    relative = "/" + Path(artifact_root).as_posix().strip("/")
    moved = (db is not None and db.resolve().is_relative_to(root.resolve())
             and old_location.rstrip("/").endswith(relative))
    if not moved:
        raise ConfigError(
            f"mlflow: the experiment stores its artifacts in {old_location}, not in "
            f"{new_root.as_uri()} (mlflow.artifact_root): MLflow cannot move an experiment's "
            "artifact location; set mlflow.artifact_root back, or use a new mlflow.experiment")
    return relocate_artifacts(tracking_uri, old_location, new_root)


def relocate_artifacts(tracking_uri: str, old_location: str, new_root: Path) -> int:
    """Rewrite every stored URI under `old_location` to lie under `new_root`; return the number
    of rows changed. A store that cannot be written stops with one line naming it."""
    db = tracking_uri[len(SQLITE_PREFIX):]
    new_location = new_root.as_uri()
    old = old_location.rstrip("/")
    changed = 0
    try:
        conn = sqlite3.connect(db, timeout=20)
        with closing(conn), conn:  # committed on success, rolled back on error, then closed
            conn.execute("BEGIN IMMEDIATE")
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            for table, column in LOCATIONS:
                if table not in tables:
                    continue
                # Exactly the old folder or below it (not a sibling sharing its prefix).
                changed += conn.execute(
                    f"UPDATE {table} SET {column} = ? || substr({column}, ?) "  # noqa: S608
                    f"WHERE {column} = ? OR substr({column}, 1, ?) = ?",
                    (new_location, len(old) + 1, old, len(old) + 1, old + "/")).rowcount
    except sqlite3.Error as exc:
        raise StoreError(f"{db}: cannot re-point the MLflow artifact location from {old} to "
                         f"{new_location} ({type(exc).__name__}: {exc})") from None
    new_root.mkdir(parents=True, exist_ok=True)
    print(f"mlflow: artifact location moved with the project: {old} -> {new_location} "
          f"({changed} stored locations)", file=sys.stderr)
    return changed
