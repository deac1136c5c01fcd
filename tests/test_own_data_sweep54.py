"""Findings of the own-data sweeps of session 37 (54a, 54b) and the carried ones it fixed;
each test fails on the code before its fix."""

from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np
import pandas as pd

from tests.test_init_projects import tool


def test_class_codes_that_parts_give_exactly_are_named() -> None:
    """Sweep 54a (F2): anes_prochoice's `choice` (codes 1-4) is `addchoice`, the sum of eight
    answers, less the other seven; the check of parts that give a target was for regressions
    only, and a model was promoted at accuracy 0.95 where the rest gives 0.72. Codes are
    named where parts give them exactly; an honest ordinal target is not."""
    from tuneloop.leakage import combined

    rng = np.random.default_rng(3)
    n = 900
    items = {f"q{i}": rng.integers(1, 5, n) for i in range(1, 9)}
    frame = pd.DataFrame(items)
    frame["addchoice"] = frame.sum(axis=1)
    frame["age"] = rng.integers(18, 90, n)
    frame = frame.rename(columns={"q1": "choice"})
    features = [c for c in frame.columns if c != "choice"]
    lines = combined(frame, features, "choice", "multiclass")
    assert len(lines) == 1 and "together give the target almost exactly" in lines[0], lines
    assert "'addchoice'" in lines[0] and "'age'" not in lines[0], lines
    # An ordinal target the items only follow: nothing said ("nearly" means nothing of codes).
    honest = frame.drop(columns=["addchoice"]).copy()
    honest["choice"] = np.clip(np.round((honest["q2"] + honest["q3"]) / 2
                                        + rng.normal(0, 0.2, n)), 1, 4).astype(int)
    assert combined(honest, [c for c in honest.columns if c != "choice"], "choice",
                    "multiclass") == []
    # Class names are no codes.
    named = frame.assign(choice=frame["choice"].map({1: "a", 2: "b", 3: "c", 4: "d"}))
    assert combined(named, features, "choice", "multiclass") == []


def test_a_suggested_option_quotes_a_column_name_a_shell_would_split(tmp_path: Path) -> None:
    """Sweep 54a (F6): init suggested "`--time Date Egg` cuts the batches in time"; pasted,
    the shell gave two arguments ("Got unexpected extra argument(s) (Egg)")."""
    from tuneloop.features import shell_word

    assert shell_word("Date Egg") == "'Date Egg'" and shell_word("year") == "year"
    rng = np.random.default_rng(4)
    n = 400
    frame = pd.DataFrame({"Date Egg": pd.date_range("2007-11-01", periods=n, freq="D")
                          .strftime("%Y-%m-%d"),
                          "Body Mass": rng.normal(4000, 500, n),
                          "Flipper": rng.normal(200, 10, n)})
    frame["Sex"] = np.where(frame["Body Mass"] + rng.normal(0, 300, n) > 4000, "M", "F")
    frame.to_csv(tmp_path / "penguins.csv", index=False)
    done = tool("init", "p", "--data", str(tmp_path / "penguins.csv"), "--target", "Sex",
                cwd=tmp_path)
    said = done.stdout + done.stderr
    assert "`--time 'Date Egg'`" in said, said
    # ... and what it suggests runs as written.
    suggested = said.split("`--time ")[1].split("`")[0]
    again = tool("init", "q", "--data", str(tmp_path / "penguins.csv"), "--target", "Sex",
                 "--time", *shlex.split(suggested), cwd=tmp_path)
    assert again.returncode == 0, again.stderr


