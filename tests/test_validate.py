"""The data gate, with real Great Expectations on the real flights data: a good monthly batch is
accepted with its report and Data Docs; a bad one is rejected with one line per failed check;
`tuneloop validate`, `tuneloop suite init` and the suite file give exit codes and one-line
messages; `dvc repro` keeps the accepted data after a rejected batch. The raw-file corpus of bad
batches runs in tests/test_lineage.py against a project with a champion; the prepared-table
corpus runs here, in a project without a prepare hook."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from stages import ingest
from tests.bad_batches import CASES, RAW_CASES
from tests.conftest import make_project, prepared_months, raw_month, write_month
from tuneloop import jsonl
from tuneloop.config import Params, load_params
from tuneloop.errors import ConfigError, ValidationFailed
from tuneloop.features import BATCH_COLUMN
from tuneloop.io import file_md5
from tuneloop.suite import load_suite
from tuneloop_cli.app import app


@pytest.fixture(scope="module")
def accepted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Params]:
    """A project whose two incoming months passed validation and became accepted batches."""
    root = make_project(tmp_path_factory.mktemp("gate") / "project", months=(1, 2))
    params = load_params(root / "params.yaml")
    ingest.execute(params, root)
    return root, params


def _ledger(root: Path, params: Params) -> list[dict[str, Any]]:
    return jsonl.read(root / params.paths.arrivals, "batch ledger")


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, [*args])


def test_good_batch_is_accepted_with_report_and_data_docs(accepted: tuple[Path, Params]) -> None:
    root, params = accepted
    entries = _ledger(root, params)
    assert [e["accepted"] for e in entries] == [True, True]
    for entry in entries:
        report = json.loads(Path(entry["report"]).read_text())
        assert report["success"] is True and report["failures"] == []
        assert report["source"] == entry["source"]
        assert report["rows"] == entry["rows"] == len(pd.read_parquet(root / entry["stored_as"]))
        assert report["evaluated"] > 40
        assert report["result_id"] == entry["validation_result_id"]
        assert report["result_id"].startswith("ValidationResultIdentifier::flights/")
        assert Path(report["data_docs"]).is_file() and report["data_docs"].endswith(".html")
        assert "<html" in Path(report["data_docs"]).read_text().lower()
        assert Path(report["gx_result"]).is_file()
    assert not (root / params.paths.quarantine_dir).exists()


def test_data_docs_name_each_batch_and_asset_and_open_offline(
        accepted: tuple[Path, Params]) -> None:
    """The Data Docs index lists each ingested batch as a run named after its file and md5,
    of the `flights` data asset (GX's default was `__none__`, no asset); every page loads its
    CSS/JS from files in the site, none from the network."""
    root, params = accepted
    site = root / params.paths.validation_dir / "gx" / "uncommitted" / "data_docs" / "local_site"
    index = (site / "index.html").read_text()
    assert "__none__" not in index and "'asset_name': 'flights'" in index
    for entry in _ledger(root, params):
        run = f"{Path(entry['source']).name}@{entry['md5'][:12]}"
        assert f"'run_name': '{run}'" in index
        page = Path(json.loads(Path(entry["report"]).read_text())["data_docs"])
        assert page.parent.parent.name == run
        assert "Data asset: flights<br>" in page.read_text()
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 4  # index, the suite, a page per validation
    for page in pages:
        for tag in re.findall(r"<(?:script|link)\b[^>]*>", page.read_text()):
            url = re.search(r'\b(?:src|href)="([^"]+)"', tag)
            if url is None:
                continue  # an inline script
            assert not re.match(r"(https?:)?//", url[1]), f"{page}: {tag}"
            assert (page.parent / url[1]).is_file(), f"{page}: {tag}"


def test_failed_expectations_get_one_line_each(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", months=())
    params = load_params(root / "params.yaml")
    raw = raw_month(3)
    raw = raw[raw["arr_delay"].notna()].reset_index(drop=True)  # rows the hook keeps
    raw.loc[raw.index[:5], "origin"] = "XXX"
    raw.loc[raw.index[10:17], "distance"] = -1
    bad = tmp_path / "two.parquet"
    raw.to_parquet(bad, index=False)
    with pytest.raises(ValidationFailed) as info:
        ingest.execute(params, root, [bad])
    # One line per failed check, naming the file and the column; the last says where the
    # batch was kept.
    lines = str(info.value).splitlines()
    (kept,) = (root / params.paths.quarantine_dir).iterdir()
    assert lines == [f"{bad}: column 'origin': expect_column_values_to_be_in_set failed "
                     f"(5 unexpected value(s) ({500 / len(raw):.2f}%), "
                     f"e.g. ['XXX'])",
                     f"{bad}: column 'distance': expect_column_values_to_be_between failed "
                     f"(7 value(s) ({700 / len(raw):.2f}%) below 1, the suite's minimum for "
                     f"the column, e.g. [-1]); batch and report kept in {kept}"]
    # The kept report has every failed check, each one line.
    report = json.loads((kept / "report.json").read_text())
    assert [(f["expectation"], f["column"]) for f in report["failures"]] == [
        ("expect_column_values_to_be_in_set", "origin"),
        ("expect_column_values_to_be_between", "distance")]
    assert report["failures"][1]["observed"] == (f"7 value(s) ({700 / len(raw):.2f}%) below "
                                                 "1, the suite's minimum for the column, "
                                                 "e.g. [-1]")
    assert not (root / params.data.batches).exists()


def test_cli_ingest_tells_every_failed_check_causes_first(hookless: Path,
                                                          tmp_path: Path) -> None:
    """Sweep 9: ingest said the first failed check and "(+3 more failed check(s))", and the
    first was a consequence (the positive rate of labels spelt otherwise) while the cause (a
    renamed column) was hidden. Every check is told, the column set first, then types, then
    classes and spellings; validate tells them in the same order."""
    frame = _prepared_batch(5).rename(columns={"distance": "Distance"})
    frame["late"] = frame["late"].map({0: "on time", 1: "late"})  # the classes spelt otherwise
    frame.loc[frame.index[:5], "origin"] = "XXX"
    frame.loc[frame.index[:5], "dep_hour"] = 25
    bad = tmp_path / "renamed.parquet"
    frame.to_parquet(bad, index=False)
    checked = _cli("validate", str(bad), "--root", str(hookless))
    told = [line for line in checked.stdout.splitlines() if line.startswith(f"{bad}: ")][:-1]
    result = _cli("ingest", str(bad), "--root", str(hookless))
    assert result.exit_code == 1, result.output
    said = result.stderr.splitlines()
    assert all(line.startswith("error: ") for line in said), said  # each its own (review)
    lines = [line.removeprefix("error: ") for line in said]
    assert [line.partition(" failed (")[0] for line in lines] == [
        f"{bad}: table: expect_table_columns_to_match_set",
        f"{bad}: column 'late': column type",
        f"{bad}: column 'origin': expect_column_values_to_be_in_set",
        # No "positive rate" of labels spelt otherwise: a consequence, said as "0 of 1119"
        # positives (sweep 25).
        f"{bad}: column 'dep_hour': expect_column_values_to_be_between"], result.stderr
    assert "missing ['distance']; unexpected ['Distance']" in lines[0]
    assert " batch and report kept in " in lines[-1]
    assert told == [*lines[:-1], lines[-1].partition("; batch and report kept in ")[0]]


def test_cli_validate_exit_codes_lines_and_report_paths(accepted: tuple[Path, Params],
                                                        tmp_path: Path) -> None:
    root, params = accepted
    ledger = (root / params.paths.arrivals).read_text()
    batches = sorted((root / params.data.batches).iterdir())
    good = write_month(tmp_path / "good", 3)  # a raw month: the prepare hook runs first
    ok = _cli("validate", str(good), "--root", str(root))
    assert ok.exit_code == 0, ok.output
    out = ok.stdout.splitlines()
    assert out[0].startswith(f"{good}: passed: ")
    docs = next(line for line in out if line.startswith("data docs: "))
    result = next(line for line in out if line.startswith("result: "))
    assert Path(docs.removeprefix("data docs: ")).is_file()
    assert json.loads(Path(result.removeprefix("result: ")).read_text())["success"] is True

    bad = RAW_CASES["unknown_origin"].build(raw_month(3), tmp_path)
    failed = _cli("validate", str(bad), "--root", str(root))
    assert failed.exit_code == 1
    assert failed.stdout.splitlines()[0].startswith(
        f"{bad}: column 'origin': expect_column_values_to_be_in_set failed")
    assert f"{bad}: failed 1 check(s): " in failed.stdout
    assert "result: " in failed.stdout
    # Validating is not ingesting: nothing was stored, decided or quarantined.
    assert (root / params.paths.arrivals).read_text() == ledger
    assert sorted((root / params.data.batches).iterdir()) == batches
    assert not (root / params.paths.quarantine_dir).exists()


@pytest.mark.parametrize("case", ["empty_file", "truncated_parquet", "bad_encoding",
                                  "wrong_delimiter", "unknown_extension", "directory"])
def test_cli_unreadable_batch_is_one_line_exit_1(case: str, accepted: tuple[Path, Params],
                                                 tmp_path: Path) -> None:
    root, _ = accepted
    build = (RAW_CASES.get(case) or CASES[case]).build
    bad = build(raw_month(1), tmp_path)
    result = _cli("validate", str(bad), "--root", str(root))
    # A directory or a file of another type is no batch to answer about (an error, as ingest
    # says); the rest are batches that cannot be read: rejected.
    assert result.exit_code == (2 if case in ("directory", "unknown_extension") else 1)
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {bad}: ") and CASES[case].expect in line
    assert "Traceback" not in result.output


def test_cli_validate_reads_a_good_csv(accepted: tuple[Path, Params], tmp_path: Path) -> None:
    root, _ = accepted
    csv = tmp_path / "flights-2013-04.csv"
    raw_month(4).to_csv(csv, index=False)
    result = _cli("validate", str(csv), "--root", str(root))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{csv}: passed: ")


def test_cli_missing_suite_is_one_line(accepted: tuple[Path, Params], tmp_path: Path) -> None:
    root, _ = accepted
    missing = tmp_path / "nope.yaml"
    result = _cli("validate", str(write_month(tmp_path, 1)), "--root", str(root),
                  "--suite", str(missing))
    assert result.exit_code == 2  # the batch was not checked: no "rejected" answer
    assert result.stderr.strip() == (f"error: {missing}: suite file not found (create one: "
                                     "tuneloop suite init)")


@pytest.fixture(scope="module")
def hookless(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose batches arrive already prepared (data.prepare: null)."""
    return make_project(tmp_path_factory.mktemp("hookless") / "project",
                        overrides={"data.prepare": None}, months=())


def _prepared_batch(month: int) -> pd.DataFrame:
    return prepared_months((month,)).drop(columns=[BATCH_COLUMN])


def test_prepared_batch_passes_without_a_hook(hookless: Path, tmp_path: Path) -> None:
    good = tmp_path / "prepared.parquet"
    _prepared_batch(5).to_parquet(good, index=False)
    result = _cli("validate", str(good), "--root", str(hookless))
    assert result.exit_code == 0, result.output
    # Without the hook nothing drops the post-departure columns of a raw file: the leakage
    # guard names each, and the columns are not what the suite describes.
    raw = write_month(tmp_path, 5)
    refused = _cli("validate", str(raw), "--root", str(hookless))
    assert refused.exit_code == 1
    lines = refused.stdout.splitlines()
    assert lines[0] == (f"{raw}: column 'dep_time': leakage guard failed (a forbidden column "
                        "(data.forbid): it must never reach the model)")
    assert any(line.startswith(f"{raw}: table: expect_table_columns_to_match_set failed")
               for line in lines)


def _told(result: Any, path: Path) -> dict[str, str]:
    """validate's failure lines by column: what each says between "failed (" and ")"."""
    told = {}
    for line in result.stdout.splitlines():
        found = re.match(rf"{re.escape(str(path))}: column '([^']+)': .*? failed \((.*)\)$", line)
        if found:
            told[found[1]] = found[2]
    return told


def test_examples_differ_and_blanks_are_a_share_against_the_allowed_one(
        hookless: Path, tmp_path: Path) -> None:
    """Sweep 9: "e.g. ['maybe', 'maybe', 'maybe']" showed one value as three, and a column
    too often blank said "e.g. [<NA>, <NA>, <NA>]" instead of how often, and how often the
    suite allows."""
    frame = _prepared_batch(5)
    frame.loc[frame.index[:5], "origin"] = "maybe"
    frame.loc[frame.index[5], "origin"] = "perhaps"
    frame.loc[frame.index[:170], "temp"] = None
    bad = tmp_path / "blanks.parquet"
    frame.to_parquet(bad, index=False)
    result = _cli("validate", str(bad), "--root", str(hookless))
    assert result.exit_code == 1, result.output
    told = _told(result, bad)
    assert told["origin"].endswith("e.g. ['maybe', 'perhaps']"), result.output
    share = 100 * 170 / len(frame)
    assert told["temp"] == (f"{share:.1f}% blank (170 of {len(frame)} value(s)), the suite "
                            "allows 7.15% (max_null_fraction 0.05, widened for a batch of "
                            f"{len(frame)} rows); if such batches are expected, raise the "
                            "column's max_null_fraction in the suite file (validate.suite) and "
                            "send the batch again (`tuneloop ingest --retry FILE`)"), \
        result.output


def test_a_range_failure_names_the_bound_each_value_crossed(hookless: Path,
                                                            tmp_path: Path) -> None:
    """Sweep 9: "14 unexpected value(s) (...), e.g. [-1.0, -2.0, -2.0]" named no bound, so a
    user could not tell what the suite expected, nor why."""
    frame = _prepared_batch(5)
    frame.loc[frame.index[:3], "dep_hour"] = [-1, -2, -2]  # the suite: 0..23
    frame.loc[frame.index[3], "dep_hour"] = 25
    bad = tmp_path / "hours.parquet"
    frame.to_parquet(bad, index=False)
    result = _cli("validate", str(bad), "--root", str(hookless))
    assert result.exit_code == 1, result.output
    share = 100 / len(frame)
    assert _told(result, bad)["dep_hour"] == (
        f"3 value(s) ({3 * share:.2f}%) below 0, the suite's minimum for the column (tuneloop "
        "init sets it for a column that never went negative in the data it read; if the "
        "column may, delete its `min: 0` in the suite file, validate.suite, and send the batch "
        "again with `tuneloop ingest --retry FILE`), e.g. "
        f"[-1, -2]; 1 value(s) ({share:.2f}%) above 23, the suite's maximum for the column, "
        "e.g. [25]"), result.output


@pytest.mark.parametrize("case", sorted(CASES))
def test_prepared_bad_batch_is_refused_with_the_column_named(case: str, hookless: Path,
                                                             tmp_path: Path) -> None:
    bad = CASES[case].build(_prepared_batch(5), tmp_path)
    result = _cli("validate", str(bad), "--root", str(hookless))
    # A directory or a file of another type is no batch to answer about: an error (2), as
    # ingest says it.
    assert result.exit_code == (2 if case in ("directory", "unknown_extension") else 1), \
        result.output
    failures = [line for line in [*result.stdout.splitlines(), *result.stderr.splitlines()]
                if not line.startswith(("data docs: ", "result: ", f"{bad}: failed "))]
    assert failures and all(line.removeprefix("error: ").startswith(f"{bad}: ")
                            for line in failures), result.output
    assert CASES[case].expect in "\n".join(failures), result.output
    assert "Traceback" not in result.output


def test_suite_init_bootstraps_a_suite_the_batches_pass(accepted: tuple[Path, Params],
                                                       tmp_path: Path) -> None:
    root, params = accepted
    reference = sorted((root / params.data.batches).iterdir())[0]  # a prepared batch
    out = tmp_path / "suites" / "mine.yaml"
    made = _cli("suite", "init", "--from", str(reference), "--out", str(out),
                "--root", str(root))
    assert made.exit_code == 0, made.output
    suite = load_suite(out)
    assert suite.name == "mine" and suite.id == "flight_id" and suite.target == "late"
    assert suite.time == "time_hour" and suite.target_values == [0, 1]
    assert suite.columns["origin"].type == "string"
    assert suite.columns["time_hour"].type == "datetime"
    assert suite.columns["distance"].type == "int"
    assert suite.columns["distance"].min == 0  # never went negative, stays non-negative
    assert 0 < suite.columns["wind_gust"].max_null_fraction < 1
    assert suite.columns["late"].max_null_fraction == 0 and suite.columns["late"].min is None
    assert "dep_delay" in suite.forbidden_columns
    # The raw month behind the reference passes it, through the prepare hook.
    checked = _cli("validate", str(write_month(tmp_path, 1)), "--root", str(root),
                   "--suite", str(out))
    assert checked.exit_code == 0, checked.output

    again = _cli("suite", "init", "--from", str(reference), "--out", str(out),
                 "--root", str(root))
    assert again.exit_code == 2
    assert again.stderr.strip() == f"error: {out}: already exists; pass --force to overwrite it"


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\nid: k\ntarget: y\ntarget_values: [0, 1]\ntime: t\ncolumns:\n"
     "  k: {type: string}\n  t: {type: datetime}\n  y: {type: text}\n",
     "columns.y.type: Input should be 'int', 'float', 'bool', 'string' or 'datetime'"),
    ("name: x\nid: id\ntarget: y\ntarget_values: [0, 1]\ntime: t\ncolumns:\n"
     "  t: {type: datetime}\n  y: {type: int}\n",
     "(top level): id column 'id' is not in columns"),
    ("name: x\ntarget: y\nforbidden_columns: [z]\ncolumns:\n  y: {type: int}\n"
     "  z: {type: int}\n",
     "(top level): forbidden column(s) ['z'] are also declared as columns"),
    ("name: x\nkey: k\nlabel: y\ncolumns:\n  y: {type: int}\n",
     "target: Field required"),
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


