"""Warm re-tuning (stages/tune.py --warm, tuneloop/search/seeded.py) with real LightGBM on the
small flights slice: the seeds (the caller's, then the previous study's best) are the first
trials and are re-scored on the new window; seeds that do not fit the space are skipped; the
budget is the warm share; a resumed warm study does not run a seed twice; every finished study's
journal is kept; and `python -m stages.tune --warm` does all that from params.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from stages import tune
from tests.conftest import SMALL, flights_schema, space_of, write_params
from tuneloop.config import Params, TuneConfig, load_params
from tuneloop.errors import ConfigError, StudyFailed
from tuneloop.families import FamilyObjective
from tuneloop.features import BATCH_COLUMN, Schema
from tuneloop.records import Splits, TuneResult, threads_per_trial, write_splits
from tuneloop.search import (
    Journal,
    SeededStrategy,
    TrialContext,
    TrialSpec,
    best_configs,
    keep_study,
    latest_study,
    make_strategy,
    study_header,
    trial_seed,
)

CHAMPION = {"learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 20,
            "feature_fraction": 0.8, "bagging_fraction": 0.9, "lambda_l2": 1.0}


def window(dataset: pd.DataFrame, valid_batch: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on every batch before `valid_batch`, score on it (the split stage's convention)."""
    batch = dataset[BATCH_COLUMN]
    return (dataset[batch < valid_batch].reset_index(drop=True),
            dataset[batch == valid_batch].reset_index(drop=True))


@pytest.fixture(scope="module")
def windows(ingested: Any) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    return {"previous": window(ingested.dataset, 3), "new": window(ingested.dataset, 4)}


@pytest.fixture(scope="module")
def schema(windows: dict[str, Any]) -> Schema:
    from tests.conftest import REPO

    return flights_schema(load_params(REPO / "params.yaml"), windows["previous"][0])


def tune_cfg(small_params: Params, **changes: Any) -> TuneConfig:
    raw = small_params.tune.model_dump()
    raw.update({"pruner": {"kind": "none"}, **changes})  # no pruning: every trial completes
    return TuneConfig.model_validate(raw)


def proposals(journal: Path) -> dict[int, dict[str, Any]]:
    return {e["id"]: e for e in Journal(journal).events() if e["event"] == "proposed"}


def finished(journal: Path) -> dict[int, dict[str, Any]]:
    return {e["id"]: e for e in Journal(journal).events() if e["event"] == "finished"}


