"""Session 39's fixes: sweep 55a's carried F2 (a latency limit a loaded machine tripped) and
what sweeps 56a-c found."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_init_projects import tool
from tests.test_own_data_sweep51 import spin
from tuneloop.errors import StoreError, TuneloopError


def test_a_wait_for_a_core_is_not_latency() -> None:
    """Sweep 55a (F2): a 78-feature table's one-round models measured 433-574 ms by the clock
    under a load of 6-13 on 2 cores, the init-set limit (780) dropped the study's best trial
    and the run kept one that held out 6.8x worse. Latency is the scoring thread's CPU time
    now: a run that waits (for a core, for the thread gate) as long as it computes measures
    its computing only."""
    from tuneloop.constraints import prediction_latency_ms

    def predict(frame: pd.DataFrame) -> None:
        time.sleep(0.06)  # descheduled: another process holds the core
        spin(0.01)

    figure = prediction_latency_ms(predict, pd.DataFrame({"x": range(50)}), 3)
    assert 8.0 <= figure < 40.0, figure


def test_a_real_models_latency_is_its_scoring_threads_work() -> None:
    """The Measurer a trial uses, on a real LightGBM model of a wide table: the figure is the
    scoring thread's CPU time, so the feature preparation and the model's scoring both count
    (a model of 300 rounds costs more than one of 1 round, at the trial's thread count)."""
    from tuneloop import lgbm
    from tuneloop.config import ConstraintsConfig, DataConfig
    from tuneloop.constraints import LATENCY, Measurer
    from tuneloop.features import Schema
    from tuneloop.lgbm_threads import GATE

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(3000, 40)), columns=[f"x{i}" for i in range(40)])
    frame["y"] = (frame["x0"] + rng.normal(size=3000) > 0).astype(int)
    schema = Schema.fit(DataConfig(target="y", task="binary", positive_class=1), frame)
    measure = Measurer(ConstraintsConfig(max_model_bytes=None, max_latency_ms_per_1k=1e6),
                       schema, "auc", frame, repeats=3, min_rows=30)
    figures = {}
    for rounds in (1, 300):
        model = lgbm.fit(frame, schema, {"num_leaves": 63}, rounds, 0, 1)
        with GATE.training(1):
            figures[rounds] = measure("lightgbm", model, {}, 0)[LATENCY]
    assert 0 < figures[1] < figures[300], figures


REPO = Path(__file__).resolve().parents[1]


def test_a_feature_one_value_on_every_row_of_a_batch_is_said(tmp_path: Path) -> None:
    """Sweep 55b (F4): age 60 on every row of a year's 160 rows (a column a broken export
    filled) was taken as drift without a word. Said now where every accepted batch held
    several values; an honest batch, a column constant in the accepted batches too, and a
    flag unset on a small batch by chance are not said."""
    adult = pd.read_csv(REPO / "data" / "raw" / "adult" / "adult.csv.gz").head(3000)
    adult["source"] = "census"  # one value everywhere: no export broke it
    adult.iloc[:2000].to_csv(tmp_path / "adult.csv", index=False)
    tool("init", "p", "--data", str(tmp_path / "adult.csv"), "--target", "income",
         cwd=tmp_path)
    adult.iloc[2000:2400].to_csv(tmp_path / "honest.csv", index=False)
    done = tool("ingest", str(tmp_path / "honest.csv"), cwd=tmp_path / "p")
    assert "one value on every row" not in done.stdout, done.stdout
    broken = adult.iloc[2400:2600].assign(age=60)
    broken.to_csv(tmp_path / "broken.csv", index=False)
    done = tool("ingest", str(tmp_path / "broken.csv"), cwd=tmp_path / "p")
    assert "'age' holds 60 on all 200 rows (1% of the accepted rows hold it; no accepted " \
        "batch holds one value on more than 5% of its rows): a column a broken export " \
        "filled? kept" in done.stdout, done.stdout
    assert "'source'" not in done.stdout
    # A flag the accepted rows set on 5% of them, unset on all 90 rows of a batch: chance.
    flagged = adult.iloc[2600:].assign(
        source=np.where(np.arange(400) % 20 == 0, "survey", "census"))
    flagged.iloc[:310].to_csv(tmp_path / "flagged.csv", index=False)
    tool("ingest", str(tmp_path / "flagged.csv"), cwd=tmp_path / "p")
    flagged.iloc[310:].assign(source="census").to_csv(tmp_path / "few.csv", index=False)
    done = tool("ingest", str(tmp_path / "few.csv"), cwd=tmp_path / "p")
    assert "accepted" in done.stdout and "'source'" not in done.stdout, done.stdout


