"""DVC's own tools on a tuneloop project: after a loop run (whose record step commits dvc.lock and
the reports DVC compares), `dvc exp run -S tune.n_trials=4` runs an experiment that `dvc exp
show` / `dvc exp diff` compare with that run, without touching the shared registry, audit log
or decision ledger; `dvc plots show` draws every plot offline. Real git, DVC, MLflow, Prefect."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import REPO, make_project, write_params
from tuneloop import experiments
from tuneloop.config import load_params
from tuneloop.decisions import Ledger
from tuneloop.pipeline import recorded_files

GIT = ["git", "-c", "user.name=tuneloop-test", "-c", "user.email=test@example.invalid"]
MODEL = "tuneloop-flights"
# The files the loop shares with every other run and tool: an experiment must leave them as
# they are.
SHARED = (".tuneloop/promotions.jsonl", ".tuneloop/decisions.jsonl")


def _env() -> dict[str, str]:
    # The stages run as `python -m ...`: the venv's python first on PATH; no MLflow setting of
    # this test process leaks into them (they read params.yaml).
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    return {**env, "PATH": f"{Path(sys.executable).parent}:{env['PATH']}",
            "DVC_NO_ANALYTICS": "1"}


def _dvc(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, env=_env(),
                          capture_output=True, text=True, timeout=600)
    assert not check or done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _git(root: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True,
                          text=True).stdout.strip()


def _champion(root: Path) -> tuple[str | None, list[str]]:
    import mlflow

    from tuneloop.promotion import current_alias
    from tuneloop.tracking import setup

    setup(load_params(root / "params.yaml").mlflow, root)
    client = mlflow.MlflowClient()
    versions = sorted(v.version for v in client.search_model_versions(f"name='{MODEL}'"))
    return current_alias(client, MODEL, "champion"), versions


@pytest.fixture(scope="module")
def experimented(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A committed project after one loop run (3 trials), then `dvc exp run -S
    tune.n_trials=4` in it."""
    from flows.loop import tuneloop_flow

    started = time.monotonic()
    project = make_project(tmp_path_factory.mktemp("exp") / "project", {"tune.n_trials": 3},
                           months=(1, 2, 3, 4))
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "project")
    (project / "notes.txt").write_text("the user's own work, staged\n")
    _git(project, "add", "notes.txt")
    tuneloop_flow(root=str(project))
    looped = time.monotonic()
    baseline = _git(project, "rev-parse", "HEAD")
    staged = _git(project, "diff", "--cached", "--name-only", "HEAD")
    before = {name: (project / name).read_bytes() for name in SHARED}
    champion = _champion(project)
    ran = _dvc(project, "exp", "run", "-S", "tune.n_trials=4")
    return {"project": project, "baseline": baseline, "staged": staged, "before": before,
            "champion": champion, "exp_run": ran.stdout + ran.stderr,
            "seconds": (looped - started, time.monotonic() - looped)}


@pytest.mark.slow  # shares a ~80 s setup: a loop run, then `dvc exp run`
def test_the_record_step_commits_only_the_run_products(experimented: dict[str, Any]) -> None:
    project = experimented["project"]
    params = load_params(project / "params.yaml")
    message = _git(project, "log", "-1", "--format=%B", experimented["baseline"])
    assert re.match(rf"tuneloop run: retrain on dataset [0-9a-f]{{8}}: {MODEL} v1 promoted to "
                    "champion\n", message)
    files = _git(project, "show", "--name-only", "--format=", experimented["baseline"])
    # Every run product; the suite and params too when they changed (here they did not: init
    # committed them).
    unchanged = {str(params.validate_.suite), "params.yaml"}
    assert sorted(files.splitlines()) == sorted(f for f in recorded_files(params)
                                                if f not in unchanged)
    # The user's staged file was neither committed nor unstaged.
    assert experimented["staged"] == "notes.txt"


