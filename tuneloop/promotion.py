"""Moving the `champion` alias: the gated decision, manual promotion and rollback.

Each runs its whole read-champion → decide → audit → move alias → tag sequence under one file
lock next to the MLflow store, so concurrent promoters are serialized and never decide against a
champion that has just changed. The audit entry comes first (write-ahead): a process stopped
before the alias moved leaves a decision that the next operation finishes (finish_interrupted).
Scoring uses the served pyfunc, so the challenger and the champion are compared exactly as they
would serve, on the same current holdout rows.
"""

from __future__ import annotations

import getpass
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from tuneloop import audit, experiments
from tuneloop.config import Params, PromoteConfig
from tuneloop.errors import StoreError, TuneloopError
from tuneloop.gate import GateRules, Verdict, decide, order_figure
from tuneloop.metrics import REGRESSION, task_metrics

CHAMPION = "champion"
CHALLENGER = "challenger"
COST_METRICS = ("latency_ms_per_1k", "size_bytes", "group_gap")
T = TypeVar("T")
# MLflow loads a models-from-code file by running it, and the file hands its model over through
# a process-global (mlflow.models.set_model): two threads loading at once can get each other's
# model object. Our loads and logs take this lock; separate processes are unaffected.
MODEL_CODE_LOCK = threading.RLock()


TRAINED_THROUGH = "trained_through"  # version tag: the newest batch file the model was fit on
# Version tag: another family's best trial held out better than this model beyond the
# holdout's noise at its evaluation (stages.promote.family_better_tag; policy.decide).
FAMILY_BETTER = "family_better"
ROUNDS_TAG = "num_boost_round"  # version tag: the boosting rounds it was fit with


class PromotionError(TuneloopError):
    """A promotion or rollback cannot be done as asked."""


@dataclass(frozen=True)
class RegistryFiles:
    audit_log: Path
    lock: Path


@dataclass(frozen=True)
class Decision:
    model_name: str
    version: str
    promoted: bool
    reason: str
    metric: str
    challenger: dict[str, float]
    champion_version: str | None = None
    champion: dict[str, float] = field(default_factory=dict)
    action: str = "gate"
    margin: float = 0.0
    delta: float | None = None
    ci: list[float] | None = None
    confidence: float | None = None
    cost: dict[str, float] = field(default_factory=dict)
    decided_at: str = field(default_factory=audit.now)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def registry_files(params: Params, root: Path) -> RegistryFiles:
    """The audit log from params; the lock beside the SQLite store (or beside the log when the
    store is a server, where the file lock still serializes promoters sharing this disk)."""
    from tuneloop.tracking import SQLITE_PREFIX, resolve_uri

    audit_log = (root / params.paths.audit_log).resolve()
    uri = resolve_uri(params.mlflow.tracking_uri, root)
    if uri.startswith(SQLITE_PREFIX):
        db = Path(uri[len(SQLITE_PREFIX):])
        return RegistryFiles(audit_log, db.with_name(db.name + ".lock"))
    return RegistryFiles(audit_log, audit_log.with_name(audit_log.name + ".lock"))


# How many times an MLflow call that hit SQLite's "database is locked" is tried (MLflow's own
# busy timeout, 20 s, runs inside each try); tracking.setup sets it from mlflow.store_retries.
STORE_ATTEMPTS = 8


def with_retries(fn: Callable[[], T], attempts: int | None = None) -> T:
    """Retry an MLflow call that failed on SQLite's "database is locked". MLflow already sets a
    20 s busy timeout; this covers the writes that still lose the race under many promoters.
    A store still busy after the last try is a StoreError naming it, never an answer."""
    attempts = attempts or STORE_ATTEMPTS
    delay = 0.1
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as exc:  # MlflowException or sqlalchemy OperationalError
            if "database is locked" not in str(exc):
                raise
            if attempt == attempts - 1:
                raise StoreError(f"{_store()}: the MLflow store stayed locked (database is "
                                 f"locked) through {attempts} tries "
                                 "(mlflow.store_retries)") from None
            logging.getLogger(__name__).warning("MLflow store busy (database is locked); "
                                                "retry %d in %.1f s", attempt + 1, delay)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


