"""The served model: raw rows of the project's batches in, the task's predictions out.

Logged to MLflow as "models from code": this file is the model's definition, the saved model
directory is its artifact (LightGBM text model, or a torch state_dict loaded with
weights_only=True, plus JSON metadata holding the dataset spec and the frozen feature schema),
and nothing is pickled. The project's prepare hook is logged with the model's code, so
`mlflow.pyfunc.load_model("models:/NAME@champion").predict(raw_rows)` needs nothing else:
binary -> P(positive class) per row; multiclass -> a DataFrame with one probability column per
class; regression -> the predicted value.
"""

from __future__ import annotations

import importlib
import json
import logging
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from tuneloop.families import META_FILE
from tuneloop.features import Schema
from tuneloop.metrics import MULTICLASS

MODEL_DIR_ARTIFACT = "model_dir"  # the whole model directory the evaluate stage wrote
# By name, not __name__: MLflow loads this file as a module of its own (code_model_<hash>), and
# the README's `logging.getLogger("tuneloop.serving")` must reach the warnings (sweep 8).
log = logging.getLogger("tuneloop.serving")


def _sources(package: Path) -> dict[str, bytes]:
    return {str(f.relative_to(package)): f.read_bytes() for f in package.rglob("*.py")
            if "__pycache__" not in f.parts}


def code_differs(model_dir: Path) -> str | None:
    """What to say when this process runs another `tuneloop` than the one logged with the model
    (None when it runs that one, or the model has no copy): Python imports a package once, so
    a process that imported tuneloop before (another version, or another project's model
    loaded first) scores with that copy's feature code, not the model's (sweep 56c F4)."""
    import tuneloop

    root = next((p for p in model_dir.parents if (p / "MLmodel").is_file()), None)
    logged = root / "code" / "tuneloop" if root is not None else None
    running = Path(tuneloop.__file__).resolve().parent
    if logged is None or not logged.is_dir() or logged.resolve() == running:
        return None
    try:
        theirs, ours = _sources(logged), _sources(running)
    except OSError:
        return None
    changed = sorted(n for n in set(theirs) | set(ours) if theirs.get(n) != ours.get(n))
    if not changed:
        return None
    return (f"this process runs tuneloop from {running}, whose code differs from the code "
            f"logged with the model in {len(changed)} file(s) ({', '.join(changed[:3])}"
            f"{' ...' if len(changed) > 3 else ''}): it scores with {running}'s feature code; "
            "load the model in a fresh process to score with its own")


