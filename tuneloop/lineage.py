"""What ties a model to the data and code it came from: tags on its MLflow runs and version.

`lineage_tags` is set on every run and registered model version; `restore_dataset` brings the
exact training data back from them through DVC (by its hash, from the cache or the remote).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tuneloop import jsonl
from tuneloop.config import Params
from tuneloop.errors import DataError, TuneloopError
from tuneloop.io import file_md5
from tuneloop.pipeline import recorded_files

# Tag keys, set on MLflow runs and model versions; `tuneloop lineage MODEL` prints them.
DATASET_VERSION = "dataset_version"  # the DVC md5 of the training window (data/prepared/...)
DATASET_PATH = "dataset_path"
BATCHES_VERSION = "batches_version"  # the DVC md5 of the accepted batches folder (data.batches)
GIT_COMMIT = "git_commit"
GIT_DIRTY = "git_dirty"
DVC_LOCK_MD5 = "dvc_lock_md5"
PARAMS_MD5 = "params_md5"
VALIDATION_ID = "validation_result_id"  # GX result of the newest accepted batch
LINEAGE_KEYS = (DATASET_VERSION, DATASET_PATH, BATCHES_VERSION, GIT_COMMIT, GIT_DIRTY,
                DVC_LOCK_MD5, PARAMS_MD5, VALIDATION_ID)
NONE = "none"


class LineageError(TuneloopError):
    """A model's lineage cannot be read or its data cannot be restored."""


def _git(root: Path, *args: str) -> str | None:
    from tuneloop import gitio

    done = gitio.run(root, *args, timeout_s=30)
    return done.stdout.strip() if done.returncode == 0 else None


def params_md5(params: Params) -> str:
    """A hash of the effective configuration (not of the file: comments do not count)."""
    text = json.dumps(params.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.md5(text.encode()).hexdigest()


def _md5_or_none(path: Path) -> str:
    return file_md5(path) if path.is_file() else NONE


def _batches_version(root: Path, batches: str) -> str:
    import yaml

    stub = root / f"{batches}.dvc"
    if not stub.is_file():
        return NONE
    outs = (yaml.safe_load(stub.read_text(encoding="utf-8")) or {}).get("outs") or [{}]
    return str(outs[0].get("md5", NONE))


def _newest_validation(root: Path, ledger: str) -> str:
    accepted = [e for e in jsonl.read(root / ledger, "batch ledger") if e.get("accepted")]
    return str(accepted[-1].get("validation_result_id", NONE)) if accepted else NONE


def lineage_tags(params: Params, root: Path) -> dict[str, str]:
    """Tags for an MLflow run or model version trained on the project's accepted dataset."""
    p = params.paths
    commit = _git(root, "rev-parse", "HEAD")
    # The run products the loop's record step commits (dvc.lock, metrics and plots JSON) are
    # rewritten by every run before it commits them: they do not make the code dirty.
    dirty = _git(root, "status", "--porcelain", "--untracked-files=no", "--", ".",
                 *(f":(exclude){f}" for f in recorded_files(params, with_suite=False)))
    return {DATASET_VERSION: _md5_or_none(root / p.dataset), DATASET_PATH: p.dataset,
            BATCHES_VERSION: _batches_version(root, params.data.batches),
            GIT_COMMIT: commit or NONE,
            GIT_DIRTY: NONE if commit is None else str(bool(dirty)).lower(),
            DVC_LOCK_MD5: _md5_or_none(root / "dvc.lock"), PARAMS_MD5: params_md5(params),
            VALIDATION_ID: _newest_validation(root, p.arrivals)}


def retag_recorded(params: Params, root: Path, version: str, commit: str | None) -> None:
    """After the loop's record step committed a retrain's outputs: point the version's git and
    DVC tags at that commit. Registered before it, they named the commit before (the previous
    run's dvc.lock and batches pointer), and checking it out did not give the model's data.
    The code is the same in both: the record commit holds run products only. Best effort: the
    outputs are committed by now, and a tag that cannot be set is a warning, not a failed run
    (the version keeps the commit before's tags)."""
    recorded = commit is not None
    # Nothing new to commit (a stopped run's record, made again): the last commit of dvc.lock.
    commit = commit or _git(root, "log", "-1", "--format=%H", "--", "dvc.lock")
    if not commit:  # "" where dvc.lock was never committed (the second review)
        return
    import mlflow

    from tuneloop.promotion import with_retries

    client = mlflow.MlflowClient()
    full = _git(root, "rev-parse", commit) or commit  # the record step returns it short
    tags = {GIT_COMMIT: full, DVC_LOCK_MD5: _md5_or_none(root / "dvc.lock"),
            BATCHES_VERSION: _batches_version(root, params.data.batches)}
    if recorded:
        # The record commit holds the run's params and suite too: edited before the run, they
        # made the version dirty against the commit before, not against this one; measured
        # against it (a commit the record step did not make keeps the version's own tag).
        dirty = _git(root, "diff", "--name-only", full, "--", ".",
                     *(f":(exclude){f}" for f in recorded_files(params, with_suite=False)))
        if dirty is not None:
            tags[GIT_DIRTY] = str(bool(dirty)).lower()
    name = params.promote.model_name
    try:
        run_id = with_retries(lambda: client.get_model_version(name, version)).run_id
        for key, value in tags.items():  # the version first: what `tuneloop lineage` reads
            with_retries(lambda k=key, v=value: client.set_model_version_tag(
                name, version, k, v))
        for key, value in tags.items():  # then its candidate run
            if run_id:
                with_retries(lambda k=key, v=value: client.set_tag(run_id, k, v))
    except Exception as exc:  # noqa: BLE001 - see above
        print(f"lineage: warning: {name} v{version} keeps the tags of the commit before its "
              f"record commit {full[:12]} ({type(exc).__name__})", file=sys.stderr)


def parse_model(ref: str) -> tuple[str, str | None, str | None]:
    """NAME@ALIAS or NAME/VERSION (or NAME: the champion) -> (name, alias, version)."""
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return name, alias or None, None
    if "/" in ref:
        name, version = ref.rsplit("/", 1)
        if not version.isdigit():
            raise LineageError(f"model {ref!r}: expected NAME/VERSION with a number")
        return name, None, version
    return ref, "champion", None


def project_model(ref: str, model_name: str) -> str:
    """A bare version number is that version of the project's model (`tuneloop lineage 3`),
    unless the project's model is named so."""
    return f"{model_name}/{ref}" if ref.isdigit() and ref != model_name else ref


def model_lineage(ref: str) -> dict[str, Any]:
    """The lineage tags of a registered model version. MLflow must be set up by the caller."""
    import mlflow

    from tuneloop.errors import StoreError
    from tuneloop.promotion import is_absent, store_error, with_retries

    name, alias, version = parse_model(ref)
    client = mlflow.MlflowClient()
    try:
        mv = with_retries(lambda: client.get_model_version_by_alias(name, alias) if alias
                          else client.get_model_version(name, version))
    except StoreError:
        raise
    except Exception as exc:
        if not is_absent(exc):
            raise store_error(exc, f"read model {ref!r}") from None
        raise LineageError(f"model {ref!r}: no such registered model version (MODEL is "
                           f"NAME/VERSION, NAME@ALIAS, NAME for its champion or a VERSION of "
                           f"the project's model, e.g. {name}/1 or {name}@champion)") from None
    tags = {k: mv.tags[k] for k in LINEAGE_KEYS if k in mv.tags}
    missing = [k for k in (DATASET_VERSION, DATASET_PATH) if k not in tags]
    if missing:
        raise LineageError(f"model {ref!r} (version {mv.version}): no lineage tag(s) "
                           f"{', '.join(missing)}")
    return {"name": name, "version": str(mv.version), "run_id": mv.run_id, "tags": tags}


def _dvc(root: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "DVC_NO_ANALYTICS": "1"})
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        raise LineageError(f"dvc {args[0]} failed: {lines[-1] if lines else done.returncode}")


