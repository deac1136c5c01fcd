"""`tuneloop report`: one self-contained HTML page an operator opens from disk (no server, no
network): every picture is an inline PNG, the only script sorts the trial table.

Three views, from what the project already recorded:
  overview     each run's candidate holdout metric (promoted ones ringed) and cost over time,
               promotions and rollbacks (the history of loop runs, the promotion audit log);
  operations   failed runs and their reasons, runs stopped at a rejected batch, retries,
               budget burn against the cap, gate rejections, the retraining policy's
               decisions (history, decision ledger);
  study        the latest study: optimization history, each parameter against the score,
               their rank correlation with it, parallel coordinates, a sortable trial table.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from tuneloop import audit, history, jsonl
from tuneloop.config import Params
from tuneloop.decisions import DECIDED, Ledger
from tuneloop.leakage import suspected_note
from tuneloop.metrics import to_maximise
from tuneloop.search.seeded import latest_study, study_indicators_path
from tuneloop.study_plots import png_bytes, pyplot

VIEWS = ("overview", "operations", "study")

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328}
header{background:#24292f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
nav a{color:#fff;margin-right:18px;text-decoration:none;font-weight:600}
section{padding:8px 24px 24px;border-bottom:1px solid #d0d7de}
h2{margin:18px 0 8px}table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left}
th{background:#f6f8fa;cursor:pointer;user-select:none}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;
padding:8px 14px;min-width:120px}.card b{display:block;font-size:20px}
img{max-width:100%;border:1px solid #eee}.bad{color:#cf222e}.muted{color:#656d76}
.warning{color:#9a6700;background:#fff8c5;padding:.5em;border:1px solid #d4a72c}
"""

# Sorts the trial table by the clicked column (numbers as numbers); the page's only script.
_SORT = """
document.querySelectorAll('table.sortable th').forEach((th, col) => {
  th.addEventListener('click', () => {
    const body = th.closest('table').tBodies[0];
    const asc = th.dataset.asc !== 'true'; th.dataset.asc = asc;
    const key = r => { const t = r.cells[col].textContent; const n = parseFloat(t);
                       return isNaN(n) ? t : n; };
    [...body.rows].sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0)
                        * (asc ? 1 : -1)).forEach(r => body.appendChild(r));
  });
});
"""


def _png(fig: Any, alt: str = "") -> str:
    data = base64.b64encode(png_bytes(fig, dpi=90)).decode()
    return f'<img alt="{alt}" src="data:image/png;base64,{data}">'


