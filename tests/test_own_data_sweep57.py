"""Findings of session 40's sweeps (57a one-shot, 57b continuous training, 57c table shapes)
and the carried ones taken this session, each with a test that fails on the code before."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from tuneloop.features import BATCH_COLUMN, Schema


def _rates(rng: np.random.Generator, spec: list[tuple[str, int, float]]
           ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Labels, each row's batch index and the batch names."""
    y, codes = [], []
    for i, (_, rows, rate) in enumerate(spec):
        y.extend((rng.random(rows) < rate).astype(float))
        codes.extend([i] * rows)
    return np.asarray(y), np.asarray(codes), [name for name, _, _ in spec]


def test_the_batch_whose_positive_rate_departs_is_named() -> None:
    """Sweep 56b (F4, carried): a flipped-label batch (positive rate 0.79 where the others held
    0.41-0.49) made the next refit's probabilities refused, and the refusal said "check the
    batches the decision ledger names", which named it only as a trigger. The batch whose rate
    lies outside the others' range, beyond chance and beyond their own spread, is named with
    its figures; batches inside the range, outside it by chance, or the end of a steady trend
    are not."""
    from tuneloop.gate import departing_batch

    rng = np.random.default_rng(3)
    said = departing_batch(*_rates(rng, [("b1.csv", 500, 0.45), ("b2.csv", 500, 0.41),
                                         ("b3.csv", 500, 0.49), ("b4.csv", 500, 0.79),
                                         ("b5.csv", 500, 0.46)]))
    assert said.startswith("the window's batch b4.csv has a positive rate of 0.7"), said
    assert "(500 rows)" in said and "of its other 4 batches: check it first" in said, said
    assert departing_batch(*_rates(rng, [(f"m{i}.csv", 400, 0.3) for i in range(6)])) == ""
    # A small batch just outside the others' range by chance is not named.
    assert departing_batch(*_rates(rng, [("a.csv", 2000, 0.30), ("b.csv", 2000, 0.32),
                                         ("c.csv", 40, 0.40)])) == ""
    # Nor a large honest batch beside two small ones (the review: named in 87 of 200 seeds
    # when only its own rows' chance was counted) ...
    for seed in range(40):
        spec = [("big.csv", 20000, 0.3), ("s1.csv", 60, 0.3), ("s2.csv", 60, 0.3)]
        assert departing_batch(*_rates(np.random.default_rng(seed), spec)) == "", seed
    # ... nor the oldest batch of a steady trend.
    trend = [(f"t{i}.csv", 20000, 0.30 + 0.03 * i) for i in range(5)]
    assert departing_batch(*_rates(rng, trend)) == ""
    # Two batches make no range of "others".
    assert departing_batch(*_rates(rng, [("a.csv", 500, 0.1), ("b.csv", 500, 0.9)])) == ""


def test_a_refit_refused_for_its_probabilities_names_the_batch() -> None:
    """The refusal of a refit's probabilities (_worse_calibrated) carries the window's note;
    the note is read only then (a verdict that promotes never reads the training window)."""
    from tuneloop.gate import GateRules, decide

    rng = np.random.default_rng(8)
    n = 600
    logit = rng.normal(-1.2, 1.4, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    champion = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.3, n))))
    spoilt = 1 / (1 + np.exp(-(logit + 2.0 + rng.normal(0, 0.3, n))))
    honest = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.3, n))))
    rules = GateRules(metric="auc", margin=0.0, samples=500, confidence=0.95, seed=0)
    calls: list[int] = []

    def note() -> str:
        calls.append(1)
        return "the window's batch 1981.csv has a positive rate of 0.790 (500 rows)"

    refused = decide(rules, y, spoilt, champion, {}, tolerance=0.002, champion_order=0.6,
                     window_note=note)
    assert not refused.promote and "kept?): the window's batch 1981.csv has a positive " \
        "rate of 0.790 (500 rows); check the batches the decision ledger names" \
        in refused.reason, refused.reason
    calls.clear()
    assert decide(rules, y, honest, champion, {}, tolerance=0.002, champion_order=0.6,
                  window_note=note).promote
    assert calls == []


