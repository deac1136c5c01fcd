"""`make clean` removes what a run rebuilds and keeps the project's record (registry, audit log,
decision ledger, DVC remote); `make clean-all` removes that too. Run on a copy of the Makefile
in a folder holding a file at every place a run writes."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO
from tuneloop.config import load_params

PARAMS = load_params(REPO / "params.yaml")

RUN_PRODUCTS = [PARAMS.paths.dataset, f"{PARAMS.paths.splits_dir}/train.parquet",
                f"{PARAMS.data.batches}/000001-flights-2013-01.parquet", "data/batches.dvc",
                f"{PARAMS.paths.quarantine_dir}/bad/report.json", PARAMS.paths.arrivals,
                PARAMS.paths.data_versions, f"{PARAMS.paths.model_dir}/model.txt",
                PARAMS.paths.tune_report, PARAMS.paths.journal, "dvc.lock"]


def _dvc_remote() -> str:
    """The bundled project's DVC remote, relative to the project (.dvc/config is relative to
    .dvc/)."""
    config = configparser.ConfigParser()
    config.read(REPO / ".dvc" / "config")
    return os.path.normpath(Path(".dvc") / config["'remote \"local\"'"]["url"])


RECORD = [PARAMS.mlflow.tracking_uri.removeprefix("sqlite:///"),
          f"{PARAMS.mlflow.artifact_root}/1/abc/artifacts/model.txt",
          PARAMS.paths.audit_log, PARAMS.paths.decisions,
          f"{_dvc_remote()}/files/md5/ab/cdef", ".tuneloop/prefect/prefect.db",
          ".tuneloop/loop.lock"]
SOURCES = ["params.yaml", ".dvc/config", f"{PARAMS.data.incoming}/flights-2013-01.parquet",
           PARAMS.validate_.suite]


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    for relative in RUN_PRODUCTS + RECORD + SOURCES:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(relative)
    shutil.copy(REPO / "Makefile", project / "Makefile")
    return project


def _make(project: Path, target: str) -> str:
    done = subprocess.run(["make", "-C", str(project), target], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _left(project: Path, paths: list[str]) -> list[str]:
    return [p for p in paths if (project / p).exists()]


def test_the_record_is_where_make_clean_keeps_it() -> None:
    """Every path of the record, as the bundled project configures it, is under .tuneloop/ (the
    Makefile's RECORD); no run product is."""
    assert all(p.startswith(".tuneloop/") for p in RECORD)
    assert not any(p.startswith(".tuneloop") for p in RUN_PRODUCTS)


def test_make_clean_keeps_the_record(tmp_path: Path) -> None:
    project = _project(tmp_path)
    out = _make(project, "clean")
    assert _left(project, RUN_PRODUCTS) == []
    assert _left(project, RECORD) == RECORD
    assert _left(project, SOURCES) == SOURCES
    assert "kept .tuneloop/ (registry, audit log, decision ledger, DVC remote)" in out


def test_make_clean_all_removes_the_record_too(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _make(project, "clean-all")
    assert _left(project, RUN_PRODUCTS + RECORD) == []
    assert not (project / ".tuneloop").exists()
    assert _left(project, SOURCES) == SOURCES
