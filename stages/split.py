"""split: by time into train, validation (scored by tuning) and holdout (never seen by tuning).

The holdout is the last `holdout_months` months of the dataset and the validation the
`valid_months` before it, so everything tuning sees is strictly earlier than the holdout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from stages._cli import run_main, stage_parser
from tuneloop.config import Params, SplitConfig
from tuneloop.errors import DataError
from tuneloop.io import read_parquet, write_parquet

SPLITS = ("train", "valid", "holdout")


@dataclass(frozen=True)
class Splits:
    train: pd.DataFrame
    valid: pd.DataFrame
    holdout: pd.DataFrame


def split_paths(splits_dir: Path) -> dict[str, Path]:
    return {name: splits_dir / f"{name}.parquet" for name in SPLITS}


def run(cfg: SplitConfig, dataset: pd.DataFrame, source: str = "dataset") -> Splits:
    months = sorted(dataset["month"].unique().tolist())
    needed = cfg.valid_months + cfg.holdout_months + 1
    if len(months) < needed:
        raise DataError(f"{source}: {len(months)} month(s) of data, split needs at least {needed} "
                        f"(split.valid_months + split.holdout_months + 1 for training)")
    holdout_months = months[-cfg.holdout_months:]
    valid_months = months[-needed + 1:-cfg.holdout_months]
    month = dataset["month"]
    return Splits(
        train=dataset[~month.isin(valid_months + holdout_months)].reset_index(drop=True),
        valid=dataset[month.isin(valid_months)].reset_index(drop=True),
        holdout=dataset[month.isin(holdout_months)].reset_index(drop=True),
    )


def write(splits: Splits, splits_dir: Path) -> None:
    for name, path in split_paths(splits_dir).items():
        write_parquet(path, getattr(splits, name))


def read(splits_dir: Path, names: tuple[str, ...] = SPLITS) -> dict[str, pd.DataFrame]:
    paths = split_paths(splits_dir)
    return {name: read_parquet(paths[name]) for name in names}


def execute(params: Params, root: Path) -> None:
    dataset_path = root / params.paths.dataset
    write(run(params.split, read_parquet(dataset_path), str(dataset_path)),
          root / params.paths.splits_dir)


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
