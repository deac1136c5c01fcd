"""Validating one batch with Great Expectations against the project's suite, and keeping a
rejected batch in quarantine with its report.

A batch that cannot even be read, or that its prepare hook cannot turn into a table, gets a
failed report naming the file and the problem, like one that fails its suite. Every run writes
GX Data Docs (HTML) and a result JSON under the validation folder. In the Data Docs each
validation is a run named after the batch file and its content hash, of the data asset named
after the suite's dataset; the pages open offline (tuneloop.data_docs).
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from tuneloop.config import ValidateConfig
from tuneloop.data_docs import make_offline
from tuneloop.features import (
    FALSE_WORDS,
    TRUE_WORDS,
    as_known_levels,
    known_spelling,
    respelled,
)
from tuneloop.io import atomic_dir, file_md5, write_json
from tuneloop.suite import (
    FEATURE_MEDIAN_FACTOR,
    FEATURE_MEDIAN_MOVE,
    FEATURE_TAIL_FACTOR,
    FOLLOWED,
    TARGET_MEDIAN_RULES,
    Suite,
    allowed_null_share,
    build_suite,
    expectations,
    kind_matches,
)
from tuneloop.table.dates import date_format

RESULTS_DIR = "results"  # one JSON per run, named by its time stamp
# The GX data source of the batches tuneloop hands to GX (frames read from batch files), and
# its batch definition: each batch file is validated whole.
DATA_SOURCE = "batch_files"
BATCH_DEFINITION = "whole_file"
HASH_CHARS = 12  # of the batch's md5 in its run name (the ledger has the full hash)


@dataclass(frozen=True)
class Failure:
    expectation: str
    column: str | None
    observed: str

    def line(self, source: str) -> str:
        where = f"column {self.column!r}" if self.column else "table"
        return f"{source}: {where}: {self.expectation} failed ({self.observed})"


# The order a batch's failed checks are told in: causes before their consequences. A renamed
# column or a changed type is the whole story, and labels spelt otherwise (1/0 for
# True/False) make the positive rate read 0: a user reading the rate first looked for the
# wrong problem.
_CAUSES = (("expect_table_columns_to_match_set", "leakage guard"),  # the column set
           ("column type", "date format"),
           ("expect_column_values_to_be_in_set", "level spelling", "unknown levels"))


def by_cause(failures: list[Failure]) -> list[Failure]:
    """The failures, column set first, then types, then classes and spellings, then the rest
    (each group in the order it was checked)."""
    def rank(failure: Failure) -> int:
        return next((i for i, group in enumerate(_CAUSES) if failure.expectation in group),
                    len(_CAUSES))
    return sorted(failures, key=rank)


@dataclass(frozen=True)
class ValidationReport:
    source: str
    success: bool
    result_id: str
    rows: int
    evaluated: int
    failures: list[Failure]
    seconds: float
    suite: str
    error: str | None = None  # the batch could not be read at all
    data_docs: str | None = None
    gx_result: str | None = None
    report: str | None = None
    validated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        if self.error:
            return [self.error]
        return [f.line(self.source) for f in self.failures]


def _unparsed(info: dict[str, Any]) -> str:
    written = "ISO 8601" if info["format"] == "ISO8601" else info["format"]
    examples = _distinct(info["examples"])
    if examples and all(str(v).strip().isdigit() and len(str(v).strip()) <= 2
                        for v in examples):
        # A time of whole years sent as 88 for 1988: init says to add the century; the batch
        # was told of ISO 8601, a format the user never wrote (sweep 23).
        return (f"{info['count']} value(s) are whole numbers of two digits, e.g. "
                f"{_short(examples)}: if they are two-digit years, write the century (1988, "
                "not 88), as the first data did")
    # Which knob reads another format: a Parquet-made project's first CSV batch of the same
    # source (01.07.2017) was refused, and only editing data.date_formats let it in (sweep 29).
    other = info["reads_as"] if "reads_as" in info else date_format(
        pd.Series([str(v) for v in examples], dtype="string")) if examples else None
    swapped = info.get("also_reads_as")
    if other is not None and other != info["format"] and swapped is not None:
        hint = (f"; they read as dates written {other}, and as {swapped} too (every day is 12 "
                "or less: the text cannot tell day from month): set data.date_formats in "
                "params.yaml to the one your export writes (served text dates are then read "
                "so too)")
    elif other is not None and other != info["format"]:
        hint = (f"; they read as dates written {other}: if later batches are written so, set "
                f"data.date_formats in params.yaml to {other!r} (served text dates are then "
                "read so too)")
    else:
        hint = ""
    return (f"{info['count']} value(s) are text that is not a date written {written}, e.g. "
            f"{_short(examples)}{hint}")


def _bound(value: Any) -> str:
    """A suite's bound in a line, to six significant digits: "0.43333333333333335..870.0"
    (sweep 58b)."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _distinct(values: list[Any], shown: int = 3) -> list[Any]:
    """The first `shown` different values: "e.g. ['maybe', 'maybe', 'maybe']" showed one value
    as if three. By their text, so missing values (NaN is no NaN's equal) count once."""
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(repr(_plain(value)), value)
    return list(seen.values())[:shown]


