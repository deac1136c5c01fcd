"""`tuneloop init`'s notes on columns that may give the target away: the leakage checks
(tuneloop.leakage) composed for a new table, and copies of excluded columns left as features.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from tuneloop.features import column_kind, shell_word
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
from tuneloop.table.dates import date_format, days_since_1970


def leak_checks(frame: pd.DataFrame, features: list[str], panel_units: list[str],
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
        as_days = frame.assign(**{c: days_since_1970(frame[c]) for c in dated}) if dated else frame
        # A numeric time column (a year) is checked alone as before; a datetime one is not (a
        # batch of labels recorded from a later year on named it "a result recorded with the
        # outcome": the review).
        alone = telltales(frame, [c for c in features if c not in panel_units
                                  and not (c == time and c in dated)], target, task, seed)
        by_date = dates_alone(as_days, [c for c in dated if c != time], target, task, seed,
                              time=time if time in dated else None)
        named = [c for c in features if any(
            f"column {c!r} alone predicts the target almost exactly" in n for n in alone)
            ] + named_in(dated, by_date)
        alone += by_date
        leaks = [*alone, *clock_differences(frame, features, target, task,
                                            frame.attrs.get("clock_read", []), [], seed),
                 # Only the near-identities: a strong column (STRONG) may still be half of a
                 # total the combined check names.
                 *combined(frame, features, target, task, named, seed)]
        if len(dated) >= 2:
            leaks += combined(as_days, dated, target, task, named, seed)
            leaks += date_differences(as_days, dated, target, task, named, seed)
        leaks += ratios(frame, features, target, task, named_in(features, leaks), seed)
        leaks += group_keys(frame, features, target, task, named_in(features, leaks), seed)
        leaks += separating_pairs(frame, features, target, task, named_in(features, leaks), seed)
        leaks += blank_families(frame, features, target, task, seed)
        leaks += chosen_values(frame, features, target, task, named_in(features, leaks), seed)
        return leaks


def named_in(columns: list[str], notes: list[str]) -> list[str]:
    """The columns the notes name (each note quotes its columns as repr does)."""
    return [c for c in columns if any(repr(c) in note for note in notes)]


COPY_SHARE = 0.9  # rows on which a feature equals an excluded column that make it a copy


def copies_of_excluded(frame: pd.DataFrame, features: list[str],
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


def copied_columns(frame: pd.DataFrame, columns: list[Any]) -> list[str]:
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