def test_the_promote_stage_reads_the_refits_window_by_file(tmp_path: Path) -> None:
    """stages.promote.window_departure: the scored fit's rows (training, and validation where
    evaluate.refit_on_valid), their batch numbers mapped to the window's files; nothing for
    other tasks, or where the split's numbers are not the window's places (a batch accepted
    or withdrawn since the split: the review found the wrong file named)."""
    from stages.promote import window_departure

    rng = np.random.default_rng(5)
    splits = tmp_path / "splits"
    splits.mkdir()
    y, codes, _ = _rates(rng, [("0", 300, 0.3), ("1", 300, 0.33), ("2", 300, 0.8),
                               ("3", 300, 0.31), ("4", 300, 0.3)])
    frame = pd.DataFrame({"label": np.where(y == 1, "yes", "no"), BATCH_COLUMN: codes})
    for part, numbers in (("train", [0, 1, 2]), ("valid", [3]), ("holdout", [4])):
        frame[frame[BATCH_COLUMN].isin(numbers)].to_parquet(splits / f"{part}.parquet")
    params = SimpleNamespace(paths=SimpleNamespace(splits_dir="splits"),
                             evaluate=SimpleNamespace(refit_on_valid=True))
    window = ["2019.csv", "2020.csv", "2021.csv", "2022.csv", "2023.csv"]
    (splits / "holdout_batches.json").write_text('["2023.csv"]')
    binary = Schema(target="label", task="binary", classes=["no", "yes"], numeric=[],
                    categorical=[], datetime=[], levels={})
    said = window_departure(params, tmp_path, window, binary)  # type: ignore[arg-type]
    assert said.startswith("the window's batch 2021.csv has a positive rate of 0.8"), said
    assert "of its other 3 batches" in said, said
    for moved in (window[1:] + ["2024.csv"], window[:1] + window[2:], window[:2]):
        assert window_departure(params, tmp_path, moved, binary) == ""  # type: ignore[arg-type]
    several = Schema(target="label", task="multiclass", classes=["no", "yes"], numeric=[],
                     categorical=[], datetime=[], levels={})
    assert window_departure(params, tmp_path, window, several) == ""  # type: ignore[arg-type]


def test_a_nullable_integer_column_with_a_blank_is_read_as_numbers(tmp_path: Path) -> None:
    """Sweep 57a (F1, high): a Parquet column of pandas' nullable Int64 with a blank (what
    DataFrame.convert_dtypes leaves) made init and ingest end in a traceback ("cannot convert
    NA to integer"), ingest with exit 1, the code of a rejected batch, though nothing was
    quarantined. It is stored as float64 with the blank missing, as a CSV's blank is."""
    from tests.test_init_projects import tool

    rng = np.random.default_rng(11)
    n = 400
    frame = pd.DataFrame({"kids": pd.array(rng.integers(0, 4, n), dtype="Int64"),
                          "x": rng.normal(0, 1, n)})
    frame.loc[::17, "kids"] = pd.NA
    frame["y"] = np.where(frame["x"] + rng.normal(0, 1, n) > 0, "yes", "no")
    frame.iloc[:300].to_parquet(tmp_path / "first.parquet", index=False)
    frame.iloc[300:].to_parquet(tmp_path / "later.parquet", index=False)
    tool("init", "p", "--data", str(tmp_path / "first.parquet"), "--target", "y",
         "--batches", "3", cwd=tmp_path)
    stored = pd.concat(pd.read_parquet(p) for p in
                       sorted((tmp_path / "p" / "data" / "batches").glob("*.parquet")))
    assert stored["kids"].dtype == "float64" and stored["kids"].isna().sum() == 18
    done = tool("ingest", str(tmp_path / "later.parquet"), cwd=tmp_path / "p", check=False)
    assert done.returncode == 0 and "accepted, 100 rows" in done.stdout, \
        done.stdout + done.stderr
    newest = sorted((tmp_path / "p" / "data" / "batches").glob("*later.parquet"))
    kids = pd.read_parquet(newest[0])["kids"]
    assert kids.isna().sum() == 6 and kids.dtype == "float64"


