"""What a table looks like to a model: one Schema, fitted once on training data, read by
training, drift and the served model alike, so the three can never disagree.

The columns come from the project's dataset spec (params.yaml `data:`): numerics become floats
(inf -> missing), strings and booleans become categoricals whose levels are frozen from the
training data (an unseen level is missing), and datetime columns are expanded into hour, day of
week, day of year, month and year. The library knows no dataset: every column name comes from the
spec or from the data.
"""

from __future__ import annotations

import functools
import re
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from tuneloop.batches import (
    CSV_MISSING,
    EXACT_INTEGERS,
    THOUSANDS,
    clock_minutes,
    comma_decimal_text,
    typographic_text,
)
from tuneloop.errors import DataError
from tuneloop.metrics import BINARY, MULTICLASS, REGRESSION

BATCH_COLUMN = "tuneloop_batch"  # the accepted batch a row came from (added by the loop)
# A date-time column's model features. The year came later: a model registered before it
# keeps the parts it was trained on (Schema.date_parts, read back without the field).
DATE_PARTS = ("hour", "dayofweek", "dayofyear", "month", "year")
# The parts in words (the year, which counts time, is not said as a part).
DATE_PART_WORDS = {"hour": "hour", "dayofweek": "day of week", "dayofyear": "day of year",
                   "month": "month"}
# The part's pandas accessor where its name (kept: model columns are named by it) is deprecated.
DATE_ACCESSORS = {"dayofweek": "day_of_week", "dayofyear": "day_of_year"}
FIRST_DATE_PARTS = ("hour", "dayofweek", "dayofyear", "month")
# LightGBM refuses JSON punctuation in feature names and writes a space as '_' itself; a
# line break or tab in a name (a header cell wrapped in Excel) broke its line-based model text
# after a whole study (sweep 52c: "Wrong size of feature_names").
_UNSAFE = str.maketrans({c: "_" for c in '",:[]{} \n\r\t'})


def model_name(column: str) -> str:
    """The model's name for a column, as the booster names it (its gains are keyed so)."""
    return str(column).translate(_UNSAFE)


def column_kind(series: pd.Series) -> str | None:
    """int | float | bool | string | datetime, or None for a dtype tuneloop cannot use."""
    if ptypes.is_bool_dtype(series):
        return "bool"
    if ptypes.is_integer_dtype(series):
        return "int"
    if ptypes.is_float_dtype(series):
        return "float"
    if ptypes.is_datetime64_any_dtype(series):
        return "datetime"
    if ptypes.is_string_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype) \
            or series.dtype == object:
        return "string"
    return None


def parse_dates(values: pd.Series, fmt: str | None = None) -> pd.Series:
    """Text as UTC date-times: in `fmt` (a column's data.date_formats entry) where given, else
    ISO 8601; where that fails, ISO 8601 for a declared format (unambiguous) and pandas' own
    reading when none is declared. Anything unreadable is missing."""
    if ptypes.is_datetime64_any_dtype(values):
        return pd.to_datetime(values, utc=True)
    if ptypes.is_numeric_dtype(values) and not ptypes.is_bool_dtype(values):
        # Whole years (a `--time` of years; 1997.0 where a blank made the column floats):
        # as text they read as ISO 8601 years; eight digits (20240823) as ISO 8601's basic
        # date, which init reads them as (sweep 27: init cut batches by such a column, and
        # every later batch of the same export was "not a date"). Other numbers are no dates.
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        whole = numbers.notna() & (numbers % 1 == 0) & (
            numbers.between(1, 9999) | numbers.between(10000101, 99991231))
        values = numbers.where(whole).astype("Int64").astype("string")
        fmt = "ISO8601"
    text = values.astype("string")
    parsed = pd.to_datetime(text, utc=True, errors="coerce", format=fmt or "ISO8601")
    again = parsed.isna() & text.notna()
    if again.any():
        parsed[again] = pd.to_datetime(text[again], utc=True, errors="coerce",
                                       format="ISO8601" if fmt else None)
    return parsed


