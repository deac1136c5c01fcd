"""The served model reads a user's raw rows (`pd.read_csv(file)`, numbers written for people
left as text) as ingest read the project's batches: a user found every house price written
"175,000" read as missing, and with decimal commas (0,81) every prediction collapsed to ~0.37."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tuneloop.config import DataConfig


def _houses(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Sales whose quick sale depends on the price per square foot."""
    rng = np.random.default_rng(seed)
    sqft = rng.integers(600, 4_000, n)
    price = (sqft * rng.uniform(90, 160, n)).round(-3).astype(int)
    return pd.DataFrame({"price": price, "sqft": sqft, "rooms": rng.integers(1, 6, n),
                         "y": (price / sqft < 125).astype(int)})


def _served(tmp_path: Path, spec: DataConfig, parsed: pd.DataFrame,
            old: bool = False) -> Any:
    """The pyfunc model as MLflow loads it: the model directory evaluate writes (booster and
    JSON metadata), read back by load_context. old: metadata saved before data.decimal."""
    from stages.evaluate import save_model
    from tuneloop import lgbm
    from tuneloop.features import Schema
    from tuneloop.serving import MODEL_DIR_ARTIFACT, TabularModel

    schema = Schema.fit(spec, parsed)
    booster = lgbm.fit(parsed, schema, {"min_data_in_leaf": 5, "verbose": -1}, 30, seed=1,
                       num_threads=1)
    saved = schema.to_dict()
    if old:
        saved.pop("decimal")
    directory = tmp_path / ("old" if old else "model")
    save_model(booster, directory, {"family": "lightgbm", "params": {}, "seed": 1,
                                    "schema": saved, "data": spec.model_dump(mode="json")})
    model = TabularModel()
    model.load_context(SimpleNamespace(artifacts={MODEL_DIR_ARTIFACT: str(directory)}))
    return model


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tuneloop.serving"]


@pytest.fixture
def houses_csv(tmp_path: Path) -> Path:
    frame = _houses()
    frame["price"] = frame["price"].map("{:,}".format)  # "175,000", quoted in the file
    frame["sqft"] = frame["sqft"].map("{:,}".format)
    path = tmp_path / "houses.csv"
    frame.to_csv(path, index=False)
    return path


