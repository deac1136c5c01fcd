"""`tuneloop data withdraw BATCH --reason ...`: an accepted batch found wrong after it passed
validation (sweep 27: two classes swapped; the gate refused the refit, and the batch stayed in
every later training window) is taken out of the window, kept with the reason, and the window
without it is a new dataset version; the same file sent again is skipped as withdrawn, and
`ingest --retry` decides it again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.test_init_projects import tool
from tuneloop import jsonl


def _project(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 900
    x = rng.normal(size=n)
    frame = pd.DataFrame({"x": x.round(4), "z": rng.normal(size=n).round(4),
                          "y": np.round(100 + 20 * x + rng.normal(size=n), 3)})
    frame.iloc[:600].to_csv(tmp_path / "table.csv", index=False)
    frame.iloc[600:].to_csv(tmp_path / "later.csv", index=False)
    tool("init", "proj", "--data", str(tmp_path / "table.csv"), "--target", "y",
         "--batches", "4", cwd=tmp_path)
    return tmp_path / "proj"


def _champion_trained_with_later(tmp_path: Path) -> Path:
    """A project whose champion v2 was trained with the batch later.csv (v1 before it): two
    full runs."""
    from tests.test_init_projects import _shrink

    project = _project(tmp_path)
    _shrink(project)
    tool("run", cwd=project)  # v1: before the batch
    tool("ingest", str(tmp_path / "later.csv"), cwd=project)
    tool("run", "--force", cwd=project)  # v2, trained with it
    tool("promote", "2", "--force", "--reason", "the test serves it", cwd=project,
         check=False)  # already the champion, or made so
    return project


def test_withdraw_takes_a_batch_out_and_keeps_it(tmp_path: Path) -> None:
    project = _project(tmp_path)
    later = tmp_path / "later.csv"
    accepted = tool("ingest", str(later), cwd=project)
    stored = accepted.stdout.split("stored as ")[1].split()[0]
    versions = (project / "data" / "versions.jsonl").read_text().splitlines()
    rows_before = pd.read_parquet(project / "data" / "prepared" / "dataset.parquet").shape[0]

    # By the file it was accepted from; without a reason it is refused (a usage error).
    missing = tool("data", "withdraw", str(later), cwd=project, check=False)
    assert missing.returncode == 2 and "--reason" in missing.stderr
    done = tool("data", "withdraw", str(later), "--reason", "labels of the wrong month",
                cwd=project)
    name = Path(stored).name
    assert f"{name}: withdrawn (300 rows, accepted from {later})" in done.stdout, done.stdout
    assert "note: it held the window's latest times" in done.stdout
    assert not (project / stored).exists()
    kept = next((project / "data" / "quarantine").glob(f"*-withdrawn-{name}"))
    assert (kept / name).is_file()
    why = json.loads((kept / "withdrawal.json").read_text())
    assert why["reason"] == "labels of the wrong month" and why["rows"] == 300
    after = (project / "data" / "versions.jsonl").read_text().splitlines()
    assert len(after) == len(versions) + 1
    assert pd.read_parquet(project / "data" / "prepared" / "dataset.parquet").shape[0] == \
        rows_before - 300
    ledger = jsonl.read(project / "data" / "arrivals.jsonl", "batch ledger")
    assert ledger[-1]["withdrawn"] == "labels of the wrong month" and not ledger[-1]["accepted"]

    status = json.loads(tool("status", "--json", cwd=project).stdout)
    assert status["withdrawn_files"]["count"] == 1
    assert status["withdrawn_files"]["last"]["reason"] == "labels of the wrong month"
    assert status["rejected_files"]["count"] == 0  # a withdrawal is no rejection
    assert "withdrawn:  1 accepted batch(es) taken out of the window" in \
        tool("status", cwd=project).stdout

    # validate says so (sweep 30: "passed", nothing more).
    checked = tool("validate", str(later), cwd=project, check=False)
    assert f"{later}: accepted once, then withdrawn (labels of the wrong month; kept in " \
        in checked.stdout, checked.stdout
    # Sent again: skipped as withdrawn (exit 1, as a rejected file sent again); --retry
    # decides it again, and it passes.
    again = tool("ingest", str(later), cwd=project, check=False)
    assert again.returncode == 1
    assert "accepted, then withdrawn (`tuneloop data withdraw`)" in again.stderr, again.stderr
    retried = tool("ingest", "--retry", str(later), cwd=project)
    assert "accepted, 300 rows" in retried.stdout, retried.stdout
    assert json.loads(tool("status", "--json", cwd=project).stdout)[
        "withdrawn_files"]["count"] == 0


def test_withdraw_takes_the_file_name_status_shows(tmp_path: Path) -> None:
    """Sweep 41b (F7): `data withdraw b1994_bad.csv`, the base name status and ingest show,
    was "not an accepted batch"; only the path it was sent from worked."""
    project = _project(tmp_path)
    tool("ingest", str(tmp_path / "later.csv"), cwd=project)
    done = tool("data", "withdraw", "later.csv", "--reason", "wrong export", cwd=project)
    assert "000005-later.parquet: withdrawn (300 rows" in done.stdout, done.stdout
    assert not (project / "data" / "batches" / "000005-later.parquet").exists()


def test_withdraw_refuses_what_it_cannot_do_in_one_line_and_changes_nothing(
        tmp_path: Path) -> None:
    project = _project(tmp_path)
    ledger = (project / "data" / "arrivals.jsonl").read_text()
    unknown = tool("data", "withdraw", "nope.parquet", "--reason", "x", cwd=project,
                   check=False)
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines() == [
        "error: nope.parquet: not an accepted batch of this project (the accepted batches are "
        "the files in data/batches, or the files they were accepted from)"]
    # Four batches; the split needs valid + holdout + one to train on: one may go, not two.
    batches = sorted((project / "data" / "batches").glob("*.parquet"))
    tool("data", "withdraw", batches[0].name, "--reason", "a test load", cwd=project)
    refused = tool("data", "withdraw", batches[1].name, "--reason", "x", cwd=project,
                   check=False)
    assert refused.returncode == 2
    assert "withdrawing it would leave 2 accepted batch(es); the split needs at least 3" in \
        refused.stderr
    assert batches[1].is_file()
    assert (project / "data" / "arrivals.jsonl").read_text().count("\n") == \
        ledger.count("\n") + 1


def test_a_withdrawal_stopped_after_its_ledger_line_is_finished_by_the_next(
        tmp_path: Path) -> None:
    from stages import ingest as ingest_stage
    from tuneloop.config import load_params

    project = _project(tmp_path)
    params = load_params(project / "params.yaml")
    batch = sorted((project / "data" / "batches").glob("*.parquet"))[0]
    ingest_stage.withdraw(params, project, batch.name, "first try")
    # As if killed after the ledger line, before the file left the window:
    kept = next((project / "data" / "quarantine").glob(f"*-withdrawn-{batch.name}"))
    batch.write_bytes((kept / batch.name).read_bytes())
    done = tool("data", "withdraw", batch.name, "--reason", "again", cwd=project)
    assert f"{batch.name}: already withdrawn (first try)" in done.stdout and not batch.exists()
    # Stopped there again: the recovery every run and ingest starts with finishes it.
    from tuneloop.recovery import recover

    batch.write_bytes((kept / batch.name).read_bytes())
    said = recover(params, project, registry=False)
    assert not batch.exists() and any("withdrawn (first try) by a withdrawal that stopped" in x
                                      for x in said), said
    # One withdrawal in the ledger, not two.
    entries = jsonl.read(project / "data" / "arrivals.jsonl", "batch ledger")
    assert sum(bool(e.get("withdrawn")) for e in entries) == 1


def test_a_batch_accepted_after_a_withdrawn_newest_one_takes_a_new_number(
        tmp_path: Path) -> None:
    """The review: withdrawing the newest batch freed its number for the next accept, which
    hid an orphan of a stopped ingest from recovery (it looks past the newest recorded name)."""
    project = _project(tmp_path)
    tool("ingest", str(tmp_path / "later.csv"), cwd=project)
    newest = sorted((project / "data" / "batches").glob("*.parquet"))[-1]
    tool("data", "withdraw", newest.name, "--reason", "wrong month", cwd=project)
    again = tool("ingest", "--retry", str(tmp_path / "later.csv"), cwd=project)
    stored = again.stdout.split("stored as ")[1].split()[0]
    assert Path(stored).name.split("-")[0] > newest.name.split("-")[0], (stored, newest.name)


def test_a_retrain_refused_on_a_batch_since_withdrawn_does_not_escalate_the_next(
        tmp_path: Path) -> None:
    """Sweep 30: a refit refused on a Celsius month (then withdrawn) still counted as a
    rejected retrain, so the honest next month got a warm re-tune, which lost to the refit an
    honest month gets. A rejection asked for by batches no longer accepted does not count."""
    from tuneloop.decisions import Ledger

    ledger = Ledger(tmp_path / "decisions.jsonl")
    ledger.record_retrained({"batches": ["000007-jul.parquet"], "md5s": ["a"], "window": [],
                             "promoted": "2", "candidates": [], "compute_s": 1.0})
    ledger.record_retrained({"batches": ["000008-celsius.parquet"], "md5s": ["b"],
                             "window": [], "promoted": None, "candidates": [],
                             "compute_s": 1.0})
    kept = ["000007-jul.parquet", "000008-celsius.parquet", "000009-sep.parquet"]
    withdrawn = ["000007-jul.parquet", "000009-sep.parquet"]
    assert ledger.history(None, "000009-sep.parquet", kept, 1, True).rejected_in_row == 1
    assert ledger.history(None, "000009-sep.parquet", withdrawn, 1, True).rejected_in_row == 0
    # Sweep 40b: a retrain asked for by an honest batch, its window holding one since
    # withdrawn, was refused on what was withdrawn: no escalation either.
    ledger.record_retrained({"batches": ["000009-sep.parquet"], "md5s": ["c"],
                             "window": ["000007-jul.parquet", "000008-celsius.parquet",
                                        "000009-sep.parquet"], "promoted": None,
                             "candidates": [], "compute_s": 1.0})
    later = [*withdrawn, "000010-oct.parquet"]
    assert ledger.history(None, "000010-oct.parquet", later, 1, True).rejected_in_row == 0
    assert ledger.history(None, "000010-oct.parquet", [*kept, "000010-oct.parquet"], 1,
                          True).rejected_in_row == 2


def test_dismiss_sets_a_rejected_file_aside(tmp_path: Path) -> None:
    """Sweep 30 (N6): two halves of a batch, rejected as too small, were sent again as one file
    and accepted; `status` kept advising `ingest --retry` for the halves, which would have sent
    their rows twice, and nothing could set them aside."""
    project = _project(tmp_path)
    later = pd.read_csv(tmp_path / "later.csv")
    bad = later.assign(y=later["y"] * 1000)  # another unit: rejected
    bad.to_csv(tmp_path / "bad.csv", index=False)
    rejected = tool("ingest", str(tmp_path / "bad.csv"), cwd=project, check=False)
    assert rejected.returncode == 1, rejected.stdout + rejected.stderr
    status = tool("status", cwd=project).stdout
    assert "rejected:   1 batch file(s) kept in quarantine" in status, status
    assert "`tuneloop data dismiss FILE --reason ...`" in status

    unknown = tool("data", "dismiss", "nothing.csv", "--reason", "x", cwd=project, check=False)
    assert unknown.returncode == 2 and unknown.stderr.strip().count("\n") == 0
    assert "nothing.csv: not a rejected batch file of this project" in unknown.stderr
    done = tool("data", "dismiss", "bad.csv", "--reason", "sent again in the right unit",
                cwd=project)
    assert f"{tmp_path / 'bad.csv'}: dismissed; kept in data/quarantine/" in done.stdout, \
        done.stdout
    assert "rejected:" not in tool("status", cwd=project).stdout
    assert json.loads(tool("status", "--json", cwd=project).stdout)["rejected_files"][
        "count"] == 0
    again = tool("data", "dismiss", str(tmp_path / "bad.csv"), "--reason", "y", cwd=project)
    assert "already dismissed (sent again in the right unit)" in again.stdout
    # The same file sent again is skipped, as any decided file; an accepted one is no
    # rejection to dismiss.
    skipped = tool("ingest", str(tmp_path / "bad.csv"), cwd=project, check=False)
    assert "already decided (same content): rejected, kept in " in skipped.stderr
    assert "skipped (--retry decides it again)" in skipped.stderr
    tool("ingest", str(tmp_path / "later.csv"), cwd=project)
    refused = tool("data", "dismiss", "later.csv", "--reason", "z", cwd=project, check=False)
    assert refused.returncode == 2 and "not a rejected batch file" in refused.stderr


# Slow: two full runs and a dozen commands (the default suite stays under 15 minutes on 2 cores).
@pytest.mark.slow
def test_a_champion_that_learnt_a_withdrawn_batch_is_said_and_the_clean_version_named(
        tmp_path: Path) -> None:
    """Sweep 31 (31b F3): after `data withdraw` of a batch the champion had learnt, the champion
    kept serving without a word in `status`, and the advice, `rollback`, served another
    version that had learnt it. Versions registered after the batch was accepted learnt it:
    withdraw, status and rollback say so and name the newest version that did not."""
    project = _champion_trained_with_later(tmp_path)
    status = json.loads(tool("status", "--json", cwd=project).stdout)
    assert status["champion"]["version"] == "2", status["champion"]
    assert "champion_learnt_withdrawn" not in status

    done = tool("data", "withdraw", str(tmp_path / "later.csv"), "--reason", "wrong export",
                cwd=project)
    line = ("note: the champion v2 was trained with withdrawn batch(es) 000005-later.parquet: "
            "v1 is the newest version trained without it: "
            "`tuneloop promote 1 --force --reason \"...\"` serves it")
    assert line in done.stdout, done.stdout
    said = tool("status", cwd=project)
    assert "warning:    the champion v2 was trained with withdrawn batch(es)" in said.stderr
    assert json.loads(tool("status", "--json", cwd=project).stdout)[
        "champion_learnt_withdrawn"] == {"batches": ["000005-later.parquet"],
                                         "clean_version": "1"}
    # The next batch owes a refit without it, whatever the statistics (its holdout figure was
    # measured on the batch: sweep 31, a clean batch 14 times worse was "better than it").
    more = pd.read_csv(tmp_path / "later.csv")
    more[["x", "z"]] = (more[["x", "z"]] + 0.001).round(4)
    more.to_csv(tmp_path / "more.csv", index=False)
    tool("ingest", str(tmp_path / "more.csv"), cwd=project)
    from stages import drift
    from tuneloop.config import load_params

    check = drift.execute(load_params(project / "params.yaml"), project)
    decided = check.decided[-1]["decision"]
    # (a refit, or a warm re-tune where the retrain that made v2 was refused by the gate and
    # v2 promoted by hand: escalated as any trigger)
    assert decided["action"] in ("refit", "warm") and decided["reason"].startswith(
        "the champion was trained with withdrawn batch(es) 000005-later.parquet"), decided

    back = tool("rollback", cwd=project)
    assert "champion v2 -> v1" in back.stdout and "warning" not in back.stderr
    assert "champion_learnt_withdrawn" not in json.loads(
        tool("status", "--json", cwd=project).stdout)
    # A challenger that learnt it is said too (sweep 35: a refit of a label-flipped batch stayed
    # `challenger: v5` after the batch was withdrawn): v2 held as one, as a refused refit is.
    import mlflow

    from tuneloop.tracking import setup

    params = load_params(project / "params.yaml")
    setup(params.mlflow, project)
    mlflow.MlflowClient().set_registered_model_alias(params.promote.model_name, "challenger",
                                                     "2")
    said = tool("status", cwd=project).stdout
    assert "challenger: v2 (trained with withdrawn batch(es) 000005-later.parquet: promoting " \
        "it would serve them)" in said, said


# Slow: three full runs.
@pytest.mark.slow
def test_a_champion_that_learnt_a_withdrawn_batch_is_no_bar_for_the_retrain_it_owes(
        tmp_path: Path) -> None:
    """Sweep 40b (F1): a champion refit on an export later withdrawn scored the corrected
    re-export of the same rows from memory (RMSE 3.74, 5.98 unseen) and refused every clean
    retrain after it, the withdrawn data serving on. Its figures are no bar: the owed retrain
    is held to a first model's bar, and the reason says why."""
    project = _champion_trained_with_later(tmp_path)
    tool("data", "withdraw", str(tmp_path / "later.csv"), "--reason", "wrong export",
         cwd=project)
    more = pd.read_csv(tmp_path / "later.csv")
    more[["x", "z"]] = (more[["x", "z"]] + 0.001).round(4)
    more.to_csv(tmp_path / "more.csv", index=False)
    tool("ingest", str(tmp_path / "more.csv"), cwd=project)
    tool("run", cwd=project)
    audit = [json.loads(line) for line in
             (project / ".tuneloop" / "promotions.jsonl").read_text().splitlines()]
    last = audit[-1]
    assert last["champion_before"] == "2" and last["promoted"], last
    assert last["reason"].startswith(
        "the champion v2 was trained with withdrawn batch(es) 000005-later.parquet: no bar "
        "(its figures may be its memory of them); held to a first model's bar: holdout "), last
    assert "no champion yet" not in last["reason"]
    status = json.loads(tool("status", "--json", cwd=project).stdout)
    assert status["champion"]["version"] == last["version"]
    assert "champion_learnt_withdrawn" not in status
    # v2, trained with the withdrawn batch, is not let back in by hand without --force.
    back = tool("promote", "2", cwd=project, check=False)
    assert back.returncode != 0 and "v2 was trained with withdrawn batch(es) " \
        "000005-later.parquet: promoting it would serve them" in back.stderr, back.stderr