def _out_of_range(values: pd.Series, low: float | None, high: float | None,
                  target: bool = False) -> str | None:
    """A range failure by the bound each value crossed, and where the bound comes from: "14
    unexpected value(s), e.g. [-1.0, -2.0]" named no bound at all. None: none crossed (the
    caller keeps GX's words)."""
    numbers = pd.to_numeric(values, errors="coerce")
    told = []
    for side, name, bound in (("below", "minimum", low), ("above", "maximum", high)):
        if bound is None:
            continue
        crossed = numbers < bound if side == "below" else numbers > bound
        if not crossed.any():
            continue
        # init_suite gives a column that never went negative a minimum of 0 (counts,
        # amounts, ages); other bounds were written into the suite by hand.
        why = (" (tuneloop init sets it for a column that never went negative in the data it "
               "read; if the column may, delete its `min: 0` in the suite file, validate.suite, "
               "and send the batch again with `tuneloop ingest --retry FILE`)"
               if name == "minimum" and bound == 0 else
               " (tuneloop init sets a regression target's maximum at ten times the largest "
               "value it read: a placeholder such as 9999, or a total line? if such values "
               "are real, raise or delete its `max` in the suite file, validate.suite, and "
               "send the batch again with `tuneloop ingest --retry FILE`)"
               if name == "maximum" and target else "")
        share = crossed.sum() / numbers.notna().sum()  # of the values given, as GX counts
        told.append(f"{int(crossed.sum())} value(s) ({100 * share:.2f}%) {side} "
                    f"{bound:g}, the suite's {name} for the column{why}, e.g. "
                    f"{_short(_distinct(numbers[crossed].tolist()))}")
    return "; ".join(told) or None


def _median_rule(suite: Suite, median: float) -> str:
    """Why the bound a batch's target median crossed is there: the span of the first data,
    or the floor or ceiling of a target that was always above, or never below, zero."""
    said = "the suite's target_median: "
    rules = suite.target_median_rules
    if not rules or suite.target_median is None:
        # A suite made before the rules were kept: the wording of then, which names the span.
        return said + TARGET_MEDIAN_RULES["span"]
    low, high = suite.target_median
    side, rule = ("lower", rules[0]) if median < low else ("upper", rules[1])
    return f"{said}its {side} bound is {TARGET_MEDIAN_RULES[rule]}"


def _percent(share: float) -> str:
    return "none" if share <= 0 else f"{100 * share:.3g}%"


def _blanks(result: dict[str, Any], allowed: float, max_null_fraction: float,
            loosable: bool = True) -> str:
    """A not-null failure as the share blank and the share allowed: its examples were all
    the same blank ("e.g. [<NA>, <NA>, <NA>]")."""
    count, rows = result.get("unexpected_count", 0), result.get("element_count") or 0
    share = count / rows if rows else 0.0
    widened = (f" (max_null_fraction {max_null_fraction:g}, widened for a batch of {rows} rows)"
               if allowed > max_null_fraction + 1e-6 else "")
    return (f"{100 * share:.1f}% blank ({count} of {rows} value(s)), the suite allows "
            f"{_percent(allowed)}{widened}" + (
                "; if such batches are expected, raise the column's max_null_fraction in the "
                "suite file (validate.suite) and send the batch again (`tuneloop ingest --retry "
                "FILE`)" if loosable else ""))


def _respelt_columns(batch: list[Any], known: list[str]) -> list[tuple[str, str]]:
    """(batch name, suite name) of each column the batch names otherwise only in case,
    spacing or underscores (`Churn` or `churn ` for `churn`)."""
    def plain(name: Any) -> str:
        return re.sub(r"[\s_]+", "_", str(name).strip().lower())

    absent = {plain(k): k for k in known if k not in batch}
    return [(str(b), absent[plain(b)]) for b in batch
            if b not in known and plain(b) in absent]


