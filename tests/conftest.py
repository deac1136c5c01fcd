"""Shared fixtures: small real data, a real Prefect test server, a temp git + DVC project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from tuneloop.config import Params, apply_overrides, load_params

REPO = Path(__file__).resolve().parents[1]

if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("PREFECT_HOME"):
    # `make test` runs two worker processes: each gets a Prefect home of its own (before any
    # test imports Prefect), so the temporary servers their `tuneloop run` calls start never
    # share one SQLite database.
    _home = Path(os.environ["PREFECT_HOME"]) / os.environ["PYTEST_XDIST_WORKER"]
    _home.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(_home)

FEED = (REPO / "data" / "incoming", REPO / "data" / "feed")  # the bundled 12 monthly batches
SAMPLE_FRACTION = 0.04  # a slice of each real month that runs the whole loop in seconds
SAMPLE_SEED = 42

SMALL = {
    "validate.min_rows": 100,
    "tune.n_trials": 4,
    "tune.n_workers": 2,
    "tune.n_initial_points": 2,
    "tune.max_boost_rounds": 60,
    "tune.early_stopping_rounds": 10,
}


def month_file(month: int) -> Path:
    """The raw flights batch of one month of 2013, as shipped in the repository."""
    name = f"flights-2013-{month:02d}.parquet"
    return next(folder / name for folder in FEED if (folder / name).is_file())


def raw_month(month: int, fraction: float = SAMPLE_FRACTION) -> pd.DataFrame:
    raw = pd.read_parquet(month_file(month))
    return raw.sample(frac=fraction, random_state=SAMPLE_SEED) if fraction < 1 else raw


def write_month(dest: Path, month: int, fraction: float = SAMPLE_FRACTION) -> Path:
    """A small slice of a real month's raw batch file, written where a test wants it."""
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / month_file(month).name
    raw_month(month, fraction).to_parquet(path, index=False)
    return path


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


def make_project(dest: Path, overrides: dict[str, Any] | None = None,
                 months: tuple[int, ...] = (1, 2, 3, 4, 5, 6)) -> Path:
    """The bundled flights project as a user has it: git repo, DVC with a local remote,
    dvc.yaml, params, the prepare hook, and small slices of real months in data/incoming.

    The code that dvc.yaml names as dependencies is copied too, so DVC can hash it.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("dvc.yaml", ".dvcignore", ".gitignore"):
        shutil.copy(REPO / name, dest / name)
    for pkg in ("stages", "tuneloop", "hooks"):
        shutil.copytree(REPO / pkg, dest / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "data" / "suites", dest / "data" / "suites")  # the suite
    for month in months:
        write_month(dest / "data" / "incoming", month)
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


@dataclass(frozen=True)
class Ingested:
    dataset: pd.DataFrame  # months 1-6 prepared, one batch each (tuneloop_batch 0..5)
    batch: pd.DataFrame    # month 7 prepared: a later batch


def prepared_months(months: tuple[int, ...]) -> pd.DataFrame:
    """Small slices of real months through the flights hook, typed as the suite says, with
    the batch column the dataset stage adds."""
    from hooks.flights import prepare
    from tuneloop.batches import conform
    from tuneloop.features import BATCH_COLUMN
    from tuneloop.suite import load_suite

    suite = load_suite(REPO / "data" / "suites" / "flights.yaml")
    parts = []
    for number, month in enumerate(months):
        part = conform(prepare(raw_month(month)), suite)
        part[BATCH_COLUMN] = number
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="session")
def ingested() -> Ingested:
    """The small slice of the real data, prepared once per session."""
    return Ingested(dataset=prepared_months((1, 2, 3, 4, 5, 6)), batch=prepared_months((7,)))


def flights_schema(params: Params, frame: pd.DataFrame) -> Any:
    from tuneloop.features import Schema

    return Schema.fit(params.data, frame)
