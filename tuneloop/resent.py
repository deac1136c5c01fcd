"""Is an arriving batch one already accepted, sent again? Whole or in another order,
relabelled, shifted in time, its ids or rows seen before, or its dates written day first
where the project writes month first. Each check reads the accepted batches once per file
version (per_file) and answers with the ingest's Failure, or a note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuneloop.batches import conform
from tuneloop.errors import DataError
from tuneloop.io import read_parquet
from tuneloop.suite import Suite
from tuneloop.validation import Failure


def day_first(frame: pd.DataFrame, time: str | None, formats: dict[str, str],
              accepted: list[Path], swapped_dates: dict[str, Any]) -> Failure | None:
    """A batch whose time reads both ways (every day at most 12) and lands inside the accepted
    batches' times, where with day and month swapped it would follow them: its dates were
    written the other way (sweep 23: 1-12 December written day first, in a project of
    month-first dates, was taken as a late batch of one day a month from January on)."""
    swapped = swapped_dates.get(time) if time is not None else None
    if time is None or swapped is None or not accepted or frame[time].isna().all():
        return None
    fmt, first, last = swapped[0], pd.Timestamp(swapped[1]), pd.Timestamp(swapped[2])
    newest = max(pd.read_parquet(f, columns=[time])[time].max() for f in accepted)
    start, end = frame[time].min(), frame[time].max()
    # Its shape tells too: read as written it spreads over months, read swapped it is a run of
    # days (1-12 December written day first: January to December, one day each). A late batch
    # of a few days of the project's own writing reads swapped as months apart: kept (the
    # review: such a batch was refused).
    spread = (end - start) if pd.notna(end) else pd.Timedelta(0)
    if pd.isna(newest) or not start < newest < first or \
            spread < pd.Timedelta(days=28) or spread < 5 * (last - first):
        return None
    return Failure("date format", time, (
        f"its times read {formats.get(time)} start at {start}, inside the accepted batches' "
        f"(the newest {newest}); read {fmt}, day and month swapped, they run from {first} to "
        f"{last}, after them: written day and month the other way? write them "
        f"{formats.get(time)}, as the first data was"))


def _row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One hash per row of `columns`, alike for a CSV's and a stored Parquet's typing (numbers
    as floats, times in UTC microseconds whatever unit a file stored, the rest as text)."""
    typed = {}
    for col in columns:
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            typed[col] = values.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(values):
            # Microseconds: every date pandas reads fits (9999-12-31 overflows nanoseconds).
            typed[col] = pd.to_datetime(values, utc=True).dt.as_unit("us")
        else:
            typed[col] = values.astype("string")
    return pd.util.hash_pandas_object(pd.DataFrame(typed), index=False).to_numpy()


_HASHES: dict[tuple[str, tuple[str, ...]], tuple[tuple[int, ...], np.ndarray | None]] = {}


def _stored_hashes(path: Path, columns: list[str]) -> np.ndarray | None:
    """An accepted batch's row hashes (None when it lacks a column), read once per process
    while the file is unchanged: an ingest of several files, or a validate, does not re-read
    the window for each. One entry per file and set of columns (the whole rows, and the
    features alone: _relabelled)."""
    def read() -> np.ndarray | None:
        import pyarrow.parquet as pq

        present = set(pq.read_schema(path).names)
        return _row_hashes(read_parquet(path, columns=columns), columns) \
            if set(columns) <= present else None

    return per_file(_HASHES, path, tuple(columns), read)