def test_thousands_separators_are_read_as_ingest_reads_them(
        houses_csv: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert re.search(r'^"\d{1,3},\d{3}",', houses_csv.read_text(), re.M)  # "175,000",...
    parsed = pd.read_csv(houses_csv, thousands=",")
    raw = pd.read_csv(houses_csv)
    assert pd.api.types.is_string_dtype(raw["price"])  # what a user sends: the numbers are text
    spec = DataConfig(target="y", task="binary", positive_class=1, classes=[0, 1],
                      decimal=".")
    model = _served(tmp_path, spec, parsed)
    caplog.set_level(logging.WARNING)
    expected = model.predict(None, parsed.drop(columns="y"))
    assert expected.std() > 0.1  # the price matters: a price read as missing would show
    np.testing.assert_allclose(model.predict(None, raw.drop(columns="y")), expected)
    assert _warnings(caplog) == []
    # A model saved before data.decimal reads them as it did: missing, and said.
    old = _served(tmp_path, spec, parsed, old=True)
    assert not np.allclose(old.predict(None, raw.drop(columns="y")), expected)
    assert _warnings(caplog)[0].startswith("tuneloop served model: column 'price': 300 of 300")


def test_a_decimal_comma_is_read_where_the_project_writes_one(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(1)
    n = 300
    acidity = rng.uniform(0.1, 1.5, n).round(2)
    alcohol = rng.uniform(8, 15, n).round(1)
    frame = pd.DataFrame({"acidity": acidity, "alcohol": alcohol,
                          "y": (alcohol - 4 * acidity > 8).astype(int)})
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False, sep=";", decimal=",")  # 0,81;12,9
    parsed = pd.read_csv(path, sep=";", decimal=",")
    raw = pd.read_csv(path, sep=";")
    assert pd.api.types.is_string_dtype(raw["acidity"])
    model = _served(tmp_path, DataConfig(target="y", task="binary", positive_class=1,
                                         classes=[0, 1], decimal=","), parsed)
    caplog.set_level(logging.WARNING)
    expected = model.predict(None, parsed.drop(columns="y"))
    assert expected.std() > 0.1
    np.testing.assert_allclose(model.predict(None, raw.drop(columns="y")), expected)
    assert _warnings(caplog) == []


def test_a_value_that_is_no_number_is_still_missing_and_said(
        houses_csv: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    parsed = pd.read_csv(houses_csv, thousands=",")
    model = _served(tmp_path, DataConfig(target="y", task="binary", positive_class=1,
                                         classes=[0, 1], decimal="."), parsed)
    raw = pd.read_csv(houses_csv).drop(columns="y").head(4)
    # A decimal comma in a project of decimal points (1,50: no thousands), and words.
    raw.loc[[1, 2], "price"] = ["1,50", "about 200k"]
    caplog.set_level(logging.WARNING)
    served = model.predict(None, raw)
    assert _warnings(caplog) == [
        "tuneloop served model: column 'price': 2 of 4 value(s) are not numbers, e.g. "
        "['1,50', 'about 200k']; read as missing"]
    expected = parsed.drop(columns="y").head(4).astype({"price": "float64"})
    expected.loc[[1, 2], "price"] = np.nan
    np.testing.assert_allclose(served, model.predict(None, expected))


def test_the_projects_not_known_marks_are_read_as_missing_without_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """data.missing_values ("?" among the numbers, init's finding) reach the served model: a
    served "?" is missing as at ingest, not "not numbers" each time; other text still warns."""
    parsed = _houses()
    spec = DataConfig(target="y", task="binary", positive_class=1, classes=[0, 1],
                      decimal=".", missing_values={"sqft": ["?"]})
    model = _served(tmp_path, spec, parsed)
    raw = parsed.drop(columns="y").astype({"sqft": object}).head(4)
    raw.loc[0, "sqft"], raw.loc[1, "sqft"] = "?", " ? "
    # And the words a CSV batch reads as blanks (sweep 56c F10: warned as "not numbers").
    raw = raw.astype({"price": object})
    raw.loc[0, "price"], raw.loc[1, "price"], raw.loc[2, "price"] = "NA", "null", "None"
    caplog.set_level(logging.WARNING)
    marked = model.predict(None, raw)
    np.testing.assert_allclose(marked, model.predict(None, raw.assign(
        sqft=pd.to_numeric(raw["sqft"], errors="coerce"),
        price=pd.to_numeric(raw["price"], errors="coerce"))))
    assert _warnings(caplog) == []
    raw.loc[2, "sqft"] = "big"
    model.predict(None, raw)
    assert _warnings(caplog) == [
        "tuneloop served model: column 'sqft': 1 of 4 value(s) are not numbers, e.g. ['big']; "
        "read as missing"]


def test_a_served_code_read_as_a_number_is_the_known_level_it_spells(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Sweep 8: zip codes '02134' sent through a plain pd.read_csv arrive as 2134; the served
    model knew the level and still read it as missing (predictions moved on 551 of 1,200 rows).
    Another spelling of exactly one known level is that level now, with a warning saying so."""
    rng = np.random.default_rng(3)
    zips = np.array(["02134", "00501", "10001", "94105"])
    parsed = pd.DataFrame({"zip": rng.choice(zips, 400), "x": rng.normal(size=400)})
    parsed["y"] = ((parsed["zip"] == "02134") | (parsed["x"] > 1)).astype(int)
    spec = DataConfig(target="y", task="binary", positive_class=1, classes=[0, 1],
                      decimal=".")
    model = _served(tmp_path, spec, parsed)
    rows = parsed.drop(columns="y").head(40)
    expected = model.predict(None, rows)
    as_numbers = rows.assign(zip=rows["zip"].astype(int))  # what read_csv makes of them
    caplog.set_level(logging.WARNING)
    np.testing.assert_allclose(model.predict(None, as_numbers), expected)
    said = _warnings(caplog)
    assert len(said) == 1 and "spell a known level otherwise; read as the level each " \
        "spells, e.g. " in said[0] and "'2134' as '02134'" in said[0], said  # (sweep 9)
    # Spelt like two known levels at once ('YES' for 'Yes' and 'yes'): neither, and said.
    parsed["answer"] = rng.choice(["Yes", "yes", "no"], 400)
    model = _served(tmp_path / "two", spec, parsed)
    caplog.clear()
    model.predict(None, rows.assign(answer="YES"))
    said = _warnings(caplog)
    assert len(said) == 1 and "'YES' as missing (it spells more than one)" in said[0], said


def test_records_and_a_single_row_dict_are_served_as_a_dataframe_is(tmp_path: Path) -> None:
    """Sweep 9: `predict(df.to_dict(orient="records"))` failed with "'list' object has no
    attribute 'columns'" deep in the feature code (a dict: the same for 'dict'). The model is
    logged without a signature, so MLflow hands JSON-shaped input through as it came."""
    parsed = _houses()
    model = _served(tmp_path, DataConfig(target="y", task="binary", positive_class=1,
                                         classes=[0, 1], decimal="."), parsed)
    rows = parsed.drop(columns="y").head(5)
    expected = model.predict(None, rows)
    np.testing.assert_allclose(model.predict(None, rows.to_dict(orient="records")), expected)
    np.testing.assert_allclose(model.predict(None, rows.iloc[0].to_dict()), expected[:1])
    np.testing.assert_allclose(model.predict(None, rows.to_dict(orient="list")), expected)
    # No rows: no predictions, not "missing column(s) ..." of every input (sweep 29).
    assert model.predict(None, []).shape == (0,)
    with pytest.raises(TypeError, match=r"^served rows: a ndarray is not rows the model reads; "
                                        r"send a pandas DataFrame, a list of"):
        model.predict(None, rows.to_numpy())
    with pytest.raises(TypeError, match="a list is not rows"):
        model.predict(None, [[1, 2, 3]])
    # Lists beside values, or of unequal lengths (the review): one line, not pandas' error or
    # a list in a cell failing deep in the feature code.
    for mixed in ({"price": [1, 2], "sqft": 3, "rooms": 2},
                  {"price": [1, 2], "sqft": [1], "rooms": [2, 3]}):
        with pytest.raises(TypeError, match="^served rows: a dict mixing lists and values"):
            model.predict(None, mixed)
    # A column sent twice (sweep 56c F8): an AttributeError deep in pandas before.
    twice = pd.concat([rows, rows[["price"]]], axis=1)
    with pytest.raises(TypeError, match=r"^served rows: column\(s\) 'price' appear more than "
                                        "once; send each column once$"):
        model.predict(None, twice)


def test_a_logged_model_serves_records(tmp_path: Path) -> None:
    """The same through MLflow's pyfunc wrapper, logged as promote logs it (no signature)."""
    import mlflow

    import tuneloop
    from tuneloop import serving
    from tuneloop.promotion import MODEL_CODE_LOCK

    parsed = _houses()
    model = _served(tmp_path, DataConfig(target="y", task="binary", positive_class=1,
                                         classes=[0, 1], decimal="."), parsed)
    rows = parsed.drop(columns="y").head(3)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        experiment = mlflow.create_experiment("served", tmp_path.joinpath("art").as_uri())
        with MODEL_CODE_LOCK, mlflow.start_run(experiment_id=experiment):
            info = mlflow.pyfunc.log_model(
                name="model", python_model=serving.__file__,
                artifacts={serving.MODEL_DIR_ARTIFACT: str(tmp_path / "model")},
                code_paths=[str(Path(tuneloop.__file__).parent)], pip_requirements=[],
                signature=False)
            logged = mlflow.pyfunc.load_model(info.model_uri)
        np.testing.assert_allclose(logged.predict(rows.to_dict(orient="records")),
                                   model.predict(None, rows))
        np.testing.assert_allclose(logged.predict(rows.iloc[0].to_dict()),
                                   model.predict(None, rows.head(1)))
    finally:
        mlflow.set_tracking_uri(None)


def test_a_served_row_with_no_value_in_any_input_is_said(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Sweep 9: a row of blanks got a confident answer (0.9946 for one class) and no word.
    It is still scored (a request is not a batch to reject), with a warning naming it."""
    parsed = _houses()
    model = _served(tmp_path, DataConfig(target="y", task="binary", positive_class=1,
                                         classes=[0, 1], decimal="."), parsed)
    rows = parsed.drop(columns="y").head(4).astype(object)
    caplog.set_level(logging.WARNING)
    model.predict(None, rows)
    assert _warnings(caplog) == []
    rows.iloc[1] = [None, np.nan, None]
    rows.iloc[3] = ["", " ", None]
    assert len(model.predict(None, rows)) == 4
    assert _warnings(caplog) == [
        "tuneloop served model: 2 of 4 row(s) hold no value in any input column (positions "
        "[1, 3]): their predictions say nothing of them"]
