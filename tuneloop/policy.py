"""When a batch triggers a retrain: a pure decision from the batch's evidence and the history.

Policies by name: `never`, `every` (each batch), `every:K` (each K-th batch since the last
retrain) and `auto`, which retrains only on evidence: the champion's realized metric dropped
beyond a margin with a CI that excludes zero, or drift is severe in the features the champion
relies on, or the champion is older than `max_age_batches`. Guards: a cooldown after a retrain,
a compute cap per period, and a cold re-tune only after repeated rejected ones.

What `auto` trains is the cheapest fix the evidence allows: the champion's own configuration
refit on the new window (a fit, no study). In the replay of the bundled example project, that
refit won the gate in most batches a warm re-tune was also tried, drift or not (README
"Replay"). Only drift in features carrying most of the champion's importance
(`retune_drift_importance`) re-tunes (warm) at once, since the best configuration may have
moved; a retrain whose candidates the gate rejected escalates the next one (refit -> warm), and
`cold_after_rejected` rejections in a row bring a cold re-tune. A batch on which only the
labels moved waits a batch (labels_alone): its retrain goes ahead when the next batch's labels
move so too, and the gate then tests what it taught on that batch. `every` and `every:K`
always retrain in full (refit and warm re-tune).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

NEVER, EVERY, AUTO = "never", "every", "auto"
TAINTED_TRIGGER = "the champion was trained with withdrawn batch(es)"
TIME_TRIGGER = "the batch lies past every training value of a count of time the champion reads"
# What a retrain trains, cheapest first: the champion's configuration refit on the new window;
# that plus a warm re-tune; that plus a cold re-tune instead of the warm one.
NONE, REFIT, WARM, COLD = "none", "refit", "warm", "cold"
ACTIONS = (NONE, REFIT, WARM, COLD)
Action = Literal["none", "refit", "warm", "cold"]
DRIFT_TRIGGER = "drift in features"
PERFORMANCE_TRIGGER = "realized metric worse than"
CALIBRATION_TRIGGER = "the champion's scores missed the batch's positive rate"
CONSTANT_TRIGGER = "the champion erred beyond a constant at the batch's own"
HELD_TRIGGER = "the label move held at"
HOLD_LAPSED = "does not show in this batch"  # a held move the next batch did not confirm
_EVERY_K = re.compile(r"^every:([1-9][0-9]*)$")


@dataclass(frozen=True)
class Policy:
    kind: str          # never | every | auto
    every: int = 1     # every:K

    @property
    def name(self) -> str:
        return f"{EVERY}:{self.every}" if self.kind == EVERY and self.every > 1 else self.kind


def parse_policy(name: str) -> Policy:
    if name in (NEVER, AUTO, EVERY):
        return Policy(name)
    match = _EVERY_K.match(name)
    if match:
        return Policy(EVERY, int(match.group(1)))
    raise ValueError(f"unknown policy {name!r}; one of never, every, every:K (K >= 1), auto")


@dataclass(frozen=True)
class Evidence:
    """What the statistics say about one batch (tuneloop.monitor.Statistics.evidence())."""
    drift_importance: float = 0.0           # share of the champion's importance that drifted
    drifted_features: tuple[str, ...] = ()
    performance_drop: float | None = None   # holdout figure - realized, in the metric's worse
    drop_low: float | None = None           # direction (> 0: worse), and its CI
    drop_high: float | None = None
    holdout_value: float | None = None      # the figure the drop is measured from
    label_alarm: bool = False
    # Binary: the champion's probabilities missed the batch's positive rate, in words ("": not).
    calibration: str = ""
    reference_kept: bool = False            # that figure is kept from before a drop (below)
    own_holdout: float | None = None        # the champion's own holdout figure (kept or not)
    metric: str | None = None               # the realized metric's name
    # Numbers counting time (a year) that the champion reads, the batch beyond every value it
    # was trained on: no drift (KS 1 by construction), but a model that reads each later
    # period as the latest it saw; a refit learns the newest one (sweep 32).
    beyond_time: tuple[str, ...] = ()
    # Regression by rmse or mae: the error of a constant at the batch's own mean (median for
    # mae) and the CI of the champion's error over it (tuneloop.monitor._against_constant).
    constant: float | None = None
    constant_low: float | None = None
    constant_high: float | None = None
    constant_own: float | None = None  # that ratio on the champion's own holdout
    # Words for a batch told apart from the reference by a feature no threshold flagged
    # (tuneloop.monitor.Statistics._separated): said, not a trigger.
    separated: str = ""
    # The champion's scores on the batch drifted from the reference's (the prediction
    # statistic): the features it reads moved, not only the labels.
    prediction_alarm: bool = False
    # Batches the labels trail the features by (drift.label_delay): the label evidence is
    # then an earlier batch's, already in the window.
    label_delay: int = 0

    @property
    def constant_bar(self) -> float:
        """The ratio (over 1 + constant_margin) a batch's is held to: 1, or the champion's
        own holdout ratio where higher (a level no model forecasts, a weak model)."""
        return max(1.0, self.constant_own or 0.0)

    @property
    def own_figure(self) -> float | None:
        """The champion's own holdout figure: own_holdout where said, else the figure the drop
        is measured from."""
        return self.own_holdout if self.own_holdout is not None else self.holdout_value


@dataclass(frozen=True)
class History:
    """The project's state when the batch is decided."""
    since_retrain: int = 1          # batches since the last retrain (attempted), this one included
    champion_age: int = 1           # batches since the champion was trained, this one included
    compute_in_period: float = 0.0  # core-seconds of retraining in the current period
    rejected_in_row: int = 0        # retrains in a row whose candidates the gate rejected
    has_champion: bool = True
    # Batches the champion was trained with that have been withdrawn since (`tuneloop data
    # withdraw`): its figures are no bar to judge by, and a refit without them is owed.
    tainted: tuple[str, ...] = ()
    # The champion's evaluation found another family holding out better (its version's
    # FAMILY_BETTER tag, in words): a refit would keep the family, a re-tune can leave it.
    family_better: str | None = None
    # The batch decided just before this one, with no retrain since, whose retrain was held
    # because only its labels moved (Decision.held): this batch confirms the move or not.
    held: str | None = None
    # A retrain an earlier batch asked for is not carried out yet (decisions.Ledger.pending).
    pending_retrain: bool = False
    # Since the last promotion, a batch confirmed a held move (HELD_TRIGGER): the move is no
    # fault to wait out again, whatever the gate made of the retrain it asked for (sweep 58v:
    # a confirmed rate shift, its refit refused on AUC, was held a second time).
    confirmed: bool = False


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    triggers: list[str] = field(default_factory=list)
    # A retrain the triggers asked for, held a batch: only the batch's labels moved
    # (labels_alone), and nothing after it could yet test what a retrain would learn of them.
    held: bool = False

    @property
    def retrain(self) -> bool:
        return self.action != NONE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def refit_follows(mode: str, promoted: bool, has_champion: bool, was_champions: bool,
                  broke_limits: bool) -> bool:
    """Whether a live retrain gates the champion's configuration refit on the window after its
    re-tune (`mode` warm or cold) was refused, as the replay gates both candidates
    (candidate_kinds): not when the re-tune's choice was that configuration at its rounds
    (gated as a refit already; at other rounds it is a new model, gated as one), nor where
    limits bind (the study's trials broke one: a refit of it would break them again). Sweep
    31: re-tunes refused on small holdouts escalated to cold for good, and the loop served a
    model four seasons stale where the replay's refits won."""
    return not promoted and has_champion and mode in (WARM, COLD) and not was_champions \
        and not broke_limits


