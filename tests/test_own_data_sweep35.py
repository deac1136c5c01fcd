"""Findings of sweep 35 (a new user's own tables), each as it was seen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml


def _table(rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(35)
    return pd.DataFrame({"sex": rng.choice(["F", "M"], rows),
                         "when": pd.date_range("2020-01-01", periods=rows).astype(str),
                         "height": rng.normal(170, 9, rows).round(1),
                         "weight": rng.normal(65, 12, rows).round(1)}).astype("string")


def _with(footer: list[list[object]]) -> pd.DataFrame:
    table = _table()
    blank = pd.DataFrame([[pd.NA] * 4], columns=table.columns, dtype="string")
    tail = pd.DataFrame(footer, columns=table.columns, dtype="string")
    return pd.concat([table, blank, tail], ignore_index=True)


def test_a_footer_labelled_in_a_text_or_date_column_is_dropped() -> None:
    """carData Davis saved as a spreadsheet: "Total" and "Mean" rows under its blank lines sat
    in `sex` (text above too), parsed as numbers elsewhere, and were learnt as two people."""
    from tuneloop.table.cells import without_blank_lines

    davis = _with([["Total", pd.NA, "10200", "3900"], ["Mean", pd.NA, "170.0", "65.0"]])
    kept, said = without_blank_lines(davis)
    assert len(kept) == 60 and "2 row(s) below the file's last blank line dropped as its " \
        "footer (totals or notes: 'Total'" in said[-1], said
    dated = _with([["F", "Total", "10200", "3900"]])  # the label in a date column
    assert len(without_blank_lines(dated)[0]) == 60
    note = _with([["Source: a survey of 60 people, 2020", pd.NA, pd.NA, pd.NA]])
    assert len(without_blank_lines(note)[0]) == 60


def test_rows_after_a_blank_line_that_are_data_stay() -> None:
    """A last group after a blank line is data: a dash for a weight not known, or a level the
    column held above (a "Max" team among teams named so), keeps it."""
    from tuneloop.table.cells import without_blank_lines

    dash = _with([["F", "2020-03-01", "171.0", "-"], ["M", "2020-03-02", "180.5", "77.0"]])
    kept, said = without_blank_lines(dash)
    assert len(kept) == 62 and not any("footer" in s for s in said), said
    table = _table()
    table.loc[:9, "sex"] = "Max"
    blank = pd.DataFrame([[pd.NA] * 4], columns=table.columns, dtype="string")
    tail = pd.DataFrame([["Max", "2020-03-01", "171.0", "60.0"]], columns=table.columns,
                        dtype="string")
    kept, _ = without_blank_lines(pd.concat([table, blank, tail], ignore_index=True))
    assert len(kept) == 61


def test_a_count_target_with_holes_and_rare_values_is_a_regression() -> None:
    """AER PhDPublications: articles 0-19 without 13-15, 17, 18, seven values of one or two
    rows, were read as 15 classes; the first model learnt nothing a class could show and the
    project had no champion. Class codes that fill their range stay classes."""
    from tuneloop.metrics import MULTICLASS, REGRESSION
    from tuneloop.table.target import infer_task

    counts = {0: 275, 1: 246, 2: 178, 3: 84, 4: 67, 5: 27, 6: 17, 7: 12, 8: 1, 9: 2, 10: 1,
              11: 1, 12: 2, 16: 1, 19: 1}
    articles = pd.Series([k for k, n in counts.items() for _ in range(n)], name="articles")
    assert infer_task(articles, "phd.csv") == REGRESSION
    digits = pd.Series(np.repeat(np.arange(10), 50), name="digit")
    assert infer_task(digits, "digits.csv") == MULTICLASS
    # Holes but every value learnable (a code list with retired codes): classes.
    coded = pd.Series(np.repeat([1, 2, 3, 5, 6, 8, 9, 12], 40), name="code")
    assert infer_task(coded, "codes.csv") == MULTICLASS
    # Codes with holes and rare ones (an occupation list) are no count: they start anywhere,
    # their rare values sit anywhere, or their holes are retired codes among common ones.
    occupations = pd.Series(np.repeat([11, 13, 15, 17, 19, 21, 23, 27, 29],
                                      [80, 3, 90, 70, 4, 60, 50, 40, 30]), name="occupation")
    assert infer_task(occupations, "jobs.csv") == MULTICLASS
    ranks = pd.Series(np.repeat([0, 1, 2, 3, 4, 6, 7, 8, 9], [4, 60, 80, 90, 3, 70, 60, 40, 30]),
                      name="grade")
    assert infer_task(ranks, "grades.csv") == MULTICLASS  # a rare 0 and 4 mid-range
    retired = pd.Series(np.repeat([1, 2, 3, 5, 6, 7, 8, 10, 11, 12],
                                  [60, 50, 40, 40, 30, 30, 20, 20, 5, 3]), name="category")
    assert infer_task(retired, "ids.csv") == MULTICLASS  # holes (4, 9) below its rare ids
    # A count with a rare 0 as well as a thin upper tail is a count (the review).
    visits = pd.Series(np.repeat([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 14],
                                 [3, 12, 30, 50, 60, 50, 40, 25, 15, 6, 2, 1]), name="visits")
    assert infer_task(visits, "visits.csv") == REGRESSION
    wine = pd.Series(np.repeat([3, 4, 5, 6, 7, 8, 9], [30, 216, 2138, 2836, 1079, 193, 5]),
                     name="quality")
    assert infer_task(wine, "wine.csv") == MULTICLASS  # seven grades, none missing


def test_a_file_of_exports_joined_one_after_another_drops_its_repeated_headers(
        tmp_path) -> None:
    """carData CES11 written as two `to_csv` outputs appended: the header again at line 1202
    made a class 'abortion' beside No and Yes ("typos?"), and with --task the numbers text.
    Init and ingest drop a line that repeats the header, and say so."""
    from stages import ingest
    from tuneloop.config import load_params
    from tuneloop.project import init_project

    rng = np.random.default_rng(35)
    frame = pd.DataFrame({"age": rng.integers(18, 90, 900), "weight": rng.normal(1, 0.3, 900)
                          .round(4), "abortion": rng.choice(["No", "Yes"], 900)})
    data = tmp_path / "ces.csv"
    data.write_text(frame.iloc[:400].to_csv(index=False) + frame.iloc[400:700].to_csv(index=False))
    result = init_project(tmp_path / "proj", data, "abortion")
    assert result.task == "binary"
    said = "\n".join(result.inferred)
    assert "1 line(s) repeating the header dropped (line 402: files joined one after another?)" \
        in said, said
    suite = yaml.safe_load((tmp_path / "proj" / "data" / "suites" / "proj.yaml").read_text())
    assert suite["columns"]["age"]["type"] == "int" and suite["columns"]["weight"]["type"] == \
        "float"
    later = tmp_path / "later.csv"
    later.write_text(frame.iloc[700:800].to_csv(index=False)
                     + frame.iloc[800:].to_csv(index=False))
    params = load_params(tmp_path / "proj" / "params.yaml")
    outcome = ingest.run(params, tmp_path / "proj", [later])
    assert [a.accepted for a in outcome.arrivals] == [True], outcome.arrivals
    assert "1 line(s) repeating the header dropped (line 102" in (outcome.arrivals[0].note or "")


def test_init_names_a_time_column_whose_year_every_later_batch_lies_beyond(tmp_path) -> None:
    """stevedata gss_wages by `--time year`: the year stays a feature, past the training's on
    every later row, and init named every such number column but the time itself."""
    from tuneloop.project import init_project

    rng = np.random.default_rng(35)
    frame = pd.DataFrame({"year": np.repeat(np.arange(1974, 2014, 2), 60),
                          "age": rng.integers(18, 80, 1200)})
    frame["income"] = 1000 * frame["age"] + rng.normal(0, 5000, len(frame))
    data = tmp_path / "gss.csv"
    frame.to_csv(data, index=False)
    result = init_project(tmp_path / "proj", data, "income", time="year")
    said = "\n".join(result.inferred)
    assert "column 'year' (the time): its year in the holdout batch (" in said, said
    assert "`--exclude year` keeps the batches cut by it" in said
    quiet = init_project(tmp_path / "quiet", data, "income", time="year", exclude=["year"])
    assert "(the time): its year" not in "\n".join(quiet.inferred)
    # Daily dates over years: what --exclude would drop, named (no hour: the review).
    daily = frame.assign(day=pd.date_range("2000-01-01", periods=len(frame), freq="D")
                         .strftime("%Y-%m-%d")).drop(columns="year")
    daily.to_csv(tmp_path / "daily.csv", index=False)
    said = "\n".join(init_project(tmp_path / "daily", tmp_path / "daily.csv", "income",
                                  time="day").inferred)
    assert "`--exclude day` keeps the batches cut by it and drops its year and its day of " \
        "week, day of year, month too" in said, said


def test_a_level_sent_under_a_new_name_is_named_as_renamed() -> None:
    """openintro mn_police_use_of_force: `race` 'Black' sent as 'African American' on 60% of
    a month passed with no word, and the refit learnt two levels for one group. The drift
    effect says which level looks renamed; a new level beside the old ones is not one."""
    from tuneloop.monitor import RENAMED, renamed_levels

    rng = np.random.default_rng(35)
    reference = pd.Series(rng.choice(["Black", "White", "Asian"], 3000, p=[0.6, 0.3, 0.1]))
    batch = pd.Series(rng.choice(["African American", "White", "Asian"], 500,
                                 p=[0.6, 0.3, 0.1]))
    said = renamed_levels(reference, batch)
    assert said.startswith(RENAMED) and "'Black' (59% of the reference, 0% here) for " \
        "'African American' (new, 59% here)" in said, said
    grown = pd.Series(rng.choice(["Black", "White", "Asian", "Other"], 500,
                                 p=[0.4, 0.3, 0.1, 0.2]))
    # A new level, the old ones still there: no renaming, the new level named (sweep 39).
    assert renamed_levels(reference, grown).startswith("new level(s) 'Other' (")
    # A column that counts time turns most of its levels over: no renaming (the review).
    quarters = pd.Series(np.repeat(["Q1", "Q2", "Q3"], 1000))
    assert renamed_levels(quarters, pd.Series(["Q4"] * 500)) == ""
    # Two common levels are enough: yes/no sent Y/no (the review).
    answers = pd.Series(np.repeat(["yes", "no"], [700, 300]))
    said = renamed_levels(answers, pd.Series(np.repeat(["Y", "no"], [350, 150])))
    assert said.startswith(RENAMED) and "'yes' (70% of the reference, 0% here) for 'Y'" in said


def test_a_batch_ending_in_a_spreadsheet_footer_is_refused_naming_it(tmp_path) -> None:
    """AER TeachingRatings: a later batch with a `Mean` row under its blank line was accepted
    as a 101st teacher, its scores the means. Init drops such a footer from the first table;
    ingest refuses a batch holding one, naming it, and keeps the rows of one without."""
    from stages import ingest
    from tuneloop.config import load_params
    from tuneloop.project import init_project

    rng = np.random.default_rng(35)
    frame = pd.DataFrame({"gender": rng.choice(["female", "male"], 500),
                          "age": rng.integers(25, 70, 500),
                          "beauty": rng.normal(0, 0.8, 500).round(3)})
    frame["eval"] = (4 + 0.2 * frame["beauty"] + rng.normal(0, 0.4, 500)).round(1)
    data = tmp_path / "teach.csv"
    frame.iloc[:400].to_csv(data, index=False)
    init_project(tmp_path / "proj", data, "eval")
    params = load_params(tmp_path / "proj" / "params.yaml")
    later = frame.iloc[400:]
    footed = tmp_path / "footed.csv"
    means = later[["age", "beauty", "eval"]].mean()
    footed.write_text(later.to_csv(index=False) + ",,,\n"
                      + f"Mean,{means['age']:.2f},{means['beauty']:.4f},{means['eval']:.2f}\n")
    outcome = ingest.run(params, tmp_path / "proj", [footed])
    assert [a.accepted for a in outcome.arrivals] == [False], outcome.arrivals
    said = "\n".join(outcome.arrivals[0].lines or [])
    assert "1 row(s) below the batch's last blank row look like a footer, not data ('Mean'" \
        in said, said
    clean = tmp_path / "clean.csv"
    later.to_csv(clean, index=False)
    assert [a.accepted for a in ingest.run(params, tmp_path / "proj", [clean]).arrivals] == \
        [True]


def test_a_text_target_of_many_values_is_told_to_pass_task_multiclass() -> None:
    """A 32-class leaf table heard only "pass --task", though text can only be classes."""
    import pytest

    from tuneloop.project import InitError
    from tuneloop.table.target import infer_task

    leaves = pd.Series([f"species {i % 32}" for i in range(640)], name="species")
    with pytest.raises(InitError, match=r"with 32 values; pass --task multiclass to learn "
                                        r"them as classes \(more than the 30 init takes"):
        infer_task(leaves, "leaf.csv")


def test_repeats_of_a_table_of_few_coarse_columns_are_said_to_be_chance(tmp_path) -> None:
    """carData Vocab (year, sex, education, vocabulary): "drop them from the file" was said of
    83% of its rows, which a few coarse columns repeat by chance."""
    from tuneloop.project import init_project

    rng = np.random.default_rng(35)
    frame = pd.DataFrame({"sex": rng.choice(["F", "M"], 1500),
                          "education": rng.integers(8, 18, 1500),
                          "vocabulary": rng.integers(0, 11, 1500)})
    data = tmp_path / "vocab.csv"
    frame.to_csv(data, index=False)
    said = "\n".join(init_project(tmp_path / "proj", data, "vocabulary",
                                  task="regression").inferred)
    assert "repeat another row in every column: kept; 3 columns of few values repeat about " \
        in said and " by chance" in said, said
    assert "drop them from the file" not in said
    # Written twice, it repeats far more than chance gives: "drop them" (the review).
    twice = tmp_path / "twice.csv"
    frame.assign(education=rng.integers(0, 500, 1500)).pipe(
        lambda f: pd.concat([f, f], ignore_index=True)).to_csv(twice, index=False)
    said = "\n".join(init_project(tmp_path / "twice", twice, "vocabulary",
                                  task="regression").inferred)
    assert "drop them from the file" in said and "by chance" not in said, said


def test_text_values_padded_with_spaces_are_one_level_with_what_they_pad(tmp_path) -> None:
    """openintro mn_police_use_of_force: 'Tensed' and 'Tensed' padded with 72 spaces were two
    levels at init (labels were stripped, features not). Init and ingest read them without."""
    from stages import ingest
    from tuneloop.config import load_params
    from tuneloop.project import init_project

    rng = np.random.default_rng(35)
    frame = pd.DataFrame({"resistance": rng.choice(["Tensed", "Verbal", "None"], 600),
                          "x": rng.normal(size=600)})
    frame["force"] = np.where(frame["resistance"] == "Tensed", "yes",
                              rng.choice(["yes", "no"], 600))
    frame.loc[::7, "resistance"] = frame.loc[::7, "resistance"] + " " * 72
    data = tmp_path / "force.csv"
    frame.iloc[:500].to_csv(data, index=False)
    result = init_project(tmp_path / "proj", data, "force")
    said = "\n".join(result.inferred)
    assert "text values with spaces around them read without, one level with the value they " \
        "pad (in later batches too): 'resistance' (" in said, said
    suite = yaml.safe_load((tmp_path / "proj" / "data" / "suites" / "proj.yaml").read_text())
    assert suite["columns"]["resistance"]["levels"] == ["None", "Tensed", "Verbal"]
    later = tmp_path / "later.csv"
    frame.iloc[500:].to_csv(later, index=False)
    params = load_params(tmp_path / "proj" / "params.yaml")
    outcome = ingest.run(params, tmp_path / "proj", [later])
    assert [a.accepted for a in outcome.arrivals] == [True], outcome.arrivals
    stored = pd.read_parquet(tmp_path / "proj" / outcome.arrivals[0].stored_as)
    assert set(stored["resistance"].dropna()) <= {"None", "Tensed", "Verbal"}
    # A project made before init stripped them knows padded levels (' Private' of a
    # `, Private` file), and its batches keep spelling them so: not stripped there (the
    # review: every such batch was refused as "level spelling").
    suite_path = tmp_path / "proj" / "data" / "suites" / "proj.yaml"
    old = yaml.safe_load(suite_path.read_text())
    old["columns"]["resistance"]["levels"] = [" None", " Tensed", " Verbal"]
    suite_path.write_text(yaml.safe_dump(old, sort_keys=False))
    padded = frame.iloc[500:].assign(resistance=lambda f: " " + f["resistance"].str.strip(),
                                     x=lambda f: f["x"] + 0.01)
    padded.to_csv(tmp_path / "padded.csv", index=False)
    outcome = ingest.run(params, tmp_path / "proj", [tmp_path / "padded.csv"])
    assert [a.accepted for a in outcome.arrivals] == [True], outcome.arrivals


def test_a_grouped_exports_last_group_is_no_footer() -> None:
    """The review: a last group after a blank line whose level is "Max" or "Average" (a
    column of such levels), a last row holding only its label, a dash written as an en dash
    or n.a. in a number column: data, not a footer; a summary word counts only first in a
    row of numbers, and a level the suite knows never."""
    from tuneloop.batches import footer_rows

    group = _with([["Average", "2020-03-01", "171.0", "60.0"],
                   ["Average", "2020-03-02", "165.0", "\u2013"]])
    assert footer_rows(group) == []  # "Average" second in the row: a level, not a summary
    first = _table()[["height", "sex", "weight", "when"]]
    blank = pd.DataFrame([[pd.NA] * 4], columns=first.columns, dtype="string")
    label = pd.DataFrame([["n.a.", "Max", "60.0", "2020-03-01"]], columns=first.columns,
                         dtype="string")
    assert footer_rows(pd.concat([first, blank, label], ignore_index=True)) == []
    lone = _with([["F", pd.NA, pd.NA, pd.NA]])
    assert footer_rows(lone) == []  # a label alone is a row without features, not a note
    table = _table()
    means = [f"{pd.to_numeric(table[c]).mean():.2f}" for c in ("height", "weight")]
    summary = _with([["Mean", pd.NA, *means]])
    assert footer_rows(summary) == [61]  # the means of the columns above: a summary row
    assert footer_rows(summary, {"sex": ["F", "M", "Mean"]}) == []  # a level it knows
    own = _with([["Mean", pd.NA, "171.3", "64.2"]])  # a group "Mean" holding its own values
    assert footer_rows(own) == []


def test_a_repeated_header_is_found_whatever_byte_order_mark_and_line_ends() -> None:
    """The review: a byte-order mark opening only the first export hid the repeat; after
    Excel's `sep=` line the line said was one too low."""
    from tuneloop.batches import _without_header_repeats

    assert _without_header_repeats("\ufeffa,b\n1,2\n\ufeffa,b\n3,4\n") == \
        ("\ufeffa,b\n1,2\n3,4\n", [3])
    assert _without_header_repeats("a;b\r\n1;2\r\na;b\r\n3;4\r\n", skipped=1) == \
        ("a;b\r\n1;2\r\n3;4\r\n", [4])
    assert _without_header_repeats("a,b\n1,2\n3,4\n") == ("a,b\n1,2\n3,4\n", [])


