"""The decision ledger: one record per accepted batch, keyed by its content hash, and one per
retrain carried out. Append-only JSONL (tuneloop.jsonl), so a batch already decided is never
decided again, whoever asks (a repeated event, a re-run cron, a retry), and a retrain decided
once is carried out once.

Events:
- `decided`: batch (file, md5), policy, statistics summary, decision (action, reason),
  champion it was judged against;
- `retrained`: the batches that asked for it, the action, the window trained on, candidates
  tried with their gate outcome, the version promoted (or none), core-seconds spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tuneloop import jsonl
from tuneloop.errors import TuneloopError
from tuneloop.policy import (
    HELD_TRIGGER,
    HOLD_LAPSED,
    NONE,
    History,
    kept_reference,
    performance_triggered,
)

DECIDED, RETRAINED = "decided", "retrained"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Ledger:
    path: Path

    def events(self) -> list[dict[str, Any]]:
        try:
            if not self.path.exists():
                return []
            return jsonl.read(self.path, "decision ledger")
        except OSError as exc:  # unreadable is no answer ("nothing decided")
            raise TuneloopError(f"{self.path}: cannot read the decision ledger "
                                f"({type(exc).__name__}: {exc.strerror or exc})") from None

    def last_promoted(self) -> str | None:
        """The newest version a retrain recorded as promoted."""
        for event in reversed(self.events()):
            if event.get("event") == RETRAINED and event.get("promoted") is not None:
                return str(event["promoted"])
        return None

    def decided_md5s(self) -> set[str]:
        return {e["md5"] for e in self.events() if e.get("event") == DECIDED}

    def record_decided(self, entry: dict[str, Any]) -> dict[str, Any]:
        return jsonl.append(self.path, {"event": DECIDED, "at": _now(), **entry})

    def record_retrained(self, entry: dict[str, Any]) -> dict[str, Any]:
        return jsonl.append(self.path, {"event": RETRAINED, "at": _now(), **entry})

    def pending(self, accepted: list[str] | None = None,
                hold: bool = True) -> list[dict[str, Any]]:
        """Decisions to retrain not yet carried out (after the last retrain), oldest first;
        none while the newest accepted batch (`accepted`: in time order; else the newest
        decided) is held (policy.Decision.held): a retrain now would take it as its holdout,
        judging on the very labels held and learning them (the review: a drifted batch's
        retrain and a held one in the same run). They wait for the batch after it, which
        confirms the move or not; a held batch since withdrawn holds nothing back (the second
        review). hold=False: every one still open, held back or not (what a forced retrain
        carries out)."""
        return _pending(self.events(), accepted, hold)

    def reference_of(self, version: str | None, holdout: float | None,
                     higher_is_better: bool) -> float | None:
        """The figure the given champion's realized metric is measured from
        (policy.kept_reference): its holdout figure, or, when the retrain that promoted it
        answered a drop of the realized metric, the previous champion's own holdout figure
        where that is better. One retrain deep: a figure kept in turn is not kept again, so
        after a lasting drop the bar settles on the new level within two retrains instead of
        asking for one on every batch."""
        events = self.events()
        retrain = next((e for e in reversed(events) if e.get("event") == RETRAINED
                        and version is not None and str(e.get("promoted")) == str(version)),
                       None)
        if retrain is None:
            return holdout
        asked = set(retrain.get("md5s", []))
        # Ledgers from before the kept figure hold only "holdout", then always the own one.
        before = [_own_holdout((e.get("statistics") or {}).get("realized") or {})
                  for e in events if e.get("event") == DECIDED and e.get("md5") in asked
                  and performance_triggered(e["decision"].get("triggers", []))]
        return kept_reference(holdout, [f for f in before if f is not None], higher_is_better)

    def learnt_withdrawn(self, version: str | None, arrivals: Path) -> list[str]:
        """The batches withdrawn since (`tuneloop data withdraw`, read from the batch ledger
        `arrivals`) that the given version was trained on, by its window here: what the
        policy owes a refit for and what the gate holds no bar (one definition: the
        review)."""
        from tuneloop.batches import withdrawn_batches

        window = self.window_of(version)
        if not window:
            return []
        gone = withdrawn_batches(jsonl.read(arrivals, "batch ledger"))
        return sorted(set(gone) & set(window))

    def window_of(self, version: str | None) -> list[str] | None:
        """The batch files the given registered version was trained on, if the loop made it."""
        for event in reversed(self.events()):
            if event.get("event") == RETRAINED and version is not None and (
                    str(event.get("promoted")) == str(version)
                    # a candidate the gate kept out, promoted later by hand (--force)
                    or any(str(c.get("version")) == str(version)
                           for c in event.get("candidates") or [])):
                return list(event["window"])
        return None

    def unit_suspects(self, window: list[str], holdout_batches: int = 1) -> list[str]:
        """The batches of `window` that were the holdout of a retrain whose candidates were
        all refused, one at least as a target sent in another unit (gate.UNIT_REFUSAL) or on
        labels that may not follow the features (gate.NEWEST_REFUSAL), while no retrain
        since, with them in its window, was promoted: left in the window, every later
        retrain learns them, and an honest batch after one read as "another unit" in turn
        (sweep 39: the refusal pointed at the honest batch first). Of such refusals in a
        row, the first's batches only: the later ones may be the honest batches it spoiled
        (the review)."""
        from tuneloop.gate import NEWEST_REFUSAL, UNDEFINED_REFUSAL, UNIT_REFUSAL

        found: list[str] = []
        behind: dict[str, list[str]] = {}  # a refusal in a row's batch -> the suspects before it
        chained = False
        for event in self.events():
            if event.get("event") != RETRAINED:
                continue
            held = [str(b) for b in event.get("window") or []]
            tried = event.get("candidates") or []
            if event.get("promoted") is not None:
                # Trained with them and promoted: no longer what holds the loop back.
                found = [b for b in found if b not in held]
                behind = {b: blamed for b, blamed in behind.items() if b not in held}
                chained = False
                continue
            # Any candidate so refused (sweep 48c: the refit refused on a relabelled batch's
            # labels, the re-tune beside it on the margin, and nothing named the batch).
            unit = bool(held and tried) and any(
                any(words in str(c.get("reason", "")) for words in
                    (UNIT_REFUSAL, NEWEST_REFUSAL, UNDEFINED_REFUSAL)) for c in tried)
            blamed = [b for b in found if b in held]
            newest = [b for b in held[-holdout_batches:] if b not in found]
            if unit and chained and blamed:
                behind.update({b: blamed for b in newest})
            elif unit:
                found += newest
            chained = unit
        # A batch behind suspects since withdrawn is named on its own (sweep 59b F1: a second
        # relabelled batch, refused beside the first, went unnamed once the first was gone).
        released = [b for b, blamed in behind.items()
                    if b not in found and not any(x in window for x in blamed)]
        return [b for b in [*found, *released] if b in window]

    def unconfirmed_holds(self, window: list[str]) -> list[str]:
        """The batches of `window` whose retrain was held as a label move alone that the batch
        after them did not confirm (policy.HOLD_LAPSED), while no retrain since, with them in
        its window, was promoted: they stay in the window, every retrain learns them, and
        only the user knows whether their labels were wrong. Sweep 59b F2: a batch with half
        its negatives sent as positives was named once, in the next batch's decision; a later
        refit that learnt it was promoted, its probabilities 13% high on the batch after."""
        lapsed: list[str] = []
        for event in self.events():
            if event.get("event") == RETRAINED and event.get("promoted") is not None:
                held = {str(b) for b in event.get("window") or []}
                lapsed = [b for b in lapsed if b not in held]
            elif event.get("event") == DECIDED:
                reason = str((event.get("decision") or {}).get("reason", ""))
                lapsed += [b for b in window if f"{HELD_TRIGGER} {b} {HOLD_LAPSED}" in reason
                           and b not in lapsed]
        return [b for b in lapsed if b in window]

    def recoded(self, window: list[str]) -> dict[str, list[str]]:
        """The batches of `window` whose check found columns that look renamed or sent in
        another unit (the decided record's statistics `recoded`), each with what was said.
        Sweep 58b: `read12` x10 was said once, among one run's lines; the batch stayed in the
        window, and a later re-tune on it held its linear family out at 8.14 where 6.12
        without it."""
        found: dict[str, list[str]] = {}
        for event in self.events():
            if event.get("event") != DECIDED:
                continue
            said = (event.get("statistics") or {}).get("recoded") or []
            batch = str(event.get("batch"))
            if said and batch in window:
                found[batch] = [str(s) for s in said]
        return found

    def history(self, champion_window: list[str] | None, batch_file: str,
                accepted: list[str], period_batches: int, has_champion: bool) -> History:
        """The policy's view of the project when `batch_file` is decided. accepted: every
        accepted batch file in time order."""
        events = self.events()
        decided = [e for e in events if e.get("event") == DECIDED]
        since = 1
        for event in reversed(events):
            if event.get("event") == RETRAINED:
                break
            if event.get("event") == DECIDED:
                since += 1
        if champion_window and champion_window[-1] in accepted and batch_file in accepted:
            age = accepted.index(batch_file) - accepted.index(champion_window[-1])
        else:
            age = since
        recent = {e["md5"] for e in decided[-(period_batches - 1):]} if period_batches > 1 \
            else set()
        compute = sum(float(e.get("compute_s", 0.0)) for e in events
                      if e.get("event") == RETRAINED and set(e.get("md5s", [])) & recent)
        rejected = 0
        present = {Path(str(name)).name for name in accepted}
        for event in reversed([e for e in events if e.get("event") == RETRAINED]):
            if event.get("promoted") is not None:
                break
            asked = {Path(str(name)).name for name in event.get("batches") or []}
            window = {Path(str(name)).name for name in event.get("window") or []}
            if asked and not asked & present or window - present:
                # Asked for by batches since withdrawn (`tuneloop data withdraw`): a refit
                # refused on a Celsius month made the honest next month a warm re-tune, which
                # lost to the refit an honest month gets (sweep 30). Nor does a retrain whose
                # window held one: refused on what was withdrawn (sweep 40b).
                continue
            rejected += 1
        return History(since_retrain=since, champion_age=max(1, age),
                       compute_in_period=compute, rejected_in_row=rejected,
                       has_champion=has_champion, held=_held(events, batch_file, accepted),
                       pending_retrain=bool(_pending(events, accepted)),
                       confirmed=_confirmed(events))


def _pending(events: list[dict[str, Any]], accepted: list[str] | None = None,
             hold: bool = True) -> list[dict[str, Any]]:
    """Ledger.pending over events already read."""
    out: list[dict[str, Any]] = []
    held: set[str] = set()
    newest = None
    for event in events:
        if event.get("event") == RETRAINED:
            out, held = [], set()
        elif event.get("event") == DECIDED:
            newest = Path(str(event.get("batch"))).name
            if event["decision"].get("held"):
                held.add(newest)
            if event["decision"]["action"] != NONE:
                out.append(event)
    if accepted is not None:
        newest = Path(accepted[-1]).name if accepted else None
    return [] if hold and newest in held else out


def _held(events: list[dict[str, Any]], batch_file: str, accepted: list[str]) -> str | None:
    """The accepted batch just before `batch_file` in time (`accepted`, in time order), if its
    retrain was held (policy.Decision.held) and no retrain has run since: the batch that
    confirms a move comes after it (the second review: a late earlier month, or the held
    file rewritten under its name, confirmed the hold and the retrain judged on the held
    labels). A withdrawn batch is no longer accepted, and confirms nothing."""
    names = [Path(str(n)).name for n in accepted]
    here = Path(batch_file).name
    if here not in names or names.index(here) == 0:
        return None
    before = names[names.index(here) - 1]
    for event in reversed(events):
        if event.get("event") == RETRAINED:
            return None
        if event.get("event") == DECIDED and Path(str(event.get("batch"))).name == before:
            return before if (event.get("decision") or {}).get("held") else None
    return None


def _confirmed(events: list[dict[str, Any]]) -> bool:
    """Whether a batch decided since the last promoted retrain confirmed a held label move
    (its triggers hold policy.HELD_TRIGGER)."""
    for event in reversed(events):
        if event.get("event") == RETRAINED and event.get("promoted") is not None:
            return False
        if event.get("event") != DECIDED:
            continue
        if any(str(t).startswith(HELD_TRIGGER)
               for t in (event.get("decision") or {}).get("triggers") or []):
            return True
        if event.get("labels_moved") is False:
            # Lapsed: a batch since whose labels did not move (the second review: a
            # confirmation kept for good switched the hold off for any later move).
            return False
    return False


def _own_holdout(realized: dict[str, Any]) -> float | None:
    return realized.get("champion_holdout", realized.get("holdout"))


def read_window(params: Any, root: Path) -> list[str]:
    """The training window's batch files; an unreadable batch is no answer: one line naming
    the folder (the review: a truncated batch gave status a traceback)."""
    from tuneloop.batches import window_files

    try:
        return window_files(params.data, root / params.data.batches)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise TuneloopError(f"{root / params.data.batches}: cannot read the accepted batches' "
                            f"times ({type(exc).__name__}: {exc})"[:400]) from None


def window_unit_note(params: Any, root: Path, window: list[str] | None = None) -> str | None:
    """The line the run and status say of the training window's Ledger.unit_suspects, or
    None (`window`: the window's files where the caller has them, else read)."""
    window = read_window(params, root) if window is None else window
    return unit_suspects_note(Ledger(root / params.paths.decisions).unit_suspects(
        window, params.split.holdout_batches))


def window_unconfirmed_note(params: Any, root: Path,
                            window: list[str] | None = None) -> str | None:
    """The line the run and status say of the training window's Ledger.unconfirmed_holds, or
    None (`window` as window_unit_note's)."""
    window = read_window(params, root) if window is None else window
    found = Ledger(root / params.paths.decisions).unconfirmed_holds(window)
    if not found:
        return None
    names = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
    return (f"batch(es) {names} in the training window: only their labels moved, and the batch "
            "after did not move so (its retrain was held, then not confirmed); every retrain "
            "learns them as sent: `tuneloop data withdraw BATCH --reason ...` if their labels "
            "were wrong")


def window_recoded_note(params: Any, root: Path, skip: str | None = None,
                        window: list[str] | None = None) -> str | None:
    """The line the run and status say of the training window's Ledger.recoded batches (but
    `skip`, said otherwise), or None (`window` as window_unit_note's)."""
    window = read_window(params, root) if window is None else window
    found = {b: said for b, said in Ledger(root / params.paths.decisions).recoded(
        window).items() if b != skip}
    if not found:
        return None
    shown = [f"{batch} ({'; '.join(said[:2])}{' and more' if len(said) > 2 else ''})"
             for batch, said in list(found.items())[:3]]
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    return (f"batch(es) in the training window whose check found columns that look renamed "
            f"or sent in another unit: {'; '.join(shown)}{more}; every retrain learns them as "
            "sent: `tuneloop data withdraw BATCH --reason ...` if a batch was sent otherwise")


def unit_suspects_note(suspects: list[str]) -> str | None:
    """The line said of Ledger.unit_suspects, or None."""
    if not suspects:
        return None
    names = ", ".join(suspects[:3]) + (f" and {len(suspects) - 3} more" if len(suspects) > 3
                                       else "")
    return (f"batch(es) {names} in the training window: every candidate of the retrain it was "
            "the holdout of was refused, as a target sent in another unit or export, as "
            "labels that may not follow its features, or on a metric its rows leave undefined "
            "(one class only), or beside one so refused; every "
            "retrain learns it, and a batch after it can read as another unit in turn: "
            "`tuneloop data withdraw BATCH --reason ...` if it is wrong, `tuneloop promote N "
            "--force --reason ...` if the change is real")
