"""`tuneloop run --force` when the champion has already learnt the current holdout (no new
batch since the last run): the gate could not compare a new model with it, so the run stops
in one line before the study, instead of tuning first and failing at promote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_init_projects import _shrink, api_url, tool  # noqa: F401 - api_url: fixture
from tests.test_own_data_edges import _frame


# Slow (35 s, a whole project and two runs): the default suite nears 15 min on 2 cores;
# run with `-m slow` before a stop.
@pytest.mark.slow
def test_a_forced_run_that_could_not_be_gated_stops_before_the_study(
        tmp_path: Path, api_url: str) -> None:  # noqa: F811
    from tuneloop.config import load_params
    from tuneloop.project import init_project

    data = tmp_path / "table.parquet"
    _frame(600).to_parquet(data, index=False)
    project = tmp_path / "proj"
    init_project(project, data, "y")
    _shrink(project)
    tool("run", cwd=project, api_url=api_url)
    paths = load_params(project / "params.yaml").paths
    journal = (project / paths.journal).read_bytes()
    metrics = (project / paths.metrics).read_text()
    champion = json.loads(tool("status", "--json", cwd=project).stdout)["champion"]

    done = tool("run", "--force", cwd=project, check=False, api_url=api_url)
    assert done.returncode == 2, done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "was trained through" in last, done.stderr
    assert "nothing was tuned" in last and "promote --force" not in last
    assert "ERROR" not in done.stderr  # refused before the flow: no failed Prefect run
    # No study ran (its journal is untouched), nothing was evaluated or registered.
    assert (project / paths.journal).read_bytes() == journal
    assert (project / paths.metrics).read_text() == metrics
    assert json.loads(tool("status", "--json", cwd=project).stdout)["champion"] == champion
    # The champion itself, promoted by hand: "already the champion", not a refusal that points
    # at a --force which would then fail the same way.
    same = tool("promote", champion["version"], cwd=project, check=False)
    assert same.returncode == 2 and "is already the champion" in same.stderr, same.stderr
    # --resume with no retrain owed: no study to resume, said as such (it printed "retrain
    # deferred until a batch later in time arrives", in a project without a time column).
    resumed = tool("run", "--resume", cwd=project, api_url=api_url)
    assert "--resume: no retrain is owed, so there is no study to resume" in resumed.stdout
    assert "deferred" not in resumed.stdout
    assert (project / paths.journal).read_bytes() == journal


# Slow (35 s, a whole project and two runs): the default suite nears 15 min on 2 cores;
# run with `-m slow` before a stop.
@pytest.mark.slow
def test_a_version_fit_on_the_current_holdout_is_not_promoted_by_hand(
        tmp_path: Path, api_url: str) -> None:  # noqa: F811
    """A first model that lost to a constant prediction stays challenger; `tuneloop promote 1`
    then scored it on the holdout it had been refit on (r2 0.75 in-sample, -5.4 once served)
    and made it champion. It is refused in one line, unless forced with a reason."""
    import numpy as np
    import pandas as pd

    from tuneloop.project import init_project

    # The holdout (the last 120 rows in time) turns the relation round: the model that learnt
    # y ~ x is worse there than a constant.
    frame = _frame(600)
    frame["t"] = pd.date_range("2024-01-01", periods=600, freq="h")
    frame["y"] = np.where(np.arange(600) < 480, 1.0, -1.0) * frame["x"] * 20
    data = tmp_path / "table.parquet"
    frame.to_parquet(data, index=False)
    project = tmp_path / "proj"
    init_project(project, data, "y", time="t")
    _shrink(project)
    ran = tool("run", cwd=project, api_url=api_url)
    assert "rejected by the gate, kept as challenger" in ran.stdout, ran.stdout
    # Its figures are the refused challenger's, not what serves (sweep 29).
    assert "\nchallenger v1 holdout (no champion serves): {" in ran.stdout, ran.stdout
    # With no new batch and no champion, the run says how to tune again (sweep 29: params
    # edited after the refusal, and the run said only "no new batch").
    idle = tool("run", cwd=project, api_url=api_url)
    assert "no champion yet (the gate refused the last model): `tuneloop run --force` tunes " \
        "again" in idle.stdout, idle.stdout
    done = tool("promote", "1", cwd=project, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("error: proj v1 was trained through 000005-proj-05.parquet, which "
                           "covers the holdout the gate scores on (000005-proj-05.parquet)"), line
    # A batch ingested since, with no retrain, does not renew the holdout the gate scores on
    # (the split's): still refused (it was judged by the newest batch, and let through).
    # New rows (a row equal to an accepted one in all but its time is one sent again).
    later = frame.tail(120).assign(t=frame["t"].tail(120) + pd.Timedelta("120h"),
                                   x=frame["x"].tail(120) + 0.001, y=frame["y"].tail(120))
    later.to_parquet(tmp_path / "later.parquet", index=False)
    tool("ingest", str(tmp_path / "later.parquet"), cwd=project)
    again = tool("promote", "1", cwd=project, check=False)
    assert again.returncode == 2 and "covers the holdout the gate scores on" in again.stderr
    assert json.loads(tool("status", "--json", cwd=project).stdout)["champion"] is None
    said = tool("status", cwd=project).stdout
    assert said.startswith("no champion yet: gate v1 at ") and "no better than" in said
    forced = tool("promote", "1", "--force", "--reason", "serve something", cwd=project)
    assert "v1 is now the champion: forced by" in forced.stdout


# Slow: three full runs (the default suite stays under 15 minutes on 2 cores).
@pytest.mark.slow
def test_a_late_batch_that_asks_for_a_retrain_waits_for_a_later_one(
        tmp_path: Path, api_url: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    """A batch older than the champion's newest asked for a retrain, but the holdout a retrain
    would be gated on is one the champion learnt: every `tuneloop run` failed ("a forced
    re-tune needs ...", though nobody forced). The run now says the retrain is deferred and
    exits 0; the next batch later in time carries it out, the late batch in its window."""
    import pandas as pd
    import yaml

    from tuneloop import jsonl

    frame = _frame(600)
    frame["t"] = pd.date_range("2024-03-01", periods=600, freq="h")
    data = tmp_path / "table.parquet"
    frame.to_parquet(data, index=False)
    project = tmp_path / "proj"
    from tuneloop.project import init_project

    init_project(project, data, "y", time="t")
    _shrink(project)
    raw = yaml.safe_load((project / "params.yaml").read_text())
    raw["policy"]["name"] = "every"
    (project / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    tool("run", cwd=project, api_url=api_url)

    # The tune stage as `dvc repro` runs it, with no new batch: the champion learnt this
    # holdout, so promote would refuse whatever it tuned; it refuses first, in one line, and
    # the study's journal is untouched (it tuned and evaluated first, then promote refused
    # naming a version that did not exist).
    from stages import tune
    from tuneloop.config import load_params

    journal = project / load_params(project / "params.yaml").paths.journal
    before = journal.read_bytes()
    assert tune.main(["--root", str(project), "--params", str(project / "params.yaml")]) == 1
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and "which covers this holdout" in said[0], said
    assert said[0].endswith("nothing was tuned (`dvc exp run` tries settings without "
                            "registering a model)")
    assert journal.read_bytes() == before

    def batch(start: str, seed: int, name: str) -> Path:
        rows = _frame(120, seed=seed)
        rows["t"] = pd.date_range(start, periods=120, freq="h")
        path = tmp_path / name
        rows.to_parquet(path, index=False)
        return path

    tool("ingest", str(batch("2024-01-01", 7, "late.parquet")), cwd=project)  # before March
    deferred = tool("run", cwd=project, api_url=api_url)
    assert "retrain deferred until a batch later in time arrives" in deferred.stdout
    owed = tool("status", cwd=project).stdout
    # Still owed, and said as deferred: "`tuneloop run`" sent the user in a circle (sweep 25).
    assert "pending:    a retrain for 000006-late.parquet: retrain deferred until a batch " \
        "later in time arrives" in owed, owed
    row = tool("history", "--json", cwd=project).stdout.strip().splitlines()[-1]
    assert json.loads(row)["runs"][-1]["reason"].startswith("retrain deferred until")
    tool("ingest", str(batch("2024-05-01", 8, "newer.parquet")), cwd=project)
    done = tool("run", cwd=project, api_url=api_url)
    assert "warm tune" in done.stdout or "refit tune" in done.stdout, done.stdout
    last = jsonl.read(project / ".tuneloop" / "decisions.jsonl", "ledger")[-1]
    assert last["event"] == "retrained"
    assert last["batches"] == ["000006-late.parquet", "000007-newer.parquet"]
    assert "000006-late.parquet" in last["window"]


def test_a_run_that_meets_a_rejected_batch_exits_1(tmp_path: Path,
                                                   api_url: str) -> None:  # noqa: F811
    """The exit-code rule: 1 is a definite "no" about a batch, as ingest gives it; 2 an
    error. A run stopped by a rejected incoming batch exited 2."""
    from tuneloop.project import init_project

    data = tmp_path / "table.parquet"
    _frame(600).to_parquet(data, index=False)
    project = tmp_path / "proj"
    init_project(project, data, "y")
    incoming = project / "data" / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    _frame(200, seed=8).drop(columns=["z"]).to_csv(incoming / "bad.csv", index=False)
    _frame(200, seed=9).to_csv(incoming / "good.csv", index=False)
    done = tool("run", cwd=project, check=False, api_url=api_url)
    assert done.returncode == 1, done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "bad.csv" in last and "quarantine" in last, last
    # The batch accepted beside it is versioned before the stop, as `tuneloop ingest` does
    # (it was stored, and `dvc status` said modified until the next run: sweep 25).
    from tuneloop import jsonl
    listed = jsonl.read(project / "data" / "versions.jsonl", "versions")  # no run before
    assert len(listed) == 1 and listed[0]["batches"] == 6, listed  # init's 5 and good.csv
    dvc = subprocess.run([sys.executable, "-m", "dvc", "status", "data/batches.dvc"],
                         cwd=project, capture_output=True, text=True, check=True).stdout
    assert "up to date" in dvc, dvc
    # status said "no champion yet: run `tuneloop run`" to someone who just had.
    status = tool("status", cwd=project).stdout
    assert "no champion yet: the last run (at " in status and \
        ") stopped at a rejected batch: ValidationFailed: " in status and "bad.csv" in status, \
        status
    # A new rejected file beside the one rejected before (it stays in the folder, as a
    # cron's `ingest incoming/*` leaves it) crashed with AttributeError (sweep 25): each is
    # said, the new one with its reasons.
    _frame(200, seed=10).drop(columns=["x"]).to_csv(incoming / "also_bad.csv", index=False)
    again = tool("run", cwd=project, check=False, api_url=api_url)
    assert again.returncode == 1, again.stdout + again.stderr
    assert "AttributeError" not in again.stdout + again.stderr
    last = again.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "also_bad.csv" in last, last
    # The one rejected before is named as such, not counted as "seen before" only (sweep 53b).
    assert "bad.csv: already decided (same content): rejected, kept in " in \
        again.stdout + again.stderr, again.stdout + again.stderr


# Slow (40 s, a whole project and three runs): see above.
@pytest.mark.slow
def test_a_one_class_holdout_keeps_the_model_a_challenger_without_a_crash(
        tmp_path: Path, api_url: str) -> None:  # noqa: F811
    """A binary batch of one class (a week without a cancellation) became the holdout: its AUC
    is undefined (null in metrics.json), MLflow refused the None, and every run after crashed
    with a traceback in promote, the decision pending for good."""
    import numpy as np

    frame = _frame(600)
    frame["y"] = np.where(frame["x"] + 0.5 * frame["z"] > 0, "yes", "no")
    data = tmp_path / "table.csv"
    frame.to_csv(data, index=False)
    tool("init", "proj", "--data", str(data), "--target", "y", cwd=tmp_path)
    project = tmp_path / "proj"
    _shrink(project)
    tool("run", cwd=project, api_url=api_url)
    later = _frame(200, seed=4).assign(y="no")
    later.to_csv(tmp_path / "quiet.csv", index=False)
    # Since init writes positive-rate bounds, such a batch is rejected at ingest; a project
    # that expects quiet weeks lowers the bound (and the holdout can then be of one class).
    params_file = project / "params.yaml"
    params = yaml.safe_load(params_file.read_text())
    params["validate"]["positive_rate_min"] = 0.0
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    tool("ingest", str(tmp_path / "quiet.csv"), cwd=project)
    done = tool("run", "--force", cwd=project, check=False, api_url=api_url)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "rejected by the gate, kept as challenger" in done.stdout and \
        "undefined" in done.stdout, done.stdout
    assert "Traceback" not in done.stderr
    # The retrain is recorded: nothing is owed (every later run crashed, the decision pending).
    status = tool("status", cwd=project).stdout
    assert "pending" not in status, status
