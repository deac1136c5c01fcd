from __future__ import annotations

import json
from pathlib import Path

from stages import plots
from tests.conftest import write_params
from tuneloop import study_plots
from tuneloop.config import load_params
from tuneloop.search.journal import Journal
from tuneloop.search.trial import TrialOutcome

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _outcomes() -> list[TrialOutcome]:
    return [
        TrialOutcome(0, {"x": 1}, 1, "ok", value=0.70, seconds=2.0),
        TrialOutcome(1, {"x": 2}, 2, "pruned", value=0.60, seconds=0.5, rung=0),
        TrialOutcome(2, {"x": 3}, 3, "failed", error="boom", seconds=0.1),
        TrialOutcome(3, {"x": 4}, 4, "ok", value=0.75, seconds=2.0),
        TrialOutcome(4, {"x": 5}, 5, "ok", value=0.72, seconds=2.0, refines=3),
    ]


def test_tuning_rows_track_the_best_ok_score_only() -> None:
    rows = plots.tuning_rows(_outcomes(), "auc")
    assert [r["best"] for r in rows] == [0.70, 0.70, 0.70, 0.75, 0.75]  # pruned never counts
    assert [r["status"] for r in rows] == ["ok", "pruned", "failed", "ok", "ok"]
    assert rows[-1]["compute_s"] == 6.6
    assert [r["refines"] for r in rows] == [None, None, None, None, 3]
    assert [study_plots.kind(r) for r in rows] == ["ok", "pruned", "failed", "ok", "refined"]


def test_execute_writes_plot_data_and_pngs(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path, {}))
    journal = Journal(tmp_path / params.paths.journal)
    for o in _outcomes():
        journal.append({"event": "finished", **o.to_dict()})
    drift_report = tmp_path / params.paths.drift_report
    drift_report.write_text(json.dumps({"features": [
        {"name": "temp", "measure": "ks", "effect": 0.8, "threshold": 0.3, "importance": 0.1,
         "alarm": True},
        {"name": "carrier", "measure": "js", "effect": 0.01, "threshold": 0.05,
         "importance": 0.2, "alarm": False}]}))
    written = plots.execute(params, tmp_path)
    assert sorted(p.name for p in written) == ["drift.png", "tuning.png"]
    for png in written:
        assert png.read_bytes()[:8] == PNG_MAGIC
    data = json.loads((tmp_path / params.paths.plots_dir / "drift.json").read_text())
    assert {r["feature"] for r in data if r["drifted"]} == {"temp"}


def test_plots_only_what_exists_with_a_loss_metric(tmp_path: Path) -> None:
    """A loss (tune.metric logloss, not the task default) is drawn too; without a drift report
    (no batch compared yet) only the tuning history is written."""
    params = load_params(write_params(tmp_path, {"tune.metric": "logloss"}))
    assert params.tuning_metric == "logloss"
    journal = Journal(tmp_path / params.paths.journal)
    for o in _outcomes():  # as a loss study journals them: maximised, so negated
        journal.append({"event": "finished", **o.to_dict(),
                        "value": None if o.value is None else -o.value})
    (png,) = plots.execute(params, tmp_path)
    assert png.name == "tuning.png" and png.read_bytes()[:8] == PNG_MAGIC
    assert not (tmp_path / params.paths.plots_dir / "drift.json").exists()
    rows = json.loads((tmp_path / params.paths.plots_dir / "tuning.json").read_text())
    # In the loss's own terms: the lowest so far (sweep 51c F1: the data read -0.70).
    assert [r["value"] for r in rows] == [0.70, 0.60, None, 0.75, 0.72]
    assert [r["best"] for r in rows] == [0.70] * 5


def test_empty_histories_draw_without_a_legend_warning() -> None:
    """A project with no finished study (`tuneloop report` on a fresh one): the figures are
    drawn, and matplotlib has no empty legend to warn about on the user's terminal."""
    import warnings

    from tuneloop.report import _over_time

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        study_plots.history_figure([], "auc")
        assert "<img" in _over_time([{"holdout": None, "cost": None}])


def test_the_reports_last_holdout_names_its_version() -> None:
    """After a rollback the report's "last holdout" was the rolled-back version's figure,
    shown as if it were the champion's."""
    from tuneloop.report import overview

    runs = [{"holdout": 0.71, "version": "2", "gate_metric": "auc", "cost": 0.0,
             "promoted": True},
            {"holdout": 0.9997, "version": "3", "gate_metric": "auc", "cost": 0.0,
             "promoted": True}]
    entries = [{"model_name": "m", "champion_before": "3", "champion_after": "2",
                "action": "rollback", "version": "2", "time": "t", "reason": "leak"}]
    page = overview(runs, entries, "m")
    assert "last run&#x27;s holdout" in page or "last run's holdout" in page
    assert "0.9997 (v3)" in page
