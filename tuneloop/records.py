"""The records one stage hands the next, in one place: the splits, the tune result and the
evaluation report. Stages read and write them through here, so no stage imports another."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tuneloop.errors import DataError
from tuneloop.io import read_json, read_parquet, write_parquet

SPLITS = ("train", "valid", "holdout")


@dataclass(frozen=True)
class Splits:
    train: pd.DataFrame
    valid: pd.DataFrame
    holdout: pd.DataFrame


def split_paths(splits_dir: Path) -> dict[str, Path]:
    return {name: splits_dir / f"{name}.parquet" for name in SPLITS}


HOLDOUT_BATCHES = "holdout_batches.json"  # beside the splits: the batch files the holdout holds


def read_holdout_batches(splits_dir: Path) -> list[str] | None:
    """The accepted batch files the holdout split was cut from (None: not recorded, splits
    written before the record existed)."""
    path = splits_dir / HOLDOUT_BATCHES
    if not path.is_file():
        return None
    from tuneloop.io import read_json

    names = read_json(path)
    return [str(n) for n in names] if isinstance(names, list) else None


def write_splits(splits: Splits, splits_dir: Path) -> None:
    for name, path in split_paths(splits_dir).items():
        write_parquet(path, getattr(splits, name))


def read_splits(splits_dir: Path, names: tuple[str, ...] = SPLITS) -> dict[str, pd.DataFrame]:
    paths = split_paths(splits_dir)
    return {name: read_parquet(paths[name]) for name in names}


@dataclass(frozen=True)
class TuneResult:
    best_params: dict[str, Any]
    best_value: float
    best_trial: int
    best_iteration: int
    best_seed: int
    metric: str
    n_trials: int
    n_failed: int
    study_seed: int
    parent_run_id: str | None
    family: str = "lightgbm"
    n_pruned: int = 0
    n_refined: int = 0  # refinements completed (search/refine.py); failed ones are in n_failed
    best_refines: int | None = None  # the best trial is a refinement of this trial
    stop_reason: str = "max_trials"
    compute_seconds: float = 0.0
    overhead_seconds: float = 0.0
    failure_reasons: dict[str, int] | None = None
    propose_p50_s: float = 0.0  # proposal latency (strategy.ask) over the study
    propose_p95_s: float = 0.0
    mode: str = "cold"  # "warm": a re-tune at a share of the budget, seeded (stages/tune.py)
    n_seeds: int = 0  # configurations a warm re-tune re-ran first
    # Completed trials that broke a limit of `constraints:` (never selected), and the next
    # feasible trials by the metric, best first: evaluation takes the next one when the refitted
    # model breaks a limit (each: trial, params, seed, best_iteration, family, value).
    n_infeasible: int = 0
    candidates: list[dict[str, Any]] = field(default_factory=list)
    measures: dict[str, float] = field(default_factory=dict)  # the selected trial's
    # What the limits cost: the best completed trial's validation score minus the selected
    # one's, in the study's maximised terms (0: the best trial met every limit).
    constraint_cost: float = 0.0
    best_unconstrained_trial: int | None = None
    best_unconstrained_broke: str = ""  # the limits that trial broke, in words

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def load(cls, path: Path) -> TuneResult:
        return cls(**read_json(path))


def read_report(metrics_path: Path) -> dict[str, Any]:
    """The evaluate stage's metrics file, checked for the sections promotion needs."""
    report = read_json(metrics_path)
    for section in ("holdout", "model"):
        if not isinstance(report, dict) or not isinstance(report.get(section), dict):
            raise DataError(f"{metrics_path}: no {section!r} section (re-run the evaluate stage)")
    return report


def threads_per_trial(n_workers: int) -> int:
    from tuneloop.lgbm import cores

    return max(1, cores() // n_workers)


def frame_digest(frame: pd.DataFrame) -> str:
    """A short hash of a table: its columns, their types and every row, in order (a study's
    splits in its journal header; the rows a saved model was fit on)."""
    digest = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()])
                            .encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]