def test_the_reports_last_holdout_says_its_metric_and_a_refusal() -> None:
    """Sweep 57a (F4): a first model the gate refused read "champion - / last run's holdout
    1.148 (v1)" in the report's overview, with no metric and no word of the refusal (only
    under Operations)."""
    from tuneloop.report import overview

    runs = [{"holdout": 1.148, "version": "1", "gate_metric": "logloss", "cost": 0.0,
             "promoted": False}]
    page = overview(runs, [], "m")
    assert "logloss 1.148 (v1, not promoted)" in page, page
    runs[0]["promoted"] = True
    assert "logloss 1.148 (v1)" in overview(runs, [], "m")
    # A run that registered no version (an experiment, a promote that stopped): no "vNone".
    runs[0].update(version=None, promoted=None)
    page = overview(runs, [], "m")
    assert "logloss 1.148 (not promoted)" in page and "vNone" not in page, page


def test_a_time_column_of_one_value_is_said_to_order_nothing(tmp_path: Path) -> None:
    """Sweep 57a (F2): `--time year` on a survey of one year printed "5 batches cut by
    'year'", then four times "batches N and N+1 share the time 2000-01-01": the batches were
    cut in a random order, said as a time cut. One line says so now."""
    from tests.test_init_projects import tool

    rng = np.random.default_rng(2)
    n = 600
    frame = pd.DataFrame({"year": 2000, "x": rng.normal(0, 1, n)})
    frame["vote"] = np.where(frame["x"] + rng.normal(0, 1, n) > 0, 1, 0)
    frame.to_csv(tmp_path / "vote.csv", index=False)
    done = tool("init", "p", "--data", str(tmp_path / "vote.csv"), "--target", "vote",
                "--time", "year", cwd=tmp_path)
    assert "share the time" not in done.stdout, done.stdout
    assert "batches cut in a random order (seed 42): 'year' (--time) holds one value (2000-01-01)" \
        in done.stdout, done.stdout


def test_a_log_of_the_target_written_zero_at_its_floor_is_named() -> None:
    """Sweep 57c (F1, high): jtrain2's `lre78` is log(re78), written 0 where re78 is 0 (31% of
    rows). Earnings under 1 have logs below those zeros, so its rho over all rows was 0.966,
    under the bar, and with init's named `unem78` excluded as advised, the run served R^2
    0.98 without a word. Over the rows off the target's floor it orders it exactly: named.
    An honest feature strong off the floor (rho 0.9) is not."""
    from tuneloop.leakage import telltales

    rng = np.random.default_rng(4)
    n = 445
    earned = np.where(rng.random(n) < 0.31, 0.0, rng.lognormal(1.5, 1.2, n))
    frame = pd.DataFrame({"re78": earned, "age": rng.integers(18, 60, n)})
    frame["lre78"] = np.where(earned > 0, np.log(np.where(earned > 0, earned, 1.0)), 0.0)
    frame["re75"] = np.where(earned > 0, earned * rng.lognormal(0, 0.35, n),
                             rng.lognormal(1.0, 1.0, n))
    notes = telltales(frame, ["age", "lre78", "re75"], "re78", "regression")
    named = [line for line in notes if "'lre78'" in line]
    off = int((earned > 0).sum())
    assert named and "over the rows where the target is not 0.0 (Spearman's rho 1.000 over " \
        f"{off} rows; the target is 0.0 on the others)" in named[0], notes
    assert not [line for line in notes if "'re75'" in line or "'age'" in line], notes
    # A floor of no round value is said as it is, its rows counted off it (the review: 1234.567
    # read back from "1234.57" counted every row).
    floor = 1234.567
    frame["cost"] = np.where(earned > 0, floor + earned, floor)
    frame["lcost"] = np.where(earned > 0, np.log(np.where(earned > 0, earned, 1.0)), 0.0)
    notes = telltales(frame, ["lcost"], "cost", "regression")
    assert len(notes) == 1 and "not 1234.567 (Spearman's rho 1.000 over " \
        f"{off} rows" in notes[0], notes
    # Few target values off the mode (a code of three values): any coarse column aligns with
    # them, so the rule does not look (the review: medpar's `type` beside `type3`).
    from tuneloop.leakage import _off_the_mode

    grade = pd.Series(np.tile([0.0, 0.0, 1.0, 2.0, 3.0], 90))
    coarse = pd.Series(np.where(grade > 0, grade * 10, rng.uniform(0, 40, len(grade))))
    assert _off_the_mode(pd.Series(frame["lre78"]), pd.Series(earned)) is not None
    assert _off_the_mode(coarse, grade) is None