def test_a_totals_line_closing_the_file_without_a_blank_row_is_a_footer(tmp_path) -> None:
    """Sweep 36: ISLR Wage with Excel's SUM row as its last line (`Total,,127244,...`, no
    blank line above) made `Total` a level of `maritl` and its sum a training target; the
    header's padded 'Status ' went unnamed beside `--target Status`."""
    import pytest

    from tuneloop.batches import footer_rows
    from tuneloop.project import InitError, init_project
    from tuneloop.table.cells import without_blank_lines

    table = _table()
    total = pd.DataFrame([["Total", pd.NA, "10200", "3900"]], columns=table.columns,
                         dtype="string")
    closed = pd.concat([table, total], ignore_index=True)
    kept, said = without_blank_lines(closed)
    assert len(kept) == 60 and said == ["1 row(s) closing the file (a totals line) dropped as its "
                                        "footer (totals or notes: 'Total', '10200', '3900'...)"]
    assert footer_rows(table) == []  # a last row of data
    assert footer_rows(closed, {"sex": ["F", "M", "Total"]}) == []  # a level it knows
    rng = np.random.default_rng(36)
    frame = pd.DataFrame({"x": rng.normal(size=200), "Status ": rng.choice(["a", "b"], 200)})
    frame.to_csv(tmp_path / "padded.csv", index=False)
    with pytest.raises(InitError, match=r"no column 'Status' \(--target\); the header writes "
                                        r"it 'Status ': pass --target 'Status ', or fix"):
        init_project(tmp_path / "proj", tmp_path / "padded.csv", "Status")


def test_the_report_shows_the_choice_and_the_defaults_on_the_holdout(tmp_path) -> None:
    """Sweep 36: the report's "gain over defaults 1.288" (validation) stood alone where the
    defaults held out 28% better."""
    import json

    from tuneloop.report import _against_defaults

    path = tmp_path / "evaluation.json"
    assert _against_defaults(path) is None
    path.write_text(json.dumps({"defaults": {"trial": 0, "metric": "rmse", "holdout": 9.9906,
                                             "chosen_holdout": 13.81,
                                             "chosen_beats_defaults": False,
                                             "defaults_better": True}}))
    assert _against_defaults(path) == "13.81 / 9.991 rmse (defaults better)"
