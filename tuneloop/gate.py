"""The promotion gate: a pure decision, so it can be property-tested without a registry.

A challenger replaces the champion only if, on the same holdout rows, it is better by more than
the margin AND a paired bootstrap confidence interval of the improvement excludes zero, AND it
meets the cost constraints. With no champion, the first model must beat a constant prediction
(its own average prediction for every row, its median for mae) on the holdout; its reason
says if not by more than chance. A refit of the champion's own configuration is judged for
non-inferiority instead, and must still order the holdout's labels (`order_scorer`) better
than chance and about as well as the champion ordered its own: it learns that holdout once
scored. Paired: each bootstrap resample scores both models on the same rows, so the interval
reflects the difference between the models, not the holdout's own noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tuneloop.metrics import (
    BINARY,
    LOWER_IS_BETTER,
    MULTICLASS,
    REGRESSION,
    TASK_METRICS,
    THRESHOLD,
    clip,
)

Scorer = Callable[[np.ndarray], float]


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    # Not `a @ b`: BLAS starts threads for long vectors, and on a busy 2-core machine that made
    # a 28k-row bootstrap 10-50x slower (bench/promotion_speed.py).
    return float(np.sum(a * b))


@dataclass(frozen=True)
class GateRules:
    metric: str
    margin: float
    samples: int
    confidence: float
    seed: int
    max_latency_ms_per_1k: float | None = None
    max_model_bytes: int | None = None
    max_group_gap: float | None = None
    min_lift_kept: float = 0.5

    @classmethod
    def from_config(cls, cfg: Any, metric: str | None, limits: Any) -> GateRules:
        """From a PromoteConfig and the ConstraintsConfig (`limits`; typed loosely so this
        module imports no config); `metric` is the resolved gate metric when the config leaves
        it to the task's default."""
        return cls(metric=metric or cfg.metric, margin=cfg.min_improvement,
                   samples=cfg.bootstrap_samples,
                   confidence=cfg.confidence, seed=cfg.bootstrap_seed,
                   max_latency_ms_per_1k=getattr(limits, "max_latency_ms_per_1k", None),
                   max_model_bytes=getattr(limits, "max_model_bytes", None),
                   max_group_gap=getattr(limits, "max_group_gap", None),
                   min_lift_kept=cfg.refit_min_lift_kept)


@dataclass(frozen=True)
class Verdict:
    promote: bool
    reason: str
    metric: str
    margin: float
    delta: float | None = None          # improvement on the full holdout (positive = better)
    ci: tuple[float, float] | None = None
    confidence: float | None = None
    challenger_score: float | None = None
    champion_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ci"] = list(self.ci) if self.ci is not None else None
        return out


def _weighted_auc(y: np.ndarray, score: np.ndarray) -> Scorer:
    # Weighted Mann-Whitney: sort once into groups of equal score, then each resample is a
    # couple of bincounts. Ties count one half, as in roc_auc_score.
    _, group = np.unique(score, return_inverse=True)
    n_groups = int(group.max()) + 1 if len(group) else 0

    def auc(w: np.ndarray) -> float:
        pos = np.bincount(group, w * y, n_groups)
        neg = np.bincount(group, w * (1 - y), n_groups)
        denom = pos.sum() * neg.sum()
        if denom == 0:
            return float("nan")
        below = np.cumsum(neg) - neg
        return _dot(pos, below + 0.5 * neg) / denom

    return auc


def _weighted_f1(hard: np.ndarray, y: np.ndarray) -> Scorer:
    tp, fp, fn = hard * y, hard * (1 - y), (1 - hard) * y

    def f1(w: np.ndarray) -> float:
        hits = _dot(w, tp)
        denom = 2 * hits + _dot(w, fp) + _dot(w, fn)
        return 2 * hits / denom if denom else 0.0

    return f1


def _mean_of(scorers: list[Scorer]) -> Scorer:
    def mean(w: np.ndarray) -> float:
        values = [s(w) for s in scorers]
        finite = [v for v in values if np.isfinite(v)]
        return float(np.mean(finite)) if finite else float("nan")

    return mean


def _where_present(y: np.ndarray, scorer: Scorer) -> Scorer:
    """NaN (left out of the macro mean) when no row of `y` (a class's labelled or predicted
    rows) is in the resample."""
    return lambda w: scorer(w) if _dot(w, y) > 0 else float("nan")


def weighted_scorer(metric: str, y: np.ndarray, pred: np.ndarray) -> Scorer:
    """score(w): the metric with row weights w (bootstrap counts); w = 1 gives the plain metric.
    `pred` has the task's shape (tuneloop.metrics): a 2-D array means multiclass."""
    pred = np.asarray(pred, dtype="float64")
    if pred.ndim == 2:
        return _multiclass_scorer(metric, np.asarray(y, dtype="int64"), pred)
    y = np.asarray(y, dtype="float64")
    if metric in ("rmse", "mae", "r2"):
        err = pred - y
        if metric == "mae":
            values = np.abs(err)
            return lambda w: _dot(w, values) / float(w.sum())
        sq = err ** 2
        if metric == "rmse":
            return lambda w: float(np.sqrt(_dot(w, sq) / float(w.sum())))

        def r2(w: np.ndarray) -> float:
            total = float(w.sum())
            mean = _dot(w, y) / total
            sst = _dot(w, (y - mean) ** 2)
            return 1.0 - _dot(w, sq) / sst if sst > 0 else float("nan")

        return r2
    p = clip(pred)
    if metric == "auc":
        return _weighted_auc(y, p)
    if metric == "f1":
        return _weighted_f1((p >= THRESHOLD).astype("float64"), y)
    per_row = {
        "accuracy": lambda: ((p >= THRESHOLD) == (y == 1)).astype("float64"),
        "brier": lambda: (p - y) ** 2,
        "logloss": lambda: -(y * np.log(p) + (1 - y) * np.log(1 - p)),
    }
    if metric not in per_row:
        raise ValueError(f"unknown gate metric {metric!r}")
    values = per_row[metric]()
    return lambda w: _dot(w, values) / float(w.sum())