def read_numbers(values: pd.Series, decimal: str | None = None,
                 clock: bool = False) -> pd.Series:
    """A numeric column's values as numbers (anything unreadable is missing). Text is read as
    ingest reads a CSV of the project's decimal mark (data.decimal): with ',' 12,96 is 12.96;
    with '.' 1,234.5 is 1234.5 (commas in thousands positions only: 0,125 stays unreadable);
    with ',' points group thousands (1.290.941,5). None, a model saved before the mark was: as
    pandas reads text. `clock` (a column of data.clock_times): clock times (14:30) are minutes
    after midnight, as ingest reads them (tuneloop.batches.clock_minutes)."""
    if ptypes.is_numeric_dtype(values):
        return pd.to_numeric(values, errors="coerce")
    numbers = _as_numbers(values, decimal)
    if not clock:
        return numbers
    minutes = clock_minutes(values)
    if minutes.notna().any() and not numbers.notna().any():
        # Clock times (with blanks or a "?" beside them), read as ingest read them: minutes.
        # Decided by value, not by the whole request: a "" beside 14:30 made both missing.
        return minutes
    return numbers


# Text a decimal-comma project reads as thousands, though a writer of points means a decimal.
ONE_POINT_GROUP = r"[-+]?[1-9]\d{0,2}\.\d{3}"


def _as_numbers(values: pd.Series, decimal: str | None) -> pd.Series:
    if decimal is None:
        return pd.to_numeric(values, errors="coerce")
    text = typographic_text(values.astype("string").str.strip())
    if decimal == ",":
        text = comma_decimal_text(text)
    else:
        grouped = text.str.fullmatch(THOUSANDS).fillna(False).astype(bool)
        text = text.mask(grouped, text.str.replace(",", "", regex=False))
    # Float64 (missing as NA) back to float64 (missing as NaN), as pandas reads plain text.
    return pd.to_numeric(text, errors="coerce").astype("float64")


# A text feature with at most this many levels has them in the suite, checked for spelling and
# for vanishing (a batch whose 300 districts all arrive upper-cased); 50 let such a batch pass.
KNOWN_LEVELS = 1000
# How a CSV, a spreadsheet or a person writes true and false (a boolean's spellings; init's
# positive class of a yes/no target).
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0"})


def name_words(name: str) -> list[str]:
    """A column name's words, lower case: split at non-letters and at camelCase humps
    (`logWage` -> log, wage; `time.to.cmv` -> time, to, cmv)."""
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return [w for w in re.split(r"[^A-Za-z]+", name.lower()) if w]


def shell_word(name: str) -> str:
    """A column name as a shell takes it in a suggested option (`--time 'Date Egg'`): pasted
    unquoted, a name with a space became two arguments (sweep 54a)."""
    return shlex.quote(str(name))


def true_false_words(values: pd.Series) -> pd.Series | None:
    """The values as lower-case words, spaces around dropped, where every one not blank (one
    at least) is a true or a false word (TRUE_WORDS, FALSE_WORDS); else None."""
    words = values.astype("string").str.strip().str.lower()
    present = words.dropna()
    return words if not present.empty and present.isin(TRUE_WORDS | FALSE_WORDS).all() \
        else None


def as_true_false(values: pd.Series, true: str, false: str) -> pd.Series:
    """Every spelling of true and of false among `values` (TRUE_WORDS, FALSE_WORDS, any case,
    spaces around) written `true` and `false`; other values as they are, as text."""
    words = values.astype("string").str.strip().str.lower()
    return values.astype("string").mask(words.isin(TRUE_WORDS), true) \
        .mask(words.isin(FALSE_WORDS), false)


_JOINER = re.compile(r"(?<=\w)[-_\u2010\u2011\u2013\u2014](?=\w)")  # hyphens and dashes