def test_cli_ingest_of_a_missing_file_is_one_line_and_decides_nothing(
        accepted: tuple[Path, Params], tmp_path: Path) -> None:
    root, params = accepted
    ledger = (root / params.paths.arrivals).read_text()
    missing = tmp_path / "flights-2013-09.parquet"
    result = _cli("ingest", str(missing), "--root", str(root))
    assert result.exit_code == 2  # nothing was checked: not a "rejected" answer
    assert result.stderr.strip() == f"error: {missing}: file not found"
    assert (root / params.paths.arrivals).read_text() == ledger


@pytest.mark.parametrize(("name", "hint"), [
    ("x.json", "export it as Parquet or CSV"), ("batch.xlsx", "export the sheet as CSV"),
    ("notes", "export it as Parquet or CSV"),
    ("2026-12.txt", "if it is comma-, semicolon-, tab- or pipe-separated text, rename it .csv")])
def test_cli_ingest_of_a_file_of_another_type_is_one_line_and_decides_nothing(
        name: str, hint: str, accepted: tuple[Path, Params], tmp_path: Path) -> None:
    """Sweep 9: `tuneloop ingest x.json` quarantined the file and recorded it in the ledger as
    a rejected batch (exit 1), and validate printed a result path for a file it never checked."""
    root, params = accepted
    ledger = (root / params.paths.arrivals).read_text()
    quarantine = root / params.paths.quarantine_dir
    kept = set(quarantine.iterdir()) if quarantine.exists() else set()
    other = tmp_path / name
    other.write_text('{"rows": []}\n', encoding="utf-8")
    suffix = Path(name).suffix or "(none)"
    for command in ("ingest", "validate"):
        result = _cli(command, str(other), "--root", str(root))
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.strip() == (f"error: {other}: unknown extension {suffix}; expected "
                                         ".parquet, .csv, .tsv or either gzipped (.csv.gz): "
                                         f"{hint}")
        assert result.stdout == ""
    assert (root / params.paths.arrivals).read_text() == ledger
    assert (set(quarantine.iterdir()) if quarantine.exists() else set()) == kept