def champions_configuration(params: dict[str, Any], rounds: int,
                            champion: dict[str, Any] | None) -> bool:
    """Whether a re-tune's choice is the champion's configuration (champion.configuration())
    at its own rounds, as the replay and the gate's refit terms read a refit: the same params
    early stopped elsewhere are a new model (sweep 54b: a warm re-tune's choice of the
    champion's params at 270 rounds where it had 199, gated as a new model and refused,
    skipped the champion's refit the replay gated and promoted)."""
    if champion is None or params != champion.get("params"):
        return False
    theirs = champion.get("num_boost_round")
    return theirs is None or int(theirs) == int(rounds)


def candidate_kinds(action: str) -> tuple[str, ...]:
    """The candidates a retrain trains, each gated against the champion."""
    return () if action == NONE else (REFIT,) if action == REFIT else (REFIT, action)


def triggers(cfg: Any, evidence: Evidence, history: History) -> list[str]:
    """The auto policy's reasons to retrain (empty: none)."""
    found = []
    drop, low = evidence.performance_drop, evidence.drop_low
    # Relative to the holdout figure, so one margin means the same for AUC, RMSE or logloss.
    margin = cfg.performance_margin * abs(evidence.holdout_value or 0.0)
    if drop is not None and low is not None and drop > margin and low > 0:
        places = _places(evidence)
        found.append(f"{PERFORMANCE_TRIGGER} {_reference_words(evidence)} "
                     f"{evidence.holdout_value:.{places}f} by {drop:.{places}f} (CI "
                     f"{low:.{places}f}..{evidence.drop_high:.{places}f}), beyond the margin of "
                     f"{100 * cfg.performance_margin:g}%")
    if evidence.drift_importance > cfg.drift_importance:
        named = evidence.drifted_features
        more = f" and {len(named) - 5} more" if len(named) > 5 else ""  # the share counts them
        found.append(f"{DRIFT_TRIGGER} carrying {100 * evidence.drift_importance:.0f}% of the "
                     f"champion's importance ({', '.join(named[:5])}{more})")
    if evidence.calibration:
        # A shifted base rate the scores did not follow: AUC, a rank, is blind to it, and the
        # probabilities served are off by the gap. A refit learns the newer rate.
        found.append(f"{CALIBRATION_TRIGGER}: {evidence.calibration}")
    if evidence.constant_low is not None and \
            evidence.constant_low > (1 + cfg.constant_margin) * evidence.constant_bar:
        # In the metric's units alone a batch whose target shrank reads "better than the
        # holdout figure" while the champion errs several times a constant at the batch's own
        # mean (sweep 41b: RMSE 1444 on counts whose spread was 309, decided `none` three
        # batches running, 27% behind `every`). r2 measures from the batch's mean already.
        found.append(_constant_words(cfg, evidence))
    if evidence.beyond_time:
        found.append(f"{TIME_TRIGGER} ({', '.join(evidence.beyond_time[:3])})")
    if cfg.max_age_batches is not None and history.champion_age > cfg.max_age_batches:
        found.append(f"champion is {history.champion_age} batches old "
                     f"(max_age_batches {cfg.max_age_batches})")
    return found


