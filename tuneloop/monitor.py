"""The statistics of one arriving batch against the reference batches before it.

At tens of thousands of rows every two-sample test is significant, so nothing here is a p-value
rule. Each statistic is an effect size whose alarm threshold is calibrated on the reference
window itself: the largest effect of one reference batch against the others (the batch-to-batch
variation, seasonality included, that the model has already lived with), times
`drift.threshold_factor`, never below `drift.min_effect` nor the effect sampling noise alone
would reach.

- features: Kolmogorov-Smirnov for numerics, Jensen-Shannon distance for categoricals; each
  weighted by the champion's importance, so drift in a feature the model ignores is reported
  but carries no weight;
- label drift: positive rate (binary), class distribution (multiclass, total variation) or the
  target's distribution (regression, KS), with a bootstrap CI on the effect;
- prediction drift: the champion's score distribution;
- a domain classifier (old rows vs new) whose AUC says how separable the batch is and which
  features separate it;
- the champion's realized metric on the batch (its labels arrive with it, or `label_delay`
  batches later) with a bootstrap CI, against the champion's own holdout figure (or, for a
  champion retrained because that metric dropped, the figure before the drop:
  tuneloop.policy.kept_reference).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from tuneloop.features import DATE_PART_WORDS, Schema, level_text, model_name, parse_dates
from tuneloop.lgbm import predict_features
from tuneloop.lgbm_threads import GATE
from tuneloop.metrics import BINARY, MULTICLASS, higher_is_better, task_metrics
from tuneloop.policy import Evidence

KS, JS, TV, RATE = "ks", "js", "tv", "rate"


@dataclass(frozen=True)
class Champion:
    """The serving model as the statistics need it."""
    version: str
    predict: Callable[[pd.DataFrame], np.ndarray]
    metric: str                         # the gate metric
    holdout_value: float | None         # the figure it was promoted on
    importance: dict[str, float] = field(default_factory=dict)  # model column -> gain
    # The figure drops are measured from when not the holdout figure (policy.kept_reference).
    reference: float | None = None
    # Regression: its holdout r2, whose sqrt(1 - r2) is its error over a constant's at its
    # holdout's own mean there: the ratio a batch's is held to (_against_constant).
    holdout_r2: float | None = None


@dataclass(frozen=True)
class Effect:
    name: str
    measure: str
    effect: float
    threshold: float
    alarm: bool
    importance: float = 0.0
    ci_low: float | None = None
    ci_high: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class Realized:
    metric: str
    value: float
    low: float
    high: float
    holdout_value: float | None
    drop: float | None          # holdout - realized, > 0 when worse (either direction)
    drop_low: float | None
    drop_high: float | None
    rows: int
    own_holdout: float | None = None  # the champion's own holdout figure (kept or not)
    # Binary: the batch's positive rate, the champion's mean score on it, and the CI of the
    # gap between them (rate - score): a rank metric does not see a base rate its
    # probabilities missed.
    rate: float | None = None
    mean_score: float | None = None
    gap_low: float | None = None
    gap_high: float | None = None
    # Regression (rmse, mae): the error of a constant at the batch's own mean (median for mae),
    # and the CI of the champion's error over it. In the metric's units alone, a batch whose
    # target fell 14-fold was "better than the holdout figure" while the champion erred 5x a
    # constant's (sweep 41b).
    constant: float | None = None
    constant_low: float | None = None
    constant_high: float | None = None
    constant_own: float | None = None  # the same ratio on the champion's own holdout

    @property
    def gap(self) -> float | None:
        """Positive rate - mean score on the batch (binary), else None."""
        if self.rate is None or self.mean_score is None:
            return None
        return self.rate - self.mean_score

    @property
    def kept(self) -> bool:
        """holdout_value is a figure kept from before a drop, not the champion's own."""
        return self.own_holdout is not None and self.holdout_value != self.own_holdout


