from __future__ import annotations

from pathlib import Path

from tuneloop_cli.app import app
from typer.testing import CliRunner

from tests.conftest import write_params


def test_run_with_bad_params_fails_in_one_line_before_prefect_starts(tmp_path: Path) -> None:
    write_params(tmp_path, {"tune.n_trials": 0})
    result = CliRunner().invoke(app, ["run", "--root", str(tmp_path)])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines == ["error: " + str(tmp_path / "params.yaml")
                     + ": tune.n_trials: Input should be greater than or equal to 1"]


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "status", "validate", "lineage", "promote", "rollback", "suite",
                    "data"):
        assert command in result.output