def test_seeds_come_first_and_are_rescored_on_the_new_window(
        small_params: Params, windows: dict[str, Any], schema: Schema, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    studies = tmp_path / "studies"
    cold = tune_cfg(small_params, n_trials=6)
    tune.run(cold, schema, "auc", *windows["previous"], tmp_path / "old.jsonl",
             studies_dir=studies)
    previous = studies / "0001.jsonl"
    assert latest_study(studies) == previous
    best = best_configs(previous, 2)
    assert len(best) == 2 and CHAMPION not in best

    warm = tune_cfg(small_params, n_trials=12, warm_seeds=2)  # 0.34 x 12: 5 trials
    seeds = [CHAMPION,
             {**CHAMPION, "learning_rate": 0.9},        # outside the space: skipped
             {**CHAMPION, "max_depth": 6},              # not a dimension: skipped
             {**CHAMPION, "num_leaves": 31.0}]          # the champion again: once
    result = tune.run(warm, schema, "auc", *windows["new"], tmp_path / "new.jsonl",
                      mode="warm", seeds=seeds, studies_dir=studies)
    assert "2 seed configuration(s) do not fit tune.search_space" in capsys.readouterr().err
    assert (result.mode, result.n_seeds, result.n_trials) == ("warm", 3, 5)
    assert "(warm, 3 seeds; " in tune.summary_line(result)

    proposed = proposals(tmp_path / "new.jsonl")
    assert [proposed[i]["params"] for i in range(3)] == [CHAMPION, *best]
    header = study_header(tmp_path / "new.jsonl")
    assert header is not None and header["mode"] == "warm"
    assert header["seeds"] == [CHAMPION, *best] and header["seeded_from"] == "0001.jsonl"

    # Re-scored: each seed's value is its trial re-run on the new window with this study's
    # trial seed, not the value the previous study journalled for it.
    old = {json.dumps(e["params"], sort_keys=True): e["value"]
           for e in finished(previous).values() if e["status"] == "ok"}
    done = finished(tmp_path / "new.jsonl")
    objective = FamilyObjective(tune.warm_config(warm, 3), schema, "auc", *windows["new"],
                                threads_per_trial(warm.n_workers))
    for tid in range(3):
        spec = TrialSpec(tid, proposed[tid]["params"], trial_seed(warm.seed, tid))
        assert done[tid]["value"] == objective(spec, TrialContext(spec)).value
    for tid in (1, 2):
        assert done[tid]["value"] != old[json.dumps(best[tid - 1], sort_keys=True)]


def test_a_warm_study_never_learns_old_values(small_params: Params, windows: dict[str, Any],
                                              schema: Schema, tmp_path: Path) -> None:
    old = tune.run(tune_cfg(small_params, n_trials=2), schema, "auc", *windows["previous"],
                   tmp_path / "old.jsonl")
    assert old.mode == "cold" and old.n_seeds == 0
    from tuneloop.search import load_outcomes

    with pytest.raises(ConfigError, match=r"tune\.warm_start: a warm re-tune never learns"):
        tune.run(tune_cfg(small_params), schema, "auc", *windows["new"], tmp_path / "j.jsonl",
                 mode="warm", warm_start=load_outcomes(tmp_path / "old.jsonl"))
    with pytest.raises(ConfigError, match=r"tune mode 'hot': one of cold, warm"):
        tune.run(tune_cfg(small_params), schema, "auc", *windows["new"], tmp_path / "j.jsonl",
                 mode="hot")


def test_the_warm_budget_is_the_warm_share(small_params: Params) -> None:
    cfg = tune_cfg(small_params, n_trials=24, n_initial_points=8,
                   budget={"wall_clock_s": 100.0, "compute_s": 50.0})
    warm = tune.warm_config(cfg, 4)
    assert (warm.n_trials, warm.n_initial_points) == (9, 3)  # ceil(8.16), ceil(2.72)
    assert warm.budget.wall_clock_s == pytest.approx(34.0)
    assert warm.budget.compute_s == pytest.approx(17.0)
    assert tune.warm_config(cfg, 12).n_trials == 13  # every seed, and one search trial
    half = tune_cfg(small_params, n_trials=8, n_initial_points=1, warm_share=0.5)
    assert (tune.warm_config(half, 0).n_trials, tune.warm_config(half, 0).n_initial_points) == (
        4, 1)
    assert tune.warm_config(tune_cfg(small_params), 0).budget.wall_clock_s is None


def test_the_surrogate_takes_over_right_after_the_seeds(monkeypatch: pytest.MonkeyPatch) -> None:
    from tuneloop.search.skopt_adapter import SkoptStrategy

    space = space_of({"x": {"type": "real", "low": 0.0, "high": 1.0},
                      "n": {"type": "integer", "low": 1, "high": 9}})
    calls: list[int] = []
    real = SkoptStrategy._gp_propose

    def counted(self: Any, *args: Any) -> Any:
        calls.append(len(args[1]))  # the points the GP is fitted on
        return real(self, *args)

    monkeypatch.setattr(SkoptStrategy, "_gp_propose", counted)
    seeds = [{"x": 0.1, "n": 2}, {"x": 0.5, "n": 5}, {"x": 0.9, "n": 8}]
    strategy = SeededStrategy(make_strategy("gp", space, seed=1, n_initial_points=3), seeds)
    asked = [strategy.ask() for _ in range(3)]
    assert [p.params for p in asked] == seeds and [p.id for p in asked] == [0, 1, 2]
    for p in asked:
        strategy.tell(p.id, -p.params["x"])
    assert calls == [] and strategy.remaining == []
    fourth = strategy.ask()
    assert calls == [3] and fourth.params not in seeds  # the GP, on the three seeds


def test_a_resumed_warm_study_does_not_rerun_its_seeds(
        small_params: Params, windows: dict[str, Any], schema: Schema, tmp_path: Path) -> None:
    studies, journal = tmp_path / "studies", tmp_path / "trials.jsonl"
    tune.run(tune_cfg(small_params, n_trials=5), schema, "auc", *windows["previous"], journal,
             studies_dir=studies)
    warm = tune_cfg(small_params, n_trials=12, warm_seeds=3)
    first = tune.run(warm, schema, "auc", *windows["new"], journal, mode="warm",
                     seeds=[CHAMPION], studies_dir=studies)
    assert first.n_seeds == 4 and first.n_trials == 5
    seeds = study_header(journal)["seeds"]  # type: ignore[index]
    full = finished(journal)

    # kill -9 after the second finished trial: what the journal holds is what survives.
    lines = journal.read_text().splitlines(keepends=True)
    ends = [i for i, ln in enumerate(lines) if json.loads(ln)["event"] == "finished"]
    journal.write_text("".join(lines[: ends[1] + 1]))
    kept = finished(journal)
    # A newer study was kept meanwhile: a resume that re-planned its seeds would propose its
    # best configuration; the resumed study keeps the seeds it started with.
    other = {**CHAMPION, "num_leaves": 100}
    Journal(studies / "0003.jsonl").append({"event": "finished", "id": 0, "status": "ok",
                                            "value": 0.9, "params": other})
    assert latest_study(studies) == studies / "0003.jsonl"

    with pytest.raises(ConfigError, match=r"trials\.jsonl: the study to resume is a warm one; "
                                          r"resume it with --warm"):
        tune.run(warm, schema, "auc", *windows["new"], journal, resume=True)
    resumed = tune.run(warm, schema, "auc", *windows["new"], journal, mode="warm",
                       resume=True, studies_dir=studies)
    assert (resumed.n_trials, resumed.n_seeds) == (5, 4)
    after = finished(journal)
    assert sorted(after) == list(range(5))  # ids dense: nothing proposed twice
    for tid, event in kept.items():
        assert after[tid] == event  # finished seeds are kept as journalled, not re-run
    events = [e for e in Journal(journal).events() if e["event"] == "proposed"]
    assert [e["params"] for e in events[:4]] == seeds  # each seed proposed exactly once
    assert all(e["params"] not in [*seeds, other] for e in events[4:])
    assert {tid: e["value"] for tid, e in after.items() if tid < 4} == {
        tid: e["value"] for tid, e in full.items() if tid < 4}  # the same trials, same scores
    assert latest_study(studies) == studies / "0004.jsonl"  # the resumed study, kept


def test_each_finished_study_is_kept_once(small_params: Params, windows: dict[str, Any],
                                          schema: Schema, tmp_path: Path) -> None:
    studies, journal = tmp_path / "studies", tmp_path / "trials.jsonl"
    assert latest_study(studies) is None
    tune.run(tune_cfg(small_params, n_trials=2), schema, "auc", *windows["previous"], journal,
             studies_dir=studies)
    assert (studies / "0001.jsonl").read_bytes() == journal.read_bytes()
    tune.run(tune_cfg(small_params, n_trials=4), schema, "auc", *windows["new"], journal,
             mode="warm", studies_dir=studies)
    assert sorted(p.name for p in studies.iterdir()) == ["0001.jsonl", "0002.jsonl"]
    assert (studies / "0002.jsonl").read_bytes() == journal.read_bytes()
    assert keep_study(journal, studies) == studies / "0002.jsonl"  # the same study: not twice
    assert len(list(studies.iterdir())) == 2

    # A study in which no trial completed is not one to warm-start from.
    bad = tune_cfg(small_params, n_trials=2, max_retries=0, search_space={
        "feature_fraction": {"type": "real", "low": 1.5, "high": 2.0}}, refine={"param": None})
    with pytest.raises(StudyFailed):
        tune.run(bad, schema, "auc", *windows["new"], journal, studies_dir=studies)
    assert len(list(studies.iterdir())) == 2
    # Numbered, not sorted by name: 0010 is newer than 0009; a half-written copy is no study.
    (studies / "0009.jsonl").write_bytes(journal.read_bytes())
    (studies / "10.jsonl").write_bytes(journal.read_bytes())
    (studies / ".0011.jsonl.x.tmp").write_text("{")
    assert latest_study(studies) == studies / "10.jsonl"
    assert keep_study(tmp_path / "studies" / "0001.jsonl", studies) == studies / "0011.jsonl"


def test_best_configs_ranks_completed_trials_once_each(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    for tid, status, value, params, refines in [
            (0, "ok", 0.70, {"a": 1}, None), (1, "pruned", 0.99, {"a": 2}, None),
            (2, "failed", None, {"a": 3}, None), (3, "ok", 0.75, {"a": 4}, None),
            (4, "ok", 0.75, {"a": 1}, None), (5, "ok", 0.60, {"a": 5}, None),
            (6, "ok", 0.80, {"a": 6}, 5)]:  # 6 refines 5: one family, 6 the better
        journal.append({"event": "finished", "id": tid, "status": status, "value": value,
                        "params": params, "refines": refines})
    assert best_configs(journal.path, 2) == [{"a": 6}, {"a": 4}]  # a tie: the earlier trial
    assert best_configs(journal.path, 9) == [{"a": 6}, {"a": 4}, {"a": 1}]
    assert best_configs(journal.path, 0) == []


def test_a_seed_and_its_earlier_refinement_are_not_refined_into_a_rerun() -> None:
    from tuneloop.search.refine import RefinePolicy, RefiningStrategy

    space = space_of({
        "learning_rate": {"type": "real", "low": 0.01, "high": 0.3, "prior": "log-uniform"},
        "leaves": {"type": "integer", "low": 4, "high": 64}})
    parent = {"learning_rate": 0.06, "leaves": 8}
    refined = {"learning_rate": 0.06 / 3, "leaves": 8}  # what the refiner would propose

    def first_refinement(seeds: list[dict[str, Any]]) -> Any:
        refiner = RefiningStrategy(make_strategy("random", space, 3, 1), space,
                                   RefinePolicy(start_share=0.0), budget_share=lambda: 1.0)
        strategy = SeededStrategy(refiner, seeds)
        for value, _ in enumerate(seeds):
            p = strategy.ask()
            strategy.tell(p.id, -1.0 + 0.1 * value)  # minimised: the first seed is the best
        return strategy.ask()

    assert first_refinement([parent]).params == refined  # the refiner's usual step
    after = first_refinement([parent, refined])
    assert after.refines is None and after.params not in (parent, refined)
    # The champion an earlier study refined to the lower edge is the best: nothing to refine,
    # and the runner-up it beat is not refined in its place (top_k is 1).
    edge = {"learning_rate": 0.01, "leaves": 30}
    assert first_refinement([edge, parent]).refines is None
    assert first_refinement([parent, edge]).refines == 0  # the best refinable one: refined


def test_a_warm_studys_seeds_keep_their_place_but_are_not_refined_again() -> None:
    """Each seed had its turn at a refinement in the study that found it: a warm study refines
    only a configuration its own search found, and only when it beats every seed."""
    from tuneloop.search.refine import RefinePolicy, RefiningStrategy

    space = space_of({
        "learning_rate": {"type": "real", "low": 0.01, "high": 0.3, "prior": "log-uniform"},
        "leaves": {"type": "integer", "low": 4, "high": 64}})
    seeds = [{"learning_rate": 0.06, "leaves": 8}, {"learning_rate": 0.1, "leaves": 20}]
    refiner = RefiningStrategy(make_strategy("random", space, 3, 1), space,
                               RefinePolicy(start_share=0.0), budget_share=lambda: 1.0,
                               settled=seeds)
    strategy = SeededStrategy(refiner, seeds)
    for value in (-0.80, -0.75):  # minimised: the first seed is the best so far
        strategy.tell(strategy.ask().id, value)
    searched = strategy.ask()
    assert searched.refines is None and searched.params not in seeds
    strategy.tell(searched.id, -0.78)  # between the seeds: the best seed keeps its place
    assert strategy.ask().refines is None  # ... and is not refined (nor the runner-up)
    better = strategy.ask()
    strategy.tell(better.id, -0.90)  # the search beat every seed: its find is refined
    refinement = strategy.ask()
    assert refinement.refines == better.id
    assert refinement.params["learning_rate"] == pytest.approx(
        max(better.params["learning_rate"] / 3, 0.01))


def test_cli_warm_retunes_from_the_previous_study(
        ingested: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import mlflow

    from tuneloop.tracking import setup

    path = write_params(tmp_path, {**SMALL, "tune.n_trials": 6, "tune.warm_seeds": 2,
                                   "tune.pruner.kind": "none"})
    params = load_params(path)
    train, valid = window(ingested.dataset, 3)
    write_splits(Splits(train, valid, valid.iloc[:0]), tmp_path / params.paths.splits_dir)
    assert tune.main(["--params", str(path), "--root", str(tmp_path)]) == 0
    assert "(cold; " in capsys.readouterr().out

    train, valid = window(ingested.dataset, 4)  # a new batch arrived: the window moved on
    write_splits(Splits(train, valid, valid.iloc[:0]), tmp_path / params.paths.splits_dir)
    assert tune.main(["--params", str(path), "--root", str(tmp_path), "--warm"]) == 0
    assert "(warm, 2 seeds; " in capsys.readouterr().out
    result = TuneResult.load(tmp_path / params.paths.tune_report)
    assert (result.mode, result.n_seeds, result.n_trials) == ("warm", 2, 3)  # max(3, 0.34 x 6)
    studies = tmp_path / params.paths.studies_dir
    # Each kept journal, and beside it the study's indicators (the CLI's tracked run).
    assert sorted(p.name for p in studies.iterdir()) == [
        "0001.jsonl", "0001.sli.json", "0002.jsonl", "0002.sli.json"]
    journal = tmp_path / params.paths.journal
    seeds = best_configs(studies / "0001.jsonl", 2)
    assert [proposals(journal)[i]["params"] for i in range(2)] == seeds
    # The seeds were not refined (stages.tune passes them as settled): the third trial, the
    # one the refiner could take once a trial finished, was the search's own.
    finished = [e for e in Journal(journal).events() if e["event"] == "finished"]
    assert len(finished) == 3 and all(e.get("refines") is None for e in finished)

    experiment = setup(params.mlflow, tmp_path)
    runs = mlflow.search_runs([experiment], filter_string="tags.`tuneloop.run_kind` = 'study'",
                              order_by=["attributes.start_time"], output_format="list")
    assert [(r.data.params["mode"], r.data.params["n_seeds"]) for r in runs] == [
        ("cold", "0"), ("warm", "2")]
    assert runs[1].data.params["trial_budget"] == "3"
    assert runs[1].data.params["warm_share"] == "0.34"
    # An old tune.json, written before warm re-tunes existed, still loads (as a cold one).
    raw = result.to_dict()
    for key in ("mode", "n_seeds"):
        raw.pop(key)
    (tmp_path / "old.json").write_text(json.dumps(raw))
    assert TuneResult.load(tmp_path / "old.json").mode == "cold"
