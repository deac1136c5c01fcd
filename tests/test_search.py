"""The search engine on cheap synthetic objectives: spaces, strategies, pruning, budgets,
failures, seeds, warm start. Real skopt throughout; no model training here."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import space_of
from tuneloop.config import TuneConfig
from tuneloop.search import (
    AshaPruner,
    Journal,
    TrialContext,
    TrialOutcome,
    TrialSpec,
    load_outcomes,
    make_strategy,
    run_study,
)

STRATEGIES = ("gp", "rf", "et", "random")

CONDITIONAL = {
    "family": {"type": "categorical", "choices": ["tree", "net"]},
    "depth": {"type": "integer", "low": 2, "high": 12, "when": {"family": ["tree"]}},
    "booster": {"type": "categorical", "choices": ["gbdt", "dart"], "when": {"family": ["tree"]}},
    "drop_rate": {"type": "real", "low": 0.01, "high": 0.5, "when": {"booster": ["dart"]}},
    "lr": {"type": "real", "low": 1e-4, "high": 1e-1, "prior": "log-uniform",
           "when": {"family": ["net"]}},
    "x": {"type": "real", "low": 0.0, "high": 1.0},
}


def score(params: dict[str, Any]) -> float:
    """A smooth made-up objective (maximised) over the conditional space."""
    base = 1.0 - (params["x"] - 0.7) ** 2
    if params.get("family") == "tree":
        base += 0.1 - 0.01 * abs(params["depth"] - 6)
        if params["booster"] == "dart":
            base -= params["drop_rate"]
    elif "lr" in params:
        base += 0.05 - 0.01 * abs(math.log10(params["lr"]) + 2)
    return base


def synthetic(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
    final = score(spec.params)
    for step in range(1, 28):
        # A learning curve that rises toward the final score.
        ctx.report(step, final - 1.0 / step)
    return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=final,
                        metrics={"best_iteration": 27.0})


def expected_active(params: dict[str, Any]) -> set[str]:
    want = {"family", "x"}
    if params["family"] == "tree":
        want |= {"depth", "booster"}
        if params["booster"] == "dart":
            want.add("drop_rate")
    else:
        want.add("lr")
    return want


@pytest.mark.parametrize("kind", STRATEGIES)
def test_conditional_space_is_never_sampled_inconsistently(kind: str) -> None:
    space = space_of(CONDITIONAL)
    strategy = make_strategy(kind, space, seed=3, n_initial_points=5)
    seen_families = set()
    for _ in range(18):
        proposal = strategy.ask()
        assert set(proposal.params) == expected_active(proposal.params), proposal.params
        assert space.contains(proposal.params)
        assert all(type(v) in (int, float, str) for v in proposal.params.values())
        seen_families.add(proposal.params["family"])
        strategy.tell(proposal.id, -score(proposal.params))
    assert seen_families == {"tree", "net"}


def test_conditional_config_errors_name_the_key() -> None:
    base = {"n_trials": 2, "n_workers": 1, "n_initial_points": 1, "max_boost_rounds": 10,
            "early_stopping_rounds": 2}
    with pytest.raises(ValueError, match=r"search_space\.depth\.when\.x: parent must be a "
                                         r"categorical dimension"):
        TuneConfig(**base, search_space={**CONDITIONAL, "depth": {
            "type": "integer", "low": 2, "high": 5, "when": {"x": [1]}}})
    with pytest.raises(ValueError, match=r"search_space\.lr\.when\.family: values \['svm'\] "
                                         r"are not choices of family"):
        TuneConfig(**base, search_space={**CONDITIONAL, "lr": {
            "type": "real", "low": 0.1, "high": 1.0, "when": {"family": ["svm"]}}})


@pytest.mark.parametrize("kind", STRATEGIES)
def test_same_seed_gives_the_same_proposals(kind: str) -> None:
    space = space_of(CONDITIONAL)

    def proposals(seed: int) -> list[dict[str, Any]]:
        strategy = make_strategy(kind, space, seed=seed, n_initial_points=4)
        out = []
        pending = []
        for _ in range(12):
            p = strategy.ask()
            out.append(p.params)
            pending.append(p)
            if len(pending) == 2:  # two workers: results arrive while another is pending
                done = pending.pop(0)
                strategy.tell(done.id, -score(done.params))
        return out

    assert proposals(7) == proposals(7)
    assert proposals(7) != proposals(8)


def test_study_with_same_seed_repeats_itself(tmp_path: Path) -> None:
    def study(name: str) -> list[dict[str, Any]]:
        result = run_study(synthetic, make_strategy("gp", space_of(CONDITIONAL), 11, 4),
                           Journal(tmp_path / name), n_trials=8, n_workers=1, seed=11)
        return [(t.params, t.seed, t.value) for t in result.trials]

    assert study("a.jsonl") == study("b.jsonl")


def test_asha_prunes_and_records_rungs(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    pruner = AshaPruner(min_resource=3, reduction_factor=3, min_trials_per_rung=3,
                        max_resource=27)
    result = run_study(synthetic, make_strategy("random", space_of(CONDITIONAL), 1, 4), journal,
                       n_trials=20, n_workers=2, seed=1, pruner=pruner)
    pruned = result.pruned
    assert pruned and result.completed
    for t in pruned:
        assert t.rung in (0, 1)  # rungs at 3 and 9 steps; 27 is the end, never a rung
        assert t.intermediate[-1][0] == 3 * 3 ** t.rung
        assert t.value == t.intermediate[-1][1]
    for t in result.completed:
        assert [s for s, _ in t.intermediate] == [3, 9]
    events = [e for e in journal.events() if e["event"] == "finished"]
    assert {e["id"]: (e["status"], e["rung"]) for e in events if e["status"] == "pruned"} == {
        t.id: ("pruned", t.rung) for t in pruned}
    # The best trial is a completed one, never a pruned one.
    assert result.best.status == "ok"


def test_failing_trials_are_recorded_retried_banned_and_the_study_completes(
        tmp_path: Path) -> None:
    calls: dict[int, int] = {}

    def flaky(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
        calls[spec.id] = calls.get(spec.id, 0) + 1
        x = spec.params["x"]
        if x < 0.2:
            raise MemoryError("out of memory for this x")
        if x < 0.3:
            return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=float("nan"))
        if spec.id % 5 == 0 and spec.attempt == 0:
            raise ConnectionError("transient")  # succeeds when retried
        return synthetic(spec, ctx)

    space = space_of({"x": {"type": "real", "low": 0.0, "high": 1.0}})
    journal = Journal(tmp_path / "j.jsonl")
    result = run_study(flaky, make_strategy("random", space, 5, 30), journal, n_trials=30,
                       n_workers=2, seed=5, max_retries=1)
    assert len(result.trials) == 30
    failed = result.failed
    assert 3 <= len(failed) <= 20  # ~30% of a uniform x fall below 0.3
    reasons = result.failure_reasons()
    assert any(r.startswith("MemoryError: out of memory for this x at ") for r in reasons)
    # The raising line is named from its package, not by this machine's absolute path.
    assert "MemoryError: out of memory for this x at tests/test_search.py:" in "".join(reasons)
    assert not any(str(Path.home()) in r or "/work/" in r for r in reasons)
    assert "objective returned nan" in reasons
    assert sum(reasons.values()) == len(failed)
    for t in failed:
        assert calls[t.id] == 2 and t.attempt == 1  # retried once, then given up
    transient = [t for t in result.completed if t.id % 5 == 0]
    assert transient and all(t.attempt == 1 for t in transient)
    retries = [e for e in journal.events() if e["event"] == "retry"]
    assert len(retries) == result.retries == len(failed) + len(transient)


def test_a_point_that_keeps_failing_is_not_proposed_again() -> None:
    space = space_of({"c": {"type": "categorical", "choices": ["a", "b", "c", "d"]}})
    strategy = make_strategy("gp", space, seed=0, n_initial_points=1)
    first = strategy.ask()
    strategy.ban(first.id, -0.0)
    banned = first.params["c"]
    for _ in range(12):
        p = strategy.ask()
        assert p.params["c"] != banned
        strategy.tell(p.id, -1.0 if p.params["c"] == "d" else -0.5)


def test_time_limit_fails_the_trial(tmp_path: Path) -> None:
    def slow(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
        for step in range(1, 1000):
            time.sleep(0.01)
            ctx.report(step, 0.5)
        return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=0.5)

    space = space_of({"x": {"type": "real", "low": 0.0, "high": 1.0}})
    result = run_study(slow, make_strategy("random", space, 0, 2), Journal(tmp_path / "j"),
                       n_trials=2, n_workers=2, seed=0, time_limit_s=0.1)
    assert [t.status for t in result.trials] == ["failed", "failed"]
    assert all(t.error.startswith("TrialTimeout: exceeded the trial time limit of 0.1 s")
               for t in result.trials)


@pytest.mark.parametrize(("budget", "reason"), [
    ({"compute_s": 0.05}, "compute"), ({"wall_clock_s": 0.05}, "wall_clock"), ({}, "max_trials")])
def test_study_stops_at_the_first_budget_and_says_which(
        tmp_path: Path, budget: dict[str, float], reason: str) -> None:
    def sleepy(spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
        time.sleep(0.03)
        return TrialOutcome(spec.id, spec.params, spec.seed, "ok", value=spec.params["x"])

    space = space_of({"x": {"type": "real", "low": 0.0, "high": 1.0}})
    result = run_study(sleepy, make_strategy("random", space, 0, 2), Journal(tmp_path / "j"),
                       n_trials=40, n_workers=1, seed=0, **budget)
    assert result.stop_reason == reason
    assert (len(result.trials) == 40) == (reason == "max_trials")


def test_warm_start_uses_compatible_trials_of_an_earlier_study(tmp_path: Path) -> None:
    space = space_of(CONDITIONAL)
    old = run_study(synthetic, make_strategy("random", space, 2, 4), Journal(tmp_path / "old"),
                    n_trials=10, n_workers=2, seed=2)
    earlier = load_outcomes(tmp_path / "old")
    assert len(earlier) == 10
    alien = TrialOutcome(99, {"x": 0.5, "unknown": 1}, 0, "ok", value=9.0)
    strategy = make_strategy("gp", space, 3, 4)
    learned = [strategy.observe(t.params, -t.value) for t in [*earlier, alien]]
    assert learned == [True] * 10 + [False]
    # The same seed without the earlier trials proposes something else first: what was
    # observed, not the seed, decides the warm study's first point.
    cold_first = make_strategy("gp", space, 3, 4).ask().params
    assert strategy.ask().params != cold_first
    # With 10 observations the surrogate takes over at once: the new study's first proposals
    # come from the model, near the earlier best rather than uniformly random.
    new = run_study(synthetic, make_strategy("gp", space, 3, 4), Journal(tmp_path / "new"),
                    n_trials=6, n_workers=1, seed=3, warm_start=earlier)
    assert len(new.trials) == 6
    assert max(t.value for t in new.trials) >= old.best.value - 0.05
    with pytest.raises(FileNotFoundError, match="no such journal to warm-start from"):
        load_outcomes(tmp_path / "missing.jsonl")


def test_gp_fits_on_the_best_quarter_and_the_most_recent_points() -> None:
    from tuneloop.search.skopt_adapter import SkoptStrategy

    space = space_of({"x": {"type": "real", "low": 0.0, "high": 1.0}})
    strategy = SkoptStrategy(space, kind="gp", seed=0, n_initial_points=4, max_gp_points=8)
    values = [0.5, -0.9, 0.4, 0.3, -0.8, 0.2] + [0.1 * i for i in range(14)]  # minimised
    for v in values:
        p = strategy.ask()
        strategy.tell(p.id, v)
    subset = strategy._gp_subset()
    assert len(subset) == 8
    kept = [y for _, y in subset]
    assert kept == [-0.9, -0.8] + values[-6:]  # the best 8 // 4, then the latest, in order
    assert strategy.ask().params["x"] is not None  # and it still proposes past the cap
    with pytest.raises(ValueError, match="max_gp_points must be at least"):
        SkoptStrategy(space, kind="gp", n_initial_points=8, max_gp_points=5)


def test_candidate_sampling_matches_skopts_rvs_and_transform() -> None:
    import numpy as np
    from skopt.space import Categorical, Integer, Real, Space
    from skopt.utils import normalize_dimensions

    from tuneloop.search.skopt_adapter import sample_candidates

    space = Space(normalize_dimensions([
        Real(1e-3, 0.3, prior="log-uniform"), Integer(4, 256, prior="log-uniform"),
        Real(0.0, 1.0), Categorical(["gbdt", "dart", "goss"]), Integer(1, 5)]))
    rows = space.rvs(n_samples=300, random_state=np.random.RandomState(11))
    columns, transformed = sample_candidates(space, 300, np.random.RandomState(11))
    np.testing.assert_array_equal(transformed, space.transform(rows))
    assert [[column[i] for column in columns] for i in range(300)] == rows


PROGRESS_SCRIPT = """
import sys
from tests.test_search import CONDITIONAL, synthetic
from tests.conftest import space_of
from tuneloop.search import Journal, make_strategy, run_study
run_study(synthetic, make_strategy("random", space_of(CONDITIONAL), 3, 2),
          Journal(sys.argv[1]), n_trials=5, n_workers=1, seed=3,
          describe=lambda v: f"score {v:.3f}")
"""


def _progress_output(tmp_path: Path, terminal: bool) -> str:
    """What a 5-trial study writes to stderr: a terminal (a pseudo-terminal here) or a pipe."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    cmd = [sys.executable, "-c", PROGRESS_SCRIPT, str(tmp_path / f"{terminal}.jsonl")]
    if not terminal:
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True).stderr
    import fcntl
    import struct
    import termios

    leader, follower = os.openpty()
    # A 120-column terminal: tqdm sizes its bar to the terminal, and a new pty has none.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=follower, stdout=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait(timeout=60) == 0
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_a_terminal_gets_a_progress_bar_with_the_best_so_far_and_a_log_gets_none(
        tmp_path: Path) -> None:
    shown = _progress_output(tmp_path, terminal=True)
    best = max(t.value for t in load_outcomes(tmp_path / "True.jsonl"))
    final = shown.replace("\r", "\n").strip().splitlines()[-1]
    assert "tune: 100%" in final and "5/5" in final and f"best score {best:.3f}" in final
    logged = _progress_output(tmp_path, terminal=False)
    assert "\r" not in logged and "trial/s" not in logged and "5/5" not in logged
