"""Batches arrive as files: ingest (prepare hook, real GX, ledger, quarantine), the dataset
stage's window of accepted batches in time order, and the split by batch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from stages import dataset, ingest, split
from tests.bad_batches import RAW_CASES
from tests.conftest import REPO, Ingested, flights_schema, make_project, raw_month, write_month
from tuneloop import jsonl
from tuneloop.batches import conform
from tuneloop.config import Params, SplitConfig, load_params
from tuneloop.errors import DataError, ValidationFailed
from tuneloop.features import BATCH_COLUMN
from tuneloop.io import file_md5
from tuneloop.records import read_splits
from tuneloop.suite import load_suite


def _empty_project(tmp_path: Path) -> tuple[Path, Params]:
    root = make_project(tmp_path / "project", months=())
    return root, load_params(root / "params.yaml")


def _ledger(root: Path, params: Params) -> list[dict]:
    return jsonl.read(root / params.paths.arrivals, "batch ledger")


def _batches(root: Path, params: Params) -> dict[str, str]:
    folder = root / params.data.batches
    return {p.name: file_md5(p) for p in sorted(folder.iterdir())} if folder.exists() else {}


def _prepared(month: int) -> pd.DataFrame:
    """What the flights project stores for a month: the hook's table, typed as the suite."""
    from hooks.flights import prepare

    return conform(prepare(raw_month(month)), load_suite(REPO / "data/suites/flights.yaml"))


def _local_months(times: pd.Series) -> list[int]:
    """The months of New York time (stored in UTC: a late evening is the next day in UTC)."""
    return sorted(int(m) for m in times.dt.tz_convert("America/New_York").dt.month.unique())


def test_good_month_is_accepted_into_batches_and_decided_once(tmp_path: Path) -> None:
    root, params = _empty_project(tmp_path)
    arrived = write_month(tmp_path / "arrived", 1)

    result = ingest.run(params, root, [arrived])
    (arrival,) = result.accepted
    assert result.rejected == [] and result.skipped == []
    assert arrival.stored_as == "data/batches/000001-flights-2013-01.parquet"
    stored = pd.read_parquet(root / arrival.stored_as)
    pd.testing.assert_frame_equal(stored, _prepared(1))
    assert arrival.rows == len(stored)
    assert not set(params.data.forbid) & set(stored.columns)  # post-departure facts dropped

    (entry,) = _ledger(root, params)
    assert entry["md5"] == file_md5(arrived) == arrival.md5
    assert entry["source"] == str(arrived) and entry["accepted"] is True
    assert entry["stored_as"] == arrival.stored_as and entry["rows"] == len(stored)
    assert entry["quarantined_in"] is None
    assert entry["validation_result_id"].startswith("ValidationResultIdentifier::flights/")
    report = json.loads(Path(entry["report"]).read_text())
    assert report["success"] is True and report["failures"] == []
    assert not (root / params.paths.quarantine_dir).exists()

    # The same file again, and the same content under another name: decided already.
    copy = tmp_path / "again" / "renamed.parquet"
    copy.parent.mkdir()
    shutil.copy(arrived, copy)
    again = ingest.run(params, root, [arrived, copy])
    assert again.arrivals == [] and again.skipped == [str(arrived), str(copy)]
    assert len(_ledger(root, params)) == 1
    assert list(_batches(root, params)) == ["000001-flights-2013-01.parquet"]


