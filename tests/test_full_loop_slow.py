"""The loop on the full bundled data with the default params: what `make run` does.
Slow (minutes on 2 quiet cores), so outside the default run: `make test-all`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import REPO, make_project, month_file
from tuneloop import audit, jsonl
from tuneloop.io import read_parquet
from tuneloop_cli.app import app


@pytest.mark.slow
def test_full_default_loop_then_a_new_month(prefect_server: None, tmp_path: Path) -> None:
    from flows.loop import tuneloop_flow

    # The bundled project as shipped: the full months 1-6 in data/incoming, default params.
    project = make_project(tmp_path / "project", months=())
    (project / "data" / "incoming").mkdir(parents=True)
    for month in range(1, 7):
        shutil.copy(month_file(month), project / "data" / "incoming")
    shutil.copy(REPO / "params.yaml", project / "params.yaml")
    first = tuneloop_flow(root=str(project))
    assert first["promotion"]["promoted"] is True
    assert first["promotion"]["metric"] == "auc"
    assert first["holdout"]["auc"] > 0.72  # June holdout, trained on January-May
    assert first["retrain"] == "cold"  # no champion yet: the first window is tuned cold

    # July arrives through `tuneloop ingest`: validated, accepted, a new dataset version.
    ingested = CliRunner().invoke(app, ["ingest", str(month_file(7)), "--root", str(project)])
    assert ingested.exit_code == 0, ingested.output
    assert "flights-2013-07.parquet: accepted" in ingested.output
    assert "stored as data/batches/000007-flights-2013-07.parquet" in ingested.output
    versions = jsonl.read(project / "data" / "versions.jsonl", "dataset versions")
    assert len(versions) == 2 and versions[0]["dataset_version"] == first["dataset_version"]
    assert versions[1]["batches"] == 7

    # The next run decides July (policy `every` here: it retrains) and trains on the new
    # window; the June-trained champion is re-scored on the July holdout and the decision
    # follows the gate either way.
    params_file = project / "params.yaml"
    params_file.write_text(params_file.read_text().replace("name: auto", "name: every"))
    second = tuneloop_flow(root=str(project))
    assert second["retrain"] == "warm"
    assert second["dataset_version"] == versions[1]["dataset_version"]
    holdout = read_parquet(project / "data" / "splits" / "holdout.parquet")
    months = set(holdout["time_hour"].dt.tz_convert("America/New_York").dt.month)
    assert months == {7}
    decision = second["promotion"]
    assert decision["champion_version"] == first["promotion"]["version"]
    assert decision["champion"]["auc"] != first["holdout"]["auc"]  # re-scored on July
    low, high = decision["ci"]
    if decision["reason"].startswith("refit of the champion's configuration"):
        assert decision["promoted"] == (low > -0.002)
    elif decision["promoted"]:
        assert decision["challenger"]["auc"] > decision["champion"]["auc"]
        assert decision["delta"] > decision["margin"] and low > 0
    else:
        assert decision["delta"] <= decision["margin"] or low <= 0
    entries = audit.read(project / ".tuneloop" / "promotions.jsonl")
    # v2 the warm re-tune's; a refused re-tune is followed by the refit, v3 (the live loop
    # gates both candidates, as the replay does).
    gated = ["1", "2", "3"] if second.get("earlier") else ["1", "2"]
    assert [e["version"] for e in entries] == gated
    if second.get("earlier"):
        assert [e["mode"] for e in second["earlier"]] == ["warm"]
        assert not second["earlier"][0]["promotion"]["promoted"]
        assert second["decided_by"] == "refit" and decision["version"] == "3"
    assert entries[-1]["champion_after"] == (decision["version"] if decision["promoted"]
                                             else first["promotion"]["version"])