# German letters written out without their marks (Köln as Koeln, Straße as Strasse), before
# other marks are dropped (é as e): one name re-exported with or without them is one level.
_DIGRAPHS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _unaccented(text: str) -> str:
    """Casefolded text with German umlauts written out and other accents dropped (sweep 31:
    team names re-exported with umlauts, `1. FC Köln` for `1. FC Koeln`, passed validation
    and 28% of the rows lost their team to "missing")."""
    if text.isascii():
        return text
    import unicodedata

    text = unicodedata.normalize("NFC", text).translate(_DIGRAPHS)
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def _spelling(value: str, boolean: bool) -> str:
    """What a level reads as once case, spacing (a hyphen or an underscore between two
    letters or digits reads as a space: `Sub Saharan` for `Sub-Saharan`, sweep 27), numeric
    form and (for a yes/no column) the usual boolean words are set aside."""
    text = _unaccented(" ".join(_JOINER.sub(" ", value).split()).casefold())
    if boolean:
        if text in TRUE_WORDS:
            return "true"
        if text in FALSE_WORDS:
            return "false"
    try:
        number = float(text)
    except ValueError:
        return text
    # 1 and 1.0 are one level; 1.10 and 1.1 may be two codes (versions, sections).
    return repr(int(number)) if number.is_integer() else text


@functools.lru_cache(maxsize=256)
def _known_spellings(levels: tuple[str, ...]) -> frozenset[str]:
    """The levels as _spelling reads them, made once per column (a served model with 1,000
    levels spent ~5 ms on it at each call)."""
    boolean = all(_spelling(v, True) in ("true", "false") for v in levels)
    return frozenset(_spelling(v, boolean) for v in levels)


@functools.lru_cache(maxsize=256)
def _level_by_spelling(levels: tuple[str, ...]) -> dict[str, str]:
    """Each spelling that one known level alone reads as, and that level."""
    boolean = _known_spellings(levels) <= {"true", "false"}
    spelt: dict[str, list[str]] = {}
    for level in levels:
        spelt.setdefault(_spelling(level, boolean), []).append(level)
    return {k: v[0] for k, v in spelt.items() if len(v) == 1}


def as_known_levels(levels: list[str], values: pd.Series) -> pd.Series:
    """The values as text, another spelling of exactly one known level written as that level:
    a served zip code 2134 (read by pandas as a number) is the known '02134', not missing."""
    text = values.astype("string")
    unseen = text.notna() & ~text.isin(levels)
    if not unseen.any():
        return text
    by_spelling = _level_by_spelling(tuple(levels))
    boolean = _known_spellings(tuple(levels)) <= {"true", "false"}
    mapping = {v: by_spelling.get(_spelling(str(v), boolean)) for v in text[unseen].unique()}
    known = {v: level for v, level in mapping.items() if level is not None}
    return text.where(~text.isin(list(known)), text.map(known)) if known else text


def respelled(levels: list[str], values: pd.Series) -> pd.Series:
    """The batch's values that are not a known level but another spelling of one (a boolean
    mask over `values`)."""
    known = _known_spellings(tuple(levels))
    boolean = known <= {"true", "false"}
    text = values.astype("string")
    unseen = text.notna() & ~text.isin(levels)
    if not unseen.any():
        return unseen
    other = {v for v in text[unseen].unique() if _spelling(str(v), boolean) in known}
    return unseen & text.isin(other)


def known_spelling(levels: list[str], value: str) -> str | None:
    """The known level a value spells otherwise, where one level alone reads so."""
    boolean = _known_spellings(tuple(levels)) <= {"true", "false"}
    return _level_by_spelling(tuple(levels)).get(_spelling(str(value), boolean))


