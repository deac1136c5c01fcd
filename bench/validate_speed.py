"""How long validating ~300k rows of the real data takes (the target: under 5 s). Prints, never
asserts: timings on a shared machine are noisy.

Run from the repository root::

    .venv/bin/python -m bench.validate_speed            # months 1-11 of 2013: ~300k real rows
    .venv/bin/python -m bench.validate_speed --repeat 3

The batch is the real flights data ingested for January-November (~300k rows after the weather
join), validated against data/suites/flights.yaml with the params.yaml thresholds, in a
file-backed GX context in a temporary folder. Reported: reading the batch, GX import (paid once
per process), the validation itself (schema checks + GX checkpoint, which also writes the
result and its Data Docs page), and the whole `tuneloop validate` path (read + validate + report).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="validation runs (default 3)")
    parser.add_argument("--last-month", type=int, default=11, help="ingest months 1..this")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))

    from stages.validate import run, validate_path

    from stages import ingest
    from tuneloop.config import load_params
    from tuneloop.io import write_parquet
    from tuneloop.suite import Period, load_suite

    params = load_params(REPO / "params.yaml", {
        "ingest.last_month": args.last_month, "ingest.batch_month": 12,
        "validate.max_rows": 1_000_000})
    suite = load_suite(REPO / params.validate_.suite)
    period = Period.of_ingest(params.ingest)
    frame = ingest.run(params.ingest, REPO / params.paths.flights_raw,
                       REPO / params.paths.weather_raw).dataset
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "batch.parquet"
        write_parquet(batch, frame)
        started = time.perf_counter()
        import great_expectations  # noqa: F401  (timed apart: paid once per process)

        print(f"rows: {len(frame)}, columns: {frame.shape[1]}, "
              f"great_expectations import: {time.perf_counter() - started:.2f} s")
        for i in range(args.repeat):
            started = time.perf_counter()
            report = run(frame, suite, params.validate_, period, str(batch), Path(tmp) / "r")
            seconds = time.perf_counter() - started
            print(f"run {i + 1}: validation (schema + GX checkpoint + Data Docs page) "
                  f"{seconds:.2f} s, {report.evaluated} checks, passed={report.success}")
        started = time.perf_counter()
        report = validate_path(batch, suite, params.validate_, period, Path(tmp) / "r")
        print(f"read + validate + write report (what `tuneloop validate` does): "
              f"{time.perf_counter() - started:.2f} s, passed={report.success}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