def test_no_feature_left_names_both_columns_init_excluded(tmp_path: Path) -> None:
    """Sweep 54a (F7): "init excluded the rest: column 'product' ... (and 1 more)" hid the
    table's only other column, the one the user would keep."""
    rng = np.random.default_rng(5)
    n = 300
    frame = pd.DataFrame({"product": [f"P{i:05d}" for i in range(n)],
                          "review": [f"text {i} " + "x" * int(rng.integers(1, 9))
                                     for i in range(n)],
                          "score": rng.integers(1, 6, n)})
    frame.to_csv(tmp_path / "foods.csv", index=False)
    done = tool("init", "p", "--data", str(tmp_path / "foods.csv"), "--target", "score",
                cwd=tmp_path, check=False)
    assert done.returncode == 2, done.stdout
    assert "'product'" in done.stderr and "'review'" in done.stderr, done.stderr
    assert "more)" not in done.stderr, done.stderr


def test_a_first_model_below_the_holdouts_own_mean_says_so() -> None:
    """Sweep 54a (F5): S&P 500 closes cut in time, 82% of the holdout above every training
    value: the first model (R^2 -1.37) was promoted as "beats its own average prediction's
    684" and nothing more. It still serves (a project without a champion serves nothing),
    and its reason says the holdout's mean predicts better and where the labels lie."""
    from tuneloop.gate import GateRules, decide

    rules = GateRules(metric="rmse", margin=0.0, samples=300, confidence=0.95, seed=0)
    rng = np.random.default_rng(6)
    n = 400
    trend = np.linspace(1500, 2800, n)
    y = trend + rng.normal(0, 30, n)
    pred = np.minimum(trend, 1544) + rng.normal(0, 30, n)   # trees stop at the training max
    verdict = decide(rules, y, pred, None, {})
    assert verdict.promote
    assert "its holdout R^2 is" in verdict.reason and "lie above every prediction" in \
        verdict.reason, verdict.reason
    honest = y + rng.normal(0, 60, n)
    assert "R^2" not in decide(rules, y, honest, None, {}).reason


def _visits(seed: int, patients: int = 150) -> pd.DataFrame:
    """A table of repeated visits: one outcome per patient, repeated on each visit's row."""
    rng = np.random.default_rng(seed)
    rows = []
    for pid in range(patients):
        age, status = int(rng.integers(30, 80)), str(rng.choice(["alive", "dead", "tx"]))
        for visit in range(int(rng.integers(3, 9))):
            rows.append({"id": pid, "age": age, "visit": visit, "status": status,
                         "bili": float(rng.gamma(2, 1) + (status == "dead"))})
    return pd.DataFrame(rows)


