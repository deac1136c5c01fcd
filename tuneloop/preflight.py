"""Before any stage runs: the resources a run writes to are there and writable.

The MLflow store (SQLite: its folder writable, the database not read-only and not held by
another writer past MLflow's own busy wait), the artifact root, and the DVC remote (a local
remote must exist and be writable; a missing one is re-created only for a project that never
pushed to it (.tuneloop/dvc-pushes.json records the first push), since re-creating it would
silently drop every older version). Each
problem is a StoreError, one line naming the resource, raised before anything is ingested or
trained: a read-only store is found at the start, not after four stages ran.

A tracking server (http:// or https://) must answer at all: MLflow's own client retries an
unreachable one for about four minutes before it says so. Non-local DVC remotes (s3://,
ssh://, ...) are not probed here: their own clients report them, as one line, when the step
that uses them runs.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tuneloop.config import Params
from tuneloop.errors import StoreError
from tuneloop.tracking import SQLITE_PREFIX, resolve_uri

BUSY_WAIT_S = 20.0  # as long as MLflow's own busy timeout
SERVER_TRIES = (0.0, 1.0, 3.0)  # seconds before each try: a server restarting gets ~4 s
SERVER_TIMEOUT_S = 5.0


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


def writable_dir(path: Path, what: str) -> None:
    """The folder exists (created if not) and a file can be made in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".tuneloop-preflight-", suffix=".tmp", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise StoreError(f"{path}: {what} is not writable ({exc.strerror or _first_line(exc)})"
                         ) from None


def sqlite_store(db: Path, busy_wait_s: float = BUSY_WAIT_S) -> None:
    """The database takes a write transaction (begun and rolled back: nothing is written)."""
    writable_dir(db.parent, "the MLflow store's folder")
    if not db.exists():
        return  # MLflow creates it; the folder is writable
    try:
        conn = sqlite3.connect(f"file:{db}?mode=rw", uri=True, timeout=busy_wait_s,
                               isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"{db}: cannot open the MLflow store ({_first_line(exc)})") from None
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        text = _first_line(exc)
        why = (f"locked by another process for over {busy_wait_s:g} s" if "locked" in text
               else "read-only" if "readonly" in text.replace(" ", "") else text)
        raise StoreError(f"{db}: the MLflow store is {why} ({text})") from None
    finally:
        conn.close()
    # The journal SQLite writes beside the database must be creatable too (an immutable or
    # read-only database file passes BEGIN IMMEDIATE on some systems, then fails on commit).
    try:
        with open(db, "r+b"):
            pass
    except OSError as exc:
        raise StoreError(f"{db}: the MLflow store is read-only ({exc.strerror})") from None


PUSHES = ".tuneloop/dvc-pushes.json"  # the local remotes this project has pushed to


def record_push(root: Path) -> None:
    """Called after each successful `dvc push`: the remote now holds versions of this project,
    so its disappearance is an error, not a fresh start."""
    from tuneloop.io import read_json, write_json

    remote = local_remote(root)
    if remote is None:
        return
    path = root / PUSHES
    pushed = read_json(path) if path.exists() else {}
    if str(remote) not in pushed:
        write_json(path, {**pushed, str(remote): datetime.now(UTC).isoformat(timespec="seconds")})


def _pushed_to(root: Path, remote: Path) -> str | None:
    """When this project first pushed to `remote` (None: never)."""
    from tuneloop.io import read_json

    path = root / PUSHES
    if not path.exists():
        return None
    try:
        pushed = read_json(path)
    except Exception as exc:  # unreadable: no answer, so the remote is not re-created
        raise StoreError(f"{path}: cannot read the record of pushes to the DVC remote "
                         f"({_first_line(exc)}); fix or remove it") from None
    return pushed.get(str(remote)) if isinstance(pushed, dict) else None


def local_remote(root: Path) -> Path | None:
    """The default DVC remote's folder when it is a local one (None: no remote, or not local)."""
    from dvc.config import Config

    config = Config(dvc_dir=str(root / ".dvc"))
    name = config["core"].get("remote")
    url = (config["remote"].get(name) or {}).get("url") if name else None
    if not url or ("://" in url and not url.startswith("file://")):
        return None
    return Path(url.removeprefix("file://"))


def dvc_remote(root: Path) -> None:
    if not (root / ".dvc").is_dir():
        return
    remote = local_remote(root)
    if remote is None:
        return
    since = None if remote.exists() else _pushed_to(root, remote)
    if since is not None:
        raise StoreError(f"{remote}: the DVC remote is missing, and this project has pushed "
                         f"versions to it since {since} ({PUSHES}); restore it (or point the "
                         "remote elsewhere with `dvc remote modify`) before running: "
                         "re-creating it would silently drop every older version")
    writable_dir(remote, "the DVC remote")


def tracking_server(uri: str, tries: tuple[float, ...] = SERVER_TRIES,
                    timeout_s: float = SERVER_TIMEOUT_S) -> None:
    """The server answers an HTTP request (any status: what it says is MLflow's to judge)."""
    import ssl
    import time
    import urllib.error
    import urllib.request
    from urllib.parse import urlsplit, urlunsplit

    # Credentials in the URI are for MLflow's client: urllib reads user:pw@ as part of the
    # host, and a message must not print them.
    parts = urlsplit(uri)
    shown = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    reason = ""
    for pause in tries:
        time.sleep(pause)
        try:
            with urllib.request.urlopen(shown.rstrip("/") + "/health", timeout=timeout_s):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except (urllib.error.URLError, OSError) as exc:
            cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(cause, ssl.SSLCertVerificationError):
                return  # it answered, with a certificate this probe does not trust
            reason = _first_line(cause) if isinstance(cause, BaseException) else str(cause)
    raise StoreError(f"{shown}: the MLflow tracking server does not answer ({reason}; "
                     f"{len(tries)} tries; mlflow.tracking_uri)")


def lost_store(uri: str, artifacts: Path) -> None:
    """A SQLite store that is missing while its artifact root holds what runs logged to it was
    lost (moved, deleted, a volume not mounted): MLflow would create a new empty one, and the
    project would read "no champion" and tune and promote afresh beside the old versions'
    artifacts (sweep 56c). A store never made, or made and never logged to, is no loss."""
    if not uri.startswith(SQLITE_PREFIX):
        return
    db = Path(uri[len(SQLITE_PREFIX):])
    if db.exists() or not artifacts.is_dir():
        return
    try:
        logged = next((p for p in artifacts.rglob("*") if p.is_file()), None)
    except OSError:
        return  # an unreadable artifact root is its own error, where it is written
    if logged is not None:
        raise StoreError(f"{db}: the MLflow store is missing, and its artifact root "
                         f"{artifacts} holds what runs logged to it; restore the store (or "
                         "point mlflow.tracking_uri at it) before going on: a new empty store "
                         "would read as no champion and no runs (to start afresh, remove "
                         f"{artifacts} too, and move the promotion audit log, paths.audit_log, "
                         "aside)")


def check(params: Params, root: Path, *, store: bool = True, remote: bool = True) -> None:
    """Raise StoreError naming the first resource a run could not write to."""
    if store:
        uri = resolve_uri(params.mlflow.tracking_uri, root)
        lost_store(uri, (root / params.mlflow.artifact_root).resolve())
        if uri.startswith(SQLITE_PREFIX):
            sqlite_store(Path(uri[len(SQLITE_PREFIX):]))
        elif uri.startswith(("http://", "https://")):
            tracking_server(uri)
        writable_dir(root / params.mlflow.artifact_root, "the MLflow artifact root")
    if remote:
        dvc_remote(root)