def labels_moved(evidence: Evidence) -> bool:
    """Whether the batch's labels moved: the label statistic alarmed, or a binary champion's
    scores missed the batch's positive rate."""
    return evidence.label_alarm or bool(evidence.calibration)


def labels_alone(cfg: Any, evidence: Evidence, found: list[str]) -> bool:
    """Whether the batch's labels moved where its features do not say they should: a binary
    champion's scores missed the batch's positive rate (unless its scores moved and the rate
    did not: then the rows moved, not their labels; nor beside drift past
    `retune_drift_importance` or a batch the domain classifier told apart: the rows moved
    too), or the label statistic alarmed while nothing else did (no feature drift beyond the
    trigger's share, no separated batch, no drift of the champion's scores, no
    realized-metric trigger). A retrain on such a batch learns its labels with nothing after
    them to test them on: the refit's scored fit is the champion's own rows, and the served
    fit learns the batch (sweeps 54b F1 and 57b F1: a year's scores + 1 sd under a trend the
    realized metric did not see, and 60% of one label sent as the other, each learnt so and
    served a batch worse). An honest move persists into the next batch, a fault does not: so
    the retrain waits for it (decide). Not where the labels are an earlier batch's
    (`drift.label_delay`): that batch is in the window already, and a hold would name the
    wrong one (the review)."""
    if evidence.label_delay or not labels_moved(evidence):
        return False
    if evidence.separated:
        return False
    if evidence.calibration:
        return evidence.drift_importance <= cfg.retune_drift_importance and (
            evidence.label_alarm or not evidence.prediction_alarm)
    if evidence.drift_importance > cfg.drift_importance or evidence.prediction_alarm:
        return False
    return not any(t.startswith((PERFORMANCE_TRIGGER, CONSTANT_TRIGGER)) for t in found)


