"""version: record the accepted data in DVC and push it to the remote; its hash is the version.

Accepted batches are tracked with `dvc add` (data.batches), the training window is the
`dataset` stage's output. `dvc repro` versions stage outputs by itself. A Prefect run
produces the same outputs outside `dvc repro`, so this stage commits them to dvc.lock and the
DVC cache (`dvc commit`) and pushes them, which leaves `dvc repro` with nothing to do
afterwards.

The loop's record step (`commit_and_push`, last in a run) also commits the DVC pointers
(dvc.lock, the batches' .dvc file) and the metrics and plots JSON to git when the project is a
git work tree: DVC compares experiments and revisions against commits (`dvc exp show`,
`dvc exp diff`, `dvc plots diff`), so without a commit holding them every comparison is
empty. Only those paths are committed, never what the user has staged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tuneloop import gitio, jsonl, preflight
from tuneloop.config import PARAMS_FILE, Params, load_params
from tuneloop.errors import TuneloopError
from tuneloop.features import BATCH_COLUMN
from tuneloop.io import file_md5, read_json, read_parquet
from tuneloop.pipeline import recorded_files
from tuneloop.recovery import kept_while_rewritten
from tuneloop.verdict import verdict_words

DATA_STAGES = ("dataset",)
MODEL_STAGES = ("split", "tune", "evaluate", "promote", "drift", "plots")


class VersioningError(TuneloopError):
    """DVC could not add, commit or push."""


def _dvc(root: Path, *args: str) -> None:
    # A subprocess in the project's directory: DVC resolves paths against the working
    # directory, which a flow serving several projects must not change under its threads.
    # DVC rewrites dvc.lock and .dvc files in place: a copy of each is kept until it is done,
    # so a kill mid-write leaves the last good one (tuneloop.recovery puts it back).
    rewritten = [root / "dvc.lock"] + [root / (a if a.endswith(".dvc") else f"{a}.dvc")
                                       for a in args[1:] if not a.startswith("-")] \
        if args[0] in ("add", "commit") else []
    with kept_while_rewritten(rewritten):
        done = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root,
                              capture_output=True, text=True,
                              env={**os.environ, "DVC_NO_ANALYTICS": "1"})
    if done.returncode != 0:
        lines = [ln.strip() for ln in f"{done.stdout}\n{done.stderr}".splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("ERROR")]
        reason = (errors or lines or [f"exit code {done.returncode}"])[-1]
        raise VersioningError(f"{root / 'dvc.yaml'}: dvc {args[0]} failed: {reason}")
    if args[0] == "push":
        preflight.record_push(root)  # from now on a missing remote is an error, not a start


def commit_and_push(root: Path, stages: tuple[str, ...], push: bool = True,
                    git: bool = True, params: Params | None = None) -> str | None:
    """`dvc commit` the named dvc.yaml stages (outputs already on disk), then `dvc push` them;
    with `git`, commit dvc.lock and the compared reports to git too (record_in_git). Returns
    the git commit made, if any."""
    # Not --quiet: it silences the ERROR line the message below is made from.
    _dvc(root, "commit", "--force", *stages)
    if push:
        _dvc(root, "push", "--quiet", *stages)
    return record_in_git(root, stages, params) if git else None


# git is mid-way through something of the user's: a commit now would land inside it.
BUSY_GIT = ("rebase-merge", "rebase-apply", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD",
            "BISECT_LOG")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return gitio.run(root, *args)


def _not_recordable(root: Path) -> str | None:
    """Why the record step must not commit here (one line), or None."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root.resolve():
        return (f"{root} is not the top of its own git work tree: dvc.lock and the reports "
                "are not committed (dvc exp show / exp diff compare commits)")
    if _git(root, "symbolic-ref", "-q", "HEAD").returncode != 0:
        return "git HEAD is detached: the run is not committed (check out a branch)"
    git_dir = _git(root, "rev-parse", "--absolute-git-dir").stdout.strip()
    busy = [name for name in BUSY_GIT if git_dir and (Path(git_dir) / name).exists()]
    if busy:
        return f"git is in the middle of {busy[0]}: the run is not committed"
    return None


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [ln.strip() for ln in f"{done.stdout}\n{done.stderr}".splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit code {done.returncode}"


def _record_message(root: Path, params: Params, stages: tuple[str, ...]) -> str:
    """What run the commit records: the dataset version, and the promotion decision (a
    retrain) or the newest batch's decision (a check without a retrain)."""
    import yaml

    try:
        lock = yaml.safe_load((root / "dvc.lock").read_text(encoding="utf-8")) or {}
        outs = lock["stages"]["dataset"]["outs"]
        dataset = str(next(o["md5"] for o in outs if o["path"] == params.paths.dataset))[:8]
    except (OSError, yaml.YAMLError, KeyError, TypeError, StopIteration):
        dataset = "?"
    what = f"batch check on dataset {dataset}"
    promotion, drift = root / params.paths.promotion, root / params.paths.drift_report
    try:
        if "promote" in stages and promotion.is_file():
            d = read_json(promotion)
            what = (f"retrain on dataset {dataset}: {d['model_name']} v{d['version']} "
                    f"{verdict_words(bool(d['promoted']))}")
        elif drift.is_file():
            d = read_json(drift)
            what += f": {d['batch']} -> {d['decision']['action']}"
    except (OSError, ValueError, KeyError, TypeError):
        pass  # the message only: the files themselves are what is recorded
    return (f"tuneloop run: {what}\n\n"
            f"The DVC pointers and the reports DVC compares, after the stages {', '.join(stages)}\n"
            "(tuneloop's record step, for dvc exp show / exp diff / plots diff).")


def record_in_git(root: Path, stages: tuple[str, ...],
                  params: Params | None = None) -> str | None:
    """Commit the DVC pointers and the metrics and plots JSON (tuneloop.pipeline.recorded_files)
    when `root` is a git work tree: only those paths (`git commit -- PATHS`, so whatever else
    the user has staged stays staged and out of it; params.yaml and the suite the run read
    are among them), and only when one changed. Returns the commit, or
    None. A failing git is one printed line, not a failed run: the data is versioned by DVC
    already, and the next run's record commits the files as they are then."""
    why_not = _not_recordable(root)
    if why_not is not None:
        print(f"record: {why_not}")
        return None
    ran_with = params
    params = params or load_params(root / PARAMS_FILE)
    files = [f for f in recorded_files(params) if (root / f).is_file()]
    if ran_with is not None and PARAMS_FILE in files and _edited_since(root, ran_with):
        # Edited while the run ran: the file is not the settings beside these figures (the
        # review); the next run's record commits it.
        print(f"record: {PARAMS_FILE} changed since the run read it: not committed with its "
              "figures, which this commit records beside the settings of the one before (the "
              "version is git_dirty); the next run's record commits it")
        files.remove(PARAMS_FILE)
    ignored = set(_git(root, "check-ignore", "--", *files).stdout.split()) if files else set()
    if ignored:
        print(f"record: git ignores {', '.join(sorted(ignored))}: not committed (un-ignore "
              "them in .gitignore for dvc exp show / exp diff)")
    files = [f for f in files if f not in ignored]
    if not files:
        return None
    added = _git(root, "add", "--", *files)
    if added.returncode != 0:
        print(f"record: git add failed: {_last_line(added)}; nothing committed")
        return None
    changed = _git(root, "diff", "--cached", "--name-only", "--relative", "--", *files)
    staged = changed.stdout.split()
    if changed.returncode != 0 or not staged:
        return None  # nothing new since the last record: no empty commit
    # The user's identity when git has one; else tuneloop's, as `tuneloop init` commits.
    who = [] if _git(root, "config", "user.email").stdout.strip() or \
        os.environ.get("GIT_AUTHOR_EMAIL") else \
        ["-c", "user.name=tuneloop", "-c", "user.email=tuneloop@localhost"]
    # --no-verify: the user's hooks check the user's commits, not generated JSON.
    done = _git(root, *who, "commit", "--quiet", "--no-verify",
                "-m", _record_message(root, params, stages), "--", *staged)
    if done.returncode != 0:
        print(f"record: git commit failed: {_last_line(done)}; {', '.join(staged)} stay "
              "staged, uncommitted (the next run's record commits them)")
        return None
    commit = _git(root, "rev-parse", "--short", "HEAD").stdout.strip()
    print(f"record: git commit {commit}: {', '.join(staged)}")
    return commit


def _edited_since(root: Path, params: Params) -> bool:
    """Whether params.yaml now says other settings than `params`, the ones a run read (an
    unreadable file counts as edited)."""
    from tuneloop.lineage import params_md5

    try:
        return params_md5(load_params(root / PARAMS_FILE)) != params_md5(params)
    except TuneloopError:
        return True


def track_batches(root: Path, batches: str) -> None:
    """`dvc add` the accepted batches folder and push it: every accepted batch is kept in the
    DVC cache and remote, not only the window trained on."""
    if (root / batches).is_dir():
        _dvc(root, "add", "--quiet", batches)
        _dvc(root, "push", "--quiet", f"{batches}.dvc")


def _period(dataset: Path, time: str | None) -> tuple[int, int, str | None, str | None]:
    frame = read_parquet(dataset, columns=[BATCH_COLUMN, *([time] if time else [])])
    if frame.empty or time is None:
        return len(frame), int(frame[BATCH_COLUMN].nunique()), None, None
    times = frame[time]
    return (len(frame), int(frame[BATCH_COLUMN].nunique()), times.min().isoformat(),
            times.max().isoformat())


def read_versions(path: Path) -> list[dict[str, Any]]:
    """The accepted dataset versions, oldest first (empty before the first accepted batch)."""
    return jsonl.read(path, "dataset versions file")


def record_version(params: Params, root: Path, dataset_version: str) -> dict[str, Any]:
    """Add the dataset to the versions file unless it is already the latest entry."""
    path = root / params.paths.data_versions
    versions = read_versions(path)
    if versions and versions[-1]["dataset_version"] == dataset_version:
        return versions[-1]
    rows, batches, first, last = _period(root / params.paths.dataset, params.data.time)
    entry = {"dataset_version": dataset_version, "path": params.paths.dataset, "rows": rows,
             "batches": batches, "first": first, "last": last,
             "versioned_at": datetime.now(UTC).isoformat()}
    return jsonl.append(path, entry)


def execute(params: Params, root: Path, stages: tuple[str, ...] = DATA_STAGES) -> str:
    """Version the accepted batches and the training window (DVC add/commit + push), list the
    window in the versions file and return its DVC hash (the dataset version)."""
    track_batches(root, params.data.batches)
    commit_and_push(root, stages, git=False)  # git records the run once, at its end
    dataset_version = file_md5(root / params.paths.dataset)
    record_version(params, root, dataset_version)
    return dataset_version