@pytest.mark.slow  # shares a ~80 s setup: a loop run, then `dvc exp run`
def test_dvc_exp_show_compares_an_experiment_with_the_last_run(
        experimented: dict[str, Any]) -> None:
    project, baseline = experimented["project"], experimented["baseline"]
    print("project + loop run: {:.1f} s, dvc exp run: {:.1f} s".format(*experimented["seconds"]))
    assert "Running stage 'tune'" in experimented["exp_run"]
    shown = json.loads(_dvc(project, "exp", "show", "--json").stdout)

    def holdout(row: dict[str, Any]) -> dict[str, Any]:
        metrics = row["data"]["metrics"]["reports/metrics.json"]
        assert "error" not in metrics, metrics
        return metrics["data"]["holdout"]

    def n_trials(row: dict[str, Any]) -> int:
        return row["data"]["params"]["params.yaml"]["data"]["tune"]["n_trials"]

    (base,) = [r for r in shown if r["rev"] == baseline]
    (exp,) = [e["revs"][0] for e in base["experiments"]]
    assert n_trials(base) == 3 and n_trials(exp) == 4
    for row in (base, exp):
        assert isinstance(holdout(row)["auc"], float) and 0.5 < holdout(row)["auc"] <= 1

    # The registry, the audit log and the decision ledger are as the loop left them.
    assert _champion(project) == experimented["champion"]
    assert experimented["champion"][0] == "1"
    assert {n: (project / n).read_bytes() for n in SHARED} == experimented["before"]
    promotion = json.loads((project / "reports" / "promotion.json").read_text())
    assert promotion["reason"].startswith("experiment: not registered")
    assert promotion["registered"] is False and promotion["version"] == ""
    assert promotion["experiment"]["name"] == exp["name"]

    diff = _dvc(project, "exp", "diff", baseline, exp["rev"]).stdout
    assert re.search(r"params\.yaml\s+tune\.n_trials\s+3\s+4", diff), diff
    assert "holdout.auc" in _dvc(project, "exp", "diff", baseline, exp["rev"], "--all").stdout


@pytest.mark.slow  # shares a ~80 s setup: a loop run, then `dvc exp run`
def test_dvc_plots_show_works_offline(experimented: dict[str, Any]) -> None:
    """DVC's page loads vega from a CDN; the project's template has it inlined. `dvc plots
    diff` compares the run's commit with the experiment's workspace, and the drift plot's
    feature axis is nominal (a quantitative axis of names draws nothing)."""
    project, baseline = experimented["project"], experimented["baseline"]
    for args in (("show",), ("diff", baseline)):
        done = _dvc(project, "plots", *args)
        assert "failed to load" not in done.stderr, done.stderr
        page = (project / "dvc_plots" / "index.html").read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", page, re.I)
        assert re.search(r"<script[^>]*>/\* vega-embed@", page) and "vegaEmbed('#" in page
        for name in ("calibration", "plots_tuning", "plots_drift"):
            assert f"vegaEmbed('#reports_{name}_json', spec);" in page
    assert "?? dvc_plots/" not in _git(project, "status", "--porcelain")
    # The first window has no drift statistics yet (an empty table): the shape of a later one.
    (project / "reports" / "plots" / "drift.json").write_text(json.dumps([
        {"feature": "temp", "measure": "ks", "effect": 0.8, "threshold": 0.3,
         "importance": 0.1, "drifted": True},
        {"feature": "carrier", "measure": "js", "effect": 0.01, "threshold": 0.05,
         "importance": 0.2, "drifted": False}]))
    spec = json.loads(_dvc(project, "plots", "show", "--show-vega",
                           "reports/plots/drift.json").stdout)
    assert spec["encoding"]["y"]["field"] == "feature"
    assert spec["encoding"]["y"]["type"] == "nominal"
    assert {v["feature"] for v in spec["data"]["values"]} == {"temp", "carrier"}


