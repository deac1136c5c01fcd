"""Shared fixtures: small real data, a real Prefect test server, a temp git + DVC project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tuneloop.config import Params, apply_overrides, load_params

REPO = Path(__file__).resolve().parents[1]

# A slice of the real data that runs the whole loop in seconds.
SMALL = {
    "ingest.sample_fraction": 0.04,
    "validate.min_rows": 100,
    "tune.n_trials": 4,
    "tune.n_workers": 2,
    "tune.n_initial_points": 2,
    "tune.max_boost_rounds": 60,
    "tune.early_stopping_rounds": 10,
}


def space_of(raw: dict[str, Any]) -> Any:
    """A SearchSpace from plain dimension dicts, as params.yaml would declare them."""
    from tuneloop.config import DimensionConfig
    from tuneloop.search import SearchSpace

    return SearchSpace.from_config({k: DimensionConfig(**v) for k, v in raw.items()})


def write_params(dest: Path, overrides: dict[str, Any]) -> Path:
    with (REPO / "params.yaml").open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    path = dest / "params.yaml"
    path.write_text(yaml.safe_dump(apply_overrides(raw, overrides), sort_keys=False))
    return path


def _run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)


def make_project(dest: Path, overrides: dict[str, Any] | None = None) -> Path:
    """A project like a user's: git repo, DVC with a local remote, dvc.yaml, params, raw data.

    The code that dvc.yaml names as dependencies is copied too, so DVC can hash it.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("dvc.yaml", ".dvcignore", ".gitignore"):
        shutil.copy(REPO / name, dest / name)
    for pkg in ("stages", "tuneloop"):
        shutil.copytree(REPO / pkg, dest / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "data" / "raw").mkdir(parents=True)
    for name in ("flights.parquet", "weather.parquet"):
        shutil.copy(REPO / "data" / "raw" / name, dest / "data" / "raw" / name)
    shutil.copytree(REPO / "data" / "suites", dest / "data" / "suites")  # validate's suite
    write_params(dest, {**SMALL, **(overrides or {})})
    _run(["git", "init", "-q"], dest)
    _run([sys.executable, "-m", "dvc", "init", "-q"], dest)
    shutil.copy(REPO / ".dvc" / "config", dest / ".dvc" / "config")
    return dest


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One real, temporary Prefect API for the whole session (stopped at the end)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture
def small_params(tmp_path: Path) -> Params:
    return load_params(write_params(tmp_path, SMALL))


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The small slice of the real data, ingested once per session."""
    from stages import ingest

    tmp = tmp_path_factory.mktemp("ingest")
    params = load_params(write_params(tmp, SMALL))
    return ingest.run(params.ingest, REPO / params.paths.flights_raw,
                      REPO / params.paths.weather_raw)
