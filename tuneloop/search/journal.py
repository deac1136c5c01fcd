"""The study's durable state: an append-only JSONL journal, written before acknowledging;
each trial's result fsync'd, which makes the proposals before it durable too.

Each line is one event. A study resumes by replaying it; a line cut short by a crash (the
only damage `kill -9` can do to an append) is ignored on read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tuneloop import jsonl


class Journal:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def append(self, event: dict[str, Any], sync: bool = True) -> None:
        """`sync=False` for an event a power loss may cost (a proposal: a resumed study then
        never knew it, and may give its id to another point); the next synced one, a trial's
        result, makes it durable as well."""
        # Every event says when it happened (UTC): time to best, throughput and the history
        # are read from the journal, not from a clock that a resumed study no longer has.
        jsonl.append(self.path, {**event, "at": event.get("at") or utc_now()}, sync=sync)

    def events(self) -> Iterator[dict[str, Any]]:
        # A bad line other than a torn last one means the journal was edited or damaged:
        # resume cannot trust it, so reading stops with an error naming the line.
        yield from jsonl.read(self.path, "trial journal")

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def load_outcomes(path: Path | str) -> list[Any]:
    """The finished trials of a study's journal (for warm-starting a later study)."""
    journal = Journal(path)
    if not journal.path.exists():
        raise FileNotFoundError(f"{journal.path}: no such journal to warm-start from")
    return outcomes_of(journal.events())


def outcomes_of(events: Iterable[dict[str, Any]]) -> list[Any]:
    """The finished trials among a journal's events, in the order they finished."""
    from tuneloop.search.trial import TrialOutcome

    return [TrialOutcome.from_dict(e) for e in events if e.get("event") == "finished"]


def study_header(path: Path | str) -> dict[str, Any] | None:
    """A study journal's first `study` event (its seed, budget, mode, seeds), or None when the
    journal is missing or has none."""
    journal = Journal(path)
    if not journal.path.exists():
        return None
    return next((e for e in journal.events() if e.get("event") == "study"), None)
