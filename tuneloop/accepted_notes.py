"""What an arriving batch lacks or holds that the accepted batches did not: a class
they all held, units none of them had, one value on every row where they vary, rows late
or inside their times. Each answers with a Failure or a one-line note for the ingest.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuneloop.batches import time_spans
from tuneloop.features import plain
from tuneloop.io import read_parquet
from tuneloop.resent import per_file
from tuneloop.suite import Suite
from tuneloop.validation import Failure, is_label

ABSENT_CLASS_BATCHES = 3  # accepted batches, cut in time, a class must all have held
ABSENT_CLASS_RECENT = 3  # the newest accepted batches whose lowest share sets the rows expected


def absent_class(frame: pd.DataFrame, suite: Suite, files: list[Path],
                 least: float | None) -> Failure | None:
    """A class of a target of three classes or more that every accepted batch held and none of
    the batch's rows hold, where at its lowest share in an accepted batch `least` rows or more
    were expected: rows filtered by class, or by what goes with it (one region's countries
    left out of an export). Sweep 50b: a year of gapminder without its European rows (20% of
    every accepted batch or more, 26 expected) was accepted, learnt by a refit, and the model
    that reads each later year as that newest one predicted Europe for 3 of 88 European rows
    (accuracy 0.16 against 0.89). A class that drops to none by chance at that rate: about
    never (e^-20); a class seen absent from an accepted batch before is not judged. Only in a
    project cut in time, with ABSENT_CLASS_BATCHES accepted batches or more: without a time,
    init deals every class into each of its batches, which then say nothing of a season (the
    second review: a hotel's August without group bookings, as the August before it, was
    refused). The rows expected are at the class's lowest share in the ABSENT_CLASS_RECENT
    newest accepted batches (5 took in 1955's 11%, 18 rows expected: sweep 54c), and in every
    batch of the year before the newest where times are dates (a season: group bookings of 6%
    a month, 5 rows one August, are not expected in the next: the review): its lowest over
    all of them let a class of 28-30% of every batch since 1963, 3 of 77 rows in 1951, vanish
    from 1983's batch unsaid (6 rows expected there; sweep 54b: its rows relabelled as another
    region, which a refit learnt and served)."""
    if least is None or suite.target_values is None or len(suite.target_values) < 3 or \
            suite.time is None or len(files) < ABSENT_CLASS_BATCHES or \
            suite.target not in frame.columns:
        # Two classes: the positive-rate bounds judge a batch of one class, sampling allowed
        # for its size (sweep 50c: 90 small importers with no member, 21 expected, were
        # refused here where one member passed those bounds).
        return None
    labels = frame[suite.target].dropna()
    if labels.empty:
        return None
    kept = [(f, counts) for f in files if len(counts := _class_shares(f, suite.target))]
    if len(kept) < ABSENT_CLASS_BATCHES:
        return None
    shares = [counts for _, counts in kept]
    held = pd.DataFrame(shares).fillna(0.0).min() > 0  # by every accepted batch
    # Newest in time, not in arrival, as batches.in_time_order places them: a late 1951
    # batch was among the "3 newest" and set the rows expected by its 4% (the second review).
    spans = [_time_span(f, suite.time) for f, _ in kept]
    ranked = sorted(range(len(kept)), key=lambda i: (pd.isna(spans[i][0]), spans[i][0], i))
    shares = [shares[i] for i in ranked]
    latest = [spans[i][1] if isinstance(spans[i][1], pd.Timestamp) else None for i in ranked]
    newest = max((t for t in latest if t is not None), default=None)
    recent = [share for i, share in enumerate(shares) if i >= len(shares) - ABSENT_CLASS_RECENT
              or (newest is not None and latest[i] is not None
                  and latest[i] >= newest - pd.Timedelta(days=SEASON_DAYS))]
    lowest = pd.DataFrame(recent).fillna(0.0).min()[held]
    # As the value-set check reads a label (a CSV's 2.0 is class 2).
    missing = [(str(c), float(share)) for c, share in lowest.items()
               if share * len(labels) >= least and not is_label(labels, c).any()]
    if not missing:
        return None
    label, share = max(missing, key=lambda item: item[1])
    more = f" (and {len(missing) - 1} more class(es) so)" if len(missing) > 1 else ""
    return Failure("class absent", suite.target,
                   f"no row of class {label!r}{more}, which each of the {len(shares)} accepted "
                   f"batches held: at its lowest share in the {len(recent)} newest "
                   f"({share:.2g}) about "
                   f"{share * len(labels):.0f} of these {len(labels)} rows: rows filtered by "
                   "class, or by what goes with it (one region, one segment), a partial "
                   "export? If the class is truly absent now (a season none of those batches "
                   "spanned, or it ended), set validate.absent_class_rows: null, `tuneloop "
                   "ingest --retry` the file, and set it back")


_SHARES: dict[tuple[str, str], tuple[tuple[int, ...], pd.Series]] = {}


SEASON_DAYS = 366  # batches this far before the newest one's time: a year of seasons
_SPANS: dict[tuple[str, str], tuple[tuple[int, ...], tuple[Any, Any]]] = {}


def _time_span(path: Path, time: str) -> tuple[Any, Any]:
    """An accepted batch's earliest and latest time (batches.time_spans; NaT without its time
    column: placed by arrival), kept per file while it is unchanged: absent_class runs for
    every batch ingested."""
    def read() -> tuple[Any, Any]:
        import pyarrow.parquet as pq

        if time not in pq.read_schema(path).names:
            return pd.NaT, pd.NaT
        return time_spans(time, [path])[path]

    return per_file(_SPANS, path, time, read)


def _class_shares(path: Path, target: str) -> pd.Series:
    """Each class's share of an accepted batch's labelled rows (empty: none, or no target);
    kept per file while it is unchanged (the review: every decision read every batch)."""
    def read() -> pd.Series:
        import pyarrow.parquet as pq

        table = pq.ParquetFile(path)
        if target not in table.schema_arrow.names:
            return pd.Series(dtype="float64")
        labels = table.read(columns=[target]).column(0).to_pandas().dropna()
        return labels.astype("string").value_counts(normalize=True) if len(labels) \
            else pd.Series(dtype="float64")

    return per_file(_SHARES, path, target, read)


def known_units_note(frame: pd.DataFrame, group: str | None,
                     files: list[Path]) -> str | None:
    """A note for a batch whose rows belong to units (`data.group`, init's --group) earlier
    batches hold: as the holdout it scores units the model trained on, which init's deal by
    unit kept apart (sweep 55c: 110 new visits of trained patients became the holdout, and
    the run promoted on it without a word)."""
    if group is None or group not in frame.columns:
        return None
    units = _unit_keys(frame[group])
    if units.empty:
        return None
    held = [u for path in files if (u := _stored_units(path, group)) is not None]
    if not held:
        return None
    known = units.isin(pd.unique(np.concatenate(held)))
    if not known.any():
        return None
    return (f"{int(known.sum())} of its {len(units)} row(s) ({known.mean():.0%}) belong to "
            f"{group!r} units earlier batches hold (data.group): as the holdout (while it is "
            "the newest batch) it scores units the model trained on, and its figures flatter "
            "the model for units it never saw")


_UNITS: dict[tuple[str, str], tuple[tuple[int, ...], np.ndarray | None]] = {}


def _stored_units(path: Path, group: str) -> np.ndarray | None:
    """An accepted batch's distinct units (None: stored before the column), kept per file
    while it is unchanged, as the other checks' reads are: every ingest compares them all (a
    set of every stored row was 3x slower than their distinct values: the second review)."""
    def read() -> np.ndarray | None:
        import pyarrow.parquet as pq

        if group not in pq.read_schema(path).names:
            return None
        return np.asarray(pd.unique(_unit_keys(read_parquet(path, columns=[group])[group])),
                          dtype=object)

    return per_file(_UNITS, path, group, read)


def _unit_keys(values: pd.Series) -> pd.Series:
    """A unit column's values, blanks dropped, as comparable keys: numbers as numbers (a
    batch with a blank stores whole numbers as floats, and "2.0" never met "2": the
    verification sweep), else text."""
    present = values.dropna()
    if pd.api.types.is_float_dtype(present) and bool((present % 1 == 0).all()) and \
            bool((present.abs() < 2 ** 53).all()):
        return present.astype("int64")  # exact: whole floats of a column a blank made floats
    if pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present):
        return present  # int64 kept exact (18-digit ids: the second review)
    return present.astype("string")


CONSTANT_MIN_ROWS = 30  # a column's values in a batch: fewer say little about a broken export
CONSTANT_CHANCE = 0.001  # the chance, at the accepted batches' shares, of one value on every row
CONSTANT_RARE = 0.05  # the value's share of the accepted rows: a common one is no fill
CONSTANT_OF_TIME = 0.98  # of accepted rows holding their time's usual value: a period's label


def constant_note(frame: pd.DataFrame, suite: Suite, files: list[Path],
                  exclude: Iterable[str] = ()) -> str | None:
    """A note for a batch in which a feature holds one value on every row (CONSTANT_MIN_ROWS
    or more) that the accepted batches make improbable: under CONSTANT_CHANCE at the largest
    share one value takes in any of them, the value itself rare there (under CONSTANT_RARE of
    their rows), and the column no label of its time (one value per day of data.time in them:
    a month, a weekday, a day's weather). Kept (a rule can change), but said (sweep 55b F4: age
    60 on all 160 rows of a year, a column a broken export filled, was read as drift only). A
    flag set on 5% of rows may be unset on 30 rows by chance (0.95^30 is 21%); a month column
    holds one value in a monthly batch by design (the review). The time, id and excluded
    columns are left out."""
    roles = {suite.target, suite.time, suite.id, *exclude}
    columns = [c for c in suite.columns if c not in roles and c in frame.columns]
    fixed = {}
    for column in columns:
        present = frame[column].dropna()
        if len(present) >= CONSTANT_MIN_ROWS and present.nunique() == 1:
            fixed[column] = (plain(present.iloc[0]), len(present))
    if not fixed:
        return None
    stored = [_stored_variety(path, tuple(sorted(fixed)), suite.time) for path in files]
    said = []
    for column, (value, rows) in fixed.items():
        held = [v[column] for v in stored if column in v]
        if not held or max(h["top"] for h in held) ** rows >= CONSTANT_CHANCE:
            continue
        total = sum(h["rows"] for h in held)
        share = sum(h["counts"].get(_value_key(value), 0) for h in held) / total
        timed = sum(h["groups"] for h in held)
        of_time = timed and total >= 2 * timed and \
            sum(h["usual"] for h in held) >= CONSTANT_OF_TIME * total
        if share < CONSTANT_RARE and not of_time:
            said.append(f"{column!r} holds {value!r} on all {rows} rows ({share:.0%} of the "
                        "accepted rows hold it; no accepted batch holds one value on more "
                        f"than {max(h['top'] for h in held):.0%} of its rows)")
    if not said:
        return None
    more = f"; and {len(said) - 3} more column(s)" if len(said) > 3 else ""
    return ("; ".join(said[:3]) + more + ": a column a broken export filled? kept; withdraw "
            "this batch if it is not real")


_VARIETY: dict[tuple[str, Any], tuple[tuple[int, ...], dict[str, dict[str, Any]]]] = {}
_COUNTED_LEVELS = 1000  # the most common values of a stored batch whose shares are kept


def _value_key(value: Any) -> str:
    """A value as the one-value note compares it: numbers as floats (a batch with a blank
    stores 4 as 4.0: the review), anything else as text."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)):
        return repr(float(value))
    return str(value)


