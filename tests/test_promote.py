"""Promotion through the real MLflow registry (a fresh SQLite store per test): the gate, the
aliases, the audit log, what is logged with each version, and the one-line serving load.

"Oracle" models give known quality: tiny LightGBM boosters fitted on the holdout itself with a
share of the labels flipped, so more flips means a worse model on that holdout. They exist only
to feed the registry models of known order; the pipeline never trains on the holdout.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stages import evaluate as evaluate_stage
from stages import promote as promote_stage
from stages import split as split_stage
from tests.conftest import REPO, SMALL, raw_month, write_params
from tuneloop import audit, lgbm
from tuneloop.config import DataConfig, Params, SplitConfig, load_params
from tuneloop.features import Schema
from tuneloop.io import write_json, write_parquet
from tuneloop.lineage import lineage_tags
from tuneloop.metrics import BINARY, calibration_table, slice_metrics, task_metrics
from tuneloop.promotion import CHALLENGER, CHAMPION, MODEL_CODE_LOCK, registry_files

FLIPS = (0.0, 0.15, 0.3, 0.45, 0.6)  # share of flipped labels: higher is worse
REGISTRY = {"promote.bootstrap_samples": 200}
HOLDOUT_MONTH = 6  # the holdout of months 1-6 is the newest batch: June


def flights_spec() -> DataConfig:
    """The bundled project's dataset spec (params.yaml data:), prepare hook included."""
    return load_params(REPO / "params.yaml").data


def holdout_of(dataset: pd.DataFrame) -> pd.DataFrame:
    return split_stage.run(SplitConfig(valid_batches=1, holdout_batches=1), dataset).holdout


def oracle_model(holdout: pd.DataFrame, flip: float, dest: Path, seed: int = 0,
                 spec: DataConfig | None = None) -> Path:
    """A model dir (LightGBM text + JSON meta with the schema and dataset spec, as evaluate
    writes it) whose holdout quality falls as `flip` grows; its metrics report is written next
    to it as report.json and its tables as evaluation.json."""
    spec = spec or flights_spec()
    rng = np.random.default_rng(seed)
    schema = Schema.fit(spec, holdout)
    frame = holdout.copy()
    flipped = rng.random(len(frame)) < flip
    frame[spec.target] = np.where(flipped, 1 - frame[spec.target], frame[spec.target])
    params = {"num_leaves": 63, "min_child_samples": 2, "learning_rate": 0.3}
    booster = lgbm.fit(frame, schema, params, 40, seed, 1)
    y, proba = schema.labels(holdout), lgbm.predict(booster, holdout, schema)
    evaluation = evaluate_stage.Evaluation(
        model=booster,
        meta={"family": "lightgbm", "params": params, "num_boost_round": 40, "seed": seed,
              "schema": schema.to_dict(), "data": spec.model_dump(mode="json"),
              "train_rows": len(frame), "holdout_rows": len(holdout)},
        metrics=task_metrics(BINARY, y, proba),
        cost={"latency_ms_per_1k": 1.0, "size_bytes": len(booster.model_to_string())},
        tables={"slices": slice_metrics(BINARY, holdout, y, proba, ("carrier", "origin"), 30)},
        calibration=calibration_table(y, proba, 10))
    evaluate_stage.write(evaluation, dest / "model", dest / "report.json",
                         dest / "evaluation.json")
    return dest