def _names(names: list[Any], shown: int = 8) -> str:
    """A list of column names, the first `shown` of them and how many there are in all."""
    if len(names) <= shown:
        return repr(names)
    return f"{repr(names[:shown])[:-1]}, ...] ({len(names)} in all)"


def _short(value: Any, limit: int = 160) -> str:
    text = repr(_plain(value))
    return text if len(text) <= limit else text[:limit] + "...]"


def _plain(value: Any) -> Any:
    """Numpy's scalars as Python's: 155.0, not np.float64(155.0), in a message."""
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value.item() if hasattr(value, "item") and hasattr(value, "dtype") else value


def _levels(levels: list[str], shown: int = 6) -> str:
    """The first known levels, and how many there are when not all are shown."""
    more = f" (of {len(levels)})" if len(levels) > shown else ""
    return _short(levels[:shown]) + more


def _observed(result: dict[str, Any]) -> str:
    mismatched = (result.get("details") or {}).get("mismatched")
    if mismatched:
        # A few names each: every header upper-cased made a line of 7,808 characters
        # listing 250 names twice (sweep 27).
        return "; ".join(f"{k} {_names(sorted(v))}" for k, v in sorted(mismatched.items())
                         if v)
    if result.get("unexpected_count"):
        sample = _distinct(result.get("partial_unexpected_list", []))
        share = result.get("unexpected_percent")
        pct = f" ({share:.2f}%)" if isinstance(share, float) else ""
        return f"{result['unexpected_count']} unexpected value(s){pct}, e.g. {_short(sample)}"
    if "observed_value" in result:
        return f"observed {_short(result['observed_value'])}"
    return "see the report"


# A known-levels column whose known levels are under this share of a batch's values (of at
# least MIN_ROWS_FOR_LEVELS values; of fewer, none known of at least 5) rejects the batch.
KNOWN_AT_LEAST = 0.1
MIN_ROWS_FOR_LEVELS = 30
# Only for a column of at most this many levels: one of hundreds (campaign codes, SKUs) may be
# replaced batch by batch, and a batch of new codes is no changed export.
VANISHING_LEVELS = 50


def _not_numbers(kind: str, values: pd.Series) -> str:
    """For a number column read as text: which values are not numbers (a new '??' mark, a
    unit), so the line says what to fix, not only the dtype."""
    if kind not in ("int", "float"):
        return ""
    from tuneloop.batches import DECIMAL_COMMA, THOUSANDS

    text = values.dropna().astype("string").str.strip()
    # 12,96 and 1,234 are numbers to the readers; one other value kept them text: name it.
    written = text.str.fullmatch(DECIMAL_COMMA) | text.str.fullmatch(THOUSANDS)
    bad = text[pd.to_numeric(text, errors="coerce").isna() & ~written.fillna(False)]
    if bad.empty:
        if text.str.fullmatch(r"[-+]?\d+").fillna(False).all():
            # Whole numbers kept as text: no decimal mark's doing (sweep 25 was told so).
            return (f": numbers kept as text, e.g. {_short(text.unique()[:3].tolist())} (a "
                    "code with a leading zero keeps a column text): write them as numbers"
                    if len(text) else "")
        # Every value is a number to one convention or the other (0,570 in a project of
        # decimal points): show what was read, so the mark can be compared with data.decimal.
        return (f": read as text, e.g. {_short(text.unique()[:3].tolist())}: numbers written "
                "with the other decimal mark than the project's (data.decimal in params.yaml)"
                if len(text) else "")
    from tuneloop.batches import missing_markers

    marks = "\\N" in set(bad) or missing_markers(bad, len(text))
    return (f": {len(bad)} value(s) not numbers, e.g. {_short(bad.unique()[:3].tolist())}"
            + (": if they mark a missing value, list them under this column in "
               "data.missing_values (params.yaml) to read them as missing" if marks else ""))


