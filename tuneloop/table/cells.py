"""How a column's cells are written: stored types, marks that mean "not known", numbers
written as text (thousands separators, units, a few words among numbers), true/false
spellings, containers (lists, sets), blank lines, and values far from every other.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from tuneloop.batches import (
    DECIMAL_COMMA,
    MISSING_WORDS,
    THOUSANDS,
    exact_whole,
    footer_rows,
    has_leading_zero,
    missing_markers,
)
from tuneloop.features import FALSE_WORDS, TRUE_WORDS, column_kind

_ANY_NUMBER = re.compile(rf"^(?:{DECIMAL_COMMA}|{THOUSANDS}|[-+]?(?:\d+\.?\d*|\.\d+)"
                         r"(?:[eE][-+]?\d+)?)$")


def odd_cells(series: pd.Series) -> str:
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


DB_NULL = "\\N"  # how MySQL and PostgreSQL write NULL into a CSV


def typed(frame: pd.DataFrame) -> pd.DataFrame:
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


def not_known_level_marks(values: pd.Series) -> list[str]:
    """A text feature's values among LEVEL_MARKS beside two levels of words or more."""
    return _not_known_marks(values, lambda v: v in LEVEL_MARKS, words_only=True)


def not_known_label_marks(target: pd.Series) -> list[str]:
    """A text target's values that mark its label as not known (a word of LABEL_MARKS or
    punctuation alone) beside two classes or more."""
    return _not_known_marks(target, lambda v: v.lower() in LABEL_MARKS or (
        0 < len(v) <= 3 and not any(ch.isalnum() for ch in v)), words_only=False)


FORMATTED_NUMBER = r"^\s*[-+]?(?:\$|€|£)?\s*\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*%?\s*$|" \
    r"^\s*[-+]?\d+(?:[.,]\d+)?\s*%\s*$"  # a percent, with a decimal point or comma (80,0%)


WITH_UNIT = r"^\s*[-+]?\d+(?:\.\d+)?\s*([^\W\d_]{1,5}\.?)\s*$"


def formatted_numbers(series: pd.Series) -> str:
    """A note for a text column of numbers written for people (1,234.5, 12.5 %, 70.4 kg): the model
    would take each value for a category. Converting them is the prepare hook's job."""
    if column_kind(series) != "string":
        return ""
    text = series.dropna().astype("string")
    if text.empty:
        return ""
    formatted = text.str.match(FORMATTED_NUMBER)
    # A number with one unit after it on (almost) every row (70.4 kg, 180cm): not 1st, 2nd,
    # 3rd, whose endings differ.
    units = text.str.extract(WITH_UNIT, expand=False).str.lower()
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


def without_blank_lines(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
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


_TRUE_FALSE_PAIRS = (("yes", "no"), ("true", "false"), ("y", "n"), ("t", "f"), ("1", "0"),
                     ("1.0", "0.0"))


def true_false_spellings(series: pd.Series) -> tuple[str, str] | None:
    """For a text column whose every value is a true or a false word, written more than two
    ways (yes, Y, TRUE, no, N, false), the two values to read them as: the most common
    spelling of each (ingest reads any spelling of a two-level true/false column so); else
    None. Sweep 52c: such a target was a task of 10 classes, such a feature 10 levels whose
    later batch of 1/0 was refused."""
    if column_kind(series) != "string":
        return None
    text = series.dropna().astype("string").str.strip()
    words = text.str.lower()
    # More than two words: two written in several cases (Yes, yes) are folded_classes' (a
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


def spellings_note(series: pd.Series, col: str, true: str, false: str) -> str:
    text = series.dropna().astype("string").str.strip()
    shown = ", ".join(repr(v) for v in text.value_counts().index[:6])
    return (f"column {col!r} writes true and false {text.nunique()} ways ({shown}"
            f"{', ...' if text.nunique() > 6 else ''}): read as two values, {true!r} and "
            f"{false!r} (the most common spellings), as later batches are")


def container_kind(series: pd.Series) -> str | None:
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


def words_among_numbers(series: pd.Series) -> str:
    """The few values, in words, that keep a column of numbers text (sweep 39: gt towny's
    `land_area_km2`, 410 numbers beside 'see note' x3 and 'approx. 300', was excluded as "a
    name, code or free text"), or "" where most of it is not numbers."""
    text = series.dropna().astype("string").str.strip()
    return _few_others(text, pd.to_numeric(text, errors="coerce").notna(), "written otherwise")


def mostly_distinct(series: pd.Series) -> bool:
    """Text that differs on most rows: more than 50 distinct values, over half the rows."""
    present = series.dropna()
    distinct = present.nunique()
    return distinct > 50 and distinct > 0.5 * len(present)


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
