"""The data gate, with real Great Expectations on the real flights data: the good batch is
accepted with its report and Data Docs; `tuneloop validate`, `tuneloop suite init` and the suite
file give exit codes and one-line messages; `dvc repro` keeps the accepted data on a bad batch.
The corpus of bad batches runs in tests/test_lineage.py, against a project with a champion."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from tuneloop_cli.app import app
from typer.testing import CliRunner

from stages import ingest, validate
from tests.bad_batches import CASES
from tests.conftest import make_project
from tuneloop.config import Params, load_params
from tuneloop.errors import ConfigError, DataError, ValidationFailed
from tuneloop.io import file_md5
from tuneloop.suite import Period, load_suite


@pytest.fixture(scope="module")
def accepted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Params]:
    """A project whose ingested candidate passed validation and became the dataset."""
    root = make_project(tmp_path_factory.mktemp("gate") / "project")
    params = load_params(root / "params.yaml")
    ingest.execute(params, root)
    validate.execute(params, root)
    return root, params


def _snapshot(root: Path, params: Params) -> dict[str, str]:
    p = params.paths
    return {name: file_md5(root / path) for name, path in
            (("dataset", p.dataset), ("report", p.validation_report))}


def test_good_batch_is_accepted_with_report_and_data_docs(accepted: tuple[Path, Params]) -> None:
    root, params = accepted
    p = params.paths
    assert file_md5(root / p.dataset) == file_md5(root / p.candidate)
    report = json.loads((root / p.validation_report).read_text())
    assert report["success"] is True and report["failures"] == []
    assert report["rows"] == len(pd.read_parquet(root / p.dataset))
    assert report["evaluated"] > 40
    assert report["result_id"].startswith("ValidationResultIdentifier::flights/")
    assert Path(report["data_docs"]).is_file() and report["data_docs"].endswith(".html")
    assert Path(report["gx_result"]).is_file() and Path(report["report"]).is_file()
    assert "<html" in Path(report["data_docs"]).read_text().lower()
    assert not (root / p.quarantine_dir).exists()


def test_failed_expectations_get_one_line_each(accepted: tuple[Path, Params],
                                               tmp_path: Path) -> None:
    root, params = accepted
    frame = pd.read_parquet(root / params.paths.dataset)
    frame.loc[frame.index[:5], "origin"] = "XXX"
    frame.loc[frame.index[:7], "visib"] = -1.0
    bad = tmp_path / "two.parquet"
    frame.to_parquet(bad)
    with pytest.raises(ValidationFailed) as info:
        validate.accept(params, root, bad)
    lines = str(info.value).splitlines()
    assert lines[0] == (f"{bad}: column 'origin': expect_column_values_to_be_in_set failed "
                        f"(5 unexpected value(s) ({500 / len(frame):.2f}%), "
                        f"e.g. ['XXX', 'XXX', 'XXX'])")
    assert lines[1].startswith(f"{bad}: column 'visib': expect_column_values_to_be_between "
                               f"failed (7 unexpected value(s)")
    assert len(lines) == 3  # two failures and where the batch was kept


def _cli(*args: str) -> object:
    return CliRunner().invoke(app, [*args])


def test_cli_validate_exit_codes_lines_and_report_paths(accepted: tuple[Path, Params],
                                                        tmp_path: Path) -> None:
    root, params = accepted
    good = root / params.paths.dataset
    ok = _cli("validate", str(good), "--root", str(root))
    assert ok.exit_code == 0, ok.output
    out = ok.stdout.splitlines()
    assert out[0].startswith(f"{good}: passed: ")
    docs = next(line for line in out if line.startswith("data docs: "))
    result = next(line for line in out if line.startswith("result: "))
    assert Path(docs.removeprefix("data docs: ")).is_file()
    assert json.loads(Path(result.removeprefix("result: ")).read_text())["success"] is True

    bad = CASES["unknown_origin"].build(pd.read_parquet(good), tmp_path)
    failed = _cli("validate", str(bad), "--root", str(root))
    assert failed.exit_code == 1
    assert failed.stdout.splitlines()[0].startswith(
        f"{bad}: column 'origin': expect_column_values_to_be_in_set failed")
    assert "result: " in failed.stdout

    # The declared period decides: the good batch is outside a July-only period.
    july = _cli("validate", str(good), "--root", str(root), "--period", "2013-07-01..2013-08-01")
    assert july.exit_code == 1
    assert f"{good}: column 'time_hour': expect_column_values_to_be_between" in july.stdout


@pytest.mark.parametrize("case", ["empty_file", "truncated_parquet", "bad_encoding",
                                  "wrong_delimiter", "unknown_extension", "directory"])
def test_cli_unreadable_batch_is_one_line_exit_1(case: str, accepted: tuple[Path, Params],
                                                 tmp_path: Path) -> None:
    root, params = accepted
    bad = CASES[case].build(pd.read_parquet(root / params.paths.dataset), tmp_path)
    result = _cli("validate", str(bad), "--root", str(root))
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {bad}: ") and CASES[case].expect in line
    assert "Traceback" not in result.output


def test_cli_validate_reads_a_good_csv(accepted: tuple[Path, Params], tmp_path: Path) -> None:
    root, params = accepted
    csv = tmp_path / "batch.csv"
    pd.read_parquet(root / params.paths.dataset).to_csv(csv, index=False)
    result = _cli("validate", str(csv), "--root", str(root))
    assert result.exit_code == 0, result.output


def test_cli_bad_period_is_one_line(accepted: tuple[Path, Params]) -> None:
    root, params = accepted
    result = _cli("validate", str(root / params.paths.dataset), "--root", str(root),
                  "--period", "2013-07-01")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: period '2013-07-01': expected START..END as ISO "
                                     "dates")


def test_suite_init_bootstraps_a_suite_the_reference_passes(accepted: tuple[Path, Params],
                                                           tmp_path: Path) -> None:
    root, params = accepted
    out = tmp_path / "suites" / "mine.yaml"
    made = _cli("suite", "init", "--from", str(root / params.paths.dataset), "--out", str(out),
                "--name", "mine")
    assert made.exit_code == 0, made.output
    suite = load_suite(out)
    assert suite.name == "mine" and suite.key == "flight_id" and suite.label == "late"
    assert suite.columns["origin"].values == ["EWR", "JFK", "LGA"]
    assert suite.columns["distance"].min >= 0  # never went negative, stays non-negative
    assert 0 < suite.columns["wind_gust"].max_null_fraction < 1
    assert "dep_delay" in suite.forbidden_columns
    checked = _cli("validate", str(root / params.paths.dataset), "--root", str(root),
                   "--suite", str(out))
    assert checked.exit_code == 0, checked.output

    again = _cli("suite", "init", "--from", str(root / params.paths.dataset), "--out", str(out))
    assert again.exit_code == 1
    assert again.stderr.strip() == f"error: {out}: already exists; pass --force to overwrite it"


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\nkey: k\nlabel: y\nlabel_values: [0, 1]\ntime: t\ncolumns:\n"
     "  k: {type: string}\n  t: {type: datetime}\n  y: {type: bool}\n",
     "columns.y.type: Input should be 'int', 'float', 'string' or 'datetime'"),
    ("name: x\nkey: id\nlabel: y\nlabel_values: [0, 1]\ntime: t\ncolumns:\n"
     "  t: {type: datetime}\n  y: {type: int}\n",
     "(top level): key column 'id' is not in columns"),
    ("name: [unclosed\n", "suite file is not valid YAML"),
])
def test_suite_file_errors_name_the_file_and_key(tmp_path: Path, text: str,
                                                 message: str) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_suite(path)
    assert str(info.value) == f"{path}: {message}"


def test_missing_suite_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope.yaml: suite file not found .*suite init"):
        load_suite(tmp_path / "nope.yaml")


def test_period_of_months_covers_the_last_evening() -> None:
    period = Period.of_months(1, 6)
    assert period.start == "2013-01-01T00:00:00+00:00"
    assert period.end == "2013-07-01T05:00:00+00:00"


def test_missing_candidate_is_one_line_and_quarantines_nothing(accepted: tuple[Path, Params],
                                                               tmp_path: Path) -> None:
    root, params = accepted
    missing = tmp_path / "candidate.parquet"
    with pytest.raises(DataError) as info:
        validate.accept(params, root, missing)
    assert str(info.value) == f"{missing}: file not found (run the ingest stage first)"


def test_dvc_repro_rejects_a_bad_batch_and_keeps_the_accepted_dataset(tmp_path: Path) -> None:
    """dvc.yaml runs the same stage: the failed stage leaves the accepted dataset (persist),
    its report and dvc.lock as they were, and the batch in quarantine."""
    import os
    import subprocess
    import sys

    import yaml

    root = make_project(tmp_path / "project")
    params = load_params(root / "params.yaml")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}

    def repro() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dvc", "repro", "validate"], cwd=root,
                              capture_output=True, text=True, env=env)

    assert repro().returncode == 0
    dataset = root / params.paths.dataset
    before = (file_md5(dataset), file_md5(root / params.paths.validation_report),
              yaml.safe_load((root / "dvc.lock").read_text())["stages"]["validate"])
    raw = root / params.paths.flights_raw
    flights = pd.read_parquet(raw)
    flights.loc[flights["month"] == 2, "distance"] = -1
    flights.to_parquet(raw, index=False)

    failed = repro()
    assert failed.returncode != 0
    candidate = root / params.paths.candidate
    assert (f"error: {candidate}: column 'distance': expect_column_values_to_be_between failed"
            in failed.stderr), failed.stderr
    after = (file_md5(dataset), file_md5(root / params.paths.validation_report),
             yaml.safe_load((root / "dvc.lock").read_text())["stages"]["validate"])
    assert after == before
    (kept,) = (root / params.paths.quarantine_dir).iterdir()
    assert file_md5(kept / candidate.name) == file_md5(candidate)


def test_suite_init_refuses_unreadable_or_leaky_references(accepted: tuple[Path, Params],
                                                          tmp_path: Path) -> None:
    root, params = accepted
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    out = tmp_path / "suite.yaml"
    result = _cli("suite", "init", "--from", str(empty), "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {empty}: empty file (0 bytes)"
    leaky = tmp_path / "leaky.parquet"
    pd.read_parquet(root / params.paths.dataset).assign(dep_delay=1.0).to_parquet(leaky)
    result = _cli("suite", "init", "--from", str(leaky), "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: column 'dep_delay': a leakage column (known only "
                                     "after departure) cannot be part of a suite")
    assert not out.exists()
