"""Does re-running a trial with its seed reproduce its score? Prints the spread.

Draws configurations from the benchmark's space with tuneloop's seeded strategy, derives each
trial's seed from the study seed (tuneloop.search.trial_seed), and trains each configuration
`--repeats` times on UCI Adult: once alone, then with two trials at once on threads (as two
workers run them). The spread is max - min of the validation AUC over the repeats.

    .venv/bin/python -m bench.repro --trials 6 --repeats 3
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor

from bench.adult_data import load_adult
from bench.tuneloop_tuner import space_from
from bench.tuning_bench import SEARCH_SPACE, LgbTask, TunerContext
from tuneloop.search import make_strategy, trial_seed


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.repro")
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--study-seed", type=int, default=0)
    args = parser.parse_args()
    task = LgbTask(load_adult(), threads=1, max_rounds=600, early_stopping_rounds=50)
    space = space_from(TunerContext(SEARCH_SPACE, args.study_seed, 1, 600, 50, 10))
    strategy = make_strategy("random", space, args.study_seed, args.trials)
    specs = [strategy.ask() for _ in range(args.trials)]

    def fit(i: int) -> float:
        p = specs[i]
        return task.fit(p.params, seed=trial_seed(args.study_seed, p.id),
                        hook=lambda rounds, auc: ("continue", 0.0)).valid_auc

    scores: dict[int, list[float]] = {i: [] for i in range(args.trials)}
    for _ in range(args.repeats):
        for i in range(args.trials):
            scores[i].append(fit(i))
    with ThreadPoolExecutor(2) as pool:  # the same trials, two at a time
        for i, auc in zip(range(args.trials), pool.map(fit, range(args.trials)), strict=True):
            scores[i].append(auc)
    worst = 0.0
    for i, vals in scores.items():
        spread = max(vals) - min(vals)
        worst = max(worst, spread)
        print(f"trial {specs[i].id} seed {trial_seed(args.study_seed, specs[i].id)}: "
              f"valid AUC {vals[0]:.6f}, spread over {len(vals)} runs {spread:.2e}")
    print(f"largest spread: {worst:.2e}")


if __name__ == "__main__":
    main()
