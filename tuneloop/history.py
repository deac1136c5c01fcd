"""One record per loop run, and the history an operator reads from them.

The loop flow appends one line to `paths.runs` (JSONL, append-only) when it ends, failed runs
included: when it ran, what started it, the data it saw, what it decided, the study's
indicators (tuneloop.sli, as written for that study), the holdout metric and the gate's
verdict. `tuneloop history` reads them back: no MLflow or Prefect query on the way, so it is
as fast for a year of runs as for one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuneloop import jsonl
from tuneloop.config import Params
from tuneloop.errors import ValidationFailed

# The columns of `tuneloop history` (also the keys every record has, None where not known).
COLUMNS = ("at", "trigger", "status", "dataset_version", "retrain", "trials", "stop_reason",
           "success_rate", "best_valid", "holdout", "cost", "promoted", "version", "reason")


def run_record(params: Params, root: Path, *, started: str, finished: str, trigger: str,
               flow_run: str | None, summary: dict[str, Any] | None = None,
               error: BaseException | None = None) -> dict[str, Any]:
    """The record of one loop run from the flow's summary (None when it failed)."""
    from tuneloop.io import read_json

    summary = summary or {}
    studied = summary.get("mode") in ("cold", "warm")
    # A study followed by the refit (flows.loop): the study's indicators, kept before the
    # refit's step wrote "no study" in their place.
    slis = (summary.get("study_sli") or read_json(root / params.paths.sli)) if studied else {}
    promotion = summary.get("promotion") or {}
    gate_metric = params.gate_metric
    holdout = (summary.get("holdout") or {}).get(gate_metric)
    error_line = None
    # Ctrl-C or SIGTERM (Prefect's TerminationSignal): stopped on purpose, not failed (no
    # run_failed alert for an operator's own stop).
    signum = getattr(error, "signal", None)
    stopped = isinstance(error, KeyboardInterrupt) or signum is not None
    if error is not None:
        lines = str(error).strip().splitlines()
        said = lines[0] if lines else (f"stopped by signal {signum}" if signum else
                                       "stopped" if stopped else "")
        error_line = f"{type(error).__name__}: {said}".removesuffix(": ")[:500]
    return {
        "at": started, "finished": finished, "trigger": trigger, "flow_run": flow_run,
        # A run stopped by a rejected batch did its job (the gate said no): not "failed", so
        # history, the report and the alerts do not call a data rejection a broken run.
        "status": "ok" if error is None else "stopped" if stopped else
                  "rejected" if isinstance(error, ValidationFailed) else "failed",
        "error": error_line,
        "error_type": None if error is None else type(error).__name__,
        "dataset_version": summary.get("dataset_version"),
        "batches": [d["batch"] for d in (summary.get("check") or {}).get("decided", [])],
        "retrain": summary.get("retrain"), "mode": summary.get("mode"),
        "trials": slis.get("trials"), "stop_reason": slis.get("stop_reason"),
        "success_rate": slis.get("success_rate"), "metric": slis.get("metric"),
        "best_valid": slis.get("best_valid"), "cost": slis.get("cost"),
        "currency": slis.get("currency"), "compute_core_s": slis.get("compute_core_s"),
        "sli": slis or None,
        "gate_metric": gate_metric, "holdout": holdout,
        "version": promotion.get("version"), "promoted": promotion.get("promoted"),
        # A retrain owed but deferred is said (the row read "retrain none" with no reason).
        "deferred": summary.get("deferred"),
        "reason": _with_earlier(promotion.get("reason"), summary.get("earlier") or [])
        or summary.get("deferred") or error_line,
        # the candidate that decided (a refit after a refused re-tune: flows.loop)
        "decided_by": summary.get("decided_by"),
        # ... and those the gate refused before it, each with its own reason (sweep 33: one
        # refused re-tune's reason was in neither `history` nor the report)
        "earlier": [_candidate(e.get("mode"), e.get("promotion") or {}, gate_metric)
                    for e in summary.get("earlier") or []],
    }