def _hold_words(evidence: Evidence, found: list[str], history: History) -> str:
    how = ("the champion's scores missed its positive rate" if evidence.calibration else
           "its label statistic alarmed while its features, the champion's scores and its "
           "realized metric held")
    waits = "; the retrain an earlier batch asked for waits with it" \
        if history.pending_retrain else ""
    return (f"held a batch: {'; '.join(found)}; but the batch's labels moved where its "
            f"features do not say they should ({how}), and a retrain now would learn them "
            "with no later batch to test them on (an honest move persists, a fault does "
            f"not){waits}. If the next batch's labels move too, it retrains then and the gate "
            "tests what this batch taught on that batch; if not, this batch stays in the "
            "training window and the next retrain's gate tests it (`tuneloop data withdraw "
            "BATCH --reason ...` if its labels are wrong; `tuneloop run --force`, a cold "
            "re-tune now, if the move is real and cannot wait)")


def _after_hold(history: History, moved: bool, idle: str = "") -> str:
    """What a batch after a held one says of it ("" after none); `idle`: why no retrain can
    follow here (the compute cap, `every:K`'s schedule)."""
    if history.held is None:
        return ""
    if moved and idle:
        return (f"the label move held at {history.held} shows again in this batch, but no "
                f"retrain runs {idle}")
    if moved:
        return (f"{HELD_TRIGGER} {history.held}: its labels moved in this batch too, so the "
                "retrain held there goes ahead, its gate judging on this batch what that one "
                "taught")
    return (f"{HELD_TRIGGER} {history.held} {HOLD_LAPSED}: that batch "
            "stays in the training window, and the gate of the retrain that learns it judges "
            f"it on later rows (`tuneloop data withdraw {history.held} --reason ...` if its "
            "labels were wrong)")


def _idle(history: History, moved: bool, why: str) -> str:
    """_after_hold's clause where no retrain can run, or ""."""
    return f"; {_after_hold(history, moved, why)}" if history.held else ""


def constant_centre(metric: str | None) -> str:
    """Where the constant a regression champion's error is measured against sits."""
    return "median" if metric == "mae" else "mean"


def _constant_words(cfg: Any, evidence: Evidence) -> str:
    metric = evidence.metric or "rmse"
    own = "" if evidence.constant_own is None else \
        f", its own holdout's {evidence.constant_own:.2f}"
    return (f"{CONSTANT_TRIGGER} {constant_centre(metric)}: its {metric} "
            f"{evidence.constant_low:.2f} to {evidence.constant_high:.2f} times (CI) the "
            f"{evidence.constant:.4g} of predicting that, beyond (1 + constant_margin "
            f"{cfg.constant_margin:g}) x {evidence.constant_bar:.2f} (the larger of 1{own})")


def _collapse_words(evidence: Evidence, share: float) -> str:
    """_collapse_share in words, with the figure it is a share of ("the room its own holdout
    figure left lost" read wrong for a loss, and named no figure: sweep 35)."""
    from tuneloop.metrics import AUC_METRICS, LOWER_IS_BETTER  # numpy: not at start-up

    own = evidence.own_figure
    metric = evidence.metric or "metric"
    figure = f"its own holdout {metric} {own:.{_places(evidence)}f}"
    if metric in LOWER_IS_BETTER:
        return f"worse by at least {100 * share:.0f}% of {figure}"
    if metric in AUC_METRICS:
        return f"lower by at least {100 * share:.0f}% of {figure}"
    return f"at least {100 * share:.0f}% of what {figure} left to 1 lost"