def level_text(values: pd.Series) -> pd.Series:
    """A categorical column's values as level text. Numbers (a code column, data.categorical)
    are written as the codes they are: 3 for 3 and for 3.0 (a blank makes a column of whole
    numbers floats), so a batch with a blank holds the levels one without did."""
    if ptypes.is_bool_dtype(values) or not ptypes.is_numeric_dtype(values):
        return values.astype("string")
    numbers = values.astype("float64")
    whole = numbers.notna() & (numbers % 1 == 0) & (numbers.abs() < EXACT_INTEGERS)
    text = numbers.astype("string")
    text[whole] = numbers[whole].astype("int64").astype("string")
    return text


def feature_columns(frame: pd.DataFrame, spec: Any) -> list[str]:
    """The spec's features: the named ones, or every column but target, id, excluded and
    forbidden ones (and the loop's own batch column)."""
    if spec.features:
        missing = [c for c in spec.features if c not in frame.columns]
        if missing:
            raise DataError(f"data.features: no column {missing[0]!r} in the data")
        return list(spec.features)
    never = {spec.target, spec.id, getattr(spec, "group", None), *spec.exclude, *spec.forbid,
             BATCH_COLUMN}
    return [c for c in frame.columns if c not in never]


def label_values(series: pd.Series, numeric: bool = False) -> list[Any]:
    """The distinct target values as plain Python scalars, sorted as text, or (numeric=True,
    for classes init freezes in data.classes) numbers as numbers: class 10 after 9. A project
    whose classes are not frozen keeps the text order its saved models were trained in."""
    values = [v.item() if isinstance(v, np.generic) else v for v in series.dropna().unique()]
    if numeric and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return sorted(values)
    return sorted(values, key=str)