def test_a_label_of_a_batchs_period_is_not_said_as_a_broken_export(tmp_path: Path) -> None:
    """The review: init cuts a year into a few batches of several months each, and every later
    monthly batch's `month` holds one value by design; it was said as a column a broken export
    filled, every month. A column that labels its day (one value per day of data.time in the
    accepted batches) is not said; a measurement filled in is."""
    rng = np.random.default_rng(56)
    hours = pd.date_range("2022-01-01", "2023-03-31 20:00", freq="4h")
    frame = pd.DataFrame({"date": hours, "month": hours.month, "hour": hours.hour,
                          "temp": (10 + 10 * np.sin(hours.dayofyear / 58) +
                                   rng.normal(0, 2, len(hours))).round(1)})
    frame["demand"] = (100 + 2 * frame["temp"] + 3 * frame["hour"] +
                       rng.normal(0, 5, len(hours))).round(1)
    frame[frame["date"] < "2023-01-01"].to_csv(tmp_path / "hist.csv", index=False)
    tool("init", "p", "--data", str(tmp_path / "hist.csv"), "--target", "demand", "--time",
         "date", cwd=tmp_path)
    for month in (1, 2):
        part = frame[(frame["date"].dt.year == 2023) & (frame["date"].dt.month == month)]
        part.to_csv(tmp_path / f"m{month}.csv", index=False)
        done = tool("ingest", str(tmp_path / f"m{month}.csv"), cwd=tmp_path / "p")
        assert "one value" not in done.stdout and "'month' holds" not in done.stdout, done.stdout
    march = frame[(frame["date"].dt.year == 2023) & (frame["date"].dt.month == 3)]
    march.assign(temp=-40.0).to_csv(tmp_path / "m3.csv", index=False)
    done = tool("ingest", str(tmp_path / "m3.csv"), cwd=tmp_path / "p")
    assert "'temp' holds -40.0 on all 186 rows (0% of the accepted rows hold it" in \
        done.stdout and "'month' holds" not in done.stdout, done.stdout


def test_units_init_cannot_keep_whole_are_said(tmp_path: Path) -> None:
    """Sweep 55c (F8): a --group column 30% blank, or one unit written 'P03' and 'p03', was
    taken without a word: each blank and each spelling is dealt as a unit of its own, so one
    patient's visits could sit in training and the holdout alike."""
    from tuneloop.table.batching import unit_spelling_notes

    rng = np.random.default_rng(3)
    units = np.repeat([f"P{i:02d}" for i in range(40)], 6)
    frame = pd.DataFrame({"patient": units, "dose": rng.uniform(0, 10, 240),
                          "age": np.repeat(rng.integers(20, 80, 40), 6)})
    frame["status"] = np.where(frame["dose"] + rng.normal(0, 3, 240) > 5, "yes", "no")
    assert unit_spelling_notes(frame["patient"]) == []
    assert unit_spelling_notes(pd.Series(np.repeat(np.arange(40), 6), name="n")) == []
    frame.loc[frame.index[::3], "patient"] = None  # 80 of 240 rows
    frame.loc[[1, 4], "patient"] = "p00"
    path = tmp_path / "visits.csv"
    frame.to_csv(path, index=False)
    done = tool("init", "p", "--data", str(path), "--target", "status", "--group", "patient",
                cwd=tmp_path)
    assert "column 'patient' (--group) is blank on 80 of 240 rows (33%): each is dealt as a " \
        "unit of its own row" in done.stdout, done.stdout
    assert "column 'patient' (--group) holds 1 value(s) written more than one way, differing " \
        "in case or spaces only (e.g. 'p00' and 'P00'): each way is dealt as a unit of its " \
        "own, so if they are one unit" in done.stdout, done.stdout