def _store() -> str:
    import mlflow

    return mlflow.get_registry_uri()


def is_absent(exc: BaseException) -> bool:
    """True only for the registry's definite "no such alias / model / version" answers."""
    from mlflow.exceptions import MlflowException

    if not isinstance(exc, MlflowException):
        return False
    text = str(exc).lower()
    return exc.error_code == "RESOURCE_DOES_NOT_EXIST" or (
        exc.error_code == "INVALID_PARAMETER_VALUE" and "not found" in text)


def store_error(exc: BaseException, what: str) -> StoreError:
    """A registry failure that is not a definite absence, as one line naming the store."""
    lines = str(exc).strip().splitlines()
    first = lines[0][:200] if lines else ""
    return StoreError(f"{_store()}: cannot {what} ({type(exc).__name__}: {first})")


def alias_version(client: Any, name: str, alias: str) -> Any | None:
    """The model version behind `alias`, or None when the registry says there is none. Any
    other failure (a locked, read-only or unreachable store) raises StoreError: deciding "no
    champion" on a store error would let the gate promote without comparing."""
    try:
        return with_retries(lambda: client.get_model_version_by_alias(name, alias))
    except StoreError:
        raise
    except Exception as exc:
        if is_absent(exc):
            return None
        raise store_error(exc, f"read the {alias!r} alias of {name!r}") from None


def current_alias(client: Any, name: str, alias: str) -> str | None:
    """The version number behind `alias` (alias_version's rules)."""
    found = alias_version(client, name, alias)
    return None if found is None else str(found.version)


def load_registered(uri: str) -> Any:
    """`mlflow.pyfunc.load_model(uri)` into a folder of its own, kept as long as the model is:
    loaded in place, MLflow writes a registered_model_meta file into the stored model, so a
    read-only store could not be read and every read changed the registry (sweep 56c)."""
    import tempfile

    import mlflow

    folder = tempfile.TemporaryDirectory(prefix="tuneloop-model-")
    model = mlflow.pyfunc.load_model(uri, dst_path=folder.name)
    model._tuneloop_folder = folder  # removed with the model
    return model


def score_version(name: str, version: str, holdout: pd.DataFrame) -> np.ndarray:
    """Holdout predictions from the registered model, with the schema stored with it (its own
    levels and columns, whatever the working tree holds now). The holdout is already prepared,
    so the project's prepare hook is not run again."""
    with MODEL_CODE_LOCK:
        model = load_registered(f"models:/{name}/{version}")
    served = model.unwrap_python_model()
    return np.asarray(served.predict_prepared(holdout), dtype="float64")


# Run in a fresh interpreter, from an empty folder: MLflow puts the model's logged code first on
# sys.path before anything imports tuneloop, so the champion is scored with the feature code it
# was registered with, not with whatever the working tree holds now.
_SCORE_WITH_OWN_CODE = """
import sys
import mlflow, numpy as np, pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1], dst_path=sys.argv[4])
served = model.unwrap_python_model()
if not hasattr(served, "predict_prepared"):
    sys.exit("registered by a tuneloop without a feature schema; it cannot be re-scored")
pred = np.asarray(served.predict_prepared(pd.read_parquet(sys.argv[2])), dtype="float64")
np.save(sys.argv[3], pred, allow_pickle=False)
"""