@dataclass(frozen=True)
class Schema:
    """Everything needed to turn rows into the model's inputs and labels (JSON-serialisable)."""

    target: str
    task: str
    classes: list[Any]                 # classification: class labels, index = encoded label
    numeric: list[str]
    categorical: list[str]
    datetime: list[str]
    levels: dict[str, list[str]]
    formats: dict[str, str] = field(default_factory=dict)  # data.date_formats of datetime
    date_parts: list[str] = field(default_factory=lambda: list(FIRST_DATE_PARTS))
    zones: dict[str, str] = field(default_factory=dict)  # data.time_zones of datetime columns
    # data.decimal: how numbers sent as text are read (None: a model saved before it was kept)
    decimal: str | None = None
    # data.missing_values of numeric and text columns: the served rows' "not known" marks
    # ("?", "n/a"), read as missing without a warning, as ingest reads them
    missing: dict[str, list[str]] = field(default_factory=dict)
    # Regression: the lowest and highest target value the model learnt from. Predictions stay
    # inside them: a boosted sum can overshoot the values it learnt (a heavy-tailed target,
    # never negative, was predicted negative), and no row taught it what lies beyond. None:
    # a classification task, or a model saved before the range was kept.
    target_range: list[float] | None = None
    # Regression: the training target's mean and median, the constants anyone could serve
    # instead of a model; a first model must beat them on the holdout (tuneloop.gate). None:
    # a classification task, or a model saved before they were kept.
    target_center: list[float] | None = None
    # Date-time columns whose values leave some parts without information, and the parts kept
    # (Schema.parts_of): a time of whole years made "day of week of 1 January", a new value
    # each year, a feature the linear family extrapolated into the holdout year (sweep 24).
    coarse: dict[str, list[str]] = field(default_factory=dict)
    # data.clock_times among the numeric columns: served clock text read as minutes there only.
    clock: list[str] = field(default_factory=list)

    @classmethod
    def fit(cls, spec: Any, frame: pd.DataFrame) -> Schema:
        """From the dataset spec and the training rows (levels and classes frozen here)."""
        numeric, categorical, datetime = [], [], []
        coded = set(getattr(spec, "categorical", None) or [])
        for col in feature_columns(frame, spec):
            kind = column_kind(frame[col])
            if kind in ("int", "float") and col in coded:
                categorical.append(col)
            elif kind in ("int", "float"):
                numeric.append(col)
            elif kind in ("string", "bool"):
                categorical.append(col)
            elif kind == "datetime":
                datetime.append(col)
            else:
                raise DataError(f"column {col!r}: unsupported dtype {frame[col].dtype} "
                                "(add it to data.exclude)")
        levels = {c: sorted(level_text(frame[c]).dropna().unique().tolist())
                  for c in categorical}
        formats = {c: f for c, f in (getattr(spec, "date_formats", None) or {}).items()
                   if c in datetime}
        zones = {c: z for c, z in (getattr(spec, "time_zones", None) or {}).items()
                 if c in datetime}
        schema = cls(target=spec.target, task=spec.task, classes=_classes(spec, frame),
                     numeric=numeric, categorical=categorical, datetime=datetime, levels=levels,
                     formats=formats, date_parts=list(DATE_PARTS), zones=zones,
                     decimal=getattr(spec, "decimal", None),
                     missing={c: list(m) for c, m in (getattr(spec, "missing_values", None)
                                                      or {}).items()
                              if c in numeric or c in categorical},
                     target_range=target_range(spec, frame),
                     target_center=target_center(spec, frame),
                     coarse={c: parts for c in datetime
                             if (parts := informative_parts(frame[c], zones.get(c)))
                             != list(DATE_PARTS)},
                     clock=[c for c in getattr(spec, "clock_times", None) or [] if c in numeric])
        schema.check_names()
        return schema

    def parts_of(self, col: str) -> list[str]:
        """The date parts a date-time column gives the model."""
        return list(self.coarse.get(col, self.date_parts))

    def bounded(self, pred: np.ndarray, extrapolates: bool = False) -> np.ndarray:
        """A regression's predictions inside `target_range` (others as they are). A family
        that `extrapolates` (a linear model, a network) may pass it by one range's width on
        either side, and a never-negative target stays at or above zero: a trend past the
        learnt values is what it is for, and held at the training maximum a linear model's
        holdout RMSE read 23.35 where it was 1.63 (sweep 42a: commodity prices)."""
        if self.task != REGRESSION or not self.target_range:
            return pred
        low, high = self.target_range
        if extrapolates:
            span = high - low
            low, high = (max(0.0, low - span) if low >= 0 else low - span,
                         min(0.0, high + span) if high <= 0 else high + span)
        return np.clip(pred, low, high)

    def check_names(self) -> None:
        """Two columns whose model names coincide (LightGBM's unsafe characters replaced, or a
        date's parts named like an existing column) would fail every trial: one line instead."""
        seen: dict[str, str] = {}
        names = [*((model_name(c), c) for c in self.numeric),
                 *((model_name(f"{c}__{p}"), f"{c} ({p})") for c in self.datetime
                   for p in self.parts_of(c)),
                 *((model_name(c), c) for c in self.categorical)]
        for name, column in names:
            if name in seen:
                raise DataError(f"columns {seen[name]!r} and {column!r} both become the model "
                                f"feature {name!r}; rename or exclude one (data.exclude)")
            seen[name] = column

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Schema:
        return cls(**raw)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def inputs(self) -> list[str]:
        """The raw columns a row must carry to be scored."""
        return [*self.numeric, *self.categorical, *self.datetime]

    @property
    def expanded_numeric(self) -> list[str]:
        """Numeric model columns: the numerics, then each datetime's parts."""
        return [*map(model_name, self.numeric),
                *(model_name(f"{c}__{p}") for c in self.datetime for p in self.parts_of(c))]

    @property
    def features(self) -> list[str]:
        return [*self.expanded_numeric, *map(model_name, self.categorical)]

    @property
    def n_classes(self) -> int:
        return len(self.classes) if self.task != REGRESSION else 1

    def make_features(self, frame: pd.DataFrame, source: str = "batch") -> pd.DataFrame:
        """The model's feature frame, columns in `features` order."""
        missing = [c for c in self.inputs if c not in frame.columns]
        if missing:
            raise DataError(f"{source}: missing column(s) {', '.join(missing)}")
        out: dict[str, Any] = {}
        for col in self.numeric:
            values = read_numbers(frame[col], self.decimal, col in self.clock).astype("float64")
            out[model_name(col)] = values.replace([np.inf, -np.inf], np.nan).to_numpy()
        for col in self.datetime:
            # Read as ingest reads the column: its format, else ISO 8601, strictly (pandas' own
            # guess took a day-first 06/01/2015 for June, where ingest rejects it).
            when = parse_dates(frame[col], self.formats.get(col) or "ISO8601")
            if col in self.zones:  # the day and hour where the rows happened, not in UTC
                when = when.dt.tz_convert(self.zones[col])
            for part in self.parts_of(col):
                out[model_name(f"{col}__{part}")] = \
                    getattr(when.dt, DATE_ACCESSORS.get(part, part)).astype("float64").to_numpy()
        for col in self.categorical:
            levels = [str(v) for v in self.levels[col]]
            # Another spelling of a known level is that level (1.0 for 1, 2134 for '02134');
            # an unseen level is missing: masked first, as pandas will refuse to do it silently.
            text = as_known_levels(levels, level_text(frame[col])) \
                if 2 <= len(levels) <= KNOWN_LEVELS else level_text(frame[col])
            text = text.where(text.isin(self.levels[col]))
            out[model_name(col)] = pd.Categorical(text, categories=self.levels[col])
        return pd.DataFrame(out, index=frame.index)[self.features]

    def numbers_of(self, frame: pd.DataFrame) -> dict[str, pd.Series]:
        """The numeric inputs `frame` holds as text, read as numbers once: unreadable() and
        make_features() each read them otherwise, a regex over every value three times (sweep
        56c: 100,000 served rows took 19.3 s with numbers as text, 0.88 s typed)."""
        return {col: read_numbers(frame[col], self.decimal, col in self.clock)
                .astype("float64") for col in self.numeric
                if col in frame.columns and not ptypes.is_numeric_dtype(frame[col])}

    def unreadable(self, frame: pd.DataFrame,
                   numbers: dict[str, pd.Series] | None = None) -> list[str]:
        """What the model will read as missing though the rows hold a value: text or inf in a
        numeric column, a date in another format, a level no training row held; and what it
        reads otherwise than written (another spelling of a known level, thousands grouped by
        a point). One note per column and kind (empty: all readable). `numbers`: numbers_of's
        reading of the frame, where already made."""
        notes = []
        numbers = self.numbers_of(frame) if numbers is None else numbers
        for col in [*self.numeric, *self.datetime]:
            if col in self.numeric and col in frame.columns:
                # inf is missing to the model (as in training): said, as text is (sweep 29)
                read_as = numbers.get(col)
                if read_as is None:
                    read_as = read_numbers(frame[col], self.decimal, col in self.clock)
                endless = np.isinf(read_as.astype("float64").to_numpy())
                if endless.any():
                    notes.append(f"column {col!r}: {int(endless.sum())} of {len(frame)} "
                                 "value(s) are infinite; read as missing")
            if col not in frame.columns or ptypes.is_datetime64_any_dtype(frame[col]) or (
                    col in self.numeric and ptypes.is_numeric_dtype(frame[col])):
                continue  # typed already: nothing in it can be unreadable
            stripped = frame[col].astype("string").str.strip()
            # The words a CSV batch reads as blanks ("NA", "null") are missing to ingest too:
            # not "not numbers" (sweep 56c F10).
            # ... and "None" in a column not kept as text, as ingest reads it (the verification).
            given = frame[col].notna() & (stripped != "") & \
                ~stripped.isin([*CSV_MISSING, "None", *self.missing.get(col, [])]) \
                .fillna(False).astype(bool)
            read = numbers[col] if col in numbers else \
                read_numbers(frame[col], self.decimal, col in self.clock) \
                if col in self.numeric \
                else parse_dates(frame[col], self.formats.get(col) or "ISO8601")
            lost = given & read.isna()
            if col in self.numeric and self.decimal == ",":
                # 25.069 is twenty-five thousand and sixty-nine where the mark is a comma, as
                # ingest reads it; a client that writes points meant 25.069, and was read x1000
                # beside 25.06 read right, without a word (sweep 29).
                grouped = stripped.str.fullmatch(ONE_POINT_GROUP).fillna(False).astype(bool)
                if grouped.any():
                    examples = frame[col][grouped].astype("string").unique()[:3].tolist()
                    notes.append(f"column {col!r}: {int(grouped.sum())} of {len(frame)} "
                                 f"value(s) read as thousands grouped by a point, e.g. "
                                 f"{examples} (data.decimal is ','): send numbers as numbers, "
                                 "or text with the decimal comma")
            if lost.any():
                what = "not numbers" if col in self.numeric else (
                    f"not dates written {self.formats.get(col) or 'ISO 8601'}")
                examples = frame[col][lost].astype("string").unique()[:3].tolist()
                notes.append(f"column {col!r}: {int(lost.sum())} of {len(frame)} value(s) are "
                             f"{what}, e.g. {examples}; read as missing")
        for col in self.categorical:
            if col not in frame.columns:
                continue
            levels = [str(v) for v in self.levels[col]]
            few = 2 <= len(levels) <= KNOWN_LEVELS
            given = level_text(frame[col])
            text = as_known_levels(levels, given) if few else given
            lost = respelled(levels, given) if few else pd.Series(False, index=frame.index)
            # A level no training row held is missing to the model: said (sweep 29: a state
            # the model never saw, or a number sent for a text column, passed silently).
            stripped = frame[col].astype("string").str.strip()
            # A "not known" mark the table used ("n/a") is missing, as ingest reads it, not a
            # level never learnt (sweep 52c).
            unseen = (frame[col].notna() & (stripped != "")
                      & ~stripped.isin([*CSV_MISSING, *self.missing.get(col, [])])
                      & ~text.isin(levels)
                      & ~lost).fillna(False).astype(bool)
            if unseen.any():
                examples = frame[col][unseen].astype("string").unique()[:3].tolist()
                notes.append(f"column {col!r}: {int(unseen.sum())} of {len(frame)} value(s) "
                             f"are levels no training row held, e.g. {examples}; read as "
                             "missing")
            if lost.any():
                examples = frame[col][lost].astype("string").unique()[:3]
                read = as_known_levels(levels, pd.Series(examples))
                # A spelling shared by two known levels is neither: missing, and said so.
                spelt = ", ".join(f"{_shown_apart(a, b)} as {b!r}" if b in levels else
                                  f"{a!r} as missing (it spells more than one)"
                                  for a, b in zip(examples, read, strict=True))
                notes.append(f"column {col!r}: {int(lost.sum())} of {len(frame)} value(s) "
                             f"spell a known level otherwise; read as the level each "
                             f"spells, e.g. {spelt}")
        return notes

    def labels(self, frame: pd.DataFrame, source: str = "batch") -> np.ndarray:
        """Class indices (binary: 1 = the positive class) or float values."""
        if self.target not in frame.columns:
            raise DataError(f"{source}: no target column {self.target!r}")
        y = frame[self.target]
        if self.task == REGRESSION:
            values = pd.to_numeric(y, errors="coerce").to_numpy(dtype="float64")
            if not np.isfinite(values).all():
                raise DataError(f"{source}: column {self.target!r}: missing, non-numeric or "
                                "infinite target values")
            return values
        index = {str(c): i for i, c in enumerate(self.classes)}
        codes = y.astype("string").map(index)
        if codes.isna().any():
            bad = y[codes.isna()].astype("string").iloc[0]
            raise DataError(f"{source}: column {self.target!r}: value {bad!r} is not a known "
                            f"class ({', '.join(map(str, self.classes))})")
        return codes.to_numpy(dtype="int64")


