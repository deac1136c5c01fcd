"""What a killed run leaves behind, found and put right by the next one.

Called under the project lock (tuneloop.project_lock), so nothing found here belongs to a live
run of this project: a temporary file or directory beside an output is a write that never
finished, a `.NAME.old` directory is the last good copy of an output whose swap was cut between
its two renames, a RUNNING MLflow run in the project's experiment belongs to a dead process, and
a registered version with no decision was registered by a run that stopped before the gate.
Every repair is logged and returned as one line, so a run says what it found.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from tuneloop import audit
from tuneloop.config import Params
from tuneloop.io import OLD_SUFFIX

LOG = logging.getLogger(__name__)
TMP_SUFFIX = ".tmp"
ABANDONED = "abandoned"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def output_dirs(params: Params, root: Path) -> list[Path]:
    """The folders tuneloop writes its outputs into: each `paths.*` value's folder, and the
    value itself when it is a folder."""
    found: set[Path] = {root / params.data.batches}  # ingest writes batches beside each other
    for value in params.paths.model_dump().values():
        path = root / value
        found.add(path.parent)  # where a swap of the path itself leaves its temporary copies
        if path.is_dir():
            found.add(path)     # a folder of outputs (splits, plots)
    # Never the project root itself: other tools keep their own dot-files there.
    return sorted(p for p in found if p.is_dir() and p.resolve() != root.resolve())


def clean_files(params: Params, root: Path) -> list[str]:
    """Unfinished writes (tuneloop.io's `.NAME.*.tmp`) go; a `.NAME.old` directory is put back
    when NAME is missing (the kill fell between atomic_dir's renames), else it goes."""
    done = []
    for folder in output_dirs(params, root):
        for path in sorted(folder.iterdir()):
            name = path.name
            if not name.startswith("."):
                continue
            if name.endswith(TMP_SUFFIX):
                _remove(path)
                done.append(f"{path}: removed an unfinished write")
            elif name.endswith(OLD_SUFFIX) and path.is_dir():
                target = path.with_name(name[1:-len(OLD_SUFFIX)])
                if target.exists():
                    shutil.rmtree(path)
                    done.append(f"{path}: removed the copy a finished swap left")
                else:
                    os.replace(path, target)
                    done.append(f"{target}: restored from {path.name} (a swap was cut short)")
    return done


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def restore_from_git(root: Path, relative: str, parse: Any,
                     unparseable: bool = True) -> str | None:
    """A tracked text file cut by a kill mid-write (it no longer parses, or it is a strict
    prefix of its committed copy ending mid-line) is restored from the last commit; None when
    it is whole, is absent, or git has no good copy."""
    path = root / relative
    if not path.is_file():
        return None
    shown = subprocess.run(["git", "show", f"HEAD:./{relative}"], cwd=root, capture_output=True,
                           text=True, timeout=60)
    committed = shown.stdout if shown.returncode == 0 else None
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        parse(text)
        # Cut mid-line: a user's own edit that drops the tail ends with a newline, and stays.
        damage = "cut short" if committed is not None and len(text) < len(committed) and \
            committed.startswith(text) and not text.endswith("\n") else None
    except Exception as exc:  # noqa: BLE001 - any parse failure means a damaged file
        # unparseable=False: a file only people edit (the suite) may just hold a typo; it is
        # left for its reader to report, never replaced with the committed copy.
        damage = f"did not parse ({type(exc).__name__})" if unparseable else None
    if damage is None or committed is None:
        return None
    try:
        parse(committed)
    except Exception:  # noqa: BLE001 - the committed copy is no better: leave it to the user
        return None
    path.write_text(committed, encoding="utf-8")
    return f"{path}: {damage}; restored from the last commit"


GOOD_SUFFIX = ".good"  # the copy of a file another tool rewrites in place, kept meanwhile


def _dvc_file(key: str, kind: type, schema: str) -> Any:
    """A parser that accepts what DVC itself accepts (its own schema `schema` from dvc.schema)
    and that holds a mapping whose `key` is a `kind` (an empty file parses as nothing)."""
    def parse(text: str) -> Any:
        import dvc.schema

        data = yaml.safe_load(text)
        if not isinstance(data, dict) or not isinstance(data.get(key), kind):
            raise ValueError(f"no {key!r} {kind.__name__}")
        getattr(dvc.schema, schema)(data)
        return data
    return parse


def _good_copy(path: Path) -> Path:
    return path.with_name(f".{path.name}{GOOD_SUFFIX}")


@contextmanager
def kept_while_rewritten(paths: list[Path]) -> Iterator[None]:
    """For a tool that rewrites files in place (DVC's dvc.lock and .dvc files): a copy of each
    is kept beside it until the block ends, so a kill mid-write leaves the last good one for
    restore_damaged."""
    copies = []
    for path in paths:
        if path.is_file():
            copy = _good_copy(path)
            shutil.copy2(path, copy)
            copies.append(copy)
    yield
    for copy in copies:
        copy.unlink(missing_ok=True)


def _restore(path: Path, parse: Any, relative: str, root: Path) -> str | None:
    """From the copy kept while a tool rewrote it, else from the last commit."""
    copy = _good_copy(path)
    if copy.is_file():
        try:
            parse(path.read_text(encoding="utf-8", errors="replace"))
            damage = None
        except Exception as exc:  # noqa: BLE001 - any parse failure means a damaged file
            damage = f"did not parse ({type(exc).__name__})"
        if path.exists() and damage is None:
            copy.unlink()
            return None  # the rewrite finished; only its copy was left
        os.replace(copy, path)
        return f"{path}: {damage or 'missing'} after a rewrite was cut; restored from the copy " \
               "kept meanwhile"
    return restore_from_git(root, relative, parse)


def restore_damaged(params: Params, root: Path) -> list[str]:
    """dvc.lock and .dvc files (DVC rewrites them in place) and the suite file."""
    batches_dvc = f"{params.data.batches}.dvc"
    done = [_restore(root / "dvc.lock", _dvc_file("stages", dict, "COMPILED_LOCKFILE_SCHEMA"),
                     "dvc.lock", root),
            _restore(root / batches_dvc, _dvc_file("outs", list, "COMPILED_SINGLE_STAGE_SCHEMA"),
                     batches_dvc, root),
            restore_from_git(root, str(params.validate_.suite), yaml.safe_load,
                             unparseable=False)]
    return [d for d in done if d]


def unfinished_withdrawals(params: Params, root: Path) -> list[str]:
    """A batch `tuneloop data withdraw` recorded as withdrawn but stopped before it left the
    window: kept in quarantine by then, so it leaves now (the next run would train on it while
    status said withdrawn: the review)."""
    from tuneloop import jsonl
    from tuneloop.batches import withdrawn_now

    entries = jsonl.read(root / params.paths.arrivals, "batch ledger")
    done = []
    for md5, latest in withdrawn_now(entries).items():
        stored = [e.get("stored_as") for e in entries
                  if e.get("md5") == md5 and e.get("accepted") and e.get("stored_as")]
        path = root / str(stored[-1]) if stored else None
        if path is not None and path.is_file():
            path.unlink()
            done.append(f"{path}: withdrawn ({latest.get('withdrawn')}) by a withdrawal that "
                        f"stopped before it left the window; removed (kept in "
                        f"{latest.get('quarantined_in')})")
    return done


def orphan_batches(params: Params, root: Path) -> list[str]:
    """A batch file written by an ingest killed before its ledger line goes, so that the next
    ingest decides its source again. Only when that source is still in the incoming folder,
    undecided (its md5 not in the ledger), and the batch is numbered after every recorded one:
    batches pulled by DVC onto a machine whose ledger is behind are never touched."""
    from tuneloop import jsonl
    from tuneloop.batches import accepted_batches, accepted_now, batch_name
    from tuneloop.io import file_md5

    entries = jsonl.read(root / params.paths.arrivals, "batch ledger")
    recorded = {Path(e["stored_as"]).name for e in entries if e.get("stored_as")}
    # Accepted now only: a file rejected before, or withdrawn, may be decided again (ingest
    # --retry), and a retry killed before its ledger line leaves an orphan like any other.
    decided = accepted_now(entries)
    incoming = root / params.data.incoming
    if not recorded or not incoming.is_dir():
        return []
    newest = max(recorded)
    done = []
    for path in accepted_batches(root / params.data.batches):
        if path.name in recorded or path.name <= newest:
            continue
        source = path.stem.partition("-")[2]
        # batch_name: how ingest names it now (may.csv.gz -> may); the stem: before that.
        undecided = [f for f in incoming.iterdir()
                     if f.is_file() and source in (batch_name(f), f.stem)
                     and file_md5(f) not in decided]
        if undecided:
            path.unlink()
            done.append(f"{path}: written by an ingest that stopped before recording it; "
                        f"removed ({undecided[0].name} is decided again)")
        else:
            LOG.warning("%s: not in the batch ledger and no undecided source in %s; left as "
                        "it is", path, incoming)
    return done


def close_dead_runs(client: Any, experiment_id: str) -> list[str]:
    """RUNNING runs of the project's experiment: their process is gone (the lock says so)."""
    from tuneloop.promotion import with_retries

    runs = with_retries(lambda: client.search_runs(
        [experiment_id], filter_string="attributes.status = 'RUNNING'", max_results=5000))
    done = []
    for run in runs:
        run_id = run.info.run_id
        with_retries(lambda r=run_id: client.set_tag(
            r, "tuneloop.recovered", f"left RUNNING by a run that stopped; marked KILLED "
                                     f"{_now()}"))
        with_retries(lambda r=run_id: client.set_terminated(r, "KILLED"))
        done.append(f"MLflow run {run_id} ({run.info.run_name}): left RUNNING by a stopped run, "
                    "marked KILLED")
    return done


def settle_undecided(client: Any, name: str, audit_log: Path) -> list[str]:
    """Registered versions without a decision tag: finished from the audit log when the gate
    had decided (the entry is written first), else marked abandoned (never champion)."""
    from tuneloop.promotion import is_absent, with_retries

    try:
        versions = with_retries(lambda: client.search_model_versions(f"name = '{name}'"))
    except Exception as exc:
        if is_absent(exc):
            return []
        raise
    # Not a hand re-gate that kept the version out: it writes manual_* tags, never the
    # version's own decision (a loop run stopped before its gate still ends "abandoned").
    entries = {str(e.get("version")): e for e in audit.read(audit_log)
               if e.get("model_name") == name and e.get("action") != "rollback"
               and not (e.get("action") == "manual" and not e.get("promoted"))}
    done = []
    for version in versions:
        number = str(version.version)
        if "decision" in version.tags:
            continue
        entry = entries.get(number)
        if entry is not None:
            tags = {"decision": "promoted" if entry.get("promoted") else "rejected",
                    "reason": str(entry.get("reason", ""))[:4000],
                    "decided_at": str(entry.get("time")), "action": str(entry.get("action"))}
            what = f"decision ({tags['decision']}) finished from the audit log"
        else:
            tags = {"decision": ABANDONED,
                    "reason": "registered by a run that stopped before the gate decided; never "
                              "compared with the champion, never served",
                    "decided_at": _now()}
            what = "registered by a run that stopped before the gate: marked abandoned"
        for key, value in tags.items():
            with_retries(lambda k=key, v=value, n=number:
                         client.set_model_version_tag(name, n, k, v))
        done.append(f"{name} v{number}: {what}")
    return done


def recover_registry(params: Params, root: Path) -> list[str]:
    """The MLflow side: dead runs closed, undecided versions settled (under the registry lock,
    like every promotion)."""
    import mlflow

    from tuneloop.promotion import finish_interrupted, registry_files
    from tuneloop.tracking import setup

    experiment_id = setup(params.mlflow, root)
    client = mlflow.MlflowClient()
    done = close_dead_runs(client, experiment_id)
    files = registry_files(params, root)
    with audit.registry_lock(files.lock, params.promote.lock_timeout_s):
        # A move the audit log records but the alias never made is finished first: settling
        # tags the version with the entry's time, which finish_interrupted reads as "done".
        moved = finish_interrupted(client, params.promote.model_name, files.audit_log)
        if moved is not None:
            done.append(f"{params.promote.model_name} v{moved}: champion, as the audit log "
                        "records (the alias move was cut short)")
        done += settle_undecided(client, params.promote.model_name, files.audit_log)
    return done


def recover(params: Params, root: Path, registry: bool = True) -> list[str]:
    """Everything a killed run can leave; each repair logged and returned as one line."""
    done = clean_files(params, root) + restore_damaged(params, root) + \
        unfinished_withdrawals(params, root) + orphan_batches(params, root)
    if registry:
        done += recover_registry(params, root)
    for line in done:
        LOG.warning("recovered: %s", line)
    return done
