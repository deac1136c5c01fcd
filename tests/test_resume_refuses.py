"""--resume continues only the study its journal holds (stages/tune.py): a journal run with
another search space, strategy, seed, metric, family set or train/valid data is refused with one
line naming what differs, and left as it was; a journal from before the study fingerprint still
resumes, with a warning; a warm re-tune seeded from a study on another space is not a resume."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from stages import tune
from tests.conftest import REPO, SMALL, flights_schema, write_params
from tuneloop.config import Params, TuneConfig, load_params
from tuneloop.errors import ConfigError
from tuneloop.features import BATCH_COLUMN, Schema
from tuneloop.search import Journal, study_header


@pytest.fixture(scope="module")
def frames(ingested: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    batch = ingested.dataset[BATCH_COLUMN]
    return (ingested.dataset[batch < 3].reset_index(drop=True),
            ingested.dataset[batch == 3].reset_index(drop=True))


@pytest.fixture(scope="module")
def schema(frames: tuple[pd.DataFrame, pd.DataFrame]) -> Schema:
    return flights_schema(load_params(REPO / "params.yaml"), frames[0])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Params:
    return load_params(write_params(tmp_path_factory.mktemp("params"), SMALL))


def tune_cfg(cfg: TuneConfig, **changes: Any) -> TuneConfig:
    raw = cfg.model_dump()
    raw.update({"pruner": {"kind": "none"}, "refine": {"param": None}, **changes})
    return TuneConfig.model_validate(raw)


def with_bound(cfg: TuneConfig, name: str, **bound: Any) -> TuneConfig:
    space = {k: d.model_dump() for k, d in cfg.search_space.items()}
    space[name].update(bound)
    return tune_cfg(cfg, search_space=space)


@pytest.fixture(scope="module")
def study(base: Params, schema: Schema, frames: Any,
          tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real two-trial study; each test works on a copy of its journal."""
    journal = tmp_path_factory.mktemp("study") / "trials.jsonl"
    tune.run(tune_cfg(base.tune, n_trials=2), schema, "auc", *frames, journal)
    return journal


@pytest.fixture
def journal(study: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(study, tmp_path / "trials.jsonl"))


def test_the_header_records_what_makes_trials_comparable(study: Path, base: Params) -> None:
    recorded = study_header(study)["fingerprint"]  # type: ignore[index]
    assert set(recorded) == set(tune.COMPARABLE)
    assert recorded["tune.search_space"]["num_leaves"]["high"] == 255
    assert (recorded["tune.strategy"], recorded["tune.seed"], recorded["tune.metric"],
            recorded["families"]) == (base.tune.strategy, base.tune.seed, "auc", ["lightgbm"])


def test_resume_after_editing_a_bound_is_one_line_naming_the_key(
        journal: Path, base: Params, schema: Schema, frames: Any) -> None:
    before = journal.read_bytes()
    edited = with_bound(base.tune, "num_leaves", high=300)
    with pytest.raises(ConfigError) as err:
        tune.run(edited, schema, "auc", *frames, journal, resume=True)
    message = str(err.value)
    assert message == (
        f"{journal}: the study was run with another search space (tune.search_space differs: "
        "num_leaves.high 255.0, now 300.0); run without --resume to start a new study")
    assert "\n" not in message
    assert journal.read_bytes() == before  # refused before anything was appended


@pytest.mark.parametrize(("change", "named"), [
    ({"strategy": "random"}, "another strategy (tune.strategy differs: 'gp', now 'random')"),
    ({"seed": 7}, "another seed (tune.seed differs: 42, now 7)"),
])
def test_another_strategy_or_seed_is_refused(journal: Path, base: Params, schema: Schema,
                                             frames: Any, change: dict[str, Any],
                                             named: str) -> None:
    before = journal.read_bytes()
    expected = f"the study was run with {named}; run without --resume to start a new study"
    with pytest.raises(ConfigError, match=re.escape(expected) + "$"):
        tune.run(tune_cfg(base.tune, **change), schema, "auc", *frames, journal, resume=True)
    assert journal.read_bytes() == before


def test_another_metric_space_or_data_are_each_named(journal: Path, base: Params,
                                                     schema: Schema, frames: Any) -> None:
    train, valid = frames
    space = {k: d.model_dump() for k, d in base.tune.search_space.items()}
    space["family"] = {"type": "categorical", "choices": ["lightgbm"]}
    del space["lambda_l2"]
    with pytest.raises(ConfigError) as err:
        tune.run(tune_cfg(base.tune, search_space=space), schema, "logloss", train.iloc[1:],
                 valid, journal, resume=True)
    assert ("the study was run with another search space and another tuning metric and "
            "other train/valid data (tune.search_space differs: family added, lambda_l2 "
            "removed; tune.metric differs: 'auc', now 'logloss'; data differs: train); "
            "run without --resume") in str(err.value)


def test_resume_with_identical_params_continues_the_study(
        journal: Path, base: Params, schema: Schema, frames: Any) -> None:
    resumed = tune.run(tune_cfg(base.tune, n_trials=3), schema, "auc", *frames, journal,
                       resume=True)
    assert resumed.n_trials == 3  # more trials is the same study, extended
    finished = [e["id"] for e in Journal(journal).events() if e["event"] == "finished"]
    assert sorted(finished) == [0, 1, 2]


def test_a_journal_from_before_fingerprints_resumes_with_a_warning(
        journal: Path, base: Params, schema: Schema, frames: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    lines = journal.read_text().splitlines(keepends=True)
    header = json.loads(lines[0])
    assert header["event"] == "study"
    del header["fingerprint"]
    journal.write_text(json.dumps(header, sort_keys=True) + "\n" + "".join(lines[1:]))
    edited = with_bound(base.tune, "num_leaves", high=300)  # unknown: nothing to compare with
    with caplog.at_level(logging.WARNING, logger="stages.tune"):
        resumed = tune.run(tune_cfg(edited, n_trials=3), schema, "auc", *frames, journal,
                           resume=True)
    assert resumed.n_trials == 3
    assert (f"{journal}: the study's journal does not record its search space, strategy, "
            "seed, metric or data") in caplog.text


def test_a_warm_retune_seeded_from_a_study_on_another_space_is_not_refused(
        study: Path, base: Params, schema: Schema, frames: Any, tmp_path: Path) -> None:
    """Seeds are configurations, re-scored on this window: not a resume of the study."""
    studies = tmp_path / "studies"
    studies.mkdir()
    shutil.copy(study, studies / "0001.jsonl")
    journal = tmp_path / "trials.jsonl"
    shutil.copy(study, journal)  # the journal a warm study starts afresh
    edited = with_bound(base.tune, "num_leaves", high=300)
    warm = tune_cfg(edited, n_trials=6, warm_seeds=1)
    result = tune.run(warm, schema, "auc", *frames, journal, mode="warm", studies_dir=studies)
    assert result.mode == "warm" and result.n_seeds == 1
    header = study_header(journal)
    assert header is not None and header["seeded_from"] == "0001.jsonl"
    assert header["fingerprint"]["tune.search_space"]["num_leaves"]["high"] == 300

