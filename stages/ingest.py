"""ingest: raw NYC flights + hourly origin weather -> the pipeline's tabular input (Parquet).

Keeps only what is known at scheduling time, labels each flight `late` (arrival > 15 min after
schedule) and writes the training period and the next month (the drift batch) apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from stages._cli import run_main, stage_parser
from tuneloop.config import IngestConfig, Params
from tuneloop.errors import DataError
from tuneloop.features import BATCH_COLUMNS, KEY, LABEL, LATE_MINUTES, TIME, WEATHER_COLUMNS
from tuneloop.io import read_parquet, write_parquet

FLIGHT_COLUMNS = (
    "year", "month", "day", "sched_dep_time", "sched_arr_time", "carrier", "flight", "origin",
    "dest", "distance", "time_hour", "arr_delay",
)


@dataclass(frozen=True)
class IngestResult:
    dataset: pd.DataFrame
    batch: pd.DataFrame


def _require(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")


def _prepare(flights: pd.DataFrame, weather: pd.DataFrame, cfg: IngestConfig,
             months: range) -> pd.DataFrame:
    part = flights[flights["month"].isin(months) & flights["arr_delay"].notna()]
    if cfg.sample_fraction < 1.0:
        part = part.sample(frac=cfg.sample_fraction, random_state=cfg.seed)
    merged = part.merge(weather, on=["origin", TIME], how="left", validate="many_to_one")
    merged[LABEL] = (merged["arr_delay"] > LATE_MINUTES).astype("int8")
    merged[KEY] = (
        merged["year"].astype(str) + "-" + merged["month"].astype(str).str.zfill(2) + "-"
        + merged["day"].astype(str).str.zfill(2) + "-" + merged["carrier"]
        + merged["flight"].astype(str)
        + "-" + merged["origin"] + "-" + merged["sched_dep_time"].astype(str)
    )
    merged[TIME] = pd.to_datetime(merged[TIME], utc=True)
    merged = merged.drop_duplicates(KEY).sort_values([TIME, KEY], kind="stable")
    return merged[[*BATCH_COLUMNS, LABEL]].reset_index(drop=True)


def run(cfg: IngestConfig, flights_path: Path, weather_path: Path) -> IngestResult:
    """Read the raw tables and build the training-period dataset and the drift batch."""
    flights = read_parquet(flights_path)
    _require(flights, FLIGHT_COLUMNS, flights_path)
    weather = read_parquet(weather_path)
    _require(weather, ("origin", TIME, *WEATHER_COLUMNS), weather_path)
    # The raw weather table has a few repeated hours (DST change); keep one reading per hour.
    weather = weather[["origin", TIME, *WEATHER_COLUMNS]].drop_duplicates(["origin", TIME])
    dataset = _prepare(flights, weather, cfg, range(cfg.first_month, cfg.last_month + 1))
    batch = _prepare(flights, weather, cfg, range(cfg.batch_month, cfg.batch_month + 1))
    if dataset.empty:
        raise DataError(f"{flights_path}: no flights in months {cfg.first_month}..{cfg.last_month}")
    return IngestResult(dataset=dataset, batch=batch)


def write(result: IngestResult, dataset_path: Path, batch_path: Path) -> None:
    write_parquet(dataset_path, result.dataset)
    write_parquet(batch_path, result.batch)


def execute(params: Params, root: Path) -> None:
    p = params.paths
    # A candidate: the validate stage makes it the accepted dataset only if it passes.
    write(run(params.ingest, root / p.flights_raw, root / p.weather_raw),
          root / p.candidate, root / p.batch)


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
