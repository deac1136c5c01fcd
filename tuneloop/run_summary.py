"""What a loop run shows in the Prefect UI: its flow-run name, a markdown summary and a table of
the study's top trials. Plain data and text only; the flow posts them as artifacts.

Names follow one scheme, `<project>-<trigger>-<UTC yyyymmdd-HHMM>` (e.g.
`churn-schedule-20260301-0600`): the project's folder name, what started the run
(tuneloop.trigger) and when.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.metrics import to_maximise
from tuneloop.search.budget import stop_words
from tuneloop.search.journal import load_outcomes

if TYPE_CHECKING:
    from tuneloop.promotion import Decision
    from tuneloop.records import TuneResult
    from tuneloop.search.trial import TrialOutcome

# Artifact keys: the UI keeps every run's version of a key together (lowercase and dashes).
SUMMARY_KEY = "tuneloop-run-summary"
TOP_TRIALS_KEY = "tuneloop-top-trials"
TOP_TRIALS = 10


def run_name(project: str, trigger: str, at: datetime) -> str:
    """A flow run's name: `<project>-<trigger>-<UTC yyyymmdd-HHMM>`."""
    return f"{project}-{trigger}-{at.astimezone(UTC):%Y%m%d-%H%M}"


def _num(value: Any, digits: int = 4) -> Any:
    """Floats shortened for reading; anything else as it is."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.{digits}g}") if abs(value) >= 1 else round(value, digits + 2)
    return value


def _state(trial: TrialOutcome) -> str:
    """A trial's state as its Prefect task run shows it."""
    if trial.status == "pruned":
        return f"Pruned (rung {trial.rung})"
    return "Completed" if trial.status == "ok" else "Failed"


def top_trials(journal: Path, metric: str, n: int = TOP_TRIALS) -> list[dict[str, Any]]:
    """The study's best `n` trials from its journal, one row each: completed trials by their
    validation value, then pruned ones by their value at the rung where they stopped (a lower
    fidelity, so never ranked above a completed trial); failed trials have no value. Values
    are in the metric's own terms (a loss stays positive); each parameter is a column."""
    scored = [t for t in load_outcomes(journal) if t.status != "failed" and t.value is not None]
    ranked = sorted(scored, key=lambda t: (t.status != "ok", -float(t.value), t.id))  # type: ignore[arg-type]
    names: dict[str, None] = {}  # every parameter of any row, in order of appearance
    for trial in ranked[:n]:
        names.update(dict.fromkeys(trial.params))
    return [{"trial": t.id, metric: _num(to_maximise(metric, float(t.value)), 6),  # type: ignore[arg-type]
             "state": _state(t), "seconds": round(t.seconds, 2),
             **{k: _num(t.params.get(k)) for k in names}}
            for t in ranked[:n]]


def _decisions(check: dict[str, Any]) -> list[str]:
    lines = [f"- `{d['batch']}`: **{d['action']}**: {d['reason']}" for d in check["decided"]]
    return lines or ["- no new batch"]


def markdown(*, project: str, trigger: str, dataset_version: str, rows: int, action: str,
             check: dict[str, Any], tuned: TuneResult | None = None,
             holdout: dict[str, float] | None = None, decision: Decision | None = None,
             earlier: list[Decision] = ()) -> str:
    """The run in a page: the data it saw, what was decided and why, the study, the holdout and
    the gate's verdict. `check` is the drift stage's Check.to_dict(); `action` the retrain the
    run carried out (none, refit, warm, cold)."""
    drifted = ", ".join(f"`{f}`" for f in check.get("drifted_features", [])) or "none"
    lines = [f"# {project}: {trigger} run", "",
             f"**Dataset version** `{dataset_version}` ({rows:,} rows).", "",
             "## Batch decisions", *_decisions(check), "",
             f"Drifted features (newest batch): {drifted}. "
             f"Retrain carried out: **{action}**."]
    if tuned is not None:
        lines += ["", "## Tuning", f"Mode: {tuned.mode}."]
        if tuned.n_trials:
            ok = tuned.n_trials - tuned.n_pruned - tuned.n_failed
            lines += [f"{tuned.n_trials} trials: {ok} completed, {tuned.n_pruned} pruned, "
                      f"{tuned.n_failed} failed (stopped: {stop_words(tuned.stop_reason)}).",
                      f"Best validation {tuned.metric}: **{tuned.best_value:.5g}** "
                      f"(trial {tuned.best_trial}).",
                      f"Compute: {tuned.compute_seconds:.0f} core-seconds."]
        else:
            lines.append("No trials: the champion's configuration refit on the new window.")
    if holdout:
        shown = ", ".join(f"{k} {v:.5g}" for k, v in holdout.items()
                          if isinstance(v, float) and math.isfinite(v))
        lines += ["", "## Holdout", shown or "no metric"]
    for before in earlier:
        # A re-tune refused before the refit that decided (flows.loop): its version and why.
        lines += ["", "## The re-tune's candidate",
                  f"version {before.version} **rejected by the gate**, kept as challenger: "
                  f"{before.reason}",
                  "", "Then the champion's configuration, refit on the new window, was gated "
                  "(no trials): its holdout and verdict follow."]
    if decision is not None:
        verdict = (f"version {decision.version} **promoted to champion**" if decision.promoted
                   else f"version {decision.version} **rejected by the gate**, kept as "
                   "challenger")
        against = (f" against champion version {decision.champion_version}"
                   if decision.champion_version else "")
        lines += ["", "## Promotion", f"{verdict}{against}: {decision.reason}"]
        if decision.delta is not None and decision.ci is not None:
            lines.append(f"{decision.metric} delta {decision.delta:+.4f} "
                         f"(CI {decision.ci[0]:+.4f}..{decision.ci[1]:+.4f}, margin "
                         f"{decision.margin:g}).")
    return "\n".join(lines) + "\n"
