"""The loop on the full bundled data with the default params: what `make run` does.
Slow (about a minute on 2 quiet cores), so outside the default run: `make test-all`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, make_project
from tuneloop.config import load_params


@pytest.mark.slow
def test_full_default_loop_then_drift_retune(prefect_server: None, tmp_path: Path) -> None:
    from flows.loop import tuneloop_flow

    project = make_project(tmp_path / "project")
    shutil.copy(REPO / "params.yaml", project / "params.yaml")
    first = tuneloop_flow(root=str(project))
    assert first["promotion"]["promoted"] is True
    assert first["holdout"]["auc"] > 0.72  # June holdout; measured 0.760
    assert first["drift"] is True  # July weather drifts from January-June

    # The drift re-tune takes July in; the June-trained champion is re-scored on the July
    # holdout and the decision follows the gate either way.
    second = tuneloop_flow(root=str(project), advance_to=7)
    again = load_params(project / "params.yaml")
    assert (again.ingest.last_month, again.ingest.batch_month) == (7, 8)
    decision = second["promotion"]
    assert decision["champion_version"] == first["promotion"]["version"]
    if decision["promoted"]:
        assert decision["challenger"]["auc"] > decision["champion"]["auc"]