def target_range(spec: Any, frame: pd.DataFrame) -> list[float] | None:
    """A regression target's lowest and highest value in `frame` (Schema.target_range)."""
    if spec.task != REGRESSION or spec.target not in frame.columns:
        return None
    values = pd.to_numeric(frame[spec.target], errors="coerce").to_numpy(dtype="float64")
    values = values[np.isfinite(values)]
    return [float(values.min()), float(values.max())] if len(values) else None


def informative_parts(values: pd.Series, zone: str | None = None) -> list[str]:
    """The date parts that carry information in a column of date-times (in its zone): no hour
    where every time is midnight, no day of week or of year where every date is a month's
    first (dates standing for months), no month where every date is 1 January (years), and
    no day of year or month where the dates span less than a year: a season not seen whole
    is no season to learn, and the next batch's days lie past every one trained on (sweep 27:
    an hourly weather table trained January-August scored October at RMSE 2.2 with them, 0.34
    without; they return once the window holds a year)."""
    when = pd.to_datetime(values, utc=True, errors="coerce").dropna()
    if when.empty:
        return list(DATE_PARTS)
    if zone:
        when = when.dt.tz_convert(zone)
    drop: set[str] = set()
    if ((when.dt.hour == 0) & (when.dt.minute == 0) & (when.dt.second == 0)).all():
        drop.add("hour")
    if (when.dt.day == 1).all():
        drop.update({"dayofweek", "dayofyear"})
        if (when.dt.month == 1).all():
            drop.add("month")
    if not spans_a_year(when):
        drop.update({"dayofyear", "month"})
    return [p for p in DATE_PARTS if p not in drop]