def _collapse_share(evidence: Evidence) -> float | None:
    """The share of the room its own holdout figure left that the champion lost on the batch,
    by the lower end of the drop's CI (a small batch's point estimate alone re-tuned on a drop
    its CI did not show: the review): for a loss or an AUC, of the figure itself (a label
    shift's AUC fall of a fifth is a refit's to learn); for accuracy, F1 or r2, of what it
    left to 1 (1 - r2 is the error's share: r2 0.02 -> 0.01 re-tuned as half of it). From
    the champion's own figure, not one kept from before a drop (a summer quarter's RMSE 4.7
    made each whole year a collapse: sweep 34). None where nothing is measured or the figure
    left no room (AUC at or below chance)."""
    own = evidence.own_figure
    drop, low = evidence.performance_drop, evidence.drop_low
    if own is None or drop is None or low is None or evidence.metric is None:
        return None
    # numpy: not at start-up
    from tuneloop.metrics import AUC_METRICS, LOWER_IS_BETTER, higher_is_better

    metric = evidence.metric
    if evidence.holdout_value is not None:  # the same interval, measured from the own figure
        low -= (evidence.holdout_value - own) * (1.0 if higher_is_better(metric) else -1.0)
    if metric in AUC_METRICS and own <= 0.5:
        return None  # at chance: nothing left to lose
    room = own if metric in LOWER_IS_BETTER or metric in AUC_METRICS else 1.0 - own
    return low / room if room > 0 else None


def performance_triggered(triggers: list[str]) -> bool:
    """Whether a decision's triggers include a drop of the realized metric."""
    return any(t.startswith(PERFORMANCE_TRIGGER) for t in triggers)


def kept_reference(holdout: float | None, before: list[float], higher_is_better: bool,
                   ) -> float | None:
    """The figure a champion's realized metric is measured from: its holdout figure, or the
    better holdout figure of the champion a drop it was retrained on was seen in (`before`). A
    refit's holdout is the newest batch, the very one that dropped; measured from that figure,
    the next batch as bad went unseen and every drop raised the bar (a hotel-rates replay let
    its error double so). Only a retrain that answered a drop keeps the earlier figure (one for
    drift or age measures from its own), and only one retrain deep (Ledger.reference_of)."""
    figures = [f for f in [holdout, *before] if f is not None]
    if not figures:
        return None
    return max(figures) if higher_is_better else min(figures)


def _reference_words(evidence: Evidence) -> str:
    return ("the figure from before the drop its retrain answered" if evidence.reference_kept
            else "the holdout figure")


