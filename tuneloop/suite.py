"""The Great Expectations suite for an ingested flights batch, built from params.yaml.

Plain data first (a list of expectation specs), GX objects only inside `build_suite`, so the
suite can be printed, diffed and tested without importing great_expectations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tuneloop.config import IngestConfig, ValidateConfig
from tuneloop.features import BATCH_COLUMNS, CATEGORICAL_FEATURES, KEY, LABEL, TIME

ORIGINS = ["EWR", "JFK", "LGA"]
NOT_NULL = (KEY, TIME, "year", "month", "day", "sched_dep_time", "sched_arr_time",
            *CATEGORICAL_FEATURES, "distance", LABEL)


@dataclass(frozen=True)
class ExpectationSpec:
    type: str  # GX class name, e.g. "ExpectColumnValuesToNotBeNull"
    kwargs: dict[str, Any] = field(default_factory=dict)


def period_bounds(first_month: int, last_month: int, year: int = 2013) -> tuple[str, str]:
    start = datetime(year, first_month, 1, tzinfo=UTC)
    end = datetime(year + (last_month == 12), last_month % 12 + 1, 1, tzinfo=UTC)
    # Flights are keyed by their scheduled local hour in UTC: allow the evening of the last
    # day (up to 5 h after midnight UTC) and nothing earlier than the first day.
    return start.isoformat(), end.replace(hour=5).isoformat()


def flight_expectations(cfg: ValidateConfig, months: tuple[int, int]) -> list[ExpectationSpec]:
    first, last = months
    start, end = period_bounds(first, last)
    return [
        ExpectationSpec("ExpectTableColumnsToMatchSet",
                        {"column_set": [*BATCH_COLUMNS, LABEL], "exact_match": True}),
        ExpectationSpec("ExpectTableRowCountToBeBetween",
                        {"min_value": cfg.min_rows, "max_value": cfg.max_rows}),
        *[ExpectationSpec("ExpectColumnValuesToNotBeNull", {"column": c}) for c in NOT_NULL],
        ExpectationSpec("ExpectColumnValuesToBeUnique", {"column": KEY}),
        ExpectationSpec("ExpectColumnValuesToBeInSet", {"column": LABEL, "value_set": [0, 1]}),
        ExpectationSpec("ExpectColumnMeanToBeBetween", {
            "column": LABEL, "min_value": cfg.positive_rate_min,
            "max_value": cfg.positive_rate_max}),
        ExpectationSpec("ExpectColumnValuesToBeInSet", {"column": "origin", "value_set": ORIGINS}),
        ExpectationSpec("ExpectColumnValuesToBeBetween",
                        {"column": "month", "min_value": first, "max_value": last}),
        ExpectationSpec("ExpectColumnValuesToBeBetween",
                        {"column": "sched_dep_time", "min_value": 0, "max_value": 2359}),
        ExpectationSpec("ExpectColumnValuesToBeBetween",
                        {"column": "sched_arr_time", "min_value": 0, "max_value": 2359}),
        ExpectationSpec("ExpectColumnValuesToBeBetween",
                        {"column": "distance", "min_value": 1, "max_value": 6000}),
        ExpectationSpec("ExpectColumnValuesToBeBetween",
                        {"column": "temp", "min_value": -40, "max_value": 130}),
        ExpectationSpec("ExpectColumnValuesToBeBetween",
                        {"column": "humid", "min_value": 0, "max_value": 100}),
        ExpectationSpec("ExpectColumnValuesToBeBetween",
                        {"column": "visib", "min_value": 0, "max_value": 50}),
        ExpectationSpec("ExpectColumnValuesToBeBetween",
                        {"column": TIME, "min_value": start, "max_value": end}),
    ]


def dataset_expectations(validate: ValidateConfig, ingest: IngestConfig) -> list[ExpectationSpec]:
    return flight_expectations(validate, (ingest.first_month, ingest.last_month))


def build_suite(name: str, specs: list[ExpectationSpec]) -> Any:
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name)
    for spec in specs:
        suite.add_expectation(getattr(gx.expectations, spec.type)(**spec.kwargs))
    return suite
