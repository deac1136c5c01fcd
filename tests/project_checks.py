"""Is a tuneloop project consistent after a completed run? One call, `assert_consistent`,
that reads the project the way an operator would check it after a crash and a re-run: the
registry against the audit log, MLflow runs, leftovers of unfinished writes, dvc.lock and
`dvc status`, the ledgers and the trial journal.

Every check returns the inconsistencies it found as one line each (empty: consistent), so a
failure names everything that is wrong at once, not only the first thing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tuneloop import audit, jsonl
from tuneloop.config import PARAMS_FILE, Params, load_params
from tuneloop.decisions import DECIDED, RETRAINED, Ledger
from tuneloop.io import OLD_SUFFIX, file_md5
from tuneloop.promotion import CHAMPION, current_alias
from tuneloop.recovery import ABANDONED, TMP_SUFFIX, output_dirs
from tuneloop.search.journal import Journal
from tuneloop.tracking import resolve_uri

# What a loop run leaves stale in `dvc status` when no retrain ran (flows/loop.py: without a
# retrain only `drift` and `plots` are committed; `dataset` is committed by the version stage
# on every run). These stages' outputs are the last retrain's.
MODEL_STAGES = ("split", "tune", "evaluate", "promote")


def _client(params: Params, root: Path) -> Any:
    """An MLflow client on the project's store, without touching MLflow's global URIs."""
    import mlflow

    uri = resolve_uri(params.mlflow.tracking_uri, root)
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def registry_problems(params: Params, root: Path) -> list[str]:
    """The champion alias is the one the audit log's last decision left; every registered
    version was decided; the champion is a version the gate (or an operator) promoted; the
    audit log is one unbroken chain (each decision starts from the champion the previous one
    left); no MLflow run is left RUNNING."""
    from tuneloop.promotion import is_absent

    problems = []
    name = params.promote.model_name
    log = root / params.paths.audit_log
    entries = [e for e in audit.read(log) if e.get("model_name") == name]
    client = _client(params, root)
    alias = current_alias(client, name, CHAMPION)
    last = audit.last_decision(entries, name)
    expected = None if last is None else last.get("champion_after")
    if alias != (None if expected is None else str(expected)):
        problems.append(f"registry: {name}@{CHAMPION} is v{alias}, but the last audit entry in "
                        f"{log} ({None if last is None else last.get('action')} of "
                        f"v{None if last is None else last.get('version')} at "
                        f"{None if last is None else last.get('time')}) left v{expected}")
    for before, after in zip(entries, entries[1:], strict=False):
        if str(after.get("champion_before")) != str(before.get("champion_after")):
            problems.append(f"audit log {log}: the entry at {after.get('time')} (v"
                            f"{after.get('version')}) starts from champion "
                            f"v{after.get('champion_before')}, but the entry before it left "
                            f"v{before.get('champion_after')}")
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except Exception as exc:
        if not is_absent(exc):
            raise
        versions = []
    for version in versions:
        decision = version.tags.get("decision")
        if decision is None:
            problems.append(f"registry: {name} v{version.version} has no `decision` tag "
                            "(registered, never decided nor settled by recovery)")
        elif str(version.version) == alias and decision in ("rejected", ABANDONED):
            problems.append(f"registry: {name} v{version.version} is {CHAMPION} but its "
                            f"decision tag says {decision!r}")
    audited = {str(e.get("version")) for e in entries if e.get("action") != "rollback"}
    for version in versions:
        if version.tags.get("decision") in ("promoted", "rejected") and \
                str(version.version) not in audited:
            problems.append(f"registry: {name} v{version.version} is tagged "
                            f"{version.tags['decision']!r} but the audit log {log} has no "
                            "decision for it")
    experiments = [e.experiment_id for e in client.search_experiments()]
    if experiments:
        running = client.search_runs(experiments, filter_string="attributes.status = 'RUNNING'",
                                     max_results=1000)
        problems += [f"MLflow: run {r.info.run_id} ({r.info.run_name}) is still RUNNING"
                     for r in running]
    return problems


def leftover_problems(params: Params, root: Path) -> list[str]:
    """No unfinished write (`.NAME.*.tmp`) and no swapped-out copy (`.NAME.old`) in the folders
    tuneloop writes into (tuneloop.recovery.output_dirs), nor in the accepted batches folder
    (ingest writes each batch there through tuneloop.io.atomic_path, and `dvc add` versions
    the folder: a temporary file left there would be versioned as data)."""
    folders = set(output_dirs(params, root))
    if (root / params.data.batches).is_dir():
        folders.add(root / params.data.batches)
    return [f"{path}: left over by an unfinished write or swap"
            for folder in sorted(folders) for path in sorted(folder.iterdir())
            if path.name.startswith(".") and path.name.endswith((TMP_SUFFIX, OLD_SUFFIX))]


def _read(what: str, read: Any) -> tuple[Any, list[str]]:
    try:
        return read(), []
    except Exception as exc:  # noqa: BLE001 - any failure to read is the inconsistency
        return None, [f"{what}: cannot be read ({type(exc).__name__}: {exc})"]


def ledger_problems(params: Params, root: Path) -> list[str]:
    """The append-only files read without error; no retrain decision is left pending; the
    batch ledger (arrivals) and the accepted batches folder agree, one file per accepted
    batch, each with the content the ledger recorded."""
    problems = []
    ledger = Ledger(root / params.paths.decisions)
    events, found = _read(f"decision ledger {ledger.path}", ledger.events)
    problems += found
    if events is not None:
        pending = ledger.pending()
        if pending:
            problems.append(f"decision ledger {ledger.path}: {len(pending)} retrain decision(s) "
                            f"pending after a completed run: {[e['batch'] for e in pending]}")
    arrivals_path = root / params.paths.arrivals
    arrivals, found = _read(f"batch ledger {arrivals_path}",
                            lambda: jsonl.read(arrivals_path, "batch ledger"))
    problems += found
    for path, what in ((root / params.paths.audit_log, "promotion audit log"),
                       (root / params.paths.data_versions, "dataset versions file")):
        problems += _read(f"{what} {path}", lambda p=path, w=what: jsonl.read(p, w))[1]
    journal = Journal(root / params.paths.journal)
    if journal.path.exists():
        problems += _read(f"trial journal {journal.path}", lambda: list(journal.events()))[1]
    if arrivals is None:
        return problems
    batches = root / params.data.batches
    stored = {e["stored_as"]: e for e in arrivals if e.get("accepted")}
    for relative in stored:
        if not (root / relative).is_file():
            problems.append(f"batch ledger {arrivals_path}: accepted batch {relative} is not in "
                            f"{batches}")
    on_disk = sorted(p for p in batches.glob("*.parquet") if not p.name.startswith(".")) \
        if batches.is_dir() else []
    for path in on_disk:
        relative = str(path.relative_to(root))
        if relative not in stored:
            problems.append(f"{path}: an accepted batch the batch ledger {arrivals_path} does "
                            "not record (stored by a run that stopped before the ledger line)")
    # Decided twice only as `ingest --retry` does: rejections first, then at most one accept.
    for md5 in {e["md5"] for e in arrivals}:
        outcomes = [bool(e["accepted"]) for e in arrivals if e["md5"] == md5]
        if sum(outcomes) > 1 or (True in outcomes and outcomes.index(True) != len(outcomes) - 1):
            problems.append(f"batch ledger {arrivals_path}: a batch file was decided twice")
            break
    if events is not None:
        decided = [e["md5"] for e in events if e.get("event") == DECIDED]
        if len(decided) != len(set(decided)):
            problems.append(f"decision ledger {ledger.path}: a batch was decided twice")
        unknown = set(decided) - {file_md5(p) for p in on_disk}
        if unknown:
            problems.append(f"decision ledger {ledger.path}: decisions for {len(unknown)} "
                            f"batch(es) not in {batches}")
    return problems


def dvc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "DVC_NO_ANALYTICS": "1"}
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True,
                          text=True, env=env, timeout=600)


def _retrained_since_window_moved(events: list[dict[str, Any]]) -> bool:
    """True when no batch was decided after the last retrain: the model stages then ran on the
    current window and must be up to date."""
    for event in reversed(events):
        if event.get("event") == RETRAINED:
            return True
        if event.get("event") == DECIDED:
            return False
    return True


def dvc_problems(params: Params, root: Path) -> list[str]:
    """dvc.lock parses; `dvc status` is clean except for what the loop leaves stale on purpose.

    The exact rule (flows/loop.py): every run commits `dataset` (version stage) and
    `data/batches.dvc` (`dvc add`); a run without a retrain also commits `drift` and `plots`;
    a retrain commits all of version.MODEL_STAGES. So:
    - `dataset`, `data/batches.dvc`, `drift` and `plots` are always up to date;
    - no stage ever shows changed *outputs*: an output on disk that dvc.lock does not describe
      is a write the run never committed (a crash between a stage's write and `record`);
    - the model stages may show one thing only, their dependency on the training window
      (`paths.dataset` modified: `split` and `promote` depend on it directly; `tune` and
      `evaluate` read the splits, which stay the last retrain's), and only when batches were
      decided after the last retrain with no retrain asked (no pending decision, checked in
      ledger_problems). After a retrain on the current window every stage is up to date.
    The data versions are also in the remote (`dvc status --cloud` of the data stages).
    """
    lock = root / "dvc.lock"
    try:
        parsed = yaml.safe_load(lock.read_text(encoding="utf-8"))
        if not isinstance(parsed, dict) or "stages" not in parsed:
            return [f"{lock}: parses, but holds no `stages` mapping"]
    except (OSError, yaml.YAMLError) as exc:
        return [f"{lock}: does not parse as YAML ({type(exc).__name__})"]
    done = dvc(root, "status", "--json")
    if done.returncode != 0:
        return [f"dvc status failed (exit {done.returncode}): {done.stderr.strip()[-500:]}"]
    status = json.loads(done.stdout.strip().splitlines()[-1] or "{}")
    try:
        events = Ledger(root / params.paths.decisions).events()
    except Exception:  # noqa: BLE001 - reported by ledger_problems
        events = []
    stale_ok = not _retrained_since_window_moved(events)
    allowed = [{"changed deps": {params.paths.dataset: "modified"}}]
    problems = []
    for stage, changes in status.items():
        if stage in MODEL_STAGES and stale_ok and changes == allowed:
            continue
        why = ("the window moved without a retrain, but that is not all that changed"
               if stage in MODEL_STAGES and stale_ok else
               "a retrain ran on the current window, so it must be up to date"
               if stage in MODEL_STAGES else "committed by every run, so it must be up to date")
        problems.append(f"dvc status: {stage}: {json.dumps(changes, sort_keys=True)} ({why})")
    batches_dvc = f"{params.data.batches}.dvc"
    targets = ["dataset"] + ([batches_dvc] if (root / batches_dvc).is_file() else [])
    cloud = dvc(root, "status", "--cloud", "--json", *targets)
    if cloud.returncode != 0:
        problems.append(f"dvc status --cloud failed (exit {cloud.returncode}): "
                        f"{cloud.stderr.strip()[-500:]}")
    else:
        missing = json.loads(cloud.stdout.strip().splitlines()[-1] or "{}")
        if missing:
            problems.append(f"dvc remote: the data versions are not all pushed: "
                            f"{json.dumps(missing, sort_keys=True)}")
    return problems


def problems(project: Path, params_file: str = PARAMS_FILE) -> list[str]:
    """Every inconsistency found in the project, one line each."""
    params = load_params(project / params_file)
    return (registry_problems(params, project) + leftover_problems(params, project)
            + ledger_problems(params, project) + dvc_problems(params, project))


def assert_consistent(project: Path, params_file: str = PARAMS_FILE) -> None:
    """Fail naming every inconsistency of a project after a completed run."""
    found = problems(project, params_file)
    assert not found, f"{project} is inconsistent:\n" + "\n".join(f"- {p}" for p in found)