@dataclass(frozen=True)
class Statistics:
    batch_rows: int
    reference_rows: int
    reference_batches: int
    features: list[Effect]
    drift_importance: float
    label: Effect | None
    prediction: Effect | None
    domain_auc: float | None
    domain_features: list[str]
    realized: Realized | None
    seconds: float
    # Binary: the reference's positive rate - the champion's mean score on it (the gap the
    # batch's is measured from).
    reference_gap: float | None = None

    @property
    def drifted_features(self) -> list[str]:
        return [f.name for f in self.features if f.alarm]

    def evidence(self) -> Evidence:
        real = self.realized
        return Evidence(
            drift_importance=self.drift_importance,
            drifted_features=tuple(sorted(self.drifted_features,
                                          key=lambda n: -self._importance(n))),
            performance_drop=real.drop if real else None,
            drop_low=real.drop_low if real else None,
            drop_high=real.drop_high if real else None,
            holdout_value=real.holdout_value if real else None,
            label_alarm=bool(self.label and self.label.alarm),
            calibration=self._calibration(),
            reference_kept=bool(real and real.kept),
            own_holdout=real.own_holdout if real else None,
            metric=real.metric if real else None,
            constant=real.constant if real else None,
            constant_low=real.constant_low if real else None,
            constant_high=real.constant_high if real else None,
            constant_own=real.constant_own if real else None,
            beyond_time=tuple(f.name for f in self.features
                              if f.detail.startswith(COUNTS_TIME) and f.importance > 0),
            separated=self._separated(),
            prediction_alarm=bool(self.prediction and self.prediction.alarm))

    def _separated(self) -> str:
        """Words for a batch the domain classifier tells from the reference (SEPARATED_AUC)
        mostly by a feature the champion reads that no per-feature threshold flagged, or "".
        Sweep 45b: seats sent x1.5, 89% of the champion's importance, had a KS of 0.374
        against a threshold of 0.483 (build-year batches move seats by themselves), while the
        classifier told the batch apart at AUC 0.993 by seats (95%); the decision named only
        the realized drop, and the refit's refusal blamed the labels."""
        if self.domain_auc is None or self.domain_auc < SEPARATED_AUC or \
                not self.domain_features:
            return ""
        top = self.domain_features[0].rsplit(" (", 1)[0]
        effect = next((f for f in self.features if f.name == top), None)
        if effect is None or effect.alarm or effect.detail.startswith(COUNTS_TIME) or \
                effect.importance < SEPARATED_IMPORTANCE:
            return ""
        return (f"the batch is told from the reference rows at AUC {self.domain_auc:.3f}, "
                f"mostly by {self.domain_features[0]}, {100 * effect.importance:.0f}% of the "
                f"champion's importance, under its drift threshold ({effect.effect:.3f} "
                f"against {effect.threshold:.3f}, calibrated on the reference batches): "
                "unless its batches differ so by design, a feature in another form?")

    def _calibration(self) -> str:
        """Words for a champion whose probabilities missed the batch's positive rate, or "": the
        gap between the batch's rate and the champion's mean score, measured from the
        reference's own gap, clears the label statistic's calibrated threshold by its CI (the
        scores did not follow the labels). Sweep 37b: a batch 72% positive against a reference
        of 41%, features unchanged, was scored at a mean of 0.43 and decided `none`, its AUC
        worse by a CI that reached zero. Whether the rate itself alarmed is not asked (sweep
        41b: a miss of 0.133, CI 0.111..0.159, above a threshold of 0.084, went unflagged
        because the rate's own CI against the pooled reference reached down to 0.069)."""
        real, label = self.realized, self.label
        if real is None or label is None or real.gap is None \
                or real.gap_low is None or real.gap_high is None:
            return ""
        # Measured from the reference's own gap: scores that followed the rate, or a gap
        # the champion always had, are no miss (the review).
        ref = self.reference_gap or 0.0
        low, high = _folded(real.gap_low - ref, real.gap_high - ref)
        if low <= label.threshold:
            return ""
        return (f"positive rate {real.rate:.4f} against a mean score of {real.mean_score:.4f} "
                f"(gap {real.gap - ref:+.4f} beyond the reference's {ref:+.4f}, CI "
                f"{low:.4f}..{high:.4f}, beyond the label drift threshold "
                f"{label.threshold:.4f})")

    def _importance(self, name: str) -> float:
        return next((f.importance for f in self.features if f.name == name), 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "drifted_features": self.drifted_features}


# --- effect sizes -----------------------------------------------------------------------------