def is_label(values: pd.Series, label: Any) -> pd.Series:
    """Which values are the class `label`: as numbers where the column is numeric (a CSV's
    2.0 is class 2, as the value-set check reads it: counted as text, a batch written as its
    init file was had "0 of 400" positives: sweep 23), else as text."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        try:
            return (values == float(label)).fillna(False).astype(bool)
        except (TypeError, ValueError):
            pass
    return (values.astype("string") == str(label)).fillna(False).astype(bool)


def _new_classes(target: pd.Series, kwargs: dict[str, Any]) -> str:
    """Why a target value outside the classes rejects the batch: another spelling of a known
    class (yes for Yes: an export changed), or a new class (a new project)."""
    classes = [str(c) for c in kwargs.get("value_set") or []]
    other = target[respelled(classes, target.astype("string"))] if classes else target[:0]
    new = target[target.notna() & ~target.astype("string").isin(classes)
                 & ~target.index.isin(other.index)]
    folded = {c.strip().lower() for c in classes}
    if len(new) and len(classes) == 2 and folded & TRUE_WORDS and folded & FALSE_WORDS:
        # True/false words are read as the classes once every label is one (stages.ingest):
        # beside a label that is no class, they are not what is wrong (sweep 53c: 'Yes' named
        # as misspelt beside 'nope', though 'Yes' alone had been accepted).
        words = other.astype("string").str.strip().str.lower()
        other = other[~words.isin(TRUE_WORDS | FALSE_WORDS).fillna(False).to_numpy()]
    given = sorted(target.dropna().astype("string").unique().tolist())
    if len(classes) == 2 and len(given) == 2 and set(given) != set(classes) and not len(other):
        # Two labels for two classes, coded otherwise (1/2 for 0/1): mapping only the new one,
        # as "a new class" suggests, would turn the other's meaning around (sweep 31).
        return (f"the batch's labels are {_levels(given)} where the classes are "
                f"{_levels(classes)}: the same two classes coded otherwise? recode the batch "
                "as the classes are written (which label is which is yours to say: mapping "
                "one alone would turn the other's meaning around)")
    if len(other):
        return (f"{len(other)} label(s) spell a known class otherwise, e.g. "
                f"{_short(other.astype('string').unique()[:3].tolist())} where the classes are "
                f"{_levels(classes)}: fix the export (the classes were fixed when the project "
                "was made, data.classes)"
                + (f"; and {len(new)} are no class at all, e.g. "
                   f"{_short(new.astype('string').unique()[:3].tolist())}" if len(new) else ""))
    return ("the classes were fixed when the project was made (data.classes): a model cannot "
            "learn a class on the fly, so a new one means a new project (tuneloop init) or a "
            "relabelled batch")


def schema_failures(frame: pd.DataFrame, suite: Suite, cfg: ValidateConfig,
                    positive_class: Any = None) -> tuple[list[Failure], list[str]]:
    """Leakage guard, column types and the binary positive rate, checked before GX; return the
    failures and the declared columns present with the right type (the only ones GX's column
    expectations then run on)."""
    failures = [Failure("leakage guard", col, "a forbidden column (data.forbid): it must never "
                        "reach the model") for col in suite.forbidden_columns
                if col in frame.columns]
    usable = []
    for name, spec in suite.columns.items():
        if name not in frame.columns:
            continue
        if kind_matches(spec.type, frame[name]) or (spec.type == "string"
                                                     and spec.max_null_fraction >= 1.0):
            # A text column seen (nearly) empty holds whatever comes: stored as text (conform).
            usable.append(name)
        else:
            failures.append(Failure("column type", name, f"expected {spec.type}, observed "
                                    f"dtype {frame[name].dtype}"
                                    f"{_not_numbers(spec.type, frame[name])}"))
    for name in usable:
        levels = suite.columns[name].levels
        if not levels or not len(frame):
            continue
        mask = respelled(levels, frame[name])
        allowed = allowed_null_share(suite.columns[name].max_null_fraction, len(frame))
        if mask.mean() > allowed:
            seen = frame[name][mask].astype("string").unique()[:3]
            # The level each spells first: the suite's first six levels left out the one a
            # value misspelt (sweep 27).
            pairs = ", ".join(f"{str(v)!r} for {known_spelling(levels, str(v))!r}"
                              if known_spelling(levels, str(v)) is not None else repr(str(v))
                              for v in seen)
            failures.append(Failure("level spelling", name, (
                f"{int(mask.sum())} value(s) ({100 * mask.mean():.1f}%) spell a known level "
                f"otherwise, e.g. {pairs}, where the suite knows "
                f"{_levels(levels)}; a model trained on the known spelling reads them as "
                f"missing (more than the column's max_null_fraction {allowed:g}): fix the "
                "export, or add them to the suite's levels if they are new")))
            continue
        text = frame[name].astype("string")
        present = int(text.notna().sum())
        known = int(text.isin(levels).sum())
        if len(levels) <= VANISHING_LEVELS and (
                known < KNOWN_AT_LEAST * present if present >= MIN_ROWS_FOR_LEVELS
                else present >= 5 and known == 0):
            # New levels pass, even most of a batch (a new city taking over); but a batch in
            # which the known levels all but vanish ('M'/'F' where the suite knows
            # 'male'/'female') is a changed export the model reads as all missing.
            # Told of the non-blank values, as the rule counts: "9 value(s) (0.8%) ... all but
            # vanish" read as a contradiction in a column mostly blank.
            unknown = text.notna() & ~text.isin(levels)
            seen = text[unknown].unique()[:3]
            failures.append(Failure("unknown levels", name, (
                f"{int(unknown.sum())} of its {present} non-blank value(s) are levels the "
                f"suite does not know, e.g. {_short(list(seen))} where it knows "
                f"{_levels(levels)}, and {'only ' + str(known) if known else 'none'} a known "
                "level: its known levels all but vanish, and the model reads the others as "
                "missing: fix the export, or, if they are new, add them to the suite's levels "
                "and send the batch again")))
    if positive_class is not None and suite.target in frame.columns and len(frame):
        hits = is_label(frame[suite.target], positive_class)
        positives, labelled = int(hits.sum()), int(frame[suite.target].notna().sum())
        low, high = positive_counts(labelled, cfg.positive_rate_min, cfg.positive_rate_max)
        classes = suite.target_values or []
        known = sum(int(is_label(frame[suite.target], c).sum()) for c in classes)
        # Labels spelt otherwise ('Yes' for 'yes') are named by the class check; "observed
        # 0.0000 (0 of 800)" beside it read as "no churners" (sweep 25).
        spelt_otherwise = bool(classes) and 2 * known < labelled
        if labelled and not spelt_otherwise and not low <= positives <= high:
            failures.append(Failure("positive rate", suite.target, (
                f"observed {positives / labelled:.4f} ({positives} of {labelled}), expected "
                f"{cfg.positive_rate_min}..{cfg.positive_rate_max} "
                "(validate.positive_rate_min/max)"
                + (f", or from {low} to {high} positives in a batch of {labelled} rows"
                   if low or high < labelled else ""))))
    return failures, usable


POSITIVE_RATE_ODDS = 1e-6  # a batch at the bounds' rates strays past these counts this seldom


def positive_counts(rows: int, rate_min: float, rate_max: float) -> tuple[int, int]:
    """The positives a batch of `rows` may hold: the rates validate allows, widened by what
    sampling does to a batch that size (a batch at rate_min holds fewer than `low` positives,
    or one at rate_max more than `high`, about once in a million). On large batches this is
    the rate range itself; a small one of a rare class may hold none."""
    from scipy.stats import binom

    low = int(binom.ppf(POSITIVE_RATE_ODDS, rows, rate_min)) if rate_min > 0 else 0
    high = int(binom.isf(POSITIVE_RATE_ODDS, rows, rate_max)) if rate_max < 1 else rows
    return low, min(rows, high)


def _gx_context(gx_root: Path) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(gx_root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _batch_definition(context: Any, asset_name: str) -> Any:
    """The whole-dataframe batch definition of the suite's asset, made where missing."""
    try:
        source = context.data_sources.get(DATA_SOURCE)
    except KeyError:
        source = context.data_sources.add_pandas(DATA_SOURCE)
    asset = next((a for a in source.assets if a.name == asset_name), None) \
        or source.add_dataframe_asset(asset_name)
    return next((b for b in asset.batch_definitions if b.name == BATCH_DEFINITION), None) \
        or asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)


