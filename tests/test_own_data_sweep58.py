"""Findings of session 41's sweeps (58a one-shot, 58b continuous training, 58c a living
table's schema), each with a test that fails on the code before."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tests.test_init_projects import tool


def _households(n: int, seed: int) -> pd.DataFrame:
    """Households of 30 communes, coded as text with leading zeros ('001'), as a survey
    export keeps them."""
    rng = np.random.default_rng(seed)
    commune = rng.integers(1, 31, n)
    income = rng.normal(50, 10, n).round(1)
    return pd.DataFrame({
        "commune": [f"{c:03d}" for c in commune],
        "sex": rng.choice(["male", "female"], n),
        "income": income,
        "insured": ((income + commune + rng.normal(0, 10, n)) > 65).astype(int)})


def _stored(project: Path) -> pd.DataFrame:
    return pd.read_parquet(sorted((project / "data" / "batches").glob("*.parquet"))[-1])


def test_another_spelling_of_a_known_level_is_stored_as_the_level(tmp_path: Path) -> None:
    """Sweep 58c (F1): 20 of a batch's commune codes written '90' for '090' (and 25 'Male' for
    'male') passed the spelling check (under the column's blank share) and were stored as
    written; a retrain learnt 19 duplicate levels, the same commune split in two. The served
    model already read them as the known level: the stored batch now holds the level too,
    and the ingest says so."""
    _households(900, 0).to_csv(tmp_path / "first.csv", index=False)
    tool("init", "p", "--data", str(tmp_path / "first.csv"), "--target", "insured",
         cwd=tmp_path)
    project = tmp_path / "p"
    later = _households(400, 1)
    later.loc[:9, "commune"] = later.loc[:9, "commune"].str.lstrip("0")  # '7' for '007'
    later.loc[10:14, "sex"] = later.loc[10:14, "sex"].str.capitalize()   # 'Male' for 'male'
    later.to_csv(tmp_path / "later.csv", index=False)
    done = tool("ingest", str(tmp_path / "later.csv"), cwd=project)
    assert "10 value(s) of 'commune' spell a known level otherwise: stored as that level (" \
        in done.stdout, done.stdout
    assert "5 value(s) of 'sex' spell a known level otherwise: stored as that level (" \
        in done.stdout, done.stdout
    stored = _stored(project)
    assert set(stored["commune"]) <= {f"{c:03d}" for c in range(1, 31)}
    assert set(stored["sex"]) == {"male", "female"}
    expected = _households(400, 1)
    assert sorted(stored["commune"]) == sorted(expected["commune"])


def test_a_column_let_in_by_allow_extra_columns_is_not_stored(tmp_path: Path) -> None:
    """Sweep 58c (F3): with the suite's allow_extra_columns set, a batch adding an `interview`
    column was accepted and stored with it, no check covering it; the next retrain made it a
    feature blank on every training row, and served rows without it were refused. Such a
    column is left out of the stored batch, and the ingest says so."""
    _households(900, 0).to_csv(tmp_path / "first.csv", index=False)
    tool("init", "p", "--data", str(tmp_path / "first.csv"), "--target", "insured",
         cwd=tmp_path)
    project = tmp_path / "p"
    suite_file = next((project / "data" / "suites").glob("*.yaml"))
    suite = yaml.safe_load(suite_file.read_text())
    suite["allow_extra_columns"] = True
    suite_file.write_text(yaml.safe_dump(suite, sort_keys=False))
    later = _households(400, 1).assign(interview=np.arange(400) % 7)
    later.to_csv(tmp_path / "later.csv", index=False)
    done = tool("ingest", str(tmp_path / "later.csv"), cwd=project)
    assert "column(s) ['interview'] not in the suite (validate.suite) left out of the stored " \
        "batch" in done.stdout, done.stdout
    stored = _stored(project)
    assert "interview" not in stored.columns and len(stored) == 400
    assert list(stored.columns) == ["commune", "sex", "income", "insured"]


def test_dates_that_read_either_way_are_not_told_one_format() -> None:
    """Sweep 58c (F2): a day/month/year batch whose every day is 12 or less, in an ISO
    project, was told "they read as dates written %m/%d/%Y: ... set data.date_formats to
    '%m/%d/%Y'"; following it stored 85% of the dates wrong (55 rows on weekends of a
    weekday series). The line names both readings and says the text cannot tell them apart;
    a batch with a day past 12 is told its one format, as before."""
    from tuneloop.batches import _read_dates
    from tuneloop.validation import _unparsed

    days = pd.bdate_range("2018-01-01", "2018-12-31")
    early = days[days.day <= 12]
    frame = pd.DataFrame({"Date": early.strftime("%d/%m/%Y")})
    info = _read_dates(frame, {"Date": "ISO8601"}).attrs["unparsed_dates"]["Date"]
    said = _unparsed(info)
    assert "they read as dates written %m/%d/%Y, and as %d/%m/%Y too (every day is 12 or " \
        "less: the text cannot tell day from month): set data.date_formats in params.yaml " \
        "to the one your export writes" in said, said
    whole = pd.DataFrame({"Date": days.strftime("%d/%m/%Y")})
    info = _read_dates(whole, {"Date": "ISO8601"}).attrs["unparsed_dates"]["Date"]
    assert info["also_reads_as"] is None
    assert _unparsed(info).endswith("they read as dates written %d/%m/%Y: if later batches "
                                    "are written so, set data.date_formats in params.yaml to "
                                    "'%d/%m/%Y' (served text dates are then read so too)")


def test_the_advice_to_choose_the_family_yourself_can_be_followed(tmp_path: Path) -> None:
    """Sweep 58c (F6): the run's line said "drop the other from tune.search_space's `family`";
    done so, params.yaml was refused ("search_space.alpha.when.family: values ['linear'] are
    not choices of family"): the dimensions of that family alone must go too, which the line
    now says; done so, the params load."""
    import pytest

    from stages.evaluate import family_note
    from tuneloop.config import load_params
    from tuneloop.errors import ConfigError

    said = family_note({"better": True, "family": "lightgbm", "trial": 3, "metric": "rmse",
                        "holdout": 1.0, "chosen_holdout": 2.0, "chosen_family": "linear"})
    assert said is not None and "drop the other from tune.search_space's `family`, and the " \
        "dimensions that apply to it alone (their `when: {family: [...]}`)" in said, said
    _households(900, 0).to_csv(tmp_path / "first.csv", index=False)
    tool("init", "p", "--data", str(tmp_path / "first.csv"), "--target", "insured",
         cwd=tmp_path)
    path = tmp_path / "p" / "params.yaml"
    raw = yaml.safe_load(path.read_text())
    space = raw["tune"]["search_space"]
    assert set(space["family"]["choices"]) == {"lightgbm", "linear"}, space["family"]
    space["family"]["choices"] = ["lightgbm"]
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ConfigError, match="are not choices of family"):
        load_params(path)
    raw["tune"]["search_space"] = {
        name: dim for name, dim in space.items()
        if set((dim.get("when") or {}).get("family", ["lightgbm"])) & {"lightgbm"}}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert load_params(path).tune.search_space["family"].choices == ["lightgbm"]


def _batting(n: int, seed: int) -> pd.DataFrame:
    """Players' at-bats (a fifth never batted), hits and a batting average written 0 where
    there were no at-bats, as a season's table (openintro mlbbat10) keeps it."""
    rng = np.random.default_rng(seed)
    # A fifth never batted, a quarter batted a few times (pitchers: most of them no hit).
    kind = rng.random(n)
    at_bat = np.where(kind < 0.2, 0, np.where(kind < 0.45, rng.integers(1, 8, n),
                                              rng.integers(8, 650, n)))
    hit = rng.binomial(at_bat, rng.uniform(0.15, 0.33, n))
    return pd.DataFrame({
        "games": np.maximum(at_bat // 4, 1) + rng.integers(0, 20, n),
        "at_bat": at_bat, "hit": hit,
        "home_run": rng.binomial(hit, 0.1),
        "bat_avg": np.round(np.divide(hit, at_bat, out=np.zeros(n), where=at_bat > 0), 3)})


def test_a_rate_written_zero_where_its_divisor_is_zero_is_named() -> None:
    """Sweep 58a (F1, high): mlbbat10's bat_avg is hit / at_bat, written 0 where at_bat is
    0 (229 rows; the average is 0 on 407): at_bat, zero on only 81% of rows and not exactly
    where the target is, was never paired, and a model was served at R^2 0.98 without a
    word. A column zero only where the target is now enters the ratio check."""
    from tuneloop.leakage import ratios

    frame = _batting(1200, 0)
    notes = ratios(frame, ["games", "at_bat", "hit", "home_run"], "bat_avg", "regression")
    assert len(notes) == 1 and notes[0].startswith(
        "columns 'at_bat' and 'hit': their ratio orders the target almost exactly"), notes
    # An honest target zero where those columns are (runs scored: none without a hit) is
    # no ratio of them: nothing named.
    runs = np.random.default_rng(1).poisson(frame["hit"] * 0.5)
    honest = frame.drop(columns="bat_avg").assign(runs=runs)
    assert ratios(honest, ["games", "at_bat", "hit", "home_run"], "runs", "regression") == []


def test_a_pair_that_gives_the_target_is_not_told_to_go_both() -> None:
    """Sweep 58a (F2): a sale price over its list price (SPLPPct) beside the list price gave
    the sale price at R^2 0.995, and the line said "--exclude ListPrice,SPLPPct": followed,
    it dropped the list price, known before the sale and the strongest honest column. It
    now says to exclude those known only after the outcome, all of them at most."""
    from tuneloop.leakage import combined

    rng = np.random.default_rng(2)
    n = 900
    houses = pd.DataFrame({"ListPrice": rng.lognormal(12, 0.4, n),
                           "SPLPPct": rng.normal(97, 2.5, n),
                           "Baths": rng.integers(1, 4, n).astype(float)})
    houses["SalePrice"] = houses["ListPrice"] * houses["SPLPPct"] / 100
    notes = combined(houses, ["ListPrice", "SPLPPct", "Baths"], "SalePrice", "regression")
    assert len(notes) == 1 and notes[0].startswith("columns 'ListPrice', 'SPLPPct' together "
                                                   "give the target"), notes
    assert notes[0].endswith("it is a leak: init again excluding those of them known only "
                             "after the outcome, not one known before it (a list price beside "
                             "the sale price over it: sweep 58a), or all: --exclude "
                             "ListPrice,SPLPPct"), notes[0]


def test_status_shows_a_large_figure_to_its_units() -> None:
    """Sweep 58a (F4): `status` printed an mae of 203805.58 as 203810.0 (five significant
    digits read back as a float): a figure no run printed. Whole parts stay whole; small
    figures keep five significant digits."""
    from tuneloop_cli.app import shown_figure

    assert shown_figure(203805.58) == 203806.0
    assert shown_figure(449803.2) == 449803.0
    assert shown_figure(0.980264) == 0.98026
    assert shown_figure(0.000123456) == 0.00012346
    assert shown_figure(0.0) == 0.0


def test_a_text_panel_unit_is_told_as_a_name() -> None:
    """Sweep 58a (F5): pwt's `country` (text) was told "a person's or a firm's number? ...
    the model learns each unit by its number"."""
    from tuneloop.table.identifiers import panel_unit

    countries = [f"Country {chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(40)]
    years = pd.Series(np.repeat(np.arange(2000, 2010), 40))
    said = panel_unit("country", pd.Series(countries * 10, dtype="string"), years)
    assert "a panel's unit, a person's, a firm's or a country's name or code? It stays a " \
        "feature: the model learns each unit by its name, " in said, said


def test_a_batch_sent_again_with_its_ids_is_a_resend_not_a_file_to_fix(
        tmp_path: Path) -> None:
    """Sweep 58b (F2): a batch sent again in another order, in a project with an id column,
    was refused by the id check alone ("430 id(s) already in accepted batches"), and status
    listed it among files "meant for the window: fix it ... and --retry". Ids seen before on
    rows seen before are a re-send: status counts it so; ids reused on other rows are still
    a file to fix."""
    frame = _households(1300, 0)
    frame.insert(0, "hh_id", np.arange(5001, 6301))
    frame.iloc[:900].to_csv(tmp_path / "first.csv", index=False)
    tool("init", "p", "--data", str(tmp_path / "first.csv"), "--target", "insured",
         "--id", "hh_id", cwd=tmp_path)
    project = tmp_path / "p"
    later = frame.iloc[900:]
    later.to_csv(tmp_path / "later.csv", index=False)
    tool("ingest", str(tmp_path / "later.csv"), cwd=project)
    later.sample(frac=1.0, random_state=3).to_csv(tmp_path / "again.csv", index=False)
    again = tool("ingest", str(tmp_path / "again.csv"), cwd=project, check=False)
    assert again.returncode == 1 and "rows already accepted" in again.stdout + again.stderr
    reused = _households(400, 5).assign(hh_id=later["hh_id"].to_numpy())
    reused[frame.columns].to_csv(tmp_path / "reused.csv", index=False)
    refused = tool("ingest", str(tmp_path / "reused.csv"), cwd=project, check=False)
    assert refused.returncode == 1 and "id(s) already in accepted batches" in \
        refused.stdout + refused.stderr
    # The review: the same ids and rows with every label flipped are no re-send.
    later.assign(insured=1 - later["insured"]).to_csv(tmp_path / "flipped.csv", index=False)
    flipped = tool("ingest", str(tmp_path / "flipped.csv"), cwd=project, check=False)
    assert flipped.returncode == 1 and "id(s) already in accepted batches" in \
        flipped.stdout + flipped.stderr
    status = tool("status", cwd=project, check=False)
    said = status.stdout + status.stderr
    assert "re-sent:    1 file(s) rejected as copies of accepted" in said, said
    # Two files to fix (reused.csv, flipped.csv), one re-sent (again.csv).
    assert "rejected:   2 batch file(s) kept in quarantine" in said, said
    assert "again.csv" not in said.split("re-sent:")[0], said


def test_a_median_bound_is_said_to_six_digits() -> None:
    """Sweep 58b (F5): "expected 0.43333333333333335..870.0"."""
    from tuneloop.validation import _bound

    assert f"{_bound(0.43333333333333335)}..{_bound(870.0)}" == "0.433333..870"
    assert _bound(None) == "None" and _bound(12) == "12"


def test_a_spelling_two_known_levels_share_is_not_said_as_stored_as_one() -> None:
    """The review (F7): where init saw both 'Male' and 'male', 'MALE' spells either; conform
    stores it as written, and the note said "stored as that level ('MALE' as None)"."""
    from tuneloop.batches import conform
    from tuneloop.suite import Suite
    from tuneloop.validation import stored_as_known_notes

    suite = Suite.model_validate({
        "name": "x", "target": "y", "target_values": [0, 1],
        "columns": {"sex": {"type": "string", "levels": ["Male", "male", "female"]},
                    "y": {"type": "int"}}})
    batch = pd.DataFrame({"sex": ["MALE", "Female", "male", None], "y": [0, 1, 0, 1]})
    assert stored_as_known_notes(batch, suite) == [
        "1 value(s) of 'sex' spell a known level otherwise: stored as that level ('Female' as "
        "'female')"]
    assert conform(batch, suite)["sex"].tolist()[:3] == ["MALE", "female", "male"]
