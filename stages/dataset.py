"""dataset: the training window, the last `data.window` accepted batches (or all), as one table.

Batches are ordered by time when the spec names a time column (by their earliest row: a batch
that arrives late still lands in its place), else by arrival. Each row carries the batch it came
from (`tuneloop_batch`, 0 = oldest in the window), which the split stage cuts on. The written
file's DVC hash is the dataset version.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from stages._cli import run_main, stage_parser
from tuneloop.batches import (
    accepted_batches,
    in_time_order,
    stack_batches,
    training_window,
    window_files,
)
from tuneloop.config import DataConfig, Params
from tuneloop.errors import DataError
from tuneloop.io import read_parquet, write_parquet

__all__ = ["execute", "main", "run", "window_files"]


def run(spec: DataConfig, batches_dir: Path) -> pd.DataFrame:
    files = accepted_batches(batches_dir)
    if not files:
        raise DataError(f"{batches_dir}: no accepted batches yet (drop batch files into "
                        f"{spec.incoming} or run `tuneloop ingest FILE`)")
    window = training_window(spec, in_time_order(spec, files))
    frame = stack_batches([read_parquet(path) for path in window])
    # A spec edited to name columns the batches do not have would otherwise pass every stage
    # up to the study, and fail each of its trials.
    named = [("data.target", spec.target), ("data.id", spec.id), ("data.time", spec.time),
             *(("data.features", c) for c in spec.features or [])]
    _check_named(named, frame, batches_dir)
    # A misspelt exclusion leaves the column it meant a feature; but a raw column a prepare
    # hook drops, or one only older batches had, may be listed harmlessly: said, not refused.
    for name in spec.exclude:
        if name not in frame.columns:
            print(f"dataset: warning: data.exclude: no column {name!r} in the accepted batches "
                  "(a typo would leave the column meant a feature)", file=sys.stderr)
    return frame


def _check_named(named: list[tuple[str, str | None]], frame: pd.DataFrame,
                 batches_dir: Path) -> None:
    for key, name in named:
        if name is not None and name not in frame.columns:
            raise DataError(f"{key}: no column {name!r} in the accepted batches "
                            f"({batches_dir})")


def execute(params: Params, root: Path) -> int:
    """Write the window; return its row count."""
    dataset = run(params.data, root / params.data.batches)
    # Columns the evaluation reads: found missing here, not after a whole study.
    _check_named([*(("evaluate.slices", c) for c in params.evaluate.slices),
                  ("constraints.group_column", params.constraints.group_column),
                  ("data.group", params.data.group)],
                 dataset, root / params.data.batches)
    write_parquet(root / params.paths.dataset, dataset)
    return len(dataset)


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
