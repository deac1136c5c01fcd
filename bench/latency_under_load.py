"""Whether a busy machine changes the latency `constraints.max_latency_ms_per_1k` is checked
against: a model's prediction latency (`tuneloop.constraints.prediction_latency_ms`, the
scoring thread's CPU time) beside the wall-clock figure it replaced, idle and while busy
processes load the machine, measured in the same run.

Run from the repository root (``bench`` is a namespace package)::

    .venv/bin/python -m bench.latency_under_load                 # ~1 min
    .venv/bin/python -m bench.latency_under_load --hogs 6 --features 78

The table is synthetic (numbers and 10 string columns, a wide one as sweep 55a met: 78
features); the models are LightGBM fits of 1 and 300 rounds, scored at 1 and 2 threads through
the same feature preparation serving uses. A hog is a process spinning on one core. Printed per
model: the wall-clock figure (fastest of 5 runs, as measured before) and the CPU figure (what is
measured now), idle and loaded, and each one's loaded/idle ratio. A figure, not a test.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from tuneloop import lgbm
from tuneloop.config import DataConfig
from tuneloop.constraints import LATENCY_ROWS, prediction_latency_ms
from tuneloop.features import Schema
from tuneloop.lgbm_threads import GATE


def wall_latency_ms(predict: Callable[[pd.DataFrame], Any], frame: pd.DataFrame,
                    repeats: int) -> float:
    """The figure before: the fastest of `repeats` runs by the clock."""
    batch = frame.sample(n=LATENCY_ROWS, replace=len(frame) < LATENCY_ROWS, random_state=0)
    predict(batch.head(10))
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        predict(batch)
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.min(timings))


def _hog(stop: Any) -> None:
    while not stop.is_set():
        pass


@contextmanager
def hogs(n: int) -> Iterator[None]:
    """`n` processes spinning on a core each, stopped on exit."""
    stop = multiprocessing.Event()
    procs = [multiprocessing.Process(target=_hog, args=(stop,), daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    time.sleep(0.5)  # let the scheduler spread them
    try:
        yield
    finally:
        stop.set()
        for p in procs:
            p.join(timeout=5)


def table(rows: int, features: int, seed: int = 0) -> tuple[pd.DataFrame, Schema]:
    rng = np.random.default_rng(seed)
    numbers = features - 10
    frame = pd.DataFrame(rng.normal(size=(rows, numbers)), columns=[f"x{i}" for i in
                                                                    range(numbers)])
    for i in range(10):
        frame[f"c{i}"] = rng.choice(list("abcdefgh"), rows)
    frame["y"] = (frame["x0"] + rng.normal(size=rows) > 0).astype(int)
    spec = DataConfig(target="y", task="binary", positive_class=1,
                      categorical=[f"c{i}" for i in range(10)])
    return frame, Schema.fit(spec, frame)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hogs", type=int, default=6, help="busy processes while loaded (6)")
    parser.add_argument("--features", type=int, default=78, help="columns of the table (78)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (5)")
    args = parser.parse_args(argv)
    frame, schema = table(5000, args.features)
    print(f"table: 5,000 rows, {args.features} columns; loaded = {args.hogs} spinning "
          f"processes on {lgbm.cores()} core(s)")
    print(f"{'model':<22}{'wall idle':>10}{'wall busy':>10}{'ratio':>7}"
          f"{'cpu idle':>10}{'cpu busy':>10}{'ratio':>7}   (ms per 1,000 rows)")
    for rounds in (1, 300):
        for threads in (1, 2):
            model = lgbm.fit(frame, schema, {"num_leaves": 63}, rounds, 0, threads)

            def predict(rows: pd.DataFrame, model: Any = model) -> Any:
                return lgbm.predict(model, rows, schema)

            def both(threads: int = threads) -> tuple[float, float]:
                with GATE.training(threads):  # as a trial measures: at its own count
                    return (wall_latency_ms(predict, frame, args.repeats),
                            prediction_latency_ms(predict, frame, args.repeats))

            wall_idle, cpu_idle = both()
            with hogs(args.hogs):
                wall_busy, cpu_busy = both()
            print(f"{f'{rounds} round(s), {threads} thr':<22}{wall_idle:>10.1f}"
                  f"{wall_busy:>10.1f}{wall_busy / wall_idle:>7.2f}{cpu_idle:>10.1f}"
                  f"{cpu_busy:>10.1f}{cpu_busy / cpu_idle:>7.2f}")


if __name__ == "__main__":
    main()