def test_group_keeps_each_units_rows_in_one_batch(tmp_path: Path) -> None:
    """Sweep 54a (F3, F4): a provider's visits (or a patient's) dealt at random over the
    batches put 340 of 358 holdout rows beside rows of the same unit in training (holdout AUC
    0.855, 0.55 by provider), and init's only advice, --exclude id, left that as it was; where
    each patient's one outcome repeats on every visit, `age` at entry was called a leak. Init
    now says so and offers `--group`, which deals whole units into batches."""
    _visits(0).to_csv(tmp_path / "visits.csv", index=False)
    done = tool("init", "p", "--data", str(tmp_path / "visits.csv"), "--target", "status",
                cwd=tmp_path)
    assert "the target is one value on every row of 100% of its 150 values" in done.stdout
    assert "`--group id` keeps each one's rows in one batch" in done.stdout, done.stdout
    # ... and the id's own leak line says --exclude alone is no fix (sweep 54c).
    leak = next(line for line in done.stdout.splitlines()
                if "column 'id' alone predicts the target almost exactly" in line)
    assert leak.endswith("`--group id`, not --exclude alone, keeps a unit's rows out of the "
                         "holdout it is judged on"), leak
    done = tool("init", "q", "--data", str(tmp_path / "visits.csv"), "--target", "status",
                "--group", "id", cwd=tmp_path)
    assert "each 'id' value's rows in one batch (150 units" in done.stdout, done.stdout
    batches = [pd.read_parquet(f) for f in sorted((tmp_path / "q/data/batches").glob("*"))]
    units = [set(b["id"]) for b in batches]
    assert sum(len(u) for u in units) == 150 == len(set().union(*units))  # none in two
    sizes = [len(b) for b in batches]
    assert min(sizes) > 0.7 * max(sizes), sizes
    params = (tmp_path / "q/params.yaml").read_text()
    assert "- id" in params.split("exclude:")[1].split(":")[0], params  # not a feature
    # With --time the batches are cut in time: refused in one line.
    done = tool("init", "r", "--data", str(tmp_path / "visits.csv"), "--target", "status",
                "--group", "id", "--time", "visit", cwd=tmp_path, check=False)
    assert done.returncode == 2 and "--group deals each unit's rows into one batch" in \
        done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_group_dealing_balances_rows_beside_a_huge_unit() -> None:
    """A huge unit neither empties the batches after it nor leaves them a row each where
    single rows could balance them (the review: [725, 1, 1, 1, 72] from 600 rows of one
    clinic and 200 blank ones); too few units are refused in one line."""
    from tuneloop.errors import TuneloopError
    from tuneloop.table.batching import deal_by_group

    units = pd.Series([1] + [2] * 100 + [3, 4, None, None], name="site")
    parts, _ = deal_by_group(units, 3, 0, "t.csv")
    assert all(len(p) for p in parts) and sum(map(len, parts)) == len(units)
    assert sorted(np.concatenate(parts)) == list(range(len(units)))
    for part in parts:  # site 2's rows together
        assert units.iloc[part].eq(2).sum() in (0, 100)
    clinic = pd.Series(["big"] * 600 + [None] * 200, name="clinic")
    for seed in range(7):
        parts, _ = deal_by_group(clinic, 5, seed, "t.csv")
        sizes = [len(p) for p in parts]
        assert min(sizes) >= 20 and min(sizes[-2:]) >= 40, (seed, sizes)  # was 1
    rng = np.random.default_rng(1)
    sizes = np.maximum(1, rng.lognormal(3, 1, 30).astype(int))
    lognormal = pd.Series(np.repeat(np.arange(30), sizes), name="unit")
    smallest = [min(map(len, deal_by_group(lognormal, 8, seed, "t.csv")[0]))
                for seed in range(50)]
    assert np.median(smallest) >= 0.4 * len(lognormal) / 8, smallest
    try:
        deal_by_group(pd.Series([1, 1, 2, 2], name="site"), 3, 0, "t.csv")
    except TuneloopError as exc:
        assert "column 'site' (--group) holds 2 unit(s)" in str(exc)
    else:
        raise AssertionError("two units dealt into three batches")


def test_group_dealing_keeps_both_classes_where_the_gate_needs_them(tmp_path: Path) -> None:
    """The review (R1): ten sites of one outcome each, three of them `yes`, dealt so that the
    validation and holdout batches held none, and no first model could ever be gated. The
    first order from the seed that puts both classes in both (and in training: sweep 55c) is
    taken and said; where none of those tried does, init refuses in one line."""
    from tuneloop.errors import TuneloopError
    from tuneloop.table.batching import deal_by_group

    sites = pd.Series(np.repeat(np.arange(10), 40), name="site")
    outcome = pd.Series(np.where(sites.isin([2, 5, 8]), "yes", "no"), name="result")
    for seed in range(28, 40):
        parts, dealt = deal_by_group(sites, 5, seed, "t.csv", outcome)
        for part in parts[-2:]:
            assert set(outcome.iloc[part]) == {"yes", "no"}, (seed, dealt)
    frame = pd.DataFrame({"site": sites, "x": np.random.default_rng(0).normal(size=400),
                          "result": outcome})
    frame.to_csv(tmp_path / "few.csv", index=False)
    done = tool("init", "p", "--data", str(tmp_path / "few.csv"), "--target", "result",
                "--group", "site", "--batches", "5", cwd=tmp_path)
    assert "whose training, validation and holdout batches hold both classes" in \
        done.stdout or "seed 42;" in done.stdout, done.stdout
    one = pd.Series(np.where(sites == 2, "yes", "no"), name="result")  # one site of `yes`
    try:
        deal_by_group(sites, 5, 0, "t.csv", one)
    except TuneloopError as exc:
        assert "class 'yes' is held by 1 unit of column 'site' (--group): a training, a " \
            "validation and a holdout batch cannot each hold it (3 units at least)" in \
            str(exc) and len(str(exc).splitlines()) == 1
    else:
        raise AssertionError("one unit of a class dealt into two batches")
    # Three `yes` units, each beyond a fair share, are trained on in every deal tried.
    big = pd.Series(np.concatenate([np.repeat([0, 1, 2], 300),
                                    np.repeat(np.arange(3, 43), 10)]), name="site")
    result = pd.Series(np.where(big < 3, "yes", "no"), name="result")
    try:
        deal_by_group(big, 5, 0, "t.csv", result)
    except TuneloopError as exc:
        assert "none of 50 seeded deals of the 43 units of column 'site' (--group) puts both" \
            in str(exc) and "fewer --batches (now 5)" in str(exc), str(exc)
    else:
        raise AssertionError("two huge units of a class in the validation and holdout")


