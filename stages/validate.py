"""validate: run the Great Expectations suite on a batch; a failed suite stops the loop.

Writes the result (JSON) either way, so a rejected batch keeps its report; raises
ValidationFailed with one line per failed expectation naming the column and what was seen.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from stages._cli import run_main, stage_parser
from tuneloop.config import Params
from tuneloop.errors import ValidationFailed
from tuneloop.features import LEAKAGE_COLUMNS
from tuneloop.io import read_parquet, write_json
from tuneloop.suite import ExpectationSpec, build_suite, dataset_expectations


@dataclass(frozen=True)
class Failure:
    expectation: str
    column: str | None
    observed: str

    def line(self, source: str) -> str:
        where = f"column {self.column!r}" if self.column else "table"
        return f"{source}: {where}: {self.expectation} failed ({self.observed})"


@dataclass(frozen=True)
class ValidationReport:
    source: str
    success: bool
    result_id: str
    rows: int
    evaluated: int
    failures: list[Failure]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _observed(result: dict[str, Any]) -> str:
    if "observed_value" in result:
        return f"observed {result['observed_value']!r}"
    if result.get("unexpected_count"):
        sample = result.get("partial_unexpected_list", [])[:3]
        return f"{result['unexpected_count']} unexpected value(s), e.g. {sample!r}"
    return "see report"


def _leakage(frame: pd.DataFrame) -> list[Failure]:
    return [Failure("leakage guard", col, "post-departure column present; never a feature")
            for col in LEAKAGE_COLUMNS if col in frame.columns]


def run(frame: pd.DataFrame, specs: list[ExpectationSpec], source: str) -> ValidationReport:
    """Validate an in-memory batch with real Great Expectations (ephemeral context)."""
    import great_expectations as gx

    started = time.perf_counter()
    context = gx.get_context(mode="ephemeral")
    batch_def = (context.data_sources.add_pandas("tuneloop")
                 .add_dataframe_asset("batch").add_batch_definition_whole_dataframe("whole"))
    suite = context.suites.add(build_suite("flights", specs))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="flights", data=batch_def, suite=suite))
    result = definition.run(batch_parameters={"dataframe": frame})
    failures = _leakage(frame)
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        exc = (item.exception_info or {}).get("exception_message")
        observed = f"error: {exc}" if exc else _observed(item.result or {})
        failures.append(Failure(config.type, config.kwargs.get("column"), observed))
    return ValidationReport(
        source=source, success=not failures, result_id=uuid.uuid4().hex, rows=len(frame),
        evaluated=len(result.results), failures=failures,
        seconds=round(time.perf_counter() - started, 3))


def validate_file(path: Path, specs: list[ExpectationSpec], report_path: Path) -> ValidationReport:
    """Read, validate and write the report; raise ValidationFailed when the batch fails."""
    report = run(read_parquet(path), specs, str(path))
    write_json(report_path, report.to_dict())
    if not report.success:
        raise ValidationFailed("\n".join(f.line(str(path)) for f in report.failures))
    return report


def execute(params: Params, root: Path) -> ValidationReport:
    return validate_file(root / params.paths.dataset,
                         dataset_expectations(params.validate_, params.ingest),
                         root / params.paths.validation_report)


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