def _multiclass_scorer(metric: str, y: np.ndarray, proba: np.ndarray) -> Scorer:
    # Clipped and renormalised as tuneloop.metrics does, so AUC ranks the same numbers.
    proba = np.clip(proba, 1e-15, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    k = proba.shape[1]
    hard = proba.argmax(axis=1)
    onehot = [(y == c).astype("float64") for c in range(k)]
    if metric == "auc_ovr":
        present = [c for c in range(k) if onehot[c].any()]
        return _mean_of([_weighted_auc(onehot[c], proba[:, c]) for c in present])
    if metric == "f1_macro":
        # Over the classes labelled or predicted in the resample, as tuneloop.metrics (and
        # scikit-learn) average it.
        said = [(hard == c).astype("float64") for c in range(k)]
        return _mean_of([_where_present(onehot[c] + said[c], _weighted_f1(said[c], onehot[c]))
                         for c in range(k) if onehot[c].any() or said[c].any()])
    if metric == "accuracy":
        values = (hard == y).astype("float64")
    elif metric == "logloss":
        values = -np.log(proba[np.arange(len(y)), y])
    else:
        raise ValueError(f"unknown multiclass gate metric {metric!r}")
    return lambda w: _dot(w, values) / float(w.sum())


def resampled(stat: Scorer, n: int, samples: int, seed: int) -> np.ndarray:
    """stat(w) over `samples` bootstrap resamples of n rows, each given as row weights (how
    many times each row was drawn), seeded."""
    rng = np.random.default_rng(seed)
    return np.array([stat(np.bincount(rng.integers(0, n, n), minlength=n).astype("float64"))
                     for _ in range(samples)])


def paired_bootstrap(metric: str, y: np.ndarray, challenger: np.ndarray, champion: np.ndarray,
                     samples: int, confidence: float, seed: int) -> tuple[float, float, float]:
    """(improvement on the full holdout, CI low, CI high); improvement > 0 means the challenger
    is better (sign flipped for losses). Seeded, so the same inputs give the same decision."""
    y = np.asarray(y)
    n = len(y)
    if n == 0 or not (len(challenger) == len(champion) == n):
        raise ValueError("challenger, champion and labels must have the same, non-zero length")
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
    new, old = weighted_scorer(metric, y, challenger), weighted_scorer(metric, y, champion)
    ones = np.ones(n)
    delta = sign * (new(ones) - old(ones))
    diffs = resampled(lambda w: sign * (new(w) - old(w)), n, samples, seed)
    tail = (1 - confidence) / 2 * 100
    if np.isnan(diffs).all():
        return delta, float("nan"), float("nan")
    low, high = np.nanpercentile(diffs, [tail, 100 - tail])
    return float(delta), float(low), float(high)


def constraint_failures(rules: GateRules, cost: dict[str, float]) -> list[str]:
    """Which limits (constraints.*) the model breaks; a missing measurement counts as broken."""
    failures = []
    latency = cost.get("latency_ms_per_1k")
    if rules.max_latency_ms_per_1k is not None and (
            latency is None or not latency <= rules.max_latency_ms_per_1k):
        failures.append(f"latency {latency} ms per 1k rows exceeds "
                        f"constraints.max_latency_ms_per_1k {rules.max_latency_ms_per_1k}")
    size = cost.get("size_bytes")
    if rules.max_model_bytes is not None and (size is None or not size <= rules.max_model_bytes):
        failures.append(f"model size {size} bytes exceeds constraints.max_model_bytes "
                        f"{rules.max_model_bytes}")
    gap = cost.get("group_gap")
    if rules.max_group_gap is not None and gap is None:
        failures.append("group gap not measured (fewer than two groups of "
                        "constraints.group_column with evaluate.min_slice_rows rows)")
    elif rules.max_group_gap is not None and not gap <= rules.max_group_gap:
        failures.append(f"group gap {gap} exceeds constraints.max_group_gap "
                        f"{rules.max_group_gap}")
    return failures


def constant_prediction(metric: str, challenger: np.ndarray) -> np.ndarray:
    """The challenger's own average prediction (mean value, median for mae, or mean class
    probabilities) for every row: the bar a first model must clear. A model that does no
    better than its own average has learnt nothing usable from the rows, or learnt it
    backwards. Not the holdout's own mean: that constant knows the holdout's labels (a
    one-class holdout, or a shifted positive rate, would make it unbeatable). For binary F1
    the constant is "all positive": the average probability is usually under the threshold,
    and "all negative" scores 0."""
    pred = np.asarray(challenger, dtype="float64")
    if pred.ndim == 2:
        return np.tile(pred.mean(axis=0), (len(pred), 1))
    if metric == "f1":
        return np.ones(len(pred))
    if metric == "mae":  # the constant an absolute error favours: its median
        return np.full(len(pred), float(np.median(pred)))
    return np.full(len(pred), float(pred.mean()))


def _against_constant(metric: str, y: np.ndarray,
                      challenger: np.ndarray) -> tuple[float, float, bool]:
    """The challenger's holdout score, its constant prediction's (constant_prediction), and
    whether it is better than that constant (beyond float rounding)."""
    ones = np.ones(len(y))
    score = float(weighted_scorer(metric, y, challenger)(ones))
    bar = float(weighted_scorer(metric, y, constant_prediction(metric, challenger))(ones))
    return score, bar, _beats(metric, score, bar)


def _beats(metric: str, score: float, bar: float) -> bool:
    """Whether `score` is better than `bar` on `metric`, beyond float rounding."""
    gain = bar - score if metric in LOWER_IS_BETTER else score - bar
    return bool(gain > 0 and not np.isclose(score, bar, rtol=1e-9, atol=1e-12))


def _training_constant_beating(metric: str, y: np.ndarray, score: float,
                               constants: Sequence[float]) -> str:
    """Words for the training target's mean or median (`constants`, in that order) when one,
    served for every row, scores at least as well as the challenger; else "". A few extreme
    training values pull a model's own average with them: one tree predicting ~34k where the
    median is 16k beat its own average and was promoted at holdout R^2 -0.18 (sweep 23)."""
    ones = np.ones(len(y))
    for name, value in zip(("mean", "median"), constants, strict=False):
        if not np.isfinite(value):
            continue
        bar = float(weighted_scorer(metric, y, np.full(len(y), float(value)))(ones))
        if np.isfinite(bar) and not _beats(metric, score, bar):
            return (f"the training target's {name} ({value:.5g}) served for every row "
                    f"({bar:.5g}): check the target for extreme values (a few rows far beyond "
                    "the rest decide an rmse study; tune.metric: mae is less swayed), and "
                    "whether the holdout lies beyond what training saw (a season or a range "
                    "of the features the training batches do not hold: init names columns "
                    "that count time; a trend past the training range, which trees cannot "
                    "follow and a linear model can: family [lightgbm, linear] in "
                    "tune.search_space, as init writes it for a small table)")
    return ""


BEYOND_SHARE = 0.1  # of holdout labels past every prediction, said with a negative R^2


def _below_holdout_mean(metric: str, y: np.ndarray, pred: np.ndarray) -> str:
    """Words for a first regression model promoted though the holdout's own mean predicts it
    better (R^2 below 0), and the share of labels beyond every prediction where it is large;
    else "". Its own average is the bar a first model must clear, and a model can clear it
    while a trend carries the holdout past anything it learnt (sweep 54a: S&P 500 closes, 82%
    of the holdout above the training maximum, R^2 -1.37, promoted with "beats its own
    average prediction's 684" and nothing more)."""
    if metric not in TASK_METRICS[REGRESSION]:
        return ""
    values, pred = np.asarray(y, dtype="float64"), np.asarray(pred, dtype="float64")
    total = float(np.sum((values - values.mean()) ** 2))
    if not total > 0:
        return ""
    r2 = 1.0 - float(np.sum((values - pred) ** 2)) / total
    if not r2 < 0:
        return ""
    above, below = float(np.mean(values > pred.max())), float(np.mean(values < pred.min()))
    where = ""
    if max(above, below) >= BEYOND_SHARE:
        side = "above" if above >= below else "below"
        where = (f"; {max(above, below):.0%} of its labels lie {side} every prediction (a trend "
                 "past what training saw? trees cannot follow one, a linear model can: family "
                 "[lightgbm, linear] in tune.search_space)")
    return (f"; but its holdout R^2 is {r2:.3g}: in squared error the holdout's own mean would "
            f"predict it better{where}")


def _typical(metric: str) -> str:
    """What constant_prediction takes of the challenger's predictions, in words."""
    return "median" if metric == "mae" else "average"


def _first(rules: GateRules, y: np.ndarray, challenger: np.ndarray,
           base: dict[str, Any], constants: Sequence[float] = ()) -> Verdict:
    """No champion to compare with: the first model is promoted when it does better on the
    holdout than a constant prediction (a model that learnt nothing better than its average,
    or learnt it backwards, must not start serving). On a holdout large enough to tell (100
    rows, 10 of each class) the reason also says whether that is beyond chance (a one-sided
    paired bootstrap bound above zero). No margin."""
    score, bar, better = _against_constant(rules.metric, y, challenger)
    scores = {**base, "challenger_score": score, "champion_score": None}
    values = np.asarray(y, dtype="float64")
    if not np.isfinite(score):
        # AUC on a one-class holdout: nothing says this model learnt anything. It waits, as a
        # challenger facing a champion would, for a holdout that can tell.
        return Verdict(False, f"no champion yet, and the challenger's holdout {rules.metric} "
                              "cannot be measured on these rows (one class, or one value); "
                              "kept as "
                              "challenger (`tuneloop promote --force --reason ...` overrides)",
                       **scores)
    if not np.isfinite(bar) or np.ptp(values) == 0:
        # One class, or one value: no model can show it tells rows apart (and by Jensen's
        # inequality any varying one loses to its own average on a proper score there).
        return Verdict(True, "no champion yet (a holdout of one class or value: the score "
                             "was not compared with a constant prediction)", **scores)
    if not better:
        return Verdict(False, f"no champion yet, and the challenger's holdout {rules.metric} "
                              f"{score:.5f} is no better than its own {_typical(rules.metric)} "
                              f"prediction's {bar:.5f} for every row", **scores)
    beaten_by = _training_constant_beating(rules.metric, y, score, constants)
    if beaten_by:
        return Verdict(False, f"no champion yet, and the challenger's holdout {rules.metric} "
                              f"{score:.5g} is no better than {beaten_by}", **scores)
    too_few = _too_few_to_tell(y, rules.metric)
    reach = _below_holdout_mean(rules.metric, y, challenger)
    perfect = _near_perfect(y, challenger, rules.metric in TASK_METRICS[REGRESSION]) + reach
    if too_few:
        return Verdict(True, f"no champion yet; holdout {rules.metric} {score:.5g} beats its "
                             f"own {_typical(rules.metric)} prediction's {bar:.5g} for every row "
                             f"({too_few}: too few for a bootstrap to say whether it is "
                             f"beyond chance{_against_shuffles(rules, y, challenger)}){perfect}",
                       **scores)
    # Beyond chance? On a 400-row holdout of noise labels a near-constant model reached AUC
    # 0.527 against 0.5 and started serving without a word (sweep 9). Refusing such a model
    # also refused honest ones two splits in five (wage2: R^2 0.31 on fresh rows, its holdout
    # batch too small to show it; sweep 11), and a project without a champion serves nothing:
    # the first model is promoted, and the reason says what the evidence does not show.
    # One-sided (is it better?), at the gate's confidence: the lower end at 2c - 1.
    delta, low, high = paired_bootstrap(rules.metric, y, challenger,
                                        constant_prediction(rules.metric, challenger),
                                        rules.samples, 2 * rules.confidence - 1, rules.seed)
    bound = f"one-sided {rules.confidence:.0%} lower bound {low:+.5g}"
    if not low > 0:
        return Verdict(True, f"no champion yet; holdout {rules.metric} {score:.5g} beats its "
                             f"own {_typical(rules.metric)} prediction's {bar:.5g} for every "
                             f"row by {delta:.5g}, but not beyond chance (paired bootstrap "
                             f"{bound}): promoted as the first model, "
                             f"{_learnt_words(rules, y, challenger)}; check it before serving "
                             f"it{reach}", **scores)
    return Verdict(True, f"no champion yet; holdout {rules.metric} {score:.5g} beats its own "
                         f"{_typical(rules.metric)} prediction's {bar:.5g} for every row "
                         f"(by {delta:.5g}, "
                         f"paired bootstrap {bound}){perfect}", **scores)


def _order_against_chance(rules: GateRules, y: np.ndarray, pred: np.ndarray,
                          ) -> tuple[float, float] | None:
    """How the predictions order the labels (order_scorer: 2 AUC - 1, or a correlation) and
    the figure shuffled labels reach on the same rows at the gate's confidence; None where
    it is undefined."""
    y, pred = np.asarray(y), np.asarray(pred, dtype="float64")
    order = _order_of(y, pred)
    if not np.isfinite(order) or len(y) < 3:
        return None
    return order, _chance_order(y, pred, _order_of, rules)


def _learnt_words(rules: GateRules, y: np.ndarray, pred: np.ndarray) -> str:
    """What a first model whose metric is not shown beyond a constant's has learnt: nothing
    shown, or an order of the labels beyond what shuffles of them reach (sweep 45b: accuracy
    0.870 and AUC 0.982 over four classes, its log loss 0.886 against a constant's 0.948 with a
    bound of -0.206, was said "not shown to have learnt anything")."""
    found = _order_against_chance(rules, y, pred)
    if found is not None and found[0] > found[1]:
        return (f"though its predictions order the labels at {found[0]:.3f} (2 AUC - 1, or a "
                f"correlation), beyond the {found[1]:.3f} shuffled labels reach: it ranks, "
                f"but its {rules.metric} is not shown better than a constant's")
    return "not shown to have learnt anything"


def _against_shuffles(rules: GateRules, y: np.ndarray, pred: np.ndarray) -> str:
    """What a holdout too small for a bootstrap can still say: whether the predictions order
    its labels beyond what shuffled labels reach on the same rows (a permutation test, valid
    at any size; 50 shuffles place its bound roughly). An 84-row holdout at RMSE 0.017 against
    its average's 19.4 was only "too few to tell" (sweep 34)."""
    found = _order_against_chance(rules, y, pred)
    if found is None:
        return ""
    order, chance = found
    if order > chance:
        return (f", but shuffles of its labels can: its predictions order them at {order:.3f} "
                f"(2 AUC - 1, or a correlation), beyond the {chance:.3f} shuffled labels reach "
                f"on these rows at "
                f"{rules.confidence:.0%}")
    return (f"; nor do shuffles of its labels show it: its predictions order them at "
            f"{order:.3f} (2 AUC - 1, or a correlation), within the {chance:.3f} shuffled "
            "labels reach on these rows: not "
            "shown to have learnt anything, check it before serving it")


NEAR_PERFECT = 0.99  # an order figure (order_scorer) this high: AUC 0.995
# ... or for a regression a correlation this high (R^2 0.996): an honest fit of a target the
# features nearly fix reaches r 0.99 (births a day by weekday and holiday: 0.992, told "a
# leak" by the caveat: sweep 50b), a noisy copy of the target 0.999.
NEAR_PERFECT_R = 0.998


def _near_perfect(y: np.ndarray, pred: np.ndarray, regression: bool = False) -> str:
    """A caveat for a first model that orders its holdout almost perfectly: what a column
    recorded after the outcome makes (sweep 33: a noisy copy of the target held out at R^2
    0.999, init's one line about it long scrolled away, and nothing said again)."""
    order = _order_of(y, pred)
    if not np.isfinite(order) or order < (NEAR_PERFECT_R if regression else NEAR_PERFECT):
        return ""
    if np.ndim(pred) == 2 and np.shape(pred)[1] > 2:
        # One-vs-rest orders saturate with many classes: an honest 22-class model at accuracy
        # 0.941 ordered its holdout at 0.9955 and was given the leak caveat (sweep 39). Near
        # perfect there means the classes themselves almost all right.
        right = float(np.mean(np.argmax(pred, axis=1) == np.asarray(y)))
        if right < NEAR_PERFECT:
            return ""
    return (f"; it orders the holdout almost perfectly ({order:.4f}; 1 is perfect): a "
            "feature known only after the outcome would do this (a leak: the model fails on "
            "new rows), so check the features whether or not `tuneloop init` named one (it "
            "names a column that alone, or two or three together, predict the target nearly "
            "exactly; a leak can stay below its bars), unless the rows are units seen in "
            "training whose levels differ far more than they change (a panel: countries' "
            "populations year on year)")


def _below_constant(metric: str, y: np.ndarray, challenger: np.ndarray,
                    constants: Sequence[float] = ()) -> str:
    """A caveat for a challenger promoted over a champion yet no better than its own average
    prediction for every row (the champion worse still): it serves, being the better of the
    two, and the reason says what it has not shown (sweep 20: promoted at R^2 -0.185)."""
    if np.ptp(np.asarray(y, dtype="float64")) == 0:
        return ""  # one class or value: any varying model loses to its own average (_first)
    score, bar, better = _against_constant(metric, y, challenger)
    if not (np.isfinite(score) and np.isfinite(bar)):
        return ""
    if better:
        beaten_by = _training_constant_beating(metric, y, score, constants)
        return f"; but its holdout {metric} {score:.5g} is no better than {beaten_by}" \
            if beaten_by else ""
    return (f"; but its holdout {metric} {score:.5g} is no better than its own "
            f"{_typical(metric)} prediction's {bar:.5g} for every row: check the target and "
            "features before relying on it")


def order_scorer(y: np.ndarray, pred: np.ndarray) -> Scorer:
    """score(w): how well predictions order the labels, with row weights, on a scale where
    chance is 0 and a perfect order 1, whatever the gate metric: 2 AUC - 1 (binary), 2 x the
    macro one-vs-rest AUC - 1 (multiclass), the Pearson correlation (regression). Neither a
    threshold nor the labels' scale moves it: a batch whose positive rate or target scale
    shifted is still ordered as well, where accuracy or rmse against a constant is not."""
    pred = np.asarray(pred, dtype="float64")
    if pred.ndim == 2:
        auc = _multiclass_scorer("auc_ovr", np.asarray(y, dtype="int64"), pred)
        return lambda w: 2.0 * auc(w) - 1.0
    values = np.asarray(y, dtype="float64")
    if np.isin(values, (0.0, 1.0)).all() and ((0.0 <= pred) & (pred <= 1.0)).all():
        auc = _weighted_auc(values, clip(pred))
        return lambda w: 2.0 * auc(w) - 1.0

    def correlation(w: np.ndarray) -> float:
        total = float(w.sum())
        dy, dp = values - _dot(w, values) / total, pred - _dot(w, pred) / total
        spread = np.sqrt(_dot(w, dy ** 2) * _dot(w, dp ** 2))
        return _dot(w, dy * dp) / spread if spread > 0 else float("nan")

    return correlation


def order_figure(task: str, metrics: dict[str, float]) -> float | None:
    """The order_scorer figure of a model's holdout metrics (as evaluation logs them): from
    AUC (binary), one-vs-rest AUC (multiclass), or R^2 (regression: a calibrated model's
    correlation is about its square root). None where the metric was not recorded."""
    key = {BINARY: "auc", MULTICLASS: "auc_ovr", REGRESSION: "r2"}.get(task)
    value = metrics.get(key) if key else None
    if value is None or not np.isfinite(value):
        return None
    return float(np.sqrt(max(value, 0.0))) if task == REGRESSION else 2.0 * float(value) - 1.0


def weighted_ovr_order(y: np.ndarray, pred: np.ndarray) -> float:
    """2 x the one-vs-rest AUC averaged over classes weighted by their rows - 1 (classes the
    rows hold both in and out of); nan where none can be scored. Evaluation keeps the scored
    fit's figure (meta `holdout_order_weighted`), so a refit is held to its champion's."""
    from sklearn.metrics import roc_auc_score

    total, weight = 0.0, 0
    for k in range(pred.shape[1]):
        mine = y == k
        count = int(mine.sum())
        if 0 < count < len(y):
            total += count * float(roc_auc_score(mine, pred[:, k]))
            weight += count
    return 2.0 * total / weight - 1.0 if weight else float("nan")


def _both_below_chance(y: np.ndarray, challenger: np.ndarray, champion: np.ndarray) -> str:
    """A note for a refused challenger when neither model orders the holdout's labels better
    than chance: the batch's labels, not the models, are what to check (sweep 31: a season of
    flipped labels said only "not above the margin")."""
    orders = [_order_of(y, p) for p in (challenger, champion)]
    if not all(np.isfinite(o) and o <= 0 for o in orders) or \
            np.ptp(np.asarray(y, dtype="float64")) == 0:
        return ""
    return (f"; neither orders the holdout's labels better than chance (challenger "
            f"{orders[0]:+.3f}, champion {orders[1]:+.3f}; 0 is chance): check the newest "
            "batch's labels (`tuneloop data withdraw BATCH --reason ...` takes it out of the "
            "window)")


def _newest_batch_check(rules: GateRules, y: np.ndarray, pred: np.ndarray,
                        champion_order: float | None = None,
                        champion_error: float | None = None,
                        champion_weighted: float | None = None) -> tuple[str, str]:
    """What a refit's scored predictions say of the newest holdout batch(es) it would learn:
    (why they must not be learnt, or ""; a caveat for the reason, or ""). By how well the
    predictions order the labels (order_scorer), not by the gate metric, which a shifted
    positive rate or scale moves though the labels still follow the features. Refused when
    they order them no better than chance, or keep less than `min_lift_kept` of the order the
    champion showed on its own holdout (`champion_order`, order_figure: 40% of a batch's labels
    flipped left AUC 0.54 of the champion's 0.96, beyond chance on 599 rows); a caveat when
    better but not beyond chance on a holdout large enough to tell (a weak honest signal still
    learns); no better than chance beside a champion whose own order was within chance is a
    caveat, unless reversed beyond what chance reaches. Held to the champion's figure only
    where that figure is more than an order
    labels in no relation to the predictions reach on this holdout (`_chance_order`): a
    champion ordering its own holdout at 0.065 (AUC 0.53, itself not beyond chance) refused,
    on 250 rows, a refit at 0.020 that beat it there by 0.045 AUC and blamed the batch (sweep
    33); a floor no holdout of that size can tell from chance holds nothing to it."""
    scorer = order_scorer(y, pred)
    order = float(scorer(np.ones(len(y))))
    values = np.asarray(y, dtype="float64")
    if not np.isfinite(order) or np.ptp(values) == 0:
        return "", ""  # one class or one value: nothing to tell either way
    rows = np.asarray(pred, dtype="float64").reshape(len(y), -1)
    _, counts = np.unique(rows, axis=0, return_counts=True)
    if counts.max() >= ONE_VALUE_SHARE * len(rows):
        # One prediction for every row orders nothing, and says nothing of the labels: the
        # fit's fault (trending features past every value a tree learnt), not the batch's
        # (sweep 44a: ggplot2 economics, an honest batch blamed as "a broken export").
        return "", (f"; but its predictions are one value on {ONE_VALUE_SHARE:.0%} or more "
                    "of the newest holdout's rows (its features past every value it learnt, a "
                    "trend? or blank or constant in that batch, a broken export?): they say "
                    "nothing of that batch's labels")
    weak, chance = "", None
    if order <= 0:
        chance = None if champion_order is None else _chance_order(
            np.asarray(y), np.asarray(pred, dtype="float64"), _order_of, rules)
        if chance is None or champion_order > chance or order < -chance:
            return (f"its predictions order the newest holdout's labels no better than chance "
                    f"(order {order:+.3f}; 0 is chance, 1 a perfect order)"), ""
        # Below zero by no more than chance reaches, beside a champion whose own order was
        # within chance too: an honest batch of a target with little signal orders so (a
        # coin-flip target's honest refits fell below chance 11 times in 40: the second
        # review). A caveat; the checks below still apply. Reversed beyond chance (labels
        # negated: the review of this change) is refused whatever the champion.
        weak = (f"; but its predictions order the newest holdout's labels no better than "
                f"chance (order {order:+.3f}; 0 is chance, 1 a perfect order), as the "
                f"champion's own order {champion_order:.3f} did its holdout (both within the "
                f"{chance:.3f} chance reaches on these rows): the target may carry little "
                "signal within a batch; check that batch's labels")
    if np.ndim(pred) == 2:
        # By rows too: the macro average gives each class one vote, so two large classes
        # swapped (57% of a batch's rows mislabelled) left 0.69 of the champion's 0.96 and the
        # refit that learnt them was promoted (sweep 31). Against chance only: the champion's
        # figure is a macro one, on another scale (the review: an honest ordinal target's
        # weighted order is far below its macro order).
        labels, scores = np.asarray(y, dtype="int64"), np.asarray(pred, dtype="float64")
        weighted = weighted_ovr_order(labels, scores)
        if np.isfinite(weighted) and weighted <= 0 and (not weak or weighted < -_chance_order(
                labels, scores, weighted_ovr_order, rules)):
            return (f"its predictions order the newest holdout's labels no better than chance "
                    f"when each class counts by its rows (order {weighted:+.3f}, by classes "
                    f"{order:+.3f}; 0 is chance, 1 a perfect order)"), ""
        if np.isfinite(weighted) and champion_weighted is not None and \
                weighted < rules.min_lift_kept * champion_weighted and \
                champion_weighted > _chance_order(labels, scores, weighted_ovr_order, rules):
            return (f"its predictions order the newest holdout's labels at {weighted:.3f} when "
                    f"each class counts by its rows, {weighted / champion_weighted:.0%} of the "
                    f"champion's {champion_weighted:.3f} on its own holdout (by classes "
                    f"{order:.3f}; 0 is chance, 1 a perfect order; promote.refit_min_lift_kept "
                    f"{rules.min_lift_kept:g})"), ""
    if rules.metric in TASK_METRICS[REGRESSION]:
        changed = _another_unit(values, np.asarray(pred, dtype="float64"), champion_error)
        if changed:
            return changed, ""
    if champion_order is not None and order < rules.min_lift_kept * champion_order and \
            champion_order > (chance if chance is not None else _chance_order(
                np.asarray(y), np.asarray(pred, dtype="float64"), _order_of, rules)):
        return (f"its predictions order the newest holdout's labels at {order:.3f}, "
                f"{order / champion_order:.0%} of the champion's {champion_order:.3f} on its "
                f"own holdout (0 is chance, 1 a perfect order; promote.refit_min_lift_kept "
                f"{rules.min_lift_kept:g})"), ""
    if weak or _too_few_to_tell(y, rules.metric):
        return "", weak
    # For a caveat only: a few hundred resamples place the bound; the gate's own thousand
    # cost seconds per refit on a large holdout.
    draws = resampled(scorer, len(y), min(rules.samples, CAVEAT_SAMPLES), rules.seed)
    low = float(np.nanquantile(draws, 1 - rules.confidence))
    if low > 0:
        return "", ""
    return "", (f"; but its predictions order the newest holdout's labels at {order:.3f}, not "
                f"beyond chance (one-sided {rules.confidence:.0%} lower bound {low:+.3f}): "
                "check that batch's labels")


ONE_VALUE_SHARE = 0.9  # rows of one prediction that order nothing (_newest_batch_check)
CHANCE_SHUFFLES = 50
CHANCE_ROWS = 20_000


def _order_of(y: np.ndarray, pred: np.ndarray) -> float:
    return float(order_scorer(y, pred)(np.ones(len(y))))


def _chance_order(y: np.ndarray, pred: np.ndarray,
                  order: Callable[[np.ndarray, np.ndarray], float], rules: GateRules) -> float:
    """The order figure labels in no relation to the predictions reach on these rows, at the
    gate's confidence: `order` over CHANCE_SHUFFLES shuffles of the labels, seeded. Over
    CHANCE_ROWS rows, on a sample of that many, scaled by the square root of the rows' ratio:
    an order figure's spread under shuffling falls as one over the root of the rows (a rank
    or correlation statistic), and 50 shuffles of a 300,000-row, 10-class holdout took 43 s."""
    rng = np.random.default_rng(rules.seed)
    scale = 1.0
    if len(y) > CHANCE_ROWS and _samples_every_class(y):
        kept = rng.choice(len(y), CHANCE_ROWS, replace=False)
        scale = math.sqrt(CHANCE_ROWS / len(y))
        y, pred = y[kept], pred[kept]
    draws = [order(rng.permutation(y), pred) for _ in range(CHANCE_SHUFFLES)]
    return scale * float(np.nanquantile(draws, rules.confidence))


def _samples_every_class(y: np.ndarray) -> bool:
    """Whether a sample of CHANCE_ROWS rows keeps CHANCE_CLASS_ROWS rows of every class, as
    expected (a regression's values: always): the null spread of an order figure rests on the
    rarer class's rows, and 5 positives in 100,000 left none in some samples, a NaN that let a
    refit past its floor (the review). Otherwise every row is shuffled."""
    values, counts = np.unique(y, return_counts=True)
    if len(values) > CHANCE_CLASSES:
        return True  # a regression's values
    return bool(counts.min() * CHANCE_ROWS / len(y) >= CHANCE_CLASS_ROWS)


CHANCE_CLASSES = 100  # more distinct labels than this: a regression's values
CHANCE_CLASS_ROWS = 200


# A regression refit's newest labels read as sent in another unit (tuneloop.gate._another_unit):
# their scale against the predictions outside this band beyond two standard errors, with the
# scale explaining the error a shift does not; or a shift of this many spreads.
UNIT_SCALE = 1.5
UNIT_SHIFT = 5.0
# ... or an error this many times the champion's own holdout rmse that the scale's map brings
# back within UNIT_SCALE times it.
UNIT_USUAL = 3.0
UNIT_LEVEL = 1.2  # ... with the labels' level moved by this factor or more
# ... or a level moved by UNIT_SCALE with the scale kept, by a shift this many times the
# champion's holdout rmse
UNIT_LEVEL_USUAL = 2.0
# ... or a shift alone, whatever the level, this many times both the rest of the error and
# the champion's holdout rmse
UNIT_SHIFT_USUAL = 2.0


def _another_unit(y: np.ndarray, pred: np.ndarray, usual: float | None = None) -> str:
    """Why the newest holdout's labels look sent in another unit than the predictions of a fit
    that never saw them, or "". Order alone cannot tell: a unit keeps it (sweep 29: a month of
    temperatures in Celsius among Fahrenheit ones ordered as well as ever, the refit learnt it
    and was promoted, and the next month was served at 5 times the error). Against the
    predictions, y = a x prediction + b: a unit changes a (degrees C for F is x0.556, cents for
    dollars x100) and either moves the labels' level by the same factor (a positive quantity's
    multiple) or explains nearly all of the error. A noisy model that over- or under-disperses
    its predictions has a off 1 but keeps the level and an error the map barely reduces, and a
    trend shifts the labels without a scale; a growth of the level by half or more within one
    batch, or a low-noise model whose predictions are shrunk to half their spread, does read as
    one (the review): refused, the next retrain re-tunes, which the gate judges by superiority.
    A shift alone counts only when far beyond the batch's spread and half its level (kelvin
    for Celsius). Given the champion's holdout rmse (`usual`): a scale beyond the band whose
    map leaves about the champion's usual error of an error many times it (sweep 31: births
    sent x1.3 to a model of R^2 0.4, slope 1.58, the level 1.3 times: an error 7 times the
    champion's, 329 of 3,377 left by the map, was learnt and promoted)."""
    ok = np.isfinite(y) & np.isfinite(pred)
    y, pred = y[ok], pred[ok]
    if len(y) < 10 or np.ptp(pred) == 0 or np.ptp(y) == 0:
        return ""
    centred, error = pred - pred.mean(), y - pred
    slope = float(centred @ (y - y.mean()) / (centred @ centred))
    mapped = y - y.mean() - slope * centred
    se = float(np.sqrt(mapped @ mapped / (len(y) - 2) / (centred @ centred)))

    def rms(v: np.ndarray) -> float:
        return float(np.sqrt(np.mean(v ** 2)))

    shifted = rms(error - error.mean())
    spread = float(max(np.std(y), np.std(pred)))
    scaled = slope + 2 * se < 1 / UNIT_SCALE or slope - 2 * se > UNIT_SCALE
    # A multiple of a positive quantity moves its level by the same factor as its scale (a
    # check time sent x3: slope 3.2, levels 3 times apart, though the model explains only
    # part of it, r2 0.44: sweep 30); an over- or under-dispersed model keeps the level.
    level = float(y.mean() / pred.mean()) if y.mean() > 0 and pred.mean() > 0 else 1.0
    multiple = scaled and not 1 / UNIT_SCALE <= level <= UNIT_SCALE and \
        1 / UNIT_SCALE <= level / slope <= UNIT_SCALE
    # A positive quantity whose level moved against its scale: no unit's map does that.
    converging = bool(y.mean() > 0 and pred.mean() > 0 and (slope - 1) * (level - 1) < 0)
    if multiple:
        seen = (f"at {slope:.3g} times their scale and {level:.3g} times their level (labels "
                f"= {slope:.3g} x prediction {y.mean() - slope * pred.mean():+.4g})")
    elif scaled and rms(mapped) < 0.5 * shifted and rms(error) > 3 * rms(mapped) and \
            not converging:
        # A unit's map moves a positive quantity's level the way it moves its scale (degrees
        # C for F: x0.556, the level a fifth); a level that rose as the spread shrank is a
        # trend pulling the groups together: a TV and a PC price index both falling, the
        # newest batch 0.5 x a lagging model's predictions + 6.2 at twice its level, was
        # refused as another unit and the loop served a model three times worse (sweep 43).
        seen = (f"at {slope:.3g} times their scale (labels = {slope:.3g} x prediction "
                f"{y.mean() - slope * pred.mean():+.4g} leaves {rms(mapped):.4g} of an error of "
                f"{rms(error):.4g})")
    elif usual is not None and usual > 0 and not 1 / UNIT_LEVEL <= slope <= UNIT_LEVEL and \
            abs(slope - 1) > 2 * se and not 1 / UNIT_LEVEL <= level <= UNIT_LEVEL and \
            rms(error) > UNIT_USUAL * usual and rms(mapped) < UNIT_SCALE * usual and \
            not converging:
        # Scale and level both moved by a fifth or more, the slope off 1 by two standard
        # errors: gapminder's life expectancy x1.3 to a good model (slope 1.30, error 14 times
        # the champion's, 1.1 times it after the map) was learnt (sweep 32); a weak model's
        # noisy slope on a small batch whose level moved a little (a trend) is no unit (the
        # review).
        seen = (f"at {slope:.3g} times their scale (labels = {slope:.3g} x prediction "
                f"{y.mean() - slope * pred.mean():+.4g} leaves {rms(mapped):.4g} of an error of "
                f"{rms(error):.4g}, {rms(error) / usual:.3g} times the champion's rmse "
                f"{usual:.4g} on its own holdout)")
    elif usual is not None and usual > 0 and y.mean() > 0 and pred.mean() > 0 and \
            not 1 / UNIT_SCALE < level < UNIT_SCALE and \
            1 / UNIT_SCALE <= slope <= UNIT_SCALE and abs(error.mean()) > shifted and \
            abs(error.mean()) > UNIT_LEVEL_USUAL * usual:
        # A level moved by half or more with the scale kept, the move the larger part of the
        # error and many times the champion's own: a constant added to every label (sweep 51b:
        # food shares sent +1, their level 1.62 times the predictions', slope 1.24, a shift
        # of 1.03 over the rest's 0.61 and 2.3 times the champion's rmse 0.44, fell through
        # every branch above; the refit learnt it and served the next batch at rmse 1.18
        # against 0.25). Not held to `converging`: a constant added keeps whatever slope the
        # model's spread gives (sweep 51d: pass rates +32 at slope 0.78 were learnt), and a
        # trend pulling groups together halves the slope, outside this band (sweep 43: 0.5).
        seen = (f"shifted by {error.mean():+.4g} at {level:.3g} times their level, more than "
                f"the rest of the error ({shifted:.4g}) and {abs(error.mean()) / usual:.3g} "
                f"times the champion's rmse {usual:.4g} on its own holdout")
    elif usual is not None and usual > 0 and 1 / UNIT_SCALE <= slope <= UNIT_SCALE and \
            abs(error.mean()) > UNIT_SHIFT_USUAL * usual and \
            abs(error.mean()) > UNIT_SHIFT_USUAL * shifted:
        # A shift alone, the scale kept, twice the rest of the error and twice the champion's
        # own rmse, whatever the level: a log target (or one far from zero) cannot show a
        # level's ratio (sweep 53e: log wages +1, wages x2.7, a level only 1.15 times the
        # predictions', were learnt; the refit served the next batch at a bias of +1.0). No
        # honest refit of bench/refit_checks.py's 112 was so; over 2,635 honest batches of 213
        # time-ordered tables, 5 were, each a real trend (bench/README.md, *Refit checks*).
        seen = (f"shifted by {error.mean():+.4g}, {abs(error.mean()) / shifted:.3g} times the "
                f"rest of the error ({shifted:.4g}) and {abs(error.mean()) / usual:.3g} times "
                f"the champion's rmse {usual:.4g} on its own holdout (if the jump is real, a "
                "later refit, this batch in its window, learns it where the next batch bears "
                "it out)")
    elif abs(error.mean()) > UNIT_SHIFT * spread and \
            abs(error.mean()) > 0.5 * abs(float(pred.mean())):
        # Far beyond the batch's spread and a good part of the level itself (kelvin for
        # Celsius): a trending series of narrow batches moves many spreads, not its level (the
        # review: 400 +/- 0.3 labels 2.5 higher were refused).
        seen = (f"shifted by {error.mean():+.4g}, {abs(error.mean()) / spread:.0f} times their "
                "spread")
    else:
        return ""
    return (f"the newest holdout's labels follow the predictions of a fit that never saw them "
            f"{seen}: {UNIT_REFUSAL}, or a change too large to learn unchecked")


SHUFFLED_CLEAR = 2.0  # the champion's own order over the chance bar, for _shuffled_batch
# The rows of a class the champion expected on a binary holdout holding none, above which the
# batch's one class is no chance (e^-5: under 1%).
ABSENT_EXPECTED = 5.0


def _undefined_reason(metric: str, y: Any, champion: Any, defined: bool = False) -> str:
    """Why a holdout of one class refuses, in the ledger's words (UNDEFINED_REFUSAL) where
    the missing classes are no chance by the champion's own predictions (sweep 51b: a partial
    export of one class); other words where a class this rare can miss a batch this small
    (the review: at 2% positives, 13% of 100-row batches hold none, and each would be named
    as a batch to withdraw). `defined`: the metric has a value there (log loss, accuracy), but
    on one class's rows it tells nothing of how a model sets the classes apart (sweep 52b: a
    re-tune promoted on 27 rows of one class, and the next refit was held to no order)."""
    labels = np.asarray(y)
    proba = np.asarray(champion, dtype="float64")
    values = np.unique(labels)
    expected = None
    if len(values) == 1 and len(proba) == len(labels):
        if proba.ndim == 1:  # the missing class's expected rows: the positive's, or the rest
            expected = float(np.sum(1.0 - proba) if int(values[0]) == 1 else np.sum(proba))
        elif proba.ndim == 2 and 0 <= int(values[0]) < proba.shape[1]:
            expected = float(np.sum(1.0 - proba[:, int(values[0])]))
    other = "the other" if proba.ndim == 1 else "the others"
    what = "the holdout's class order" if defined else f"holdout {metric}"
    why = f", so its {metric} compares nothing of how the models set the classes apart" \
        if defined else ""
    if expected is None:
        return f"{what} is {UNDEFINED_REFUSAL} (e.g. one class only){why}"
    if expected < ABSENT_EXPECTED:
        return (f"{what} cannot be measured on these rows: one class only, where the champion "
                f"expected {expected:.1f} of {other} (a class this rare can miss a batch this "
                f"small){why}")
    return (f"{what} is {UNDEFINED_REFUSAL}: one class only, where the champion expected "
            f"{expected:.0f} rows of {other} (a partial export?){why}")


# The words of every refusal for a target in another unit: the decision ledger finds such a
# batch by them (decisions.Ledger.unit_suspects).
UNIT_REFUSAL = "a target sent in another unit or export"
# And of every refit refused on its newest batch's labels (_newest_batch_check): the ledger
# names that batch too while it stays in the window (sweep 48b: a batch of shuffled rates
# spoiled the next retrains, refused each, and nothing named it).
NEWEST_REFUSAL = "newest batch's labels may not follow its features"
# And of a retrain refused on a holdout its metric is undefined on (a binary batch of one
# class): the ledger names that batch while it stays in the window (sweep 51b: a partial
# export of one class, refused so, became the next re-tune's validation batch unnamed, and
# the study chose a model that held out at log loss 1.00 against the defaults' 0.60).
UNDEFINED_REFUSAL = "undefined on these rows"


PER_ROW_MULTICLASS = frozenset({"logloss", "accuracy"})
CAVEAT_SAMPLES = 200
FIRST_CI_ROWS = 100      # a first holdout this large (and 10 rows of each class) gets the CI
FIRST_CI_CLASS_ROWS = 10


def _too_few_to_tell(y: np.ndarray, metric: str) -> str | None:
    """Why a holdout is too small for the first model's bootstrap to mean anything, or None."""
    y = np.asarray(y)
    if len(y) < FIRST_CI_ROWS:
        return f"a holdout of {len(y)} rows"
    if metric in TASK_METRICS[REGRESSION]:
        return None
    _, counts = np.unique(y, return_counts=True)  # encoded labels: no class names here
    if counts.min() >= FIRST_CI_CLASS_ROWS:
        return None
    if len(counts) > 2 and metric in PER_ROW_MULTICLASS:
        # A per-row score over a holdout of three or more classes: rows, not the rarest
        # class, bound its noise. One row of one class in 4,460 said "too few to tell" of
        # logloss 0.016 against 0.64 (sweep 12). Two-class holdouts keep the rule (binary AUC
        # and F1 rest on the rarer class; Default's 33 positives a batch), as do macro F1 and
        # one-vs-rest AUC.
        return None
    return f"a holdout of {len(y)} rows, {int(counts.min())} of its rarest class"


def decide(rules: GateRules, y: np.ndarray, challenger: np.ndarray,
           champion: np.ndarray | None, cost: dict[str, float],
           tolerance: float | None = None, champion_order: float | None = None,
           champion_error: float | None = None, champion_weighted: float | None = None, *,
           constants: Sequence[float] = (), learns_holdout: bool = False,
           window_note: Callable[[], str] | None = None) -> Verdict:
    """Promote or not, and why. `challenger`/`champion` are holdout predictions (the task's
    shape) on the same rows as `y`; `cost` holds the challenger's latency_ms_per_1k and
    size_bytes.

    `tolerance` set: a non-inferiority test, for a refit of the champion's own configuration on
    newer data. What it gains (the newest batch) cannot show on a holdout it was not scored on,
    so it must only not be worse: the CI's lower end above -tolerance for a score on a fixed
    scale (AUC, accuracy, F1, r2), above -tolerance x the champion's holdout figure for a loss
    (log loss, Brier, rmse, mae: in the target's units, so one setting fits an error in cents
    and one in dollars). A refit learns the holdout once scored, and no comparison on it can
    test what that adds: its predictions must also order the holdout's labels better than
    chance (unless the champion's own order was within chance too, and theirs not reversed
    beyond it) and, given `champion_order` (order_figure of the champion's own holdout
    metrics), keep `min_lift_kept` of that order (_newest_batch_check); `tuneloop promote VERSION
    --force --reason ...` overrides.

    A re-tune (no `tolerance`) that `learns_holdout` (evaluate.refit_on_holdout: refit on the
    newest batch once promoted) is held to the unit check too, for a regression: a batch in
    another unit drops the realized metric far enough to re-tune at once, and the re-tune,
    better than the champion on it, learnt what the refit had been refused (sweep 37).
    `champion_error` (the champion's holdout rmse) is given for it too. `window_note`
    (called only then: departing_batch's words on the refit's training window) joins a
    refusal of a refit's probabilities, naming the batch to check."""
    base = {"metric": rules.metric, "margin": rules.margin}
    failures = constraint_failures(rules, cost)
    if failures:
        return Verdict(False, "constraints not met: " + "; ".join(failures), **base)
    if champion is None:
        return _first(rules, y, challenger, base, constants)
    delta, low, high = paired_bootstrap(rules.metric, y, challenger, champion, rules.samples,
                                        rules.confidence, rules.seed)
    delta, low, high = delta + 0.0, low + 0.0, high + 0.0  # no "-0" in a reason
    ones = np.ones(len(y))
    scores = {"challenger_score": weighted_scorer(rules.metric, y, challenger)(ones),
              "champion_score": weighted_scorer(rules.metric, y, champion)(ones)}
    full = {**base, "delta": delta, "ci": (low, high), "confidence": rules.confidence, **scores}
    pct = f"{rules.confidence:.0%} CI"
    if not np.isfinite(delta) or (rules.metric not in TASK_METRICS[REGRESSION]
                                  and len(np.unique(y)) == 1):
        return Verdict(False, _undefined_reason(rules.metric, y, champion,
                                                defined=bool(np.isfinite(delta))), **full)
    # Every promotion says so when the challenger is no better than a constant (sweep 23: a
    # refit at holdout R^2 -41, its own average far better, was promoted without a word).
    below = _below_constant(rules.metric, y, challenger, constants)
    if tolerance is not None:
        # A refit learns the newest batch, and no comparison on it can test what that adds: the
        # batch must at least be one its configuration still predicts. A batch whose labels do
        # not follow its features (a broken export, labels shuffled or flipped) was learnt and
        # served without a word (sweep 12: AUC 0.54, R^2 -0.11 on the batch).
        worse, caveat = _newest_batch_check(rules, y, challenger, champion_order,
                                            champion_error, champion_weighted)
        if worse:
            return Verdict(False, f"refit of the champion's configuration refused: {worse}; the "
                                  f"{NEWEST_REFUSAL} (a broken "
                                  "export of either: labels shuffled, a feature in another "
                                  "unit; or a change a refit cannot learn), so the refit that "
                                  "learnt it does not serve: check the batch, or one before "
                                  "it whose retrain was refused so too (`tuneloop data "
                                  "withdraw BATCH --reason ...` takes it out of the window; "
                                  "`tuneloop promote <this version> --force --reason ...` serves "
                                  "the refit anyway)",
                           **full)
    if tolerance is not None:
        spoilt = _worse_calibrated(rules, y, challenger, champion, window_note)
        if spoilt:
            return Verdict(False, f"refit of the champion's configuration refused: {spoilt}",
                           **full)
    if tolerance is not None and np.shape(challenger) == np.shape(champion) and np.allclose(
            np.asarray(challenger, dtype="float64"), np.asarray(champion, dtype="float64"),
            rtol=0.0, atol=1e-12):
        # The champion was refit on its own holdout, so the refit's scored fit (the same
        # configuration on the same rows) is the champion: a bootstrap of nothing said
        # "CI [-5.5511e-17, +5.5511e-17]" and the reason implied a comparison.
        return Verdict(True, f"refit of the champion's configuration: it scores as the champion "
                             f"on every holdout row ({rules.metric} "
                             f"{scores['champion_score']:.5g}), being the same configuration "
                             "fit on the same rows; what it adds is the newest batch, learnt "
                             f"after scoring{caveat}{below}",
                       **{**full, "delta": 0.0, "ci": (0.0, 0.0)})
    if tolerance is not None:
        champion_score = scores["champion_score"]
        if rules.metric in LOWER_IS_BETTER:  # an error in the target's own units: a share
            allowed = tolerance * abs(champion_score)
            bound = f"-{allowed:.5g} ({tolerance:.2%} of the champion's {champion_score:.5g})"
        else:  # a score on a fixed scale (AUC, accuracy, F1, r2): as it is
            allowed, bound = tolerance, f"-{tolerance:g}"
        versus = (f"holdout {rules.metric} {scores['challenger_score']:.5g} vs the champion's "
                  f"{champion_score:.5g}, improvement {delta:+.5g} (positive: better)")
        if low > -allowed:
            return Verdict(True, f"refit of the champion's configuration: {versus}, paired "
                                 f"bootstrap {pct} [{low:+.5g}, {high:+.5g}] not below {bound}"
                                 f"{caveat}{below}", **full)
        if delta >= 0 and (high - low) / 2 > allowed:
            # Better by its estimate, on a holdout that cannot measure a loss that small: sweep
            # 24's ~200 rows had a CI fifty times the tolerance, and refusing it (sweep 33: the
            # batches init cuts, 300-1,000 rows) froze `auto` on its first model, ending as
            # `never`, where `every`'s refits (the champion itself, scored) all served. The
            # champion's configuration on newer rows is no worse than the estimate says; the
            # reason says what the holdout cannot show.
            return Verdict(True, f"refit of the champion's configuration: {versus}; no worse "
                                 f"by its estimate, though a holdout of {len(y)} rows measures "
                                 f"the difference only to +/-{(high - low) / 2:.3g} (paired "
                                 f"bootstrap {pct} [{low:+.5g}, {high:+.5g}]), more than the "
                                 f"{allowed:.3g} promote.refit_tolerance allows a refit to "
                                 f"lose{caveat}{below}", **full)
        return Verdict(False, f"refit of the champion's configuration not shown to be no "
                              f"worse: {versus}, paired bootstrap {pct} [{low:+.5g}, "
                              f"{high:+.5g}] reaches below {bound}", **full)
    versus = (f"holdout {rules.metric} {scores['challenger_score']:.5g} vs the champion's "
              f"{scores['champion_score']:.5g}: improvement {delta:+.5g}")
    if learns_holdout and rules.metric in TASK_METRICS[REGRESSION] and champion is not None:
        labels = np.asarray(y, dtype="float64")
        changed = _another_unit(labels, np.asarray(challenger, dtype="float64"), champion_error)
        # A unit moves the labels against every model that never saw them, the champion too;
        # a re-tune whose predictions alone are compressed (an early-stopped, regularised
        # model: slope 1.6, level kept) against labels the champion still follows is no unit
        # (the review: an honest re-tune 37% better was refused).
        if changed and _another_unit(labels, np.asarray(champion, dtype="float64"),
                                     champion_error):
            return Verdict(False, f"{versus}, but {changed}, and the champion's predictions "
                                  "read so too: promoted, the re-tune would be refit on that "
                                  "batch (evaluate.refit_on_holdout): check the batch "
                                  "(`tuneloop data withdraw BATCH --reason ...` takes it out of "
                                  "the window); if the change is real, `tuneloop promote <this "
                                  "version> --force --reason ...` serves this one (a later "
                                  "retrain learns it once its candidates' predictions follow "
                                  "it)", **full)
    # Rounding must not promote an improvement equal to the margin (1.0 - 0.98 > 0.02 in floats).
    if not delta > rules.margin or np.isclose(delta, rules.margin, rtol=1e-9, atol=1e-12):
        return Verdict(False, f"{versus} is not above the margin {rules.margin}"
                              f"{_both_below_chance(y, challenger, champion)}", **full)
    if not low > 0:
        return Verdict(False, f"{versus} but its paired bootstrap {pct} [{low:+.5g}, "
                              f"{high:+.5g}] includes zero"
                              f"{_both_below_chance(y, challenger, champion)}", **full)
    shuffled = _shuffled_batch(rules, y, challenger, champion, champion_order)
    if shuffled:
        return Verdict(False, f"{versus} > margin {rules.margin}, paired bootstrap {pct} "
                              f"[{low:+.5g}, {high:+.5g}], but {shuffled}; the "
                              f"{NEWEST_REFUSAL} (a broken export: labels shuffled or "
                              "flipped), so the re-tune that learnt it does not serve: check "
                              "the batch (`tuneloop data withdraw BATCH --reason ...` takes it "
                              "out of the window; `tuneloop promote <this version> --force "
                              "--reason ...` serves the re-tune anyway)", **full)
    unlearnt = _orders_nothing_beside(rules, y, challenger, champion)
    if unlearnt:
        return Verdict(False, f"{versus} > margin {rules.margin}, paired bootstrap {pct} "
                              f"[{low:+.5g}, {high:+.5g}], {unlearnt}", **full)
    return Verdict(True, f"{versus} > margin {rules.margin}, paired bootstrap {pct} "
                         f"[{low:+.5g}, {high:+.5g}]{below}", **full)


# A refit's holdout log loss worse than the champion's by more than this share of it, beyond
# the gate's doubt, refuses it where the gate metric reads only the order (_worse_calibrated).
CALIBRATION_SHARE = 0.25


def _worse_calibrated(rules: GateRules, y: np.ndarray, challenger: np.ndarray,
                      champion: np.ndarray,
                      suspect: Callable[[], str] | None = None) -> str:
    """Why a binary refit's probabilities must not serve, or "": where the gate metric reads
    only the order or a threshold (AUC, F1, accuracy), its holdout log loss is worse than the
    champion's by more than CALIBRATION_SHARE of it, the paired bootstrap's whole interval so.
    The same configuration on a window reaching further has no honest reason to be so much
    less sure of the truth on rows neither saw: a batch whose labels a broken export flipped,
    refused as the newest batch but then kept in the window, taught the next refit a positive
    rate twice the truth; it ordered the rows as well (AUC within the tolerance's noise) and
    was promoted at log loss 0.84 against 0.43 (sweep 53e; bench/refit_checks.py measures the
    false refusals on honest refits). `suspect` (called only on a refusal: departing_batch's
    words) names the window's batch to check first."""
    if rules.metric in LOWER_IS_BETTER or rules.metric in TASK_METRICS[REGRESSION] or \
            np.ndim(challenger) != 1 or len(np.unique(np.asarray(y))) < 2:
        # Binary only: bench/refit_checks.py measured its false refusals on binary refits.
        return ""
    delta, low, high = paired_bootstrap("logloss", y, challenger, champion, rules.samples,
                                        rules.confidence, rules.seed)
    ones = np.ones(len(y))
    mine = weighted_scorer("logloss", y, challenger)(ones)
    theirs = weighted_scorer("logloss", y, champion)(ones)
    if not (np.isfinite(high) and theirs > 0 and high < -CALIBRATION_SHARE * theirs):
        return ""
    named = suspect() if suspect is not None else ""
    seen = (f"a mean probability {float(np.mean(challenger)):.3f} where the holdout's positive "
            f"rate is {float(np.mean(y)):.3f}, the champion's {float(np.mean(champion)):.3f}; ")
    return (f"its holdout log loss {mine:.4g} is worse than the champion's {theirs:.4g} by "
            f"{-delta:.4g} ({rules.confidence:.0%} CI of the loss [{-high:+.4g}, {-low:+.4g}], "
            f"all of it more than {CALIBRATION_SHARE:.0%} of the champion's), though "
            f"{rules.metric} reads only the order or a threshold: {seen}a batch in its "
            f"window taught it probabilities the newest batch does not bear out (labels "
            f"flipped or a partial export that the window kept?): {named}{'; ' if named else ''}"
            "check the batches the decision ledger names, or one since the champion's whose "
            "retrain was refused "
            "(`tuneloop data withdraw BATCH --reason ...` takes it out of the window; "
            "`tuneloop promote <this version> --force --reason ...` serves the refit anyway)")


# A batch's positive rate outside the range of the window's other batches by more than this
# many standard errors of the gap to the nearest of them (both batches' rows counted), and by
# more than the others spread among themselves, is named (departing_batch).
DEPARTING_Z = 4.0


def departing_batch(y: np.ndarray, batches: np.ndarray, names: Sequence[str]) -> str:
    """Words naming the batch of a binary training window whose positive rate lies furthest
    outside the range of its other batches' rates, or "". `batches`: each row's batch as an
    index into `names`. Where a refit's probabilities are refused (_worse_calibrated), the
    batch that taught them is most often the one whose labels say something none of the
    others do (sweep 56b: a flipped batch at a positive rate of 0.79 where the others held
    0.41-0.49 was left for the user to find). Named only beyond chance (DEPARTING_Z standard
    errors of the gap to the nearest other batch) and beyond the others' own spread: a large
    honest batch beside two small ones, or the oldest batch of a steady trend, is not (the
    review). Seasons move rates too: the words give the figures and say "check it first",
    not that it is broken. Needs three batches or more (two others to make a range)."""
    y = np.asarray(y, dtype="float64")
    codes = np.asarray(batches, dtype="int64")
    if len(y) != len(codes) or len(y) == 0 or codes.min() < 0:
        return ""
    sizes = np.bincount(codes, minlength=len(names))
    held = np.flatnonzero(sizes)
    if len(held) < 3 or codes.max() >= len(names):
        return ""
    means = np.bincount(codes, weights=y, minlength=len(names))[held] / sizes[held]
    best: tuple[float, int, float, float] | None = None  # (z, place in held, others' range)
    for i, batch in enumerate(held):
        others = np.delete(means, i)
        low, high = float(others.min()), float(others.max())
        rate = float(means[i])
        if low <= rate <= high:
            continue
        j = int(np.argmax(others)) if rate > high else int(np.argmin(others))
        nearest_rows = int(np.delete(sizes[held], i)[j])
        nearest = high if rate > high else low
        gap = abs(rate - nearest)
        pooled = (rate * sizes[batch] + nearest * nearest_rows) / (sizes[batch] + nearest_rows)
        p = min(max(pooled, 0.5 / sizes[batch]), 1 - 0.5 / sizes[batch])
        error = np.sqrt(p * (1 - p) * (1 / sizes[batch] + 1 / nearest_rows))
        if gap > high - low and gap >= DEPARTING_Z * error and \
                (best is None or gap / error > best[0]):
            best = (gap / error, i, low, high)
    if best is None:
        return ""
    _, i, low, high = best
    batch, rate = int(held[i]), float(means[i])
    return (f"the window's batch {names[batch]} has a positive rate of {rate:.3f} "
            f"({int(sizes[batch])} rows), outside the {low:.3f}-{high:.3f} of its other "
            f"{len(held) - 1} batches: check it first")


def _orders_nothing_beside(rules: GateRules, y: np.ndarray, challenger: np.ndarray,
                           champion: np.ndarray) -> str:
    """Why a challenger better by the gate metric must not serve, or "": its predictions order
    the holdout's labels no better than shuffled labels reach (an exactly constant prediction
    orders at 0), and worse than the champion's, the paired bootstrap's bound of the gap at the
    gate's confidence above zero. A loss rewards scores on the right level over confident
    scores a shift put off, whatever their order (sweep 48b: a warm re-tune at holdout auc_ovr
    0.500, its log loss under the champion's 17.5 on a batch of lifespans 20 years short, where
    the champion ordered the rows at AUC 0.739, was promoted; a model of no order has no
    importance to drift and a log loss near a constant's, so no later batch re-tuned it). Both
    orders are compared, not each against its own chance bar: a challenger ordering better
    than the champion, or not shown to order worse, serves (the review)."""
    y = np.asarray(y)
    preds = [np.asarray(p, dtype="float64") for p in (challenger, champion)]
    if np.ptp(np.asarray(y, dtype="float64")) == 0 or len(y) < 3:
        return ""

    def scorer(pred: np.ndarray) -> Scorer:
        if _one_prediction(pred, len(y)):
            return lambda w: 0.0  # one prediction for every row orders nothing
        return order_scorer(y, pred)

    mine, theirs = (scorer(p) for p in preds)
    ones = np.ones(len(y))
    order, champion_order = float(mine(ones)), float(theirs(ones))
    if not (np.isfinite(order) and np.isfinite(champion_order)) or order >= champion_order:
        return ""
    chance = _chance_order(y, preds[0], _order_of, rules) if order != 0.0 else 0.0
    if order > chance:
        return ""
    gaps = resampled(lambda w: float(theirs(w)) - float(mine(w)), len(y),
                     min(rules.samples, CAVEAT_SAMPLES), rules.seed)
    low = float(np.nanquantile(gaps, 1 - rules.confidence))
    if not low > 0:
        return ""
    rows = preds[0].reshape(len(y), -1)
    _, counts = np.unique(rows, axis=0, return_counts=True)
    how = ("predicting alike for every row" if counts.max() >= ONE_VALUE_SHARE * len(rows)
           else "the level of its scores alone")
    return (f"but its predictions order the holdout's labels at {order:.3f} (2 AUC - 1, or a "
            f"correlation), within the {chance:.3f} shuffled labels reach, below the "
            f"champion's {champion_order:.3f} (paired bootstrap {rules.confidence:.0%} bound of "
            f"the gap {low:+.3f}): it beats the champion's scores by {how}, not by ordering "
            "the rows (the champion's scores are off on this batch, a shift? a refit on the "
            "window learns it); `tuneloop promote <this version> --force --reason ...` serves "
            "it anyway")


def _shuffled_batch(rules: GateRules, y: np.ndarray, challenger: np.ndarray,
                    champion: np.ndarray, champion_order: float | None) -> str:
    """Why a re-tune better by the gate metric must not serve, or "": neither its predictions
    nor the champion's order the holdout's labels beyond what shuffled labels reach, where the
    champion ordered its own holdout's beyond that (`champion_order`, order_figure): the
    labels, not the models, changed. A refit is refused so (_newest_batch_check); a re-tune
    was not (sweep 48c: on a batch of murder rates shuffled, a warm re-tune at holdout R^2
    -0.27, nearer the batch's mean than the champion, was promoted, and served the next clean
    batch at RMSE 0.701 where the champion made 0.616). A target of little signal, whose
    champion ordered its own holdout within chance, is not held to it."""
    if champion_order is None or not np.isfinite(champion_order) or \
            np.ptp(np.asarray(y, dtype="float64")) == 0 or len(y) < 3:
        return ""
    y = np.asarray(y)
    found = []
    for pred in (challenger, champion):
        pred = np.asarray(pred, dtype="float64")
        if _one_prediction(pred, len(y)):
            order, chance = 0.0, 0.0  # one prediction for every row orders nothing
        else:
            order, chance = _order_of(y, pred), _chance_order(y, pred, _order_of, rules)
        # The champion's own order well clear of chance here (twice the bar): one barely
        # beyond it lands within it on an honest batch often (the second review: a weak
        # signal's honest re-tunes refused 4-34% of the time).
        if not (np.isfinite(order) and order <= chance and
                champion_order > SHUFFLED_CLEAR * chance):
            return ""
        found.append((order, chance))
    (mine, _), (theirs, chance) = found
    # And the champion's order fell: its bound on this holdout's resamples below its own.
    scorer = order_scorer(y, np.asarray(champion, dtype="float64"))
    draws = resampled(lambda w: float(scorer(w)), len(y), min(rules.samples, CAVEAT_SAMPLES),
                      rules.seed)
    if not float(np.nanquantile(draws, rules.confidence)) < champion_order:
        return ""
    return (f"neither its predictions nor the champion's order the holdout's labels beyond "
            f"what shuffled labels reach (challenger {mine:+.3f}, champion {theirs:+.3f}, "
            f"chance {chance:.3f}; 2 AUC - 1, or a correlation), where the champion ordered "
            f"its own holdout's at {champion_order:.3f}")


def _one_prediction(pred: np.ndarray, rows: int) -> bool:
    """Whether predictions are one value (one probability row) for every row: no order, and
    a regression's correlation undefined (_orders_nothing_beside, _shuffled_batch)."""
    return bool(np.ptp(np.asarray(pred, dtype="float64").reshape(rows, -1), axis=0).max() == 0)
