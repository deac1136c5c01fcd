"""The `tuneloop` command line: one-line errors before any work starts, every command listed,
and `tuneloop ingest` turning batch files into a new dataset version (real GX and DVC)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import make_project, write_month, write_params
from tuneloop.config import load_params
from tuneloop.io import file_md5
from tuneloop_cli.app import app


def test_run_with_bad_params_fails_in_one_line_before_prefect_starts(tmp_path: Path) -> None:
    write_params(tmp_path, {"tune.n_trials": 0})
    result = CliRunner().invoke(app, ["run", "--root", str(tmp_path)])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines == ["error: " + str(tmp_path / "params.yaml")
                     + ": tune.n_trials: Input should be greater than or equal to 1"]


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "run", "ingest", "status", "validate", "lineage", "promote",
                    "rollback", "suite", "data"):
        assert command in result.output
    # Batches arrive as files: the month-advancing option is gone from `run`.
    run_help = CliRunner().invoke(app, ["run", "--help"])
    assert run_help.exit_code == 0 and "--advance" not in run_help.output
    # Each command's summary is whole (click cut the long docstrings with "..."), and a flag
    # shows no value placeholder (typer's rich help printed "--help <bool>").
    commands = result.output.split("Commands:")[1]
    assert "..." not in commands
    assert "<bool>" not in result.output + run_help.output
    assert "--resume " in run_help.output and "--no-resume" not in run_help.output


def test_ingest_with_bad_params_is_one_line(tmp_path: Path) -> None:
    write_params(tmp_path, {"split.holdout_batches": 0})
    batch = write_month(tmp_path / "in", 1)
    result = CliRunner().invoke(app, ["ingest", str(batch), "--root", str(tmp_path)])
    assert result.exit_code == 2  # no answer about the batch: not "rejected"
    assert result.stderr.strip() == (f"error: {tmp_path / 'params.yaml'}: split.holdout_batches: "
                                     "Input should be greater than or equal to 1")


def test_ingest_accepts_batches_as_a_new_dataset_version_once(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", months=())
    params = load_params(root / "params.yaml")
    files = [write_month(tmp_path / "arrived", m) for m in (1, 2, 3)]
    runner = CliRunner()

    first = runner.invoke(app, ["ingest", *map(str, files), "--root", str(root)])
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    stored = sorted(p.name for p in (root / params.data.batches).iterdir())
    assert stored == [f"00000{i}-flights-2013-0{i}.parquet" for i in (1, 2, 3)]
    for i, path in enumerate(files, start=1):
        assert lines[i - 1].startswith(f"{path}: accepted, ")
        assert lines[i - 1].endswith(f"stored as data/batches/{stored[i - 1]}")
    version = file_md5(root / params.paths.dataset)
    assert lines[-1].startswith(f"dataset version {version} (")
    assert (root / f"{params.data.batches}.dvc").is_file()  # the batches are DVC-tracked

    listed = runner.invoke(app, ["data", "list", "--json", "--root", str(root)])
    assert listed.exit_code == 0, listed.output
    (entry,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert entry["dataset_version"] == version and entry["batches"] == 3

    # The same files again: decided already by their content, not validated or stored twice.
    again = runner.invoke(app, ["ingest", *map(str, files), "--root", str(root)])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [f"{path}: already decided (same content); skipped"
                                         for path in files]
    assert sorted(p.name for p in (root / params.data.batches).iterdir()) == stored
    relisted = runner.invoke(app, ["data", "list", "--json", "--root", str(root)])
    assert relisted.stdout == listed.stdout


def test_run_prints_batches_decided_alike_as_one_line() -> None:
    """A first run decides every initial batch "cold (no champion yet ...)": one line for the
    ten, not ten lines; batches decided differently keep their own lines, in order."""
    from tuneloop_cli.app import decided_lines

    cold = [{"batch": f"00000{i}-t.parquet", "action": "cold", "reason": "no champion yet"}
            for i in range(1, 4)]
    other = {"batch": "000004-t.parquet", "action": "none", "reason": "no trigger"}
    assert decided_lines([*cold, other, {**cold[0], "batch": "000005-t.parquet"}]) == [
        "batches 000001-t.parquet .. 000003-t.parquet (3): cold (no champion yet)",
        "batch 000004-t.parquet: none (no trigger)",
        "batch 000005-t.parquet: cold (no champion yet)"]
    assert decided_lines([]) == []
