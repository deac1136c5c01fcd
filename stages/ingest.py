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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from stages._cli import run_main, stage_parser
from tuneloop import jsonl
from tuneloop.accepted_notes import absent_class, constant_note, known_units_note, late_note
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
    unread_incoming,
    withdrawn_now,
)
from tuneloop.config import Params
from tuneloop.errors import ConfigError, DataError, ValidationFailed
from tuneloop.features import FALSE_WORDS, TRUE_WORDS, as_true_false, true_false_words
from tuneloop.io import atomic_dir, file_md5, write_json, write_parquet
from tuneloop.resent import (
    day_first,
    repeated_ids,
    repeated_rows,
    repeats_note,
    resent_copy,
    resent_otherwise,
)
from tuneloop.suite import Suite, following, load_suite, median_columns
from tuneloop.validation import (
    Failure,
    ValidationReport,
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


# (a late event in a daily file cut by arrival) are no revision of a period


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