def _stored_variety(path: Path, columns: tuple[str, ...],
                    time: str | None) -> dict[str, dict[str, Any]]:
    """Per column of `columns` an accepted batch holds on CONSTANT_MIN_ROWS rows or more: its
    rows, the share its most common value takes, the rows of each of its _COUNTED_LEVELS
    commonest values (by _value_key), and with a time column the rows holding their day's (or
    time value's) usual value and the number of such days."""
    def read() -> dict[str, dict[str, Any]]:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
        held = [c for c in columns if c in names]
        timed = time if time in names else None
        frame = read_parquet(path, columns=[*held, *([timed] if timed else [])]) \
            if held else pd.DataFrame()
        days = None
        if timed is not None:
            days = frame[timed].dt.floor("D") \
                if pd.api.types.is_datetime64_any_dtype(frame[timed]) else frame[timed]
        out = {}
        for c in held:
            present = frame[c].dropna()
            if len(present) < CONSTANT_MIN_ROWS:
                continue
            keys = present.astype("float64") if pd.api.types.is_numeric_dtype(present) and \
                not pd.api.types.is_bool_dtype(present) else present.astype("string")
            counts = keys.value_counts()
            usual, groups = 0, 0
            if days is not None:
                pairs = pd.DataFrame({"d": days.loc[present.index], "v": present.astype(
                    "string")}).dropna().groupby(["d", "v"]).size()
                usual = int(pairs.groupby(level="d").max().sum())
                groups = int(pairs.index.get_level_values("d").nunique())
            # The most common values only: a value past them is rare (the review: None for a
            # column of many values read every share as 0, 30% zeros of an income too).
            out[c] = {"rows": len(present), "top": float(counts.iloc[0] / len(present)),
                      "counts": {_value_key(k): int(v)
                                 for k, v in counts.head(_COUNTED_LEVELS).items()},
                      "usual": usual, "groups": groups}
        return out

    return per_file(_VARIETY, path, (columns, time), read)


