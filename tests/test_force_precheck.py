"""`tuneloop run --force` when the champion has already learnt the current holdout (no new
batch since the last run): the gate could not compare a new model with it, so the run stops
in one line before the study, instead of tuning first and failing at promote."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_init_projects import _shrink, api_url, tool  # noqa: F401 - api_url: fixture
from tests.test_own_data_edges import _frame


def test_a_forced_run_that_could_not_be_gated_stops_before_the_study(
        tmp_path: Path, api_url: str) -> None:  # noqa: F811
    from tuneloop.config import load_params
    from tuneloop.project import init_project

    data = tmp_path / "table.parquet"
    _frame(600).to_parquet(data, index=False)
    project = tmp_path / "proj"
    init_project(project, data, "y")
    _shrink(project)
    tool("run", cwd=project, api_url=api_url)
    paths = load_params(project / "params.yaml").paths
    journal = (project / paths.journal).read_bytes()
    metrics = (project / paths.metrics).read_text()
    champion = json.loads(tool("status", "--json", cwd=project).stdout)["champion"]

    done = tool("run", "--force", cwd=project, check=False, api_url=api_url)
    assert done.returncode == 1, done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "was trained through" in last, done.stderr
    # No study ran (its journal is untouched), nothing was evaluated or registered.
    assert (project / paths.journal).read_bytes() == journal
    assert (project / paths.metrics).read_text() == metrics
    assert json.loads(tool("status", "--json", cwd=project).stdout)["champion"] == champion
