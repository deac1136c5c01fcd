"""A corpus of bad batches derived from a good batch of the real flights data.

Each case writes one broken file into a folder at test time (nothing binary is committed) and
names the fragment the rejection message must contain: the column or the problem.

Two shapes, as batches reach tuneloop:
- RAW_CASES break a raw monthly flights file (data/incoming/flights-2013-MM.parquet), the way
  a batch arrives in the flights project: the prepare hook (hooks/flights.py) runs first, then
  the suite checks its output, so each break shows up in the prepared column it feeds.
- CASES break an already prepared batch (the table the suite describes), the way a batch
  arrives in a project without a prepare hook (`data.prepare: null`) or is checked directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

Builder = Callable[[pd.DataFrame, Path], Path]


@dataclass(frozen=True)
class Case:
    build: Builder
    expect: str  # a fragment the one-line message must contain, besides the file name


def _parquet(frame: pd.DataFrame, dest: Path, name: str = "batch.parquet") -> Path:
    path = dest / name
    frame.to_parquet(path, index=False)
    return path


def _edit(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Builder:
    return lambda good, dest: _parquet(change(good.copy()), dest)


def _set(column: str, value: object, rows: slice = slice(0, 25)) -> Builder:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        if isinstance(rows, slice) and rows == slice(None):
            frame[column] = value
        else:
            frame.loc[frame.index[rows], column] = value
        return frame
    return _edit(change)


def _truncated(good: pd.DataFrame, dest: Path) -> Path:
    path = _parquet(good, dest)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a copy cut off half way
    return path


def _empty(good: pd.DataFrame, dest: Path) -> Path:
    path = dest / "batch.parquet"
    path.write_bytes(b"")
    return path


def _bad_encoding(good: pd.DataFrame, dest: Path) -> Path:
    path = dest / "batch.csv"
    frame = good.head(200).copy()
    frame.loc[frame.index[:3], "dest"] = "Zürich"
    path.write_bytes(frame.to_csv(index=False).encode("latin-1"))
    return path


def _wrong_delimiter(good: pd.DataFrame, dest: Path) -> Path:
    # A header separated by ';' over rows separated by ',' (a ';' file alone reads as it is).
    path = dest / "batch.csv"
    rows = good.to_csv(index=False).splitlines()
    path.write_text("\n".join([rows[0].replace(",", ";"), *rows[1:]]) + "\n")
    return path


def _unknown_extension(good: pd.DataFrame, dest: Path) -> Path:
    path = dest / "batch.xlsx"
    # Not the bytes of the CSV named .parquet: ingest decides each content only once.
    good.head(60).to_csv(path, index=False)
    return path


def _directory(good: pd.DataFrame, dest: Path) -> Path:
    path = dest / "batch.parquet"
    path.mkdir()
    _parquet(good, path, "part-0.parquet")
    return path


def _csv_as_parquet(good: pd.DataFrame, dest: Path) -> Path:
    path = dest / "batch.parquet"
    good.head(50).to_csv(path, index=False)
    return path


def _parquet_as_csv(good: pd.DataFrame, dest: Path) -> Path:
    path = dest / "batch.csv"
    good.head(40).to_parquet(path, index=False)
    return path


def _xlsx_as_csv(good: pd.DataFrame, dest: Path) -> Path:
    # A workbook is a zip archive: its first bytes, then anything (no Excel writer needed).
    import zipfile

    path = dest / "batch.csv"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("xl/worksheets/sheet1.xml", good.head(30).to_csv(index=False))
    return path


def _duplicate_keys(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame.head(30)], ignore_index=True)


def _null_time(frame: pd.DataFrame) -> pd.DataFrame:
    # Rows without a time are dropped, as init drops them, up to half of a batch (sweep 26);
    # a batch mostly without times (a column lost in an export) is rejected.
    frame.loc[frame.index[: len(frame) // 2 + 25], "time_hour"] = pd.NaT
    return frame


def _csv_missing_label(good: pd.DataFrame, dest: Path) -> Path:
    path = dest / "batch.csv"
    good.drop(columns=["late"]).to_csv(path, index=False)
    return path


# Files that cannot even be read: the same cases whatever shape the table has.
_UNREADABLE = {
    "empty_file": Case(_empty, "empty file"),
    "truncated_parquet": Case(_truncated, "truncated Parquet"),
    "csv_named_parquet": Case(_csv_as_parquet, "not a Parquet file"),
    "bad_encoding": Case(_bad_encoding, "not UTF-8"),
    "wrong_delimiter": Case(_wrong_delimiter, "wrong delimiter"),
    "parquet_named_csv": Case(_parquet_as_csv, "a Parquet file: name it .parquet, not CSV"),
    "xlsx_named_csv": Case(_xlsx_as_csv, "a zip archive (an Excel .xlsx workbook?)"),
}

CASES: dict[str, Case] = {
    "missing_column": Case(_edit(lambda f: f.drop(columns=["distance"])), "distance"),
    "extra_column": Case(_edit(lambda f: f.assign(tailnum="N14228")), "tailnum"),
    # Text with a unit: numbers stored as plain strings ('1400') are numbers (sweep 25).
    "wrong_dtype": Case(_edit(lambda f: f.assign(distance=f["distance"].astype(str) + " mi")),
                        "column 'distance': column type"),
    "all_null_column": Case(_set("temp", np.nan, slice(None)), "column 'temp'"),
    "null_key": Case(_set("flight_id", None), "column 'flight_id'"),
    "out_of_range_distance": Case(_set("distance", -100), "column 'distance'"),
    "out_of_range_hour": Case(_set("dep_hour", 25), "column 'dep_hour'"),
    "unknown_origin": Case(_set("origin", "XXX"), "'XXX'"),
    "unknown_carrier": Case(_set("carrier", "ZZ"), "'ZZ'"),
    "inf_values": Case(_set("humid", np.inf), "column 'humid'"),
    "duplicated_keys": Case(_edit(_duplicate_keys), "column 'flight_id'"),
    "label_out_of_set": Case(_set("late", 2), "column 'late'"),
    "positive_rate_high": Case(_set("late", 1, slice(None)), "column 'late'"),
    "positive_rate_low": Case(_set("late", 0, slice(None)), "column 'late'"),
    "leakage_column": Case(_edit(lambda f: f.assign(dep_delay=3.0)), "leakage guard"),
    "null_time": Case(_edit(_null_time), "column 'time_hour'"),
    "too_few_rows": Case(_edit(lambda f: f.head(10)), "row_count"),
    **_UNREADABLE,
    # No batch to answer about (exit 2, nothing quarantined): not rejected batches.
    "directory": Case(_directory, "is a directory"),
    "unknown_extension": Case(_unknown_extension, "unknown extension .xlsx"),
    "csv_missing_label": Case(_csv_missing_label, "missing ['late']"),
}


# --- raw monthly files, through the flights prepare hook -----------------------------------


def _raw_shift_year(frame: pd.DataFrame) -> pd.DataFrame:
    # 2014 has no weather readings in hooks/weather.parquet: the join leaves them all missing.
    frame["time_hour"] = (pd.to_datetime(frame["time_hour"], utc=True)
                          + pd.DateOffset(years=1)).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return frame


def _raw_csv_without_arrivals(good: pd.DataFrame, dest: Path) -> Path:
    path = dest / "batch.csv"
    good.drop(columns=["arr_delay"]).to_csv(path, index=False)
    return path


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    # Rows without an arrival delay are dropped by the hook: break rows it keeps.
    return frame[frame["arr_delay"].notna()].reset_index(drop=True)


def _raw_set(column: str, value: object, rows: slice = slice(0, 25)) -> Builder:
    def build(good: pd.DataFrame, dest: Path) -> Path:
        frame = _labelled(good)
        if rows == slice(None):
            frame[column] = value
        else:
            frame.loc[frame.index[rows], column] = value
        return _parquet(frame, dest)
    return build


RAW_CASES: dict[str, Case] = {
    "missing_column": Case(_edit(lambda f: f.drop(columns=["distance"])), "distance"),
    "missing_arrivals": Case(_edit(lambda f: f.drop(columns=["arr_delay"])), "missing ['late']"),
    "wrong_dtype": Case(_edit(lambda f: f.assign(distance=f["distance"].astype(str))),
                        "column 'distance': column type"),
    "null_key": Case(_raw_set("carrier", None), "column 'flight_id'"),
    "out_of_range_distance": Case(_raw_set("distance", -100), "column 'distance'"),
    "out_of_range_hhmm": Case(_raw_set("sched_dep_time", 2575), "column 'dep_hour'"),
    "unknown_origin": Case(_raw_set("origin", "XXX"), "'XXX'"),
    "unknown_carrier": Case(_raw_set("carrier", "ZZ"), "'ZZ'"),
    "positive_rate_high": Case(_raw_set("arr_delay", 60.0, slice(None)), "column 'late'"),
    "positive_rate_low": Case(_raw_set("arr_delay", 0.0, slice(None)), "column 'late'"),
    "no_weather": Case(_edit(_raw_shift_year), "column 'temp'"),
    "too_few_rows": Case(_edit(lambda f: f.head(10)), "row_count"),
    **_UNREADABLE,
    "csv_without_arrivals": Case(_raw_csv_without_arrivals, "missing ['late']"),
}
