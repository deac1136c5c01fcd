"""Proposal latency at 100 and 1,000 observations: tuneloop's engine next to Optuna's samplers.

    .venv/bin/python -m bench.propose_latency                    # 100 and 1,000, ~3 min here
    .venv/bin/python -m bench.propose_latency --observations 100,400,1000 --asks 40

Each tuner first learns N finished trials of the params.yaml search space (random points, a
smooth synthetic score with noise: what the surrogate fits does not depend on LightGBM), then
proposes `--asks` times in a row; each proposal is told its score before the next, so every ask
sees N..N+asks observations, as in a long study. Figures: p50 and p95 of one proposal's wall time
(tuneloop: `ask()`, which fits its GP and maximises EI, re-estimating the kernel's
hyperparameters only when the data it fits grew by a quarter, hence the max column; Optuna:
`study.ask()` with the space's fixed distributions, where its samplers do their work; the `tell`
after it is timed apart).
One BLAS thread, as the tune stage sets for proposals. Not a test: the figures are this
machine's, printed next to the baselines measured in the same run.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tuneloop.config import load_params
from tuneloop.search import SearchSpace, make_strategy

REPO = Path(__file__).resolve().parents[1]


def score(params: dict[str, Any], rng: np.random.Generator) -> float:
    """A smooth bowl in the normalised space, plus noise: something a surrogate can fit."""
    lr = math.log(params["learning_rate"])
    leaves = math.log(params["num_leaves"])
    return (0.9 - 0.02 * (lr - math.log(0.05)) ** 2 - 0.01 * (leaves - math.log(63)) ** 2
            - 0.05 * (params["feature_fraction"] - 0.7) ** 2 + rng.normal(0, 0.002))


def random_point(space: SearchSpace, rng: np.random.Generator) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dim in space.dimensions:
        low, high = float(dim.low), float(dim.high)  # type: ignore[arg-type]
        if dim.log:
            value = math.exp(rng.uniform(math.log(low), math.log(high)))
        else:
            value = rng.uniform(low, high)
        out[dim.name] = int(round(value)) if dim.kind == "integer" else float(value)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_tuneloop(space: SearchSpace, n: int, asks: int,
                  seed: int) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    strategy = make_strategy("gp", space, seed, 8)
    for _ in range(n):
        strategy.observe(random_point(space, rng), -score(random_point(space, rng), rng))
    ask_s, tell_s = [], []
    for _ in range(asks):
        t0 = time.perf_counter()
        proposal = strategy.ask()
        t1 = time.perf_counter()
        strategy.tell(proposal.id, -score(proposal.params, rng))
        ask_s.append(t1 - t0)
        tell_s.append(time.perf_counter() - t1)
    return ask_s, tell_s


def time_optuna(sampler_of: Callable[[int], Any], space: SearchSpace, n: int, asks: int,
                seed: int) -> tuple[list[float], list[float]]:
    import optuna
    from optuna.distributions import FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists: dict[str, Any] = {}
    for dim in space.dimensions:
        low, high = float(dim.low), float(dim.high)  # type: ignore[arg-type]
        if dim.kind == "integer":
            dists[dim.name] = IntDistribution(int(low), int(high), log=dim.log)
        else:
            dists[dim.name] = FloatDistribution(low, high, log=dim.log)
    rng = np.random.default_rng(seed)
    study = optuna.create_study(direction="maximize", sampler=sampler_of(seed))
    study.add_trials([optuna.trial.create_trial(params=random_point(space, rng),
                                                distributions=dists,
                                                value=score(random_point(space, rng), rng))
                      for _ in range(n)])
    ask_s, tell_s = [], []
    for _ in range(asks):
        t0 = time.perf_counter()
        trial = study.ask(dists)
        t1 = time.perf_counter()
        study.tell(trial, score(trial.params, rng))
        ask_s.append(t1 - t0)
        tell_s.append(time.perf_counter() - t1)
    return ask_s, tell_s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--observations", default="100,1000", help="comma-separated N")
    ap.add_argument("--asks", type=int, default=30, help="proposals timed per N")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tuners", default="tuneloop,tpe,gp-optuna")
    args = ap.parse_args(argv)

    from threadpoolctl import threadpool_limits

    space = SearchSpace.from_config(load_params(REPO / "params.yaml").tune.search_space)
    import optuna

    runners: dict[str, Callable[[int, int], tuple[list[float], list[float]]]] = {
        "tuneloop": lambda n, k: time_tuneloop(space, n, k, args.seed),
        "tpe": lambda n, k: time_optuna(lambda s: optuna.samplers.TPESampler(seed=s), space,
                                        n, k, args.seed),
        "gp-optuna": lambda n, k: time_optuna(lambda s: optuna.samplers.GPSampler(seed=s),
                                              space, n, k, args.seed),
    }
    print(f"{'tuner':10} {'obs':>6} {'asks':>5} {'ask p50 ms':>11} {'ask p95 ms':>11} "
          f"{'ask max ms':>11} {'tell p50 ms':>12}")
    with threadpool_limits(limits=1):
        for n in (int(x) for x in args.observations.split(",")):
            for name in args.tuners.split(","):
                started = time.perf_counter()
                ask_s, tell_s = runners[name](n, args.asks)
                print(f"{name:10} {n:>6} {len(ask_s):>5} {1e3 * statistics.median(ask_s):>11.1f} "
                      f"{1e3 * percentile(ask_s, 0.95):>11.1f} {1e3 * max(ask_s):>11.1f} "
                      f"{1e3 * statistics.median(tell_s):>12.2f}   "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