def spans_a_year(when: pd.Series) -> bool:
    """Whether date-times (no NaT) span a year: 360 days or more (1 January to 31 December is
    364), or every month (twelve monthly batches dated on the first span 334 days: the
    review). A season not seen whole is no season to learn (informative_parts)."""
    return bool(when.max() - when.min() >= pd.Timedelta(days=360)
                or when.dt.month.nunique() >= 12)


def target_center(spec: Any, frame: pd.DataFrame) -> list[float] | None:
    """A regression target's mean and median in `frame` (Schema.target_center)."""
    if spec.task != REGRESSION or spec.target not in frame.columns:
        return None
    values = pd.to_numeric(frame[spec.target], errors="coerce").to_numpy(dtype="float64")
    values = values[np.isfinite(values)]
    return [float(values.mean()), float(np.median(values))] if len(values) else None


def _classes(spec: Any, frame: pd.DataFrame) -> list[Any]:
    if spec.task == REGRESSION:
        return []
    if spec.classes:  # frozen at init: a class missing from this window keeps its index
        return list(spec.classes)
    values = label_values(frame[spec.target])
    if spec.task == BINARY:
        positive = spec.positive_class
        if positive is None:
            raise DataError("data.positive_class: a binary task needs its positive class")
        others = [v for v in values if str(v) != str(positive)]
        if len(others) > 1:
            raise DataError(f"column {spec.target!r}: a binary target has {len(values)} values "
                            f"({', '.join(map(str, values))}); use task: multiclass")
        negative = others[0] if others else None
        return [negative, positive]
    assert spec.task == MULTICLASS
    return values


def plain(value: Any) -> Any:
    """numpy scalars to Python ones, for LightGBM, MLflow and JSON."""
    return value.item() if isinstance(value, np.generic) else value


def _shown_apart(sent: str, known: str) -> str:
    """A sent spelling as a reader can tell it from the known level: where both look alike
    (another Unicode form, a non-breaking space), its escapes (sweep 33: "'Lév+5‑FU ☤' as
    'Lév+5‑FU ☤'")."""
    import unicodedata

    if unicodedata.normalize("NFKC", sent) == unicodedata.normalize("NFKC", known) or \
            sent.strip() == known.strip():
        return f"{ascii(sent)} (as sent, escaped)"
    return repr(sent)
