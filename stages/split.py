"""split: by batch into train, validation (scored by tuning) and holdout (never seen by tuning).

The holdout is the newest `holdout_batches` batches of the window and the validation the
`valid_batches` before them, so everything tuning sees came before the holdout.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stages._cli import run_main, stage_parser
from tuneloop.config import Params, SplitConfig
from tuneloop.errors import DataError
from tuneloop.features import BATCH_COLUMN
from tuneloop.io import read_parquet
from tuneloop.records import Splits, write_splits


def run(cfg: SplitConfig, dataset: pd.DataFrame, source: str = "dataset") -> Splits:
    batches = sorted(dataset[BATCH_COLUMN].unique().tolist())
    needed = cfg.valid_batches + cfg.holdout_batches + 1
    if len(batches) < needed:
        raise DataError(f"{source}: {len(batches)} batch(es) in the training window, split "
                        f"needs at least {needed} (split.valid_batches + split.holdout_batches "
                        f"+ 1 for training)")
    holdout = batches[-cfg.holdout_batches:]
    valid = batches[-needed + 1:-cfg.holdout_batches]
    batch = dataset[BATCH_COLUMN]
    return Splits(
        train=dataset[~batch.isin(valid + holdout)].reset_index(drop=True),
        valid=dataset[batch.isin(valid)].reset_index(drop=True),
        holdout=dataset[batch.isin(holdout)].reset_index(drop=True),
    )


def write(splits: Splits, splits_dir: Path) -> None:
    write_splits(splits, splits_dir)


def execute(params: Params, root: Path) -> None:
    dataset_path = root / params.paths.dataset
    write(run(params.split, read_parquet(dataset_path), str(dataset_path)),
          root / params.paths.splits_dir)


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