@pytest.fixture(scope="module")
def holdout(ingested: Any) -> pd.DataFrame:
    from tests.test_promote import holdout_of

    return holdout_of(ingested.dataset)


@pytest.fixture(scope="module")
def oracles(holdout: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from tests.test_promote import FLIPS, oracle_model

    base = tmp_path_factory.mktemp("oracles")
    return [oracle_model(holdout, flip, base / f"flip{flip}") for flip in FLIPS[:2]]


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.test_promote import empty_store

    return empty_store(tmp_path_factory.getbasetemp())


def test_a_lost_store_is_a_stop_not_an_empty_registry(holdout: pd.DataFrame,
                                                      oracles: list[Path], tmp_path: Path,
                                                      store_template: Path) -> None:
    """Sweep 56c (F1): with .tuneloop/mlflow.db moved away, MLflow made a new empty store:
    `status` told the user to force-promote a version that no longer existed, and `run`
    said "no champion yet". A store missing beside the artifacts its runs logged is now one
    line naming it (exit 2), and no empty store is made; a project never logged to starts."""
    from tests.test_promote import promote, registry_project
    from tuneloop import preflight
    from tuneloop.tracking import setup
    from tuneloop_cli.app import app

    params = registry_project(tmp_path, holdout, store_template)
    assert promote(params, tmp_path, oracles[0], holdout).promoted
    db = tmp_path / ".tuneloop" / "mlflow.db"
    artifacts = (tmp_path / params.mlflow.artifact_root).resolve()
    # The champion's stored model gone, the store there (F5): status warns, loading names it.
    from tuneloop.champion import load_champion

    (model,) = (p.parent for p in artifacts.rglob("MLmodel"))
    model.rename(model.with_name("away"))
    said = CliRunner().invoke(app, ["status", "--root", str(tmp_path)])
    gone = f"{model}: the champion v1's stored model is missing (no MLmodel file): loading " \
        "it fails; restore the artifact root (mlflow.artifact_root)"
    assert said.exit_code == 0 and f"warning:    {gone}" in said.output, said.output
    with pytest.raises(TuneloopError, match=f"^{re.escape(gone)}$"):
        load_champion(params, tmp_path)
    model.with_name("away").rename(model)
    db.rename(db.with_name("mlflow.db.away"))
    for attempt in (lambda: preflight.check(params, tmp_path, remote=False),
                    lambda: setup(params.mlflow, tmp_path)):
        with pytest.raises(StoreError) as caught:
            attempt()
        assert str(caught.value).startswith(
            f"{db}: the MLflow store is missing, and its artifact root {artifacts} holds what "
            "runs logged to it; restore the store"), caught.value
    said = CliRunner().invoke(app, ["status", "--root", str(tmp_path)])
    assert said.exit_code == 2, said.output
    assert said.output.strip().splitlines() == [
        f"error: {db}: the MLflow store is missing, and its artifact root {artifacts} holds "
        "what runs logged to it; restore the store (or point mlflow.tracking_uri at it) "
        "before going on: a new empty store would read as no champion and no runs (to start "
        f"afresh, remove {artifacts} too, and move the promotion audit log, paths.audit_log, "
        "aside)"], said.output
    assert not db.exists()
    # Half the advice taken (the artifacts removed, the audit log kept): the audit log names a
    # version the new store lacks. status says so, and the promotion's recovery stops in one
    # line (a traceback from `run` before: the verification sweep).
    import shutil

    import mlflow

    from tuneloop.promotion import finish_interrupted, registry_files

    shutil.rmtree(artifacts)
    # In processes of their own: this one's MLflow still holds the moved store open.
    said = tool("status", cwd=tmp_path, process=True)
    audit_log = registry_files(params, tmp_path).audit_log
    unknown = f"{audit_log}: its last decision made {params.promote.model_name} v1 champion, " \
        "but the registry"
    assert f"warning:    {unknown}" in said.stderr, said.stderr
    view = f"sqlite:///{tmp_path}/./.tuneloop/mlflow.db"  # the file status made, afresh
    fresh_view = mlflow.MlflowClient(tracking_uri=view, registry_uri=view)
    with pytest.raises(StoreError, match=f"^{re.escape(unknown)}"):
        finish_interrupted(fresh_view, params.promote.model_name, audit_log)
    # The new store holding a v1 of another run: not crowned as the log's champion (the second
    # review: it was, a model no gate judged).
    other = fresh_view.create_run(fresh_view.create_experiment("other")).info.run_id
    fresh_view.create_registered_model(params.promote.model_name)
    fresh_view.create_model_version(params.promote.model_name, str(tmp_path), other)
    with pytest.raises(StoreError, match=f"^{re.escape(unknown)}"):
        finish_interrupted(fresh_view, params.promote.model_name, audit_log)
    assert not fresh_view.get_registered_model(params.promote.model_name).aliases
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    setup(params.mlflow, fresh)  # nothing logged yet: the store is made
    assert (fresh / ".tuneloop" / "mlflow.db").exists()


def test_a_read_only_store_is_one_line_for_rollback_and_promote_and_loads_unchanged(
        holdout: pd.DataFrame, oracles: list[Path], tmp_path: Path,
        store_template: Path) -> None:
    """Sweep 56c (F2, F3): on a read-only store `tuneloop rollback` and `promote --force`
    ended in a traceback and exit 1 (the README's definite "no"); loading a registered model
    wrote a registered_model_meta file into the stored model, so a read-only store could not
    be served from and every read changed the registry."""
    from tests.test_preflight import immutable
    from tests.test_promote import promote, registry_project
    from tuneloop.champion import load_champion
    from tuneloop_cli.app import app

    params = registry_project(tmp_path, holdout, store_template)
    assert promote(params, tmp_path, oracles[1], holdout).promoted
    assert promote(params, tmp_path, oracles[0], holdout).promoted
    import mlflow

    # What predict returns, readable from the registry (sweep 56c F9).
    tags = mlflow.MlflowClient().get_model_version(params.promote.model_name, "2").tags
    target, positive = params.data.target, params.data.positive_class
    assert tags["positive_class"] == str(positive)
    assert tags["prediction"] == f"P({target} = {positive!r}) per row"
    artifacts = (tmp_path / params.mlflow.artifact_root).resolve()
    before = sorted(p for p in artifacts.rglob("*"))
    loaded = load_champion(params, tmp_path)
    assert loaded is not None and loaded.version == "2"
    assert sorted(p for p in artifacts.rglob("*")) == before  # read, not written
    store = tmp_path / ".tuneloop"
    lock = store / "mlflow.db.lock"
    with immutable(lock), immutable(store):
        for args in (("rollback",), ("promote", "1", "--force", "--reason", "x")):
            said = CliRunner().invoke(app, [*args, "--root", str(tmp_path)])
            assert said.exit_code == 2, said.output
            assert said.output.strip().splitlines() == [
                f"error: {lock}: cannot open the registry lock (Operation not permitted): a "
                "registry decision writes beside the MLflow store"], said.output
    assert load_champion(params, tmp_path).version == "2"  # nothing moved


def test_a_model_scored_by_another_tuneloop_says_so(holdout: pd.DataFrame,
                                                    oracles: list[Path], tmp_path: Path,
                                                    store_template: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """Sweep 56c (F4): a process that imported tuneloop before loading a model (another
    version, or another project's model loaded first) scores with that copy's feature code,
    not the code logged with the model, without a word. Said now, naming the files."""
    import logging

    from tests.test_promote import promote, registry_project
    from tuneloop.champion import load_champion

    params = registry_project(tmp_path, holdout, store_template)
    assert promote(params, tmp_path, oracles[0], holdout).promoted
    with caplog.at_level(logging.WARNING, logger="tuneloop.serving"):
        load_champion(params, tmp_path)
    assert "differs from the code logged" not in caplog.text  # the same code
    (logged,) = (tmp_path / params.mlflow.artifact_root).rglob("code/tuneloop/features.py")
    logged.write_text(logged.read_text() + "\n# another version\n")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tuneloop.serving"):
        load_champion(params, tmp_path)
    assert "whose code differs from the code logged with the model in 1 file(s) " \
        "(features.py): it scores with" in caplog.text, caplog.text


def test_bands_of_a_count_heaped_on_fives_are_named_as_the_target_cut() -> None:
    """Sweep 56a (F2): sampleSelection Smoke's `cigs_intervals` is `cigs` (a day's cigarettes,
    in ones to 20, then in fives) cut at 5, 10, 20 and 50, blank for none; it carried 94% of
    the champion's gain (holdout R^2 0.918; 7.98 RMSE without it, 3.96 with), unnamed: its
    borders 20 | 25 and 50 | 55 were four steps of the median resolution (1) apart. The
    count's fives are a resolution of their own; honest groups far apart still are not."""
    from tuneloop.leakage import telltales

    rng = np.random.default_rng(56)
    n = 800
    # Smoke's own values: ones to 16, 18-20, then 25, 28, 30, 33, 35, 40, 50, 55, 60, 80 (a
    # step of 5 is 4 of the 29 steps between them: the verification sweep).
    heaped = [*range(1, 17), 18, 19, 20, 25, 28, 30, 33, 35, 40, 50, 55, 60, 80]
    cigs = np.where(rng.uniform(size=n) < 0.6, 0, rng.choice(heaped, n))
    bands = pd.cut(pd.Series(cigs).replace(0, np.nan), [0, 5, 10, 20, 50, 80],
                   labels=["[1,5]", "[6,10]", "[11,20]", "[21,50]", "[51,80]"]).astype("string")
    frame = pd.DataFrame({"cigs": cigs, "cigs_intervals": bands,
                          "educ": rng.integers(6, 18, n), "age": rng.integers(18, 80, n)})
    notes = telltales(frame, ["cigs_intervals", "educ", "age"], "cigs", "regression")
    assert any(note.startswith("column 'cigs_intervals' cuts the target into ranges no two of "
                               "its 5 levels share") for note in notes), notes


def test_survival_endpoints_named_as_oncology_names_them_are_follow_up_times() -> None:
    """Sweep 56a (F1): asaur hepatoCellular's `OS` (overall survival, months) ordered `Death`
    at AUC 0.886 and carried a third of the champion's gain, unnamed, where the same column
    called `time` was named. OS, RFS, PFS, DFS, EFS beside an event-named target are
    follow-up times; an `OS` beside a target named like no event is not said."""
    from tuneloop.leakage import telltales

    rng = np.random.default_rng(56)
    n = 227
    risk = rng.normal(0, 1, n)
    event = rng.exponential(40 * np.exp(-0.6 * risk))       # months to death
    censor = rng.uniform(20, 90, n)                          # the study's end for each row
    frame = pd.DataFrame({"risk": risk, "OS": np.minimum(event, censor).round(1),
                          "Death": (event <= censor).astype(int)})
    frame["RFS"] = (frame["OS"] * rng.uniform(0.4, 1.0, n)).round(1)
    notes = telltales(frame, ["risk", "OS", "RFS"], "Death", "binary")
    assert any("'OS', named like a follow-up time or a duration, orders the target at AUC"
               in note for note in notes), notes
    assert any("'RFS', named like a follow-up time" in note for note in notes), notes
    assert not telltales(frame.rename(columns={"Death": "gender"}), ["OS"], "gender", "binary")


def test_a_few_levels_recoded_on_half_a_batch_are_said_as_renamed() -> None:
    """Sweep 56b (F2): rotterdam's `size` classes '20-50' and '>50' sent as '21-50' and '50+'
    (52% of a year's rows, '<=20' kept on 48%) passed without a word: most of the batch in
    levels never seen read as a column that counts time. A column of a few levels is no
    clock; quarters turning over still are."""
    from tuneloop.monitor import renamed_levels

    said = renamed_levels(pd.Series(["<=20"] * 45 + ["20-50"] * 40 + [">50"] * 15),
                          pd.Series(["<=20"] * 48 + ["21-50"] * 35 + ["50+"] * 17))
    assert said.startswith("renamed? '20-50' (40% of the reference, 0% here) for '21-50' "
                           "(new, 35% here); '>50' (15% of the reference"), said
    quarters = pd.Series([f"20{y}Q{q}" for y in (19, 20) for q in range(1, 5)
                          for _ in range(10)])
    assert renamed_levels(quarters, pd.Series(["2021Q1"] * 30)) == ""
    waves = pd.Series([f"wave {w}" for w in "QRSTUV" for _ in range(10)])
    assert renamed_levels(waves, pd.Series(["wave A"] * 25 + ["wave V"] * 5)) == ""
    # A period's label of a few levels, new levels differing from old ones in digits alone, is
    # not said either; a few levels all but replaced by one never seen still are (the reviews).
    for before, after in ((["Q1 2023", "Q2 2023", "Q3 2023", "Q4 2023"], ["Q1 2024"]),
                          (["Q3 2023", "Q4 2023"], ["Q1 2024"]),
                          (["wave 7", "wave 8", "wave 9"], ["wave 10"])):
        assert renamed_levels(pd.Series(before * 30), pd.Series(after * 40)) == "", before
    platforms = renamed_levels(pd.Series(["ios"] * 40 + ["android"] * 40 + ["web"] * 20),
                               pd.Series(["smart_tv"] * 45 + ["ios"] * 15))
    assert platforms == "new level(s) 'smart_tv' (75% here)", platforms


def test_a_code_of_a_column_excluded_as_levels_that_do_not_recur_is_said(
        tmp_path: Path) -> None:
    """Sweep 56b (F5): stevedata wvs_immig's `country` was excluded (its newest survey wave's
    countries mostly new), and `s003`, its numeric code, one code per country, stayed a
    feature carrying the same thing. Said now, with --exclude; not excluded, as a launch price
    per product would be wrongly."""
    rng = np.random.default_rng(5)
    rows = []
    for year in range(2000, 2010):
        for c in range(4):
            code = year * 10 + c  # the countries each wave surveys are its own
            rows += [{"year": year, "country": f"land{code}", "s003": code,
                      "age": int(a), "answer": "yes" if a + rng.normal(0, 15) > 45 else "no"}
                     for a in rng.integers(18, 80, 40)]
    frame = pd.DataFrame(rows)
    frame["wealth"] = rng.normal(0, 1, len(frame))  # an honest number, no code of anything
    path = tmp_path / "waves.csv"
    frame.to_csv(path, index=False)
    done = tool("init", "p", "--data", str(path), "--target", "answer", "--time", "year",
                cwd=tmp_path)
    assert "column 'country': 100% of the newest batch's non-blank values are levels no " \
        "earlier batch has" in done.stdout, done.stdout
    assert "column 's003' takes one value per 'country' value, and the other way round: if " \
        "it is a code for it (a country's number), it teaches no more than the excluded " \
        "levels: --exclude s003" in done.stdout, done.stdout
    assert "'wealth' takes one" not in done.stdout and "'age' takes one" not in done.stdout
    import yaml

    exclude = yaml.safe_load((tmp_path / "p" / "params.yaml").read_text())["data"]["exclude"]
    # Said, not excluded: a launch price per product is such a column too (the review).
    assert "country" in exclude and "s003" not in exclude


def test_a_class_of_three_rows_lands_in_the_holdout_validation_and_training() -> None:
    """Sweep 56a (F4): vcd Baseball's class '3S' (3 rows), dealt on from where 12 rarer
    classes stopped, had all three rows in training batches, none in validation or the
    holdout, where the README says a 3-row class lands in each. Every class too small for
    every batch now has a row in the holdout, one in validation and the rest in training."""
    from tuneloop.table.batching import deal_by_class

    sizes = {"a": 1, "b": 2, "c": 2, **{f"r{i}": 3 for i in range(10)}, "d": 4, "e": 6,
             "big": 200, "mid": 90}
    target = pd.Series(np.repeat(list(sizes), list(sizes.values())))
    for n in (5, 8):
        parts = deal_by_class(target, n, seed=3)
        where = {b: set(target.iloc[p]) for b, p in enumerate(parts)}
        for label, count in sizes.items():
            if 3 <= count < n:
                assert label in where[n - 1] and label in where[n - 2], (n, label)
                assert any(label in where[b] for b in range(n - 2)), (n, label)
            if count >= n:
                assert all(label in where[b] for b in range(n)), (n, label)
        assert sorted(np.concatenate(parts)) == list(range(len(target)))
    # ... and the batches stay even: 12 classes of 3 rows beside 350 (the second review: 74 and
    # 82 rows where 77 and 78 were dealt before).
    small = {**{f"r{i}": 3 for i in range(12)}, "big": 200, "mid": 150}
    parts = deal_by_class(pd.Series(np.repeat(list(small), list(small.values()))), 5, seed=3)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1, [len(p) for p in parts]


def test_an_amount_in_another_unit_is_said_through_a_trend_and_a_skew() -> None:
    """The verification sweep: gdp x100 (SumHes) stayed unsaid, its honest batch already 1.4x
    the reference window's median (log10 off a whole number by 0.15); a progesterone level
    x100 with a quarter of its rows 0 (rotterdam `pgr`) moved KS to 0.61 only. The newest
    reference batch is compared, quartile by quartile, above zero."""
    from tuneloop.monitor import ks_effect, unit_changed

    rng = np.random.default_rng(56)
    newest = rng.lognormal(7.9, 0.6, 300)                    # the window's last year
    honest = rng.lognormal(7.9, 0.6, 250) * 1.1              # the next, a little richer
    assert unit_changed(newest, honest, ks_effect(newest, honest)) == ""
    cents = honest * 100
    said = unit_changed(newest, cents, ks_effect(newest, cents))
    assert said.startswith("another unit? the batch's median ") and \
        "its quartiles alike (about x100: cents for dollars" in said, said
    level = np.where(rng.uniform(size=280) < 0.27, 0.0, rng.lognormal(4.5, 1.4, 280))
    later = np.where(rng.uniform(size=250) < 0.29, 0.0, rng.lognormal(4.5, 1.4, 250))
    assert unit_changed(level, later, ks_effect(level, later)) == ""
    assert "(about x100" in unit_changed(level, later * 100, ks_effect(level, later * 100))


def test_a_common_value_is_common_whatever_its_dtype_and_among_many_values(
        tmp_path: Path) -> None:
    """The second review: `doors` 4 on 55% of the accepted rows, a batch of 4.0 (a blank made
    it float) read "0% of the accepted rows hold it"; and so did `income` 0 on 30% of a stored
    batch of over 1,000 values. Neither is said now; a fill value never seen still is."""
    from types import SimpleNamespace

    from tuneloop.accepted_notes import constant_note

    rng = np.random.default_rng(0)
    suite = SimpleNamespace(target="y", time=None, id=None,
                            columns={"doors": 0, "income": 0, "y": 0})
    stored = pd.DataFrame({"doors": rng.choice([2, 4], 3000, p=[0.45, 0.55]).astype("int64"),
                           "income": np.where(rng.random(3000) < 0.3, 0.0,
                                              rng.lognormal(10, 1, 3000)),
                           "y": rng.random(3000)})
    stored.to_parquet(tmp_path / "b1.parquet")
    files = [tmp_path / "b1.parquet"]
    batch = pd.DataFrame({"doors": [4.0] * 39 + [np.nan], "income": [0.0] * 40,
                          "y": rng.random(40)})
    assert constant_note(batch, suite, files) is None
    said = constant_note(batch.assign(doors=7.0), suite, files)
    assert said is not None and said.startswith("'doors' holds 7.0 on all 40 rows (0% of "), said
