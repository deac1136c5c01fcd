"""split: by batch into train, validation (scored by tuning) and holdout (never seen by tuning).

The holdout is the newest `holdout_batches` batches of the window and the validation the
`valid_batches` before them, so everything tuning sees came before the holdout.
"""

from __future__ import annotations

import sys
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


# Fewer rows than this in the validation or the holdout set tell models apart by chance.
SMALL_PART_ROWS = 100


def small_parts(cfg: SplitConfig, splits: Splits) -> list[str]:
    """A line for a validation or holdout set too small to judge by, naming its knob (sweep
    31: monthly batches of 17-31 rows made each one month: a study tuned on 31 rows and the
    first model was gated on 17, without a word of their size)."""
    out = []
    for part, rows, knob, count in (("validation set", len(splits.valid), "valid_batches",
                                     cfg.valid_batches),
                                    ("holdout", len(splits.holdout), "holdout_batches",
                                     cfg.holdout_batches)):
        if rows < SMALL_PART_ROWS:
            out.append(f"the {part} holds {rows} rows ({count} batch(es)): too few to tell "
                       f"models apart; raise split.{knob} in params.yaml to judge on more")
    return out


def write(splits: Splits, splits_dir: Path) -> None:
    write_splits(splits, splits_dir)


def holdout_files(cfg: SplitConfig, dataset: pd.DataFrame, window: list[str]) -> list[str] | None:
    """The batch files of the holdout: the dataset numbers its batches by their place in the
    window (stack_batches), and the split runs on the dataset the window just made. None when
    the two disagree (a dataset older than the batches folder)."""
    numbers = sorted(dataset[BATCH_COLUMN].unique().tolist())
    if numbers != list(range(len(window))):
        return None
    return [window[n] for n in numbers[-cfg.holdout_batches:]]


def execute(params: Params, root: Path) -> list[str]:
    from tuneloop.batches import window_files
    from tuneloop.io import write_json
    from tuneloop.records import HOLDOUT_BATCHES

    dataset_path = root / params.paths.dataset
    dataset = read_parquet(dataset_path)
    splits_dir = root / params.paths.splits_dir
    splits = run(params.split, dataset, str(dataset_path))
    write(splits, splits_dir)
    said = small_parts(params.split, splits)
    for line in said:
        print(f"split: warning: {line}", file=sys.stderr)
    # What a hand promotion later gates on: batches may arrive after this split without a
    # retrain, and the split (not the newest batch) is the holdout the gate scores.
    names = holdout_files(params.split, dataset,
                          window_files(params.data, root / params.data.batches))
    if names is None:
        (splits_dir / HOLDOUT_BATCHES).unlink(missing_ok=True)
    else:
        write_json(splits_dir / HOLDOUT_BATCHES, names)
    return said  # the flow repeats them where the run's user reads (tuneloop run)


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