def _table(rows: list[dict[str, Any]], columns: list[str], css: str = "") -> str:
    if not rows:
        return '<p class="muted">none</p>'

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.5g}"
        return html.escape("-" if v is None else str(v))

    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(r.get(c))}</td>" for c in columns) + "</tr>"
                   for r in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cards(items: list[tuple[str, Any]]) -> str:
    def show(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else html.escape("-" if v is None else str(v))
    return '<div class="cards">' + "".join(f'<div class="card">{html.escape(k)}<b>{show(v)}</b>'
                                           f"</div>" for k, v in items) + "</div>"


def _over_time(runs: list[dict[str, Any]]) -> str:
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
    xs = list(range(1, len(runs) + 1))
    pts = [(x, r["holdout"]) for x, r in zip(xs, runs, strict=True) if r.get("holdout") is not None]
    if pts:
        top.plot(*zip(*pts, strict=True), marker="o", c="tab:blue", label="candidate")
    promoted = [(x, r["holdout"]) for x, r in zip(xs, runs, strict=True) if r.get("promoted")]
    if promoted:
        top.scatter(*zip(*promoted, strict=True), s=90, facecolors="none",
                    edgecolors="tab:green", label="promoted")
    top.set_ylabel(f"holdout {runs[-1].get('gate_metric') if runs else ''}")
    if pts:  # nothing plotted yet (no study finished): no legend to draw, and no warning
        top.legend(loc="best")
    top.grid(alpha=0.3)
    bottom.bar(xs, [r.get("cost") or 0.0 for r in runs], color="tab:gray")
    bottom.set_ylabel(f"cost ({next((r['currency'] for r in runs if r.get('currency')), '')})")
    bottom.set_xlabel("loop run")
    from matplotlib.ticker import MaxNLocator

    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.grid(alpha=0.3)
    return _png(fig)


def _scored(run: dict[str, Any]) -> Any:
    """A run's holdout figure as the overview's card says it: metric, figure, and its version
    and "not promoted" where they apply."""
    if not isinstance(run["holdout"], float):
        return run["holdout"]
    said = [f"v{run['version']}" if run.get("version") else "",
            "" if run.get("promoted") else "not promoted"]
    after = ", ".join(w for w in said if w)
    return (f"{run.get('gate_metric') or ''} {run['holdout']:.4g}".strip()
            + (f" ({after})" if after else ""))


def overview(runs: list[dict[str, Any]], entries: list[dict[str, Any]], model: str) -> str:
    moves = [e for e in entries if e.get("model_name") == model
             and e.get("champion_after") != e.get("champion_before")]
    rate = history.promotion_rate(runs)
    # The last run that scored a model: a run that stopped or retrained nothing has none.
    # Named with its version: after a rollback it is not the champion's figure.
    last = next((r for r in reversed(runs) if r.get("holdout") is not None), None)
    # With its metric, and whether it was promoted (sweep 57a: a first model the gate refused
    # read "champion - / last run's holdout 1.148 (v1)", the refusal only under Operations).
    scored = None if last is None else _scored(last)
    cards = _cards([("loop runs", len(runs)),
                    ("promotion rate", None if rate is None else f"{rate:.0%}"),
                    ("champion", moves[-1]["champion_after"] if moves else None),
                    ("last run's holdout", scored),
                    ("total cost", sum(r.get("cost") or 0.0 for r in runs))])
    chart = _over_time(runs) if runs else '<p class="muted">no loop run yet</p>'
    table = _table([{**e, "when": e.get("time")} for e in moves],
                   ["when", "action", "version", "champion_before", "champion_after", "reason"])
    return (f'<section id="overview"><h2>Overview</h2>{cards}{chart}'
            f"<h3>Promotions and rollbacks</h3>{table}</section>")


def operations(params: Params, runs: list[dict[str, Any]],
               decisions: list[dict[str, Any]],
               arrivals: list[dict[str, Any]] = ()) -> str:
    failed = [r for r in runs if r.get("status") == "failed"]
    # Every rejected file, `tuneloop ingest`'s too: only those a run met showed (sweep 27).
    from tuneloop.registry_view import files_in, rejections

    judged = rejections(list(arrivals))
    quarantined = [{"at": a.get("decided_at"), "file": Path(str(a.get("source"))).name,
                    "kept in": a.get("quarantined_in"),
                    "since": "accepted later (a retry, or the file sent again fixed), or "
                             "dismissed" if cleared else
                             "a copy of accepted rows: nothing to fix" if a.get("resent")
                             else "not accepted since"}
                   for a, cleared in judged]
    still = files_in([a for a, cleared in judged if not cleared and not a.get("resent")])
    # Withdrawals too (sweep 31: status counted them, the report showed none).
    from tuneloop.batches import withdrawn_now

    withdrawn = [{"at": e.get("decided_at"), "file": Path(str(e.get("source"))).name,
                  "reason": e.get("withdrawn"), "kept in": e.get("quarantined_in")}
                 for e in withdrawn_now(list(arrivals)).values()]
    stopped_by_data = [r for r in runs if r.get("status") == "rejected"]
    studied = [r for r in runs if r.get("sli")]
    budget = params.tune.budget
    burn = [{"at": r["at"], "trials": r["sli"]["trials"], "retries": r["sli"].get("retries"),
             "success_rate": r["sli"].get("success_rate"),
             "compute_core_s": r["sli"].get("compute_core_s"),
             "compute budget": budget.compute_s, "cost": r["sli"].get("cost"),
             "cost cap": budget.cost, "stop_reason": r["sli"].get("stop_reason")}
            for r in studied]
    rejected = [c for c in history.candidates(runs) if c["promoted"] is False]
    decided = [{"at": e.get("at"), "batch": e.get("batch"),
                "action": (e.get("decision") or {}).get("action"),
                "reason": (e.get("decision") or {}).get("reason")}
               for e in decisions if e.get("event") == DECIDED]
    return ('<section id="operations"><h2>Operations</h2>'
            + _cards([("failed runs", len(failed)),
                      ("runs stopped at a rejected batch", len(stopped_by_data)),
                      ("batch files rejected, not accepted since", still),
                      ("retries", sum(r["sli"].get("retries") or 0 for r in studied)),
                      ("gate rejections", len(rejected)), ("batches decided", len(decided))])
            + f'<h3 class="{"bad" if failed else ""}">Failures</h3>'
            + _table(failed, ["at", "trigger", "error"])
            + "<h3>Runs stopped at a rejected batch</h3>"
            + _table(stopped_by_data, ["at", "trigger", "error"])
            + "<h3>Batch files rejected (ingest and runs alike)</h3>"
            + _table(quarantined, ["at", "file", "kept in", "since"])
            + "<h3>Accepted batches withdrawn (`tuneloop data withdraw`)</h3>"
            + _table(withdrawn, ["at", "file", "reason", "kept in"])
            + "<h3>Budget burn and retries, per study</h3>"
            + _table(burn, list(burn[0]) if burn else [])
            + "<h3>Gate rejections</h3>" + _table(rejected, ["at", "mode", "version", "holdout",
                                                             "reason"])
            + "<h3>Retraining decisions (drift)</h3>"
            + _table(decided, ["at", "batch", "action", "reason"]) + "</section>")


IMPORTANCE_MIN_TRIALS = 5  # fewer scored trials holding a parameter rank nothing


def _importance(outcomes: list[Any]) -> list[tuple[str, float, int]]:
    """|Spearman rank correlation| of each numeric parameter with the score over scored
    trials, and for a categorical one (the model `family`) the correlation ratio of the
    score's ranks by its values: a plain, honest measure of which knobs moved the score (not
    fANOVA). A family choice was left out, the knob that mattered most (sweep 24). Each with
    the number of trials it is measured over: a parameter of one family only (a linear
    model's alpha) has few, and on 4 trials within 0.0005 of each other it ranked first at
    0.98 (sweep 51c F4); under IMPORTANCE_MIN_TRIALS it is left out."""
    import pandas as pd

    scored = [o for o in outcomes if o.status != "failed" and o.value is not None]
    if len(scored) < 3:
        return []
    frame = pd.DataFrame([{**o.params, "__score": o.value} for o in scored])
    out = []
    ranks = frame["__score"].rank()
    for name in frame.columns.drop("__score"):
        col = pd.to_numeric(frame[name], errors="coerce")
        held = int(frame[name].notna().sum())
        if held < IMPORTANCE_MIN_TRIALS:
            continue
        if col.notna().sum() >= 3 and col.nunique() > 1:
            # Ranked among the trials that hold it: a conditional parameter's trials against
            # each other, not against the other family's.
            rho = col.rank().corr(frame.loc[col.notna(), "__score"].rank())
            if rho == rho:  # not NaN
                out.append((str(name), abs(float(rho)), held))
        elif col.isna().all() and frame[name].nunique() > 1:
            groups = ranks.groupby(frame[name].astype("string"))
            between = float((groups.count() * (groups.mean() - ranks.mean()) ** 2).sum())
            total = float(((ranks - ranks.mean()) ** 2).sum())
            if total > 0:
                out.append((str(name), (between / total) ** 0.5, held))
    return sorted(out, key=lambda p: -p[1])


def _parallel(outcomes: list[Any], metric: str) -> str:
    import numpy as np

    plt = pyplot()
    scored = [o for o in outcomes if o.status != "failed" and o.value is not None]
    names = sorted({k for o in scored for k, v in o.params.items()
                    if isinstance(v, int | float) and not isinstance(v, bool)})
    if not scored or not names:
        return '<p class="muted">no scored trial with numeric parameters</p>'
    fig, ax = plt.subplots(figsize=(10, 4))
    values = np.array([[float(o.params.get(n, np.nan)) for n in names] for o in scored])
    low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    scaled = (values - low) / np.where(high > low, high - low, 1.0)
    scores = np.array([o.value for o in scored], dtype=float)
    cmap = plt.get_cmap("viridis")
    span = (scores.max() - scores.min()) or 1.0
    for row, score in sorted(zip(scaled, scores, strict=True), key=lambda p: p[1]):
        ax.plot(range(len(names)), row, c=cmap((score - scores.min()) / span), alpha=0.7)
    ax.set_xticks(range(len(names)), names, rotation=20, fontsize=8)
    ax.set_yticks([0, 1], ["low", "high"])
    ax.set_title(f"Parallel coordinates (colour: validation {metric}, yellow = best)")
    return _png(fig)


def study_view(params: Params, root: Path) -> str:
    from tuneloop.search.journal import load_outcomes
    from tuneloop.study_plots import history_figure, parameters_figure, tuning_rows

    journal = root / params.paths.journal
    if not journal.exists():
        return ('<section id="study"><h2>Latest study</h2>'
                '<p class="muted">no study yet</p></section>')
    outcomes = load_outcomes(journal)
    metric = params.tuning_metric
    pictures = [_png(history_figure(tuning_rows(outcomes, metric), metric), "history"),
                _png(parameters_figure(outcomes, metric), "parameters")]
    importance = _table([{"parameter": n, "|rank correlation|": r, "trials": k}
                         for n, r, k in _importance(outcomes)],
                        ["parameter", "|rank correlation|", "trials"])
    importance += ("<p>For a categorical parameter (the model family): the correlation ratio "
                   "of the score's ranks by its values. A parameter of one family is ranked "
                   f"over that family's trials, and left out under {IMPORTANCE_MIN_TRIALS}."
                   "</p>")
    params_seen = sorted({k for o in outcomes for k in o.params})
    trials = [{"trial": o.id, "state": o.status, metric: None if o.value is None
               else to_maximise(metric, o.value), "seconds": round(o.seconds, 3),
               "rung": o.rung, **{k: o.params.get(k) for k in params_seen}} for o in outcomes]
    table = _table(trials, ["trial", "state", metric, "seconds", "rung", *params_seen],
                   css="sortable")
    # The latest study's own indicators (kept beside its journal): paths.sli is the latest
    # step's, which a refit (no study) overwrites.
    kept = latest_study(root / params.paths.studies_dir)
    own = study_indicators_path(kept) if kept is not None else None
    slis = own if own is not None and own.exists() else root / params.paths.sli
    cards = ""
    if slis.exists():
        s = json.loads(slis.read_text("utf-8"))
        cards = _cards([("trials", s.get("trials")), ("success rate", s.get("success_rate")),
                        ("pruned", s.get("pruned_rate")), ("best", s.get("best_valid")),
                        ("gain over defaults (validation)", s.get("gain_over_baseline")),
                        # What the holdout says of it (stages.evaluate.against_defaults: the
                        # validation gain was 1.288 where the defaults held out 28% better,
                        # sweep 36).
                        ("holdout: choice / defaults", _against_defaults(
                            root / params.paths.evaluation)),
                        ("time to best s", s.get("time_to_best_s")),
                        ("utilization", s.get("worker_utilization")),
                        ("stop", s.get("stop_reason"))])
    return (f'<section id="study"><h2>Latest study</h2>{cards}<h3>Optimization history</h3>'
            f"{pictures[0]}<h3>Parameter importance</h3>{importance}{pictures[1]}"
            f"<h3>Parallel coordinates</h3>{_parallel(outcomes, metric)}"
            f'<h3>Trials (click a column to sort)</h3><div id="trials">{table}</div></section>')


def _against_defaults(path: Path) -> str | None:
    """The latest evaluation's choice and the study's defaults on the holdout, or None."""
    table = (json.loads(path.read_text("utf-8")).get("defaults")
             if path.exists() else None) or {}
    if "holdout" not in table or "chosen_holdout" not in table:
        return None
    return (f"{table['chosen_holdout']:.4g} / {table['holdout']:.4g} {table.get('metric', '')}"
            + (" (defaults better)" if table.get("defaults_better") else ""))


def render(params: Params, root: Path) -> str:
    runs = history.read(root / params.paths.runs)  # a missing file is an empty history
    entries = audit.read(root / params.paths.audit_log)
    decisions = Ledger(root / params.paths.decisions).events()
    leaks = suspected_note(params.data)
    # Said where the page opens, as status says it (sweep 37: init's leak note was nowhere
    # in the report).
    body = ((f'<p class="warning">warning: {html.escape(leaks)}</p>' if leaks else "")
            + overview(runs, entries, params.promote.model_name)
            + operations(params, runs, decisions,
                         jsonl.read(root / params.paths.arrivals, "batch ledger"))
            + study_view(params, root))
    nav = "".join(f'<a href="#{v}">{v.capitalize()}</a>' for v in VIEWS)
    title = f"tuneloop — {html.escape(root.resolve().name)}"
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_STYLE}</style></head><body><header><h1>{title}</h1><nav>{nav}</nav>"
            f"</header>{body}<script>{_SORT}document.body.dataset.ready = '1';</script>"
            "</body></html>")


def write(params: Params, root: Path, out: Path) -> Path:
    from tuneloop.io import atomic_path

    page = render(params, root)
    with atomic_path(out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return out
