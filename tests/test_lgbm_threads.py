"""LightGBM keeps one thread count per process: tuneloop's calls must not mix counts at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from tuneloop.lgbm_threads import ThreadGate

# One-thread fits in two threads beside a predict at two threads, through the gate as
# tuneloop.lgbm makes them. The same loop with plain lightgbm calls (no gate, predict at
# LightGBM's default count) died of SIGSEGV in 3 of 3 8-second runs on this 2-core machine.
STRESS = r"""
import sys, threading, time
import numpy as np, lightgbm as lgb
from tuneloop.lgbm import predict_features
from tuneloop.lgbm_threads import GATE

rng = np.random.default_rng(0)
x = rng.normal(size=(5000, 20))
y = (x[:, 0] + rng.normal(size=5000) > 0).astype(int)
params = {"objective": "binary", "verbose": -1}
served = lgb.train({**params, "num_threads": 2}, lgb.Dataset(x, y), 50)
stop = time.time() + float(sys.argv[1])

def fits():
    while time.time() < stop:
        with GATE.training(1) as threads:
            lgb.train({**params, "num_threads": threads}, lgb.Dataset(x, y), 20)

def predicts():
    while time.time() < stop:
        predict_features(served, x[:2000])

threads = [threading.Thread(target=f) for f in (fits, fits, predicts)]
[t.start() for t in threads]
[t.join() for t in threads]
print("survived")
"""


def test_fits_and_predicts_at_other_thread_counts_do_not_crash_the_process(tmp_path):
    done = subprocess.run([sys.executable, "-c", STRESS, "5"], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "survived" in done.stdout


def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the gate never reached the expected state"
        time.sleep(0.005)


def _start(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_another_count_waits_for_the_running_one_and_a_prediction_joins_it():
    gate, log = ThreadGate(), []
    release = threading.Event()

    def trial() -> None:
        with gate.training(1) as count:
            log.append(("trial", count))
            release.wait(5)
            log.append(("trial done", 1))  # still holding: the refit cannot log before it

    def refit() -> None:
        with gate.training(4) as count:
            log.append(("refit", count))

    first = _start(trial)
    while not log:
        time.sleep(0.01)
    with gate.predicting(default=4) as count:
        assert count == 1  # joins the running count instead of changing it
    second = _start(refit)
    _until(lambda: len(gate._waiting) == 1)
    assert ("refit", 4) not in log  # waits: a change of count while the trial trains crashes
    release.set()
    first.join(5)
    second.join(5)
    assert log == [("trial", 1), ("trial done", 1), ("refit", 4)]
    with gate.predicting(default=3) as count:
        assert count == 3  # nothing running: the caller's own default


def test_a_waiting_count_goes_before_later_callers_of_the_running_one():
    gate, log = ThreadGate(), []
    release = threading.Event()

    def hold(count: int, name: str, wait: threading.Event | None = None) -> None:
        with gate.training(count):
            log.append(name)
            if wait is not None:
                wait.wait(5)

    first = _start(lambda: hold(1, "trial A", release))
    while not log:
        time.sleep(0.01)
    other = _start(lambda: hold(2, "refit"))
    _until(lambda: len(gate._waiting) == 1)
    later = _start(lambda: hold(1, "trial B"))
    _until(lambda: len(gate._waiting) == 2)  # it queues too, behind the refit
    assert log == ["trial A"]  # trial B queues behind the refit, it does not join trial A
    release.set()
    for thread in (first, other, later):
        thread.join(5)
    assert log == ["trial A", "refit", "trial B"]


def test_a_nested_call_uses_the_count_its_thread_holds():
    gate = ThreadGate()
    with gate.training(1), gate.training(2) as inner, gate.predicting(default=4) as pred:
        assert (inner, pred) == (1, 1)
