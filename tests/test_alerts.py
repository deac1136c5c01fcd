"""Alerts reach a real webhook on 127.0.0.1: each cause forced once gives exactly one POST
with that cause; a clean run posts nothing; an unreachable webhook is one line on stderr that
names the variable, never the URL (it carries a token). The flow sends them: see
tests/test_lineage.py (a clean loop run posts nothing, a failed one posts run_failed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_params
from tests.webhook_sink import WebhookSink
from tuneloop import alerts, history, jsonl
from tuneloop.config import load_params

ENV = "TUNELOOP_TEST_WEBHOOK"
CLEAN_SLI = {"trials": 20, "ok": 12, "pruned": 8, "failed": 0, "success_rate": 1.0,
             "compute_core_s": 10.0, "cost": 0.0}


def _run(**changes: Any) -> dict[str, Any]:
    return {"status": "ok", "error": None, "mode": "cold", "batches": ["b7.parquet"],
            "sli": dict(CLEAN_SLI), "promoted": True, "reason": "promoted", **changes}


# Each cause, forced: the run record (and the runs before it) that must raise it.
CASES = {
    "batch_rejected": (_run(status="rejected", error="ValidationFailed: x.csv: column 'a': "
                            "column type failed", sli=None, promoted=None), []),
    "run_failed": (_run(status="failed", error="DataError: x.parquet: column 'a' missing",
                        sli=None, promoted=None), []),
    "no_completed_trial": (_run(status="failed", error_type="StudyFailed", sli=None,
                                promoted=None, error="StudyFailed: no trial completed "
                                "(20 failed): lightgbm: feature_fraction out of range"), []),
    "no_feasible_trial": (_run(status="failed", error_type="NoFeasibleTrial", sli=None,
                               promoted=None, error="NoFeasibleTrial: no trial met the "
                               "constraints (6 completed); e.g. trial 3: size_bytes 41210 > "
                               "constraints.max_model_bytes 30000"), []),
    "low_success_rate": (_run(sli={**CLEAN_SLI, "failed": 2, "ok": 10,
                                   "success_rate": 0.9}), []),
    "budget_burn": (_run(sli={**CLEAN_SLI, "trials": 5, "compute_core_s": 90.0}), []),
    "gate_rejections": (_run(promoted=False, reason="kept as challenger"),
                        [_run(promoted=False), _run(promoted=None), _run(promoted=False)]),
    "realized_below_floor": (_run(), []),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Any]:
    params = load_params(write_params(tmp_path, {
        "alerts.webhook_env": ENV, "alerts.realized_floor": 0.7, "tune.n_trials": 20,
        "tune.budget.compute_s": 100.0}))
    ledger = tmp_path / params.paths.decisions
    jsonl.append(ledger, {"event": "decided", "batch": "b7.parquet",
                          "statistics": {"realized": {"metric": "auc", "value": 0.65}}})
    return tmp_path, params


def _notify(root: Path, params: Any, record: dict[str, Any],
            earlier: list[dict[str, Any]]) -> list[str]:
    for run in [*earlier, record]:
        history.append(root / params.paths.runs, run)
    return alerts.notify(params, root, record)


@pytest.mark.parametrize("cause", list(CASES))
def test_each_cause_posts_exactly_once(cause: str, project: tuple[Path, Any],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root, params = project
    if cause != "realized_below_floor":  # the ledger's realized AUC 0.65 would fire too
        (root / params.paths.decisions).unlink()
    record, earlier = CASES[cause]
    with WebhookSink() as sink:
        monkeypatch.setenv(ENV, sink.url)
        sent = _notify(root, params, record, earlier)
        got = sink.causes(at_least=len(sent))
    assert cause in sent and got == sent  # every alert found was delivered, once
    assert got.count(cause) == 1
    posted = next(r for r in sink.received if r["cause"] == cause)
    assert posted["text"].startswith(f"tuneloop {root.name}: ") and posted["project"] == root.name


def test_a_clean_run_posts_nothing(project: tuple[Path, Any],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root, params = project
    (root / params.paths.decisions).unlink()
    with WebhookSink() as sink:
        monkeypatch.setenv(ENV, sink.url)
        assert _notify(root, params, _run(), [_run(promoted=False)]) == []
        assert sink.causes(within_s=1.0) == []


def test_the_gate_streak_alerts_once_when_it_reaches_the_limit(project: tuple[Path, Any]) -> None:
    _, params = project
    rejected = _run(promoted=False)
    found = [[a.cause for a in alerts.causes(params, rejected, [rejected] * n)]
             for n in range(5)]
    assert found == [[], [], ["gate_rejections"], [], []]  # the third in a row, not after


def test_an_unreachable_webhook_is_one_line_without_the_url(
        project: tuple[Path, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    root, params = project
    with WebhookSink() as sink:
        url = sink.url  # the port is free again once the sink stops
    monkeypatch.setenv(ENV, url)
    record = CASES["run_failed"][0]
    assert alerts.send(params, root, alerts.causes(params, record, [])) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"alerts: the webhook in ${ENV} did not take")
    assert "secret-token" not in err[0] and "127.0.0.1" not in err[0]


def test_a_malformed_webhook_url_never_shows_its_token(
        project: tuple[Path, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """urllib quotes a URL with a control character in its error: only the type is printed."""
    root, params = project
    monkeypatch.setenv(ENV, "http://127.0.0.1:9/services/T0/B0/secret-token x\n")
    assert alerts.send(params, root, alerts.causes(params, CASES["run_failed"][0], [])) == 0
    err = capsys.readouterr().err
    assert "secret-token" not in err and err.count("\n") == 1


def test_the_webhook_can_come_from_a_prefect_secret_block(
        prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """No variable set: the URL is read from a Secret block on the real Prefect API; a block
    that does not exist is one line naming it, and no alert."""
    from prefect.blocks.system import Secret

    monkeypatch.delenv(ENV, raising=False)
    params = load_params(write_params(tmp_path, {"alerts.webhook_env": ENV,
                                                 "alerts.webhook_secret_block": "tl-hook"}))
    record = CASES["run_failed"][0]
    with WebhookSink() as sink:
        Secret(value=sink.url).save("tl-hook", overwrite=True)
        assert alerts.send(params, tmp_path, alerts.causes(params, record, [])) == 1
        assert sink.causes(at_least=1) == ["run_failed"]
    missing = params.model_copy(update={"alerts": params.alerts.model_copy(
        update={"webhook_secret_block": "no-such-block"})})
    assert alerts.send(missing, tmp_path, alerts.causes(missing, record, [])) == 0
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("alerts: cannot read the webhook from the Prefect Secret block "
                           "'no-such-block' (") and line.endswith("); no alert sent")