def test_a_log_target_shifted_reads_as_another_unit() -> None:
    """Sweep 53e (F4, carried): log wages + 1 in one batch (wages x2.7, a level only 1.15
    times the predictions') passed every branch of the unit check, which reads a level's
    ratio a log target cannot show; the refit learnt it and served the next batch at a bias
    of +1.0. A shift alone, twice the rest of the error and twice the champion's own rmse,
    reads as another unit; an honest batch, a recession year's move (1.7 times both) and a
    steady trend do not (bench/refit_checks.py: no honest refit of 112 refused by it)."""
    from tuneloop.gate import UNIT_REFUSAL, _another_unit

    rng = np.random.default_rng(7)
    n = 595
    pred = rng.normal(6.7, 0.35, n)
    y = pred + rng.normal(0, 0.3, n)
    assert _another_unit(y, pred, 0.3) == ""
    said = _another_unit(y + 1.0, pred, 0.3)
    assert UNIT_REFUSAL in said and "shifted by +0.99" in said and "times the champion's rmse" \
        in said, said
    assert _another_unit(y + 0.5, pred, 0.3) == ""          # 1.7 times: a recession's year
    assert _another_unit(y - 0.2, pred, 0.3) == ""          # a trend's step


def test_a_refit_a_broken_batch_made_unsure_of_the_truth_is_refused() -> None:
    """Sweep 53e (F3, carried): with half of one batch's `no` flipped, that batch's refit was
    refused, but the next refit (its window still holding the batch) ordered the clean
    holdout as well (AUC within the tolerance's noise) and was promoted at log loss 0.84
    against 0.43, a mean probability twice the positive rate. Its log loss worse than the
    champion's by more than a quarter of it, the whole interval so, now refuses it where the
    gate metric reads only the order; an honest refit passes, and a log loss gate is left to
    its own non-inferiority test."""
    from tuneloop.gate import GateRules, decide

    rng = np.random.default_rng(8)
    n = 600
    logit = rng.normal(-1.2, 1.4, n)
    truth = 1 / (1 + np.exp(-logit))
    y = (rng.random(n) < truth).astype(float)
    champion = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.3, n))))
    spoilt = 1 / (1 + np.exp(-(logit + 2.0 + rng.normal(0, 0.3, n))))  # the same order
    honest = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.3, n))))
    rules = GateRules(metric="auc", margin=0.0, samples=500, confidence=0.95, seed=0)
    refused = decide(rules, y, spoilt, champion, {}, tolerance=0.002, champion_order=0.6)
    assert not refused.promote and "log loss" in refused.reason and \
        "reads only the order" in refused.reason, refused.reason
    assert decide(rules, y, honest, champion, {}, tolerance=0.002, champion_order=0.6).promote
    # Binary only (what bench/refit_checks.py measured): several classes' refits are not held
    # to it (the review).
    three = np.column_stack([1 - truth, truth * 0.5, truth * 0.5])
    off = np.column_stack([1 - truth, truth * 0.02, truth * 0.98])  # log loss 1.14 vs 0.69
    labels = np.where(y == 1, 1 + (rng.random(n) < 0.5), 0)
    by_class = GateRules(metric="auc_ovr", margin=0.0, samples=300, confidence=0.95, seed=0)
    assert "reads only the order" not in decide(by_class, labels, off, three, {},
                                                tolerance=0.002, champion_order=0.6).reason
    by_loss = GateRules(metric="logloss", margin=0.0, samples=500, confidence=0.95, seed=0)
    verdict = decide(by_loss, y, spoilt, champion, {}, tolerance=0.002, champion_order=0.6)
    assert "reads only the order" not in verdict.reason, verdict.reason