def ks_effect(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic, missing values dropped."""
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        return 0.0
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, grid, side="right") / len(a)
                               - np.searchsorted(b, grid, side="right") / len(b))))


def _shares(values: pd.Series, levels: list[str]) -> np.ndarray:
    counts = values.value_counts().reindex(levels, fill_value=0).to_numpy(dtype="float64")
    return counts / max(counts.sum(), 1.0)


def js_effect(a: pd.Series, b: pd.Series) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) between two categorical distributions;
    missing is a level of its own."""
    a, b = a.astype("string").fillna("<missing>"), b.astype("string").fillna("<missing>")
    levels = sorted(set(a.unique()) | set(b.unique()))
    p, q = _shares(a, levels), _shares(b, levels)
    m = (p + q) / 2

    def kl(x: np.ndarray) -> float:
        mask = x > 0
        return float(np.sum(x[mask] * np.log2(x[mask] / m[mask])))

    return float(np.sqrt(max(0.0, (kl(p) + kl(q)) / 2)))


def tv_effect(a: np.ndarray, b: np.ndarray, n_levels: int) -> float:
    p = np.bincount(a, minlength=n_levels) / max(len(a), 1)
    q = np.bincount(b, minlength=n_levels) / max(len(b), 1)
    return float(0.5 * np.abs(p - q).sum())


def js_noise(n: int, m: int, levels: int, alpha: float) -> float:
    """The Jensen-Shannon distance two samples of one categorical distribution exceed with
    probability about alpha: for close distributions 8 ln2 JS^2 / (1/n + 1/m) is roughly
    chi-square with levels - 1 degrees of freedom."""
    from scipy.stats import chi2

    if n == 0 or m == 0:
        return 1.0
    if levels < 2:
        return 0.0
    return float(min(1.0, np.sqrt(chi2.ppf(1 - alpha, levels - 1) * (1 / n + 1 / m)
                                  / (8 * np.log(2)))))


def ks_noise(n: int, m: int, alpha: float) -> float:
    """The KS statistic two samples of one distribution exceed with probability alpha."""
    if n == 0 or m == 0:
        return 1.0
    return float(np.sqrt(-np.log(alpha / 2) / 2) * np.sqrt((n + m) / (n * m)))


# --- the statistics ---------------------------------------------------------------------------

def _sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    # pandas takes a 32-bit seed; drift.seed may be any 64-bit one.
    return frame if len(frame) <= rows else frame.sample(n=rows, random_state=seed % 2**32)


def _loo(parts: list[Any], effect: Callable[[Any, Any], float],
         join: Callable[[list[Any]], Any]) -> list[float]:
    """Each reference batch's effect against the other reference batches."""
    if len(parts) < 2:
        return []
    return [effect(part, join([p for j, p in enumerate(parts) if j != i]))
            for i, part in enumerate(parts)]


# The detail of a feature effect exempted as a count of time (Reference.counts_time).
COUNTS_TIME = "counts time"
# A batch the domain classifier tells apart at this AUC, by a feature carrying this share of
# the champion's importance, is said in the decision even where that feature's own threshold,
# calibrated across reference batches that differ by design, was not crossed.
SEPARATED_AUC = 0.95
SEPARATED_IMPORTANCE = 0.2


def _counts_time(parts: list[np.ndarray]) -> bool:
    """Whether a number's reference batches, in time order, each begin at or after where the
    one before ended, over at least three batches and more than one value (a year, a day
    count): it counts time."""
    spans = [(np.nanmin(p), np.nanmax(p)) for p in parts if np.isfinite(p).any()]
    if len(spans) < 3 or spans[0][0] == spans[-1][1]:
        return False
    return all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


def _frames(parts: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True)


def _arrays(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts)


class Reference:
    """The reference batches, sampled, with every threshold calibrated once: a champion's
    training window serves every batch decided until the next retrain."""

    def __init__(self, cfg: Any, schema: Schema, batches: list[pd.DataFrame],
                 champion: Champion | None = None) -> None:
        started = time.perf_counter()
        self.cfg, self.schema, self.champion = cfg, schema, champion
        per = max(1, cfg.sample_rows // max(1, len(batches)))
        self.parts = [_sample(p, per, cfg.seed + i) for i, p in enumerate(batches)]
        self.rows, self.n_batches = sum(len(p) for p in batches), len(batches)
        self.pooled = _frames(self.parts)
        self.x_parts = [schema.make_features(p, "reference") for p in self.parts]
        self.x = _frames(self.x_parts)
        self.importance = importance_shares(schema, champion.importance if champion else {})
        factor = cfg.threshold_factor
        self.loo: dict[str, float] = {}
        # Numbers that count time (a year): every reference batch begins where the one before
        # ended, so a new batch lies beyond them all by construction. Their KS against any
        # reference is 1, which says nothing of the model (sweep 31: `year` drifted on every
        # batch and sent each to a retrain, though the realized metric had improved).
        self.counts_time: set[str] = set()
        for col in schema.numeric:
            name = model_name(col)
            values = [x[name].to_numpy("float64") for x in self.x_parts]
            self.loo[col] = factor * max(_loo(values, ks_effect, _arrays), default=0.0)
            if _counts_time(values):
                self.counts_time.add(col)
        # A date's parts but its year (which counts time) are numbers like any other, their
        # thresholds calibrated across the reference batches as theirs are, so a part each
        # batch holds only some of by construction (the month of monthly batches) says
        # nothing: sweep 33's September sent with every hour shifted 5 hours (an export in
        # UTC) drifted nowhere, the hour carrying 22% of the model's gain (77% on another
        # table, so its re-tune share could never be reached).
        self.date_parts: list[tuple[str, str, str, str]] = []  # (effect name, model column,
        # date column, part)
        for col in schema.datetime:
            for part in schema.parts_of(col):
                if part == "year":
                    continue
                key, name = f"{col} ({DATE_PART_WORDS.get(part, part)})", \
                    model_name(f"{col}__{part}")
                values = [x[name].to_numpy("float64") for x in self.x_parts]
                self.loo[key] = factor * max(_loo(values, ks_effect, _arrays), default=0.0)
                self.date_parts.append((key, name, col, part))
        self.part_importance = part_shares(schema, champion.importance if champion else {},
                                           self.importance)
        for col in schema.categorical:
            # As level text: a code column (data.categorical) read 3.0 in a batch with a blank
            # and 3 in one without (the review: one blank gave an effect of 1.0).
            self.loo[col] = factor * max(_loo([level_text(p[col]) for p in self.parts],
                                              js_effect,
                                              lambda s: pd.concat(s, ignore_index=True)),
                                         default=0.0)
        self.y_parts = [schema.labels(p, "reference") for p in self.parts] \
            if schema.target in self.pooled.columns else []
        self.label_loo = factor * max(_loo(self.y_parts, self._label_effect, _arrays),
                                      default=0.0) if self.y_parts else 0.0
        self.scores: list[np.ndarray] = []
        self.score_loo = 0.0
        if champion is not None:
            self.scores = [_score_summary(champion.predict(p)) for p in self.parts]
            self.score_loo = factor * max(_loo(self.scores, ks_effect, _arrays), default=0.0)
        # Binary: the reference's positive rate - the champion's mean score on it, the gap a
        # batch's is measured from (Statistics.reference_gap).
        self.score_gap = float(_arrays(self.y_parts).mean() - _arrays(self.scores).mean()) \
            if schema.task == BINARY and self.scores and self.y_parts else None
        self.seconds = time.perf_counter() - started  # calibration: charged to the first batch

    def _label_effect(self, a: np.ndarray, b: np.ndarray) -> float:
        task = self.schema.task
        if task == BINARY:
            return abs(float(a.mean()) - float(b.mean()))
        if task == MULTICLASS:
            return tv_effect(a, b, self.schema.n_classes)
        return ks_effect(a.astype("float64"), b.astype("float64"))

    def _tv_noise(self, pooled: np.ndarray, n: int) -> float:
        """The total variation a batch of n rows drawn from the reference's own class mix
        exceeds with probability 1 - confidence (simulated: no closed form)."""
        k = self.schema.n_classes
        shares = np.bincount(pooled, minlength=k) / max(len(pooled), 1)
        draws = np.random.default_rng(self.cfg.seed).multinomial(n, shares, size=500) / n
        return float(np.quantile(0.5 * np.abs(draws - shares).sum(axis=1), self.cfg.confidence))

    def newest(self, name: str, rows: int = 200) -> np.ndarray:
        """A model column's values in the newest reference batches, back to `rows` rows at
        least: a window of many batches samples each to a few rows (the review)."""
        taken: list[np.ndarray] = []
        for part in reversed(self.x_parts):
            taken.append(part[name].to_numpy("float64"))
            if sum(len(t) for t in taken) >= rows:
                break
        return np.concatenate(taken[::-1]) if taken else np.array([])

    def features(self, batch: pd.DataFrame) -> list[Effect]:
        """One effect per numeric and categorical input and per date part but the year (which
        counts time: any later period lies beyond the reference by construction)."""
        cfg, schema = self.cfg, self.schema
        new_x = schema.make_features(batch)
        n_inputs = max(1, len(schema.numeric) + len(schema.categorical) + len(self.date_parts))
        alpha = (1 - cfg.confidence) / n_inputs  # one alarm in the whole batch at this level
        out = []
        for col in schema.numeric:
            name = model_name(col)
            a, b = self.x[name].to_numpy("float64"), new_x[name].to_numpy("float64")
            effect = ks_effect(a, b)
            floor = max(cfg.min_effect, ks_noise(int((~np.isnan(a)).sum()),
                                                 int((~np.isnan(b)).sum()), alpha))
            threshold = max(floor, self.loo[col])
            onward = col in self.counts_time and np.isfinite(b).any() and \
                np.nanmin(b) >= np.nanmax(a)
            out.append(Effect(col, KS, effect, threshold, effect > threshold and not onward,
                              self.importance.get(col, 0.0),
                              detail=f"{COUNTS_TIME}: the batch follows the reference, as each "
                                     "reference batch followed the one before" if onward
                              else unit_changed(self.newest(name), b, effect)))
        times: dict[str, pd.Series] = {}
        for key, name, col, part in self.date_parts:
            a, b = self.x[name].to_numpy("float64"), new_x[name].to_numpy("float64")
            effect = ks_effect(a, b)
            floor = max(cfg.min_effect, ks_noise(int((~np.isnan(a)).sum()),
                                                 int((~np.isnan(b)).sum()), alpha))
            threshold = max(floor, self.loo[key])
            # A batch shorter than the part's cycle holds some of its values by construction
            # (one Saturday's day of week against months of them: the review): not judged.
            if col not in times:
                times[col] = parse_dates(batch[col], schema.formats.get(col) or "ISO8601")
            short = _short_of_cycle(times[col], part)
            out.append(Effect(key, KS, effect, threshold, effect > threshold and not short,
                              self.part_importance.get(name, 0.0),
                              detail=f"{NOT_JUDGED}: the batch spans less than {short}"
                              if short else ""))
        for col in schema.categorical:
            effect = js_effect(level_text(self.pooled[col]), level_text(batch[col]))
            levels = int(level_text(self.pooled[col]).fillna("<missing>").nunique())
            floor = max(cfg.min_effect, js_noise(len(self.pooled), len(batch), levels, alpha))
            threshold = max(floor, self.loo[col])
            out.append(Effect(col, JS, effect, threshold, effect > threshold,
                              self.importance.get(col, 0.0),
                              detail=renamed_levels(level_text(self.pooled[col]),
                                                    level_text(batch[col]))))
        return out

    def label(self, batch: pd.DataFrame) -> Effect:
        schema, cfg = self.schema, self.cfg
        pooled, y = _arrays(self.y_parts), schema.labels(batch)
        value = self._label_effect(y, pooled)
        if schema.task == BINARY:
            name, measure = "positive rate", RATE
            detail = f"batch {y.mean():.4f} vs reference {pooled.mean():.4f}"
            # The rate difference two samples of the reference's own rate reach by chance.
            rate = float(pooled.mean())
            noise = float(norm.ppf(1 - (1 - cfg.confidence) / 2)) * float(np.sqrt(
                rate * (1 - rate) * (1 / max(len(y), 1) + 1 / max(len(pooled), 1))))
            threshold = max(self.label_loo, noise)
        elif schema.task == MULTICLASS:
            name, measure = "class distribution", TV
            detail = "batch " + ", ".join(f"{c}: {s:.3f}" for c, s in zip(
                schema.classes, np.bincount(y, minlength=schema.n_classes) / len(y),
                strict=True))
            threshold = max(cfg.min_effect, self.label_loo, self._tv_noise(pooled, len(y)))
        else:
            name, measure = "target distribution", KS
            detail = f"batch mean {y.mean():.4g} vs reference {pooled.mean():.4g}"
            threshold = max(cfg.min_effect, self.label_loo,
                            ks_noise(len(pooled), len(y), 1 - cfg.confidence))
        if schema.task == BINARY:
            # The signed difference, folded: |difference| resampled is biased upwards, and its
            # interval could sit wholly above the estimate itself.
            base = float(pooled.mean())
            low, high = _folded(*_bootstrap(lambda idx: float(y[idx].mean()) - base, len(y),
                                            cfg))
        else:
            # A distance is never negative and resampling inflates it: the interval is moved
            # down by the resamples' bias, so it is about the estimate, not above it.
            low, high = _bootstrap(lambda idx: self._label_effect(y[idx], pooled), len(y),
                                   cfg, centre=value)
        # The CI must clear the calibrated threshold: a shift the batch's own sampling noise
        # could make is no alarm.
        return Effect(name, measure, value, threshold, low > threshold, ci_low=low,
                      ci_high=high, detail=detail)

    def prediction(self, batch: pd.DataFrame) -> Effect:
        assert self.champion is not None
        pooled = _arrays(self.scores)
        s = _score_summary(self.champion.predict(batch))
        value = ks_effect(s, pooled)
        threshold = max(self.cfg.min_effect, self.score_loo,
                        ks_noise(len(pooled), len(s), 1 - self.cfg.confidence))
        return Effect("champion scores", KS, value, threshold, value > threshold,
                      detail=f"mean score {s.mean():.4g} vs reference {pooled.mean():.4g}")


def _bootstrap(stat: Callable[[np.ndarray], float], n: int, cfg: Any,
               centre: float | None = None) -> tuple[float, float]:
    """Percentile interval of `stat` over resampled rows; with `centre` (the estimate of a
    non-negative distance), shifted by the resamples' bias and kept at or above zero."""
    rng = np.random.default_rng(cfg.seed)
    values = [stat(rng.integers(0, n, n)) for _ in range(cfg.bootstrap_samples)]
    tail = (1 - cfg.confidence) / 2
    low, high = np.nanquantile(values, [tail, 1 - tail])
    if centre is not None and np.isfinite(centre):
        bias = float(np.nanmean(values)) - centre
        low, high = max(0.0, low - bias), max(0.0, high - bias)
    return float(low), float(high)


def _score_summary(pred: np.ndarray) -> np.ndarray:
    """One number per row to compare score distributions: P(positive), the predicted class's
    probability (multiclass) or the prediction (regression)."""
    return pred.max(axis=1) if pred.ndim == 2 else pred


def domain_classifier(schema: Schema, reference: pd.DataFrame, batch: pd.DataFrame,
                      seed: int, threads: int = 1) -> tuple[float, list[str]]:
    """Cross-validated AUC of a small LightGBM telling reference rows from batch rows, and the
    inputs that separate them most (by gain). Datetime parts are left out: they separate any
    two periods."""
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score

    inputs = [*schema.numeric, *schema.categorical]
    if not inputs:
        return 0.5, []
    x = pd.concat([schema.make_features(reference), schema.make_features(batch)],
                  ignore_index=True)[[model_name(c) for c in inputs]]
    y = np.r_[np.zeros(len(reference)), np.ones(len(batch))]
    fold = np.random.default_rng(seed).integers(0, 2, len(y))
    params = {"objective": "binary", "verbosity": -1, "num_leaves": 15, "learning_rate": 0.1,
              "min_child_samples": 50, "seed": seed % 2**31, "num_threads": threads,
              "deterministic": True, "force_row_wise": True}
    scores, gain = np.zeros(len(y)), np.zeros(len(inputs))
    for k in (0, 1):
        train = fold != k
        with GATE.training(threads) as held:
            booster = lgb.train({**params, "num_threads": held}, lgb.Dataset(x[train], y[train]),
                                num_boost_round=60)
        scores[~train] = predict_features(booster, x[~train])
        gain += booster.feature_importance("gain")
    auc = float(roc_auc_score(y, scores)) if 0 < y.mean() < 1 else 0.5
    order = np.argsort(-gain)
    total = gain.sum() or 1.0
    top = [f"{inputs[i]} ({100 * gain[i] / total:.0f}%)" for i in order[:3] if gain[i] > 0]
    return auc, top


def realized(cfg: Any, schema: Schema, champion: Champion,
             batch: pd.DataFrame) -> Realized | None:
    """The champion's metric on a labelled batch, bootstrap CI, against its holdout figure
    (or the figure kept from before a drop it was retrained on: champion.reference); None
    where the metric is undefined on the batch (AUC on one class): no evidence, not a NaN
    drop."""
    from tuneloop.gate import weighted_scorer

    y, pred = schema.labels(batch), champion.predict(batch)
    metric = champion.metric
    # Row weights (bootstrap counts) on one scorer: the gate's, and ~100x faster than
    # recomputing the metric on each resample.
    scorer = weighted_scorer(metric, y, pred)
    n = len(y)

    def score(idx: np.ndarray) -> float:
        return scorer(np.bincount(idx, minlength=n).astype("float64"))

    value = task_metrics(schema.task, y, pred)[metric]
    if not np.isfinite(value):
        return None
    low, high = _bootstrap(score, n, cfg)
    beside = {**_calibration_in_the_large(cfg, schema, y, pred),
              **_against_constant(cfg, metric, y, pred, scorer, champion.holdout_r2)}
    ref = champion.holdout_value if champion.reference is None else champion.reference
    if ref is None:
        return Realized(metric, value, low, high, None, None, None, None, len(y),
                        **beside)
    sign = 1.0 if higher_is_better(metric) else -1.0
    drops = sorted((sign * (ref - low), sign * (ref - high)))
    return Realized(metric, value, low, high, ref, sign * (ref - value), drops[0], drops[1],
                    len(y), own_holdout=champion.holdout_value, **beside)


def _calibration_in_the_large(cfg: Any, schema: Schema, y: np.ndarray,
                              pred: np.ndarray) -> dict[str, float]:
    """Binary: the batch's positive rate, the mean score, and the CI of their gap (rate -
    score); {} for other tasks."""
    if schema.task != BINARY or pred.ndim != 1 or len(y) == 0:
        return {}
    gap = y.astype("float64") - pred.astype("float64")
    low, high = _bootstrap(lambda idx: float(gap[idx].mean()), len(y), cfg)
    return {"rate": float(y.mean()), "mean_score": float(pred.mean()), "gap_low": float(low),
            "gap_high": float(high)}


CONSTANT_MIN_ROWS = 20  # labelled rows under which a batch's own constant says nothing


def _against_constant(cfg: Any, metric: str, y: np.ndarray, pred: np.ndarray,
                      scorer: Callable[[np.ndarray], float],
                      holdout_r2: float | None = None) -> dict[str, float]:
    """Regression scored by rmse or mae: the error of a constant at the batch's own mean
    (rmse) or median (mae), each row's left out of the constant it is scored against (a
    constant fitted on a row flatters itself: 2 rows fired for a perfect model half the
    time, the review), the bootstrap CI of the champion's error divided by it, paired on the
    same resampled rows, and the same ratio on the champion's own holdout (sqrt(1 - r2),
    from its holdout r2). {} for other metrics (r2 measures from the batch's mean already),
    a batch under CONSTANT_MIN_ROWS labelled rows, or one whose target is one value."""
    n = len(y)
    if metric not in ("rmse", "mae") or pred.ndim != 1 or n < CONSTANT_MIN_ROWS:
        return {}
    y = np.asarray(y, dtype="float64")
    loo = n / (n - 1)  # a row's residual from the mean of the others, over its own

    def constant(values: np.ndarray) -> float:
        if metric == "mae":
            return loo * float(np.mean(np.abs(values - np.median(values))))
        return loo * float(np.std(values))

    whole = constant(y)
    if not whole > 0:
        return {}

    def ratio(idx: np.ndarray) -> float:
        base = constant(y[idx])
        if not base > 0:
            return float("nan")
        return scorer(np.bincount(idx, minlength=n).astype("float64")) / base

    low, high = _bootstrap(ratio, n, cfg)
    own = None if holdout_r2 is None or not np.isfinite(holdout_r2) else \
        float(np.sqrt(max(0.0, 1.0 - holdout_r2)))
    return {"constant": whole, "constant_low": low, "constant_high": high,
            "constant_own": own}


def _folded(low: float, high: float) -> tuple[float, float]:
    """The interval of |x| for x in [low, high] (as the label effect folds its difference)."""
    if low <= 0 <= high:
        return 0.0, max(-low, high)
    a, b = sorted((abs(low), abs(high)))
    return a, b


def importance_shares(schema: Schema, gains: dict[str, float]) -> dict[str, float]:
    """Model-column gains -> share per input column (a datetime's parts add up to it)."""
    by_input: dict[str, float] = {}
    for col in schema.numeric + schema.categorical:
        by_input[col] = gains.get(model_name(col), 0.0)
    for col in schema.datetime:
        by_input[col] = sum(v for k, v in gains.items() if k.startswith(model_name(col) + "__"))
    total = sum(by_input.values())
    if total <= 0:  # unknown (no champion, or a family without gains): equal weights
        return {c: 1.0 / len(by_input) for c in by_input} if by_input else {}
    return {c: v / total for c, v in by_input.items()}


# The detail of a numeric feature whose batch sits apart from the reference at a power of ten.
UNIT_CHANGED = "another unit?"
UNIT_KS = 0.3  # the batch's values and the reference's this far apart at least (KS effect)
UNIT_LOG_TOLERANCE = 0.2  # log10 of each quartile's ratio this near one whole number (x0.6-x1.6)
UNIT_QUARTILES = (0.25, 0.5, 0.75)


def unit_changed(reference: np.ndarray, batch: np.ndarray, effect: float) -> str:
    """A feature's batch at a power of ten of the reference (x10, x100, x1000, or those
    fractions), its lower quartile, median and upper quartile alike, in words, or "" (sweep
    56b: gdp sent x100, cents for dollars, passed the suite's median bound, drift said KS
    1.000 with no word of a unit, and the refit that learnt it was promoted). `reference`: the
    newest reference batch's values, so a trend (gdp 1.4x the window's median by then) is not
    counted; the quartiles, so a skewed amount (a hormone level x100 moves KS only to 0.57) is.
    Said, not refused: the suite's bounds refuse."""
    if effect < UNIT_KS:
        return ""
    a, b = reference[np.isfinite(reference)], batch[np.isfinite(batch)]
    if len(a) < 20 or len(b) < 20 or (a <= 0).mean() > 0.5 or (b <= 0).mean() > 0.5:
        return ""
    a, b = a[a > 0], b[b > 0]
    ratios = np.log10(np.quantile(b, UNIT_QUARTILES) / np.quantile(a, UNIT_QUARTILES))
    step = int(round(float(np.median(ratios))))
    if step == 0 or np.abs(ratios - step).max() > UNIT_LOG_TOLERANCE:
        return ""
    old, new = float(np.median(a)), float(np.median(b))
    examples = {1: "millimetres for centimetres", 2: "cents for dollars, a percent for a "
                "share", 3: "grams for kilograms, metres for kilometres"}.get(abs(step))
    if examples is not None and step < 0:
        # The other way round: dollars for cents, a share for a percent, ...
        examples = ", ".join(" for ".join(reversed(e.split(" for "))) for e in
                             examples.split(", "))
    return (f"{UNIT_CHANGED} the batch's median {new:.4g} is {new / old:.3g}x the newest "
            f"reference batch's {old:.4g}, its quartiles alike (about x{10.0 ** step:g}"
            f"{f': {examples}' if examples else ''}?)")


# The detail of a date part's effect where the batch is shorter than the part's cycle.
NOT_JUDGED = "not judged"
RENAMED = "renamed?"
# A level this common in the reference that all but vanishes from a batch (under a tenth of
# its share) while a level the reference never held takes half to twice its share, where at
# most half of the common levels vanish.
RENAMED_SHARE = 0.05


FEW_LEVELS = 5  # a column of at most this many levels does not count time


def renamed_levels(reference: pd.Series, batch: pd.Series) -> str:
    """Levels that look renamed between the reference and a batch, in words, or "": a level
    the model learnt all but gone and one it never saw in its place is a changed export or a
    recoding, which drift alone states as an effect (sweep 35: `race` 'Black' sent as 'African
    American' on 60% of a month passed with no word, and the refit learnt two levels for one
    group)."""
    ref = reference.dropna().value_counts(normalize=True)
    new = batch.dropna().value_counts(normalize=True)
    if ref.empty or new.empty or len(batch.dropna()) < 20:
        return ""
    common = [(lvl, share) for lvl, share in ref.items() if share >= RENAMED_SHARE]
    gone = [(lvl, share) for lvl, share in common if new.get(lvl, 0.0) < 0.1 * share]
    unseen = [(lvl, share) for lvl, share in new.items() if lvl not in ref.index]
    known = float(new[new.index.isin(ref.index)].sum())
    # New levels all past every old one in order (a batch straddling 2022 and 2023 after
    # eight years): the next periods, not new names (the review).
    later = bool(unseen) and min(str(u) for u, _ in unseen) > max(str(r) for r in ref.index)
    # A column of a few levels is no clock: size classes '20-50' and '>50' sent as '21-50' and
    # '50+' on 52% of a batch were read as one and passed without a word (sweep 56b); unless
    # its new levels differ from old ones in their digits alone ('Q1 2024' after 'Q4 2023',
    # 'wave 10' after 'wave 9': the review).
    if common and 2 * len(gone) > len(common) and (
            later or (known < 0.5 and (len(ref) > FEW_LEVELS or _numbered(unseen, ref.index)))):
        # Most common levels turning over, most of the batch in levels never seen, is a
        # column that counts time (a quarter, a month: the review), not a recoding. Where
        # most rows still hold known levels, it is one: CA, TX and NY sent as Calif., Tex.
        # and N.Y., 3 of 4 common states on 24% of a batch, passed without a word (sweep 40b).
        return ""
    if len(common) < 2:
        # Levels all rare (30 teams): nothing to pair, new ones still said (the review).
        return _new_levels(unseen)
    # Shares relative to the levels kept in both: a level that really ended inflates every
    # other share of the batch, and paired by raw shares Polio (20%, ended) took Whooping
    # Cough, the renamed Pertussis (14%), whose vanishing went unsaid (sweep 41b).
    kept = [lvl for lvl in ref.index if lvl in new.index and lvl not in dict(gone)]
    kept_ref, kept_new = float(ref[kept].sum()), float(new[kept].sum())
    scale = kept_ref / kept_new if kept_ref > 0 and kept_new > 0 else 1.0
    # A respelling keeps its first letter more often than not (CA as Calif., TX as Tex.,
    # shares of 10% and 9% too close to tell apart): such pairs first, then by share.
    candidates = sorted(((abs(np.log(u_share * scale / share)), lvl, share, u, u_share)
                         for lvl, share in gone for u, u_share in unseen
                         if 0.5 * share <= u_share * scale <= 2 * share),
                        key=lambda c: (not _same_initial(c[1], c[3]), c[0], -c[2]))
    taken_gone: set[Any] = set()
    taken_new: set[Any] = set()
    found = []
    for _, lvl, share, u, u_share in candidates:  # one new level for one vanished level
        if lvl in taken_gone or u in taken_new:
            continue
        taken_gone.add(lvl)
        taken_new.add(u)
        found.append((share, f"{lvl!r} ({share:.0%} of the reference, {new.get(lvl, 0.0):.0%} "
                             f"here) for {u!r} (new, {u_share:.0%} here)"))
    unseen = [(u, s) for u, s in unseen if u not in taken_new]
    pairs = [words for _, words in sorted(found, key=lambda f: -f[0])]
    return f"{RENAMED} {'; '.join(pairs[:3])}" if pairs else _new_levels(unseen)


def _numbered(unseen: list[tuple[Any, float]], known: Any) -> bool:
    """Whether every new level of RENAMED_SHARE or more is an old one with other digits."""
    shapes = {re.sub(r"\d+", "#", str(level)) for level in known}
    many = [lvl for lvl, share in unseen if share >= RENAMED_SHARE]
    return bool(many) and all(re.sub(r"\d+", "#", str(lvl)) in shapes for lvl in many)


NEW_LEVELS = "new level(s)"


def _same_initial(a: Any, b: Any) -> bool:
    """Both start with the same letter (codes and numbers are no respelling: the review)."""
    first = [str(v).strip()[:1].casefold() for v in (a, b)]
    return first[0].isalpha() and first[0] == first[1]


def _new_levels(unseen: list[tuple[Any, float]]) -> str:
    """Levels the reference never held that take RENAMED_SHARE or more of a batch, in words,
    or "" (sweep 39: a team new to the league on 20% of a season's rows passed without a word;
    the model reads it as missing until a retrain learns it)."""
    many = [(lvl, share) for lvl, share in unseen if share >= RENAMED_SHARE]
    total = sum(share for _, share in unseen)
    if not many and total >= NEW_LEVELS_TOTAL:
        # Many small new levels together (ten at 4%: the review).
        shown = sorted(unseen, key=lambda p: -p[1])[:3]
        return (f"{NEW_LEVELS} {len(unseen)} levels the reference never held, {total:.0%} of "
                f"this batch (e.g. " + ", ".join(repr(lvl) for lvl, _ in shown) + ")")
    return (f"{NEW_LEVELS} " + ", ".join(f"{lvl!r} ({share:.0%} here)" for lvl, share in many[:3])
            + (f" and {len(many) - 3} more" if len(many) > 3 else "")) if many else ""


NEW_LEVELS_TOTAL = 0.2  # new levels each under RENAMED_SHARE, together this share of a batch


# Each part's cycle, the unit its values count in, and the cycle in words.
CYCLES = {"hour": (pd.Timedelta(days=1), pd.Timedelta(hours=1), "a day"),
          "dayofweek": (pd.Timedelta(days=7), pd.Timedelta(days=1), "a week"),
          "month": (pd.Timedelta(days=365), pd.Timedelta(days=31), "a year"),
          "dayofyear": (pd.Timedelta(days=365), pd.Timedelta(days=1), "a year")}


def _short_of_cycle(times: pd.Series, part: str) -> str:
    """The cycle a batch's times do not span, its last unit counted whole (hourly times from
    00:00 to 23:00, events from 00:00:03 to 23:59:58, daily dates Monday to Sunday, the first
    of each of twelve months each span theirs), or "" (no times: nothing to tell)."""
    if part not in CYCLES:
        return ""
    cycle, unit, words = CYCLES[part]
    present = times.dropna()
    if present.empty:
        return ""
    return words if present.max() - present.min() + unit < cycle else ""


def part_shares(schema: Schema, gains: dict[str, float],
                whole: dict[str, float] | None = None) -> dict[str, float]:
    """Model column of each date part -> its share of the champion's whole importance (the
    shares importance_shares gives its column, `whole` where computed already, split by the
    parts' gains)."""
    whole = importance_shares(schema, gains) if whole is None else whole
    out: dict[str, float] = {}
    for col in schema.datetime:
        names = [model_name(f"{col}__{part}") for part in schema.parts_of(col)]
        gained = {n: gains.get(n, 0.0) for n in names}
        total = sum(gained.values())
        for n in names:
            out[n] = whole.get(col, 0.0) * (gained[n] / total if total > 0 else 1 / len(names))
    return out


def statistics(reference: Reference, batch: pd.DataFrame,
               labelled: pd.DataFrame | None = None) -> Statistics:
    """The batch against the reference. labelled: the batch whose labels are known now
    (`batch` itself when label_delay is 0; None when none is due yet)."""
    started = time.perf_counter()
    cfg, schema, champion = reference.cfg, reference.schema, reference.champion
    new = _sample(batch, cfg.sample_rows, cfg.seed)
    features = reference.features(new)
    label = reference.label(new) if reference.y_parts and schema.target in new.columns \
        else None
    prediction = reference.prediction(new) if champion is not None else None
    auc, separating = domain_classifier(schema, _sample(reference.pooled, cfg.domain_rows,
                                                        cfg.seed),
                                        _sample(new, cfg.domain_rows, cfg.seed), cfg.seed)
    real = None
    if champion is not None and labelled is not None and schema.target in labelled.columns:
        real = realized(cfg, schema, champion, _sample(labelled, cfg.sample_rows, cfg.seed))
    return Statistics(
        batch_rows=len(batch), reference_rows=reference.rows,
        reference_batches=reference.n_batches, features=features,
        # Shares of the champion's whole importance (a date's year part never drifts).
        drift_importance=sum(f.importance for f in features if f.alarm), label=label,
        prediction=prediction, domain_auc=auc, domain_features=separating, realized=real,
        seconds=time.perf_counter() - started, reference_gap=reference.score_gap)