def _candidate(mode: str | None, promotion: dict[str, Any], metric: str) -> dict[str, Any]:
    return {"mode": mode, "version": promotion.get("version"),
            "promoted": promotion.get("promoted"),
            "holdout": (promotion.get("challenger") or {}).get(metric),
            "reason": promotion.get("reason")}


def _with_earlier(reason: str | None, earlier: list[dict[str, Any]]) -> str | None:
    """The decision's reason, after the refused re-tune's version where one came first."""
    if reason is None or not earlier:
        return reason
    from tuneloop.verdict import verdict_words

    before = "; ".join(f"the {e.get('mode')} re-tune's v{e['promotion'].get('version')} "
                       f"{verdict_words(False)}" for e in earlier)
    return f"{before}; then the refit: {reason}"


def append(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    return jsonl.append(path, record)


def read(path: Path, last: int | None = None) -> list[dict[str, Any]]:
    """The loop runs, oldest first (the last `last` of them)."""
    runs = jsonl.read(path, "loop run history")
    return runs[-last:] if last else runs


def candidates(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every candidate the gate judged in `runs`, oldest first: a run that gated a refused
    re-tune and then the refit judged two (sweep 33: "4 candidate(s) judged" of 5)."""
    out = []
    for run in runs:
        out.extend({"at": run.get("at"), **e} for e in run.get("earlier") or [])
        if run.get("promoted") is not None:
            out.append({"at": run.get("at"), "mode": run.get("decided_by") or run.get("mode"),
                        "version": run.get("version"), "promoted": run.get("promoted"),
                        "holdout": run.get("holdout"),
                        "reason": run.get("reason")})
    return out


def promotion_rate(runs: list[dict[str, Any]]) -> float | None:
    """Promoted candidates / candidates judged, over `runs` (None: no candidate)."""
    judged = candidates(runs)
    return sum(bool(c["promoted"]) for c in judged) / len(judged) if judged else None


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _named(value: Any, metric: Any) -> str:
    """A figure with its metric's name: runs of one project may be scored by different
    metrics (tune.metric changed), and a bare column mixed an rmse with an mae (sweep 21)."""
    cell = _cell(value)
    return f"{metric} {cell}" if value is not None and metric else cell


def table(runs: list[dict[str, Any]]) -> str:
    """A plain-text table, one row per run, for a terminal."""
    rows = [[_cell(r.get("at", "")[:19].replace("T", " ")), _cell(r.get("trigger")),
             _cell(r.get("status")), _cell((r.get("dataset_version") or "")[:8] or None),
             _cell(r.get("retrain")), _cell(r.get("trials")), _cell(r.get("stop_reason")),
             _cell(r.get("success_rate")), _named(r.get("best_valid"), r.get("metric")),
             _named(r.get("holdout"), r.get("gate_metric")),
             _cell(r.get("cost")), _cell(r.get("promoted")), _cell(r.get("version")),
             _cell(r.get("reason"))[:60]] for r in runs]
    header = ["when (UTC)", "trigger", "status", "data", "retrain", "trials", "stop",
              "success", "best valid", "holdout", "cost", "promoted", "version", "reason"]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def record(params: Params, root: Path, started: str, summary: dict[str, Any] | None = None,
           error: BaseException | None = None) -> dict[str, Any]:
    """Append this loop run's record (called by the loop flow as its last step, or when it
    failed); the trigger and the flow run's name are read from the running flow."""
    from tuneloop import trigger
    from tuneloop.search.journal import utc_now

    try:
        from prefect.runtime import flow_run

        name = flow_run.name
    except Exception:  # noqa: BLE001 - not inside a flow run
        name = None
    entry = run_record(params, root, started=started, finished=utc_now(),
                       trigger=trigger.current(), flow_run=name, summary=summary, error=error)
    return append(root / params.paths.runs, entry)