def test_a_class_rare_long_ago_is_expected_at_its_recent_share(tmp_path: Path) -> None:
    """Sweep 54b (F5): a region of 28-30% of every batch since 1963, 3 of 77 rows in 1951,
    vanished from 1983's batch (its rows relabelled as another region) and was let in: the
    rows expected came from the class's lowest share over all history (6, under 20). The
    newest batches' lowest share sets them now; a class rare throughout still may miss one."""
    from tuneloop.accepted_notes import absent_class
    from tuneloop.suite import Suite

    def batch(i: int, counts: dict[str, int]) -> Path:
        path = tmp_path / f"{i:02d}.parquet"
        pd.DataFrame({"region": [c for c, k in counts.items() for _ in range(k)]}
                     ).to_parquet(path)
        return path

    # As sweep 54c found the history: 1951 rare, 1955 at 11% (five newest batches expected
    # 18 rows of it, under 20), then four years at 28-30%.
    files = [batch(0, {"africa": 3, "asia": 40, "europe": 34}),
             batch(1, {"africa": 12, "asia": 50, "europe": 45})]
    files += [batch(i, {"africa": 45, "asia": 60, "europe": 50}) for i in range(2, 6)]
    suite = Suite.model_validate({"name": "r", "target": "region",
                                  "target_values": ["africa", "asia", "europe"],
                                  "time": "year", "columns": {"region": {"type": "string"},
                                                              "year": {"type": "int"}}})
    relabelled = pd.DataFrame({"region": ["asia"] * 105 + ["europe"] * 54})
    failure = absent_class(relabelled, suite, files, 20)
    assert failure is not None and "no row of class 'africa'" in failure.observed, failure
    rare = [batch(10 + i, {"africa": 2, "asia": 60, "europe": 50}) for i in range(6)]
    assert absent_class(relabelled, suite, rare, 20) is None  # ~3 rows expected: chance


def test_the_label_drift_note_promises_only_what_the_gate_checks() -> None:
    """Sweep 54b (F4): "labels shuffled, flipped or sent in another unit are what the gate's
    newest-batch check refuses to learn" was said of a shifted and a relabelled batch the
    check then passed: the note says what it does not catch and how to take a batch out."""
    from tuneloop.policy import LABEL_NOTE

    assert "refuses to learn" not in LABEL_NOTE
    assert "not a smaller shift or a relabel that keeps the order" in LABEL_NOTE
    assert "tuneloop data withdraw BATCH" in LABEL_NOTE


def test_a_column_filled_in_for_one_class_of_several_is_named() -> None:
    """Sweep 52e (F4, carried): acs12's `time_to_work`, blank on every row not `employed`,
    gave the multiclass `employment` away (accuracy 0.897 with it, 0.710 without) and was
    unnamed: the blanks' check was binary only. A column blank for one class of several, or
    filled for it alone, is named with the class; one blank at random is not."""
    from tuneloop.leakage import telltales

    rng = np.random.default_rng(52)
    n = 900
    employment = rng.choice(["employed", "not in labor force", "unemployed"], n,
                            p=[0.55, 0.35, 0.10])
    frame = pd.DataFrame({
        "employment": employment,
        "time_to_work": np.where(employment == "employed", rng.integers(5, 90, n), np.nan),
        "age": rng.integers(16, 90, n).astype(float),
        "income": np.where(rng.random(n) < 0.2, np.nan, rng.lognormal(10, 1, n))})
    lines = telltales(frame, ["time_to_work", "age", "income"], "employment", "multiclass")
    assert any(line.startswith("column 'time_to_work' alone tells one class from the rest "
                               "almost exactly (AUC of its blanks for class 'employed'")
               for line in lines), lines
    assert not any("'income'" in line or "'age'" in line for line in lines), lines