def test_a_holdout_of_many_tiny_classes_is_said_among_the_closing_lines(tmp_path: Path) -> None:
    """Sweep 57c (F2): a 226-row holdout of 30 classes, 15 of 3 rows or fewer, reported
    auc_ovr 0.966 and f1_macro 0.857 without a word that each one-row class counts as much
    as a class of 40. One closing line says so; a holdout of large classes has none."""
    from stages.evaluate import small_classes_note

    splits = tmp_path / "splits"
    splits.mkdir()
    labels = [f"maker{i}" for i in range(15) for _ in range(12)] + \
        [f"rare{i}" for i in range(15) for _ in range(1 + i % 3)]
    pd.DataFrame({"mfr": labels}).to_parquet(splits / "holdout.parquet")
    params = SimpleNamespace(data=SimpleNamespace(task="multiclass", target="mfr"),
                             paths=SimpleNamespace(splits_dir="splits"))
    said = small_classes_note(params, tmp_path)  # type: ignore[arg-type]
    assert said is not None and said.startswith(
        "the holdout holds 30 classes, 15 of them with under 5 rows (5 with one): per-class "
        "averages (auc_ovr, f1_macro) weigh each as much as a class of 12 rows"), said
    pd.DataFrame({"mfr": [f"m{i}" for i in range(6) for _ in range(40)] + ["odd"]}
                 ).to_parquet(splits / "holdout.parquet")
    assert small_classes_note(params, tmp_path) is None  # type: ignore[arg-type]
    params.data.task = "binary"
    assert small_classes_note(params, tmp_path) is None  # type: ignore[arg-type]


def test_a_level_that_looks_renamed_is_among_a_retrains_closing_lines(tmp_path: Path) -> None:
    """Sweep 57b (F4): `Control` sent as `Ctrl` on 45% of a batch was said on one INFO line of
    the check; the retrain's closing lines said only "drift in features carrying 7%". The
    newest batch this run checked, still in the window, has its renamed levels, new levels
    and unit changes said there now; not a report of an earlier run, nor a batch withdrawn
    since (the second review: a forced run after the withdrawal said it again)."""
    from stages.drift import recoded_note
    from tests.conftest import REPO
    from tuneloop.config import load_params

    params = load_params(REPO / "params.yaml")
    batches = tmp_path / params.data.batches
    batches.mkdir(parents=True)
    for i, name in enumerate(("000001-rat_1984.parquet", "000002-rat_1985.parquet")):
        pd.DataFrame({params.data.time: pd.to_datetime([f"198{4 + i}-06-01"], utc=True)}
                     ).to_parquet(batches / name)
    features = [{"name": "plot_type", "detail": "renamed? 'Control' (45% of the reference, "
                 "0% here) for 'Ctrl'"}, {"name": "weight", "detail": ""}]
    report = {"batch": "000002-rat_1985.parquet", "features": features}
    assert recoded_note(params, tmp_path, None) is None  # nothing checked by this run
    said = recoded_note(params, tmp_path, report)
    assert said is not None and said.startswith(
        "the newest batch checked, 000002-rat_1985.parquet: column 'plot_type': renamed? "
        "'Control'"), said
    assert "tuneloop data withdraw 000002-rat_1985.parquet --reason" in said and \
        "weight" not in said, said
    assert recoded_note(params, tmp_path, {**report, "features": features[1:]}) is None
    (batches / "000002-rat_1985.parquet").unlink()  # withdrawn: out of the window
    assert recoded_note(params, tmp_path, report) is None