@pytest.fixture(scope="module")
def holdout(ingested: Any) -> pd.DataFrame:
    return holdout_of(ingested.dataset)


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return empty_store(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def oracles(holdout: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("oracles")
    return [oracle_model(holdout, flip, base / f"flip{flip}") for flip in FLIPS]


_TEMPLATES: dict[Path, Path] = {}


def empty_store(base: Path) -> Path:
    """An empty, migrated MLflow SQLite database, made once per session and copied per test:
    creating one runs MLflow's migrations, ~12 s here, while a copy opens in ~0.1 s."""
    if base not in _TEMPLATES:
        import mlflow

        db = base / "mlflow-template.db"
        mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()
        _TEMPLATES[base] = db
    return _TEMPLATES[base]


def registry_project(root: Path, holdout: pd.DataFrame, template: Path,
                     overrides: dict[str, Any] | None = None) -> Params:
    """A project dir with its own SQLite store (a copy of the empty template), audit log,
    holdout split and the flights prepare hook (logged with every model it registers)."""
    from tuneloop.tracking import resolve_uri, setup

    root.mkdir(parents=True, exist_ok=True)
    params = load_params(write_params(root, {**SMALL, **REGISTRY, **(overrides or {})}))
    db = Path(resolve_uri(params.mlflow.tracking_uri, root).removeprefix("sqlite:///"))
    shutil.copy(template, db)
    write_parquet(root / params.paths.splits_dir / "holdout.parquet", holdout)
    shutil.copytree(REPO / "hooks", root / "hooks",
                    ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    setup(params.mlflow, root)
    return params


def promote(params: Params, root: Path, oracle: Path, holdout: pd.DataFrame
            ) -> promote_stage.Decision:
    from tuneloop.io import read_json

    return promote_stage.run(params.promote, params.gate_metric, oracle / "model",
                             read_json(oracle / "report.json"), holdout,
                             lineage_tags(params, root), registry_files(params, root),
                             read_json(oracle / "evaluation.json"), root,
                             limits=params.constraints)


def served(uri: str) -> Any:
    import mlflow

    with MODEL_CODE_LOCK:
        return mlflow.pyfunc.load_model(uri)


def auc_of(uri: str, holdout: pd.DataFrame) -> float:
    """The served model's holdout AUC, scored on the prepared holdout rows as the gate does."""
    model = served(uri).unwrap_python_model()
    schema = model.schema
    return task_metrics(schema.task, schema.labels(holdout),
                        model.predict_prepared(holdout))["auc"]


def alias(params: Params, name: str) -> str | None:
    import mlflow

    from tuneloop.promotion import current_alias

    return current_alias(mlflow.MlflowClient(), params.promote.model_name, name)


def test_oracles_have_the_known_order(oracles: list[Path]) -> None:
    from tuneloop.io import read_json

    aucs = [read_json(o / "report.json")["holdout"]["auc"] for o in oracles]
    assert aucs == sorted(aucs, reverse=True)
    assert aucs[0] - aucs[-1] > 0.2


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.lists(st.integers(0, len(FLIPS) - 1), min_size=2, max_size=3))
def test_registry_champion_is_never_replaced_by_a_worse_model(
        order: list[int], oracles: list[Path], holdout: pd.DataFrame,
        tmp_path_factory: pytest.TempPathFactory, store_template: Path) -> None:
    root = tmp_path_factory.mktemp("registry") / uuid.uuid4().hex[:8]
    params = registry_project(root, holdout, store_template)
    name = params.promote.model_name
    best = None
    for i, index in enumerate(order, start=1):
        decision = promote(params, root, oracles[index], holdout)
        assert decision.version == str(i)
        champion_auc = auc_of(f"models:/{name}@{CHAMPION}", holdout)
        if best is not None:
            assert champion_auc >= best  # never worse than before, on this holdout
        if decision.promoted:
            assert alias(params, CHAMPION) == decision.version
            if best is not None:
                assert champion_auc > best + params.promote.min_improvement
        else:
            assert alias(params, CHALLENGER) == decision.version
            assert champion_auc == best
        best = champion_auc
    entries = audit.read(registry_files(params, root).audit_log)
    assert [e["version"] for e in entries] == [str(i) for i in range(1, len(order) + 1)]
    for prev, entry in zip(entries, entries[1:], strict=False):
        assert entry["champion_before"] == prev["champion_after"]


def test_a_challenger_older_than_a_new_champion_leaves_the_alias(
        oracles: list[Path], holdout: pd.DataFrame, tmp_path: Path,
        store_template: Path) -> None:
    """Sweep 10: v2, kept out against v1, still showed as the challenger after v3 became
    champion."""
    params = registry_project(tmp_path, holdout, store_template)
    assert promote(params, tmp_path, oracles[1], holdout).promoted        # v1
    assert not promote(params, tmp_path, oracles[3], holdout).promoted    # v2: worse
    assert alias(params, CHALLENGER) == "2"
    assert promote(params, tmp_path, oracles[0], holdout).promoted        # v3: better
    assert (alias(params, CHAMPION), alias(params, CHALLENGER)) == ("3", None)


def test_version_carries_evaluation_lineage_and_safe_model(holdout: pd.DataFrame,
                                                           oracles: list[Path],
                                                           tmp_path: Path,
                                                           store_template: Path) -> None:
    import mlflow

    from hooks.flights import prepare
    from tuneloop.promotion import score_version

    params = registry_project(tmp_path, holdout, store_template)
    name = params.promote.model_name
    decision = promote(params, tmp_path, oracles[1], holdout)
    assert decision.promoted and decision.reason.startswith("no champion yet; holdout ")
    assert decision.metric == "auc"  # promote.metric null: the binary task's default
    client = mlflow.MlflowClient()
    version = client.get_model_version(name, decision.version)
    run_tags = client.get_run(version.run_id).data.tags
    for key, value in lineage_tags(params, tmp_path).items():
        assert version.tags[key] == value and run_tags[key] == value
    assert version.tags["decision"] == "promoted"
    assert version.tags["reason"] == decision.reason
    assert version.tags["task"] == "binary"
    assert json.loads(version.tags["params"])["num_leaves"] == 63
    metrics = client.get_run(version.run_id).data.metrics
    for key in ("auc", "logloss", "accuracy", "f1", "brier"):
        assert f"holdout_{key}" in metrics
    assert metrics["model_latency_ms_per_1k"] == 1.0 and metrics["model_size_bytes"] > 0
    # Slices are one table artifact, not hundreds of metrics (and charts) on the run page.
    assert not any(k.startswith("slice") for k in metrics)
    slices = mlflow.load_table("slices.json", run_ids=[version.run_id])
    assert {"carrier", "origin"} <= set(slices["column"]) and slices["auc"].notna().any()

    # The served input is the raw batch, which promotion never sees: no made-up signature.
    info = mlflow.models.get_model_info(f"models:/{name}@{CHAMPION}")
    assert info.signature is None and info.saved_input_example_info is None
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/{decision.version}"))
    reqs = (local / "requirements.txt").read_text()
    assert "lightgbm==" in reqs and "mlflow==" in reqs
    assert not [p for p in local.rglob("*") if p.suffix in {".pkl", ".pickle", ".joblib"}]
    assert any(p.name == "model.txt" for p in local.rglob("*"))
    # The project's prepare hook (and the weather table it joins) travels with the model.
    code = {p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()}
    assert any(c.endswith("hooks/flights.py") for c in code)
    assert any(c.endswith("hooks/weather.parquet") for c in code)
    assert any(c.endswith("tuneloop/serving.py") for c in code)

    # One line to serve: raw June rows in as they are known at scheduling time (no
    # post-departure columns), one probability per row in their order, and for every flight
    # exactly what the gate scored on the prepared holdout.
    raw = raw_month(HOLDOUT_MONTH)
    model = served(f"models:/{name}@{CHAMPION}")
    scheduled = raw.drop(columns=list(params.data.forbid))
    proba = model.predict(scheduled)
    assert proba.shape == (len(raw),) and ((proba >= 0) & (proba <= 1)).all()
    ids = prepare(scheduled)["flight_id"].to_numpy()  # one prepared row per raw row, in order
    gate = pd.Series(score_version(name, decision.version, holdout),
                     index=holdout["flight_id"].to_numpy())
    labelled = raw["arr_delay"].notna().to_numpy()
    np.testing.assert_allclose(proba[labelled], gate.loc[ids[labelled]].to_numpy())
    # A hook that drops rows cannot be served silently out of line with its input.
    with pytest.raises(Exception, match="prepare hook returned"):
        model.predict(raw)


def test_a_model_without_a_hook_serves_prepared_rows(holdout: pd.DataFrame, tmp_path: Path,
                                                     store_template: Path) -> None:
    """A dataset spec without a prepare hook: the served input is the prepared table's
    feature columns; the version carries an input example of them (UTC times) but no input
    signature, so rows MLflow would refuse (tz-aware or text dates) are served as they are."""
    import mlflow

    from tuneloop.promotion import score_version

    spec = flights_spec().model_copy(update={"prepare": None})
    oracle = oracle_model(holdout, 0.1, tmp_path / "oracle", spec=spec)
    params = registry_project(tmp_path / "project", holdout, store_template)
    decision = promote(params, tmp_path / "project", oracle, holdout)
    assert decision.promoted
    uri = f"models:/{params.promote.model_name}/{decision.version}"
    info = mlflow.models.get_model_info(uri)
    assert info.signature is None and info.saved_input_example_info is not None
    local = Path(mlflow.artifacts.download_artifacts(uri))
    assert not [p for p in local.rglob("*") if "hooks" in p.parts]  # no hook to carry
    schema = Schema.fit(spec, holdout)
    rows = holdout[schema.inputs].head(20)
    expected = score_version(params.promote.model_name, decision.version, holdout)[:20]
    model = served(uri)
    for variant in (rows, rows.assign(time_hour=rows["time_hour"].astype(str))):
        proba = model.predict(variant)
        assert proba.shape == (20,) and ((proba >= 0) & (proba <= 1)).all()
        np.testing.assert_allclose(proba, expected)


def test_constraints_keep_a_model_as_challenger(holdout: pd.DataFrame, oracles: list[Path],
                                                tmp_path: Path, store_template: Path) -> None:
    from typer.testing import CliRunner

    from tuneloop_cli.app import app

    params = registry_project(tmp_path, holdout, store_template,
                              {"constraints.max_model_bytes": 10})
    decision = promote(params, tmp_path, oracles[0], holdout)
    assert not decision.promoted
    assert decision.reason.startswith("constraints not met: model size")
    assert "exceeds constraints.max_model_bytes 10" in decision.reason
    assert alias(params, CHAMPION) is None and alias(params, CHALLENGER) == decision.version

    result = CliRunner().invoke(app, ["status", "--json", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout.strip().splitlines()[-1])
    assert status["champion"] is None
    assert status["challenger"]["version"] == decision.version
    assert status["last_decision"]["promoted"] is False
    assert status["reason"] == status["last_decision"]["reason"] == decision.reason


def test_execute_reads_stage_files_and_writes_promotion(holdout: pd.DataFrame,
                                                        oracles: list[Path],
                                                        tmp_path: Path,
                                                        store_template: Path) -> None:
    """The stage entry point dvc.yaml and the flow use: paths from params."""
    import shutil

    from tuneloop.io import read_json

    params = registry_project(tmp_path, holdout, store_template)
    p = params.paths
    (tmp_path / p.metrics).parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(oracles[2] / "model", tmp_path / p.model_dir)
    shutil.copy(oracles[2] / "report.json", tmp_path / p.metrics)
    shutil.copy(oracles[2] / "evaluation.json", tmp_path / p.evaluation)
    decision = promote_stage.execute(params, tmp_path)
    assert decision.promoted
    written = read_json(tmp_path / p.promotion)
    assert written["version"] == decision.version and written["action"] == "gate"

    # Bad inputs: a one-line error naming the file, and nothing new in the registry or log.
    from tuneloop.errors import DataError

    log = registry_files(params, tmp_path).audit_log
    entries = audit.read(log)
    shutil.copy(oracles[2] / "report.json", tmp_path / p.metrics)
    shutil.rmtree(tmp_path / p.model_dir)
    with pytest.raises(DataError, match=r"models/challenger/model.json: file not found"):
        promote_stage.execute(params, tmp_path)
    write_json(tmp_path / p.metrics, {"holdout": {"auc": 0.5}})
    with pytest.raises(DataError, match=r"metrics.json: no 'model' section \(re-run the "
                                        r"evaluate stage\)"):
        promote_stage.execute(params, tmp_path)
    assert audit.read(log) == entries
    assert alias(params, CHAMPION) == decision.version


class Stopped(BaseException):
    """The process stopping between two steps (BaseException: no retry or handler keeps it)."""


@pytest.mark.slow  # ~40 s; tests/test_recovery.py covers finishing it in the default run
def test_a_promotion_stopped_before_the_alias_moved_is_finished_by_the_next_one(
        holdout: pd.DataFrame, oracles: list[Path], tmp_path: Path, store_template: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import tuneloop.promotion as promotion

    params = registry_project(tmp_path, holdout, store_template)
    log = registry_files(params, tmp_path).audit_log
    assert promote(params, tmp_path, oracles[2], holdout).promoted  # v1 champion

    def stop(*args: Any) -> None:
        raise Stopped

    with monkeypatch.context() as patched:  # v2 (better) decided and audited, then it stops
        patched.setattr(promotion, "_set_alias", stop)
        with pytest.raises(Stopped):
            promote(params, tmp_path, oracles[0], holdout)
    assert alias(params, CHAMPION) == "1"
    assert audit.read(log)[-1]["champion_after"] == "2"

    third = promote(params, tmp_path, oracles[4], holdout)  # worse than v2
    assert alias(params, CHAMPION) == "2"  # the audited move was finished first ...
    assert third.champion_version == "2" and not third.promoted  # ... and v3 judged against it
    entries = audit.read(log)
    assert [e["champion_after"] for e in entries] == ["1", "2", "2"]
    for prev, entry in zip(entries, entries[1:], strict=False):
        assert entry["champion_before"] == prev["champion_after"]

    with monkeypatch.context() as patched:  # a rollback to v1 stopped the same way
        patched.setattr(promotion, "_set_alias", stop)
        with pytest.raises(Stopped):
            promotion.rollback(params, tmp_path)
    assert alias(params, CHAMPION) == "2"
    import mlflow

    client = mlflow.MlflowClient()
    assert promotion.finish_interrupted(client, params.promote.model_name, log) == "1"
    assert alias(params, CHAMPION) == "1"
    assert promotion.finish_interrupted(client, params.promote.model_name, log) is None


@pytest.mark.parametrize("fails", ["after_registering", "before_registering"])
def test_a_locked_store_retry_leaves_one_candidate_run_per_version(
        fails: str, holdout: pd.DataFrame, oracles: list[Path], tmp_path: Path,
        store_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's "database is locked" on the first try, after or before the model version was
    created: the retry neither registers a second version nor leaves a stray candidate run."""
    import mlflow

    params = registry_project(tmp_path, holdout, store_template)
    real = promote_stage._log_model
    calls = []

    def locked_once(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1 and fails == "before_registering":
            raise RuntimeError("(sqlite3.OperationalError) database is locked")
        info = real(*args)
        if len(calls) == 1:
            raise RuntimeError("(sqlite3.OperationalError) database is locked")
        return info

    monkeypatch.setattr(promote_stage, "_log_model", locked_once)
    decision = promote(params, tmp_path, oracles[1], holdout)
    assert decision.version == "1" and decision.promoted
    client = mlflow.MlflowClient()
    versions = client.search_model_versions(f"name = '{params.promote.model_name}'")
    assert [str(v.version) for v in versions] == ["1"]
    runs = mlflow.search_runs(filter_string="tags.`tuneloop.run_kind` = 'candidate'",
                              search_all_experiments=True, output_format="list")
    assert [r.info.run_id for r in runs] == [versions[0].run_id]
    assert runs[0].info.status == "FINISHED"
    assert len(calls) == (1 if fails == "after_registering" else 2)