def _docs_site(context: Any) -> Path | None:
    index = next(iter(context.get_docs_sites_urls()), {}).get("site_url")
    return Path(index.removeprefix("file://")).parent if index else None


def _docs_page(site: Path | None, identifier: Any) -> str | None:
    if site is None:
        return None
    suite_name, run, run_time, batch = identifier.to_tuple()
    page = site / "validations" / suite_name / run / run_time / f"{batch}.html"
    return str(page if page.is_file() else site / "index.html")


def run_name(source: str, md5: str | None) -> str:
    """The GX run name of a batch: its file name and content hash, e.g.
    `batch-2024-01.parquet@4513acf238f6`. It becomes a folder and a link of the Data Docs,
    so anything but letters, digits and `._-` turns into `_`."""
    name = re.sub(r"[^\w.-]", "_", Path(source).name, flags=re.ASCII) or "batch"
    return f"{name}@{md5[:HASH_CHARS]}" if md5 else name


def _build_docs(context: Any, identifier: Any, result: Any, asset: str, source: str,
                md5: str | None, since: float) -> Path | None:
    """Build the Data Docs pages of one result (what GX's UpdateDataDocsAction does), after
    recording which asset and file it validated: GX's validation page reads the asset only
    from `batch_kwargs` (a fluent data source leaves it out: the page said "Data asset: None"),
    and the index shows these on hovering the Batch ID. Then make the pages open offline."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    result.meta["batch_kwargs"] = {"datasource": DATA_SOURCE, "data_asset_name": asset,
                                   "path": source, "md5": md5}
    context.validation_results_store.set(identifier, result)
    context.build_data_docs(resource_identifiers=[
        identifier, ExpectationSuiteIdentifier(name=identifier.expectation_suite_identifier.name)])
    site = _docs_site(context)
    if site is not None:  # the pages this build wrote, a second early for coarse file times
        make_offline(site, since=since - 1.0)
    return site


def run_gx(frame: pd.DataFrame, suite: Suite, cfg: ValidateConfig, source: str, gx_root: Path,
        positive_class: Any = None, md5: str | None = None) -> ValidationReport:
    """Validate an in-memory batch with real Great Expectations (a file-backed context under
    gx_root, which keeps every result and its Data Docs page). The run is named after the
    batch file and its md5 (computed here when not given), the data asset after the suite's
    dataset."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    build_started = time.time()
    started = time.perf_counter()
    # Dates a CSV held as text that is not a date (batches._read_csv): taken off the frame, so
    # they are not written into the stored batch's metadata.
    unparsed: dict[str, Any] = frame.attrs.pop("unparsed_dates", {}) or {}
    failures, usable = schema_failures(frame, suite, cfg, positive_class)
    for col in (c for c in suite.columns if c in unparsed):
        # A value that is not a date is no blank to allow: said as what it is, for the time
        # (which orders the batches) and any other date column (a batch of US dates in an
        # ISO project read "100.0% blank", first told to allow more blanks: sweep 27).
        failures.append(Failure("date format", col, _unparsed(unparsed[col])))
    context = _gx_context(gx_root)
    # One asset per suite, kept: re-making the data source for each run dropped the asset of a
    # suite given once on the command line (`validate --suite`), and its checkpoint, left
    # behind, printed ~36 lines of "Skipping Bad Configs" at every later run.
    batch_def = _batch_definition(context, suite.name)
    # Replace rather than update: add_or_update diffs every expectation pairwise (slow), and
    # each batch may get a different suite (mistyped columns are left to the schema check).
    for factory in (context.checkpoints, context.validation_definitions, context.suites):
        if any(item.name == suite.name for item in factory.all()):
            factory.delete(suite.name)
    gx_suite = context.suites.add(build_suite(suite.name, expectations(
        suite, cfg, usable, rows=len(frame))))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch_def, suite=gx_suite))
    # BASIC: counts and a sample of unexpected values, without SUMMARY's value counts.
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name=suite.name, validation_definitions=[definition], result_format="BASIC"))
    if md5 is None and Path(source).is_file():
        md5 = file_md5(Path(source))
    run_id = RunIdentifier(run_name=run_name(source, md5), run_time=datetime.now(UTC))
    outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id)
    identifier, result = next(iter(outcome.run_results.items()))
    site = _build_docs(context, identifier, result, suite.name, source, md5, build_started)
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        exc = (item.exception_info or {}).get("exception_message")
        # An expectation that raised gives its first line only: one failure, one line.
        observed = (f"error: {exc.strip().splitlines()[0][:200]}" if exc
                    else _observed(item.result or {}))
        column = config.kwargs.get("column")
        if config.type == "expect_column_median_to_be_between" and column != suite.target \
                and (item.result or {}).get("observed_value") is None and not exc:
            continue  # no value in the column: nothing in another unit (its blanks are checked)
        if config.type == "expect_column_values_to_not_be_null" and not exc:
            observed = _blanks(item.result or {}, 1.0 - config.kwargs.get("mostly", 1.0),
                               suite.columns[column].max_null_fraction,
                               column not in (suite.target, suite.id, suite.time))
        if config.type == "expect_column_values_to_be_between" and not exc:
            observed = _out_of_range(frame[column], config.kwargs.get("min_value"),
                                     config.kwargs.get("max_value"),
                                     column == suite.target) or observed
        if config.type == "expect_table_row_count_to_be_between":
            dropped = frame.attrs.get("unlabelled")  # stages.ingest dropped them before
            few = (item.result or {}).get("observed_value") is not None and \
                item.result["observed_value"] < (config.kwargs.get("min_value") or 0)
            # Every other line names a way out; this one did not, and a user sending one
            # season of 30 rows to a project of 104-row batches had none (sweep 27).
            observed = (f"{observed}, expected {config.kwargs.get('min_value')}.."
                        f"{config.kwargs.get('max_value')} (validate.min_rows/max_rows)"
                        + (f", after {dropped} row(s) without a target were dropped"
                           if dropped else "")
                        + ("; if batches this small are expected, lower validate.min_rows in "
                           "params.yaml (init sets it from the size of its own batches), or "
                           "send several periods in one file" if few else ""))
        elif config.type == "expect_table_columns_to_match_set" and \
                (respelt := _respelt_columns(list(frame.columns), list(suite.columns))):
            # Every header upper-cased listed 15 columns missing and 15 unexpected, and said
            # nothing of why (sweep 25).
            batch_name, suite_name = respelt[0]
            observed = (f"{observed}; {len(respelt)} of them differ from the suite's names only "
                        f"in case or spacing (e.g. {batch_name!r} for {suite_name!r}): write the "
                        "header as the project has it")
        elif config.type == "expect_table_columns_to_match_set" and \
                suite.target not in frame.columns:
            observed = (f"{observed}; the target {suite.target!r} is among them: every batch "
                        "carries its labels")
        elif config.type == "expect_table_columns_to_match_set" and \
                "missing [" in observed and "unexpected [" not in observed:
            # An excluded column (a row number init left out of the model) missing from a
            # later export was refused with nothing more (sweep 23).
            observed = (f"{observed}; every batch carries every column of the suite, features "
                        "or not (data.exclude keeps a column out of the model, not out of the "
                        "batch): send it, or, if it is no feature and will not come again, "
                        "remove it from the suite's columns")
        elif config.type == "expect_table_columns_to_match_set" and \
                "unexpected [" in observed and "missing [" not in observed:
            observed = (f"{observed}; the columns were fixed when the project was made (the "
                        "suite): drop it from the file, or, to learn from a new column, make "
                        "a new project with it (tuneloop init)")
        elif config.type == "expect_column_median_to_be_between" and column == suite.target \
                and not isinstance((item.result or {}).get("observed_value"), int | float):
            # No labelled row (an empty batch): nothing to take a median of; the bound's rule
            # is beside the point (it named the span rule of older suites; sweep 21).
            observed = "no labelled rows, so no median to check"
        elif config.type == "expect_column_median_to_be_between" and column == suite.target:
            observed = (f"{observed}, expected {_bound(config.kwargs.get('min_value'))}.."
                        f"{_bound(config.kwargs.get('max_value'))} ("
                        f"{_median_rule(suite, (item.result or {}).get('observed_value'))}); "
                        "labels in another unit?")
        elif config.type == "expect_column_median_to_be_between":
            low = config.kwargs.get('min_value')
            # Which bound held is not kept in the suite: both rules are said (sweep 50c: the
            # percentile rule was named where the median's had set the bound).
            move = (f", within the larger of the median x {FEATURE_MEDIAN_MOVE} and the 95th "
                    f"x {FEATURE_TAIL_FACTOR} (mirrored below)")
            rule = (f"0 to the 95th percentile of the values above zero init saw x "
                    f"{FEATURE_MEDIAN_FACTOR}" if low == 0 else
                    f"the 5th percentile init saw / {FEATURE_MEDIAN_FACTOR} to its 95th x "
                    f"{FEATURE_MEDIAN_FACTOR}") + move
            spec = suite.columns.get(column)
            if spec is not None and spec.followed:
                rule += f", {FOLLOWED}"
            observed = (f"{observed}, expected {_bound(low)}.."
                        f"{_bound(config.kwargs.get('max_value'))} (the suite's median for "
                        f"this column: {rule}); a feature in another unit?")
        elif config.type == "expect_column_values_to_be_in_set" and column == suite.target:
            observed = f"{observed}; {_new_classes(frame[column], config.kwargs)}"
        elif config.type == "expect_column_values_to_not_be_null" and column == suite.target:
            observed = (f"{observed}; rows without a label are dropped up to half of a "
                        "batch, and more were blank here (a target lost in an export?)")
        if column in unparsed and config.type == "expect_column_values_to_not_be_null":
            # The nulls were text that is not a date (said on its own line): this one only
            # for the blanks beyond them, where they alone break the allowance.
            blank = int((item.result or {}).get("unexpected_count") or 0)
            allowed = 1.0 - config.kwargs.get("mostly", 1.0)
            if blank - unparsed[column]["count"] <= allowed * len(frame):
                continue
            observed = (f"{observed.partition(', e.g.')[0]}; of them "
                        f"{_unparsed(unparsed[column])}")
        if config.type == "expect_column_median_to_be_between" and column == suite.target \
                and not isinstance((item.result or {}).get("observed_value"), int | float) \
                and any(f.column == suite.target for f in failures):
            continue  # no labelled row: its blank line says so already (one cause, one line)
        failures.append(Failure(config.type, config.kwargs.get("column"), observed))
    if any(f.column == suite.target and f.expectation == "expect_column_median_to_be_between"
           for f in failures):
        # Labels in another unit cross the target's maximum too: the median's line says it,
        # one cause, one line (a negative label is still said on its own).
        failures = [f for f in failures if not (
            f.column == suite.target and f.expectation == "expect_column_values_to_be_between"
            and " below " not in f.observed)]
    gx_result = Path(context.root_directory) / "uncommitted" / "validations" / Path(
        *identifier.to_tuple()).with_suffix(".json")
    return ValidationReport(
        source=source, success=not failures, result_id=str(identifier), rows=len(frame),
        evaluated=len(result.results) + len(suite.columns) + len(suite.forbidden_columns),
        failures=by_cause(failures),
        seconds=round(time.perf_counter() - started, 3), suite=suite.name,
        data_docs=_docs_page(site, identifier),
        gx_result=str(gx_result) if gx_result.is_file() else None)


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def unreadable(source: str, suite: Suite, error: str) -> ValidationReport:
    """The report of a batch that could not be read or prepared at all."""
    return ValidationReport(source=source, success=False, result_id=f"unreadable/{stamp()}",
                            rows=0, evaluated=0, failures=[], seconds=0.0, suite=suite.name,
                            error=error)


