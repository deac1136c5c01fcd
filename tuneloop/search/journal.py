"""The study's durable state: an append-only JSONL journal, fsync'd before acknowledging.

Each line is one event. A study resumes by replaying it; a line cut short by a crash (the
only damage `kill -9` can do to an append) is ignored on read.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tuneloop.errors import DataError


class Journal:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def append(self, event: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(event, sort_keys=True, default=str) + "\n"
        with self.path.open("a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def events(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.endswith("\n"):
                    return  # torn last line from a crash mid-write
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    raise DataError(f"{self.path}: line {number} is not valid JSON; the journal "
                                    "was edited or damaged, resume cannot trust it") from None

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)


def load_outcomes(path: Path | str) -> list[Any]:
    """The finished trials of a study's journal (for warm-starting a later study)."""
    from tuneloop.search.trial import TrialOutcome

    journal = Journal(path)
    if not journal.path.exists():
        raise FileNotFoundError(f"{journal.path}: no such journal to warm-start from")
    return [TrialOutcome.from_dict(e) for e in journal.events() if e.get("event") == "finished"]