def score_version_with_own_code(name: str, version: str, holdout: pd.DataFrame) -> np.ndarray:
    """Holdout predictions of a registered version computed by the code stored with it (in a
    separate process). What the gate uses for the champion."""
    import os
    import subprocess
    import sys
    import tempfile

    import mlflow

    with tempfile.TemporaryDirectory(prefix="tuneloop-score-") as tmp:
        rows, out = Path(tmp) / "holdout.parquet", Path(tmp) / "pred.npy"
        holdout.to_parquet(rows, index=False)
        env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow.get_tracking_uri(),
               "MLFLOW_REGISTRY_URI": mlflow.get_registry_uri(), "PYTHONPATH": ""}
        (Path(tmp) / "model").mkdir()
        done = subprocess.run([sys.executable, "-c", _SCORE_WITH_OWN_CODE,
                               f"models:/{name}/{version}", str(rows), str(out),
                               str(Path(tmp) / "model")],
                              cwd=tmp, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
            raise PromotionError(f"models:/{name}/{version}: scoring it with its own code "
                                 f"failed: {lines[-1] if lines else done.returncode}")
        return np.load(out, allow_pickle=False)


def version_cost(client: Any, name: str, version: str) -> dict[str, float]:
    """The cost figures evaluation logged on the version's run (model_latency_ms_per_1k, ...)."""
    run_id = client.get_model_version(name, version).run_id
    metrics = client.get_run(run_id).data.metrics if run_id else {}
    return {k: metrics[f"model_{k}"] for k in COST_METRICS if f"model_{k}" in metrics}


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no USER and no passwd entry (some containers)
        return "unknown"


def _set_alias(client: Any, name: str, alias: str, version: str) -> None:
    with_retries(lambda: client.set_registered_model_alias(name, alias, version))


def _crown(client: Any, name: str, version: str) -> None:
    """Make `version` the champion. A champion is no challenger: it leaves that alias (a
    version kept out by a manual gate, then rolled back to, showed as both), and so does an
    older version kept out against an earlier champion (status showed v2 the challenger of v3,
    sweep 10). A newer challenger stays (a rollback to an older champion)."""
    _set_alias(client, name, CHAMPION, version)
    challenger = current_alias(client, name, CHALLENGER)
    if challenger is not None and int(challenger) <= int(version):
        with_retries(lambda: client.delete_registered_model_alias(name, CHALLENGER))


def _tag(client: Any, name: str, version: str, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        with_retries(lambda k=key, v=value: client.set_model_version_tag(name, version, k, v))


def apply_gate(cfg: PromoteConfig, files: RegistryFiles, version: str, holdout: pd.DataFrame,
               y: np.ndarray, task: str, metric: str,
               challenger_proba: np.ndarray, cost: dict[str, float], *, limits: Any,
               action: str = "gate", force_reason: str | None = None,
               tags: dict[str, str] | None = None, run_id: str | None = None,
               check_champion: Callable[[str], None] | None = None,
               caveats: Callable[[str | None], list[str]] | None = None,
               constants: Sequence[float] = (), learns_holdout: bool = False,
               withdrawn_in: Callable[[str], list[str]] | None = None,
               window_note: Callable[[], str] | None = None) -> Decision:
    """Under the registry lock: score the current champion on this holdout (labels `y`, the
    task's `metric` compared), run the gate, move
    the alias, tag the version and append the audit entry. action "force" skips the gate's
    verdict (still computed and recorded) and needs force_reason. `check_champion` is given
    the champion's version under the lock, before anything is written: it raises to refuse.
    `caveats`, given the champion's version (or None), says what a forced decision's figures
    cannot be trusted for; they join its reason. `learns_holdout`: the version was refit on
    this holdout once scored (gate.decide holds a re-tune to the unit check then).
    `withdrawn_in`, given the champion's version, names the withdrawn batches it learnt: such
    a champion is no bar (its figures on the holdout may be its memory of rows it learnt from
    the withdrawn export, or a later period's), and the version is held to a first model's
    bar (sweep 40b: a champion refit on an export later withdrawn scored a corrected
    re-export of the same rows at RMSE 3.74 against 5.98 unseen, and refused every clean
    retrain after it, the withdrawn data serving on). `window_note`: gate.decide's."""
    import mlflow

    client = mlflow.MlflowClient()
    name = cfg.model_name
    with audit.registry_lock(files.lock, cfg.lock_timeout_s):
        finish_interrupted(client, name, files.audit_log)
        before = current_alias(client, name, CHAMPION)
        outside = None
        if before == version and action == "force":
            # The alias was moved to this version outside tuneloop (the MLflow UI): status
            # says `promote V --force` records it, which refused as "already the champion"
            # (sweep 25). Judged against the champion the audit log last put there.
            entry = audit.last_decision(audit.read(files.audit_log), name)
            audited = entry.get("champion_after") if entry else None
            if audited is not None and str(audited) != version:
                before = outside = str(audited)
        if before == version:
            raise PromotionError(f"{name} v{version} is already the champion")
        tainted = withdrawn_in(before) if before and withdrawn_in is not None else []
        if before is not None and check_champion is not None and not tainted:
            # Under the lock: the champion checked is the one the gate would score (a
            # champion that is no bar is not compared: the review).
            check_champion(before)
        champion_proba = (score_version_with_own_code(name, before, holdout) if before
                          else None)
        terms = refit_terms(client, cfg, before, tags, task)
        if tainted:
            # No refit tolerance or order against it; its holdout rmse still sets the unit
            # check a re-tune that learns the holdout is held to (the review).
            terms = (None, None, terms[2], None)
        verdict = decide(GateRules.from_config(cfg, metric, limits), y, challenger_proba,
                         None if tainted else champion_proba, cost, *terms,
                         constants=constants, learns_holdout=learns_holdout,
                         window_note=window_note)
        # The gate knows no version numbers; the reason names the one that would override it.
        promoted, reason = verdict.promote, verdict.reason.replace("<this version>", version)
        if tainted:
            named = ", ".join(tainted[:3]) + (f" and {len(tainted) - 3} more"
                                              if len(tainted) > 3 else "")
            first = re.sub(r"^no champion yet(?:, and |; | )", "", reason)
            reason = (f"the champion v{before} was trained with withdrawn batch(es) {named}: "
                      f"no bar (its figures may be its memory of them); {FIRST_BAR}{first}")
        if action == "force":
            promoted = True
            caveat = "; ".join(caveats(before)) if caveats is not None else ""
            reason = (f"forced by {_user()}: {force_reason} (gate: {verdict.reason}"
                      f"{f'; but {caveat}' if caveat else ''})" + (
                          f"; records the champion alias moved to v{version} outside "
                          f"tuneloop (the audit log's champion was v{outside})"
                          if outside else ""))
        decision = Decision(
            model_name=name, version=version, promoted=promoted, reason=reason,
            metric=metric, challenger=task_metrics(task, y, challenger_proba),
            champion_version=before,
            champion=task_metrics(task, y, champion_proba) if champion_proba is not None
            else {},
            action=action, margin=cfg.min_improvement, delta=verdict.delta,
            ci=list(verdict.ci) if verdict.ci else None, confidence=verdict.confidence,
            cost=cost)
        # Write-ahead: the decision is in the audit log before the registry changes, so a
        # process that stops in between leaves a move the next registry operation finishes
        # (finish_interrupted), never a moved alias that the log does not explain.
        audit.append(files.audit_log, _entry(decision, verdict, before,
                                             version if promoted else before, run_id,
                                             len(holdout)))
        # A version re-gated by hand and kept out keeps its aliases and its own run's decision
        # tags (sweep 8: `promote 1` of a former champion took the challenger alias from the
        # loop's latest candidate and retagged v1 "rejected"); the audit log has the verdict.
        regated = action == "manual" and not promoted
        if promoted:
            _crown(client, name, version)
        elif not regated:
            _set_alias(client, name, CHALLENGER, version)
        prefix = "manual_" if regated else ""
        _tag(client, name, version, {
            **({} if regated else tags or {}),
            f"{prefix}decision": "promoted" if promoted else "rejected",
            f"{prefix}reason": reason[:4000], f"{prefix}decided_at": decision.decided_at,
            **({} if regated else {"action": action}),
            **({"previous_champion": before} if promoted and before else {})})
    return decision


def refit_terms(client: Any, cfg: PromoteConfig, champion: str | None,
                tags: dict[str, str] | None,
                task: str) -> tuple[float | None, float | None, float | None, float | None]:
    """(the refit tolerance, the champion's order, its holdout rmse, its row-weighted order)
    when the challenger is the champion's own configuration refit on newer data; else the
    tolerance None (a re-tune: its checks of the newest batch, gate.decide).
    Such a refit is gated for non-inferiority (promote.refit_tolerance), as what it adds
    cannot show on this holdout, and its predictions are held to how well the champion ordered
    its own holdout's labels (gate.order_figure of the holdout metrics its run logged; for
    several classes by rows too) and, for a regression, to the size of error the champion made
    there (gate._another_unit). The version is read once."""
    mine, through = (tags or {}).get("params"), (tags or {}).get(TRAINED_THROUGH)
    if champion is None or mine is None or through is None:
        return None, None, None, None
    theirs = with_retries(lambda: client.get_model_version(cfg.model_name, champion))
    holdout = _holdout_figures(client, theirs)
    error = _finite(holdout.get("rmse")) if task == REGRESSION else None
    order, weighted = _orders(task, holdout)
    if order is None:
        # Its holdout held one class (a partial batch it was promoted on): the bar is the
        # last champion before it whose holdout measured one (sweep 52b: after a one-class
        # batch, a refit that had learnt two classes swapped was promoted unchecked and
        # served the next honest batch at log loss 1.17 against 0.30).
        order, weighted = _earlier_order(client, cfg.model_name, theirs, task)
    # The same configuration fit on data reaching further than the champion's: a refit. Its
    # rounds too, where both versions say them: a warm trial of the champion's params early
    # stopped elsewhere is a new model, held to be better (sweep 52e).
    rounds = (tags or {}).get(ROUNDS_TAG), theirs.tags.get(ROUNDS_TAG)
    if theirs.tags.get("params") != mine or theirs.tags.get(TRAINED_THROUGH) == through \
            or (None not in rounds and rounds[0] != rounds[1]):
        # A re-tune: its tolerance none, the champion's order given for gate._shuffled_batch.
        return None, order, error, None
    return cfg.refit_tolerance, order, error, weighted


EARLIER_CHAMPIONS = 10  # champions walked back for one whose holdout measured an order


def _holdout_figures(client: Any, version: Any) -> dict[str, float]:
    metrics = with_retries(lambda: client.get_run(version.run_id)).data.metrics
    return {k.removeprefix("holdout_"): v for k, v in metrics.items()
            if k.startswith("holdout_")}


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def _orders(task: str, holdout: dict[str, float]) -> tuple[float | None, float | None]:
    """A version's order figure on its holdout and its row-weighted one (None for a version
    logged before it was kept)."""
    return order_figure(task, holdout), _finite(holdout.get("order_weighted"))


def _earlier_order(client: Any, name: str, version: Any,
                   task: str) -> tuple[float | None, float | None]:
    """The order figure (and row-weighted one) of the newest champion before `version`, by its
    previous_champion tags, whose holdout measured one; Nones where none did."""
    for _ in range(EARLIER_CHAMPIONS):
        before = version.tags.get("previous_champion")
        if not before:
            break
        try:
            version = with_retries(lambda b=before: client.get_model_version(name, b))
        except Exception as exc:
            if is_absent(exc):  # deleted from the registry since: no bar further back
                break
            raise
        order, weighted = _orders(task, _holdout_figures(client, version))
        if order is not None:
            return order, weighted
    return None, None


def finish_interrupted(client: Any, name: str, audit_log: Path,
                       entries: list[dict[str, Any]] | None = None) -> str | None:
    """Call under the registry lock before reading the champion (`entries`: the audit log,
    when the caller has read it already). Audit entries are written before the alias moves; if
    a process stopped between the two, the alias still points at the last entry's
    champion_before. Move it to the champion_after the log records and return that version
    (None when nothing was left half done)."""
    last = audit.last_decision(audit.read(audit_log) if entries is None else entries, name)
    if last is None:
        return None
    alias, before, after = (current_alias(client, name, CHAMPION), last.get("champion_before"),
                            last.get("champion_after"))
    if after is None or alias == after or alias != before:
        return None
    # Applied moves carry the entry's time as a tag on the version they made champion; an alias
    # that is back on `before` despite that was moved outside tuneloop: not ours to change.
    key = "restored_at" if last.get("action") == "rollback" else "decided_at"
    try:
        made = with_retries(lambda: client.get_model_version(name, str(after)))
    except StoreError:
        raise
    except Exception as exc:
        if not is_absent(exc):
            raise store_error(exc, f"read {name} v{after}") from None
        # A store made afresh beside an audit log of another one: a traceback from `run`
        # before (the verification sweep, after the lost-store line's own advice).
        raise StoreError(unknown_version(audit_log, name, str(after))) from None
    if before is None and last.get("run_id") and made.run_id != last.get("run_id"):
        # A version of that number from another run: a store made afresh beside this log,
        # where crowning it would serve a model no gate judged (the second review).
        raise StoreError(unknown_version(audit_log, name, str(after)))
    if made.tags.get(key) == last.get("time"):
        return None
    logging.getLogger(__name__).warning(
        "%s: the last audited decision (%s, %s) made v%s champion but the alias still points at "
        "v%s (the process stopped in between); finishing the move", audit_log,
        last.get("action"), last.get("time"), after, before)
    _crown(client, name, str(after))
    _tag(client, name, str(after), {key: str(last.get("time"))})
    return str(after)


def unknown_version(audit_log: Path, name: str, version: str) -> str:
    """The line for an audit log whose last champion the registry does not hold."""
    return (f"{audit_log}: its last decision made {name} v{version} champion, but the registry "
            f"({_store()}) holds no such version: the store is not the one these decisions "
            "were made in (restored from an older copy, or made afresh); restore it, or move "
            "the audit log (paths.audit_log) aside to start afresh")


def _entry(decision: Decision, verdict: Verdict, before: str | None, after: str | None,
           run_id: str | None, holdout_rows: int) -> dict[str, Any]:
    return {"time": decision.decided_at, "action": decision.action,
            "model_name": decision.model_name, "version": decision.version,
            "promoted": decision.promoted, "champion_before": before, "champion_after": after,
            "metric": decision.metric, "margin": decision.margin, "delta": decision.delta,
            "ci": decision.ci, "confidence": decision.confidence,
            "challenger_metrics": decision.challenger, "champion_metrics": decision.champion,
            "cost": decision.cost, "reason": decision.reason, "gate_reason": verdict.reason,
            "run_id": run_id, "holdout_rows": holdout_rows, "user": _user()}


def promote_version(params: Params, root: Path, version: str, holdout: pd.DataFrame, *,
                    force: bool = False, reason: str | None = None) -> Decision:
    """`tuneloop promote VERSION`: the same gate against the current champion on the current
    holdout, unless forced with a reason. MLflow must be set up by the caller."""
    import mlflow

    if force and not (reason and reason.strip()):
        raise PromotionError("--force needs --reason: say why the gate is overridden")
    client = mlflow.MlflowClient()
    name = params.promote.model_name
    try:
        with_retries(lambda: client.get_model_version(name, version))
    except StoreError:
        raise
    except Exception as exc:
        if not is_absent(exc):
            raise store_error(exc, f"read {name} v{version}") from None
        raise PromotionError(f"registered model {name!r} has no version {version!r}") from None
    if not force and current_alias(client, name, CHAMPION) != version:
        learnt = withdrawn_in(params, root, version)
        if learnt:  # first: a holdout overlap alone hid it (sweep 42b)
            # The review: with a champion that is no bar, another version trained with the
            # same withdrawn export was let through as a first model would be.
            raise PromotionError(f"{name} v{version} was trained with withdrawn batch(es) "
                                 f"{', '.join(learnt[:3])}: promoting it would serve them; "
                                 f"`tuneloop promote {version} --force --reason ...` "
                                 "overrides")
        _refuse_if_learnt(params, root, client, version, version)
    files = registry_files(params, root)
    with MODEL_CODE_LOCK:
        schema = load_registered(f"models:/{name}/{version}").unwrap_python_model().schema
    # Labels as the version's own schema encodes them (its frozen classes), predictions from
    # its own code, like the champion's.
    y = schema.labels(holdout, "holdout")

    def check_champion(champion: str) -> None:
        # The other side of the same comparison: a champion refit on these holdout rows (the
        # loop refits its model on the holdout once scored) would be scored on rows it learnt
        # and beat any challenger by memory.
        _refuse_if_learnt(params, root, client, champion, version)

    def learnt(champion: str | None) -> list[str]:
        # Forced, nothing is refused: the reason says which figures were measured on rows
        # the model had learnt (sweep 8: they were printed as if they meant something).
        notes = []
        for checked, who in ((version, f"v{version}"), (champion, f"the champion v{champion}")):
            if checked is None:
                continue
            _, held = _learnt_holdout(params, root, client, checked)
            if held:
                notes.append(f"{who} has learnt these holdout rows ({', '.join(held)}), so its "
                             "figures flatter it")
        return notes

    return apply_gate(params.promote, files, version, holdout, y, schema.task,
                      params.gate_metric, score_version_with_own_code(name, version, holdout),
                      version_cost(client, name, version), limits=params.constraints,
                      action="force" if force else "manual", force_reason=reason,
                      check_champion=None if force else check_champion,
                      caveats=learnt if force else None,
                      constants=getattr(schema, "target_center", None) or (),
                      withdrawn_in=withdrawn_reader(params, root))


# The words after which a no-bar reason gives the gate's own (registry_view reads them).
FIRST_BAR = "held to a first model's bar: "


def withdrawn_reader(params: Params, root: Path) -> Callable[[str], list[str]]:
    """withdrawn_in of this project, as apply_gate asks it of the champion."""
    return lambda version: withdrawn_in(params, root, version)


def withdrawn_in(params: Params, root: Path, version: str) -> list[str]:
    """The withdrawn batches a version learnt, as the policy reads them
    (decisions.Ledger.learnt_withdrawn)."""
    from tuneloop.decisions import Ledger

    return Ledger(root / params.paths.decisions).learnt_withdrawn(
        version, root / params.paths.arrivals)


def _refuse_if_learnt(params: Params, root: Path, client: Any, checked: str,
                      version: str) -> None:
    """Refuse `tuneloop promote version` when the model `checked` (that version, or the
    champion it would face) has learnt the holdout the gate scores on."""
    name = params.promote.model_name
    through, held = _learnt_holdout(params, root, client, checked)
    if not held:
        return
    champion = checked != version
    raise PromotionError(
        f"{'the champion ' if champion else ''}{name} v{checked} was trained through {through}, "
        f"which covers the holdout the gate scores on ({', '.join(held)}): it would be judged "
        f"on rows it learnt{f', so v{version} is not compared with it' if champion else ''}; "
        f"the next retrain scores on a newer one (`tuneloop promote {version} --force --reason "
        "...` overrides)")


def _learnt_holdout(params: Params, root: Path, client: Any,
                    version: str) -> tuple[str | None, list[str] | None]:
    """The newest batch `version` was fit through, and the holdout's batch files when it has
    learnt them (the loop refits its model on the holdout once scored), else None: the gate
    would score it on rows it learnt, and its own figure there flatters it. That holdout is
    the split's, which only a retrain renews: batches ingested since do not change it (read
    from the split's record; the current window's newest when there is none)."""
    from tuneloop.batches import accepted_batches, in_time_order, training_window
    from tuneloop.records import read_holdout_batches

    name = params.promote.model_name
    through = with_retries(lambda: client.get_model_version(name, version)).tags.get(
        TRAINED_THROUGH)
    accepted = [f.name for f in in_time_order(params.data,
                                              accepted_batches(root / params.data.batches))]
    holdout = read_holdout_batches(root / params.paths.splits_dir) or \
        training_window(params.data, accepted)[-params.split.holdout_batches:]
    first = min((accepted.index(b) for b in holdout if b in accepted), default=None)
    if through in accepted and first is not None and accepted.index(through) >= first:
        return through, holdout
    return through, None


def rollback(params: Params, root: Path, reason: str | None = None) -> dict[str, Any]:
    """`tuneloop rollback`: the champion alias goes back to the champion before the current one
    (the history is replayed from the audit log, so repeated rollbacks walk further back)."""
    import mlflow

    client = mlflow.MlflowClient()
    name = params.promote.model_name
    files = registry_files(params, root)
    with audit.registry_lock(files.lock, params.promote.lock_timeout_s):
        entries = audit.read(files.audit_log)  # finishing a move appends nothing to it
        finish_interrupted(client, name, files.audit_log, entries)
        before = current_alias(client, name, CHAMPION)
        last = audit.last_decision(entries, name)
        if last is not None and before != last.get("champion_after"):
            # The history would be wrong: refuse rather than guess what "previous" means.
            raise PromotionError(
                f"{files.audit_log}: the champion alias points at v{before} but the last audited "
                f"champion is v{last.get('champion_after')} (the alias was moved outside "
                f"tuneloop); use `tuneloop promote VERSION --force --reason ...`")
        history = audit.champion_history(entries, name)
        if before is None or not history:
            raise PromotionError(f"{files.audit_log}: no earlier champion of {name!r} to roll "
                                 f"back to")
        target = history[-1]
        entry = audit.append(files.audit_log, {  # write-ahead, as in apply_gate
            "action": "rollback", "model_name": name, "version": target, "promoted": True,
            "champion_before": before, "champion_after": target,
            "reason": reason or f"rollback from v{before} to v{target}",
            "user": _user()})
        _crown(client, name, target)
        _tag(client, name, before, {"rolled_back_at": entry["time"]})
        _tag(client, name, target, {"restored_at": entry["time"],
                                    "restore_history": json.dumps(history[:-1])})
    return entry


def training_window_now(params: Params, root: Path,
                        files: RegistryFiles) -> tuple[list[str], list[str]]:
    """(the training window, every accepted batch), oldest first, with MLflow set up."""
    from tuneloop.batches import accepted_batches, in_time_order, training_window
    from tuneloop.tracking import setup

    # Two loops starting on a fresh store would both create its tables and the experiment.
    with audit.registry_lock(files.lock, params.promote.lock_timeout_s):
        setup(params.mlflow, root)
    accepted = [f.name for f in in_time_order(params.data,
                                              accepted_batches(root / params.data.batches))]
    return training_window(params.data, accepted), accepted


def check_holdout_is_new(params: Params, window: list[str], accepted: list[str]) -> None:
    """A champion fit on the holdout batch would be scored in-sample there, and a challenger
    would lose to its memory: refuse before registering anything."""
    import mlflow

    name = params.promote.model_name
    client = mlflow.MlflowClient()
    champion = current_alias(client, name, CHAMPION)
    if champion is None:
        return
    tags = with_retries(lambda: client.get_model_version(name, champion)).tags
    through = tags.get(TRAINED_THROUGH)
    holdout = window[-params.split.holdout_batches:]
    if through in accepted and holdout and \
            accepted.index(through) >= accepted.index(holdout[0]):
        raise PromotionError(
            f"{name} v{champion} was trained through {through}, which covers this holdout "
            f"({', '.join(holdout)}): the gate would score it on rows it learnt; a newer "
            "batch must arrive first")


def gate_blocker(params: Params, root: Path) -> str | None:
    """Why promote would refuse a model trained now (a champion that has learnt the holdout
    the new window would give: no batch later in time than its training data), or None."""
    if experiments.current() is not None:
        return None
    try:
        check_holdout_is_new(params, *training_window_now(params, root,
                                                          registry_files(params, root)))
    except PromotionError as exc:
        return str(exc)
    return None
