"""Cost in money and a study's indicators: `tune.budget.cost` stops a study at the cap and
says so, every trial's cost is journalled and they sum to the study's total; the SLI record
(reports/sli.json, the kept NNNN.sli.json, MLflow `sli.*` metrics) is what the journal says,
recomputed here from the events by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stages import split as split_stage
from stages import tune
from tests.conftest import REPO, write_params
from tuneloop.config import CostConfig, Params, SplitConfig, TuneConfig, load_params
from tuneloop.errors import ConfigError
from tuneloop.features import Schema
from tuneloop.search import Journal
from tuneloop.sli import study_slis

PRICES = CostConfig(per_core_hour=36.0)  # 1 cent per core-second: easy to check by hand


@pytest.fixture(scope="module")
def frames(ingested: Any) -> tuple[Any, Any]:
    splits = split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), ingested.dataset)
    return splits.train, splits.valid


def _finished(path: Path) -> list[dict[str, Any]]:
    return [e for e in Journal(path).events() if e["event"] == "finished"]


def test_a_cost_cap_stops_the_study_and_trial_costs_sum_to_the_total(
        small_params: Params, frames: tuple[Any, Any], tmp_path: Path) -> None:
    raw = small_params.tune.model_dump()
    raw.update(n_trials=50, n_workers=1, strategy="random", budget={"cost": 0.004})
    cfg = TuneConfig.model_validate(raw)
    schema = Schema.fit(load_params(REPO / "params.yaml").data, frames[0])
    journal = tmp_path / "j.jsonl"
    result = tune.run(cfg, schema, "auc", *frames, journal, prices=PRICES)
    assert result.stop_reason == "cost"
    finished = _finished(journal)
    assert 0 < len(finished) < 50
    for e in finished:  # each trial's cost is its core-seconds at the price
        assert e["cost"] == pytest.approx(e["seconds"] * e["threads"] * 0.01)
    total = sum(e["cost"] for e in finished)
    # The cap stops new trials once reached: the last one crossed it, none started after.
    assert total >= 0.004 and total - finished[-1]["cost"] < 0.004
    slis = study_slis(list(Journal(journal).events()), 1, "auc", "EUR")
    assert slis["cost"] == pytest.approx(total) and slis["currency"] == "EUR"
    assert slis["cost_per_trial"] == pytest.approx(total / len(finished))


def test_a_cost_cap_without_a_price_is_refused_naming_the_keys(tmp_path: Path) -> None:
    path = write_params(tmp_path, {"tune.budget.cost": 5.0})
    with pytest.raises(ConfigError, match=r"tune\.budget\.cost: a cost cap needs a price: set "
                                          r"cost\.per_core_hour and/or cost\.per_gpu_hour"):
        load_params(path)


def test_the_sli_record_is_what_the_journal_says(ingested: Any, tmp_path: Path) -> None:
    import mlflow

    from tuneloop.io import read_json
    from tuneloop.records import Splits, write_splits

    path = write_params(tmp_path, {"tune.n_trials": 8, "tune.n_workers": 2,
                                   "tune.max_boost_rounds": 60, "tune.pruner.min_resource": 10,
                                   "tune.pruner.min_trials_per_rung": 2,
                                   "cost.per_core_hour": 3.6, "cost.currency": "EUR"})
    params = load_params(path)
    splits = split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), ingested.dataset)
    write_splits(Splits(splits.train, splits.valid, splits.valid.iloc[:0]),
                 tmp_path / params.paths.splits_dir)
    assert tune.main(["--params", str(path), "--root", str(tmp_path)]) == 0

    events = list(Journal(tmp_path / params.paths.journal).events())
    finished = [e for e in events if e["event"] == "finished"]
    slis = read_json(tmp_path / params.paths.sli)
    assert read_json(tmp_path / params.paths.studies_dir / "0001.sli.json") == slis
    # By hand, from the journal's events:
    states = [e["status"] for e in finished]
    assert (slis["trials"], slis["ok"], slis["pruned"], slis["failed"]) == (
        8, states.count("ok"), states.count("pruned"), states.count("failed"))
    assert slis["success_rate"] == 1 - states.count("failed") / 8
    assert slis["pruned_rate"] == states.count("pruned") / 8
    seconds = sorted(e["seconds"] for e in finished)
    assert slis["trial_seconds_max"] == seconds[-1]
    assert slis["trial_seconds_p50"] == pytest.approx(float(np.median(seconds)))
    assert slis["cost"] == pytest.approx(sum(e["seconds"] * e["threads"] for e in finished)
                                         * 3.6 / 3600) and slis["currency"] == "EUR"
    best = max((e for e in finished if e["status"] == "ok"), key=lambda e: e["value"])
    assert (slis["best_trial"], slis["best_valid"]) == (best["id"], best["value"])
    assert slis["stop_reason"] == "max_trials"
    assert 0 < slis["worker_utilization"] <= 1.0
    assert 0 < slis["time_to_best_s"] <= slis["wall_s"]
    upto = finished[:finished.index(best) + 1]
    assert slis["compute_to_best_core_s"] == pytest.approx(
        sum(e["seconds"] * e["threads"] for e in upto))
    assert slis["trials_per_hour"] == pytest.approx(8 / (slis["wall_s"] / 3600))
    # The baseline: a cold study's first trial is the family's defaults, kept inside the space.
    from tuneloop.search import SearchSpace
    from tuneloop.search.baseline import default_configuration

    baseline = default_configuration(SearchSpace.from_config(params.tune.search_space))
    assert baseline["learning_rate"] == 0.1 and baseline["num_leaves"] == 31
    first = next(e for e in events if e["event"] == "proposed")
    assert first["params"] == baseline
    base = next(e for e in finished if e["id"] == first["id"])
    if base["status"] == "ok":
        assert slis["baseline_valid"] == base["value"]
        assert slis["gain_over_baseline"] == pytest.approx(best["value"] - base["value"])
    else:  # ASHA stopped the defaults at a rung: no full score to measure the gain against
        assert base["status"] == "pruned"
        assert slis["baseline_valid"] is None and slis["gain_over_baseline"] is None
    # Reproducibility: the selected trial ran once more with its own seed, after the study.
    [rerun] = [e for e in events if e["event"] == "rerun"]
    assert (rerun["id"], rerun["seed"], rerun["status"]) == (best["id"], best["seed"], "ok")
    assert events.index(rerun) > events.index(finished[-1])
    assert slis["reproducibility_reruns"] == 1
    assert slis["reproducibility_spread"] == pytest.approx(abs(rerun["value"] - best["value"]))
    assert slis["reproducibility_spread"] < 1e-6  # LightGBM with its seed: the same model
    assert slis["reproducibility_cost"] == pytest.approx(
        rerun["seconds"] * rerun["threads"] * 3.6 / 3600)
    assert slis["cost"] == pytest.approx(sum(e["cost"] for e in finished))  # trials only

    from tuneloop.tracking import setup

    experiment = setup(params.mlflow, tmp_path)
    [study] = mlflow.search_runs([experiment], "tags.`tuneloop.run_kind` = 'study'",
                                 output_format="list")
    assert study.data.metrics["sli.success_rate"] == slis["success_rate"]
    assert study.data.metrics["sli.cost"] == pytest.approx(slis["cost"])


def test_reproducibility_spread_names_a_trial_that_does_not_reproduce(tmp_path: Path) -> None:
    """An objective whose value drifts between runs of one seed: the spread shows it; a rerun
    that fails leaves the spread unknown; a resumed study re-runs only what is missing."""
    from tuneloop.search import TrialOutcome
    from tuneloop.search.reproduce import rerun_best

    calls: list[int] = []

    def drifting(spec: Any, ctx: Any) -> TrialOutcome:
        calls.append(spec.seed)
        return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=0.5 + 0.01 * len(calls))

    journal = Journal(tmp_path / "j.jsonl")
    journal.append({"event": "study", "seed": 1, "n_trials": 1})
    best = TrialOutcome(3, {"x": 1}, 77, "ok", value=0.5)
    journal.append({"event": "finished", **best.to_dict(), "cost": 0.0})
    rerun_best(drifting, best, journal, 2)
    assert calls == [77, 77]  # the selected trial's own seed, twice
    slis = study_slis(list(journal.events()), 1, "auc")
    assert slis["reproducibility_reruns"] == 2
    assert slis["reproducibility_spread"] == pytest.approx(0.02)
    rerun_best(drifting, best, journal, 2)  # a resume after the reruns: nothing to do
    assert len(calls) == 2

    def broken(spec: Any, ctx: Any) -> TrialOutcome:
        raise RuntimeError("no GPU here")

    rerun_best(broken, best, journal, 3)
    slis = study_slis(list(journal.events()), 1, "auc")
    assert slis["reproducibility_reruns"] == 3 and slis["reproducibility_spread"] is None
