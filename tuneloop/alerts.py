"""Alerts that reach a person: one POST per cause per loop run, nothing for a clean run.

Causes, read from the run's record (tuneloop.history) and the runs before it:
  run_failed          the loop run failed (its one-line error)
  batch_rejected      the loop run stopped at a batch the data gate rejected (its lines)
  no_completed_trial  the study ended with no completed trial
  low_success_rate    a study's trial success rate below alerts.min_success_rate
  budget_burn         a study used its compute or cost budget faster than its trials: share
                      of the budget used / share of n_trials done above alerts.max_burn
  gate_rejections     alerts.max_rejections candidates in a row kept as challengers
  realized_below_floor  the champion's realized metric on a batch below alerts.realized_floor

The payload is Slack-compatible (`text`) and carries the cause and the facts as fields. The
webhook URL comes from the environment (alerts.webhook_env), so a token in it is never in
params.yaml, a log line or an error message.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneloop.config import Params
from tuneloop.decisions import DECIDED, Ledger


@dataclass(frozen=True)
class Alert:
    cause: str
    text: str
    facts: dict[str, Any]

    def payload(self, project: str) -> dict[str, Any]:
        return {"text": f"tuneloop {project}: {self.text}", "cause": self.cause,
                "project": project, **self.facts}


def _realized(params: Params, root: Path, batches: list[str]) -> list[tuple[str, float, str]]:
    out = []
    for entry in Ledger(root / params.paths.decisions).events():
        real = ((entry.get("statistics") or {}).get("realized") or {})
        if entry.get("event") == DECIDED and entry.get("batch") in batches and real:
            out.append((entry["batch"], float(real["value"]), str(real["metric"])))
    return out


def causes(params: Params, record: dict[str, Any], earlier: list[dict[str, Any]],
           realized: list[tuple[str, float, str]] = ()) -> list[Alert]:
    """What is wrong with this run, at most one alert per cause (pure: tested alone)."""
    cfg, alerts = params.alerts, []
    error = record.get("error") or ""
    if record.get("status") == "rejected":
        alerts.append(Alert("batch_rejected", f"a batch was rejected: {error}",
                            {"error": error}))
    if record.get("status") == "failed":
        alerts.append(Alert("run_failed", f"loop run failed: {error}", {"error": error}))
        # A study with no completed trial stops the run with StudyFailed (no best to evaluate).
        if record.get("error_type") == "StudyFailed":
            alerts.append(Alert("no_completed_trial", f"the study had no completed trial: "
                                f"{error}", {"error": error}))
        elif record.get("error_type") == "NoFeasibleTrial":  # trials completed; none fitted
            alerts.append(Alert("no_feasible_trial", f"no trial met the constraints: {error}",
                                {"error": error}))
    sli = record.get("sli") or {}
    if sli.get("trials"):
        rate = sli.get("success_rate")
        if rate is not None and rate < cfg.min_success_rate:
            alerts.append(Alert("low_success_rate", f"trial success rate {rate:.0%} below "
                                f"{cfg.min_success_rate:.0%} ({sli.get('failed')} of "
                                f"{sli['trials']} trials failed)", {"success_rate": rate}))
        burn = burn_rate(params, sli, record.get("mode"))
        if burn is not None and burn > cfg.max_burn:
            alerts.append(Alert("budget_burn", f"budget burned {burn:.1f}x faster than the "
                                f"trials it paid for (limit {cfg.max_burn}x)",
                                {"burn": burn}))
    if record.get("promoted") is False:
        streak = 1
        for run in reversed(earlier):
            if run.get("promoted") is None:
                continue
            if run["promoted"]:
                break
            streak += 1
        if streak == cfg.max_rejections:  # once, when the streak reaches the limit
            alerts.append(Alert("gate_rejections", f"{streak} candidates in a row kept as "
                                f"challengers by the gate: {record.get('reason')}",
                                {"rejections": streak}))
    if cfg.realized_floor is not None:
        from tuneloop.metrics import higher_is_better

        # "Below the floor" in the metric's own direction: a loss above it is worse.
        worse = [(b, v, m) for b, v, m in realized
                 if (v < cfg.realized_floor if higher_is_better(m) else v > cfg.realized_floor)]
        if worse:
            b, v, m = worse[0]
            side = "below the floor" if higher_is_better(m) else "above the ceiling"
            alerts.append(Alert("realized_below_floor", f"the champion's realized {m} on {b} "
                                f"is {v:.4g}, {side} {cfg.realized_floor}",
                                {"batch": b, "metric": m, "value": v}))
    return alerts


def burn_rate(params: Params, sli: dict[str, Any], mode: str | None) -> float | None:
    """Share of the compute or cost budget used / share of the trials done (None: no such
    budget). Above 1 the budget runs out before the trials do."""
    budget, n = params.tune.budget, params.tune.n_trials
    share = params.tune.warm_share if mode == "warm" else 1.0
    done = sli["trials"] / max(1.0, n * share)
    used = []
    if budget.compute_s:
        used.append(sli.get("compute_core_s", 0.0) / (budget.compute_s * share))
    if budget.cost:
        used.append(sli.get("cost", 0.0) / (budget.cost * share))
    return max(used) / done if used and done else None


def send(params: Params, root: Path, alerts: list[Alert]) -> int:
    """POST each alert to the webhook; returns how many were delivered. A webhook that cannot
    be reached is reported on stderr (naming the variable, not the URL) and does not fail the
    run: the run's outcome is already recorded."""
    if not alerts:
        return 0
    url, where = webhook(params)
    if not url:
        return 0
    delivered = 0
    for alert in alerts:
        body = json.dumps(alert.payload(root.resolve().name)).encode()
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=params.alerts.timeout_s):  # noqa: S310
                delivered += 1
        except Exception as exc:  # noqa: BLE001 - any failure: its text may quote the URL
            # Only the error's type and, for an HTTP answer, its status: never its message,
            # which for a malformed URL quotes the URL (and its token).
            status = getattr(exc, "code", None)
            print(f"alerts: the webhook in {where} did not take the "
                  f"{alert.cause} alert ({type(exc).__name__}"
                  f"{f' {status}' if isinstance(status, int) else ''})", file=sys.stderr)
    return delivered