@pytest.mark.slow  # ~25 s: dvc repro; the gate's refusal itself is tested in the default run
def test_dvc_repro_keeps_the_accepted_dataset_after_a_rejected_batch(tmp_path: Path) -> None:
    """The ingest stage's own command rejects a bad batch with one line per failed check and
    exit 1; the accepted batches, the dataset `dvc repro` built and dvc.lock stay as they
    were, and the batch is in quarantine."""
    import os
    import subprocess
    import sys

    import yaml

    root = make_project(tmp_path / "project", months=(1, 2))
    params = load_params(root / "params.yaml")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", *args], cwd=root, capture_output=True,
                              text=True, env=env)

    assert run("stages.ingest").returncode == 0  # the incoming months
    assert run("dvc", "repro", "dataset").returncode == 0
    dataset = root / params.paths.dataset

    def state() -> tuple[Any, ...]:
        batches = {p.name: file_md5(p) for p in (root / params.data.batches).iterdir()}
        lock = yaml.safe_load((root / "dvc.lock").read_text())["stages"]["dataset"]
        return file_md5(dataset), batches, lock

    before = state()
    raw = raw_month(3)
    raw.loc[raw["day"] == 2, "distance"] = -1
    bad = tmp_path / "flights-2013-03.parquet"
    raw.to_parquet(bad, index=False)

    failed = run("stages.ingest", str(bad))
    assert failed.returncode == 1
    assert failed.stderr.startswith(
        f"error: {bad}: column 'distance': expect_column_values_to_be_between failed"), \
        failed.stderr
    (kept,) = (root / params.paths.quarantine_dir).iterdir()
    (line,) = failed.stderr.splitlines()
    assert line.endswith(f"; batch and report kept in {kept}")
    assert file_md5(kept / bad.name) == file_md5(bad)

    repro = run("dvc", "repro", "dataset")
    assert repro.returncode == 0, repro.stderr
    assert "didn't change" in repro.stdout or "up to date" in repro.stdout, repro.stdout
    assert state() == before