def test_a_class_absent_in_its_season_last_year_may_be_absent_again(tmp_path: Path) -> None:
    """The review of the fix above: group bookings of 6% a month, 5 rows the August before,
    were expected at 90 rows in the next August by the five newest months' share, and the
    batch refused. Where times are dates, every batch of the year before the newest counts
    too."""
    from tuneloop.accepted_notes import absent_class
    from tuneloop.suite import Suite

    files = []
    for month in range(19):
        start = pd.Timestamp("2023-01-01") + pd.DateOffset(months=month)
        group = 5 if start.month == 8 else 90
        path = tmp_path / f"{month:02d}.parquet"
        pd.DataFrame({"kind": ["group"] * group + ["transient"] * (1500 - group - 300)
                      + ["contract"] * 300,
                      "day": pd.date_range(start, periods=1500, freq="20min")}
                     ).to_parquet(path)
        files.append(path)
    suite = Suite.model_validate({"name": "h", "target": "kind",
                                  "target_values": ["contract", "group", "transient"],
                                  "time": "day", "columns": {"kind": {"type": "string"},
                                                             "day": {"type": "datetime"}}})
    august = pd.DataFrame({"kind": ["transient"] * 1200 + ["contract"] * 300})
    assert absent_class(august, suite, files, 20) is None
    # ... but a class of 6% every month of the year missing is a partial export.
    steady = []
    for month in range(14):
        path = tmp_path / f"s{month:02d}.parquet"
        pd.read_parquet(files[month]).assign(
            kind=["group"] * 90 + ["transient"] * 1110 + ["contract"] * 300).to_parquet(path)
        steady.append(path)
    failure = absent_class(august, suite, steady, 20)
    assert failure is not None and "no row of class 'group'" in failure.observed, failure


def test_with_group_leaks_are_measured_a_row_per_unit_and_a_huge_unit_is_trained_on(
        tmp_path: Path) -> None:
    """Sweep 54c (F4): under --group, pbcseq's `age` at entry, fixed within a patient, was
    still named "alone predicts the target almost exactly" by rows (purity 0.998), with the
    fix --exclude age, though whole patients dealt apart it gives nothing away: a row per unit
    is measured. (F3): one site of 80% of the rows was the holdout, 290 rows trained on: a
    unit beyond a fair share goes to a training batch."""
    from tuneloop.table.batching import deal_by_group

    rng = np.random.default_rng(9)
    rows = []
    for pid in range(150):
        age = round(float(rng.uniform(30, 80)), 3)
        status = str(rng.choice(["alive", "dead", "tx"]))
        for _ in range(int(rng.integers(3, 9))):
            rows.append({"id": pid, "age": age, "status": status,
                         "bili": float(rng.gamma(2, 1) + (status == "dead"))})
    pd.DataFrame(rows).to_csv(tmp_path / "visits.csv", index=False)
    by_rows = tool("init", "a", "--data", str(tmp_path / "visits.csv"), "--target", "status",
                   cwd=tmp_path)
    assert "column 'age' alone predicts the target almost exactly" in by_rows.stdout
    by_unit = tool("init", "b", "--data", str(tmp_path / "visits.csv"), "--target", "status",
                   "--group", "id", cwd=tmp_path)
    assert "'age' alone predicts" not in by_unit.stdout, by_unit.stdout
    sites = pd.Series([0] * 1420 + list(np.repeat(np.arange(1, 31), 10)) + [31] * 7,
                      name="site6")
    for seed in range(20):
        parts, _ = deal_by_group(sites, 5, seed, "t.csv")
        assert all(sites.iloc[p].eq(0).sum() == 0 for p in parts[-2:]), seed