def test_a_champion_another_family_beat_at_its_evaluation_is_re_tuned_not_refit() -> None:
    """Sweep 57b (F3): a linear champion, chosen on a window where a column was blank in
    training, was refit at every later batch, each evaluation saying "the lightgbm family's
    best trial held out at rmse 0.946, better than the choice's 1.94": refits keep the family,
    and each passed the gate, so auto served 2-2.5 RMSE where LightGBM gave 0.76-1.11 for
    good. The finding is kept on the version (family_better_tag) and the policy re-tunes
    (warm) where it would refit; without it, a refit as before."""
    from stages.promote import family_better_tag
    from tests.test_policy import quiet
    from tuneloop.config import PolicyConfig
    from tuneloop.policy import REFIT, WARM, History, decide
    from tuneloop.promotion import FAMILY_BETTER

    tables = {"other_families": [
        {"family": "torch_mlp", "better": True, "metric": "rmse", "holdout": 1.5,
         "chosen_holdout": 1.9395, "chosen_mode": "refit"},
        {"family": "lightgbm", "better": True, "metric": "rmse", "holdout": 0.94598,
         "chosen_holdout": 1.9395, "chosen_mode": "refit"}]}
    tag = family_better_tag(tables)  # the family that held out best, not the first
    assert tag == {FAMILY_BETTER: "the lightgbm family's best trial held out at rmse 0.94598, "
                                  "better than the choice's 1.9395"}
    assert family_better_tag({"other_families": [{**tables["other_families"][1],
                                                  "better": False}]}) == {}
    # A re-tune weighed the families on this window already: untagged, so a re-tune that
    # chose its family again is not re-tuned at every batch (the second review).
    assert family_better_tag({"other_families": [{**t, "chosen_mode": "warm"} for t in
                                                 tables["other_families"]]}) == {}
    assert family_better_tag(None) == {}
    cfg = PolicyConfig()
    evidence = quiet(drift_importance=0.3, drifted_features=("temp",))
    assert decide(cfg, evidence, History()).action == REFIT
    warm = decide(cfg, evidence, History(family_better=tag[FAMILY_BETTER]))
    assert warm.action == WARM and warm.reason.endswith(
        "at the champion's evaluation the lightgbm family's best trial held out at rmse "
        "0.94598, better than the choice's 1.9395: a warm re-tune (a refit keeps its "
        "family)"), warm.reason


def test_one_panel_unit_written_three_ways_is_one_note(tmp_path: Path) -> None:
    """Sweep 57b (F5): wbd_example's `country`, `iso2c` and `iso3c` were three "a panel's
    unit?" notes, none saying they were one unit written three ways. One note names them,
    with one --exclude."""
    from tests.test_init_projects import tool

    rng = np.random.default_rng(6)
    units = [f"Country{i:02d}" for i in range(30)]
    rows = [(u, f"C{i:02d}", f"CY{i:02d}", year) for i, u in enumerate(units)
            for year in range(2000, 2010)]
    frame = pd.DataFrame(rows, columns=["country", "iso2c", "iso3c", "year"])
    frame["gdp"] = rng.lognormal(8, 1, len(frame))
    frame["lifeexp"] = 60 + 2 * np.log(frame["gdp"]) + rng.normal(0, 1, len(frame))
    frame.to_csv(tmp_path / "wb.csv", index=False)
    done = tool("init", "p", "--data", str(tmp_path / "wb.csv"), "--target", "lifeexp",
                "--time", "year", cwd=tmp_path)
    assert "columns 'country', 'iso2c', 'iso3c' take each of their values at most once per " \
        "time and one another's values one for one: one panel unit written 3 ways" \
        in done.stdout, done.stdout
    assert "--exclude country,iso2c,iso3c unless" in done.stdout
    assert "column 'iso2c' takes each of its" not in done.stdout, done.stdout
