"""Is this stage running under `dvc exp run`? An experiment compares; only the loop (or `dvc repro`)
changes what the project shares: the registry's aliases, the audit log, the decision ledger.

How DVC tells (read in dvc 3.67's source, not guessed): `dvc exp run` queues every experiment,
workspace runs included, through `BaseStashQueue._stash_exp` (dvc/repo/experiments/queue/
base.py), which packs a run environment of DVC_EXP_BASELINE_REV (the commit it branches from),
DVC_EXP_NAME (its name, generated when not given) and DVC_ROOT; the executor hands it to every
stage command it runs (dvc/stage/run.py `prepare_kwargs(stage, run_env)`). `dvc repro` sets
only DVC_ROOT and DVC_STAGE.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneloop.decisions import DECIDED, RETRAINED, Ledger, _now

BASELINE_REV = "DVC_EXP_BASELINE_REV"
NAME = "DVC_EXP_NAME"


@dataclass(frozen=True)
class Experiment:
    name: str
    baseline_rev: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "baseline_rev": self.baseline_rev}


def current(environ: Mapping[str, str] | None = None) -> Experiment | None:
    """The DVC experiment this process runs in, or None outside one. Either variable is enough:
    a false "experiment" registers nothing (and says so), a missed one would move the
    champion."""
    env = os.environ if environ is None else environ
    name, baseline = env.get(NAME, ""), env.get(BASELINE_REV, "")
    if not (name or baseline):
        return None
    return Experiment(name=name or "unnamed", baseline_rev=baseline or "unknown")


@dataclass(frozen=True)
class ExperimentLedger(Ledger):
    """The decision ledger as an experiment sees it: what it holds plus what this run decided,
    kept in memory. The file is never appended to: batches an experiment looked at are still
    undecided for the loop."""
    added: list[dict[str, Any]] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        return [*super().events(), *self.added]

    def record_decided(self, entry: dict[str, Any]) -> dict[str, Any]:
        return self._keep({"event": DECIDED, "at": _now(), **entry})

    def record_retrained(self, entry: dict[str, Any]) -> dict[str, Any]:
        return self._keep({"event": RETRAINED, "at": _now(), **entry})

    def _keep(self, entry: dict[str, Any]) -> dict[str, Any]:
        self.added.append(entry)
        return entry


def ledger(path: Path) -> Ledger:
    """The decision ledger at `path`; read-only (ExperimentLedger) under `dvc exp run`."""
    return ExperimentLedger(path) if current() is not None else Ledger(path)
