"""`tuneloop init`: a ready project from one table of the user's, anywhere on disk.

What is inferred, and how (README "Use it on your own data" says the same):
- the task, when not given: a boolean target or one with two values is binary; a string target
  with at most MAX_CLASSES values is multiclass, and so is an integer one when it also has
  MIN_ROWS_PER_CLASS rows per value on average, unless they read as a count, an amount or a
  measurement (counts_like, measure_like); any other numeric target is regression;
  anything else needs --task;
- the positive class of a binary target: 1 or True when the values are 0/1 or booleans, yes
  when they are yes/no (Y/N, in any case), else the rarer value (the one people usually want
  found: fraud, churn, ">50K");
- column types (frozen in the suite), the feature list (every column but target, id, time-less
  excludes and forbidden ones), and defaults scaled to the table's size (number of batches,
  trials, boosting rounds, the search space's leaf and child-size ranges, row-count bounds).

The data is cut into batches (by the time column when given, else in a seeded random order:
without a time there is no order to respect, and a file sorted by its target would otherwise
give a holdout of one class). The project is built in a temporary folder beside DIR and renamed
into place at the end, so a failed init leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from tuneloop.batches import (
    MISSING_WORDS,
    PARQUET,
    ROW_NAMES,
    SAVED_INDEX,
    blank_lines,
    exact_whole,
    header_repeats_note,
    read_batch,
)
from tuneloop.config import MODEL_NAME_FORBIDS, PARAMS_FILE, DataConfig, load_params
from tuneloop.errors import DataError, InitError
from tuneloop.features import (
    BATCH_COLUMN,
    DATE_PART_WORDS,
    FALSE_WORDS,
    KNOWN_LEVELS,
    TRUE_WORDS,
    Schema,
    as_true_false,
    column_kind,
    feature_columns,
    informative_parts,
    label_values,
    plain,
    shell_word,
)
from tuneloop.leakage import MIN_ROWS as LEAK_MIN_ROWS
from tuneloop.metrics import BINARY, MULTICLASS, REGRESSION, TASKS
from tuneloop.pipeline import dvc_yaml
from tuneloop.suite import Suite, column_spec, dump_suite, init_suite
from tuneloop.table.batching import (
    FLEETING_SHARE,
    MAX_AUTO_BATCHES,
    MIN_BATCH_ROWS,
    MIN_TIME_BATCH_ROWS,
    beyond_training,
    blank_unit_twins,
    classes_not_held,
    cut_by_time,
    deal_by_class,
    deal_by_group,
    lay_out_batches,
    n_batches,
    one_batch_per_time,
    stray_tail,
    unit_spelling_notes,
    unseen_share,
)
from tuneloop.table.cells import (
    DB_NULL,
    USUAL_LABEL_MARKS,
    container_kind,
    extreme_values,
    formatted_numbers,
    mostly_distinct,
    not_known_label_marks,
    not_known_level_marks,
    spellings_note,
    true_false_spellings,
    typed,
    without_blank_lines,
    words_among_numbers,
)
from tuneloop.table.dates import (
    MONTH_YEAR_FORMATS,
    ambiguity,
    date_format,
    month_year_format,
    only_dates_without_season,
    partly_dates,
    time_zones,
    two_day_orders,
    utc_offsets,
)
from tuneloop.table.defaults import (
    BASE_LATENCY_MS,
    latency_limit,
    params_yaml,
    report_slices,
    rows_per_period,
)
from tuneloop.table.identifiers import (
    CHANCE_REPEATS_FACTOR,
    ROW_NAME,
    chance_repeats,
    code_twins,
    fixed_within,
    group_key,
    identifier_note,
    numbers_rows,
    one_row_per_unit,
    panel_unit,
    panel_unit_notes,
    row_number,
    row_number_why,
    unique_key,
    unit_by_attributes,
    unit_hint,
    unit_named,
    unit_outcome_said,
)
from tuneloop.table.leaks import copied_columns, copies_of_excluded, leak_checks, named_in
from tuneloop.table.target import (
    check_stray_classes,
    check_task,
    class_checks,
    folded_classes,
    infer_task,
    not_classes_words,
    positive_of,
)

# As the bundled project's .gitignore: reports/ is ignored but for what DVC compares across
# commits and experiments (tuneloop.pipeline.recorded_files), which the loop's record step
# commits with dvc.lock.
GITIGNORE = """.tuneloop/
__pycache__/
/data/prepared/
/data/splits/
/data/quarantine/
/data/arrivals.jsonl
/data/versions.jsonl
/models/
/reports/*
!/reports/metrics.json
!/reports/calibration.json
!/reports/sli.json
!/reports/plots/
/reports/plots/*
!/reports/plots/*.json
/dvc_plots/
"""
# `dvc plots show` offline: DVC's page with vega inlined, copied into .dvc/ (DVC reads a relative
# plots.html_template from there).
PLOTS_TEMPLATE = "plots.html"
DVC_PLOTS_PAGE = Path(__file__).parent / "assets" / "dvc_plots" / "template.html"
DVC_CONFIG = f"""[core]
    autostage = false
    remote = local
    analytics = false
['remote "local"']
    url = ../.tuneloop/dvc-remote
[plots]
    html_template = {PLOTS_TEMPLATE}
"""


@dataclass(frozen=True)
class InitResult:
    root: Path
    rows: int
    batches: int
    task: str
    target: str
    positive_class: Any
    classes: list[Any] | None
    features: list[str]
    inferred: list[str]  # what was inferred rather than given, one line each


# A --time column blank on more of the rows than this is refused (those rows would be dropped,
# and what is dropped should stay a remainder: sweep 29's 3% of a column of hourly dates was
# refused while README promised batches drop up to half).
MAX_BLANK_TIME = 0.05


# Lines init says of each of many columns alike, said once for all of them past COLLAPSE_AT
# (38 "holds one value" lines of a wide assay table buried its leak and row notes: sweep 33).
COLLAPSE_AT = 3
_ALIKE = (
    (re.compile(r"column (.+) is empty: excluded from the features"),
     "columns empty: excluded from the features"),
    (re.compile(r"column (.+) holds one value \(.*\) in every row: nothing to learn, excluded "
                r"from the features \(data\.exclude\)"),
     "columns hold one value each in every row: nothing to learn, excluded from the features "
     "(data.exclude)"),
    (re.compile(r"column (.+) (?:is empty|holds one value \(.*\)) in every labelled row "
                r"\(.*\): excluded from the features \(data\.exclude\)"),
     "columns empty or of one value in every labelled row (their other values, or blanks, on "
     "rows without a target, dropped): excluded from the features (data.exclude)"),
)


def _collapsed(lines: list[str]) -> list[str]:
    """init's notes with many alike lines (_ALIKE) said once, naming the columns."""
    out = list(lines)
    for pattern, said in _ALIKE:
        hits = [(i, m.group(1)) for i, line in enumerate(out)
                if (m := pattern.fullmatch(line))]
        if len(hits) <= COLLAPSE_AT:
            continue
        names = [name for _, name in hits]
        line = (f"{len(names)} {said}: {', '.join(names[:5])}"
                f"{f' and {len(names) - 5} more' if len(names) > 5 else ''}")
        first = hits[0][0]
        drop = {i for i, _ in hits}
        out = [line if i == first else x for i, x in enumerate(out)
               if i == first or i not in drop]
    return out


def _git(root: Path, *args: str) -> None:
    from tuneloop import gitio

    done = gitio.run(root, *args)
    if done.returncode != 0:
        raise InitError(f"{root}: git {args[0]} failed: {done.stderr.strip()[:200]}")


PROGRESS_AFTER_S = 5.0  # an init this long says where it has got to, at each step after
PROGRESS_EVERY_S = 10.0  # ... and within a long step, this often


class _Progress:
    """Where a long init has got to, told from PROGRESS_AFTER_S on (a 518 x 1,504 table took
    2 min 41 s without a word: sweep 53a); a quick one says nothing but its result."""

    def __init__(self, tell: Callable[[str], None] | None) -> None:
        import time

        self._tell, self._started, self._clock = tell, time.monotonic(), time.monotonic
        self._told = self._started

    def __call__(self, what: str) -> None:
        elapsed = self._clock() - self._started
        if self._tell is not None and elapsed >= PROGRESS_AFTER_S:
            self._told = self._clock()
            self._tell(f"init: {what} ({elapsed:.0f} s so far)")

    def now_and_then(self, what: str) -> None:
        """Within a long step: told when PROGRESS_EVERY_S passed since the last line."""
        if self._clock() - self._told >= PROGRESS_EVERY_S:
            self(what)


def _dvc_init(root: Path) -> None:
    """`dvc init` in this process: a `python -m dvc` per call cost each init a second and a
    half of interpreter start and imports (two calls), most of a small table's init."""
    from dvc.repo import Repo

    with _dvc_quiet(root, "init"):
        Repo.init(str(root)).close()


def _dvc_add(root: Path, target: str) -> None:
    """`dvc add TARGET` in this process (see _dvc_init)."""
    from dvc.repo import Repo

    with _dvc_quiet(root, "add"), Repo(str(root)) as repo:
        repo.add(str(root / target))


@contextlib.contextmanager
def _dvc_quiet(root: Path, what: str) -> Iterator[None]:
    """DVC's hints ("To track the changes with git, run: ...") kept off the user's screen:
    init stages and commits its files itself. A failure is one line naming the step."""
    import io
    import logging

    from dvc.logger import set_loggers_level

    # As `--quiet` did: its loggers silent, and its progress spinner, drawn on a terminal's
    # stderr whatever the loggers say (the review: "Checking graph" and a blank line).
    try:
        with set_loggers_level(logging.CRITICAL), contextlib.redirect_stderr(io.StringIO()):
            yield
    except Exception as exc:  # noqa: BLE001 - DVC's errors have no common base worth naming
        said = str(exc).strip().splitlines()
        why = said[-1][:200] if said else type(exc).__name__
        raise InitError(f"{root}: dvc {what} failed: {why}") from None


def _check_columns(frame: pd.DataFrame, source: str, **roles: Any) -> None:
    for option, names in roles.items():
        for col in [names] if isinstance(names, str) else (names or []):
            if col not in frame.columns:
                # A header cell padded with spaces or in another case is the likely one, named
                # first (sweep 36: 'Status ' was to be spotted in a list of 14 names).
                near = [str(c) for c in frame.columns
                        if str(c).strip().casefold() == str(col).strip().casefold()]
                if near:
                    raise InitError(f"{source}: no column {col!r} (--{option}); the header "
                                    f"writes it {near[0]!r}: pass --{option} '{near[0]}', or "
                                    "fix the header")
                more = f", ... ({len(frame.columns)} in all)" if len(frame.columns) > 20 else ""
                raise InitError(f"{source}: no column {col!r} (--{option}); columns are "
                                f"{', '.join(map(str, frame.columns[:20]))}{more}")


@dataclass
class _Columns:
    """What init's look at each column found (_look_at_columns)."""

    frame: pd.DataFrame  # dates read as dates, the export's row names dropped
    notes: list[str]  # init's lines on the columns
    exclude: list[str]  # the excludes given, and the columns init excluded
    formats: dict[str, str]  # date columns read from text, and the format they had
    panel_units: list[str]  # a panel's unit columns (panel_unit): kept, no leak
    one_outcome: list[str]  # unit columns whose units each hold one outcome (unit_hint)


def _look_at_columns(frame: pd.DataFrame, target: str, id_column: str | None,
                     time: str | None, group: str | None, exclude: list[str],
                     step: _Progress) -> _Columns:
    """Each column but the roles' and the excluded ones, looked at once: empty or of one value,
    dates written as text, row numbers and the export's row names, identifiers and keys, text
    that differs on most rows or hides numbers, many-level text, a panel's or a group's unit;
    each said, and excluded where nothing generalises from it."""
    notes: list[str] = []
    exclude = list(exclude)
    formats: dict[str, str] = {}  # date columns read from text, and the format they had
    roles = {target, id_column, time, group}
    saved_index: list[str] = []  # row names of the export: dropped (stages.ingest drops them)
    panel_notes: dict[str, str] = {}  # a panel's unit columns (panel_unit): kept, no leak
    one_outcome: list[str] = []  # unit columns whose units each hold one outcome (unit_hint)
    step(f"looking at each of {len(frame.columns):,} columns")
    # What a unit's attributes could be (unit_by_attributes), counted once for every column.
    attributes = [c for c in frame.columns if c not in roles]
    values_per_column = frame.nunique(dropna=False)
    for number, col in enumerate(frame.columns, start=1):
        step.now_and_then(f"looked at {number - 1:,} of {len(frame.columns):,} columns")
        if col in roles or col in exclude:
            continue
        if frame[col].isna().all():
            exclude.append(col)  # no value to learn from, no type to freeze
            notes.append(f"column {col!r} is empty: excluded from the features")
        elif frame[col].nunique() == 1 and frame[col].notna().all():
            exclude.append(col)  # no split can use it; blanks beside one value could
            notes.append(f"column {col!r} holds one value ({plain(frame[col].iloc[0])!r}) "
                            "in every row: nothing to learn, excluded from the features "
                            "(data.exclude)")
        elif (fmt := date_format(frame[col])) is not None:
            written = "" if fmt == "ISO8601" else \
                f" (written {fmt}{ambiguity(frame[col], fmt)})"
            frame[col] = pd.to_datetime(frame[col].astype("string"), utc=True, format=fmt,
                                        errors="coerce")
            formats[col] = fmt
            parts = informative_parts(frame[col])
            named = {"hour": "hour", "dayofweek": "day of week", "dayofyear": "day of year",
                     "month": "month", "year": "year"}
            words = [named[p] for p in parts]
            notes.append(f"column {col!r} holds dates{written}: "
                            f"{', '.join(words[:-1]) + ' and ' if len(words) > 1 else ''}"
                            f"{words[-1]} become features")
        elif row_number(frame[col]):
            low, high = int(frame[col].min()), int(frame[col].max())
            some = "" if high - low + 1 == len(frame) else f", {len(frame):,} of them"
            once = "each once, " if frame[col].is_unique else ""
            # pandas names a header's empty cell "Unnamed: 0", a name not in the user's file.
            unnamed = re.fullmatch(r"Unnamed: (\d+)", str(col))
            shown = (f"the header's unnamed column {int(unnamed.group(1)) + 1}" if unnamed
                     else f"column {col!r}")
            said = (f"{shown} numbers the rows ({low:,} to {high:,}{some}, "
                    f"{once}{row_number_why(frame[col])})")
            if SAVED_INDEX.match(str(col)):
                # The export's row names (R's write.csv, pandas' to_csv): kept in the suite,
                # every later export without them was rejected (sweeps 29a and 29b).
                saved_index.append(col)
                notes.append(f"{said}: the export's row names, dropped from the table; "
                                "later batches may carry them or not")
            else:
                exclude.append(col)
                notes.append(f"{said}: excluded from the features (data.exclude; --id "
                                "checks it unique)")
        elif ROW_NAMES.match(str(col)) and len(frame) > 50 and frame[col].notna().all() and \
                frame[col].is_unique:
            # Not numbers of the rows but unique under an export's row-names header (R's
            # `1.1`, `1.2`: a nested table's unit and visit): the export's too (sweep 55c:
            # geepack koch's were a float feature, and served rows without them refused).
            saved_index.append(col)
            notes.append(f"column {col!r} names each row once ({plain(frame[col].iloc[0])!r}, "
                            f"{plain(frame[col].iloc[1])!r}, ...): the export's row names, "
                            "dropped from the table; later batches may carry them or not")
        elif (identifier := identifier_note(col, frame[col]))[0]:
            notes.append(identifier[0] + ("" if identifier[1] else
                                             unit_hint(frame, col, target, time, one_outcome,
                                                        group)))
            if identifier[1]:
                exclude.append(col)
        elif unique_key(frame[col]):
            # Whole numbers each once, dense in their range, in no order: a key or a row number
            # of a shuffled or sampled export, which in file order init excludes (sweep 31:
            # Chem97's `student`, excluded in key order, kept without a word when shuffled).
            low, high = int(frame[col].min()), int(frame[col].max())
            distinct = frame[col].nunique()
            every = f"every row ({len(frame):,} values" if distinct == len(frame) else \
                f"nearly every row ({distinct:,} values over {len(frame):,} rows,"
            notes.append(f"column {col!r} holds a different whole number on {every} in "
                            f"{low:,}..{high:,}): an identifier, a row number or a rank? it "
                            "stays a feature; --exclude it unless its value means something")
        elif note := partly_dates(frame[col]) or formatted_numbers(frame[col]):
            notes.append(note)
            if mostly_distinct(frame[col]):
                exclude.append(col)
                notes.append(f"column {col!r}: as text it differs on most rows: excluded "
                                "from the features (data.exclude)")
        elif column_kind(frame[col]) == "string" and mostly_distinct(frame[col]):
            # A name, a ticket number, free text: as a categorical every level is seen once,
            # nothing generalises, and a new batch is all unseen levels.
            exclude.append(col)
            distinct = frame[col].nunique()
            words = words_among_numbers(frame[col])
            notes.append(
                f"column {col!r} holds numbers but for {words}: as text it differs on most "
                "rows: excluded from the features (data.exclude); write those values as "
                "numbers, or leave them blank, and init again to use it" if words else
                f"column {col!r} is text with {distinct} distinct values in "
                f"{int(frame[col].notna().sum())} rows (a name, code or free text): "
                "excluded from the features (data.exclude)")
        elif column_kind(frame[col]) == "string" and col != target and \
                (words := words_among_numbers(frame[col])):
            # Kept as a category of its numbers-as-text, which no model can order (sweep 52e:
            # reported heights, 561 of 600 numbers beside 5'7" and 165cm, were 154 levels
            # without a word, and the served refits scored below chance).
            notes.append(f"column {col!r} holds numbers but for {words}: kept as text, a "
                            f"category of {frame[col].nunique():,} levels the model cannot "
                            "order (a number it never saw is missing to it): if they are "
                            "amounts or measurements, write those values as numbers, or leave "
                            "them blank, and init again; a code or an identifier (207a beside "
                            "207) is a category as it is")
        elif column_kind(frame[col]) == "string" and col != target and \
                frame[col].nunique() > KNOWN_LEVELS:
            # Kept, but said (sweep 23: a 6,000-level code went by without a word, and its
            # importance in the model was 0).
            notes.append(f"column {col!r} is text with {frame[col].nunique():,} levels: kept "
                            "as a category, though most levels are seen a handful of times and, "
                            f"over {KNOWN_LEVELS:,}, they are not checked in later batches; "
                            "--exclude it, or group its levels, if it says little")
        elif time is not None and time in frame.columns and \
                (panel := panel_unit(col, frame[col], frame[time])):
            # Last: a column another rule speaks for (numbers as text, dates) keeps its note;
            # said after the loop, codes of one unit together (panel_unit_notes).
            panel_notes[col] = panel
        elif col != target and group_key(frame[col]):
            # Last too: repeated whole numbers dense in their range, a few rows each, in no
            # order: a family's or a household's number (sweep 51a: mlmRev guPrenat's `mom`,
            # 1,558 values over 2,449 rows, 90% of mothers' children sharing a label, 55% of
            # holdout rows with a sibling in training: holdout AUC 0.835 with it, 0.824
            # without), which went unsaid where it was named like nothing init knows.
            distinct = frame[col].nunique()
            notes.append(
                f"column {col!r} holds whole numbers dense in {int(frame[col].min()):,}.."
                f"{int(frame[col].max()):,}, most shared by a few rows ({distinct:,} values "
                f"over {int(frame[col].notna().sum()):,} rows): a group's number (a family, "
                "a household, a site)? it stays a feature, and rows sharing one value can sit "
                f"in training and in the holdout alike; --exclude {shell_word(col)} unless the "
                "value itself means something" + unit_hint(frame, col, target, time, one_outcome,
                                                            group))
        elif col != target and (unit := unit_named(col, frame[col])):
            # Last of all: a unit named as one (`Subject`, `Mare`, `patient`), too few or not
            # id-named for the notes above (sweep 55c: sleepstudy's 18 subjects, cut at random,
            # held out RMSE 26.8 with every holdout subject trained on; 51.5 by subject).
            notes.append(unit + unit_hint(frame, col, target, time, one_outcome, group))
        elif col != target and (unit := unit_by_attributes(
                frame, col, attributes, distinct=values_per_column)):
            # Named like nothing above, and of no dense range: a unit all the same where
            # other columns are its attributes (sweep 59a F1: egsingle's `childid`).
            notes.append(unit + unit_hint(frame, col, target, time, one_outcome, group))
    notes += panel_unit_notes(frame, panel_notes)
    panel_units = list(panel_notes)
    frame = frame.drop(columns=saved_index)
    return _Columns(frame, notes, exclude, formats, panel_units, one_outcome)


def _labelled_only(frame: pd.DataFrame, target: str, id_column: str | None, time: str | None,
                   exclude: list[str], label_marks: list[str],
                   marked_labels: int) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The table's labelled rows with a feature value, and the excludes given plus the columns
    of one value in every labelled row; with init's lines on what was dropped.
    `label_marks` and `marked_labels`: the marks read as a label not known, and their rows."""
    notes: list[str] = []
    exclude = list(exclude)
    labelled = frame[frame[target].notna()]
    if len(labelled) < len(frame):
        unlabelled = len(frame) - len(labelled)
        marked = (f" ({marked_labels} of them labelled " + " or ".join(map(repr, label_marks))
                  + ": a label not known, so in later batches too (data.missing_values); if "
                  "it names a class, rename it in the file and init again)"
                  if marked_labels else "")
        if time is not None and time in frame.columns and frame[time].nunique() <= 100:
            # A whole period without labels went without a word, and init then counted one
            # time fewer than the file held (sweep 27: a scorecard's newest year). Periods
            # only (years, months): an hourly table's unlabelled hours are no news.
            counts = frame.groupby(frame[time].astype("string"), dropna=True)[target]\
                .agg(lambda v: v.notna().sum())
            empty = [str(t) for t, n in counts.items() if n == 0]
            if empty:
                marked += (f" (every row of {time!r} " + ", ".join(empty[:5])
                           + (f" and {len(empty) - 5} more" if len(empty) > 5 else "")
                           + " among them: the project starts without "
                           + ("that time" if len(empty) == 1 else "those times") + ")")
        notes.append(f"{unlabelled} rows without a target dropped{marked}" + (
            f" ({unlabelled / len(frame):.0%} of the table): a later batch is checked with at "
            "most half of its rows unlabelled (those are dropped; more is taken for a target "
            "lost in an export and rejected), so send batches of labelled rows, or drop the "
            "unlabelled ones before sending" if 2 * unlabelled > len(frame) else ""))
    unlabelled_rows = frame[frame[target].isna()]
    frame = labelled.reset_index(drop=True)
    for col in [c for c in frame.columns if c not in {target, id_column, time, *exclude}]:
        if len(frame) and frame[col].nunique(dropna=False) == 1:
            # Its other values came only with rows without a target (sweep 29: a precinct
            # type blank in no labelled row), so it holds one value in every row kept.
            exclude.append(col)
            held = "is empty" if frame[col].isna().all() else \
                f"holds one value ({plain(frame[col].iloc[0])!r})"
            # Blanks only there (sweep 31: a spreadsheet's empty last line) are no other value.
            kept_value = frame[col].astype("string").iloc[0]
            others = unlabelled_rows[col].dropna().astype("string")
            why = "its other values were" if (others != kept_value).fillna(True).any() else \
                "it was blank only"
            notes.append(f"column {col!r} {held} in every labelled row ({why} on rows "
                            "without a target, dropped): excluded from the features "
                            "(data.exclude)")
    inputs = [c for c in frame.columns if c not in {target, id_column, *exclude}]
    featureless = blank_lines(frame, inputs)  # as ingest drops them (stages.ingest._featured)
    if featureless is not None:
        # A spreadsheet's total line, or an empty one with a label: nothing to learn from, and
        # a total's label is no row's (later batches drop them too: stages.ingest._featured).
        notes.append(f"{int(featureless.sum())} row(s) blank in every feature dropped (a "
                        "total or an empty line: nothing to learn from)")
        frame = frame[~featureless.to_numpy()].reset_index(drop=True)
    return frame, exclude, notes


def _repeat_notes(frame: pd.DataFrame, target: str, id_column: str | None, time: str | None,
                  group: str | None, exclude: list[str], step: _Progress) -> list[str]:
    """init's lines on feature columns that copy another, and on rows that repeat another in
    every column (kept; said as chance where a few coarse columns make repeats likely)."""
    notes: list[str] = []
    notes.extend(copied_columns(frame, [c for c in frame.columns
                                            if c not in {target, id_column, time, *exclude}]))
    repeats = int(frame.duplicated().sum())
    step("looking for repeated rows")
    chance = chance_repeats(frame) if repeats else None
    if chance is not None and repeats <= CHANCE_REPEATS_FACTOR * chance:
        # A few coarse columns (a year, a sex, an education level) repeat rows by chance: a
        # twin there is a like case, not the same record (sweep 35: "drop them" said of 80-92%
        # of three tables). A file written twice repeats far more (the review).
        notes.append(f"{repeats} row(s) ({repeats / len(frame):.1%}) repeat another row in "
                        f"every column: kept; {len(frame.columns)} columns of few values "
                        f"repeat about {chance:,.0f} by chance")
    elif repeats:
        # Kept (a repeat may be real: two identical sales), but said: cut into batches at
        # random, a repeat and its twin sat in training and in the holdout (sweep 21).
        notes.append(f"{repeats} row(s) ({repeats / len(frame):.1%}) repeat another row in "
                        "every column: kept; " + (
                            # Cut by time or by unit, twins share their time or their unit
                            # and so their batch (sweep 29; 54c F7), but for a blank unit.
                            "drop them from the file if they are not real repeats"
                            if time is not None or (
                                group is not None and not blank_unit_twins(frame, group))
                            else "a repeat and its twin can sit in training and in the "
                            "holdout alike and flatter the holdout figure, so drop them from "
                            "the file if they are not real repeats"))
    return notes


def _read_time_column(frame: pd.DataFrame, time: str,
                      source: str) -> tuple[pd.DataFrame, list[str], str | None, Any]:
    """The --time column read as dates, rows without one dropped: the frame, init's lines on
    it, the format its text was written in (None where it was not text), and its suite entry
    where rows were dropped (the suite still allows the blanks this table had), else None."""
    notes: list[str] = []
    text_format, time_spec = None, None
    if time in frame.attrs.get("clock_read", []):
        # Read as minutes, some would pass for years (1395); they are no dates at all.
        raise InitError(f"{source}: column {time!r} (--time): clock times without a date "
                        "(14:30): --time needs dates (2024-05-31 14:30); join the date to the "
                        "time, or name a date column")
    # One strict format (date_format): a lenient parser reads "9th" or "May" as dates and
    # the batches would be cut by nonsense. Whole years (2013) read as ISO 8601 years.
    kind = column_kind(frame[time])
    fmt = "ISO8601" if kind != "string" else (
        date_format(frame[time]) or month_year_format(frame[time]) or "ISO8601")
    written = frame[time]
    present = written.dropna()
    if kind == "float" and exact_whole(present):
        # Whole years made floats by a blank (or a total row): 2000.0 read as no date and
        # the refusal said "only whole four-digit years read as dates" (sweep 25).
        written = written.astype("Int64")
    parsed = (frame[time] if kind == "datetime" else pd.to_datetime(
        written.astype("string"), utc=True, errors="coerce", format=fmt))
    parsed = pd.to_datetime(parsed, utc=True)
    blank = int(frame[time].isna().sum())
    if blank > MAX_BLANK_TIME * len(frame):
        # Blanks are no badly written dates: saying so sent a user to reformat them.
        raise InitError(f"{source}: column {time!r} (--time) is blank on {blank} of "
                        f"{len(frame)} rows ({blank / len(frame):.0%}); rows without a time "
                        f"are dropped, and init drops at most {MAX_BLANK_TIME:.0%} of a "
                        "table so: fill the blanks, name another column, or leave out "
                        "--time")
    if (parsed.isna() & frame[time].notna()).mean() > 0.01:
        numbers = pd.to_numeric(frame[time], errors="coerce").dropna()
        numeric = kind in ("int", "float") and len(numbers) > 0
        short = numeric and bool(
            ((numbers % 1 == 0) & (numbers >= 0) & (numbers <= 99)).all())
        fractional_years = numeric and bool(
            ((numbers >= 1000) & (numbers <= 2999)).all() and (numbers % 1 != 0).any())
        # What the numbers count is the user's to say: each reading's conversion is given
        # (a day count 4-93 was told to add a century; decimal years to read seconds).
        counts = ("a count of days or periods from a start: pandas.Timestamp(start) + "
                  "pandas.to_timedelta(column, unit='D')")
        hint = (f"whole numbers 0-99: if they are two-digit years, only four-digit years "
                f"(1963) read as dates: add the century (1900 + the column); if {counts}; "
                "then init again" if short else
                "years with fractions (2000.083): write them as dates (e.g. the month's "
                "first day) and init again" if fractional_years else
                f"numbers, not dates (only whole four-digit years, 2013, and eight-digit "
                f"dates, 20130131, read as dates): write "
                f"them as dates and init again: {counts}; seconds since 1970: "
                "pandas.to_datetime(column, unit='s')" if numeric else
                "write them in ISO 8601 (2024-05-31) or in one format throughout "
                "(05/31/2024)")
        bad = frame[time][parsed.isna() & frame[time].notna()]
        examples = [str(v) for v in bad.astype("string").unique()[:3]]
        if not numeric and (other := date_format(bad)) is not None and other != fmt:
            # Dates all the same, in two formats (sweep 29: 5% of a column rewritten by a
            # spreadsheet): say which, with examples, not "not dates".
            seen = str(frame[time][parsed.notna()].iloc[0]) if parsed.notna().any() else ""
            raise InitError(f"{source}: column {time!r} (--time): {len(bad)} values are "
                            f"dates written {other} (e.g. {examples}) beside the rest "
                            f"written {fmt or 'ISO 8601'} (e.g. {seen!r}); values that fit "
                            "both would be read in one of them: write the column in one "
                            "format (ISO 8601, 2024-05-31) and init again")
        if not numeric and (orders := two_day_orders(frame[time])) is not None:
            # Every value a date, in two orders (sweep 36: "3000 values are not dates",
            # its examples dates).
            (one, one_only), (other, other_only) = orders
            raise InitError(f"{source}: column {time!r} (--time): dates written in two "
                            f"orders of day and month ({one_only!r} reads only as {one}, "
                            f"{other_only!r} only as {other}): files of two locales "
                            "joined? Values that fit both would be read in one of them: "
                            "write the column in one format (ISO 8601, 2024-05-31) and "
                            "init again")
        raise InitError(f"{source}: column {time!r} (--time): "
                        f"{len(bad)} values are not dates or times (e.g. {examples}); "
                        f"{hint}")
    if kind in ("int", "float") and bool((present >= 10000101).all()):
        notes.append(f"column {time!r} (--time) holds dates written as eight digits "
                        f"({int(present.iloc[0])} is {parsed.loc[present.index[0]]:%Y-%m-%d}"
                        "), read so in later batches too")
    if kind == "string":
        text_format = fmt
        if fmt in MONTH_YEAR_FORMATS:
            notes.append(f"column {time!r} (--time) holds months written {fmt} (e.g. "
                            f"{str(frame[time].dropna().iloc[0])!r}): each read as its "
                            "first day, in later batches too")
        elif fmt != "ISO8601":
            notes.append(f"column {time!r} (--time) holds dates written {fmt}"
                            f"{ambiguity(frame[time], fmt)}")
    frame = frame.assign(**{time: parsed})
    if parsed.isna().any():
        # Sorted last, they would all land in the holdout batch, out of any time order.
        notes.append(f"{int(parsed.isna().sum())} rows whose time ({time!r}) is blank or "
                        "not a date dropped")
        frame = frame[parsed.notna().to_numpy()].reset_index(drop=True)
        # The suite still allows blanks there, as this table had them: a later batch is
        # not rejected for what init accepted.
        time_spec = column_spec(parsed, "datetime")
    return frame, notes, text_format, time_spec


def _task_of(values: pd.Series, target: str, task: str | None, source: str,
             other_mark: list[str]) -> tuple[str, pd.Series, list[str]]:
    """The target's task (as given, checked against its values, or inferred) and its labels
    (whole floats of classes read as the integers they are, spellings of a class folded);
    with init's lines on them. `other_mark`: columns whose decimal commas were left as text."""
    notes: list[str] = []
    if column_kind(values) in ("int", "float"):
        infinite = int(np.isinf(values.astype("float64")).sum())
        if infinite:
            raise InitError(f"{source}: column {target!r}: {infinite} target value(s) are "
                            "infinite; fix or drop those rows")
    # Blank labels made a CSV read 0/1 or class numbers as floats: as classes they are
    # integers (a regression target keeps its floats: later batches may hold fractions).
    whole = column_kind(values) == "float" and exact_whole(values)
    labels = values.astype("int64") if whole else values
    labels, folded = folded_classes(labels)
    notes.extend(folded)
    if labels.nunique() < 2:
        raise InitError(f"{source}: column {target!r}: the target has "
                        f"{labels.nunique()} value(s); nothing to learn")
    ranged = column_kind(labels) == "int" and \
        int(labels.max()) - int(labels.min()) + 1 == len(labels)
    if column_kind(labels) == "int" and len(labels) > 50 and labels.is_unique and (
            (ranged and (labels.is_monotonic_increasing or numbers_rows(labels)))
            or ROW_NAME.match(str(target))):
        # Sweep 29: an application number as the target was a regression of 1,989 values,
        # without a word; as a feature the same column is named as numbering the rows.
        raise InitError(f"{source}: column {target!r}: the target numbers the rows "
                        f"({int(labels.min()):,} to {int(labels.max()):,}, each once"
                        f"{', every number of that range' if ranged else ''}): nothing to "
                        "learn; --target names the column to predict")
    if task is not None and task not in TASKS:
        raise InitError(f"--task: {task!r} is not one of {', '.join(TASKS)}")
    try:
        if task is None:
            task = infer_task(labels, source)
            if task == MULTICLASS:
                check_stray_classes(labels, source)
            notes.append(f"task {task} (target {column_kind(values)} with "
                            f"{labels.nunique()} values" + (
                                not_classes_words(labels) if task == REGRESSION else "")
                            + ")")
        check_task(labels, task, source)
    except InitError as exc:
        if target in other_mark:
            # Its decimal commas were left as text (a file mixing marks): say that, not "pass
            # --task" or "must be numeric" (sweep 22).
            example = next(iter(labels.dropna().astype(str)), "")
            raise InitError(f"{exc}; its numbers are written with a decimal comma (e.g. "
                            f"{example!r}) where other columns have a decimal point, and the "
                            "table is read with the point: write the table with one decimal "
                            "mark") from None
        raise
    if task == REGRESSION:
        far = extreme_values(pd.to_numeric(labels, errors="coerce"))
        if far:
            notes.append(f"column {target!r}: {far}")
    if task == MULTICLASS and column_kind(labels) == "int" and labels.nunique() > 2:
        # Counts (visits, goals) read as classes: a later count not seen here is a new class,
        # and its batch is rejected (said whether the task was inferred or given).
        present = sorted(int(v) for v in labels.dropna().unique())
        low, high = present[0], present[-1]
        # A range with a gap read as every value in it (sweep 21: 3 to 16 without a 4).
        gaps = [v for a, b in itertools.pairwise(present) for v in range(a + 1, min(b, a + 6))]
        held = f"{low} to {high}" if not gaps else (
            f"{low} to {high}, but not {', '.join(map(str, gaps[:5]))}"
            f"{' ...' if high - low + 1 - len(present) > 5 else ''}")
        notes.append(f"the classes are frozen ({held}): if {target!r} counts or measures "
                        "something, init again with --task regression, or a later value "
                        "not among them rejects its batch")
    if task == BINARY:
        counts = labels.astype("string").value_counts()
        if counts.min() < 3:
            # Dealt from the holdout backwards, the rarer class would reach no training batch.
            raise InitError(f"{source}: column {target!r}: class {counts.index[-1]!r} has "
                            f"{int(counts.min())} row(s); a binary target needs at least 3 of "
                            "each class (to train on, to validate on and to hold out)")
    return task, labels, notes


def _classes_of(labels: pd.Series, target: str, task: str, positive_class: str | None,
                folded_words: dict[str, tuple[str, str]]) -> tuple[Any, list[Any] | None,
                                                                  list[str]]:
    """A classification target's positive class (binary: as --positive-class names it, else
    positive_of's rule) and its classes (binary: negative then positive), with init's line on
    the positive class; None and None for a regression."""
    notes: list[str] = []
    positive, classes = None, None
    if positive_class is not None and task != BINARY:
        raise InitError(f"--positive-class: the task is {task}, not binary")
    if task == BINARY:
        positive, rule = positive_of(labels)
        if positive_class is not None:
            chosen = [v for v in label_values(labels) if str(v) == positive_class]
            if not chosen and target in folded_words:
                # A spelling the true/false fold read as its pair's (TRUE as 'yes': the
                # second review refused it as "not a value" of the file it came from).
                true, false = folded_words[target]
                word = str(positive_class).strip().lower()
                read = true if word in TRUE_WORDS else false if word in FALSE_WORDS else None
                chosen = [v for v in label_values(labels) if str(v) == read]
            if not chosen:
                raise InitError(f"--positive-class {positive_class!r}: not a value of column "
                                f"{target!r} (its values: "
                                f"{', '.join(repr(str(v)) for v in label_values(labels))})")
            positive, rule = chosen[0], "as --positive-class says"
        negative = next(v for v in label_values(labels) if str(v) != str(positive))
        classes = [negative, positive]
        notes.append(f"positive class {positive!r}" + (f", {rule}" if rule else ""))
    elif task == MULTICLASS:
        classes = label_values(labels, numeric=True)
    return positive, classes, notes


def _cut_batches(frame: pd.DataFrame, spec: DataConfig, batches: int | None, seed: int,
                 source: str) -> tuple[int, list[np.ndarray], list[str]]:
    """The table's rows cut into batches (`batches` of them, or as many as its size gives):
    by time where spec names one, by unit where it names a group, else at random, each class
    dealt across them; the number of batches, each batch's row positions, and init's lines
    on how they were cut."""
    target, task, time, group, exclude = spec.target, spec.task, spec.time, spec.group, \
        spec.exclude
    notes: list[str] = []
    if batches is not None and batches < 3:
        raise InitError(f"--batches: at least 3 (a training, a validation and a holdout "
                        f"batch), got {batches}")
    n = batches or n_batches(len(frame))
    if batches is not None and len(frame) >= 3 * MIN_BATCH_ROWS and \
            len(frame) // batches < MIN_BATCH_ROWS:
        # Sweep 29: --batches 500 on 1,989 rows held out 4 rows, and the gate promoted a
        # first model whose holdout log loss was 1.37 (the class shares' 0.37) on them.
        raise InitError(f"--batches {batches}: {len(frame) // batches} rows a batch; at least "
                        f"{MIN_BATCH_ROWS} (a holdout batch of fewer scores nothing): "
                        f"--batches {len(frame) // MIN_BATCH_ROWS} at most for {len(frame):,} "
                        "rows")
    if len(frame) < 3 * n:
        fewer = ("; pass --batches 3 (a training, a validation and a holdout batch)"
                 if batches is None and len(frame) >= 9 else
                 "; at least 9 rows are needed (3 batches of 3)" if len(frame) < 9 else "")
        raise InitError(f"{source}: {len(frame)} rows are too few for {n} batches{fewer}")
    if time is not None:
        distinct = int(frame[time].nunique())
        # As many times as batches counts too (sweep 30: Arrests' five years in five batches,
        # cut by rows, merged two years and split another)
        fewer = batches is None and 3 <= distinct <= min(MAX_AUTO_BATCHES, n + n // 2)
        if fewer:
            # Four years in ten batches put one year in several, the holdout sharing it with
            # training rows: one batch per time instead, where each time has rows enough for
            # a batch of its own (a cut by rows may not fall between them otherwise).
            per_time = one_batch_per_time(frame, time)
            # Rows enough: at least half an equal share each (sweep 23: nine years of 1,232 to
            # 2,171 rows, cut by rows, snapped two cuts to one change and fell back to ten
            # batches, a year split between training and validation).
            # A few more times than batches (sweep 53b: six years of 532 rows in five
            # batches, one holding two years unsaid): each time a batch where it holds half
            # the rows a batch would.
            fewer = all(len(p) >= len(frame) // (2 * min(distinct, n)) for p in per_time) and (
                distinct <= n or min(len(p) for p in per_time) >= MIN_TIME_BATCH_ROWS)
            n = distinct if fewer else n
        parts = per_time if fewer else cut_by_time(frame, time, n, seed)
        if distinct == 1:
            # Sweep 57a: a survey of one year said "5 batches cut by 'year'", then four times
            # "batches N and N+1 share the time": the cut was a random one, called a time cut.
            only = frame[time].iloc[0]
            said = only.date() if isinstance(only, pd.Timestamp) and only == only.normalize() \
                else only
            notes.append(f"{n} batches cut in a random order (seed {seed}): {time!r} "
                            f"(--time) holds one value ({said}) on every row, so there is no "
                            "time order to cut by; the holdout is of the same time as the "
                            "training rows")
        else:
            notes.append(f"{n} batches cut by {time!r}" + (
                f", one per value: it holds only {distinct} distinct times with a target"
                if fewer else ""))
        for number, (a, b) in enumerate(zip(parts, parts[1:], strict=False), start=1):
            if distinct > 1 and frame[time].iloc[a].max() == frame[time].iloc[b].min():
                # Too many rows at one time to cut elsewhere: say so, a holdout may share it.
                notes.append(f"batches {number} and {number + 1} share the time "
                                f"{frame[time].iloc[b].min()} (too many rows at one time to "
                                "cut between them)")
        if (stray := stray_tail(frame[time], n)) is not None:
            notes.append(stray)
    elif group is not None:
        parts, dealt = deal_by_group(frame[group], n, seed, source, frame[target]
                                      if task != REGRESSION else None)
        units = frame[group].nunique() + int(frame[group].isna().sum())
        blanks = ", a blank a unit of its own row" if frame[group].isna().any() else ""
        lacking = classes_not_held(frame[target], parts, group) if task == MULTICLASS else []
        held = "both classes" if task == BINARY else \
            "every class" if not lacking else "the most classes"
        later = (f", the first from {seed} whose training, validation and holdout batches "
                 f"hold {held}") if dealt != seed else ""
        notes.append(f"{n} batches cut in a random order, each {group!r} value's rows in "
                        f"one batch ({units:,} unit{'' if units == 1 else 's'}{blanks}; seed "
                        f"{dealt}{later}; no time column): no unit sits in training and the "
                        "holdout alike; "
                        f"{group!r} is excluded from the features (a unit's number says "
                        "nothing of units no earlier batch held)")
        notes.extend(lacking)
        notes.extend(unit_spelling_notes(frame[group]))
    elif task != REGRESSION:
        parts = deal_by_class(frame[target], n, seed)
        notes.append(f"{n} batches cut in a random order, each class dealt across them "
                        f"(seed {seed}; no time column)")
    else:
        parts = np.array_split(np.random.default_rng(seed).permutation(len(frame)), n)
        notes.append(f"{n} batches cut in a random order (seed {seed}; no time column)")
    if time is None:
        dated = [c for c in frame.columns if c not in exclude and c != target
                 and column_kind(frame[c]) == "datetime"
                 and frame[c].isna().mean() <= MAX_BLANK_TIME]  # --time would refuse it
        if len(dated) == 1:
            # Rows in time order are what the holdout stands for (later data); at random, a
            # holdout row may sit between two training rows of the same week.
            notes.append(f"column {dated[0]!r} holds dates: if the rows arrive in its order, "
                            f"`--time {shell_word(dated[0])}` cuts the batches in time, so the "
                            "holdout "
                            "comes after what the model trained on")
        elif dated:
            # Which date rows arrive by is the user's to say (sweep 53a: jasa's birth date,
            # named first, would have held out the youngest patients, not the latest).
            named = ", ".join(map(repr, dated[:5])) + (" ..." if len(dated) > 5 else "")
            notes.append(f"columns {named} hold dates: if the rows arrive in the order of "
                            "one of them (the day each row became known: an entry or "
                            "order date, not a birth date), `--time COLUMN` cuts the batches in "
                            "time, so the holdout comes after what the model trained on")
    return n, parts, notes


def _time_notes(frame: pd.DataFrame, spec: DataConfig, parts: list[np.ndarray],
                time: str) -> tuple[DataConfig, list[str]]:
    """What a table cut by time shows once it is cut: text features whose newest batch is
    mostly levels no earlier batch had (excluded: the spec returned excludes them too), codes
    twinned with them, and numbers (the time's year among them) whose holdout values lie
    beyond every training value; with init's lines on them."""
    notes: list[str] = []
    exclude = list(spec.exclude)
    fleeting = [(col, share) for col in feature_columns(frame, spec)
                if column_kind(frame[col]) == "string"
                and (share := unseen_share(frame[col], parts)) >= FLEETING_SHARE]
    for col, share in fleeting:
        exclude.append(col)
        examples = ", ".join(repr(v) for v in frame[col].loc[parts[-1]].dropna()
                             .astype(str).unique()[:3])
        notes.append(f"column {col!r}: {share:.0%} of the newest batch's non-blank "
                        f"values are levels no earlier batch has ({examples}): levels that "
                        "do not recur (a name per storm, a code per season) teach the "
                        "model nothing it can use later, and make each new batch look "
                        "drifted there: excluded from the features (data.exclude)")
    if fleeting:
        spec = DataConfig(**{**spec.model_dump(), "exclude": exclude})
        twins: dict[str, list[str]] = {}
        for col, _ in fleeting:
            for twin in code_twins(frame, col, feature_columns(frame, spec)):
                twins.setdefault(twin, []).append(col)
        for twin, of in twins.items():
            # Said, not excluded: a launch price or a baseline weight is one value per
            # product or patient too, and a feature (the review).
            per = " and ".join(map(repr, of))
            notes.append(f"column {twin!r} takes one value per {per} "
                            "value, and the other way round: if it is a code for it (a "
                            "country's number), it teaches no more than the excluded "
                            f"levels: --exclude {shell_word(twin)}")
    for col in feature_columns(frame, spec):
        if column_kind(frame[col]) in ("int", "float") and \
                (beyond := beyond_training(frame[col], parts)) is not None:
            # Kept (a year can carry a level), but said: the user's own month column of
            # a January-October table made the October holdout 4x worse (sweep 27).
            notes.append(
                f"column {col!r}: the holdout batch's values ({beyond}) lie beyond every "
                "value the training batches hold, as a count of time does (a month of a "
                "year not seen whole, a year, a running number): the model reads each "
                "later batch as the latest it trained on; if the column only counts time, "
                "--exclude it")
    if time not in exclude and column_kind(frame[time]) in ("int", "float", "datetime"):
        years = frame[time].dt.year if column_kind(frame[time]) == "datetime" \
            else frame[time]
        if (beyond := beyond_training(years, parts)) is not None:
            # Its year is a feature, past the training's on every later row by
            # construction: a level, never a trend (sweep 35: GSS incomes by --time year,
            # RMSE 26,726 with it where a fit without it held out at 22,355).
            # What --exclude would drop with the year: the parts the column gives (a
            # daily date has no hour: the review).
            others = [DATE_PART_WORDS[p] for p in informative_parts(frame[time])
                      if p in DATE_PART_WORDS] \
                if column_kind(frame[time]) == "datetime" else []
            notes.append(
                f"column {time!r} (the time): its year in the holdout batch ({beyond}) "
                "lies beyond every training year, as in every later batch: the model "
                "reads each later row as of the latest year it trained on (a level, not a "
                f"trend); `--exclude {shell_word(time)}` keeps the batches cut by it and drops "
                + (f"its year and its {', '.join(others)} too" if others
                   else "it as a feature"))
    return spec, notes


def init_project(dest: Path, data: Path, target: str, *, time: str | None = None,
                 id_column: str | None = None, task: str | None = None,
                 exclude: list[str] | None = None, forbid: list[str] | None = None,
                 batches: int | None = None, name: str | None = None,
                 seed: int = 42, positive_class: str | None = None,
                 categorical: list[str] | None = None, group: str | None = None,
                 progress: Callable[[str], None] | None = None) -> InitResult:
    """A ready project at `dest` from the table `data`. `progress` is told where a long init
    has got to (_Progress). `group` names units (a patient, a firm) whose rows are dealt into
    one batch where batches are cut at random (deal_by_group)."""
    step = _Progress(progress)
    dest = dest.resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InitError(f"{dest}: already exists and is not empty")
    name = name or dest.name
    registrable = "".join("-" if c in MODEL_NAME_FORBIDS else c for c in name)
    renamed = [f"the registered model is named {registrable!r}: MLflow names hold no "
               f"{' or '.join(map(repr, MODEL_NAME_FORBIDS))}"] if registrable != name else []
    name = registrable
    source = str(data)
    try:
        frame = read_batch(data, text_columns=None)
    except DataError as exc:
        raise InitError(str(exc)) from None
    step(f"read {len(frame):,} rows x {len(frame.columns):,} columns of {data.name}")
    blank = [i for i, c in enumerate(frame.columns, start=1) if not str(c).strip()]
    if blank:
        # A Parquet file may name a column ''; the fitted model then could not be read back.
        raise InitError(f"{source}: column {blank[0]} has no name: name it in the file")
    comma = frame.attrs.get("decimal") == ","
    thousands = list(frame.attrs.get("thousands", []))
    other_mark = list(frame.attrs.get("other_mark", []))
    stray_points = dict(frame.attrs.get("stray_points", {}))
    zones = time_zones(frame)
    offsets = {} if data.suffix.lower() in PARQUET else utc_offsets(frame)
    frame, spreadsheet = without_blank_lines(frame) if data.suffix.lower() not in PARQUET \
        else (frame, [])
    if note := header_repeats_note(frame.attrs.get("header_repeats", [])):
        spreadsheet.insert(0, note)
    if frame.empty and len(frame.columns):
        # "column 'r': the target has 0 value(s)" read as a fault of the column (51a F7).
        raise InitError(f"{source}: a header but no rows of data; nothing to learn")
    if data.suffix.lower() not in PARQUET:  # a CSV was read as text: type it here
        frame = typed(frame)
    missing = dict(frame.attrs.get("missing_values", {}))
    exclude, forbid = list(exclude or []), list(forbid or [])
    excluded_by_user = list(exclude)
    categorical = list(dict.fromkeys(categorical or []))
    _check_columns(frame, source, target=target, time=time, id=id_column, exclude=exclude,
                   categorical=categorical, group=group)
    if group is not None and time is not None:
        raise InitError(f"{source}: --group deals each unit's rows into one batch where the "
                        "batches are cut at random; with --time they are cut in time (the "
                        "holdout a later time, a unit's later rows among it): give one of them")
    if group is not None and group in (id_column, time):
        raise InitError(f"{source}: column {group!r} is --id as well as --group: an id is "
                        "unique, a group repeated; name the unit's column in --group only")
    if group is not None and group not in exclude:
        exclude.append(group)
    for option, col in (("id", id_column), ("time", time), ("group", group)):
        if col is not None and col == target:
            raise InitError(f"{source}: column {col!r} is the target; --{option} must name "
                            "another column")
    # A label's surrounding spaces are no part of it ('Positive ' beside 'Positive' was a
    # class of its own: sweep 29), nor a text feature's ('Tensed' and 'Tensed' padded with 72
    # spaces were two levels of one: sweep 35); ingest strips them alike (stages.ingest).
    padded = {}
    for col in frame.columns:
        if column_kind(frame[col]) == "string":
            text = frame[col].astype("string")
            count = int((text.notna() & (text != text.str.strip())).sum())
            if count:
                padded[col] = count
                frame[col] = text.str.strip()
    spaced = padded.pop(target, 0)
    # A text feature's "." or "?" among words is a value not known, as a label's is (sweep
    # 45a: palmerpenguins' sex, "." on 8 rows beside male and female, was a level of its own).
    level_marks = {col: marks for col in frame.columns
                   if col not in (target, id_column, time)
                   and (marks := not_known_level_marks(frame[col]))}
    level_notes = []
    for col, marks in level_marks.items():
        marked = frame[col].astype("string").str.strip().isin(marks).fillna(False)
        rows = int(marked.sum())
        frame[col] = frame[col].mask(marked)
        missing[col] = sorted({*missing.get(col, []), *marks})
        level_notes.append(f"column {col!r} holds {' and '.join(map(repr, marks))} on {rows} "
                        "row(s) among words: read as a value not known, in later batches too "
                        "(data.missing_values); if it names a level, write it as a word and "
                        "init again")
    label_marks = not_known_label_marks(frame[target])
    marked_labels = 0
    if column_kind(frame[target]) == "string" and task != REGRESSION:
        # A later batch's `?` or `Unknown` was "a new class" unless init's table had that
        # very mark (sweep 28): the usual marks are labels not known in every batch, where
        # no class is spelt so.
        classes_seen = set(frame[target].dropna().astype("string").str.strip())
        usual = [m for m in USUAL_LABEL_MARKS if m not in classes_seen or m in label_marks]
        missing[target] = sorted({*missing.get(target, []), *usual})
    if label_marks:
        # Learnt as a class, a "?" made a yes/no target a task of three classes without a word
        # (sweep 27). Missing there, later batches too: their rows are unlabelled and dropped.
        marked = frame[target].astype("string").str.strip().isin(label_marks).fillna(False)
        marked_labels = int(marked.sum())
        frame[target] = frame[target].mask(marked.astype(bool))
        # Any case of a word: `Unknown` in a later batch, after init saw `unknown`, was a new
        # class, "a new project" (the review).
        spellings = {v for m in label_marks
                     for v in (m, m.lower(), m.upper(), m.title(), m.capitalize())}
        missing[target] = [*missing.get(target, []), *sorted(spellings)]
    if BATCH_COLUMN in frame.columns:
        raise InitError(f"{source}: column {BATCH_COLUMN!r} is reserved (the loop records there "
                        "the batch a row came from); rename it")
    for col in frame.columns:
        if (held := container_kind(frame[col])) is not None:
            # A Parquet list or struct column (sweep 52c: a traceback, "unhashable type").
            raise InitError(f"{source}: column {col!r} holds {held} in its cells; tuneloop "
                            "reads one value per cell: drop the column, or write it as text")
        if column_kind(frame[col]) is None:
            # Every column of a batch is checked against the suite, excluded ones too.
            raise InitError(f"{source}: column {col!r}: unsupported dtype {frame[col].dtype} "
                            "(integer, float, boolean, string, datetime); convert it or drop "
                            "it from the data" + (
                                " (--exclude keeps a column in every batch's checks, so it "
                                "must be of a type they read)" if col in exclude else ""))
    spelled = []
    folded_words: dict[str, tuple[str, str]] = {}  # column -> its true and false, as read
    for col in frame.columns:
        if (pair := true_false_spellings(frame[col])) is not None:
            spelled.append(spellings_note(frame[col], col, *pair))
            frame[col] = as_true_false(frame[col], *pair)
            folded_words[col] = pair
    inferred = renamed + (["numbers written with a decimal comma (12,96) read as numbers; "
                           "later batches are read alike"] if comma else []) + spreadsheet + \
        spelled
    if spaced:
        inferred.append(f"{spaced} label(s) of {target!r} had spaces around them: read without "
                        "(in later batches too)")
    if padded:
        named = ", ".join(f"{c!r} ({n})" for c, n in list(padded.items())[:5]) + (
            f" and {len(padded) - 5} more" if len(padded) > 5 else "")
        inferred.append(f"text values with spaces around them read without, one level with the "
                        f"value they pad (in later batches too): {named}")
    if other_mark:
        named = ", ".join(map(repr, other_mark[:5])) + (
            f" and {len(other_mark) - 5} more" if len(other_mark) > 5 else "")
        inferred.append(
            f"column(s) {named} write numbers with a decimal comma (26,5) where other columns "
            "have a decimal point: the table is read with the point, so they are text (see "
            "below); write the table with one decimal mark and init again to use them as "
            "numbers")
    inferred.extend(f"column {col!r} writes {n} of its numbers with a decimal point (e.g. "
                    f"{example!r}) among decimal commas: read as the decimals they are, in "
                    "later batches too" for col, (n, example) in stray_points.items())
    inferred.extend(level_notes)
    inferred.extend(f"--forbid {col!r}: no such column in this table; a later batch carrying "
                    "it is rejected (check the spelling)" for col in forbid
                    if col not in frame.columns)
    inferred.extend(f"column {col!r} holds numbers with thousands separators (1,234): read as "
                    "numbers, in later batches too" for col in thousands)
    inferred.extend(f"column {col!r}: {count} value(s) in parentheses read as negative amounts "
                    f"({example} as -{example.strip('() ')}), in later batches and served rows "
                    "too; if they are not negatives, write them otherwise and init again"
                    for col, (count, example) in frame.attrs.get("parentheses", {}).items())
    for col in frame.attrs.get("clock_read", []):
        longest = pd.to_numeric(frame[col], errors="coerce").max() if col in frame else None
        if longest is not None and longest >= 24 * 60:
            # Past a day: durations (a race time, 38:31:00 to 237:04:00), not clock times
            # (sweep 40a: "minutes after midnight" of a marathon's minutes:seconds).
            inferred.append(f"column {col!r} holds durations written with colons (the first "
                            f"part reaches {int(longest // 60)}, so no clock time): read as the "
                            "first part x 60 plus the second, a number the model can order, in "
                            "later batches and served rows too")
            continue
        inferred.append(f"column {col!r} holds clock times (14:30, 2:30 PM): read as minutes "
                        "after midnight (14:30 is 870), a number the model can order, in later "
                        "batches and served rows too")
    if any(DB_NULL in marks for marks in missing.values()):
        inferred.append(f"the table writes a value not known as {DB_NULL} (a database's NULL): "
                        "read as missing in every column, in later batches too "
                        "(data.missing_values)")
    missing_shown = {col: [m for m in marks if m != DB_NULL] for col, marks in missing.items()}
    inferred.extend(f"column {col!r} holds numbers, with {' and '.join(map(repr, marks))} "
                    f"for a value not known: read as missing, in later batches too "
                    f"(data.missing_values)" + ("; if '-' means zero (an accounting export), "
                                                "write 0 and init again" if "-" in marks else "")
                    + "".join(f"; if {m!r} stands for a value (a trace, a floor), write that "
                              "value and init again" for m in marks if m.isalpha()
                              and m.lower() not in MISSING_WORDS)
                    for col, marks in missing_shown.items()
                    if marks and column_kind(frame[col]) in ("int", "float"))
    columns = _look_at_columns(frame, target, id_column, time, group, exclude, step)
    frame, exclude, formats = columns.frame, columns.exclude, columns.formats
    panel_units, one_outcome = columns.panel_units, columns.one_outcome
    inferred.extend(columns.notes)
    if target in forbid:
        # Its hint, "--exclude it", was refused in turn for the target (sweep 25).
        raise InitError(f"{source}: --forbid names the target {target!r}: a forbidden column "
                        "is one no batch may carry, and every batch carries its labels; leave "
                        "it out of --forbid")
    present = [c for c in forbid if c in frame.columns]
    if present:
        # "--exclude it" was read as "add --exclude", and the same refusal came back (sweep 27).
        raise InitError(f"{source}: column {present[0]!r} is forbidden (--forbid) but present: "
                        "a forbidden column is one no batch may carry; drop it from the data, "
                        "or name it in --exclude instead of --forbid to keep it in the batches "
                        "and out of the features")
    time_spec = None  # the time column's suite entry, when rows without a time are cut
    frame, exclude, notes = _labelled_only(frame, target, id_column, time, exclude,
                                           label_marks, marked_labels)
    inferred.extend(notes)
    inferred.extend(_repeat_notes(frame, target, id_column, time, group, exclude, step))
    if time is not None:
        frame, notes, time_format, time_spec = _read_time_column(frame, time, source)
        inferred.extend(notes)
        if time_format is not None:
            formats[time] = time_format
    task, labels, notes = _task_of(frame[target], target, task, source, other_mark)
    inferred.extend(notes)
    if task != REGRESSION:
        frame[target] = labels
    if id_column is not None and not frame[id_column].is_unique:
        repeated = frame[id_column].duplicated(keep=False)
        dup = frame.loc[repeated, id_column].iloc[0]
        raise InitError(f"{source}: column {id_column!r} (--id) is not unique: "
                        f"{int(repeated.sum())} rows share "
                        f"{int(frame.loc[repeated, id_column].nunique())} value(s), e.g. "
                        f"{plain(dup)!r}; --id names each row once: a unit with rows over "
                        "time (a person, a state) is a feature, so init again without --id "
                        f"(or with --exclude {shell_word(id_column)} to leave it out)")
    positive, classes, notes = _classes_of(frame[target], target, task, positive_class,
                                           folded_words)
    inferred.extend(notes)
    # Only where date parts become features: the time column and date features.
    zones = {c: z for c, z in zones.items()
             if c not in exclude and c not in forbid and c not in (target, id_column)}
    inferred.extend(f"column {col!r} holds times in {zone}: its hour, day and month are read "
                    "there, not in UTC (data.time_zones); served rows and later CSV batches "
                    "give its times in UTC or with an offset" for col, zone in zones.items())
    inferred.extend(f"column {col!r} holds times with UTC offsets ({offset}): an offset names "
                    "no zone, so they are kept in UTC and its hour, day and month are UTC's; "
                    f"to read them where they happened, set data.time_zones: {{{col}: <zone>}} "
                    "(e.g. America/New_York) in params.yaml"
                    for col, offset in offsets.items()
                    if col not in exclude and col not in forbid and col not in (target, id_column)
                    and column_kind(frame[col]) == "datetime")
    try:
        coded = [c for c in categorical if c not in exclude and c not in forbid]
        for col in coded:
            if column_kind(frame[col]) not in ("int", "float", "string", "bool"):
                raise InitError(f"{source}: column {col!r} (--categorical) holds "
                                f"{frame[col].dtype} values, not codes")
        if numbers := [c for c in coded if column_kind(frame[c]) in ("int", "float")]:
            inferred.append(f"column(s) {', '.join(map(repr, numbers))} (--categorical): "
                            "their numbers are read as codes, one category each "
                            "(data.categorical)")
        spec = DataConfig(target=target, task=task, positive_class=positive, classes=classes,
                          time=time, id=id_column, group=group, exclude=exclude,
                          forbid=forbid, categorical=[c for c in coded
                                       if column_kind(frame[c]) in ("int", "float")],
                          date_formats={c: f for c, f in formats.items() if f != "ISO8601"},
                          time_zones=zones, missing_values=missing,
                          decimal="," if comma else ".",
                          clock_times=list(frame.attrs.get("clock_read", [])))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InitError(f"{source}: {first['msg'].removeprefix('Value error, ')}") from None
    n, parts, notes = _cut_batches(frame, spec, batches, seed, source)
    inferred.extend(notes)
    if time is not None:
        spec, notes = _time_notes(frame, spec, parts, time)
        inferred.extend(notes)
    notes, tune_metric = class_checks(frame[target], task, classes, parts, time, n, source)
    inferred.extend(notes)
    holdout_rows = len(parts[-1])
    if holdout_rows < 30:
        inferred.append(f"the holdout batch holds {holdout_rows} rows: its figures, and the "
                        "gate's verdicts on them, are rough")
    features = feature_columns(frame, spec)
    if not features:
        # What init excluded by itself is said, or the user hunts for an --exclude never given.
        dropped = [line for line in inferred if line.startswith("column ") and "exclude" in line]
        # Two said whole: "(and 1 more)" hid the table's only other column (sweep 54a).
        shown = dropped if len(dropped) <= 2 else dropped[:1]
        rest = "; init excluded the rest: " + "; ".join(shown) if dropped else ""
        raise InitError(f"{source}: no feature columns left after the target, --id and "
                        f"--exclude{rest}"
                        f"{f' (and {len(dropped) - 1} more)' if len(dropped) > 2 else ''}")
    if (only_dates := only_dates_without_season(frame, features, parts)) is not None:
        inferred.append(only_dates)
    inferred.extend(f"column {col!r} has no name in the file's header (pandas calls it so): "
                    "name it and init again to give it one" for col in features
                    if re.fullmatch(r"Unnamed: \d+", str(col)))
    # A panel's unit (a state, a person) is no leak for its groups' means giving the target
    # away: units differ (sweep 44a: AER Fatalities' `state`, a panel unit and, in the same
    # output, "nearly as well as a leak would" at R^2 0.981, said again by every run).
    step(f"checking {len(features):,} features for leaks")
    # Dealt by unit, a unit's rows are trained on or held out together: one row per unit is
    # what a column can give away (sweep 54c: pbcseq's `age` at entry, fixed within a patient,
    # "alone predicts the target almost exactly" by rows, and no better than the class shares
    # by patient; the grouped run held out without a leak).
    fixed = fixed_within(frame, group, features) if group is not None else []
    leaks = leak_checks(frame, [c for c in features if c not in fixed], panel_units, target,
                         task, seed, time)
    if fixed:
        # ... and only for the columns fixed within each unit: a refund filled in exactly for
        # the rows that churned, row by row within a store, was missed on 12 stores' rows
        # (the second review).
        per_unit = one_row_per_unit(frame, group, seed)
        leaks += leak_checks(per_unit, fixed, panel_units, target, task, seed, time)
        if len(per_unit) < LEAK_MIN_ROWS and task != REGRESSION:
            # Fewer units than a leak check takes rows: the ones fixed within units that hold
            # no more values than the target has classes, a recoding of it, on every row
            # (sweep 55c: BodyWeight's 16 rats, `diet_code` a copy of `Diet`, went unnamed and
            # the model held out accuracy 1.0); an age at entry has a value per unit.
            coded = [c for c in fixed if frame[c].nunique() <= frame[target].nunique()]
            leaks += [f"{line}; measured on every row of {len(per_unit)} units (a row each is "
                      "too few to tell), so its rows count a unit many times"
                      for line in leak_checks(frame, coded, panel_units, target, task, seed,
                                               time)]
    inferred.extend(unit_outcome_said(line, one_outcome) for line in leaks)
    # Said once, not kept among the suspected leaks each run repeats: honest pairs are often
    # equal (a price's minimum beside its maximum), and only the user knows why one went.
    inferred.extend(copies_of_excluded(frame, features, excluded_by_user))
    # Kept in params.yaml, said again by status and each run (sweep 37: init's one line about
    # a column that was a function of the target scrolled away, and nothing said it again).
    spec = spec.model_copy(update={"suspected_leaks": named_in(features, leaks)})
    try:
        Schema.fit(spec, frame)  # the model's view: supported types, distinct feature names
    except DataError as exc:
        raise InitError(f"{source}: {exc}") from None
    n_classes = len(spec.classes or []) if task == MULTICLASS else 1
    latency_ms = latency_limit(len(features), n_classes)
    if latency_ms > BASE_LATENCY_MS:
        what = " and ".join(w for w in (
            f"{len(features)} feature columns" if len(features) > 50 else "",
            f"{n_classes} classes" if n_classes > 2 else "") if w)
        inferred.append(f"constraints.max_latency_ms_per_1k {latency_ms:g} (ms to score 1,000 "
                        f"rows: {BASE_LATENCY_MS:g} scaled for {what}); set it to what your "
                        "serving needs, or null for no limit")

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.init-", dir=dest.parent))
    try:
        step(f"writing {len(parts)} batches, their checks and the project")
        suite_dict = init_suite(frame, name, spec, parts)
        if time_spec is not None:
            suite_dict["columns"][time] = time_spec
        suite = Suite.model_validate(suite_dict)
        (tmp / "data" / "suites").mkdir(parents=True)
        (tmp / "data" / "suites" / f"{name}.yaml").write_text(dump_suite(
            suite_dict, f"# Validation suite of {name}, frozen by `tuneloop init` from "
                        f"{source}; edit by hand.\n"), encoding="utf-8")
        rows_per_batch = len(frame) // n
        (tmp / PARAMS_FILE).write_text(
            params_yaml(name, spec, len(frame), rows_per_batch, report_slices(frame, spec),
                    None if positive is None else float(
                        (frame[target].astype("string") == str(positive)).mean()),
                    tune_metric, latency_ms, rows_per_period(frame, time)),
            encoding="utf-8")
        (tmp / "dvc.yaml").write_text(dvc_yaml(task=spec.task), encoding="utf-8")
        (tmp / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
        (tmp / spec.incoming).mkdir(parents=True)
        (tmp / spec.incoming / ".gitkeep").write_text("")
        lay_out_batches(tmp, frame, parts, spec, suite, data, name)
        _git(tmp, "init", "-q")
        _dvc_init(tmp)
        (tmp / ".dvc" / "config").write_text(DVC_CONFIG, encoding="utf-8")
        shutil.copyfile(DVC_PLOTS_PAGE, tmp / ".dvc" / PLOTS_TEMPLATE)
        _dvc_add(tmp, spec.batches)  # batches in DVC, not in git
        load_params(tmp / PARAMS_FILE)  # never leave a project its own loader refuses
        _git(tmp, "add", "-A")
        _git(tmp, "-c", "user.name=tuneloop", "-c", "user.email=tuneloop@localhost",
             "commit", "-q", "-m", f"tuneloop init {name} from {data.name}")
        mask = os.umask(0)
        os.umask(mask)
        tmp.chmod(0o777 & ~mask)  # mkdtemp's folder is private (0700); the project is not
        if dest.exists():
            dest.rmdir()
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return InitResult(root=dest, rows=len(frame), batches=n, task=task, target=target,
                      positive_class=positive, classes=classes, features=features,
                      inferred=_collapsed(inferred))


