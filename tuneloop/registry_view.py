"""Read-only views of the MLflow registry and the promotion audit log for the CLI."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuneloop.config import Params
from tuneloop.metrics import TASK_METRICS

# What `status` shows of the last audit entry (the full entry stays in the log).
DECISION_KEYS = ("time", "action", "version", "promoted", "champion_before", "champion_after",
                 "metric", "margin", "delta", "ci", "reason")


def _version_info(client: Any, name: str, alias: str) -> Any | None:
    """None only when the registry says the alias does not exist; a store error propagates
    (status must not show "no champion" for a locked store)."""
    from tuneloop.promotion import alias_version

    return alias_version(client, name, alias)


def _brief(version: Any | None, name: str) -> dict[str, Any] | None:
    if version is None:
        return None
    return {"name": name, "version": str(version.version), "run_id": version.run_id,
            "decision": version.tags.get("decision"), "reason": version.tags.get("reason")}


def batch_decisions(path: Path, batches_dir: Path) -> dict[str, Any]:
    """The retraining policy's last decision, the retrain it still owes, and the accepted
    batches (in `batches_dir`) it has not decided yet: the next `tuneloop run` decides them."""
    from tuneloop.batches import accepted_batches
    from tuneloop.decisions import DECIDED, Ledger
    from tuneloop.io import file_md5

    ledger = Ledger(path)
    accepted = accepted_batches(batches_dir)
    decided = [e for e in ledger.events() if e.get("event") == DECIDED]
    last = decided[-1] if decided else None
    # By content, as the drift check decides: a batch file rewritten under its old name is
    # undecided to both.
    md5s = {e.get("md5") for e in decided}
    return {"decided": len(decided),
            "undecided": [f.name for f in accepted if file_md5(f) not in md5s],
            "last": None if last is None else {"batch": last["batch"], "at": last["at"],
                                               **last["decision"]},
            # In arrival order: status has no time column to order by.
            "pending": [e["batch"] for e in ledger.pending([f.name for f in accepted])]}


def moved_outside(last_entry: dict[str, Any] | None, actual: str | None) -> str | None:
    """Why the champion alias cannot be trusted, or None: it no longer points where tuneloop's
    audit log last put it. MLflow's UI (or any client) can set the alias directly, which
    bypasses the gate and the audit log; tuneloop cannot stop that, so it says so."""
    if last_entry is None or last_entry.get("champion_after") == actual:
        return None
    if actual is None:
        return (f"the champion alias was removed outside tuneloop (the audit log's last "
                f"champion is v{last_entry.get('champion_after')}): nothing is served as "
                f"champion; `tuneloop promote {last_entry.get('champion_after')} --force "
                f"--reason ...` puts it back")
    return (f"the champion alias points at v{actual} but the audit log's last champion is "
            f"v{last_entry.get('champion_after')}: moved outside tuneloop (e.g. in the MLflow "
            f"UI), without the gate; `tuneloop promote {actual} --force --reason ...` records "
            f"it, or set the alias back")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _plain(value: Any) -> Any:
    """An audit figure for JSON: NaN (an undefined delta, its CI) as null."""
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def rejected_files(arrivals: Path) -> dict[str, Any]:
    """The batch files rejected and not accepted since (a retry that passed clears one): how
    many, and the last. Files `tuneloop ingest` rejected showed nowhere in `status` or the
    report; those a run met did, as its history line (sweep 27)."""
    from tuneloop import jsonl

    judged = [e for e, cleared in rejections(jsonl.read(arrivals, "batch ledger"))
              if not cleared]
    # A re-sent copy of accepted rows is nothing to fix: counted apart (sweep 31).
    rejected = [e for e in judged if not e.get("resent")]
    last = rejected[-1] if rejected else None
    return {"count": files_in(rejected),
            "resent": files_in([e for e in judged if e.get("resent")]),
            "last": None if last is None else {k: last.get(k) for k in
                                               ("source", "decided_at", "quarantined_in")}}


def withdrawn_files(arrivals: Path) -> dict[str, Any]:
    """The accepted batches withdrawn from the window (`tuneloop data withdraw`) and not
    accepted again since: how many, and the last, with its reason."""
    from tuneloop import jsonl
    from tuneloop.batches import withdrawn_now

    out = list(withdrawn_now(jsonl.read(arrivals, "batch ledger")).values())
    out.sort(key=lambda e: str(e.get("decided_at")))
    last = out[-1] if out else None
    return {"count": len(out),
            "last": None if last is None else {
                "source": last.get("source"), "reason": last.get("withdrawn"),
                "withdrawn_at": last.get("decided_at"),
                "quarantined_in": last.get("quarantined_in")}}


def champion_learnt_withdrawn(params: Params, root: Path, client: Any,
                              version: str) -> dict[str, Any] | None:
    """Whether a registered version (the champion) was trained with a batch now withdrawn:
    {"batches": their names, "clean_version": the newest version trained with none} or None
    (learnt_withdrawn, asked of one version)."""
    return learnt_withdrawn(params, root, client)(version)


def learnt_withdrawn(params: Params, root: Path,
                     client: Any) -> Callable[[str], dict[str, Any] | None]:
    """champion_learnt_withdrawn of any version, the batch ledger, the decisions and the
    registry read once (status asks it of the champion and the challenger). A version the
    decision ledger knows (the window of the retrain that made it) learnt the
    withdrawn batches in that window, as the policy reads it (stages.drift); another (made by
    hand, or before the ledger) learnt those accepted before it was registered and withdrawn
    after (errs towards "learnt it": `data.window` may have left an old one out). Sweep 31: a
    champion that learnt a batch later withdrawn kept serving without a word, and `rollback`
    served another version that had learnt it."""
    import pandas as pd

    from tuneloop import jsonl
    from tuneloop.batches import withdrawn_batches
    from tuneloop.decisions import Ledger
    from tuneloop.promotion import with_retries

    def utc(text: Any) -> Any:
        when = pd.Timestamp(str(text))
        return when if when.tzinfo else when.tz_localize("UTC")

    spans = {name: (utc(accepted.get("decided_at")), utc(gone.get("decided_at")))
             for name, (accepted, gone) in withdrawn_batches(
                 jsonl.read(root / params.paths.arrivals, "batch ledger")).items()}
    if not spans:
        return lambda version: None
    ledger = Ledger(root / params.paths.decisions)

    def learnt(v: Any) -> list[str]:
        window = ledger.window_of(str(v.version))
        if window is not None:
            return sorted(set(window) & set(spans))
        made = pd.Timestamp(int(v.creation_timestamp), unit="ms", tz="UTC")
        return sorted(b for b, (accepted, gone) in spans.items() if accepted < made < gone)

    versions = with_retries(lambda: client.search_model_versions(
        f"name='{params.promote.model_name}'"))
    clean = clean_choice({int(v.version): dict(v.tags or {}) for v in versions
                          if not learnt(v)})

    def of(version: str) -> dict[str, Any] | None:
        mine = next((learnt(v) for v in versions if str(v.version) == str(version)), [])
        return {"batches": mine, **clean} if mine else None

    return of


def clean_choice(clean: dict[int, dict[str, str]]) -> dict[str, Any]:
    """Of the versions trained without the withdrawn batches (number -> its tags): the newest
    ("clean_version"); where the gate refused it (its `decision` tag), why
    ("clean_refused") and the newest the gate promoted ("clean_passed", None if none): sweep
    37, status advised promoting the refit the gate had just refused."""
    if not clean:
        return {"clean_version": None}
    newest = max(clean)
    out: dict[str, Any] = {"clean_version": str(newest)}
    if clean[newest].get("decision") == "rejected":
        passed = [n for n, tags in clean.items() if tags.get("decision") == "promoted"]
        out["clean_refused"] = clean[newest].get("reason") or "no reason recorded"
        out["clean_passed"] = str(max(passed)) if passed else None
    return out


def learnt_advice(version: str, learnt: dict[str, Any], policy: str = "auto") -> str:
    """What to do about a champion trained with a withdrawn batch (champion_learnt_withdrawn's
    answer; status, withdraw, rollback)."""
    batches, clean = learnt["batches"], learnt["clean_version"]
    named = ", ".join(batches[:3]) + (f" and {len(batches) - 3} more" if len(batches) > 3
                                      else "")
    serve = (f"v{clean} is the newest version trained without it: `tuneloop promote {clean} "
             f"--force --reason \"...\"` serves it until a retrain replaces it"
             if clean is not None else "no registered version was trained without it")
    if learnt.get("clean_refused"):
        passed = learnt.get("clean_passed")
        # The gate's own words, after a no-bar preamble (sweep 41b: status gave "the champion
        # v3 was trained with withdrawn batch(es) ..." as the reason a refit was refused).
        from tuneloop.promotion import FIRST_BAR

        refused = str(learnt["clean_refused"]).partition(FIRST_BAR)[2] or \
            str(learnt["clean_refused"])
        refused = refused.split(";")[0]
        if len(refused) > 160:  # cut at a word, not inside a figure
            refused = refused[:160].rsplit(" ", 1)[0] + " ..."
        serve = (f"v{clean} is the newest version trained without it, but the gate refused it "
                 f"({refused}); " + (
                     f"v{passed} is the newest one trained without it that was "
                     f"promoted: `tuneloop promote {passed} --force --reason \"...\"` serves it "
                     "until a retrain replaces it" if passed is not None else
                     f"none trained without it passed the gate: `tuneloop promote {clean} "
                     "--force --reason \"...\"` serves the refused one anyway"))
    then = ("under policy never nothing retrains by itself: `tuneloop run --force` once a "
            "later batch arrives" if policy == "never" else
            "the next batch's run retrains on the window without it")
    return f"the champion v{version} was trained with withdrawn batch(es) {named}: {serve}; {then}"


def files_in(entries: list[dict[str, Any]]) -> int:
    """How many files ledger entries name: a file rejected twice is one."""
    return len({e.get("md5") for e in entries})


def rejections(entries: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bool]]:
    """Each rejection in the batch ledger, and whether it was cleared since: the same bytes
    accepted on a retry, or a file of the same name accepted later (the file fixed, as the
    rejection advises, has other bytes: the review), or the file dismissed."""
    out = []
    for i, entry in enumerate(entries):
        if entry.get("accepted") or entry.get("withdrawn") or entry.get("dismissed"):
            continue  # a withdrawal or a dismissal is no rejection
        name = Path(str(entry.get("source"))).name
        cleared = any((later.get("accepted") and (
            later.get("md5") == entry.get("md5")
            or Path(str(later.get("source"))).name == name))
            # set aside by `tuneloop data dismiss` (sweep 30: its rows came in another file)
            or (later.get("dismissed") and later.get("md5") == entry.get("md5"))
            for later in entries[i + 1:])
        out.append((entry, cleared))
    return out


def stored_model_missing(client: Any, version: Any) -> str | None:
    """Why a registered version's model cannot be loaded from a local artifact store (its
    folder, or the MLmodel file in it, is gone), or None (sweep 56c F5: with the artifact root
    emptied, status still showed a healthy champion and loading it said "No such artifact:
    ''"). Stores that are not local folders are not probed."""
    from urllib.parse import unquote, urlparse

    source = str(getattr(version, "source", "") or "")
    # The SQLite store gives no model_id; the source names the logged model (models:/m-...).
    model_id = getattr(version, "model_id", None) or (
        source.removeprefix("models:/") if source.startswith("models:/m-") else None)
    if not model_id:
        return None
    from tuneloop.promotion import is_absent, store_error

    try:
        location = client.get_logged_model(model_id).artifact_location
    except Exception as exc:  # noqa: BLE001 - sorted below
        if is_absent(exc):
            return None  # a version logged otherwise: nothing to probe
        raise store_error(exc, f"read the logged model {model_id}") from None
    parsed = urlparse(str(location))
    if parsed.scheme not in ("file", ""):
        return None
    folder = Path(unquote(parsed.path))
    if (folder / "MLmodel").is_file():
        return None
    return (f"{folder}: the champion v{version.version}'s stored model is missing (no MLmodel "
            "file): loading it fails; restore the artifact root (mlflow.artifact_root)")


def champion_status(params: Params, root: Path) -> dict[str, Any]:
    import mlflow

    from tuneloop import audit
    from tuneloop.decisions import (
        read_window,
        window_recoded_note,
        window_unconfirmed_note,
        window_unit_note,
    )
    from tuneloop.leakage import suspected_note
    from tuneloop.promotion import CHALLENGER, CHAMPION, FAMILY_BETTER, registry_files
    from tuneloop.tracking import setup

    setup(params.mlflow, root)
    client = mlflow.MlflowClient()
    name = params.promote.model_name
    entry = audit.last_decision(audit.read(registry_files(params, root).audit_log), name)
    last = {k: _plain(entry.get(k)) for k in DECISION_KEYS} if entry else None
    out: dict[str, Any] = {
        "champion": None, "task": params.data.task, "metrics": {}, "dataset_version": None,
        "params": {},
        "challenger": _brief(_version_info(client, name, CHALLENGER), name),
        "last_decision": last, "reason": last["reason"] if last else None,
    }
    out["suspected_leaks"] = suspected_note(params.data)
    window = read_window(params, root)  # once for both notes
    out["unit_suspects"] = window_unit_note(params, root, window)
    out["unconfirmed_holds"] = window_unconfirmed_note(params, root, window)
    out["recoded_in_window"] = window_recoded_note(params, root, window=window)
    out["batches"] = batch_decisions(root / params.paths.decisions, root / params.data.batches)
    out["rejected_files"] = rejected_files(root / params.paths.arrivals)
    out["withdrawn_files"] = withdrawn_files(root / params.paths.arrivals)
    learnt_of = learnt_withdrawn(params, root, client)
    if out["challenger"] is not None:
        # Promoting it by hand would serve what was withdrawn (sweep 35: a refit of a
        # label-flipped batch stayed `challenger: v5` after the batch was withdrawn).
        held = learnt_of(out["challenger"]["version"])
        if held is not None:
            out["challenger_learnt_withdrawn"] = held["batches"]
    version = _version_info(client, name, CHAMPION)
    out["moved_outside_tuneloop"] = moved_outside(
        entry, None if version is None else str(version.version))
    if version is None and out["moved_outside_tuneloop"] and entry is not None:
        from tuneloop.promotion import is_absent, store_error, unknown_version

        after = str(entry.get("champion_after"))
        try:
            client.get_model_version(name, after)
        except Exception as exc:  # noqa: BLE001 - sorted below
            if not is_absent(exc):  # a locked store is no answer (README: a stop)
                raise store_error(exc, f"read {name} v{after}") from None
            out["moved_outside_tuneloop"] = unknown_version(
                registry_files(params, root).audit_log, name, after)
    if version is None:
        return out
    learnt = learnt_of(str(version.version))
    if learnt is not None:
        out["champion_learnt_withdrawn"] = learnt
    if (gone := stored_model_missing(client, version)) is not None:
        out["champion_model_missing"] = gone
    run = client.get_run(version.run_id)
    out.update({
        "champion": {"name": name, "version": str(version.version), "run_id": version.run_id},
        # An undefined figure (AUC of a one-class holdout) is null: NaN is not JSON.
        "metrics": {k: _finite(run.data.metrics.get(f"holdout_{k}"))
                    for k in TASK_METRICS[params.data.task]},
        "dataset_version": version.tags.get("dataset_version"),
        "params": json.loads(version.tags.get("params", "{}")),
    })
    if version.tags.get(FAMILY_BETTER):
        # What makes `auto` re-tune the next triggered batch rather than refit (policy.decide;
        # the second review: said only in the next decision's reason).
        out["champion_family_better"] = version.tags[FAMILY_BETTER]
    return out
