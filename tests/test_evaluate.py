"""The evaluate stage on a small slice of the real data: holdout metrics, calibration, slices,
latency and size; the metrics file holds numbers only and `dvc metrics show` reads it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stages import evaluate as evaluate_stage
from stages import split as split_stage
from stages.tune import TuneResult
from tests.conftest import make_project
from tuneloop.config import EvaluateConfig, SplitConfig
from tuneloop.errors import ConfigError, DataError
from tuneloop.io import read_json, write_json

TUNED = {"best_params": {"learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 20},
         "best_value": 0.7, "best_trial": 0, "best_iteration": 30, "best_seed": 1,
         "metric": "auc", "n_trials": 1, "n_failed": 0, "study_seed": 1, "parent_run_id": None}


@pytest.fixture(scope="module")
def evaluation(ingested: Any) -> tuple[evaluate_stage.Evaluation, split_stage.Splits]:
    splits = split_stage.run(SplitConfig(valid_months=1, holdout_months=1), ingested.dataset)
    cfg = EvaluateConfig(min_slice_rows=30, latency_repeats=2)
    return evaluate_stage.run(cfg, TuneResult(**TUNED), splits.train, splits.valid,
                              splits.holdout), splits


def _leaves(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in _leaves(value)]
    return [node]


def test_holdout_report(evaluation: tuple[Any, Any], tmp_path: Path) -> None:
    ev, splits = evaluation
    n = len(splits.holdout)
    assert set(ev.metrics) == {"auc", "logloss", "accuracy", "f1", "brier"}
    assert 0.5 < ev.metrics["auc"] < 1 and 0 < ev.metrics["brier"] < 0.5
    assert ev.cost["latency_ms_per_1k"] > 0 and ev.cost["size_bytes"] > 1000
    assert ev.meta["holdout_rows"] == n
    assert ev.meta["train_rows"] == len(splits.train) + len(splits.valid)

    assert sum(row["rows"] for row in ev.calibration) == n
    for row in ev.calibration:
        assert row["lower"] <= row["mean_predicted"] <= row["upper"]
        assert 0 <= row["observed_rate"] <= 1
    carriers = ev.tables["slices"]["carrier"]
    assert set(carriers) == set(splits.holdout["carrier"].astype(str))
    assert sum(v["rows"] for v in carriers.values()) == n
    assert sum(v["rows"] for v in ev.tables["slices"]["origin"].values()) == n
    scored = [v for v in carriers.values() if v["rows"] >= 30]
    unscored = [v for v in carriers.values() if v["rows"] < 30]
    assert scored and all("auc" in v and "f1" in v for v in scored)
    assert all("auc" not in v for v in unscored)

    metrics, tables, calib = tmp_path / "m.json", tmp_path / "e.json", tmp_path / "c.json"
    evaluate_stage.write(ev, tmp_path / "model", metrics, tables, calib)
    report = read_json(metrics)
    assert all(isinstance(x, int | float) for x in _leaves(report))  # dvc metrics: numbers only
    assert report["holdout"] == ev.metrics and report["model"] == ev.cost
    assert read_json(tables)["slices"]["origin"] == ev.tables["slices"]["origin"]
    assert read_json(calib) == ev.calibration
    assert {p.name for p in (tmp_path / "model").iterdir()} == {"model.txt", "model.json"}
    assert evaluate_stage.read_metrics(metrics) == ev.metrics


def test_dvc_metrics_and_plots_read_the_report(evaluation: tuple[Any, Any], tmp_path: Path) -> None:
    ev, _ = evaluation
    project = make_project(tmp_path / "project")
    evaluate_stage.write(ev, project / "models" / "challenger", project / "reports" /
                         "metrics.json", project / "reports" / "evaluation.json",
                         project / "reports" / "calibration.json")
    out = subprocess.run([sys.executable, "-m", "dvc", "metrics", "show", "--json"],
                         cwd=project, check=True, capture_output=True, text=True).stdout
    shown = json.loads(out)
    data = next(iter(shown.values()))["data"]["reports/metrics.json"]["data"]
    assert data["holdout"]["auc"] == pytest.approx(ev.metrics["auc"])
    assert data["model"]["size_bytes"] == ev.cost["size_bytes"]

    # The calibration table is a DVC plot (other stages' plots are absent here: not our concern).
    out = subprocess.run([sys.executable, "-m", "dvc", "plots", "show", "--json"],
                         cwd=project, capture_output=True, text=True).stdout
    plot = json.loads(out)["data"]["reports/calibration.json"][0]["content"]
    assert plot["data"]["values"][0]["mean_predicted"] == ev.calibration[0]["mean_predicted"]
    assert plot["encoding"]["x"]["field"] == "mean_predicted"


def test_unknown_slice_column_is_named(evaluation: tuple[Any, Any]) -> None:
    _, splits = evaluation
    with pytest.raises(ConfigError, match=r"^evaluate.slices: holdout has no column 'gate'$"):
        evaluate_stage.run(EvaluateConfig(slices=("carrier", "gate")), TuneResult(**TUNED),
                           splits.train, splits.valid, splits.holdout)


def test_report_without_cost_section_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    write_json(path, {"holdout": {"auc": 0.7}})
    with pytest.raises(DataError, match=r"metrics.json: no 'model' section \(re-run the "
                                        r"evaluate stage\)"):
        evaluate_stage.read_report(path)
    path.write_text("[1, 2]")
    with pytest.raises(DataError, match=r"metrics.json: no 'holdout' section"):
        evaluate_stage.read_report(path)