def restore_dataset(root: Path, md5: str, dest: Path, remote: str | None = None) -> Path:
    """Bring back the file whose DVC hash is `md5` to `dest`, from the DVC cache or else the
    project's remote, and check its hash. The git commit tag also allows
    `dvc get . PATH --rev COMMIT`; the hash alone suffices as long as the remote keeps it."""
    if dest.exists():
        raise LineageError(f"{dest}: already exists; choose another destination")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A throw-away .dvc file naming the hash: `dvc pull` of it is DVC's own fetch + checkout.
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=root) as tmp:
        stub = Path(tmp) / "data.dvc"
        stub.write_text(f"outs:\n- md5: {md5}\n  path: data\n  hash: md5\n", encoding="utf-8")
        _dvc(root, "pull", "--quiet", *(["--remote", remote] if remote else []),
             str(stub.relative_to(root)))
        got = Path(tmp) / "data"
        if not got.is_file():
            raise DataError(f"{dest}: dvc pull restored nothing for hash {md5}")
        actual = file_md5(got)
        if actual != md5:
            raise LineageError(f"{dest}: restored data has hash {actual}, expected {md5}")
        shutil.move(got, dest)
    return dest


def tag_run(params: Params, root: Path, run_id: str | None = None) -> dict[str, str]:
    """Set the lineage tags on an MLflow run (the active one by default); return them. For the
    runs other stages open themselves, e.g. the tuning parent run and its trial runs."""
    import mlflow

    tags = lineage_tags(params, root)
    if run_id is None:
        mlflow.set_tags(tags)
    else:
        client = mlflow.MlflowClient()
        for key, value in tags.items():
            client.set_tag(run_id, key, value)
    return tags
