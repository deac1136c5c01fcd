"""The drift stage decides each accepted batch once, against what the champion was trained on,
with the real stages (no Prefect): ingest, dataset, drift, split, tune, evaluate, promote on a
small slice of the real flights months, MLflow on SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from stages import dataset, drift, evaluate, ingest, promote, split, tune
from tests.conftest import make_project, write_month
from tuneloop import jsonl
from tuneloop.config import Params, load_params
from tuneloop.decisions import Ledger
from tuneloop.errors import TuneloopError


def _retrain(params: Params, root: Path, check: drift.Check) -> str | None:
    """What the loop flow does when a decision asks for a retrain, stage by stage."""
    split.execute(params, root)
    tuned = tune.execute(params, root, mode="cold" if check.retrain == "cold" else "warm")
    evaluate.execute(params, root)
    decision = promote.execute(params, root)
    promoted = decision.version if decision.promoted else None
    drift.record_retrain(params, root, check,
                         dataset.window_files(params.data, root / params.data.batches),
                         promoted, [{"version": decision.version}], tuned.compute_seconds,
                         tuned.mode)
    return promoted


@pytest.fixture(scope="module")
def first_window_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """January-June accepted and tuned cold: champion v1, its window recorded. Built once;
    each test gets its own copy (the project moved: its MLflow store follows it)."""
    root = make_project(tmp_path_factory.mktemp("drift") / "project", {"policy.name": "every"})
    params = load_params(root / "params.yaml")
    ingest.execute(params, root)
    dataset.execute(params, root)
    check = drift.execute(params, root)
    assert check.retrain == "cold"  # no champion yet: every batch asks for the first tune
    assert [d["action"] for d in check.to_dict()["decided"]] == ["cold"] * 6
    assert _retrain(params, root, check) == "1"
    return root


@pytest.fixture
def first_window(first_window_template: Path, tmp_path: Path) -> tuple[Params, Path, str]:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(first_window_template, root, symlinks=True)
    return load_params(root / "params.yaml"), root, "1"


def test_each_batch_is_decided_once_against_the_champions_window(
        first_window: tuple[Params, Path, str]) -> None:
    params, root, champion = first_window
    ledger = Ledger(root / params.paths.decisions)
    assert ledger.pending() == []
    assert ledger.window_of(champion) == [f"{n:06d}-flights-2013-{n:02d}.parquet"
                                          for n in range(1, 7)]
    # Nothing new: a re-run (a cron tick, a retry) decides nothing and asks for nothing.
    before = (root / params.paths.decisions).read_text()
    again = drift.execute(params, root)
    assert again.decided == [] and again.retrain == "none" and not again.newly_retrain
    assert (root / params.paths.decisions).read_text() == before

    # July arrives: decided once, against the six months champion v1 was trained on.
    write_month(root / "data" / "incoming", 7)
    ingest.execute(params, root)
    dataset.execute(params, root)
    check = drift.execute(params, root)
    assert [d["batch"] for d in check.decided] == ["000007-flights-2013-07.parquet"]
    entry = check.decided[0]
    assert entry["champion"] == champion and entry["policy"] == "every"
    assert entry["decision"]["action"] == "warm"  # policy every: each batch retrains
    stats = entry["statistics"]
    assert set(stats) >= {"drift_importance", "drifted_features", "label", "prediction",
                          "domain_auc", "realized"}
    assert stats["realized"]["metric"] == "auc" and stats["realized"]["holdout"] is not None
    low, high = stats["realized"]["ci"]
    assert low <= stats["realized"]["value"] <= high
    report = json.loads((root / params.paths.drift_report).read_text())
    assert report["batch"] == entry["batch"] and report["reference_batches"] == 6
    assert report["reference_rows"] > 0 and report["champion"] == champion
    markdown = (root / params.paths.drift_report).with_suffix(".md").read_text()
    assert "| temp | ks |" in markdown and "Realized auc of the champion" in markdown

    # The decision stays pending until a retrain carries it out, however often it is read.
    assert drift.execute(params, root).retrain == "warm"
    assert [e["batch"] for e in Ledger(root / params.paths.decisions).pending()] == \
        [entry["batch"]]
    _retrain(params, root, drift.execute(params, root))
    assert Ledger(root / params.paths.decisions).pending() == []
    events = jsonl.read(root / params.paths.decisions, "decision ledger")
    assert [e["event"] for e in events].count("decided") == 7
    assert [e["event"] for e in events].count("retrained") == 2
    assert events[-1]["batches"] == [entry["batch"]] and events[-1]["action"] == "warm"


def test_policy_never_decides_but_does_not_retrain(first_window: tuple[Params, Path, str],
                                                   tmp_path: Path) -> None:
    params, root, _ = first_window
    text = (root / "params.yaml").read_text().replace("name: every", "name: never")
    (root / "params.yaml").write_text(text)
    params = load_params(root / "params.yaml")
    write_month(root / "data" / "incoming", 7)
    ingest.execute(params, root)
    dataset.execute(params, root)
    check = drift.execute(params, root)
    assert [d["action"] for d in check.to_dict()["decided"]] == ["none"]
    assert check.decided[0]["decision"]["reason"] == "policy never retrains"
    assert check.retrain == "none"
    # The window still advanced: July is in the training data of the next retrain.
    assert "000007-flights-2013-07.parquet" in dataset.window_files(
        params.data, root / params.data.batches)


def test_an_unreadable_registry_is_no_answer(first_window: tuple[Params, Path, str]) -> None:
    """A registry that cannot be read stops the check naming the store; it is never read as
    "no champion" (which would ask for a cold re-tune of everything)."""
    params, root, _ = first_window
    write_month(root / "data" / "incoming", 7)
    ingest.execute(params, root)
    dataset.execute(params, root)
    store = root / ".tuneloop" / "mlflow.db"
    store.write_bytes(b"this is not a sqlite database" * 100)
    before = (root / params.paths.decisions).read_text()
    with pytest.raises(TuneloopError) as info:
        drift.execute(params, root)
    assert "mlflow.db" in str(info.value) or "sqlite" in str(info.value)
    assert len(str(info.value).splitlines()) == 1
    assert (root / params.paths.decisions).read_text() == before  # nothing decided


def test_a_refit_retrains_the_champions_configuration_and_is_gated_for_non_inferiority(
        first_window: tuple[Params, Path, str]) -> None:
    """What `auto` does for a champion that only went stale: no trials, its own configuration
    on the new window, promoted unless the gate finds it worse than the champion."""
    from tuneloop.champion import load_champion

    params, root, champion = first_window
    loaded = load_champion(params, root)
    assert loaded is not None and loaded.version == champion
    configuration = loaded.configuration()
    assert configuration is not None and configuration["params"] == loaded.params
    write_month(root / "data" / "incoming", 7)
    ingest.execute(params, root)
    dataset.execute(params, root)
    split.execute(params, root)
    tuned = tune.execute(params, root, mode="refit", champion=configuration)
    assert tuned.mode == "refit" and tuned.n_trials == 0
    assert tuned.best_params == configuration["params"]
    assert tuned.best_iteration == configuration["num_boost_round"]
    # Sweep 10: the latest indicators were the previous study's (`dvc exp show` put its 24
    # trials beside the refit's holdout), and the retrain was recorded at 0 core-seconds.
    sli = json.loads((root / params.paths.sli).read_text())
    assert (sli["mode"], sli["trials"], sli["compute_core_s"]) == ("refit", 0, 0.0)
    evaluate.execute(params, root)
    fits = json.loads((root / params.paths.evaluation).read_text())["compute"]["fit_core_s"]
    assert fits > 0 and drift.evaluate_fits_core_s(params, root) == fits
    decision = promote.execute(params, root)
    assert decision.champion_version == champion
    assert decision.reason.startswith("refit of the champion's configuration")
    low = decision.ci[0]
    assert decision.metric == "auc"  # a fixed-scale score: the tolerance as it is
    assert decision.promoted == (low > -params.promote.refit_tolerance)
    with pytest.raises(TuneloopError) as info:
        tune.execute(params, root, mode="refit")
    assert str(info.value) == "tune mode 'refit' needs the champion's configuration"


def test_a_champion_made_before_the_ledger_is_judged_on_what_it_was_trained_on(
        first_window: tuple[Params, Path, str]) -> None:
    """A project whose ledger is lost (or predates it): the champion's version says which
    batches it was fit on, so those are recorded as its window, not judged against it."""
    params, root, champion = first_window
    (root / params.paths.decisions).unlink()
    write_month(root / "data" / "incoming", 7)
    ingest.execute(params, root)
    dataset.execute(params, root)
    check = drift.execute(params, root)
    actions = [(e["batch"], e["decision"]["action"]) for e in check.decided]
    assert actions[:6] == [(f"{n:06d}-flights-2013-{n:02d}.parquet", "none") for n in range(1, 7)]
    assert all(e["decision"]["reason"] == f"in the training window of champion v{champion}"
               for e in check.decided[:6])
    july = check.decided[6]
    assert july["batch"] == "000007-flights-2013-07.parquet" and july["statistics"] is not None
    report = json.loads((root / params.paths.drift_report).read_text())
    assert report["reference_batches"] == 6


def test_status_counts_a_batch_undecided_by_its_content_as_the_drift_check_does(
        tmp_path: Path) -> None:
    """`tuneloop status` listed undecided batches by file name while the drift check decides
    by content hash: a batch file rewritten under a decided name was "decided" to status and
    new to the check (review of session 15)."""
    from tuneloop.decisions import Ledger
    from tuneloop.io import file_md5
    from tuneloop.registry_view import batch_decisions

    batches = tmp_path / "batches"
    batches.mkdir()
    first, second = batches / "000001-a.parquet", batches / "000002-b.parquet"
    pd.DataFrame({"x": [1, 2]}).to_parquet(first)
    pd.DataFrame({"x": [3, 4]}).to_parquet(second)
    ledger = Ledger(tmp_path / "decisions.jsonl")
    for f in (first, second):
        ledger.record_decided({"batch": f.name, "md5": file_md5(f),
                               "decision": {"action": "none", "reason": "no trigger"}})
    assert batch_decisions(ledger.path, batches)["undecided"] == []
    pd.DataFrame({"x": [5, 6]}).to_parquet(second)  # new rows under a decided name
    assert batch_decisions(ledger.path, batches)["undecided"] == ["000002-b.parquet"]


def test_a_refit_does_not_serve_a_batch_whose_labels_were_shuffled(
        first_window: tuple[Params, Path, str]) -> None:
    """Sweep 12: a batch with shuffled or flipped labels passed every check (its positive rate
    is as usual), auto refit the champion's configuration, and the gate, comparing the
    champion with itself (the refit's scored fit learnt the same rows), promoted the refit
    that had learnt the batch. Now the refit is kept out, and the reason says why."""
    import numpy as np

    from tuneloop.champion import load_champion

    params, root, champion = first_window
    loaded = load_champion(params, root)
    assert loaded is not None
    path = write_month(root / "data" / "incoming", 7)
    raw = pd.read_parquet(path)
    raw["arr_delay"] = np.random.default_rng(7).permutation(raw["arr_delay"].to_numpy())
    raw.to_parquet(path, index=False)
    ingest.execute(params, root)
    dataset.execute(params, root)
    split.execute(params, root)
    tune.execute(params, root, mode="refit", champion=loaded.configuration())
    evaluate.execute(params, root)
    decision = promote.execute(params, root)
    assert not decision.promoted and decision.champion_version == champion
    assert decision.reason.startswith("refit of the champion's configuration refused: its "
                                      "predictions order the newest holdout's labels"), \
        decision.reason
    assert f"`tuneloop promote {decision.version} --force" in decision.reason
    assert load_champion(params, root).version == champion  # type: ignore[union-attr]


def test_a_champion_tagged_family_better_is_re_tuned_where_auto_would_refit(
        first_window: tuple[Params, Path, str]) -> None:
    """Sweep 57b (F3) and the second review (F4): the version tag a refit's evaluation leaves
    where another family held out better (stages.promote.family_better_tag) reaches the
    policy through load_champion and the drift stage: a drifted champion, refit otherwise, is
    re-tuned (warm), its reason saying why."""
    import mlflow
    import yaml

    from tuneloop.config import apply_overrides
    from tuneloop.promotion import FAMILY_BETTER
    from tuneloop.tracking import setup

    params, root, version = first_window
    raw = yaml.safe_load((root / "params.yaml").read_text())
    (root / "params.yaml").write_text(yaml.safe_dump(apply_overrides(raw, {
        "policy.name": "auto", "policy.drift_importance": 0.0, "policy.cooldown_batches": 0}),
        sort_keys=False))
    params = load_params(root / "params.yaml")
    setup(params.mlflow, root)
    mlflow.MlflowClient().set_model_version_tag(
        params.promote.model_name, version, FAMILY_BETTER,
        "the linear family's best trial held out at auc 0.71, better than the choice's 0.70")
    write_month(root / "data" / "incoming", 7)
    ingest.execute(params, root)
    dataset.execute(params, root)
    check = drift.execute(params, root)
    decision = check.decided[0]["decision"]
    assert decision["action"] == "warm", decision
    assert decision["reason"].endswith(
        "at the champion's evaluation the linear family's best trial held out at auc 0.71, "
        "better than the choice's 0.70: a warm re-tune (a refit keeps its family)"), decision


def _relabelled_month(incoming: Path, month: int, share: float, seed: int) -> Path:
    """A real month with `share` of its late flights sent as on time: its features untouched,
    its positive rate cut (as sweep 57b's wagepan year, 60% of `yes` sent as `no`)."""
    import numpy as np

    from hooks.flights import LATE_MINUTES

    path = write_month(incoming, month)
    raw = pd.read_parquet(path)
    late = (raw["arr_delay"] > LATE_MINUTES).to_numpy()
    chosen = late & (np.random.default_rng(seed).random(len(raw)) < share)
    raw.loc[chosen, "arr_delay"] = 0.0
    raw.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("august_relabelled", [False, True])
def test_a_batch_whose_labels_alone_moved_is_held_a_batch(
        first_window: tuple[Params, Path, str], august_relabelled: bool) -> None:
    """Sweeps 54b F1 and 57b F1: a batch whose labels moved where its features do not say they
    should was refit on at once, and the refit (its scored fit the champion's own rows, the
    served fit learning the batch) promoted untested; served the next honest batch worse.
    Now the retrain waits a batch: if the next batch's labels move so too, it retrains then
    (the gate tests on that batch what this one taught); if not, it says so and names the
    batch to withdraw."""
    import yaml

    from tuneloop.config import apply_overrides

    params, root, _ = first_window
    raw = yaml.safe_load((root / "params.yaml").read_text())
    (root / "params.yaml").write_text(yaml.safe_dump(apply_overrides(raw, {
        "policy.name": "auto", "policy.cooldown_batches": 0}), sort_keys=False))
    params = load_params(root / "params.yaml")
    incoming = root / "data" / "incoming"
    _relabelled_month(incoming, 7, 0.6, seed=7)
    ingest.execute(params, root)
    dataset.execute(params, root)
    check = drift.execute(params, root)
    july = check.decided[0]
    decision = july["decision"]
    assert decision["action"] == "none" and decision["held"], decision
    assert decision["reason"].startswith("held a batch: the champion's scores missed the "
                                         "batch's positive rate"), decision["reason"]
    assert check.retrain == "none" and not check.newly_retrain
    page = (root / params.paths.drift_report).with_suffix(".md").read_text()
    assert page.startswith("## Batch `000007-flights-2013-07.parquet`: **none (retrain held "
                           "a batch)**"), page[:200]

    if august_relabelled:
        _relabelled_month(incoming, 8, 0.6, seed=8)
    else:
        write_month(incoming, 8)
    ingest.execute(params, root)
    dataset.execute(params, root)
    check = drift.execute(params, root)
    august = check.decided[0]["decision"]
    assert not august["held"]  # never two batches held in a row
    held = "000007-flights-2013-07.parquet"
    if august_relabelled:
        # The move persists: the retrain goes ahead, its window holding July as validation
        # and August as the holdout its gate judges on.
        assert august["action"] == "refit" and check.retrain == "refit", august
        assert f"the label move held at {held}: its labels moved in this batch too" \
            in august["reason"]
    else:
        assert f"the label move held at {held} does not show in this batch" \
            in august["reason"], august
        assert f"`tuneloop data withdraw {held} --reason ...`" in august["reason"]
    # A batch after August carries no hold: July's was answered.
    names = [p.name for p in sorted((root / params.data.batches).glob("*.parquet"))]
    assert Ledger(root / params.paths.decisions).history(
        None, "000009-flights-2013-09.parquet", [*names, "000009-flights-2013-09.parquet"],
        1, True).held is None


def test_a_hold_is_carried_one_batch_and_only_while_its_batch_is_accepted(
        tmp_path: Path) -> None:
    """Ledger.history's `held`: the batch decided last, held (policy.Decision.held), with no
    retrain since and still accepted; a withdrawn batch confirms nothing."""
    ledger = Ledger(tmp_path / "decisions.jsonl")
    held = {"action": "none", "reason": "held a batch: ...", "triggers": ["t"], "held": True}
    ledger.record_decided({"batch": "000007-jul.parquet", "md5": "a", "decision": held})
    accepted = ["000007-jul.parquet", "000008-aug.parquet"]
    assert ledger.history(None, "000008-aug.parquet", accepted, 1, True).held == \
        "000007-jul.parquet"
    assert ledger.history(None, "000008-aug.parquet", accepted[1:], 1, True).held is None
    ledger.record_decided({"batch": "000008-aug.parquet", "md5": "b",
                           "decision": {"action": "refit", "reason": "r", "triggers": ["t"]}})
    assert ledger.history(None, "000009-sep.parquet", [*accepted, "000009-sep.parquet"], 1,
                          True).held is None
    # A record from before holds existed reads as not held.
    ledger.record_decided({"batch": "000009-sep.parquet", "md5": "c",
                           "decision": {"action": "none", "reason": "r", "triggers": []}})
    ledger.record_decided({"batch": "000010-oct.parquet", "md5": "d", "decision": held})
    ledger.record_retrained({"batches": ["000010-oct.parquet"], "md5s": ["d"], "window": [],
                             "promoted": None, "candidates": [], "compute_s": 1.0})
    assert ledger.history(None, "000011-nov.parquet", ["000010-oct.parquet",
                                                       "000011-nov.parquet"], 1,
                          True).held is None  # a retrain since answered it


def test_a_batch_checked_as_another_unit_is_named_while_the_window_holds_it(
        first_window: tuple[Params, Path, str]) -> None:
    """Sweep 58b (F1): a batch whose `read12` came x10 was said "another unit?" on one line of
    one run; the retrain's candidates refused on their figures, nothing kept it, and a later
    re-tune with it in the window lost its best family. The decided record keeps what the
    check found; status and later runs name the batch until it is withdrawn."""
    from stages.drift import closing_notes, window_notes
    from tests.test_init_projects import tool
    from tuneloop.decisions import window_recoded_note
    from tuneloop.registry_view import champion_status

    params, root, _ = first_window
    path = write_month(root / "data" / "incoming", 7)
    raw = pd.read_parquet(path)
    raw["distance"] = raw["distance"] / 10  # (x10 is past the suite's maximum)
    raw.to_parquet(path, index=False)
    ingest.execute(params, root)
    dataset.execute(params, root)
    check = drift.execute(params, root)
    july = "000007-flights-2013-07.parquet"
    said = check.decided[0]["statistics"]["recoded"]
    assert len(said) == 1 and said[0].startswith("column 'distance': another unit? the "
                                                 "batch's median "), said
    note = window_recoded_note(params, root)
    assert note is not None and note.startswith(
        "batch(es) in the training window whose check found columns that look renamed or "
        f"sent in another unit: {july} (column 'distance': another unit?"), note
    assert note.endswith("`tuneloop data withdraw BATCH --reason ...` if a batch was sent "
                         "otherwise")
    # A later run's closing lines (no check of its own) and status say it too.
    assert note in closing_notes(params, root)
    assert note in window_notes(params, root)  # what a run that only checks says (the flow)
    assert champion_status(params, root)["recoded_in_window"] == note
    # Said once where this run's own check says it of the newest batch.
    assert sum("'distance'" in n for n in closing_notes(params, root, check.report)) == 1
    tool("data", "withdraw", july, "--reason", "distance in another unit", cwd=root)
    assert window_recoded_note(params, root) is None


def test_a_retrain_asked_for_beside_a_held_batch_waits_for_the_next_one(
        tmp_path: Path) -> None:
    """The review (F1): a drifted batch asked for a refit and a batch after it, in the same
    run, was held; the refit then ran with the held batch as its holdout, judging on the
    very labels held and learning them. A held newest batch defers every pending retrain to
    the batch after it, which confirms the move or not."""
    ledger = Ledger(tmp_path / "decisions.jsonl")
    refit = {"action": "refit", "reason": "drift", "triggers": ["drift in features ..."]}
    held = {"action": "none", "reason": "held a batch: ...", "triggers": ["t"], "held": True}
    ledger.record_decided({"batch": "000007-jul.parquet", "md5": "a", "decision": refit})
    assert [e["batch"] for e in ledger.pending()] == ["000007-jul.parquet"]
    accepted = ["000007-jul.parquet", "000008-aug.parquet", "000009-sep.parquet"]
    assert ledger.history(None, "000008-aug.parquet", accepted, 1, True).pending_retrain
    ledger.record_decided({"batch": "000008-aug.parquet", "md5": "b", "decision": held})
    assert ledger.pending() == []
    ledger.record_decided({"batch": "000009-sep.parquet", "md5": "c",
                           "decision": {"action": "none", "reason": "no trigger",
                                        "triggers": []}})
    assert [e["batch"] for e in ledger.pending()] == ["000007-jul.parquet"]


def test_a_confirmed_move_is_not_held_again_before_a_promotion(tmp_path: Path) -> None:
    """Sweep 58v (F1): a rate shift held, then confirmed by the next batch, had its refit
    refused (on AUC, blind to the rate); the batch after was held again, serving the old rate
    a batch longer. Ledger.history's `confirmed` lasts until a retrain is promoted."""
    from tuneloop.policy import HELD_TRIGGER

    ledger = Ledger(tmp_path / "decisions.jsonl")
    names = ["000007-jul.parquet", "000008-aug.parquet", "000009-sep.parquet",
             "000010-oct.parquet"]
    held = {"action": "none", "reason": "held a batch: ...", "triggers": ["t"], "held": True}
    ledger.record_decided({"batch": names[0], "md5": "a", "decision": held})
    assert not ledger.history(None, names[1], names, 1, True).confirmed
    ledger.record_decided({"batch": names[1], "md5": "b", "decision": {
        "action": "refit", "reason": "r", "triggers": [f"{HELD_TRIGGER} {names[0]}: ..."]}})
    ledger.record_retrained({"batches": [names[1]], "md5s": ["b"], "window": names[:2],
                             "promoted": None, "candidates": [], "compute_s": 1.0})
    assert ledger.history(None, names[2], names, 1, True).confirmed
    ledger.record_decided({"batch": names[2], "md5": "c", "decision": {
        "action": "warm", "reason": "r", "triggers": ["t"]}})
    ledger.record_retrained({"batches": [names[2]], "md5s": ["c"], "window": names[:3],
                             "promoted": "4", "candidates": [], "compute_s": 1.0})
    assert not ledger.history(None, names[3], names, 1, True).confirmed


def test_a_hold_follows_time_order_withdrawals_and_lapses(tmp_path: Path) -> None:
    """The second review: a withdrawn held batch held back a retrain owed (F1); a late
    earlier month confirmed the hold of a later one, its retrain judging on the held labels
    (F2); a confirmation never lapsed (F3)."""
    from tuneloop.policy import HELD_TRIGGER

    ledger = Ledger(tmp_path / "decisions.jsonl")
    refit = {"action": "refit", "reason": "drift", "triggers": ["drift in features ..."]}
    held = {"action": "none", "reason": "held a batch: ...", "triggers": ["t"], "held": True}
    jan, feb, mar, apr = (f"00000{i}-{m}.parquet" for i, m in
                          ((1, "jan"), (3, "feb"), (2, "mar"), (4, "apr")))
    ledger.record_decided({"batch": jan, "md5": "a", "decision": refit})
    ledger.record_decided({"batch": mar, "md5": "b", "decision": held})
    in_time = [jan, feb, mar]  # February arrived late: before March in time
    assert ledger.history(None, feb, in_time, 1, True).held is None
    ledger.record_decided({"batch": feb, "md5": "c", "decision": refit})
    assert ledger.pending(in_time) == []  # March, the newest in time, is still held
    assert ledger.history(None, apr, [*in_time, apr], 1, True).held == mar
    # March withdrawn: nothing holds the owed retrains back.
    assert [e["batch"] for e in ledger.pending([jan, feb])] == [jan, feb]
    # A confirmation lapses at a batch whose labels held.
    ledger.record_decided({"batch": apr, "md5": "d", "labels_moved": True, "decision": {
        "action": "refit", "reason": "r", "triggers": [f"{HELD_TRIGGER} {mar}: ..."]}})
    ledger.record_retrained({"batches": [apr], "md5s": ["d"], "window": in_time + [apr],
                             "promoted": None, "candidates": [], "compute_s": 1.0})
    may, jun = "000005-may.parquet", "000006-jun.parquet"
    names = [*in_time, apr, may, jun]
    assert ledger.history(None, may, names, 1, True).confirmed
    ledger.record_decided({"batch": may, "md5": "e", "labels_moved": True,
                           "decision": {"action": "refit", "reason": "r", "triggers": ["t"]}})
    assert ledger.history(None, jun, names, 1, True).confirmed
    ledger.record_decided({"batch": jun, "md5": "f", "labels_moved": False,
                           "decision": {"action": "none", "reason": "r", "triggers": []}})
    assert not ledger.history(None, "000007-jul.parquet", [*names, "000007-jul.parquet"], 1,
                              True).confirmed


def test_a_forced_retrain_while_a_batch_is_held_closes_what_the_hold_kept_back(
        first_window: tuple[Params, Path, str]) -> None:
    """The second review (F6): `tuneloop run --force` while the newest batch was held (the
    hold words offer it) recorded its retrain with no batches, so the decisions it carried
    out stayed unnamed and its core-seconds counted in no period of the compute cap."""
    from stages.drift import Check

    params, root, _ = first_window
    ledger = Ledger(root / params.paths.decisions)
    ledger.record_decided({"batch": "000007-a.parquet", "md5": "a", "decision": {
        "action": "refit", "reason": "drift", "triggers": ["drift in features ..."]}})
    ledger.record_decided({"batch": "000008-b.parquet", "md5": "b", "decision": {
        "action": "none", "reason": "held a batch: ...", "triggers": ["t"], "held": True}})
    assert ledger.pending() == [] and len(ledger.pending(hold=False)) == 1
    event = drift.record_retrain(params, root, Check([], ledger.pending(), None), [], None, [],
                                 12.0, "cold")
    assert event["batches"] == ["000007-a.parquet"] and event["md5s"] == ["a"]
    assert ledger.pending(hold=False) == []