def test_suite_init_refuses_unreadable_or_leaky_references(accepted: tuple[Path, Params],
                                                          tmp_path: Path) -> None:
    root, params = accepted
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    out = tmp_path / "suite.yaml"
    result = _cli("suite", "init", "--from", str(empty), "--out", str(out), "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {empty}: empty file (0 bytes)"
    leaky = tmp_path / "leaky.parquet"
    reference = sorted((root / params.data.batches).iterdir())[0]
    pd.read_parquet(reference).assign(dep_delay=1.0).to_parquet(leaky)
    result = _cli("suite", "init", "--from", str(leaky), "--out", str(out), "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: column 'dep_delay' is forbidden (data.forbid) but "
                                     "present in the data; drop it from the data or exclude it "
                                     "instead")
    assert not out.exists()


def test_failure_messages_show_plain_numbers_and_how_many_levels_are_known() -> None:
    """Sweep 7: 'observed np.float64(155.0)', and 6 of 7 levels shown as if all."""
    import numpy as np

    from tuneloop.validation import _levels, _short

    assert _short(np.float64(155.0)) == "155.0"
    assert _short([np.int64(3), "a"]) == "[3, 'a']"
    assert _levels(list("abcdefg")) == "['a', 'b', 'c', 'd', 'e', 'f'] (of 7)"
    assert _levels(list("abc")) == "['a', 'b', 'c']"


def test_vanishing_levels_are_told_of_the_non_blank_values() -> None:
    """Sweep 9: "9 value(s) (0.8%) are levels the suite does not know ... and its known levels
    all but vanish" in a column mostly blank: the 0.8 % was of every row, the rule of the 9
    values given."""
    from tuneloop.config import ValidateConfig
    from tuneloop.suite import ColumnSpec, Suite
    from tuneloop.validation import schema_failures

    suite = Suite(name="s", target="y", columns={
        "y": ColumnSpec(type="int"),
        "sex": ColumnSpec(type="string", max_null_fraction=0.99, levels=["female", "male"])})
    cfg = ValidateConfig(suite="s.yaml", min_rows=1, max_rows=10_000)
    frame = pd.DataFrame({"y": [0] * 1100, "sex": [None] * 1091 + ["M", "F"] * 4 + ["M"]},
                         dtype=object).astype({"y": int})
    (failure,), _ = schema_failures(frame, suite, cfg)
    assert failure.observed.startswith(
        "9 of its 9 non-blank value(s) are levels the suite does not know, e.g. ['M', 'F'] "
        "where it knows ['female', 'male'], and none a known level: its known levels all but "
        "vanish"), failure.observed
    frame["sex"] = ["male"] * 3 + ["M"] * 40 + [None] * 1057
    (failure,), _ = schema_failures(frame, suite, cfg)
    assert failure.observed.startswith("40 of its 43 non-blank value(s) are levels the suite "
                                       "does not know"), failure.observed
    assert "and only 3 a known level" in failure.observed


def test_a_target_median_failure_names_the_rule_of_the_bound_it_crossed(
        tmp_path: Path) -> None:
    """Sweep 9: a regression batch below the floor of a quarter of the 5th percentile (or above
    four times the 95th) was told "the range the first data spanned, widened by its width each
    way", a bound it had not crossed. A suite made before the rules were kept keeps that."""
    import numpy as np

    from tuneloop.config import ValidateConfig
    from tuneloop.suite import ColumnSpec, Suite, init_suite
    from tuneloop.validation import run_gx

    prices = pd.Series(np.random.default_rng(0).lognormal(5, 1.0, 400))  # skewed, above 0
    spec = SimpleNamespace(target="y", task="regression", classes=None, forbid=[], id=None,
                           time=None, exclude=[], features=None)
    made = init_suite(pd.DataFrame({"y": prices}), "s", spec)
    assert made["target_median_rules"] == ["p5_quarter", "median_spread"]
    suite = Suite.model_validate(made)
    cfg = ValidateConfig(suite="s.yaml", min_rows=1, max_rows=10_000)

    def told(values: pd.Series, checked: Suite) -> str:
        report = run_gx(pd.DataFrame({"y": values}), checked, cfg, "b.csv", tmp_path / "gx")
        (failure,) = report.failures
        return failure.observed

    assert "(the suite's target_median: its lower bound is a quarter of the first data's 5th " \
        "percentile, as the target was always above zero); labels in another unit?" \
        in told(prices / 1000, suite)
    assert "(the suite's target_median: its upper bound is the first data's median moved four " \
        "times its distance to the 95th (or 5th) percentile, or three times (a third of) " \
        "itself, the wider, as the target was always above zero)" in told(prices * 100, suite)
    times_4 = suite.model_copy(update={"target_median_rules": ["p5_quarter", "p95_times_4"]})
    assert "(the suite's target_median: its upper bound is four times the first data's 95th " \
        "percentile, as the target was never below zero)" in told(prices * 100, times_4)
    older = suite.model_copy(update={"target_median_rules": None})
    assert "(the suite's target_median: the range the first data spanned, widened by its " \
        "width each way); labels in another unit?" in told(prices * 100, older)
    spanned = Suite(name="s", target="y", columns={"y": ColumnSpec(type="float")},
                    target_median=[-5.0, 5.0], target_median_rules=["span", "span"])
    assert "its upper bound is the range the first data spanned, widened by its width each " \
        "way" in told(pd.Series([9.0, 10.0, 11.0]), spanned)
    # A batch of no labelled rows has no median: it says so, naming no bound's rule (sweep 21:
    # a header-only file was told the span rule its suite did not have).
    report = run_gx(pd.DataFrame({"y": pd.Series([], dtype="float64")}), suite, cfg, "b.csv",
                    tmp_path / "gx")
    (median,) = [f for f in report.failures if "median" in f.expectation]
    assert median.observed == "no labelled rows, so no median to check"


def test_a_type_failure_names_the_value_that_kept_a_number_column_text() -> None:
    """The review: with one bad value among decimal commas (or thousands), every value failed
    pd.to_numeric and the examples were good numbers ('10,5'), not the culprit."""
    import pandas as pd

    from tuneloop.validation import _not_numbers

    assert _not_numbers("float", pd.Series(["10,5", "11,5", "kg"], dtype=object)) == \
        ": 1 value(s) not numbers, e.g. ['kg']"
    assert _not_numbers("int", pd.Series(["1,100", "2,300", "x"])) == \
        ": 1 value(s) not numbers, e.g. ['x']"
    assert _not_numbers("string", pd.Series(["x"])) == ""


def test_a_concentrated_target_sent_in_another_form_is_outside_its_median_bounds() -> None:
    """Log wages (median 1.6, 95th percentile 2.2, largest 4.2) sent as wages (median 5.5)
    stayed inside the span and the 4 x q95 bounds (sweep 23); the median's own spread bounds
    them now, while a trend of half as much again stays inside."""
    import numpy as np

    from tuneloop.suite import target_median_bounds

    log_wages = pd.Series(np.random.default_rng(3).normal(1.6, 0.4, 5000).clip(0.05, 4.2))
    (low, high), rules = target_median_bounds(log_wages)
    assert rules[1] == "median_spread"
    assert not low <= float(np.median(np.exp(log_wages))) <= high
    assert low <= float(np.median(log_wages * 1.5)) <= high
    assert low <= float(np.median(log_wages / 1.5)) <= high
    # A target that may be negative keeps the span: winter temperatures, then a summer batch
    # (the review: median -5 to 15 was rejected by this bound).
    winter = pd.Series(np.random.default_rng(4).normal(-5, 3, 2000))
    (low, high), rules = target_median_bounds(winter)
    assert rules == ["span", "span"] and low <= 15 <= high