def test_record_commits_only_its_paths_once_and_skips_outside_git(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from stages.version import record_in_git

    root = tmp_path / "project"
    root.mkdir()
    params = load_params(write_params(root, {}))
    assert record_in_git(root, ("drift", "plots")) is None
    assert "is not the top of its own git work tree" in capsys.readouterr().out
    _git(root, "init", "-q")
    (root / ".gitignore").write_text((REPO / ".gitignore").read_text())
    for name in recorded_files(params):
        if name != "params.yaml":  # written above
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text("{}\n")
    (root / "reports" / "tune.json").write_text("{}\n")  # a report git does not carry
    (root / "mine.py").write_text("x = 1\n")
    _git(root, "add", "mine.py")
    commit = record_in_git(root, ("drift", "plots"))
    assert commit and _git(root, "rev-parse", "--short", "HEAD") == commit
    # params.yaml among them: the settings the run used (sweep 55a).
    assert "params.yaml" in recorded_files(params)
    assert sorted(_git(root, "show", "--name-only", "--format=", "HEAD").splitlines()) == \
        sorted(recorded_files(params))
    assert _git(root, "log", "-1", "--format=%s").startswith("tuneloop run: batch check")
    assert sorted(_git(root, "diff", "--cached", "--name-only", "HEAD").splitlines()) == \
        ["mine.py"]  # still staged, not swept into the record
    assert record_in_git(root, ("drift", "plots")) is None  # nothing new: no empty commit
    assert _git(root, "rev-list", "--count", "HEAD") == "1"
    # Never into someone else's state: a detached HEAD, or a project inside a larger repo.
    (root / "reports" / "metrics.json").write_text('{"auc": 0.7}\n')
    _git(root, "checkout", "-q", "--detach")
    capsys.readouterr()
    assert record_in_git(root, ("drift", "plots")) is None
    assert "record: git HEAD is detached" in capsys.readouterr().out
    _git(root, "checkout", "-q", "-")
    inner = root / "inner"
    inner.mkdir()
    (inner / "params.yaml").write_text((root / "params.yaml").read_text())
    assert record_in_git(inner, ("drift", "plots")) is None
    assert "is not the top of its own git work tree" in capsys.readouterr().out
    assert _git(root, "rev-list", "--count", "HEAD") == "1"
    # A suite edited by hand, as a rejection asks, is recorded with the run that used it (sweep
    # 23: left uncommitted, every later model's lineage was git_dirty and pinned no suite).
    _git(root, "reset", "-q", "--", "mine.py")
    (root / params.validate_.suite).write_text("# max_null_fraction raised by hand\n")
    assert record_in_git(root, ("ingest",))
    assert str(params.validate_.suite) in _git(root, "show", "--name-only", "--format=",
                                               "HEAD").split()


def test_gitignore_lets_git_see_exactly_the_recorded_reports(tmp_path: Path) -> None:
    from tuneloop.project import GITIGNORE

    params = load_params(write_params(tmp_path, {}))
    products = [*recorded_files(params), "reports/tune.json", "reports/trials.jsonl",
                "reports/promotion.json", "reports/plots/tuning.png", "reports/drift.md",
                "reports/validation/x.json", "dvc_plots/index.html", "data/versions.jsonl"]
    for n, text in enumerate(((REPO / ".gitignore").read_text(), GITIGNORE)):
        root = tmp_path / f"repo{n}"
        root.mkdir()
        _git(root, "init", "-q")
        (root / ".gitignore").write_text(text)
        for name in products:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text("x")
        seen = _git(root, "status", "--porcelain", "-uall").splitlines()
        assert sorted(line[3:] for line in seen) == sorted([".gitignore",
                                                           *recorded_files(params)])


def test_an_init_project_gets_the_offline_plots_page(tmp_path: Path) -> None:
    from tuneloop.project import GITIGNORE, init_project

    table = tmp_path / "adult.csv"
    pd.read_csv(REPO / "data" / "raw" / "adult" / "adult.csv.gz").iloc[:600].to_csv(
        table, index=False)
    root = init_project(tmp_path / "adult", table, "income").root
    page = (REPO / "tuneloop" / "assets" / "dvc_plots" / "template.html").read_bytes()
    assert (root / ".dvc" / "plots.html").read_bytes() == page
    assert _dvc(root, "config", "plots.html_template").stdout.strip() == "plots.html"
    assert (root / ".gitignore").read_text() == GITIGNORE
    assert _git(root, "status", "--porcelain") == ""  # the page is in init's commit


def test_experiment_detection_reads_what_dvc_exp_run_sets(tmp_path: Path) -> None:
    assert experiments.current({}) is None
    assert experiments.current({"DVC_ROOT": "/x", "DVC_STAGE": "tune"}) is None  # dvc repro
    found = experiments.current({"DVC_EXP_BASELINE_REV": "abc123", "DVC_EXP_NAME": "lean-exp",
                                 "DVC_ROOT": "/x"})
    assert found == experiments.Experiment("lean-exp", "abc123")
    path = tmp_path / "decisions.jsonl"
    Ledger(path).record_decided({"batch": "a", "md5": "1", "decision": {"action": "none"}})
    kept = path.read_bytes()
    ledger = experiments.ExperimentLedger(path)
    ledger.record_decided({"batch": "b", "md5": "2", "decision": {"action": "warm"}})
    assert ledger.decided_md5s() == {"1", "2"} and [e["batch"] for e in ledger.pending()] == ["b"]
    assert path.read_bytes() == kept


def test_a_suite_edited_and_not_yet_recorded_makes_the_lineage_dirty(tmp_path: Path) -> None:
    """The record step commits the suite; the lineage's dirty check must still see an edit
    it has not committed yet (the review: a model trained with an edited suite was tagged
    git_dirty false, pinned to a commit holding the old suite). The run's own products,
    rewritten by every run, stay out of it."""
    from tuneloop.lineage import lineage_tags

    root = tmp_path / "project"
    root.mkdir()
    params = load_params(write_params(root, {}))
    _git(root, "init", "-q")
    suite = root / params.validate_.suite
    suite.parent.mkdir(parents=True, exist_ok=True)
    suite.write_text("# suite\n")
    (root / "reports").mkdir()
    (root / "reports" / "metrics.json").write_text("{}\n")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    (root / "reports" / "metrics.json").write_text('{"auc": 0.7}\n')
    assert lineage_tags(params, root)["git_dirty"] == "false"  # a run product only
    suite.write_text("# suite, max_null_fraction raised by hand\n")
    assert lineage_tags(params, root)["git_dirty"] == "true"
