"""UCI Adult (census income) loaded for the search-quality benchmark.

Raw files: ``data/raw/adult/adult.data.gz`` (train, 32,561 rows) and ``adult.test.gz`` (test,
16,281 rows; its first line is a comment and its labels end with ``.``). Values are separated by
``", "`` and missing values are ``?``. Source: UCI Machine Learning Repository (Becker & Kohavi,
1996), CC BY 4.0.

:func:`load_adult` returns ``(X_train, y_train, X_valid, y_valid, X_test, y_test)``:

* the official train file is split 80/20, stratified on the label with a fixed seed, into the
  tune-train part (trials fit on it) and the validation part (trials are scored and early-stopped
  on it);
* the official test file is the untouched test split, used only to score the configuration a
  tuner would pick (its best trial by validation AUC);
* the 8 text columns are pandas ``category`` columns whose levels come from the train file (a
  level seen only in test becomes missing); missing values (``?``) are NaN; the label is 1 for
  ``>50K``.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "raw" / "adult"

FEATURES: tuple[str, ...] = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
)
CATEGORICAL: tuple[str, ...] = (
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
)
NUMERIC: tuple[str, ...] = tuple(c for c in FEATURES if c not in CATEGORICAL)
LABEL = "income"
COLUMNS: tuple[str, ...] = (*FEATURES, LABEL)

TRAIN_ROWS = 32_561
TEST_ROWS = 16_281


class AdultSplits(NamedTuple):
    """The six arrays; unpacks like a plain tuple."""

    X_train: pd.DataFrame
    y_train: np.ndarray
    X_valid: pd.DataFrame
    y_valid: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray


def read_raw(path: Path, *, skip_first_line: bool = False) -> pd.DataFrame:
    """One raw Adult file as a DataFrame of strings (text columns) and numbers; ``?`` -> NaN."""
    frame = pd.read_csv(
        path,
        header=None,
        names=list(COLUMNS),
        sep=",",
        skipinitialspace=True,
        na_values=["?"],
        skiprows=1 if skip_first_line else 0,
        dtype={c: "string" for c in (*CATEGORICAL, LABEL)},
        compression="infer",
    )
    # The files end with blank lines; pandas already skips them, but be explicit about junk rows.
    frame = frame.dropna(subset=[LABEL]).reset_index(drop=True)
    for col in NUMERIC:
        frame[col] = frame[col].astype("float64")
    return frame


def _labels(raw: pd.Series) -> np.ndarray:
    text = raw.str.strip().str.rstrip(".")
    unknown = sorted(set(text.unique()) - {">50K", "<=50K"})
    if unknown:
        raise ValueError(f"unexpected income labels: {unknown}")
    return (text == ">50K").to_numpy(dtype=np.int32)


def load_frames(
    data_dir: Path = DEFAULT_DIR,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    """The official train and test files: ``(X_train_full, y_train_full, X_test, y_test)``."""
    train = read_raw(data_dir / "adult.data.gz")
    test = read_raw(data_dir / "adult.test.gz", skip_first_line=True)
    if len(train) != TRAIN_ROWS or len(test) != TEST_ROWS:
        raise ValueError(
            f"expected {TRAIN_ROWS} train and {TEST_ROWS} test rows, "
            f"got {len(train)} and {len(test)} in {data_dir}"
        )
    y_train = _labels(train[LABEL])
    y_test = _labels(test[LABEL])
    X_train = train[list(FEATURES)].copy()
    X_test = test[list(FEATURES)].copy()
    for col in CATEGORICAL:
        levels = sorted(X_train[col].dropna().unique())
        dtype = pd.CategoricalDtype(categories=levels)
        X_train[col] = X_train[col].astype("object").astype(dtype)
        X_test[col] = X_test[col].astype("object").astype(dtype)
    return X_train, y_train, X_test, y_test


def load_adult(
    data_dir: Path = DEFAULT_DIR, *, valid_fraction: float = 0.2, seed: int = 0
) -> AdultSplits:
    """``(X_train, y_train, X_valid, y_valid, X_test, y_test)``; see the module docstring.

    The tune-train / validation split is stratified and fixed by ``seed`` (the benchmark keeps it
    the same for every tuner and every tuner seed, so only the search differs).
    """
    X_full, y_full, X_test, y_test = load_frames(data_dir)
    idx_train, idx_valid = train_test_split(
        np.arange(len(X_full)), test_size=valid_fraction, stratify=y_full, random_state=seed
    )
    idx_train = np.sort(idx_train)
    idx_valid = np.sort(idx_valid)
    return AdultSplits(
        X_full.iloc[idx_train].reset_index(drop=True),
        y_full[idx_train],
        X_full.iloc[idx_valid].reset_index(drop=True),
        y_full[idx_valid],
        X_test,
        y_test,
    )


def describe(splits: AdultSplits) -> str:
    """One line per split: rows and positive rate."""
    lines = []
    for name, X, y in (
        ("tune-train", splits.X_train, splits.y_train),
        ("validation", splits.X_valid, splits.y_valid),
        ("test", splits.X_test, splits.y_test),
    ):
        lines.append(f"{name:>10}: {len(X):>6} rows, positive rate {y.mean():.4f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(describe(load_adult()))
