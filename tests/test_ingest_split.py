from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from stages import ingest, split
from tests.conftest import REPO
from tuneloop.config import Params
from tuneloop.errors import DataError
from tuneloop.features import FEATURES, KEY, LABEL, LEAKAGE_COLUMNS, category_levels, make_features


def test_ingest_keeps_scheduling_time_facts_only(ingested: ingest.IngestResult) -> None:
    data = ingested.dataset
    assert not set(LEAKAGE_COLUMNS) & set(data.columns)
    assert data[KEY].is_unique
    assert set(data[LABEL].unique()) <= {0, 1}
    assert data["month"].between(1, 6).all()
    assert (ingested.batch["month"] == 7).all()
    assert data["temp"].notna().mean() > 0.95  # the origin's weather joined in


def test_features_match_for_training_and_serving(ingested: ingest.IngestResult) -> None:
    levels = category_levels(ingested.dataset)
    x = make_features(ingested.batch, levels)
    assert list(x.columns) == list(FEATURES)
    assert isinstance(x["carrier"].dtype, pd.CategoricalDtype)


def test_split_is_by_time(small_params: Params, ingested: ingest.IngestResult) -> None:
    parts = split.run(small_params.split, ingested.dataset)
    assert parts.train["time_hour"].max() < parts.valid["time_hour"].min()
    assert parts.valid["time_hour"].max() < parts.holdout["time_hour"].min()
    assert len(parts.train) + len(parts.valid) + len(parts.holdout) == len(ingested.dataset)
    assert not set(parts.holdout[KEY]) & (set(parts.train[KEY]) | set(parts.valid[KEY]))


def test_split_needs_enough_months(small_params: Params, ingested: ingest.IngestResult) -> None:
    one_month = ingested.dataset[ingested.dataset["month"] == 1]
    with pytest.raises(DataError, match="dataset: 1 month.* split needs at least 3"):
        split.run(small_params.split, one_month)


def test_ingest_names_missing_file_and_column(small_params: Params, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope.parquet: file not found"):
        ingest.run(small_params.ingest, tmp_path / "nope.parquet",
                   REPO / "data/raw/weather.parquet")
    flights = pd.read_parquet(REPO / "data/raw/flights.parquet").drop(columns=["sched_dep_time"])
    flights.head(100).to_parquet(tmp_path / "flights.parquet")
    with pytest.raises(DataError, match=r"flights.parquet: missing column\(s\) sched_dep_time"):
        ingest.run(small_params.ingest, tmp_path / "flights.parquet",
                   REPO / "data/raw/weather.parquet")


def test_stage_main_prints_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "params.yaml").write_text("tune: {}\n")
    assert ingest.main(["--params", str(tmp_path / "params.yaml")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "params.yaml: " in err and "\n" not in err


def test_advance_moves_the_window_and_keeps_comments(tmp_path: Path) -> None:
    from stages import advance
    from tests.conftest import write_params
    from tuneloop.config import load_params
    from tuneloop.errors import ConfigError

    params_path = write_params(tmp_path, {})
    text = params_path.read_text()
    params_path.write_text("# my notes\n" + text)
    params = advance.execute(load_params(params_path), tmp_path, "params.yaml", 7)
    assert (params.ingest.last_month, params.ingest.batch_month) == (7, 8)
    assert params_path.read_text().startswith("# my notes\n")
    # The same drift event delivered again changes nothing: no month is skipped.
    again = advance.execute(params, tmp_path, "params.yaml", 7)
    assert (again.ingest.last_month, again.ingest.batch_month) == (7, 8)
    end = write_params(tmp_path, {"ingest.last_month": 11, "ingest.batch_month": 12})
    with pytest.raises(ConfigError, match="cannot advance to month 12"):
        advance.execute(load_params(end), tmp_path, "params.yaml", 12)