def test_execute_takes_the_incoming_folder_once(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", months=(2, 1))
    params = load_params(root / "params.yaml")
    first = ingest.execute(params, root)
    # Incoming files are taken in name order; each is stored under the next number.
    assert [a.stored_as for a in first.accepted] == [
        "data/batches/000001-flights-2013-01.parquet",
        "data/batches/000002-flights-2013-02.parquet"]
    second = ingest.execute(params, root)  # the next run sees the same files: nothing to do
    assert second.arrivals == [] and len(second.skipped) == 2
    assert len(_ledger(root, params)) == 2


def test_the_incoming_folder_holds_every_batch_type_the_readers_read(tmp_path: Path) -> None:
    """A gzipped CSV in data.incoming was passed over (the README: batches are Parquet, CSV or
    TSV, gzipped too); a file of another type (notes, a .json) is still left alone."""
    from types import SimpleNamespace

    folder = tmp_path / "incoming"
    folder.mkdir()
    for name in ("may.csv.gz", "June.TSV", "jul.parquet", "aug.pq", "notes.json", "x.gz"):
        (folder / name).write_bytes(b"x")
    params = SimpleNamespace(data=SimpleNamespace(incoming="incoming"))
    assert [f.name for f in ingest.incoming_files(params, tmp_path)] == [
        "June.TSV", "aug.pq", "jul.parquet", "may.csv.gz"]


def test_bad_batch_is_rejected_and_quarantined_and_batches_untouched(tmp_path: Path) -> None:
    root, params = _empty_project(tmp_path)
    ingest.execute(params, root, [write_month(tmp_path / "arrived", 1)])
    before = _batches(root, params)
    bad = RAW_CASES["out_of_range_distance"].build(raw_month(2), tmp_path)
    good = write_month(tmp_path / "arrived", 3)

    with pytest.raises(ValidationFailed) as info:
        ingest.execute(params, root, [bad, good])
    # One line for the rejected file: it, its failed check (the column), where it was kept.
    (line,) = str(info.value).splitlines()
    (kept,) = (root / params.paths.quarantine_dir).iterdir()
    rows = len(_prepared(2))
    assert line == (f"{bad}: column 'distance': expect_column_values_to_be_between failed "
                    f"(25 value(s) ({2500 / rows:.2f}%) below 1, the suite's minimum for the "
                    f"column, e.g. [-100]); "
                    f"batch and report kept in {kept}")
    assert file_md5(kept / bad.name) == file_md5(bad)
    report = json.loads((kept / "report.json").read_text())
    assert report["success"] is False and report["quarantined_from"] == str(bad)
    assert [f["column"] for f in report["failures"]] == ["distance"]

    # The bad batch added nothing; the good one after it was still handled and accepted.
    after = _batches(root, params)
    assert {k: v for k, v in after.items() if k in before} == before
    assert sorted(set(after) - set(before)) == ["000002-flights-2013-03.parquet"]
    ledger = _ledger(root, params)
    assert [(e["source"], e["accepted"]) for e in ledger[1:]] == [(str(bad), False),
                                                                  (str(good), True)]
    assert ledger[1]["quarantined_in"] == str(kept) and ledger[1]["stored_as"] is None

    # Delivered again, the rejected batch is not decided (nor quarantined) twice.
    again = ingest.execute(params, root, [bad])
    assert again.skipped == [str(bad)]
    assert again.rejected_before == {str(bad): str(kept)}
    assert len(list((root / params.paths.quarantine_dir).iterdir())) == 1
    assert _batches(root, params) == after

    # A new rejected file before the old one, and a twin of a new accepted one, in one call:
    # the quarantine folder overwrote the table of earlier rejections (AttributeError), and
    # the twin was skipped as "rejected, kept in None" (sweep 25).
    (tmp_path / "worse").mkdir()
    worse = RAW_CASES["out_of_range_distance"].build(raw_month(4), tmp_path / "worse")
    fresh = write_month(tmp_path / "arrived", 5)
    twin = tmp_path / "twin.parquet"
    twin.write_bytes(fresh.read_bytes())
    result = ingest.execute(params, root, [worse, bad, fresh, twin], stop=False)
    assert [(a.source, a.accepted) for a in result.arrivals] == [(str(worse), False),
                                                                 (str(fresh), True)]
    assert result.skipped == [str(bad), str(twin)]
    assert result.rejected_before == {str(bad): str(kept)}
    assert ingest.rejection(result) is not None


def test_missing_file_or_directory_is_one_line_and_decides_nothing(tmp_path: Path) -> None:
    root, params = _empty_project(tmp_path)
    missing = tmp_path / "nope.parquet"
    with pytest.raises(DataError) as info:
        ingest.run(params, root, [missing])
    assert str(info.value) == f"{missing}: file not found"
    folder = tmp_path / "folder.parquet"
    folder.mkdir()
    with pytest.raises(DataError) as info:
        ingest.run(params, root, [folder])
    assert str(info.value) == f"{folder}: is a directory, expected a Parquet or CSV file"
    assert _ledger(root, params) == []
    assert not (root / params.paths.quarantine_dir).exists()


def test_prepared_batches_keep_scheduling_time_facts_only(small_params: Params,
                                                          ingested: Ingested) -> None:
    data = ingested.dataset
    spec = small_params.data
    assert not set(spec.forbid) & set(data.columns)
    assert data[spec.id].is_unique
    assert set(data[spec.target].unique()) <= {0, 1}
    months = data.groupby(BATCH_COLUMN)[spec.time].agg(_local_months)
    assert months.tolist() == [[m] for m in range(1, 7)]
    assert _local_months(ingested.batch[spec.time]) == [7]
    assert data["temp"].notna().mean() > 0.95  # the origin's weather joined in


def test_features_match_for_training_and_serving(small_params: Params,
                                                 ingested: Ingested) -> None:
    schema = flights_schema(small_params, ingested.dataset)
    spec = small_params.data
    # Never features: the target, the id, forbidden columns, the loop's batch number.
    assert not {spec.target, spec.id, BATCH_COLUMN, *spec.forbid} & set(schema.inputs)
    assert schema.datetime == ["time_hour"] and "carrier" in schema.categorical
    train_x = schema.make_features(ingested.dataset)
    serve_x = schema.make_features(ingested.batch)
    assert list(train_x.columns) == list(serve_x.columns) == schema.features
    # Months of one year: the hour and the day of week, no month or day of year yet (a
    # season not seen whole: features.informative_parts).
    assert "time_hour__hour" in schema.features and "time_hour__dayofweek" in schema.features
    assert "time_hour__month" not in schema.features
    assert isinstance(serve_x["carrier"].dtype, pd.CategoricalDtype)
    assert list(serve_x["carrier"].cat.categories) == schema.levels["carrier"]
    assert set(schema.labels(ingested.batch)) <= {0, 1}


def test_dataset_window_is_in_time_order_and_moves_with_new_batches(tmp_path: Path) -> None:
    root, params = _empty_project(tmp_path)
    arrived = tmp_path / "arrived"
    # March arrives first, then January and February (late deliveries).
    ingest.execute(params, root, [write_month(arrived, m) for m in (3, 1, 2)])
    spec, batches = params.data, root / params.data.batches
    assert sorted(p.name for p in batches.iterdir()) == [
        "000001-flights-2013-03.parquet", "000002-flights-2013-01.parquet",
        "000003-flights-2013-02.parquet"]

    def months(frame: pd.DataFrame) -> list[list[int]]:
        by_batch = frame.groupby(BATCH_COLUMN)[spec.time]
        return by_batch.agg(_local_months).tolist()

    everything = dataset.run(spec, batches)  # data.window null: every accepted batch
    assert months(everything) == [[1], [2], [3]]
    assert everything[spec.time].is_monotonic_increasing
    assert everything[BATCH_COLUMN].tolist() == sorted(everything[BATCH_COLUMN])

    windowed = spec.model_copy(update={"window": 2})
    assert months(dataset.run(windowed, batches)) == [[2], [3]]
    # Without a time column, batches are in arrival order.
    untimed = spec.model_copy(update={"time": None})
    assert months(dataset.run(untimed, batches)) == [[3], [1], [2]]

    # A new month moves the window; the stage writes it as the dataset.
    ingest.execute(params, root, [write_month(arrived, 4)])
    assert months(dataset.run(windowed, batches)) == [[3], [4]]
    # (A window of 2 cannot hold a split: params.yaml takes at least 3.)
    windowed_params = load_params(root / "params.yaml", {"data.window": 3})
    rows = dataset.execute(windowed_params, root)
    written = pd.read_parquet(root / params.paths.dataset)
    assert rows == len(written) and months(written) == [[2], [3], [4]]


def test_dataset_without_accepted_batches_says_how_to_add_one(tmp_path: Path) -> None:
    root, params = _empty_project(tmp_path)
    with pytest.raises(DataError) as info:
        dataset.execute(params, root)
    assert str(info.value) == (f"{root / 'data/batches'}: no accepted batches yet (drop batch "
                               "files into data/incoming or run `tuneloop ingest FILE`)")


def test_split_is_by_batch_and_time(small_params: Params, ingested: Ingested) -> None:
    data = ingested.dataset
    parts = split.run(small_params.split, data)
    assert sorted(parts.train[BATCH_COLUMN].unique()) == [0, 1, 2, 3]
    assert parts.valid[BATCH_COLUMN].unique().tolist() == [4]
    assert parts.holdout[BATCH_COLUMN].unique().tolist() == [5]
    assert parts.train["time_hour"].max() < parts.valid["time_hour"].min()
    assert parts.valid["time_hour"].max() < parts.holdout["time_hour"].min()
    assert len(parts.train) + len(parts.valid) + len(parts.holdout) == len(data)
    key = small_params.data.id
    assert not set(parts.holdout[key]) & (set(parts.train[key]) | set(parts.valid[key]))

    wider = split.run(SplitConfig(valid_batches=2, holdout_batches=2), data)
    assert sorted(wider.train[BATCH_COLUMN].unique()) == [0, 1]
    assert sorted(wider.valid[BATCH_COLUMN].unique()) == [2, 3]
    assert sorted(wider.holdout[BATCH_COLUMN].unique()) == [4, 5]


def test_split_needs_enough_batches(small_params: Params, ingested: Ingested) -> None:
    two = ingested.dataset[ingested.dataset[BATCH_COLUMN] < 2]
    with pytest.raises(DataError) as info:
        split.run(small_params.split, two)
    assert str(info.value) == ("dataset: 2 batch(es) in the training window, split needs at "
                               "least 3 (split.valid_batches + split.holdout_batches + 1 for "
                               "training)")
    with pytest.raises(DataError, match=r"6 batch\(es\) .* needs at least 7 \(split"):
        split.run(SplitConfig(valid_batches=3, holdout_batches=3), ingested.dataset)


def test_split_execute_writes_the_three_parts(tmp_path: Path, small_params: Params,
                                              ingested: Ingested) -> None:
    from tuneloop.io import write_parquet

    write_parquet(tmp_path / small_params.paths.dataset, ingested.dataset)
    split.execute(small_params, tmp_path)
    parts = read_splits(tmp_path / small_params.paths.splits_dir)
    assert sorted(parts) == ["holdout", "train", "valid"]
    assert parts["holdout"][BATCH_COLUMN].unique().tolist() == [5]
    assert sum(len(f) for f in parts.values()) == len(ingested.dataset)


def test_stage_main_prints_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "params.yaml").write_text("tune: {}\n")
    assert ingest.main(["--params", str(tmp_path / "params.yaml")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "params.yaml: " in err and "\n" not in err


def test_a_hook_that_cannot_read_its_own_files_decides_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An infrastructure error inside the prepare hook (here: its weather table is gone) stops
    the step in one line; the batch is neither quarantined nor recorded as decided."""
    import sys

    from tuneloop.errors import DataError, TuneloopError

    project = make_project(tmp_path / "project", months=())
    (project / "hooks" / "weather.parquet").unlink()
    for name in [m for m in sys.modules if m == "hooks" or m.startswith("hooks.")]:
        monkeypatch.delitem(sys.modules, name)  # import the project's copy; restored after
    monkeypatch.setattr(sys, "path", [str(project), *sys.path])
    params = load_params(project / "params.yaml")
    batch = write_month(tmp_path / "in", 1)
    with pytest.raises(TuneloopError, match="the prepare hook could not read") as stopped:
        ingest.run(params, project, [batch])
    assert not isinstance(stopped.value, DataError)
    assert not (project / params.paths.arrivals).exists()
    assert not (project / params.paths.quarantine_dir).exists()