def test_a_re_sent_copy_is_not_counted_as_a_file_to_fix_and_the_report_shows_withdrawals(
        tmp_path: Path) -> None:
    """Sweep 31 (31b F13): `status` counted re-sent copies of accepted rows among the files to
    fix and `--retry`; the HTML report showed rejections but none of the withdrawals."""
    project = _project(tmp_path)
    tool("ingest", str(tmp_path / "later.csv"), cwd=project)
    pd.read_csv(tmp_path / "later.csv").to_parquet(tmp_path / "later.parquet")
    again = tool("ingest", str(tmp_path / "later.parquet"), cwd=project, check=False)
    assert again.returncode == 1 and "rows already accepted" in again.stderr
    status = tool("status", cwd=project).stdout
    assert "rejected:" not in status, status
    assert "re-sent:    1 file(s) rejected as copies of accepted rows" in status
    tool("data", "withdraw", str(tmp_path / "later.csv"), "--reason", "a test load",
         cwd=project)
    tool("report", cwd=project)
    page = (project / "reports" / "tuneloop.html").read_text()
    assert "Accepted batches withdrawn" in page and "a test load" in page
    assert "a copy of accepted rows: nothing to fix" in page


def test_a_file_left_unread_in_incoming_is_named_by_status(tmp_path: Path) -> None:
    """Sweep 31 (31a F4): a `.txt` export dropped in data/incoming sat there while the run
    said "no new batch", its one line among the flow's logs; `status` said nothing."""
    project = _project(tmp_path)
    (project / "data" / "incoming" / "2026-12.txt").write_text("x,z,y\n1,2,3\n")
    said = tool("status", cwd=project)
    assert ("note: data/incoming/2026-12.txt: not a batch file, left unread (.parquet, .csv, "
            ".tsv, gzipped too): if it is comma-, semicolon-, tab- or pipe-separated text, "
            "rename it .csv") in said.stderr, said.stderr