def per_file(cache: dict[Any, Any], path: Path, key: Any, read: Callable[[], Any]) -> Any:
    """`read()` of an accepted batch, kept in `cache` per file and key while the file is
    unchanged; a file that cannot be read stops the check, one line naming it."""
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
        cached = cache.get((str(path), key))
        if cached is None or cached[0] != stamp:
            cache[(str(path), key)] = cached = (stamp, read())
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise DataError(f"{path}: accepted batch cannot be read ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    return cached[1]


def _contained(batch: np.ndarray, stored: np.ndarray) -> float:
    """The share of the rows of the smaller of two batches (counted with repeats) that the
    other holds too."""
    values, counts = np.unique(batch, return_counts=True)
    theirs, their_counts = np.unique(stored, return_counts=True)
    common, mine, other = np.intersect1d(values, theirs, return_indices=True)
    shared = int(np.minimum(counts[mine], their_counts[other]).sum())
    return shared / max(len(batch), len(stored))


def repeated_rows(frame: pd.DataFrame, suite: Suite, files: list[Path],
                  ignore: Iterable[str] = ()) -> Failure | None:
    """Without an id, rows sent again are caught by their content: a batch whose rows are
    those of an accepted batch, or (where the accepted rows seldom repeat among themselves)
    mostly rows already accepted, would put the same rows in train and holdout and score a
    model on rows it learnt. Where rows repeat by nature (a table of a few categories), a new
    batch shares many rows with the accepted ones by chance, and only an exact copy of a batch
    is refused."""
    hashed = _hashed(frame, suite, files, ignore)
    if hashed is None:
        return None
    batch, earlier, columns = hashed
    if (again := _copy_failure(batch, earlier)) is not None:
        return again
    usual, found = _found_among(batch, list(earlier.values()))
    share = float(found.mean())
    if usual < 0.1 and share >= 0.5:
        return Failure("rows already accepted", None,
                       f"{int(found.sum())} of {len(batch)} rows ({100 * share:.0f}%) are rows "
                       f"of accepted batches (the accepted rows repeat {100 * usual:.0f}% among "
                       "themselves): rows sent again?")
    if suite.target not in columns:
        return None  # no labels among the compared columns: nothing more to tell
    return _relabelled(frame, suite, files, [c for c in columns if c != suite.target])


def _hashed(frame: pd.DataFrame, suite: Suite, files: list[Path], ignore: Iterable[str] = (),
            ) -> tuple[np.ndarray, dict[str, np.ndarray], list[str]] | None:
    """The batch's row hashes, each accepted batch's (by name), and the columns hashed; None
    where there is nothing to compare."""
    if not files or frame.empty:
        return None
    # Not excluded columns of row numbers (whole numbers, each once): a batch sent again with
    # its index renumbered was accepted as new rows. Other excluded columns (names, codes)
    # stay: without them a table of few categories would collide with itself.
    skip = {c for c in ignore if c in frame.columns and frame[c].is_unique
            and pd.api.types.is_integer_dtype(frame[c])}
    columns = [c for c in suite.columns if c in frame.columns and c not in skip] or \
        [c for c in suite.columns if c in frame.columns]
    batch = _row_hashes(conform(frame, suite), columns)
    earlier = {f.name: h for f in files if (h := _stored_hashes(f, columns)) is not None}
    return (batch, earlier, columns) if earlier else None


def _copy_failure(batch: np.ndarray, earlier: dict[str, np.ndarray]) -> Failure | None:
    again = _batch_again(batch, earlier)
    if again is None:
        return None
    words, exact = again
    asked = "a batch sent twice?" if exact else "a batch sent again, edited?"
    return Failure("rows already accepted", None, f"{words}: {asked}")


def resent_copy(frame: pd.DataFrame, suite: Suite, files: list[Path],
                ignore: Iterable[str] = ()) -> Failure | None:
    """Only an accepted batch sent again (its rows exactly, or 98 %): what a batch refused for
    its ids is where it is that (the review: rows re-sent with other labels, or half of them
    new, are still a file to fix)."""
    hashed = _hashed(frame, suite, files, ignore)
    return None if hashed is None else _copy_failure(hashed[0], hashed[1])


def _batch_again(batch: np.ndarray, earlier: dict[str, np.ndarray],
                 exact: bool = False) -> tuple[str, bool] | None:
    """Words naming the accepted batch whose rows `batch`'s hashes are, and whether exactly
    (else, unless `exact`, 98 % or more of each other's); None when no batch is so."""
    mine = np.sort(batch)
    for name, hashes in earlier.items():
        if len(hashes) == len(mine) and np.array_equal(np.sort(hashes), mine):
            return f"the same {len(batch)} rows as accepted batch {name}", True
        if not exact and _contained(batch, hashes) >= 0.98:
            # A batch sent again with a row added or corrected: nearly all of its rows are one
            # accepted batch's, and that batch nearly all of it (chance overlap of a table of a
            # few categories stays well below, unless batches hold a handful of distinct rows).
            return (f"{len(batch)} rows, 98 % or more of them those of accepted batch {name} "
                    f"(of {len(hashes)} rows)"), False
    return None


REPEATS_SHARE = 0.05  # a batch's rows repeating another of its rows: said from this share


def repeats_note(conformed: pd.DataFrame, suite: Suite, files: list[Path]) -> str | None:
    """A note for an accepted batch whose rows repeat one another in every column far more
    than any accepted batch's do (REPEATS_SHARE or more, three times the most an accepted
    batch showed): kept (a repeat may be real), but said, as init says it (sweep 51b: 8 of
    88 rows repeated passed without a word). None where the accepted batches cannot tell."""
    columns = [c for c in suite.columns if c in conformed.columns]
    if len(conformed) < 20 or not columns:
        return None
    twins = int(pd.Series(_row_hashes(conformed, columns)).duplicated().sum())
    if twins < REPEATS_SHARE * len(conformed):
        return None
    shares = [1.0 - len(np.unique(h)) / len(h) for f in files
              if (h := _stored_hashes(f, columns)) is not None and len(h)]
    if not shares or twins / len(conformed) < 3 * max(max(shares), 0.005):
        return None
    return (f"{twins} row(s) ({twins / len(conformed):.0%}) repeat another row of this batch in "
            f"every column, where an accepted batch repeats at most {max(shares):.0%}: kept; "
            "drop them and withdraw this batch if they are not real repeats")


def _found_among(batch: np.ndarray, earlier: list[np.ndarray]) -> tuple[float, np.ndarray]:
    """How often the accepted rows' hashes repeat among themselves, and which of the batch's
    rows are among them."""
    seen = np.concatenate(earlier)
    return 1.0 - len(np.unique(seen)) / len(seen), np.isin(batch, seen)


def _hashes(frame: pd.DataFrame, suite: Suite, files: list[Path],
            columns: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The batch's row hashes in `columns`, and each accepted batch's (by file name) that
    holds them all."""
    batch = _row_hashes(conform(frame, suite), columns)
    return batch, {f.name: h for f in files if (h := _stored_hashes(f, columns)) is not None}


def _mostly_accepted(batch: np.ndarray, earlier: dict[str, np.ndarray]) -> str | None:
    """"N of M rows (P%)" when half or more of the batch's rows are accepted rows, where the
    accepted rows seldom repeat among themselves (under 10 %); else None."""
    if not earlier:
        return None
    usual, found = _found_among(batch, list(earlier.values()))
    share = float(found.mean())
    if usual < 0.1 and share >= 0.5:
        return f"{int(found.sum())} of {len(batch)} rows ({100 * share:.0f}%)"
    return None


def _relabelled(frame: pd.DataFrame, suite: Suite, files: list[Path],
                columns: list[str]) -> Failure | None:
    """Rows of accepted batches sent again with other labels (an export re-sent with its
    target edited, or in another unit) hash as new rows: 2,085 rows of a year already
    accepted were taken again with wages for log wages (sweep 23). Their features alone are
    compared, where the accepted rows' features seldom repeat among themselves (continuous
    measurements: a table of few categories repeats them by nature)."""
    if not columns:
        return None
    found = _mostly_accepted(*_hashes(frame, suite, files, columns))
    if found is not None:
        return Failure("rows already accepted", None,
                       f"{found} are rows of accepted batches in every column but the "
                       f"target {suite.target!r}: "
                       "rows sent again with other labels (a corrected or converted export?); "
                       "if they are new measurements of the same rows, give the table a column "
                       "that tells the periods apart (a date, with --time)")
    return None


def resent_otherwise(frame: pd.DataFrame, suite: Suite, files: list[Path], id_column: str | None,
                     time: str | None, ignore: Iterable[str] = ()) -> Failure | None:
    """Rows of accepted batches sent again with their id or time written otherwise hash as
    new rows: ids whose leading zeros a spreadsheet dropped (`500` for `000500`), and times
    exported without their zone (read as UTC, hours off), were accepted, and such a batch
    became the holdout of rows trained on (sweep 27). Every other column, the target
    included, is compared, where the accepted rows seldom repeat among themselves there."""
    # An excluded column unique in the batch is an id too (init excludes one it finds, where
    # no --id names it: sweep 28's stripped zeros then passed), and so is a row number.
    unique = [c for c in ignore if c in frame.columns and c not in (id_column, time)
              and frame[c].is_unique]
    dropped = [c for c in (id_column, time, *unique) if c is not None and c in frame.columns]
    if not dropped or not files or frame.empty:
        return None
    columns = [c for c in suite.columns if c in frame.columns and c not in dropped]
    if suite.target not in columns or len(columns) < 2:
        return None  # the labels and a feature at least, or any two rows of a class collide
    names = " and ".join(repr(c) for c in dropped)
    batch, earlier = _hashes(frame, suite, files, columns)
    found = _mostly_accepted(batch, earlier)
    # A panel's new period: the same rows measured again a month on (sweep 29: 35 of 39
    # computers listed again at the same price the next month), not times re-exported in
    # another zone, which move them by hours.
    period = found is not None and time in dropped and \
        (offset := _time_offset_hours(frame, suite, files, columns, time)) is not None and \
        offset >= RESENT_MAX_OFFSET_H
    if found is not None and not period:
        why = ", ".join([*(["ids whose leading zeros a spreadsheet dropped"]
                           if id_column in dropped or unique else []),
                         *(["times exported without their zone or in another"]
                           if time in dropped else [])])
        return Failure("rows already accepted", None,
                       f"{found} are rows of accepted batches in every column but {names}: "
                       "rows sent again, "
                       f"written otherwise there ({why}?)")
    if len(np.unique(batch)) < AGAIN_MIN_DISTINCT or not earlier:
        return None  # a handful of rows alike match by chance
    # Exactly: without their time, two batches of a table of a few categories share 98 % of
    # their rows by chance.
    again = _batch_again(batch, earlier, exact=True)
    if again is not None:
        # A whole accepted batch, its time or ids rewritten (sweep 48b: monica's 1989 sent as
        # 1992 was accepted, the next holdout of rows trained on, its rows repeating too often
        # among the accepted ones for the share above), where a panel's new period measures
        # some of its rows again, not all of one batch's.
        return Failure("rows already accepted", None,
                       f"{again[0]} in every column but {names}: that batch sent again with "
                       f"its {names} rewritten? If they are new measurements of the same rows, "
                       "they teach nothing new and would score a model on rows it learnt")
    usual, present = _found_among(batch, list(earlier.values()))
    if usual < ALL_ACCEPTED_USUAL and float(np.mean(present)) >= ALL_ACCEPTED_SHARE:
        # Every row an accepted one, a part of a batch or of several (sweep 48c: 600 of
        # monica's 718 rows of 1989 dated 1994; sweep 49a: the last 200 rows of an exchange
        # rate table dated 400 days on, promoted a model that had learnt nothing), where a
        # panel's next period brings some rows of its own (35 of 39 listed again).
        return Failure("rows already accepted", None,
                       f"all {len(batch)} rows are rows of accepted batches in every column but "
                       f"{names} (the accepted rows repeat {100 * usual:.0f}% among "
                       f"themselves): rows sent again with their {names} rewritten? If they are "
                       "new measurements of the same rows, they teach nothing new and would "
                       "score a model on rows it learnt")
    return None


AGAIN_MIN_DISTINCT = 20  # distinct rows a batch at least, to be named as one sent again
# A batch whose rows are all accepted ones but for their time or id is sent again, where the
# accepted rows repeat among themselves less than this (a table of few categories repeats
# them all by nature).
ALL_ACCEPTED_SHARE = 0.99
ALL_ACCEPTED_USUAL = 0.5


# Times re-exported in another zone (or without theirs) move by under a day: matched rows
# further apart than this are the same rows of a later period.
RESENT_MAX_OFFSET_H = 24.0


def _time_offset_hours(frame: pd.DataFrame, suite: Suite, files: list[Path],
                       columns: list[str], time: str) -> float | None:
    """The median distance in hours between the batch's rows that match accepted rows in
    `columns` and the times of those accepted rows; None where it cannot be told."""
    conformed = conform(frame, suite)
    if time not in conformed.columns or \
            not pd.api.types.is_datetime64_any_dtype(conformed[time]):
        return None
    batch = pd.DataFrame({"key": _row_hashes(conformed, columns),
                          "at": pd.to_datetime(conformed[time], utc=True)})
    stored = []
    for path in files:
        try:
            rows = read_parquet(path, columns=[*columns, time])
        except (OSError, ValueError, KeyError):
            continue  # a batch without the column: nothing to match there
        stored.append(pd.DataFrame({"key": _row_hashes(rows, columns),
                                    "then": pd.to_datetime(rows[time], utc=True)}))
    if not stored:
        return None
    first = pd.concat(stored).drop_duplicates("key")
    matched = batch.merge(first, on="key", how="inner")
    if matched.empty:
        return None
    return float(((matched["at"] - matched["then"]).abs() / pd.Timedelta(hours=1)).median())


def repeated_ids(frame: pd.DataFrame, id_column: str | None,
                 files: list[Path]) -> Failure | None:
    """The id must be unique across every accepted batch, not only within this one: a batch
    sent again with other bytes would otherwise put the same rows in train and holdout."""
    if id_column is None or id_column not in frame.columns:
        return None
    seen = set()
    for path in files:
        seen.update(read_parquet(path, columns=[id_column])[id_column].astype("string"))
    ids = frame[id_column].astype("string")
    again = ids[ids.isin(seen)]
    if again.empty:
        return None
    return Failure("id unique across batches", id_column,
                   f"{len(again)} id(s) already in accepted batches, e.g. {again.iloc[0]!r}")