class TabularModel(PythonModel):
    def load_context(self, context: Any) -> None:
        from tuneloop import families

        directory = Path(context.artifacts[MODEL_DIR_ARTIFACT])
        with open(directory / META_FILE, encoding="utf-8") as fh:
            meta = json.load(fh)
        self.meta = meta  # the configuration it was fit with: a refit's starting point
        self._family = meta.get("family", "lightgbm")
        self.schema = Schema.from_dict(meta["schema"])
        hook = (meta.get("data") or {}).get("prepare")
        self._hook = None
        if hook:
            module, _, func = hook.partition(":")
            self._hook = getattr(importlib.import_module(module), func)
        self._model = families.load(self._family, directory)  # never pickle
        if (other := code_differs(directory)) is not None:
            log.warning("tuneloop served model: %s", other)

    def predict_prepared(self, frame: pd.DataFrame) -> np.ndarray:
        """Predictions (tuneloop.metrics' shapes) for rows already prepared: what the gate
        scores on the holdout."""
        from tuneloop import families

        return families.predict(self._family, self._model, frame, self.schema)

    # The hint stays pd.DataFrame: MLflow reads predict's hints to decide how to check input,
    # and a union of types is one it warns about. Records and a one-row dict are read too.
    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> Any:
        """One prediction per input row, in the input's order."""
        model_input = as_rows(model_input)
        frame = self._hook(model_input) if self._hook is not None else model_input
        if len(frame) != len(model_input):
            from tuneloop.errors import DataError

            raise DataError(f"the prepare hook returned {len(frame)} rows for "
                            f"{len(model_input)} input rows: a served model needs one prepared "
                            "row per row to score, in order")
        # A served row is scored whatever it holds (a request is not a batch to reject), but a
        # value the model cannot read is said, not silently made missing.
        # A process that imported an older tuneloop first runs its Schema (code_differs),
        # which may not read numbers ahead: then as it always did.
        if hasattr(self.schema, "numbers_of"):
            numbers = self.schema.numbers_of(frame)
            notes = self.schema.unreadable(frame, numbers)
        else:
            numbers, notes = {}, self.schema.unreadable(frame)
        for note in notes:
            log.warning("tuneloop served model: %s", note)
        if numbers:  # read once: the features take them as read here
            frame = frame.assign(**numbers)
        from tuneloop.errors import DataError

        missing = [c for c in self.schema.inputs if c not in frame.columns]
        if missing and len(frame) == 0:
            # No rows at all (`predict([])`): no predictions, not "every column is missing".
            missing = []
            frame = frame.reindex(columns=list(self.schema.inputs))
        if missing:
            raise DataError(f"served rows: missing column(s) {', '.join(missing)}")
        empty = _without_values(frame[list(self.schema.inputs)])
        if empty.any():
            # Scored all the same (a tree model answers missing with its learnt default), but
            # a confident answer from nothing must not pass unsaid (sweep 9: 0.9946 for one
            # class on a row of blanks).
            log.warning("tuneloop served model: %d of %d row(s) hold no value in any input "
                        "column (positions %s): their predictions say nothing of them",
                        int(empty.sum()), len(frame),
                        np.flatnonzero(empty.to_numpy())[:5].tolist())
        if frame.empty:  # LightGBM refuses an empty frame: no rows, no predictions
            shape = (0, len(self.schema.classes)) if self.schema.task == MULTICLASS else (0,)
            pred = np.zeros(shape)
        else:
            pred = self.predict_prepared(frame)
        if self.schema.task == MULTICLASS:
            return pd.DataFrame(pred, columns=[str(c) for c in self.schema.classes],
                                index=model_input.index)
        return pred


def _without_values(inputs: pd.DataFrame) -> pd.Series:
    """Rows whose every input is missing or blank text."""
    blank = inputs.isna()
    for col in inputs.columns:
        if not _typed_column(inputs[col]):
            blank[col] = blank[col] | (inputs[col].astype("string").str.strip() == "").fillna(
                True)
    return blank.all(axis=1) if len(inputs.columns) else pd.Series(False, index=inputs.index)


def _typed_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series)


def as_rows(model_input: Any) -> pd.DataFrame:
    """The rows a request holds, as a DataFrame. The model is logged without a signature, so
    MLflow passes JSON-shaped input (`df.to_dict(orient="records")`, one row as a dict) through
    untouched: read it as pandas would, rather than fail on it deep inside the feature code."""
    if isinstance(model_input, pd.DataFrame):
        twice = model_input.columns[model_input.columns.duplicated()].unique()
        if len(twice):
            # Otherwise an AttributeError deep in pandas (a column read as a DataFrame).
            raise TypeError(f"served rows: column(s) {', '.join(map(repr, twice[:5]))} appear "
                            "more than once; send each column once")
        return model_input
    if isinstance(model_input, dict):
        # {column: value} is one row; {column: [values]} is columns, as pd.DataFrame reads it.
        lists = [pd.api.types.is_list_like(v) for v in model_input.values()]
        if model_input and all(lists) and len({len(v) for v in model_input.values()}) == 1:
            return pd.DataFrame(model_input)
        if not any(lists):
            return pd.DataFrame([model_input])
        # Lists and values mixed, or lists of unequal lengths.
        raise TypeError("served rows: a dict mixing lists and values, or lists of unequal "
                        "lengths, is not rows; send {column: value} for one row or "
                        "{column: [values]} with one value per row in every column")
    if isinstance(model_input, list) and all(isinstance(r, dict) for r in model_input):
        return pd.DataFrame.from_records(model_input)
    raise TypeError(f"served rows: a {type(model_input).__name__} is not rows the model reads; "
                    "send a pandas DataFrame, a list of {column: value} dicts (records) or one "
                    "such dict (one row)")


mlflow.models.set_model(TabularModel())
