"""How long validating ~300k rows of the real data takes (the target: under 5 s). Prints, never
asserts: timings on a shared machine are noisy.

Run from the repository root::

    .venv/bin/python -m bench.validate_speed            # months 1-11 of 2013: ~300k real rows
    .venv/bin/python -m bench.validate_speed --repeat 3
    .venv/bin/python -m bench.validate_speed --last-month 2 --repeat 1   # a quick look

The batch is the bundled raw monthly flights files for January-November (data/incoming and
data/feed) joined into one raw batch file (~300k rows), turned into the project's table by its
prepare hook (params.yaml data.prepare: label, weather join, scheduling features), and validated
against data/suites/flights.yaml with the params.yaml thresholds, in a file-backed GX context in
a temporary folder. Reported: GX import (paid once per process), the validation itself (schema
checks + GX checkpoint, which also writes the result and its Data Docs page), and the whole
`tuneloop validate` path (read the raw file + prepare hook + validate + write the report).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FEED = (REPO / "data" / "incoming", REPO / "data" / "feed")  # the 12 bundled monthly batches


def month_file(month: int) -> Path:
    """The raw flights batch of one month of 2013, as shipped in the repository."""
    name = f"flights-2013-{month:02d}.parquet"
    return next(folder / name for folder in FEED if (folder / name).is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="validation runs (default 3)")
    parser.add_argument("--last-month", type=int, default=11,
                        help="one raw batch of months 1..this (1-12, default 11)")
    args = parser.parse_args(argv)
    if not 1 <= args.last_month <= 12:
        parser.error("--last-month must be 1..12")
    sys.path.insert(0, str(REPO))

    import pandas as pd

    from tuneloop.batches import apply_hook, load_hook, read_batch
    from tuneloop.config import load_params
    from tuneloop.suite import load_suite
    from tuneloop.validation import run_gx, save_report

    params = load_params(REPO / "params.yaml", {"validate.max_rows": 1_000_000})
    suite = load_suite(REPO / params.validate_.suite)
    hook = load_hook(params.data.prepare, REPO)
    raw = pd.concat([pd.read_parquet(month_file(m)) for m in range(1, args.last_month + 1)],
                    ignore_index=True)
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / f"flights-2013-01-{args.last_month:02d}.parquet"
        raw.to_parquet(batch, index=False)  # the raw batch file, as it would arrive
        frame = apply_hook(hook, raw, str(batch))
        started = time.perf_counter()
        import great_expectations  # noqa: F401  (timed apart: paid once per process)

        print(f"rows: {len(frame)}, columns: {frame.shape[1]}, "
              f"great_expectations import: {time.perf_counter() - started:.2f} s")
        gx_root = Path(tmp) / "r"
        for i in range(args.repeat):
            started = time.perf_counter()
            report = run_gx(frame, suite, params.validate_, str(batch), gx_root,
                            params.data.positive_class)
            seconds = time.perf_counter() - started
            print(f"run {i + 1}: validation (schema + GX checkpoint + Data Docs page) "
                  f"{seconds:.2f} s, {report.evaluated} checks, passed={report.success}")
            for line in report.lines()[:5]:
                print(f"  {line}")
        started = time.perf_counter()
        # What `tuneloop validate PATH` does: read, prepare hook, validate, write the report.
        prepared = apply_hook(hook, read_batch(batch, suite.datetime_columns()), str(batch))
        report = save_report(run_gx(prepared, suite, params.validate_, str(batch), gx_root,
                                    params.data.positive_class), gx_root)
        print(f"read + prepare + validate + write report (what `tuneloop validate` does): "
              f"{time.perf_counter() - started:.2f} s, passed={report.success}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