def decide(cfg: Any, evidence: Evidence, history: History) -> Decision:
    """cfg: tuneloop.config.PolicyConfig (or anything with its fields)."""
    policy = parse_policy(cfg.name)
    if not history.has_champion:
        return Decision(COLD, "no champion yet: a cold tune", ["no champion"])
    if policy.kind == NEVER:
        return Decision(NONE, "policy never retrains")
    # What a batch after a held one says (the reviews: never dropped unsaid): where its
    # labels moved too, the held retrain is released, a trigger of its own (`release`);
    # else a clause of the reason (`tail`; _idle's where no retrain can run).
    moved = labels_moved(evidence)
    after = _after_hold(history, moved)
    release = history.held is not None and moved
    tail = f"; {after}" if after and not release else ""
    if history.tainted:
        # Before the cap and the cooldown: a champion that learnt a batch found wrong serves
        # it until retrained, and its holdout figure, measured on that batch, is no bar (sweep
        # 31: a clean batch scored 14 times worse than before was "better than the holdout
        # figure", and nothing retrained).
        named = ", ".join(history.tainted[:3]) + (
            f" and {len(history.tainted) - 3} more" if len(history.tainted) > 3 else "")
        # The release a trigger here too, so the ledger knows the move confirmed (the
        # second review: the next batch held again).
        found = [f"{TAINTED_TRIGGER} {named}", *([after] if release else [])]
        # Escalated as any trigger is: a refit the gate refused is followed by a re-tune, not
        # by the same refit at every batch (the review).
        if history.rejected_in_row >= cfg.cold_after_rejected:
            return Decision(COLD, f"{found[0]}: a cold re-tune on the window without them, "
                                  f"after {history.rejected_in_row} rejected retrains in a "
                                  f"row{tail}", found)
        if history.rejected_in_row:
            return Decision(WARM, f"{found[0]}: a warm re-tune on the window without them, "
                                  f"after a rejected retrain{tail}", found)
        return Decision(REFIT, f"{found[0]}: a refit on the window without them{tail}", found)
    if cfg.compute_cap_s is not None and history.compute_in_period >= cfg.compute_cap_s:
        return Decision(NONE, f"compute cap reached: {history.compute_in_period:.0f} of "
                              f"{cfg.compute_cap_s:g} core-s in this period of "
                              f"{cfg.period_batches} batches"
                              f"{_idle(history, moved, 'under the cap')}")
    if policy.kind == EVERY:
        if history.since_retrain < policy.every:
            return Decision(NONE, f"policy {policy.name}: {history.since_retrain} batch(es) since "
                                  f"the last retrain"
                                  f"{_idle(history, moved, f'before {policy.name} is due')}")
        found = [f"policy {policy.name}"]
    else:
        found = [*triggers(cfg, evidence, history), *([after] if release else [])]
        alone = labels_alone(cfg, evidence, found)
        if not found:
            return Decision(NONE, "no trigger: " + _quiet(evidence) + tail)
        if history.since_retrain <= cfg.cooldown_batches:
            return Decision(NONE, f"cooldown: {history.since_retrain} batch(es) since the last "
                                  f"retrain (cooldown_batches {cfg.cooldown_batches}); would "
                                  f"retrain on: {'; '.join(found)}", found)
        if alone and history.held is None and not history.confirmed:
            return Decision(NONE, _hold_words(evidence, found, history), found, held=True)
    # Label drift is said where the batch is learnt too, not counted a trigger (sweep 23: a
    # batch of wages among log wages, KS 0.96 against the reference, was refit on with no
    # word of it).
    said = [*found, LABEL_NOTE] if evidence.label_alarm and not evidence.calibration \
        else found
    if after and not release:
        said = [*said, after]
    if evidence.separated:
        said = [*said, evidence.separated]
    if history.rejected_in_row >= cfg.cold_after_rejected:
        return Decision(COLD, f"{'; '.join(said)}; a cold re-tune after "
                              f"{history.rejected_in_row} rejected retrains in a row", found)
    if policy.kind == AUTO and history.rejected_in_row == 0:
        # Drift re-tunes only past both shares: the trigger's and the re-tune's.
        key, bar = max(("retune_drift_importance", cfg.retune_drift_importance),
                       ("drift_importance", cfg.drift_importance), key=lambda kv: kv[1])
        if evidence.drift_importance > bar:
            return Decision(WARM, f"{'; '.join(said)}; drift beyond {100 * bar:g}% of its "
                                  f"importance ({key}): a warm re-tune", found)
        share = _collapse_share(evidence)
        if performance_triggered(found) and share is not None and share > cfg.retune_drop:
            # A collapse, not a season: a label shift ran a log loss at 2-4x its figure three
            # batches in a row, and each refit of the champion was promoted as no worse than
            # itself, so nothing escalated (sweep 33), where `every`'s re-tunes served 12%
            # better. The bundled project's worst month fell 6%: a refit first, as before.
            return Decision(WARM, f"{'; '.join(said)}; {_collapse_words(evidence, share)}, "
                                  f"beyond {100 * cfg.retune_drop:g}% (retune_drop): a warm "
                                  "re-tune", found)
        if history.family_better:
            # Sweep 57b: each refit of a linear champion passed the gate while the evaluation
            # said LightGBM held out at half its error; nothing escalated, for good.
            return Decision(WARM, f"{'; '.join(said)}; at the champion's evaluation "
                                  f"{history.family_better}: a warm re-tune (a refit keeps "
                                  "its family)", found)
        return Decision(REFIT, f"{'; '.join(said)}; refit its configuration on the new window "
                               "first (if the gate rejects it, the next retrain re-tunes)",
                        found)
    if history.rejected_in_row:
        share = _collapse_share(evidence)
        # The collapse said here too (sweep 48b: an RMSE 78% worse read only "a warm re-tune
        # after 1 rejected retrain(s)").
        collapse = f"; {_collapse_words(evidence, share)}" if performance_triggered(found) \
            and share is not None and share > cfg.retune_drop else ""
        return Decision(WARM, f"{'; '.join(said)}{collapse}; a warm re-tune after "
                              f"{history.rejected_in_row} rejected retrain(s) (withdrawn "
                              "batches' not counted)", found)
    return Decision(WARM, "; ".join(said), found)


