"""ingest: batch files arrive; each is prepared, validated and accepted or quarantined.

A batch comes from `tuneloop ingest FILE...` or from the project's incoming folder
(`data.incoming`, picked up by the next run). Each file is read (Parquet or CSV), turned into a
table by the project's prepare hook (`data.prepare`, if any) and validated against the suite
with Great Expectations. An accepted batch is stored, typed as the suite says, as the next file
of `data.batches`; a rejected one is copied with its report into quarantine. Either way the
decision goes into the batch ledger (`paths.arrivals`) under the file's hash, so the same batch
is never decided twice, however often a run or a scheduled check sees it.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stages._cli import run_main, stage_parser
from tuneloop import jsonl
from tuneloop.batches import (
    ROW_NAMES,
    SAVED_INDEX,
    MedianHistory,
    accepted_batches,
    accepted_now,
    apply_hook,
    blank_lines,
    check_batch_kind,
    conform,
    exact_whole,
    footer_rows,
    header_repeats_note,
    in_time_order,
    is_batch_file,
    latest_entries,
    load_hook,
    next_batch_path,
    not_a_batch_hint,
    read_batch,
    time_spans,
    unread_incoming,
    withdrawn_now,
)
from tuneloop.config import Params
from tuneloop.errors import ConfigError, DataError, ValidationFailed
from tuneloop.features import FALSE_WORDS, TRUE_WORDS, as_true_false, plain, true_false_words
from tuneloop.io import atomic_dir, file_md5, read_parquet, write_json, write_parquet
from tuneloop.suite import Suite, following, load_suite, median_columns
from tuneloop.validation import (
    Failure,
    ValidationReport,
    is_label,
    quarantine,
    run_gx,
    save_report,
    stamp,
    stored_as_known_notes,
    unreadable,
)


@dataclass(frozen=True)
class Arrival:
    source: str
    md5: str
    accepted: bool
    stored_as: str | None = None
    quarantined_in: str | None = None
    rows: int = 0
    lines: list[str] = field(default_factory=list)  # one per failed check
    note: str | None = None  # said with the acceptance (a late batch)


@dataclass(frozen=True)
class IngestResult:
    arrivals: list[Arrival]
    skipped: list[str]  # already decided (same content hash), not decided again
    # Of those, the ones rejected then: source -> where that rejection was quarantined.
    rejected_before: dict[str, str | None] = field(default_factory=dict)
    # ... and the ones accepted then withdrawn (`tuneloop data withdraw`): source -> kept in.
    withdrawn_before: dict[str, str | None] = field(default_factory=dict)

    @property
    def rejected(self) -> list[Arrival]:
        return [a for a in self.arrivals if not a.accepted]

    @property
    def accepted(self) -> list[Arrival]:
        return [a for a in self.arrivals if a.accepted]


def decide(path: Path, params: Params, root: Path, suite: Suite, hook: Any,
           md5: str | None = None, itself: str | None = None,
           ) -> tuple[ValidationReport, pd.DataFrame | None]:
    """Read, prepare and validate one batch file (`md5`, its content hash, names the run),
    against the suite and the accepted batches (ids or rows already accepted); `itself`: the
    accepted batch this file is, left out of that comparison (validating an accepted batch)."""
    source = str(path)
    try:
        # Without a hook the file is the table: read its columns as the suite types them.
        text = suite.text_columns() if hook is None else ()
        dates = {c: params.data.date_formats.get(c, "ISO8601") for c in suite.datetime_columns()}
        numbers = [n for n, c in suite.columns.items() if c.type in ("int", "float")] \
            if hook is None else []
        frame = apply_hook(hook, read_batch(path, dates, text, thousands=hook is None,
                                            missing=params.data.missing_values,
                                            decimal=params.data.decimal,
                                            numeric_columns=numbers,
                                            clock=params.data.clock_times if hook is None
                                            else ()),
                           source)
    except DataError as exc:
        return unreadable(source, suite, str(exc)), None
    inputs = _inputs(suite, params.data)
    footer = footer_failure(frame, suite, inputs)
    # The export's row names, which init dropped (a suite made before keeps them, as a column
    # it names): present or not, they are no column of the table (nor in a header with no
    # rows under it, whose columns have no type: sweep 48a's was told "unexpected rownames").
    frame = frame.drop(columns=[c for c in frame.columns
                                if SAVED_INDEX.match(str(c)) and c not in suite.columns
                                and (frame.empty or pd.api.types.is_integer_dtype(frame[c])
                                     or ROW_NAMES.match(str(c)))
                                and frame[c].is_unique])
    for name, column in suite.columns.items():
        # Labels and text features read without the spaces around them, as init reads them
        # (sweep 35: 'Tensed' and 'Tensed' padded with spaces were two levels of one); not
        # a feature whose suite, made before init stripped them, knows padded levels (' Private'
        # of a `, Private` file: the review), which its batches keep spelling so.
        known = column.levels or []
        if column.type == "string" and name in frame.columns and (
                pd.api.types.is_string_dtype(frame[name]) or frame[name].dtype == object) and (
                name == suite.target or all(str(v) == str(v).strip() for v in known)):
            frame[name] = frame[name].astype("string").str.strip()
    frame = _as_suite_booleans(_featured(_timed(_known_classes(
        _labelled(frame, suite.target), suite), suite.time), inputs), suite)
    # Off the frame: the stored batch's metadata keeps no parsing notes (as run_gx's dates).
    swapped = frame.attrs.pop("swapped_dates", None) or {}
    spec = params.data
    report = run_gx(frame, suite, params.validate_, source, root / params.paths.validation_dir,
                    positive_class=spec.positive_class, md5=md5)
    if suite.target not in frame.columns or \
            2 * int(frame[suite.target].isna().sum()) > len(frame):
        # Labels mostly blank, or their column missing: the batch is kept whole for the
        # target's line, so the blanks of other columns on the rows a labelled batch drops were
        # four more lines, each advising to loosen the suite for nothing (sweeps 29 and 30).
        report = replace(report, failures=[
            f for f in report.failures if f.column == suite.target
            or f.expectation != "expect_column_values_to_not_be_null"])
    others = [f for f in accepted_batches(root / spec.batches) if f.name != itself]
    repeated = repeated_ids(frame, spec.id, others)
    if repeated is not None and report.success:
        # Ids seen before on rows seen before: a batch sent again (in another order), nothing
        # to fix or retry, not a file "meant for the window" (sweep 58b F2).
        repeated = resent_copy(frame, suite, others, ignore=spec.exclude) or repeated
    if repeated is None and spec.id is None and report.success:
        repeated = repeated_rows(frame, suite, others, ignore=spec.exclude)
    if repeated is None and report.success:
        repeated = resent_otherwise(frame, suite, others, spec.id, spec.time, spec.exclude)
    if repeated is None and report.success:
        repeated = day_first(frame, spec.time, params.data.date_formats, others, swapped)
    if repeated is None and report.success and itself is None:
        # Not of an accepted batch validated again: the others all holding a class it lacked
        # when it was let in says nothing new (the review).
        repeated = absent_class(frame, suite, others, params.validate_.absent_class_rows)
    if repeated is not None:
        report = replace(report, success=False, failures=[*report.failures, repeated])
    if footer is not None:
        report = replace(report, success=False, failures=[*report.failures, footer])
    return report, frame


def footer_failure(frame: pd.DataFrame, suite: Suite,
                   inputs: list[str] | None = None) -> Failure | None:
    """A batch ending in a spreadsheet's footer below a blank row (tuneloop.batches.
    footer_rows), refused naming it: init drops one from the first table, but a batch's rows
    are not guessed at (sweep 35: a `Mean` row under a `;` batch's blank line was accepted as
    a 101st teacher, its scores the means)."""
    known = {name: [*(column.levels or []), *(column.values or [])]
             for name, column in suite.columns.items()}
    known[suite.target] = [*known.get(suite.target, []), *(suite.target_values or [])]
    rows = footer_rows(frame, known)
    present = [c for c in inputs or [] if c in frame.columns]
    if present:
        # A footer blank in every input is a total line the batch drops with a note, as it
        # always has (_featured: sweep 27's TOTAL line with the sum of 60 prices).
        rows = [r for r in rows if frame.iloc[r][present].notna().any()]
    if not rows:
        return None
    first = frame.iloc[rows[0]].dropna()
    column = str(first.index[0]) if len(first) else str(frame.columns[0])
    shown = ", ".join(repr(str(v)) for v in first.head(3).tolist())
    return Failure("spreadsheet footer", column, (
        f"{len(rows)} row(s) "
        + ("below the batch's last blank row" if frame.isna().all(axis=1).any()
           else "closing the batch") + " look like a footer, not data "
        f"({shown}, ...: totals or notes): delete them from the file and send it again"))


def _as_suite_booleans(frame: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """A text column whose two known levels are a true and a false word (R's TRUE / FALSE, a
    Y / N) takes any spelling of true and false as those levels: the same rows as a Parquet
    boolean arrive as True / False, and were rejected as "level spelling" (sweep 25)."""
    for name, column in suite.columns.items():
        if name in frame.columns and column.type == "bool" and \
                not pd.api.types.is_bool_dtype(frame[name]):
            # A boolean column (a Parquet bool at init) sent as yes / no or 1 / 0: the words
            # a CSV of booleans holds, True / False (sweep 53c: refused as "expected bool,
            # observed dtype str", where a text column of yes / no took them).
            if (words := true_false_words(frame[name])) is not None:
                # Booleans, not their words: a bool target's classes are the booleans (the
                # verification sweep: "True"/"False" text failed its value set).
                frame[name] = words.map(lambda w: w in TRUE_WORDS,
                                        na_action="ignore").astype("boolean")
            continue
        # A binary target's classes are its levels here: R's TRUE / FALSE labels of a project
        # made from True / False were "spelt otherwise" where its features passed (sweep 29).
        levels = column.levels or (suite.target_values if name == suite.target else None) or []
        if name not in frame.columns or column.type != "string" or len(levels) != 2:
            continue
        true = [v for v in levels if str(v).strip().lower() in TRUE_WORDS]
        false = [v for v in levels if str(v).strip().lower() in FALSE_WORDS]
        if len(true) != 1 or len(false) != 1:
            continue
        if true_false_words(frame[name]) is not None:
            # As text first: a nullable boolean column takes no 'TRUE' (the review).
            frame[name] = as_true_false(frame[name], true[0], false[0])
    return frame


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


def _labelled(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """The batch without its rows whose target is blank, as init drops them (they can be
    neither trained nor scored on; their labels may come in a later batch): _without_blank,
    attrs["unlabelled"]."""
    return _without_blank(frame, target, "unlabelled")


# A multiclass batch's rows of a class the project does not know, up to this share of its
# labelled rows, are dropped and said; more is a batch the suite rejects.
MAX_NEW_CLASS_SHARE = 0.01


def _known_classes(frame: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """A multiclass batch without its few rows of a class the project does not know (sweep 31:
    one sparrow among 1,347 rodents rejected a survey year, and four of twelve years held
    one): a model cannot learn a class on the fly, and the rest of the batch is good data.
    Another spelling of a known class is no new class (the suite rejects an export that spells
    them otherwise). attrs["new_class"]: how many rows, and attrs["new_classes"]: which."""
    from tuneloop.features import respelled

    classes = [str(c) for c in suite.target_values or []]
    if len(classes) <= 2 or suite.target not in frame.columns:
        return frame
    labels = frame[suite.target].astype("string")
    new = labels.notna() & ~labels.isin(classes) & ~respelled(classes, labels)
    if not new.any() or new.sum() > MAX_NEW_CLASS_SHARE * labels.notna().sum():
        return frame
    kept = _without_rows(frame, new, "new_class")
    kept.attrs["new_classes"] = labels[new].unique().tolist()
    return _renumbered(kept, suite)


def _renumbered(frame: pd.DataFrame, suite: Suite) -> pd.DataFrame:
    """Whole-number or decimal classes read as text because of the rows just dropped (sweep
    48a: three labels written 'six' among SURENESS 1-6): as numbers again, so the suite's
    type check does not blame the writing of the good ones ('6', '2', '5')."""
    column = suite.columns.get(suite.target)
    labels = frame[suite.target]
    if column is None or column.type not in ("int", "float") or \
            pd.api.types.is_numeric_dtype(labels):
        return frame
    numbers = pd.to_numeric(labels, errors="coerce")
    if not numbers.notna().all():
        return frame
    whole = column.type == "int" and exact_whole(numbers)  # past 2**53 int64 would wrap
    frame[suite.target] = numbers.astype("int64") if whole else numbers.astype("float64")
    return frame


def new_class_note(attrs: dict[str, Any]) -> str:
    """The note for the rows _known_classes dropped."""
    named = ", ".join(map(repr, attrs.get("new_classes", [])[:3]))
    return (f"{attrs['new_class']} row(s) of a class the project does not know ({named}) "
            "dropped: a model cannot learn a class on the fly (data.classes); one to learn "
            "means a new project (tuneloop init)")


def _without_blank(frame: pd.DataFrame, column: str, dropped: str) -> pd.DataFrame:
    """The batch without its rows blank in `column`, up to half of the rows: a batch mostly
    blank there is left whole for the suite to reject (a column lost in an export).
    attrs[dropped]: how many rows were dropped."""
    if column not in frame.columns:
        return frame
    blank = frame[column].isna()
    if not blank.any() or 2 * int(blank.sum()) > len(frame):
        return frame
    return _without_rows(frame, blank, dropped)


def _without_rows(frame: pd.DataFrame, blank: pd.Series, dropped: str) -> pd.DataFrame:
    """The batch without the rows `blank` marks, how many in attrs[dropped]."""
    kept = frame[~blank].reset_index(drop=True)
    kept.attrs = {**frame.attrs, dropped: int(blank.sum())}
    return kept


def _timed(frame: pd.DataFrame, time: str | None) -> pd.DataFrame:
    """The batch without its rows whose time is blank, as init drops them (a row with no time
    has no place in the time order the split and the replay follow), up to half of the rows;
    a value that is not a date stays for the suite to name. A spreadsheet's total row
    (`Total,,280765`, no year) was accepted into the holdout, and the model promoted on it at
    RMSE 5,128 for scores of 0-100 (sweep 26): _without_blank, attrs["untimed"]."""
    if time is None or time in (frame.attrs.get("unparsed_dates") or {}):
        return frame
    return _without_blank(frame, time, "untimed")


def _inputs(suite: Any, spec: Any) -> list[str]:
    """The suite's columns the model reads: the features and the time (its date parts), not
    the target, the id or an excluded column (data.features, where given, names them)."""
    roles = {suite.target, suite.id, *spec.exclude}
    return [c for c in suite.columns if c not in roles
            and (spec.features is None or c in spec.features or c == suite.time)]


def _featured(frame: pd.DataFrame, inputs: list[str]) -> pd.DataFrame:
    """The batch without its few rows blank in every input (tuneloop.batches.blank_lines), as
    init drops them: a spreadsheet's total line carries a label and nothing to learn it from
    (sweep 27: a car-price batch's total of 60 prices went into training, and the realized
    RMSE rose by 160k without a word). attrs["featureless"]: how many were dropped."""
    blank = blank_lines(frame, inputs)
    return frame if blank is None else _without_rows(frame, blank, "featureless")


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

    return _per_file(_HASHES, path, tuple(columns), read)


def _per_file(cache: dict[Any, Any], path: Path, key: Any, read: Callable[[], Any]) -> Any:
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

    return _per_file(_SPANS, path, time, read)


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

    return _per_file(_SHARES, path, target, read)


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

    return _per_file(_UNITS, path, group, read)


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

    return _per_file(_VARIETY, path, (columns, time), read)


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


def check_files(files: list[Path]) -> None:
    """Each path is a batch file: a missing one, a directory or a file of another type (a
    .json, a .xlsx) is no batch to answer about, and is neither quarantined nor recorded."""
    for path in files:
        if not path.is_file():
            raise DataError(f"{path}: is a directory, expected a Parquet or CSV file"
                            if path.is_dir() else f"{path}: file not found")
        check_batch_kind(path)  # the readers' own check, before anything is decided


def accepted_as(params: Params, root: Path, path: Path) -> str | None:
    """The accepted batch file this file is (stored there, or accepted from it: the ledger
    knows its hash), or None."""
    batches = (root / params.data.batches).resolve()
    # The folder it sits in, not where a link points (a DVC symlink cache points elsewhere).
    if path.absolute().parent.resolve() == batches:
        return path.name
    if not path.is_file():
        return None
    md5 = file_md5(path)
    entries = jsonl.read(root / params.paths.arrivals, "batch ledger")
    if md5 not in accepted_now(entries):
        return None
    stored = [e.get("stored_as") for e in entries if e.get("md5") == md5 and e.get("accepted")]
    return Path(stored[-1]).name if stored and stored[-1] else None


@dataclass(frozen=True)
class Withdrawal:
    batch: str          # the stored batch file's name
    source: str         # the file it was accepted from
    rows: int
    kept_in: str        # the quarantine folder holding it and why
    newest: bool        # it held the latest times of the window (the holdout of the split)
    already: str | None = None  # the reason it was withdrawn with before, when it was


def withdraw(params: Params, root: Path, batch: str, reason: str) -> Withdrawal:
    """Take an accepted batch out of the training window: it is kept in quarantine with the
    reason, the batch ledger says withdrawn (the same file sent again is skipped as such;
    `ingest --retry` decides it again), and the batch file leaves `data.batches` (the caller
    versions the new window). Decisions made on it stay in the decision ledger, as they were
    made. Idempotent: a batch withdrawn already (a withdrawal stopped after its ledger line,
    which recovery also finishes) is finished and said so."""
    if not reason.strip():
        raise ConfigError("--reason: say why the batch is withdrawn (it is kept with the batch "
                          "and in the batch ledger)")
    folder = root / params.data.batches
    unknown = ConfigError(f"{batch}: not an accepted batch of this project (the accepted "
                          f"batches are the files in {params.data.batches}, or the files "
                          "they were accepted from)")
    entries = jsonl.read(root / params.paths.arrivals, "batch ledger")
    path = Path(batch)
    md5 = file_md5(path) if path.is_file() and path.parent.resolve() != folder.resolve() \
        else None
    relative = str((folder / path.name).relative_to(root))
    mine = [e for e in entries if e.get("accepted") and e.get("stored_as")
            and (e.get("stored_as") == relative or (md5 is not None and e.get("md5") == md5))]
    if not mine and md5 is None:
        # The name `status` and ingest show (sweep 41b: `data withdraw b1994_bad.csv`, its
        # base name, was "not an accepted batch"): one file accepted under it.
        mine = [e for e in entries if e.get("accepted") and e.get("stored_as")
                and Path(str(e.get("source"))).name == path.name]
        if len({e.get("md5") for e in mine}) > 1:
            raise ConfigError(f"{batch}: several accepted files were called so; give its "
                              f"stored name in {params.data.batches} or its path")
    if not mine:
        raise unknown
    entry = mine[-1]
    stored = root / str(entry["stored_as"])
    name = stored.name
    latest = latest_entries(entries).get(entry["md5"], entry)
    if latest.get("withdrawn"):
        stored.unlink(missing_ok=True)
        return Withdrawal(name, str(entry.get("source")), int(entry.get("rows") or 0),
                          str(latest.get("quarantined_in")), False,
                          already=str(latest.get("withdrawn")))
    if not latest.get("accepted") or not stored.is_file():
        raise unknown
    batches = accepted_batches(folder)
    need = params.split.valid_batches + params.split.holdout_batches + 1
    if len(batches) - 1 < need:
        raise ConfigError(f"{batch}: withdrawing it would leave {len(batches) - 1} accepted "
                          f"batch(es); the split needs at least {need} (split.valid_batches + "
                          "split.holdout_batches + one to train on)")
    # The holdout is the latest batches in time (the split's order), not the last to arrive.
    ordered = in_time_order(params.data, batches)
    holdout = {p.resolve() for p in ordered[-params.split.holdout_batches:]}
    newest = stored.resolve() in holdout
    kept = root / params.paths.quarantine_dir / f"{stamp()}-withdrawn-{name}"
    when = pd.Timestamp.now("UTC").isoformat()
    with atomic_dir(kept) as tmp:
        shutil.copy2(stored, tmp / name)
        write_json(tmp / "withdrawal.json", {"batch": name, "source": entry.get("source"),
                                            "reason": reason, "withdrawn_at": when,
                                            "rows": entry.get("rows")})
    jsonl.append(root / params.paths.arrivals, {
        "md5": entry["md5"], "source": entry.get("source"), "accepted": False,
        "withdrawn": reason, "stored_as": None, "rows": entry.get("rows"),
        "quarantined_in": str(kept.relative_to(root)), "decided_at": when})
    stored.unlink()
    return Withdrawal(name, str(entry.get("source")), int(entry.get("rows") or 0),
                      str(kept.relative_to(root)), newest)


@dataclass(frozen=True)
class Dismissal:
    source: str         # the file that was rejected
    kept_in: str        # the quarantine folder that still holds it and its report
    already: str | None = None  # the reason it was dismissed with before, when it was


def dismiss(params: Params, root: Path, file: str, reason: str) -> Dismissal:
    """Set aside a rejected batch file that will not be sent again (its rows came in another
    file, a test load): the batch ledger says dismissed, so `status` and the report stop
    listing it as a file meant for the window. Its quarantine folder stays as it is; the same
    file sent again is skipped unless `ingest --retry`. Idempotent."""
    if not reason.strip():
        raise ConfigError("--reason: say why the rejected file is set aside (it is kept in the "
                          "batch ledger)")
    entries = jsonl.read(root / params.paths.arrivals, "batch ledger")
    path = Path(file)
    md5 = file_md5(path) if path.is_file() else None
    latest = latest_entries(entries)
    mine = [e for e in entries if not e.get("accepted") and not e.get("withdrawn") and (
        e.get("md5") == md5 or Path(str(e.get("source"))).name == path.name
        or Path(str(e.get("quarantined_in"))).name == path.name)]
    if not mine:
        raise ConfigError(f"{file}: not a rejected batch file of this project (`tuneloop "
                          "status` names the last; each sits in "
                          f"{params.paths.quarantine_dir} with its report)")
    entry = latest.get(mine[-1]["md5"], mine[-1])
    kept = Path(str(entry.get("quarantined_in")))
    kept_in = str(kept.relative_to(root)) if kept.is_relative_to(root) else str(kept)
    if entry.get("dismissed"):
        return Dismissal(str(entry.get("source")), kept_in,
                         already=str(entry.get("dismissed")))
    if entry.get("accepted") or entry.get("withdrawn"):
        state = "accepted since" if entry.get("accepted") else "accepted, then withdrawn"
        raise ConfigError(f"{file}: {state}: nothing to dismiss")
    jsonl.append(root / params.paths.arrivals, {
        "md5": entry["md5"], "source": entry.get("source"), "accepted": False,
        "dismissed": reason, "stored_as": None, "rows": entry.get("rows"),
        "quarantined_in": entry.get("quarantined_in"),
        "decided_at": pd.Timestamp.now("UTC").isoformat()})
    return Dismissal(str(entry.get("source")), kept_in)


def median_history(params: Params, root: Path, suite: Suite,
                   leave_out: Path | None = None) -> MedianHistory:
    """The accepted batches' medians the suite's median bounds follow (suite.following);
    `leave_out`: a stored batch being checked again, not its own yardstick."""
    spec = params.data
    files = [f for f in accepted_batches(root / spec.batches)
             if leave_out is None or f.resolve() != leave_out.resolve()]
    bounded = median_columns(suite)
    return MedianHistory(spec, bounded, files if bounded else [])


def run(params: Params, root: Path, files: list[Path], retry: bool = False) -> IngestResult:
    """Decide every file not decided before (with `retry`, also one rejected before: the suite
    or the params may have changed since); return what was accepted and rejected."""
    p, spec = params.paths, params.data
    ledger = root / p.arrivals
    entries = jsonl.read(ledger, "batch ledger")
    accepted = accepted_now(entries)
    # With retry, an accepted file stays decided (its rows are in the window already).
    decided = accepted if retry else {e["md5"] for e in entries}
    withdrawn = set(withdrawn_now(entries))
    suite = load_suite(root / params.validate_.suite)
    hook = load_hook(spec.prepare, root)
    arrivals, skipped = [], []
    rejected_before: dict[str, str | None] = {}
    withdrawn_before: dict[str, str | None] = {}
    kept = {e["md5"]: e.get("quarantined_in") for e in entries if not e.get("accepted")}
    check_files(files)  # every path checked before any is decided: all or none are looked at
    history = median_history(params, root, suite)
    for path in files:
        md5 = file_md5(path)
        if md5 in decided:
            skipped.append(str(path))
            if md5 in withdrawn:
                withdrawn_before[str(path)] = kept.get(md5)
            elif md5 not in accepted:
                rejected_before[str(path)] = kept.get(md5)
            continue
        now = following(suite, history.in_time_order())
        report, frame = decide(path, params, root, now, hook, md5)
        report = save_report(report, root / p.validation_dir)
        if report.success and frame is not None:
            stored = next_batch_path(root / spec.batches, path,
                                     [str(e["stored_as"]) for e in entries if e.get("stored_as")])
            conformed = conform(frame, suite)
            stored_now = accepted_batches(root / spec.batches)  # for both notes below
            try:
                note = late_note(spec.time, conformed, stored_now)
            except (DataError, KeyError, TypeError, ValueError) as exc:
                # A stored batch without the column, or times of another type: the note is
                # dropped, the batch stays accepted. An unreadable store (OSError) still stops.
                note = None
                print(f"ingest: could not compare {path.name}'s times with the accepted "
                      f"batches ({type(exc).__name__}: {exc}); no late-batch note")
            dropped = [f"{n} row(s) without {what} dropped (as init drops them)"
                       for what, n in (("a target", frame.attrs.get("unlabelled")),
                                       (f"a time ({spec.time!r})", frame.attrs.get("untimed")))
                       if n]
            if frame.attrs.get("featureless"):
                dropped.append(f"{frame.attrs['featureless']} row(s) blank in every feature "
                               "dropped (a total or an empty line: nothing to learn from)")
            if frame.attrs.get("new_class"):
                dropped.append(new_class_note(frame.attrs))
            dropped += stored_as_known_notes(frame, suite)
            if repeated := header_repeats_note(frame.attrs.get("header_repeats", [])):
                dropped.append(repeated)
            if twins := repeats_note(conformed, suite, stored_now):
                dropped.append(twins)
            if fixed := constant_note(conformed, suite, stored_now, spec.exclude):
                dropped.append(fixed)
            try:
                known = known_units_note(conformed, spec.group, stored_now)
            except (KeyError, TypeError, ValueError) as exc:
                # As the late-batch note: dropped, the batch stays accepted (the second review);
                # an accepted batch that cannot be read (DataError) stops, naming it.
                known = None
                print(f"ingest: could not compare {path.name}'s {spec.group!r} units with the "
                      f"accepted batches ({type(exc).__name__}: {exc}); no held-units note")
            if known:
                dropped.append(known)
            note = "; ".join([*dropped, *([note] if note else [])]) or None
            write_parquet(stored, conformed)
            history.add(conformed)
            arrival = Arrival(str(path), md5, True, stored_as=str(stored.relative_to(root)),
                              rows=len(frame), note=note)
            # The same content again later in this call is skipped as accepted, not as
            # "rejected, kept in None" (sweep 25).
            accepted.add(md5)
        else:
            kept[md5] = str(quarantine(path, report, root / p.quarantine_dir))
            arrival = Arrival(str(path), md5, False, quarantined_in=kept[md5],
                              rows=report.rows, lines=report.lines())
        # Rejected only as rows already accepted (a re-sent copy): nothing to fix or retry,
        # so `status` does not count it among the files meant for the window (sweep 31).
        resent = not report.success and bool(report.failures) and all(
            f.expectation == "rows already accepted" for f in report.failures)
        jsonl.append(ledger, {"md5": md5, "source": str(path), "accepted": arrival.accepted,
                              "stored_as": arrival.stored_as, "rows": arrival.rows,
                              **({"resent": True} if resent else {}),
                              "quarantined_in": arrival.quarantined_in,
                              "validation_result_id": report.result_id,
                              "report": report.report, "decided_at": report.validated_at})
        decided.add(md5)
        arrivals.append(arrival)
    return IngestResult(arrivals, skipped, rejected_before, withdrawn_before)


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
        return _overlap_note(frame[time], spans)
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
# (a late event in a daily file cut by arrival) are no revision of a period


def _overlap_note(times: pd.Series, spans: dict[str, tuple[Any, Any]]) -> str | None:
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


def incoming_files(params: Params, root: Path) -> list[Path]:
    """The batch files in data.incoming; any other file there (not hidden) is named once per
    run, left where it is: a `.txt` export sat there unread without a word (sweep 23), while
    `tuneloop ingest` refuses it by name."""
    folder = root / params.data.incoming
    if not folder.is_dir():
        return []
    files = sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
    for other in unread_incoming(folder):
        print(f"ingest: {other.relative_to(root)}: not a batch file (Parquet, CSV or TSV, the "
              f"text ones maybe gzipped): left unread; {not_a_batch_hint(other)}",
              file=sys.stderr)
    return [f for f in files if is_batch_file(f)]


def rejection(result: IngestResult) -> ValidationFailed | None:
    """The error that stops a run after rejected batches: for each rejected file one line per
    failed check (naming the file and the column; the causes first, as validate prints them),
    the last one saying where the batch and its full report were kept."""
    if not result.rejected:
        return None
    lines = []
    for a in result.rejected:
        told = a.lines or [f"{a.source}: rejected"]
        lines.extend([*told[:-1], f"{told[-1]}; batch and report kept in {a.quarantined_in}"])
    return ValidationFailed("\n".join(lines))


def execute(params: Params, root: Path, files: list[Path] | None = None,
            stop: bool = True) -> IngestResult:
    """Ingest `files` (default: the incoming folder); raise after handling them all when any
    was rejected, so nothing downstream runs on a run that met bad data (`stop` False: the
    caller raises `rejection(result)` once it has versioned the accepted ones)."""
    result = run(params, root, incoming_files(params, root) if files is None else files)
    for a in result.accepted:
        print(f"ingest: {a.source}: accepted, {a.rows} rows, stored as {a.stored_as}"
              + (f"; note: {a.note}" if a.note else ""))
    error = rejection(result)
    if error is not None and stop:
        raise error
    return result


def main(argv: list[str] | None = None) -> int:
    parser = stage_parser(__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path,
                        help="batch files (default: every new file in data.incoming)")
    return run_main(lambda params, root, files: execute(params, root, files or None), parser,
                    argv, files="files")


if __name__ == "__main__":
    raise SystemExit(main())
