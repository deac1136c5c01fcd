"""The validation suite of a dataset: a YAML file (data/suites/NAME.yaml) plus params.yaml knobs.

The file holds the column contract (types, nulls, ranges, value sets, key, label, time column,
leakage columns); params.yaml holds the dataset-level thresholds (row counts, positive rate) and
the batch's declared period comes from `ingest`. `init_suite` bootstraps a file from a reference
batch, to be edited by hand. Expectations are plain data (ExpectationSpec) until `build_suite`
turns them into GX objects, so they can be printed, diffed and tested without importing GX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pandas.api import types as ptypes
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tuneloop.config import IngestConfig, ValidateConfig
from tuneloop.errors import ConfigError
from tuneloop.features import KEY, LABEL, LEAKAGE_COLUMNS, TIME

Kind = Literal["int", "float", "string", "datetime"]
MAX_CATEGORIES = 200  # a string column with at most this many distinct values gets a value set


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ColumnSpec(_Frozen):
    type: Kind
    max_null_fraction: float = Field(default=0.0, ge=0.0, le=1.0)
    min: float | None = None
    max: float | None = None
    values: list[str | int] | None = None


class Suite(_Frozen):
    name: str = Field(min_length=1)
    key: str
    label: str
    label_values: list[int]
    time: str
    allow_extra_columns: bool = False
    forbidden_columns: list[str] = Field(default_factory=list)
    columns: dict[str, ColumnSpec]

    @model_validator(mode="after")
    def _named_columns_exist(self) -> Suite:
        for role in ("key", "label", "time"):
            if getattr(self, role) not in self.columns:
                raise ValueError(f"{role} column {getattr(self, role)!r} is not in columns")
        leaks = sorted(set(self.forbidden_columns) & set(self.columns))
        if leaks:
            raise ValueError(f"forbidden column(s) {leaks} are also declared as columns")
        return self

    def datetime_columns(self) -> list[str]:
        return [name for name, col in self.columns.items() if col.type == "datetime"]


@dataclass(frozen=True)
class ExpectationSpec:
    type: str  # GX class name, e.g. "ExpectColumnValuesToNotBeNull"
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Period:
    """The time span a batch declares; its time column must lie inside it."""

    start: str
    end: str

    @classmethod
    def of_months(cls, first_month: int, last_month: int, year: int = 2013) -> Period:
        start = datetime(year, first_month, 1, tzinfo=UTC)
        end = datetime(year + (last_month == 12), last_month % 12 + 1, 1, tzinfo=UTC)
        # Flights are keyed by their scheduled local hour in UTC: allow the evening of the last
        # day (up to 5 h after midnight UTC) and nothing earlier than the first day.
        return cls(start.isoformat(), end.replace(hour=5).isoformat())

    @classmethod
    def of_ingest(cls, ingest: IngestConfig) -> Period:
        return cls.of_months(ingest.first_month, ingest.last_month)

    @classmethod
    def parse(cls, text: str) -> Period:
        """START..END, ISO dates or timestamps (UTC), e.g. 2013-01-01..2013-07-01T05:00."""
        try:
            start, end = (pd.Timestamp(part.strip()) for part in text.split(".."))
        except ValueError:
            raise ConfigError(f"period {text!r}: expected START..END as ISO dates") from None
        start, end = (t.tz_localize(UTC) if t.tzinfo is None else t for t in (start, end))
        if end <= start:
            raise ConfigError(f"period {text!r}: END must be after START")
        return cls(start.isoformat(), end.isoformat())


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


def column_kind(series: pd.Series) -> Kind | None:
    if ptypes.is_bool_dtype(series):
        return None
    if ptypes.is_integer_dtype(series):
        return "int"
    if ptypes.is_float_dtype(series):
        return "float"
    if ptypes.is_datetime64_any_dtype(series):
        return "datetime"
    if ptypes.is_string_dtype(series):
        return "string"
    return None


def kind_matches(expected: Kind, observed: Kind | None) -> bool:
    # An integer column read back as float only when it has missing values (CSV): a float
    # column holding whole numbers is fine, the reverse is not.
    return observed == expected or (expected == "float" and observed == "int")


def expectations(suite: Suite, cfg: ValidateConfig, period: Period,
                 columns: list[str] | None = None) -> list[ExpectationSpec]:
    """The GX expectations for a batch. `columns` (present with the right type) limits the
    per-column ones, so a missing or mistyped column is reported once, by the schema check."""
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
            mostly = round(1.0 - col.max_null_fraction, 6)
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
    if suite.key in usable:
        specs.append(ExpectationSpec("ExpectColumnValuesToBeUnique", {"column": suite.key}))
    if suite.label in usable:
        specs.append(ExpectationSpec("ExpectColumnValuesToBeInSet",
                                     {"column": suite.label, "value_set": suite.label_values}))
        specs.append(ExpectationSpec("ExpectColumnMeanToBeBetween", {
            "column": suite.label, "min_value": cfg.positive_rate_min,
            "max_value": cfg.positive_rate_max}))
    if suite.time in usable:
        specs.append(ExpectationSpec("ExpectColumnValuesToBeBetween", {
            "column": suite.time, "min_value": period.start, "max_value": period.end}))
    return specs


def build_suite(name: str, specs: list[ExpectationSpec]) -> Any:
    import great_expectations as gx

    # All expectations at construction: add_expectation on a suite a file context knows
    # persists the whole suite once per call (seconds for ~50 expectations).
    return gx.ExpectationSuite(name=name, expectations=[
        getattr(gx.expectations, spec.type)(**spec.kwargs) for spec in specs])


def _column_spec(series: pd.Series, kind: Kind, margin: float) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": kind}
    nulls = float(series.isna().mean())
    if nulls:
        # Leave room above what the reference showed; an all-null column still fails.
        spec["max_null_fraction"] = round(min(0.99, nulls + max(0.05, nulls * 0.25)), 3)
    present = series.dropna()
    if kind in ("int", "float") and len(present):
        low, high = float(present.min()), float(present.max())
        pad = (high - low) * margin
        # A column that never went negative stays non-negative (counts, distances, rates).
        spec["min"] = max(round(low - pad, 3), 0.0 if low >= 0 else float("-inf"))
        spec["max"] = round(high + pad, 3)
        if kind == "int":
            spec["min"], spec["max"] = int(spec["min"] // 1), int(-(-spec["max"] // 1))
    if kind == "string" and present.nunique() <= MAX_CATEGORIES:
        spec["values"] = sorted(str(v) for v in present.unique())
    return spec


def init_suite(frame: pd.DataFrame, name: str, margin: float = 0.1, key: str = KEY,
               label: str = LABEL, time: str = TIME) -> dict[str, Any]:
    """A suite (as plain data, ready for YAML) describing a reference batch: edit it by hand."""
    columns: dict[str, Any] = {}
    for col in frame.columns:
        kind = column_kind(frame[col])
        if kind is None:
            raise ConfigError(f"column {col!r}: unsupported dtype {frame[col].dtype} "
                              f"(supported: integer, float, string, datetime)")
        if col in LEAKAGE_COLUMNS:
            raise ConfigError(f"column {col!r}: a leakage column (known only after departure) "
                              f"cannot be part of a suite")
        columns[col] = _column_spec(frame[col], kind, 0.0 if col in (key, label) else margin)
    for role, col in (("key", key), ("label", label), ("time", time)):
        if col not in columns:
            raise ConfigError(f"column {col!r}: the {role} column is missing from the batch")
    columns[key].pop("values", None)  # a key is unique: a value set would only list it
    for role_col in (time,):
        columns[role_col].pop("min", None)
        columns[role_col].pop("max", None)
    labels = sorted(int(v) for v in frame[label].dropna().unique())
    return {"name": name, "key": key, "label": label, "label_values": labels, "time": time,
            "allow_extra_columns": False, "forbidden_columns": list(LEAKAGE_COLUMNS),
            "columns": columns}


def dump_suite(suite: dict[str, Any]) -> str:
    Suite.model_validate(suite)  # never write a file load_suite would refuse
    header = ("# Validation suite, bootstrapped by `tuneloop suite init` from a reference batch;\n"
              "# edit by hand. Row counts and positive-rate bounds live in params.yaml (validate)\n"
              "# and the period the time column must fall in comes from the batch (ingest).\n")
    return header + yaml.safe_dump(suite, sort_keys=False, default_flow_style=None, width=100)