# Said of every seasonal month of a temperature table, it was noise where it fired and no
# guard where it mattered (sweep 29): the gate's newest-batch check is the guard, named here.
# It promises nothing the gate may not do (sweep 54b: a shift and a relabel its checks passed
# were learnt under "... what the newest-batch check refuses to learn").
LABEL_NOTE = ("label drift (reported, not a trigger: seasons and shifts move it; the gate's "
              "newest-batch checks refuse a retrain on labels its predictions no longer "
              "order, or on a target shifted or scaled far beyond the champion's error, but "
              "not a smaller shift or a relabel that keeps the order: if this batch's labels "
              "changed by a fault, `tuneloop data withdraw BATCH --reason ...`)")


def _quiet(evidence: Evidence) -> str:
    parts = [f"drifted importance {100 * evidence.drift_importance:.0f}%"]
    if evidence.performance_drop is not None:
        places = _places(evidence)
        if all(_rounds_to_zero(v, places) for v in (evidence.performance_drop,
                                                     evidence.drop_low, evidence.drop_high)):
            # "worse by -0.0000 (negative: better; CI -0.0000..-0.0000)" said nothing.
            parts.append(f"realized metric as {_reference_words(evidence)}")
        else:
            parts.append(_against_holdout(evidence))
    if evidence.constant_low is not None and evidence.constant_high is not None:
        # Said where the realized metric alone reads "better" (sweep 43: 1.08 times it).
        parts.append(f"its error {evidence.constant_low:.2f}..{evidence.constant_high:.2f} "
                     f"times (CI) a constant's at the batch's own "
                     f"{constant_centre(evidence.metric)}")
    if evidence.label_alarm:
        parts.append("label drift (reported, not a trigger)")
    if evidence.separated:
        parts.append(evidence.separated)
    return ", ".join(parts)


def _against_holdout(evidence: Evidence) -> str:
    """The realized metric against the holdout figure, in the words of its direction: "worse
    ... by -0.0815 (negative: better)" made a reader undo a double negative."""
    drop = evidence.performance_drop or 0.0
    words = _reference_words(evidence)
    places = _places(evidence)
    if _rounds_to_zero(drop, places):  # "better ... by 0.0000": no direction
        return (f"realized metric as {words} (CI {evidence.drop_low or 0.0:+.{places}f}.."
                f"{evidence.drop_high or 0.0:+.{places}f}, worse positive)")
    word, sign = ("worse", 1.0) if drop > 0 else ("better", -1.0)
    # The interval in the same direction: a CI that reaches across 0 keeps its sign.
    low, high = sorted(sign * (bound or 0.0) for bound in (evidence.drop_low,
                                                           evidence.drop_high))
    return (f"realized metric {word} than {words} by {abs(drop):.{places}f} "
            f"(CI {_signed(low, places)}..{_signed(high, places)})")


def _rounds_to_zero(value: float | None, places: int) -> bool:
    """Whether a figure shown in `places` decimals reads 0 (a missing one does)."""
    return abs(value or 0.0) < 0.5 * 10 ** -places


def _signed(value: float, places: int) -> str:
    """A CI bound with its sign, in the figure's decimals; one those round to zero keeps its
    own digits: "CI -0.0000..+0.0195" (sweep 33) hid which side of zero a bound was, and
    whether it is decides the trigger."""
    if value != 0 and _rounds_to_zero(value, places):
        return f"{value:+.1e}"
    return f"{value:+.{places}f}"


def _places(evidence: Evidence) -> int:
    """Decimals that keep four significant digits of the holdout figure: an RMSE of 0.00012
    read "0.0001 by 0.0000" (sweep 31b), one in dollars "by 17085.5508" (sweep 33a)."""
    value = abs(evidence.holdout_value or 0.0)
    if not math.isfinite(value) or value <= 0:
        return 4
    return min(12, max(0, 3 - math.floor(math.log10(value))))
