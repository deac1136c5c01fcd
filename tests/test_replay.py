"""`tuneloop replay` on a small slice of the real flights months: the project's batches replayed
in time order under several policies, prequentially, with the real stage functions, and the
project itself left untouched."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stages import ingest
from tests.conftest import make_project
from tuneloop.config import load_params
from tuneloop_cli.app import app

MONTHS = (1, 2, 3, 4, 5, 6, 7)


@pytest.fixture(scope="module")
def accepted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("replay") / "project", months=MONTHS)
    ingest.execute(load_params(root / "params.yaml"), root)
    return root


def test_replay_compares_policies_prequentially(prefect_server: None, accepted: Path) -> None:
    before = sorted(p.relative_to(accepted) for p in accepted.rglob("*") if ".git" not in p.parts)
    result = CliRunner().invoke(app, ["replay", "--root", str(accepted), "--policies",
                                      "never,every,every:2,auto,every:1", "--start", "4"])
    assert result.exit_code == 0, result.output
    assert "mean auc" in result.output and "compute_core_s" in result.output
    report = json.loads((accepted / "reports" / "replay.json").read_text())
    assert (accepted / "reports" / "replay.png").stat().st_size > 1000
    per = report["per_batch"]
    assert report["policies"] == ["never", "every", "every:2", "auto", "every:1"]
    assert sorted(per) == sorted(report["policies"])
    replayed = [f"{n:06d}-flights-2013-{n:02d}.parquet" for n in MONTHS[4:]]
    for rows in per.values():
        assert [r["batch"] for r in rows] == replayed
        assert all(0.5 < r["metric"] <= 1.0 for r in rows)
    # The first replayed batch is served by the shared starting champion under every policy.
    assert len({rows[0]["champion"] for rows in per.values()}) == 1
    assert len({rows[0]["metric"] for rows in per.values()}) == 1

    never, every, every2 = per["never"], per["every"], per["every:2"]
    assert all(r["champion"] == report["initial"]["key"] for r in never)
    assert [r.get("decision") for r in never] == ["none", "none", None]
    assert [r.get("decision") for r in every][:-1] == ["warm", "warm"]
    assert [r.get("decision") for r in every2][:-1] == ["none", "warm"]
    for row in every[:-1]:
        assert [c["kind"] for c in row["candidates"]] == ["refit", "warm"]
        assert row["compute_s"] >= sum(c["compute_s"] for c in row["candidates"])
    # Prequential: a champion promoted after batch t serves batch t + 1, not t.
    for row, after in zip(every, every[1:], strict=False):
        if row["promoted"]:
            assert after["champion"] == row["promoted"] != row["champion"]
    # Fits are shared across policies: every:1 decides as every does, so each of its retrains
    # is the same fit (the same candidates, verdicts and charged core-seconds), made once.
    def fits(rows: list[dict]) -> list[tuple]:
        return [(r["metric"], r["champion"], r.get("decision"), r.get("candidates"),
                 r.get("promoted")) for r in rows]

    assert fits(per["every:1"]) == fits(every)

    totals = report["totals"]
    for name, rows in per.items():
        assert totals[name]["mean_auc"] == pytest.approx(np.mean([r["metric"] for r in rows]))
        assert totals[name]["retrains"] == sum(r.get("decision", "none") != "none"
                                               for r in rows)
        assert totals[name]["regret"] >= 0
    assert totals["never"]["retrains"] == 0 and totals["every"]["retrains"] == 2
    assert totals["every"]["compute_core_s"] > totals["never"]["compute_core_s"]
    best = [max(rows[i]["metric"] for rows in per.values()) for i in range(len(replayed))]
    assert min(t["regret"] for t in totals.values()) == pytest.approx(
        min(np.mean([b - r["metric"] for b, r in zip(best, rows, strict=True)])
            for rows in per.values()))

    # In memory: the registry, the window, the ledgers and the reports of the project are as
    # they were (only the replay's own report and plot were added).
    after = sorted(p.relative_to(accepted) for p in accepted.rglob("*") if ".git" not in p.parts)
    assert sorted(set(after) - set(before)) == [Path("reports/replay.json"),
                                                Path("reports/replay.png")]


@pytest.mark.parametrize(("args", "message"), [
    (["--policies", "never,sometimes"], "--policies: unknown policy 'sometimes'"),
    (["--policies", ","], "--policies: name at least one of"),  # was a traceback, after tuning
    (["--start", "2"], "replay --start 2: the project has 7 accepted batch(es); the starting "
                       "window needs at least 3"),
    (["--start", "7"], "replay --start 7"),
    (["--out", "../outside.json"], "--out: '../outside.json' leaves the project"),
])
def test_bad_replay_arguments_are_one_line(prefect_server: None, accepted: Path,
                                           args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["replay", "--root", str(accepted), *args])
    assert result.exit_code == 2, result.output
    line = [x for x in result.output.splitlines() if x.startswith("error:")]
    assert len(line) == 1 and message in line[0], result.output


@pytest.mark.parametrize("settings, end, reused", [
    # The champion (trained through batch 3, holdout included) learnt batches 0-3: a refit
    # on the window ending at 4 is scored after exactly those.
    ({}, 4, True),
    ({}, 5, False),                                    # it learnt one batch fewer
    ({"evaluate.refit_on_holdout": False}, 4, False),  # it never learnt its holdout
    ({"evaluate.refit_on_valid": False}, 4, False),    # the scored fit skips validation
    ({"data.window": 3}, 4, False),                    # the window slid: batch 0 is gone
    ({"split.holdout_batches": 2}, 5, True),           # scored after 0-3 again
])
def test_a_refit_is_scored_with_the_champion_only_after_the_batches_it_learnt(
        accepted: Path, settings: dict[str, object], end: int, reused: bool) -> None:
    from flows.replay import Model, Replay

    params = load_params(accepted / "params.yaml")
    for dotted, value in settings.items():
        section, key = dotted.split(".")
        params = params.model_copy(update={section: getattr(params, section).model_copy(
            update={key: value})})
    champion = Model(key="cold@3", end=3, family="lightgbm", params={}, rounds=1, seed=0,
                     schema=None, model=None, holdout_value=0.5,  # type: ignore[arg-type]
                     journal=None)
    replay = Replay(params, [], [], accepted)
    assert replay.champion_is_scored_fit(champion, end) is reused


def test_the_replay_holds_a_batch_whose_labels_alone_moved_as_the_live_loop_does(
        tmp_path: Path) -> None:
    """policy.labels_alone in the replay: May with 60% of its late flights sent as on time is
    held (`h` in the table), and June, relabelled so too, releases the retrain held at May
    (the replay carries the hold to the next batch, as decisions.Ledger.history does)."""
    import pandas as pd

    from hooks.flights import LATE_MINUTES

    root = make_project(tmp_path / "project", {"policy.cooldown_batches": 0},
                        months=MONTHS)
    for month in (5, 6):
        path = root / "data" / "incoming" / f"flights-2013-{month:02d}.parquet"
        raw = pd.read_parquet(path)
        late = (raw["arr_delay"] > LATE_MINUTES).to_numpy()
        raw.loc[late & (np.random.default_rng(month).random(len(raw)) < 0.6),
                "arr_delay"] = 0.0
        raw.to_parquet(path, index=False)
    ingest.execute(load_params(root / "params.yaml"), root)
    # In a process of its own: after the other tests' in-process runs, Prefect's console
    # handler still wrote to a closed CliRunner stream (a RecursionError in its logging).
    from tests.test_init_projects import tool

    done = tool("replay", "--policies", "auto", "--start", "4", cwd=root, process=True)
    said = done.stdout + done.stderr
    may, june, _ = json.loads((root / "reports" / "replay.json").read_text()
                              )["per_batch"]["auto"]
    assert may["decision"] == "none" and may["held"], may
    assert may["reason"].startswith("held a batch: ")
    assert june["decision"] == "refit" and not june["held"], june
    assert f"the label move held at {may['batch']}: its labels moved in this batch too" \
        in june["reason"]
    assert "h retrain held a batch (only its labels moved)" in said
    row = next(x for x in said.splitlines() if x.startswith(may["batch"]))
    assert row.rstrip().endswith("h"), row