def test_with_group_a_leak_that_varies_within_units_is_still_named(tmp_path: Path) -> None:
    """The second review (S1): with every column measured one row per unit, a refund filled in
    exactly on the rows that churned, row by row within 12 stores, went unnamed (12 rows, under
    the checks' floor). Only columns fixed within each unit are measured so."""
    rng = np.random.default_rng(12)
    store = np.repeat(np.arange(12), 60)
    churned = rng.random(len(store)) < 0.3
    frame = pd.DataFrame({"store": store, "visits": rng.poisson(5, len(store)),
                          "refund_amount": np.where(churned, rng.uniform(5, 50, len(store)), 0.0),
                          "churned": np.where(churned, "yes", "no")})
    frame.to_csv(tmp_path / "stores.csv", index=False)
    done = tool("init", "p", "--data", str(tmp_path / "stores.csv"), "--target", "churned",
                "--group", "store", "--batches", "5", cwd=tmp_path)
    assert "column 'refund_amount' alone predicts the target almost exactly" in done.stdout, \
        done.stdout


def test_with_group_a_class_the_holdout_lacks_is_said(tmp_path: Path) -> None:
    """The second review (S3): a class carried by 2 of 40 sites missed the validation and the
    holdout batch a third of the time, and the run reported its macro figures over the others
    without a word."""
    from tuneloop.table.batching import classes_not_held, deal_by_group

    sites = pd.Series(np.repeat(np.arange(40), 20), name="site")
    kind = pd.Series(np.where(sites.isin([3, 17]), "c", np.where(sites % 2 == 0, "a", "b")),
                     name="kind")
    said = 0
    for seed in range(12):
        parts, _ = deal_by_group(sites, 5, seed, "t.csv")
        lines = classes_not_held(kind, parts, "site")
        # Dealt without the target here (so the deal may miss 'c'), training is said too
        # (sweep 55c: a class no training batch holds is never learnt).
        lacking = [name for name, part in (("training", np.concatenate(parts[:-2])),
                                           ("validation", parts[-2]), ("holdout", parts[-1]))
                   if "c" not in set(kind.iloc[part])]
        assert len(lines) == len(lacking), (seed, lines)
        for name, line in zip(lacking, lines, strict=True):
            start = "no training batch holds" if name == "training" else \
                f"the {name} batch holds no row of"
            assert line.startswith(f"{start} class(es) 'c'"), line
        said += bool(lines)
    assert said > 0  # the case occurs, and is said


def test_the_newest_batches_are_the_newest_in_time_not_in_arrival(tmp_path: Path) -> None:
    """The second review (S4): a late 1951 batch (4% of a class of 29%) arriving after six
    later years was among the "3 newest" and set the rows expected by its share: the vanished
    class passed again."""
    from tuneloop.accepted_notes import absent_class
    from tuneloop.suite import Suite

    def batch(name: str, year: int, africa: int) -> Path:
        path = tmp_path / f"{name}.parquet"
        pd.DataFrame({"region": ["africa"] * africa + ["asia"] * 60 + ["europe"] * 50,
                      "year": year}).to_parquet(path)
        return path

    files = [batch(f"{i:02d}", 1961 + i, 45) for i in range(6)] + [batch("99", 1951, 4)]
    suite = Suite.model_validate({"name": "r", "target": "region",
                                  "target_values": ["africa", "asia", "europe"],
                                  "time": "year", "columns": {"region": {"type": "string"},
                                                              "year": {"type": "int"}}})
    relabelled = pd.DataFrame({"region": ["asia"] * 105 + ["europe"] * 50, "year": 1967})
    failure = absent_class(relabelled, suite, files, 20)
    assert failure is not None and "no row of class 'africa'" in failure.observed, failure
