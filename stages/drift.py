"""drift: decide each newly accepted batch, once: its statistics against what the champion was
trained on (tuneloop.monitor), then the retraining policy (tuneloop.policy).

Every decision goes into the decision ledger (`paths.decisions`) under the batch's content hash,
so a batch already decided is never decided again, whatever re-runs this stage. A decision to
retrain stays pending until a loop run carries it out (`record_retrain`). The newest batch's
statistics are written to `paths.drift_report` (JSON) and as a markdown summary beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from stages._cli import run_main, stage_parser
from tuneloop import experiments
from tuneloop.batches import accepted_batches, in_time_order, window_files
from tuneloop.config import Params
from tuneloop.decisions import (
    Ledger,
    read_window,
    window_recoded_note,
    window_unconfirmed_note,
    window_unit_note,
)
from tuneloop.errors import TuneloopError
from tuneloop.io import atomic_path, file_md5, read_json, read_parquet, write_json
from tuneloop.metrics import higher_is_better
from tuneloop.monitor import (
    COUNTS_TIME,
    NEW_LEVELS,
    NOT_JUDGED,
    RENAMED,
    UNIT_CHANGED,
    Reference,
    Statistics,
    statistics,
)
from tuneloop.policy import (
    ACTIONS,
    COLD,
    NONE,
    Decision,
    constant_centre,
    decide,
    labels_moved,
)


@dataclass(frozen=True)
class Check:
    decided: list[dict[str, Any]]   # the ledger entries this run wrote
    pending: list[dict[str, Any]]   # decisions to retrain not yet carried out
    report: dict[str, Any] | None   # the newest batch's statistics

    @property
    def retrain(self) -> str:
        """none | refit | warm | cold: the strongest retrain the pending decisions ask for."""
        actions = {e["decision"]["action"] for e in self.pending}
        return max(actions, key=ACTIONS.index, default=NONE)  # the strongest asked for

    @property
    def newly_retrain(self) -> bool:
        return any(e["decision"]["action"] != NONE for e in self.decided)

    def to_dict(self) -> dict[str, Any]:
        return {"decided": [_brief(e) for e in self.decided], "retrain": self.retrain,
                "pending": [e["batch"] for e in self.pending],
                "drifted_features": (self.report or {}).get("drifted_features", []),
                "requested": self.newly_retrain}


def _brief(entry: dict[str, Any]) -> dict[str, Any]:
    return {"batch": entry["batch"], "action": entry["decision"]["action"],
            "reason": entry["decision"]["reason"]}


def summary(stats: Statistics) -> dict[str, Any]:
    """The statistics as the ledger keeps them (the full table is in the drift report)."""
    real = stats.realized
    return {
        "drift_importance": round(stats.drift_importance, 4),
        "drifted_features": stats.drifted_features,
        "label": None if stats.label is None else {
            "measure": stats.label.measure, "effect": stats.label.effect,
            "threshold": stats.label.threshold, "ci": [stats.label.ci_low, stats.label.ci_high],
            "alarm": stats.label.alarm, "detail": stats.label.detail},
        "prediction": None if stats.prediction is None else {
            "effect": stats.prediction.effect, "threshold": stats.prediction.threshold,
            "alarm": stats.prediction.alarm},
        "domain_auc": stats.domain_auc, "domain_features": stats.domain_features,
        "realized": None if real is None else {
            "metric": real.metric, "value": real.value, "ci": [real.low, real.high],
            "holdout": real.holdout_value, "champion_holdout": real.own_holdout,
            "drop": real.drop,
            "drop_ci": [real.drop_low, real.drop_high],
            **({} if real.gap is None else {
                "positive_rate": real.rate, "mean_score": real.mean_score,
                "gap_ci": [real.gap_low, real.gap_high],
                "reference_gap": stats.reference_gap}),
            **({} if real.constant is None else {
                "constant": real.constant,
                "over_constant_ci": [real.constant_low, real.constant_high]})},
        "seconds": round(stats.seconds, 2),
        # Columns that look renamed or sent in another unit, kept so status and later runs
        # name the batch while the window holds it (decisions.window_recoded_note).
        "recoded": [f"column {f.name!r}: {f.detail}" for f in stats.features
                    if f.detail.startswith((RENAMED, UNIT_CHANGED))]}


def markdown(batch: str, stats: Statistics, decision: Decision, champion: str | None) -> str:
    """What an operator reads for one batch (a Prefect artifact in the flows)."""
    action = f"{decision.action} (retrain held a batch)" if decision.held else decision.action
    lines = [f"## Batch `{batch}`: **{action}**", "",
             f"Reason: {decision.reason}", "",
             f"Champion: {champion or 'none'}; {stats.batch_rows} rows vs "
             f"{stats.reference_rows} reference rows in {stats.reference_batches} batches; "
             f"checked in {stats.seconds:.1f} s", "",
             "| feature | measure | effect | threshold | importance | drifted |",
             "|---|---|---|---|---|---|"]
    for f in sorted(stats.features, key=lambda f: -f.importance):
        said = "yes" if f.alarm else f"no: {f.detail}" if f.detail.startswith(NOT_JUDGED) \
            else f"no: {COUNTS_TIME}" if f.detail.startswith(COUNTS_TIME) else ""
        if f.detail.startswith((RENAMED, NEW_LEVELS, UNIT_CHANGED)):
            said = f"{said or 'no'}; {f.detail}"
        lines.append(f"| {f.name} | {f.measure} | {f.effect:.3f} | {f.threshold:.3f} | "
                     f"{100 * f.importance:.1f}% | {said} |")
    if stats.label is not None:
        lab = stats.label
        lines += ["", f"Label drift ({lab.name}, {lab.measure}): effect {lab.effect:.4f}, CI "
                      f"{lab.ci_low:.4f}..{lab.ci_high:.4f}, threshold {lab.threshold:.4f}: "
                      f"{'ALARM' if lab.alarm else 'no alarm'} ({lab.detail})"]
    if stats.prediction is not None:
        p = stats.prediction
        lines.append(f"Prediction drift: KS {p.effect:.3f} vs threshold {p.threshold:.3f} "
                     f"({p.detail})")
    lines.append(f"Domain classifier AUC (old vs new rows): {stats.domain_auc:.3f}; separating: "
                 f"{', '.join(stats.domain_features) or '-'}")
    if stats.realized is not None:
        r = stats.realized
        ref = "no holdout figure" if r.holdout_value is None else \
            f"{'figure kept from before a drop' if r.kept else 'holdout'} " \
            f"{r.holdout_value:.4f}, drop {r.drop:+.4f} (CI {r.drop_low:+.4f}.." \
            f"{r.drop_high:+.4f})"
        lines.append(f"Realized {r.metric} of the champion: {r.value:.4f} (CI {r.low:.4f}.."
                     f"{r.high:.4f}) on {r.rows} rows; {ref}")
        if r.gap is not None:
            ref = "" if stats.reference_gap is None else \
                f"; on the reference {stats.reference_gap:+.4f}"
            lines.append(f"Positive rate {r.rate:.4f} against the champion's mean score "
                         f"{r.mean_score:.4f}: gap {r.gap:+.4f} (CI {r.gap_low:+.4f}.."
                         f"{r.gap_high:+.4f}){ref}")
        if r.constant is not None:
            lines.append(f"Its {r.metric} is {r.value / r.constant:.2f} times (CI "
                         f"{r.constant_low:.2f}..{r.constant_high:.2f}) a constant's at the "
                         f"batch's own {constant_centre(r.metric)} ({r.constant:.4g})")
    return "\n".join(lines) + "\n"


def execute(params: Params, root: Path) -> Check:
    from tuneloop.champion import load_champion

    # Under `dvc exp run` the ledger is read, never appended to (tuneloop.experiments).
    ledger = experiments.ledger(root / params.paths.decisions)
    files = in_time_order(params.data, accepted_batches(root / params.data.batches))
    names = [f.name for f in files]
    known = ledger.decided_md5s()
    md5 = {f: file_md5(f) for f in files}
    new = [f for f in files if md5[f] not in known]
    if not new:
        return Check([], ledger.pending(names), None)
    champion = load_champion(params, root)
    written, report = [], None
    promoted = ledger.last_promoted()
    if champion is None and promoted is not None:
        # The ledger saw v{promoted} promoted: an empty registry is a reset or wrong store, not
        # "no champion" (which would re-tune everything cold).
        raise TuneloopError(f"{params.mlflow.tracking_uri}: no champion of "
                            f"{params.promote.model_name!r} in the registry, but "
                            f"{ledger.path} records v{promoted} promoted: is tracking_uri "
                            "the right store?")
    if champion is None:
        # The first window: nothing to compare with; the loop tunes cold on all of it.
        for f in new:
            written.append(ledger.record_decided({
                "batch": f.name, "md5": md5[f], "policy": params.policy.name,
                "champion": None, "statistics": None,
                "decision": Decision(COLD, "no champion yet: a cold tune on the window",
                                     ["no champion"]).to_dict()}))
        report = {"batch": new[-1].name, "decision": written[-1]["decision"], "features": [],
                  "drifted_features": [], "champion": None}
        _write_report(root / params.paths.drift_report, report,
                      f"## Batch `{new[-1].name}`: **cold**\n\nNo champion yet: "
                      f"{len(new)} batch(es) form the first window, tuned cold.\n")
        return Check(written, ledger.pending(names), report)
    # What the champion was trained on: the ledger's record of its retrain, else its version's
    # trained_through tag (a champion made before the ledger, or a retrain whose record a crash
    # lost), else every batch before the first undecided one.
    through = champion.trained_through
    window = ledger.window_of(champion.version) or (
        names[:names.index(through) + 1] if through in names else None) \
        or names[:names.index(new[0].name)]
    seen = [n for n in window if n in names] or names[:1]
    for f in [f for f in new if f.name in seen]:
        written.append(ledger.record_decided({
            "batch": f.name, "md5": md5[f], "policy": params.policy.name,
            "champion": champion.version, "statistics": None,
            "decision": Decision(NONE, f"in the training window of champion "
                                       f"v{champion.version}").to_dict()}))
    new = [f for f in new if f.name not in seen]
    if not new:
        report = {"batch": written[-1]["batch"], "decision": written[-1]["decision"],
                  "features": [], "drifted_features": [], "champion": champion.version}
        _write_report(root / params.paths.drift_report, report,
                      f"## Batch `{report['batch']}`: **none**\n\n{len(written)} batch(es) "
                      f"in the training window of champion v{champion.version}: nothing to "
                      "judge it on yet.\n")
        return Check(written, ledger.pending(names), report)
    reference_names = seen[-params.drift.reference_batches:] \
        if params.drift.reference_batches else seen
    reference = [read_parquet(files[names.index(n)]) for n in reference_names]
    view = champion.view()
    # Drops are measured from the champion's holdout figure, or from before a drop it was
    # retrained on (tuneloop.policy.kept_reference).
    view = replace(view, reference=ledger.reference_of(
        champion.version, champion.holdout_value, higher_is_better(champion.metric)))
    calibrated = Reference(params.drift, champion.schema, reference, view)
    # Batches the champion learnt that were withdrawn since: a refit without them is owed.
    tainted = tuple(ledger.learnt_withdrawn(champion.version, root / params.paths.arrivals))
    for f in new:
        batch = read_parquet(f)
        due = names.index(f.name) - params.drift.label_delay
        labelled = read_parquet(files[due]) if due >= 0 and names[due] not in seen else None
        stats = statistics(calibrated, batch, labelled)
        history = replace(ledger.history(seen, f.name, names, params.policy.period_batches,
                                         True), tainted=tainted,
                          family_better=champion.family_better)
        evidence = replace(stats.evidence(), label_delay=params.drift.label_delay)
        decision = decide(params.policy, evidence, history)
        written.append(ledger.record_decided({
            "batch": f.name, "md5": md5[f], "policy": params.policy.name,
            "champion": champion.version, "statistics": summary(stats),
            # Whether a confirmed label move lapses (decisions._confirmed).
            "labels_moved": labels_moved(evidence),
            "decision": decision.to_dict()}))
        report = {"batch": f.name, "decision": decision.to_dict(), "champion": champion.version,
                  **stats.to_dict()}
        _write_report(root / params.paths.drift_report, report,
                      markdown(f.name, stats, decision, champion.version))
        print(f"drift: {f.name}: {decision.action} ({decision.reason})")
        for effect in stats.features:
            if effect.detail.startswith((RENAMED, NEW_LEVELS)):
                # Accepted (a new level passes), but a recoding is the user's to map back.
                print(f"drift: {f.name}: column {effect.name!r}: {effect.detail} (a level "
                      "the model never learnt reads as missing until a retrain learns it)")
            elif effect.detail.startswith(UNIT_CHANGED):
                print(f"drift: {f.name}: column {effect.name!r}: {effect.detail}: a retrain "
                      f"learns it as sent (`tuneloop data withdraw {f.name} --reason ...` "
                      "takes the batch out if it was sent in another unit)")
    return Check(written, ledger.pending(names), report)


def _write_report(path: Path, report: dict[str, Any], text: str) -> None:
    write_json(path, report)
    with atomic_path(path.with_suffix(".md")) as tmp:
        tmp.write_text(text, encoding="utf-8")


def champion_configuration(params: Params, root: Path) -> dict[str, Any] | None:
    """The serving champion's configuration (a refit's, or a warm re-tune's first seed); None:
    no champion, or one registered without it."""
    from tuneloop.champion import load_champion

    champion = load_champion(params, root)
    return champion.configuration() if champion is not None else None


def carried_out(params: Params, root: Path, check: Check) -> dict[str, Any] | None:
    """The pending retrain a stopped run already carried out, or None. The champion was trained
    through the newest pending batch (promote tags that on the version it moves the alias to),
    so a run stopped after promoting and before the ledger's `retrained` line, its last write,
    did the work: training again would be gated against a champion that learnt the holdout
    (promote refuses), and the decision would stay pending. What the loop records instead: the
    champion's version, and what reports/tune.json, still the stopped run's, says ran: the
    arguments of `record_retrain` after `check` and `window`."""
    if not check.pending:
        return None
    from tuneloop.champion import champion_trained_through
    from tuneloop.records import TuneResult

    champion = champion_trained_through(params, root)
    if champion is None:
        return None
    version, through, registered = champion
    # The newest pending batch is the window's newest; the champion must have been fit on it.
    window = window_files(params.data, root / params.data.batches)
    pending = {e["batch"] for e in check.pending}
    newest = max((i for i, name in enumerate(window) if name in pending), default=None)
    if newest is None or through not in window or window.index(through) < newest:
        return None
    # ... and registered after the decisions were made: a batch that arrived late (older times
    # than the champion's newest) sits before `through` in time order, yet nothing trained on
    # it since it was decided.
    decided = [datetime.fromisoformat(e["at"]).timestamp() for e in check.pending if "at" in e]
    if decided and registered < max(decided):
        return None
    report = root / params.paths.tune_report
    tuned = TuneResult.load(report) if report.exists() else None
    action = tuned.mode if tuned is not None else check.retrain
    return {"promoted": version, "action": action,
            "compute_s": (tuned.compute_seconds if tuned is not None else 0.0)
            + evaluate_fits_core_s(params, root),
            "candidates": [{"version": version, "promoted": True, "mode": action,
                            "reason": "recorded after the run that promoted it stopped"}]}


def record_retrain(params: Params, root: Path, check: Check, window: list[str],
                   promoted: str | None, candidates: list[dict[str, Any]],
                   compute_s: float, action: str) -> dict[str, Any]:
    """Close the pending decisions: what was trained (`action`: what ran, which a forced run
    or a champion without a configuration can make differ from what was asked), on which
    window, and what the gate said. A forced run while a batch is held closes the decisions
    the hold kept back too (the second review: recorded with no batches, its core-seconds
    counted in no period)."""
    ledger = Ledger(root / params.paths.decisions)
    closed = check.pending or ledger.pending(hold=False)
    return ledger.record_retrained({
        "batches": [e["batch"] for e in closed],
        "md5s": [e["md5"] for e in closed], "action": action,
        "asked": check.retrain,
        "window": window, "promoted": promoted, "candidates": candidates,
        "compute_s": round(compute_s + evaluate_fits_core_s(params, root), 1)})


def closing_notes(params: Params, root: Path, report: dict[str, Any] | None = None,
                  window: list[str] | None = None) -> list[str]:
    """What the retraining run's closing lines say of the data it trains on: columns init
    named as possible leaks still features, batches refused as another unit still in the
    window, the newest batch's recodings (`report`: this run's check, Check.report; `window`:
    the training window's files where the caller has them, else read)."""
    from tuneloop.leakage import suspected_note

    return [note for note in (suspected_note(params.data),
                              *window_notes(params, root, report, window)) if note]