def webhook(params: Params) -> tuple[str, str]:
    """(the webhook URL, where it came from, for messages): the environment variable
    alerts.webhook_env, else the Prefect Secret block alerts.webhook_secret_block; ("", ...)
    when neither holds one. A block that cannot be read is one line on stderr, no alert."""
    cfg = params.alerts
    url = os.environ.get(cfg.webhook_env or "", "")
    if url or not cfg.webhook_secret_block:
        return url, f"${cfg.webhook_env}"
    where = f"Prefect Secret block {cfg.webhook_secret_block!r}"
    try:
        from prefect.blocks.system import Secret

        # _sync: this runs in the flow's last (sync) step; never hand back a coroutine.
        value = Secret.load(cfg.webhook_secret_block, _sync=True).get()
        if not isinstance(value, str):
            raise TypeError("the Secret block holds no text")
        return value, where
    except Exception as exc:  # noqa: BLE001 - missing block or API: the run already ended
        print(f"alerts: cannot read the webhook from the {where} ({type(exc).__name__}); "
              "no alert sent", file=sys.stderr)
        return "", where


def notify(params: Params, root: Path, record: dict[str, Any]) -> list[str]:
    """The loop flow's last step: this run's alerts, sent; returns their causes."""
    from tuneloop import history

    earlier = history.read(root / params.paths.runs)[:-1]  # the record is already appended
    found = causes(params, record, earlier, _realized(params, root, record.get("batches", [])))
    send(params, root, found)
    return [a.cause for a in found]
