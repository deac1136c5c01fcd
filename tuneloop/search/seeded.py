"""Warm re-tuning: a study that first re-runs known good configurations, then searches on.

Why: a new batch moves the train/valid window by one batch, so the configurations that won the
last study (and the serving champion's) are the best first guesses for the next one. Their old
scores are not: they were measured on another validation window. So a seed is re-run here as an
ordinary trial, scored on this window, and the surrogate only ever learns this window's values.

Every finished study's journal is kept in a studies folder as `NNNN.jsonl` (`keep_study`); the
newest one (`latest_study`) is the previous study a warm re-tune takes its seeds from
(`best_configs`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from tuneloop.io import atomic_path
from tuneloop.search.journal import Journal
from tuneloop.search.space import SearchSpace
from tuneloop.search.strategy import Proposal, SearchStrategy, Wrapping

_KEPT = re.compile(r"^(\d+)\.jsonl$")


def config_key(params: dict[str, Any]) -> str:
    """One configuration's identity: its values as the journal stores them (JSON keeps a float's
    exact value and an int's type, so a journalled seed matches the seed it was)."""
    return json.dumps(params, sort_keys=True)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def fitting_seeds(space: SearchSpace,
                  candidates: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The candidates that fit `space` (exactly its active dimensions, each in bounds: what
    `strategy.observe` checks), first occurrence kept, in order; and how many did not fit."""
    seeds: list[dict[str, Any]] = []
    seen: set[str] = set()
    skipped = 0
    for raw in candidates:
        params = {name: _plain(v) for name, v in raw.items()}
        if not space.contains(params):
            skipped += 1
            continue
        for name, value in params.items():  # 31.0 for an integer dimension trains as 31
            if space.dimension(name).kind == "integer":
                params[name] = int(value)
        key = config_key(params)
        if key not in seen:
            seen.add(key)
            seeds.append(params)
    return seeds, skipped


def _kept(studies_dir: Path | str) -> list[tuple[int, Path]]:
    folder = Path(studies_dir)
    if not folder.is_dir():
        return []
    return sorted((int(m.group(1)), p) for p in folder.iterdir()
                  if p.is_file() and (m := _KEPT.match(p.name)))


def latest_study(studies_dir: Path | str) -> Path | None:
    """The newest kept study journal (the highest `NNNN.jsonl`), or None when there is none."""
    kept = _kept(studies_dir)
    return kept[-1][1] if kept else None


def study_indicators_path(journal: Path) -> Path:
    """Where a kept study's indicators (tuneloop.sli) sit: beside its journal."""
    return journal.with_name(f"{journal.stem}.sli.json")


def best_configs(journal_path: Path | str, k: int,
                 limits: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """The parameters of a study's best `k` completed trials (status ok; the journal's values
    are maximised) that met every limit (measure -> limit; tuneloop.constraints), best first.
    A refinement and the trial it refines count as one: they share a tree shape, and the
    refiner derives one from the other again, so only the better of the two is returned and
    the k slots go to different configurations."""
    from tuneloop.search.trial import measures

    events = [e for e in Journal(journal_path).events() if e.get("event") == "finished"]
    family = {int(e["id"]): int(e["refines"]) if e.get("refines") is not None else int(e["id"])
              for e in events}
    done = [e for e in events if e.get("status") == "ok" and e.get("value") is not None
            and _meets(measures(e.get("metrics", {}), e.get("seconds", 0.0), e.get("threads", 1)),
                       limits or {})]
    done.sort(key=lambda e: (-float(e["value"]), int(e["id"])))
    out: list[dict[str, Any]] = []
    seen_params: set[str] = set()
    seen_family: set[int] = set()
    for event in done:
        if len(out) >= k:
            break
        key, root = config_key(event["params"]), family[int(event["id"])]
        if key not in seen_params and root not in seen_family:
            seen_params.add(key)
            seen_family.add(root)
            out.append(dict(event["params"]))
    return out


def _meets(measured: dict[str, float], limits: dict[str, float]) -> bool:
    # Only a seed known to break a limit is left out: one from a study that did not measure it
    # (older, or before the limit was set) is re-run and re-measured like any seed.
    return all(measured.get(name) is None or measured[name] <= limit
               for name, limit in limits.items())


def keep_study(journal_path: Path | str, studies_dir: Path | str) -> Path:
    """Copy a finished study's journal to `studies_dir/NNNN.jsonl`, the next number. A journal
    identical to the newest kept one (a finished study resumed again) is not kept twice.
    Numbers are picked without a lock of their own: stages run under the project lock."""
    data = Path(journal_path).read_bytes()
    kept = _kept(studies_dir)
    if kept and kept[-1][1].read_bytes() == data:
        return kept[-1][1]
    number = kept[-1][0] + 1 if kept else 1
    target = Path(studies_dir) / f"{number:04d}.jsonl"
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


class SeededStrategy(Wrapping):
    """A SearchStrategy whose first proposals are given configurations (each enqueued in the
    wrapped strategy, so it is an ordinary pending trial), after which the wrapped strategy
    proposes. Wrap it around everything else (e.g. a RefiningStrategy): a seed that completes is
    then an exploration trial like any other, and may be refined."""

    def __init__(self, inner: SearchStrategy, seeds: Iterable[dict[str, Any]]) -> None:
        super().__init__(inner)
        self._seeds = [dict(s) for s in seeds]

    @property
    def remaining(self) -> list[dict[str, Any]]:
        """Seeds not proposed yet."""
        return [dict(s) for s in self._seeds]

    def ask(self) -> Proposal:
        if self._seeds:
            return self._inner.enqueue(self._seeds.pop(0))
        return self._inner.ask()

    def replay(self, proposal_id: int, params: dict[str, Any], value: float | None,
               banned: bool = False, *, refines: int | None = None,
               complete: bool = True, measures: dict[str, float] | None = None) -> None:
        # A seed already in the journal (finished, or to be re-run by the runner) is used up:
        # proposing it again would run it twice.
        if refines is None:
            key = config_key(params)
            self._seeds = [s for s in self._seeds if config_key(s) != key]
        super().replay(proposal_id, params, value, banned, refines=refines, complete=complete,
                       measures=measures)