def window_notes(params: Params, root: Path, report: dict[str, Any] | None = None,
                 window: list[str] | None = None) -> list[str]:
    """What a run says of batches in the training window that may be wrong: refused as
    another unit by a retrain's gate, or checked as renamed or another unit (the newest by
    this run's check, the others by the ledger). Said by runs that retrain and by those that
    only check new batches (the review: a `none` run said nothing, where a withdraw would
    still help)."""
    if window is None:
        window = read_window(params, root)
    newest = recoded_note(params, root, report, window)
    skip = report.get("batch") if newest and report else None
    return [note for note in (window_unit_note(params, root, window),
                              window_unconfirmed_note(params, root, window), newest,
                              window_recoded_note(params, root, skip, window)) if note]


def recoded_note(params: Params, root: Path, report: dict[str, Any] | None,
                 window: list[str] | None = None) -> str | None:
    """The closing line where the newest batch this run checked (`report`, Check.report), still
    in the window, holds a column whose levels look renamed, whose new levels take much of
    it, or whose numbers look sent in another unit, or None. Sweep 57b (F4): `Control` sent
    as `Ctrl` on 45% of a batch was said on one INFO line of the check; the run's closing
    lines said only "drift in features carrying 7%", and the refit that learnt both names
    was promoted. This run's check only, not reports/drift.json: a forced run after the
    batch was withdrawn read it again (the second review)."""
    if not report:
        return None
    batch = report.get("batch")
    if window is None:
        window = read_window(params, root)
    if batch not in window:
        return None
    said = [f"column {f['name']!r}: {f['detail']}" for f in report.get("features") or []
            if str(f.get("detail") or "").startswith((RENAMED, NEW_LEVELS, UNIT_CHANGED))]
    if not said:
        return None
    return (f"the newest batch checked, {batch}: {'; '.join(said[:3])}"
            f"{f' (and {len(said) - 3} more)' if len(said) > 3 else ''}: a model trained "
            "on it learns them as sent; if the batch was sent otherwise, `tuneloop data "
            f"withdraw {batch} --reason ...` takes it out of the window")


def evaluate_fits_core_s(params: Params, root: Path) -> float:
    """What the evaluate step's fits cost (reports/evaluation.json): a refit's whole bill, the
    study's trials being none (sweep 10: a refit was recorded at 0 core-seconds, while the
    replay charges its fits)."""
    path = root / params.paths.evaluation
    return float(read_json(path).get("compute", {}).get("fit_core_s", 0.0)) \
        if path.is_file() else 0.0


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