def save_report(report: ValidationReport, reports_dir: Path) -> ValidationReport:
    """Write the report JSON under reports_dir/results; return it with its path."""
    target = reports_dir / RESULTS_DIR / f"{stamp()}.json"
    report = replace(report, report=str(target))
    write_json(target, report.to_dict())
    return report


def quarantine(batch: Path, report: ValidationReport, quarantine_dir: Path) -> Path:
    """Keep a rejected batch and its report together; the folder appears complete or not at all."""
    target = quarantine_dir / f"{stamp()}-{batch.name}"
    with atomic_dir(target) as tmp:
        if batch.is_file():
            shutil.copy2(batch, tmp / batch.name)
        elif batch.is_dir():
            shutil.copytree(batch, tmp / batch.name)
        write_json(tmp / "report.json", {**report.to_dict(), "quarantined_from": str(batch)})
    return target


def stored_as_known_notes(frame: pd.DataFrame, suite: Suite) -> list[str]:
    """What batches.conform changes in an accepted batch, in words: values of a text column
    spelling a known level otherwise (stored as the level; more than the column's blank
    share is refused above), and columns the suite does not declare (not stored). Sweep 58c:
    20 commune codes written '90' for '090' were stored as written, and a retrain learnt 19
    duplicate levels; an `interview` column let in by allow_extra_columns became a feature
    blank on every training row."""
    notes = []
    for name, spec in suite.columns.items():
        if spec.type != "string" or not spec.levels or name not in frame.columns:
            continue
        # What conform writes (as_known_levels), not respelled's mask: a spelling two known
        # levels share ('MALE' where init saw 'Male' and 'male') is stored as written (the
        # review: "stored as that level ('MALE' as None)").
        text = frame[name].astype("string")
        mask = (as_known_levels(spec.levels, frame[name]) != text).fillna(False)
        if mask.any():
            seen = text[mask].unique()[:3]
            pairs = ", ".join(f"{str(v)!r} as {known_spelling(spec.levels, str(v))!r}"
                              for v in seen)
            notes.append(f"{int(mask.sum())} value(s) of {name!r} spell a known level "
                         f"otherwise: stored as that level ({pairs})")
    extra = [c for c in frame.columns if c not in suite.columns]
    if extra:
        notes.append(f"column(s) {_short(extra)} not in the suite (validate.suite) left out of "
                     "the stored batch: allow_extra_columns lets such a batch in, but a "
                     "column no check covers, blank in every earlier batch, is no feature (to "
                     "learn it, make a project whose first data holds it: tuneloop init)")
    return notes
