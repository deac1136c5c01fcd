"""`tuneloop init` on a user's own table, then the whole loop with the installed tool, for each
task: binary (UCI Adult), multiclass (Seattle weather, with a time column) and regression (Auto
MPG cars, with a time column and an excluded column). Everything runs from a temporary folder
outside this repository, on the real parts (Prefect, MLflow SQLite, DVC, GX), as a new user
would; see tests/data/README.md for where the tables come from."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import REPO
from tuneloop.metrics import CALIBRATION_Y

BIN = Path(sys.executable).parent
VEGA = Path(__import__("vega_datasets").__file__).parent / "_data"


@dataclass(frozen=True)
class Case:
    name: str
    target: str
    options: list[str]
    metrics: set[str]
    table: pd.DataFrame       # what init gets
    later: pd.DataFrame       # a later batch of the same source: ingest accepts it
    bad: pd.DataFrame         # a broken batch: ingest rejects it
    bad_column: str           # the column the rejection names


def _adult() -> Case:
    frame = pd.read_csv(REPO / "data" / "raw" / "adult" / "adult.csv.gz")
    bad = frame.iloc[3000:3300].copy()
    # Not a known class ("unknown" would be a label not known: those rows are dropped).
    bad["income"] = bad["income"].where(bad.index % 7 != 0, "maybe")
    return Case("adult", "income", [], {"auc", "logloss", "accuracy", "f1", "brier"},
                frame.iloc[:3000], frame.iloc[3000:3300], bad, "income")


def _weather() -> Case:
    frame = pd.read_csv(VEGA / "seattle-weather.csv")
    cut = pd.to_datetime(frame["date"]) >= "2015-07-01"
    return Case("weather", "weather", ["--time", "date"],
                {"logloss", "accuracy", "f1_macro", "auc_ovr"}, frame[~cut], frame[cut],
                frame[cut].drop(columns=["temp_max"]), "temp_max")


def _cars() -> Case:
    frame = pd.read_json(VEGA / "cars.json")
    later = frame[frame["Year"] >= "1982-01-01"].dropna(subset=["Miles_per_Gallon"])
    bad = later.copy()
    bad["Miles_per_Gallon"] = "n/a"  # a target that is not a number
    return Case("cars", "Miles_per_Gallon", ["--time", "Year", "--exclude", "Name"],
                {"rmse", "mae", "r2"}, frame[frame["Year"] < "1982-01-01"], later, bad,
                "Miles_per_Gallon")


CASES = {"binary": _adult, "multiclass": _weather, "regression": _cars}


# Commands a test may run in its own process: validate, ingest, init, status and promote
# import Great Expectations, MLflow and DVC once there (~3 s of imports a command in a fresh
# process). `run` and `replay` start Prefect flows and always get a process of their own, as
# does any call given `process=True` (the installed entry point, exactly as a user runs it).
IN_PROCESS = frozenset({"init", "validate", "ingest", "status", "promote", "data", "history"})


def tool(*args: str, cwd: Path, check: bool = True, api_url: str | None = None,
         process: bool = False) -> subprocess.CompletedProcess[str]:
    """The `tuneloop` command, as a user runs it. api_url: a running Prefect API (the
    session's test server) instead of a temporary one started per command."""
    if args[0] in IN_PROCESS and not process and api_url is None:
        done = _in_process(list(args), cwd)
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        env["PATH"] = f"{BIN}:{os.environ['PATH']}"
        if api_url:
            env["PREFECT_API_URL"] = api_url
        done = subprocess.run([str(BIN / "tuneloop"), *args], cwd=cwd, capture_output=True,
                              text=True, env=env, timeout=900)
    if check and done.returncode != 0:
        raise AssertionError(f"tuneloop {' '.join(args)} exited {done.returncode}:\n"
                             f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def _in_process(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The same command through the same typer app, in this process: the working folder and
    the environment are the command's while it runs and this process's again after."""
    import traceback

    from typer.testing import CliRunner

    from tuneloop.runtime import apply_defaults
    from tuneloop_cli.app import app

    before, saved_env = Path.cwd(), dict(os.environ)
    os.chdir(cwd)
    try:
        # As the subprocess had it: none of this process's MLflow variables (it may have set
        # them for other stores), then tuneloop's defaults, as its import sets them.
        for key in [k for k in os.environ if k.startswith("MLFLOW_")]:
            del os.environ[key]
        apply_defaults()
        result = CliRunner().invoke(app, args)
    finally:
        os.chdir(before)
        os.environ.clear()
        os.environ.update(saved_env)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # A process would have died with its traceback on stderr and exit code 1.
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["tuneloop", *args], result.exit_code, result.stdout,
                                       stderr)


def _shrink(project: Path) -> None:
    """Fewer, shorter trials: the defaults init scaled to the data are for real use."""
    path = project / "params.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["tune"].update({"n_trials": 6, "n_initial_points": 3, "max_boost_rounds": 80,
                        "early_stopping_rounds": 10})
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


PREDICT = """
import json, sys
import mlflow, numpy as np, pandas as pd
mlflow.set_tracking_uri("sqlite:///.tuneloop/mlflow.db")
mlflow.set_registry_uri("sqlite:///.tuneloop/mlflow.db")
model = mlflow.pyfunc.load_model("models:/" + sys.argv[1] + "@champion")
rows = pd.read_csv(sys.argv[2])
out = model.predict(rows)
# The served model's warnings reach the logger the README names (MLflow loads its code as a
# module of another name): a number column's value sent as text is one.
import logging
said = []
handler = logging.Handler()
handler.emit = lambda record: said.append(record.getMessage())
logging.getLogger("tuneloop.serving").addHandler(handler)
number = next(c for c in rows.columns if pd.api.types.is_numeric_dtype(rows[c]))
model.predict(rows.head(1).astype({number: object}).assign(**{number: "oops"}))
if isinstance(out, pd.DataFrame):
    print(json.dumps({"columns": list(out.columns), "values": out.to_numpy().tolist(),
                      "said": said}))
else:
    print(json.dumps({"columns": None, "values": np.asarray(out).tolist(), "said": said}))
"""


@pytest.fixture(scope="module")
def api_url(prefect_server: None) -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


@pytest.mark.parametrize("task", [
    # Regression end to end is the default run's (a task and a dataset the bundled project is
    # not); multiclass and binary are the slow run's (~90 s each; binary is the bundled loop's
    # task, multiclass's statistics, metrics and gate are covered by tests/test_monitor.py,
    # test_gate.py and the evaluate tests in the default run).
    task if task == "regression" else pytest.param(task, marks=pytest.mark.slow)
    for task in CASES])
def test_init_run_status_predict_ingest(task: str, tmp_path: Path, api_url: str) -> None:
    case = CASES[task]()
    work = tmp_path / "work"  # outside the repository, no file of it copied
    work.mkdir()
    data = work / f"{case.name}.csv"
    case.table.to_csv(data, index=False)

    created = tool("init", case.name, "--data", str(data), "--target", case.target,
                   *case.options, cwd=work, process=True)
    assert f"task {task}" in created.stdout
    project = work / case.name
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["data"]["task"] == task
    assert params["promote"]["model_name"] == case.name  # defaults to the project's name
    _shrink(project)

    tool("run", cwd=project, api_url=api_url)
    status = json.loads(tool("status", "--json", cwd=project, process=True).stdout)
    assert status["champion"]["name"] == case.name
    assert status["task"] == task
    assert set(status["metrics"]) == case.metrics
    assert all(isinstance(v, float) for v in status["metrics"].values())
    versions = [json.loads(line) for line in
                (project / "data" / "versions.jsonl").read_text().splitlines()]
    assert status["dataset_version"] == versions[-1]["dataset_version"]
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    assert lock["stages"]["dataset"]["outs"][0]["md5"] == status["dataset_version"]
    assert "up to date" in subprocess.run(
        [sys.executable, "-m", "dvc", "status"], cwd=project, capture_output=True,
        text=True).stdout
    # The calibration plot reads the task's own field (a regression's observed side is a mean).
    holdout_rows = json.loads((project / "reports" / "metrics.json").read_text())["rows"]["holdout"]
    calibration = json.loads((project / "reports" / "calibration.json").read_text())
    assert sum(row["rows"] for row in calibration) == holdout_rows
    shown = json.loads(subprocess.run(
        [sys.executable, "-m", "dvc", "plots", "show", "--json"], cwd=project,
        capture_output=True, text=True).stdout)["data"]["reports/calibration.json"][0]["content"]
    assert shown["layer"][0]["encoding"]["y"]["field"] == CALIBRATION_Y[task]
    assert len(shown["data"]["values"]) == len(calibration)

    # The registry alone serves the champion on raw rows, in a fresh process.
    raw = work / "raw_rows.csv"
    case.later.drop(columns=[case.target]).head(20).to_csv(raw, index=False)
    # A fresh process knowing nothing but the project folder (MLflow's variables, which this
    # test process may have set for other stores, are not passed on).
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    done = subprocess.run([sys.executable, "-c", PREDICT, case.name, str(raw)], cwd=project,
                          capture_output=True, text=True, env=clean)
    assert done.returncode == 0, done.stderr[-3000:]
    served = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(served["said"]) == 1 and "are not numbers, e.g. ['oops']" in served["said"][0]
    values = pd.DataFrame(served["values"]).to_numpy(dtype="float64")
    assert len(values) == 20 and pd.notna(values).all()
    if task == "binary":
        assert values.shape == (20, 1) and ((values >= 0) & (values <= 1)).all()
    elif task == "multiclass":
        assert served["columns"] == [str(c) for c in params["data"]["classes"]]
        assert abs(values.sum(axis=1) - 1).max() < 1e-6
    else:
        assert values.shape == (20, 1)

    # A later good batch becomes a new dataset version; a bad one is rejected in one line
    # naming the file and the column, quarantined, and the champion does not move.
    good, bad = work / "later.csv", work / "broken.csv"
    case.later.to_csv(good, index=False)
    case.bad.to_csv(bad, index=False)
    accepted = tool("ingest", str(good), cwd=project, process=True)
    assert "accepted" in accepted.stdout and "dataset version" in accepted.stdout
    after = (project / "data" / "versions.jsonl").read_text().splitlines()
    assert len(after) == len(versions) + 1
    rejected = tool("ingest", str(bad), cwd=project, check=False, process=True)
    assert rejected.returncode == 1
    first = rejected.stderr.strip().splitlines()[0]
    assert first.startswith("error: ") and str(bad) in first and case.bad_column in first
    quarantined = list((project / "data" / "quarantine").iterdir())
    assert len(quarantined) == 1 and (quarantined[0] / "report.json").is_file()
    assert len((project / "data" / "versions.jsonl").read_text().splitlines()) == len(after)
    again = json.loads(tool("status", "--json", cwd=project, process=True).stdout)
    assert again["champion"] == status["champion"]
    # The accepted batch waits for the next run's decision, and status says so (sweep 7).
    assert status["batches"]["undecided"] == []
    waiting = again["batches"]["undecided"]
    assert len(waiting) == 1 and waiting[0].endswith("-later.parquet")
    said = tool("status", cwd=project).stdout
    assert f"waiting:    1 accepted batch(es) not decided yet ({waiting[0]})" in said, said
    assert "(when it was evaluated; the gate scores it again on each new holdout)" in said

    # The replay on this task's own metric: the last two accepted batches replayed.
    batches = int(json.loads(after[-1])["batches"])
    replayed = tool("replay", "--policies", "never,every", "--start", str(batches - 2),
                    cwd=project, api_url=api_url)
    # The flow's own time and the wait, both said (sweep 29: "83 s" of a 101 s command).
    assert re.search(r"; \d+ s replaying, \d+ s in all \(the Prefect server's start and "
                     r"stop included\)", replayed.stdout), replayed.stdout
    replay = json.loads((project / "reports" / "replay.json").read_text())
    metric = {"binary": "auc", "multiclass": "logloss", "regression": "rmse"}[task]
    assert replay["metric"] == metric
    for policy in ("never", "every"):
        assert len(replay["per_batch"][policy]) == 2
        assert math.isfinite(replay["totals"][policy][f"mean_{metric}"])
    assert replay["totals"]["every"]["retrains"] == 1  # after the first replayed batch


def _table(tmp_path: Path) -> Path:
    frame = pd.read_csv(REPO / "data" / "raw" / "adult" / "adult.csv.gz").head(600)
    frame["row_id"] = range(len(frame))
    frame["constant"] = "x"
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("args", "fragment"), [
    (["--data", "missing.csv", "--target", "income"], "missing.csv: file not found"),
    (["--target", "nope"], "no column 'nope' (--target)"),
    (["--target", "income", "--exclude", "age,nope"], "no column 'nope' (--exclude)"),
    (["--target", "constant"], "column 'constant': the target has 1 value(s)"),
    (["--target", "income", "--task", "regression"], "a regression target must be numeric"),
    (["--target", "age", "--task", "binary"], "a binary target needs exactly 2 values"),
    (["--target", "income", "--task", "multiclass"], "a multiclass target needs at least 3"),
    (["--target", "income", "--task", "ranking"], "--task: 'ranking' is not one of"),
    (["--target", "income", "--id", "age"], "column 'age' (--id) is not unique"),
    (["--target", "income", "--forbid", "fnlwgt"], "column 'fnlwgt' is forbidden"),
    (["--target", "income", "--time", "education"], "(--time): 600 values are not dates"),
])
def test_init_refuses_bad_calls_in_one_line_and_leaves_nothing(
        tmp_path: Path, args: list[str], fragment: str) -> None:
    table = _table(tmp_path)
    if "--data" not in args:
        args = ["--data", str(table), *args]
    done = tool("init", "proj", *args, cwd=tmp_path, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines
    assert not (tmp_path / "proj").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".proj")]


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "keep.txt").write_text("mine")
    done = tool("init", "proj", "--data", str(_table(tmp_path)), "--target", "income",
                cwd=tmp_path, check=False)
    assert done.returncode == 2 and "already exists and is not empty" in done.stderr
    assert [p.name for p in (tmp_path / "proj").iterdir()] == ["keep.txt"]


def test_the_bundled_dvc_yaml_is_the_one_init_writes_plus_code_deps() -> None:
    from tuneloop.pipeline import dvc_yaml

    assert (REPO / "dvc.yaml").read_text() == dvc_yaml(code_deps=True,
                                                       extra_deps={"promote": ["hooks"]})
    # The names the dataset stage checks against the batches re-run it when edited.
    dataset = yaml.safe_load(dvc_yaml())["stages"]["dataset"]["params"]
    assert {"data.features", "data.exclude", "evaluate.slices",
            "constraints.group_column"} <= set(dataset)


def test_the_library_names_no_flights_column() -> None:
    """The issue's check: the library and the CLI know no dataset."""
    import re

    pattern = re.compile(r"\b(carrier|origin|dep_delay|flight)", re.IGNORECASE)  # not "preflight"
    hits = [f"{path}:{n}" for folder in ("tuneloop", "tuneloop_cli")
            for path in sorted((REPO / folder).rglob("*.py"))
            for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert hits == []


def test_init_infers_from_an_awkward_table(tmp_path: Path) -> None:
    """Blank labels, an empty column, dates as text, a digits-only code column: what init
    infers from each, and that a later CSV batch of the same shape is accepted."""
    from stages import ingest
    from tuneloop.config import load_params
    from tuneloop.project import init_project

    rng = __import__("numpy").random.default_rng(0)
    n = 600
    frame = pd.DataFrame({
        "when": pd.date_range("2024-01-01", periods=n, freq="h").strftime("%Y-%m-%dT%H:%M"),
        "code": rng.choice(["0101", "0202", "0303"], n),   # text that looks like numbers
        "size": rng.normal(size=n),
        "empty": [None] * n,
        "y": rng.integers(0, 2, n).astype("float64"),
    })
    frame.loc[::50, "y"] = None  # blank labels: the CSV reads the 0/1 target as floats
    data = tmp_path / "awkward.csv"
    frame.iloc[:500].to_csv(data, index=False)
    result = init_project(tmp_path / "proj", data, "y", time="when")
    assert result.task == "binary" and result.positive_class == 1  # whole floats are ints
    assert "empty" not in result.features and {"code", "size", "when"} <= set(result.features)
    assert any("rows without a target dropped" in line for line in result.inferred)
    assert any("'empty' is empty" in line for line in result.inferred)
    params = load_params(tmp_path / "proj" / "params.yaml")
    suite = yaml.safe_load((tmp_path / "proj" / params.validate_.suite).read_text())
    assert suite["columns"]["code"]["type"] == "string"
    assert suite["columns"]["when"]["type"] == "datetime"
    assert suite["columns"]["empty"]["max_null_fraction"] == 1.0
    # 490 labelled rows in 5 batches: tuning trains on 3 (294 rows), and a leaf may ask for
    # a twentieth of those (not of all 490).
    batches = list((tmp_path / "proj" / params.data.batches).glob("*.parquet"))
    assert len(batches) == 5
    assert params.tune.search_space["min_child_samples"].high == 294 // 20
    later = tmp_path / "later.csv"
    frame.iloc[500:].dropna(subset=["y"]).assign(y=lambda f: f["y"].astype(int)) \
        .to_csv(later, index=False)
    outcome = ingest.run(params, tmp_path / "proj", [later])
    assert [a.accepted for a in outcome.arrivals] == [True], outcome.arrivals


def test_init_refuses_a_spec_it_cannot_express(tmp_path: Path) -> None:
    done = tool("init", "proj", "--data", str(_table(tmp_path)), "--target", "income",
                "--exclude", "income", cwd=tmp_path, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("exclude must not name the target column 'income'")
    assert not (tmp_path / "proj").exists()


def test_ingest_refuses_ids_already_accepted(tmp_path: Path) -> None:
    """The id is unique across the project's batches: the same rows sent again in another
    file (other bytes) are rejected, naming the id column."""
    from stages import ingest
    from tuneloop.config import load_params
    from tuneloop.project import init_project

    table = pd.read_csv(_table(tmp_path))
    data = tmp_path / "first.csv"
    table.iloc[:500].to_csv(data, index=False)
    init_project(tmp_path / "proj", data, "income", id_column="row_id",
                 exclude=["constant"])
    params = load_params(tmp_path / "proj" / "params.yaml")
    again = tmp_path / "again.csv"
    table.iloc[480:560].to_csv(again, index=False)  # 20 rows already accepted
    outcome = ingest.run(params, tmp_path / "proj", [again])
    (arrival,) = outcome.arrivals
    assert not arrival.accepted
    assert any("column 'row_id': id unique across batches failed (20 id(s) already" in line
               for line in arrival.lines), arrival.lines


# Slow (3 min on 2 cores; `make test-all` runs it): the default run covers `dvc repro` of the
# data stages (test_validate) and the whole loop on an init project through the flow
# (test_init_run_status_predict_ingest).
@pytest.mark.slow
def test_dvc_repro_runs_the_loop_in_an_init_project(tmp_path: Path) -> None:
    """The third way in: right after init, `dvc repro` runs every stage there (the same stage
    functions as the flow) and registers a champion; `dvc metrics show` reads the run's own
    holdout metrics."""
    case = _cars()
    data = tmp_path / "cars.csv"
    case.table.to_csv(data, index=False)
    tool("init", "cars", "--data", str(data), "--target", case.target, *case.options,
         cwd=tmp_path)
    project = tmp_path / "cars"
    _shrink(project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PATH"] = f"{BIN}:{os.environ['PATH']}"
    done = subprocess.run([sys.executable, "-m", "dvc", "repro"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    ran = [ln for ln in done.stdout.splitlines() if ln.startswith("Running stage")]
    assert ran == [f"Running stage '{s}':" for s in
                   ("dataset", "split", "tune", "evaluate", "promote", "drift", "plots")]
    # The gate's verdict is said (sweep 19: "printed nothing about the gate's verdict").
    assert "promote: version 1 promoted to champion: " in done.stdout, done.stdout[-2000:]
    metrics = json.loads(subprocess.run(
        [sys.executable, "-m", "dvc", "metrics", "show", "--json"], cwd=project, env=env,
        capture_output=True, text=True, check=True).stdout)
    shown = next(iter(metrics.values()))["data"]["reports/metrics.json"]["data"]["holdout"]
    report = json.loads((project / "reports" / "metrics.json").read_text())["holdout"]
    assert shown == report and set(report) == {"rmse", "mae", "r2"}
    status = json.loads(tool("status", "--json", cwd=project).stdout)
    assert status["champion"]["version"] == "1" and status["metrics"] == report

    # Another tune.seed and no new batch: the champion has learnt the holdout, so promote
    # would refuse whatever is tuned. `dvc repro` tuned and evaluated first, then promote
    # refused with a hint naming a version that did not exist; now tune refuses first.
    params_file = project / "params.yaml"
    changed = yaml.safe_load(params_file.read_text())
    changed["tune"]["seed"] += 7
    params_file.write_text(yaml.safe_dump(changed, sort_keys=False))
    again = subprocess.run([sys.executable, "-m", "dvc", "repro"], cwd=project, env=env,
                           capture_output=True, text=True, timeout=900)
    assert again.returncode != 0
    refusal = [ln for ln in again.stderr.splitlines() + again.stdout.splitlines()
               if ln.startswith("error: ")]
    assert len(refusal) == 1 and "covers this holdout" in refusal[0], again.stderr[-2000:]
    assert refusal[0].endswith("nothing was tuned (`dvc exp run` tries settings without "
                               "registering a model)")
    ran = [ln for ln in again.stdout.splitlines() if ln.startswith("Running stage")]
    assert ran[-1] == "Running stage 'tune':" and "Running stage 'promote':" not in ran
    assert json.loads((project / "reports" / "metrics.json").read_text())["holdout"] == report
    status = json.loads(tool("status", "--json", cwd=project).stdout)
    assert status["champion"]["version"] == "1"