def late_note(time: str | None, frame: pd.DataFrame, accepted: list[Path]) -> str | None:
    """What to say of a batch whose rows start before accepted batches' rows: it takes its
    place in time order (the window, the split and the replay follow time, not arrival), so
    the batches after it move along."""
    if time is None or time not in frame.columns or frame[time].isna().all():
        return None
    start, end = frame[time].min(), frame[time].max()
    spans = {path.name: span for path, span in time_spans(time, accepted).items()}
    firsts = {name: first for name, (first, _) in spans.items() if pd.notna(first)}
    later = [name for name, first in firsts.items() if first > start]
    if not later:
        return overlap_note(frame[time], spans)
    note = (f"a late batch: its rows start at {start}, before those of {len(later)} accepted "
            f"batch(es) ({later[0]}{', ...' if len(later) > 1 else ''}); it takes its place in "
            f"time order, and the training window, split and replay follow time, not arrival")
    newest = max(firsts, key=lambda name: firsts[name])
    if end >= firsts[newest]:
        # A backfill of a whole year sorted first and its December rows trained beside the
        # December holdout: RMSE 1.71 became 0.36 without a word (sweep 27).
        note += (f"; but its rows run to {end}, into the times of the newest batch "
                 f"({newest}, the holdout): trained on, they make the holdout's period one "
                 "the model has seen, and its figures flatter it; send such history as "
                 "batches of their own periods")
    return note


OVERLAP_SHARE = 0.02  # of a batch's rows inside an accepted batch's times: a few stragglers


def overlap_note(times: pd.Series, spans: dict[str, tuple[Any, Any]]) -> str | None:
    """What to say of a batch that starts after every accepted batch's first time but before
    one's last: its first rows share a period with rows trained on (sweep 37: 40 rows dated
    June 2014, revising city-months of an accepted 2014 batch, sat in the new holdout without
    a word; late_note spoke only of batches starting before an accepted batch's first time).
    Said where at least OVERLAP_SHARE of its rows do."""
    ends = {name: last for name, (_, last) in spans.items() if pd.notna(last)}
    if not ends:
        return None
    name = max(ends, key=lambda n: ends[n])
    inside = int((times <= ends[name]).sum())  # its last day is still its period
    if inside == 0 or inside < OVERLAP_SHARE * len(times):
        return None
    return (f"{inside} of its {len(times)} rows (from {times.min()}) lie within the times of "
            f"accepted batch {name} (up to {ends[name]}): they sit beside rows of the same "
            "period already trained on, so, as the newest batch (the holdout), it flatters "
            "the model's figures; if they revise rows already sent, withdraw the older batch "
            "(`tuneloop data withdraw`) or send batches of periods of their own")
