"""How long the promotion gate and the registry steps take here. Prints figures; asserts nothing.

    .venv/bin/python -m bench.promotion_speed            # gate only (seconds)
    .venv/bin/python -m bench.promotion_speed --registry # plus one register+decide on SQLite

The gate's paired bootstrap re-scores both models on every resample, so its cost grows with the
holdout size times promote.bootstrap_samples; the full June holdout is ~28k rows.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from tuneloop.gate import paired_bootstrap


def _models(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, n)
    base = y * 0.6 + rng.normal(0, 0.5, n)
    return y, 1 / (1 + np.exp(-base)), 1 / (1 + np.exp(-(base + rng.normal(0, 0.3, n))))


def gate_figures(samples: int) -> None:
    rng = np.random.default_rng(0)
    for n in (1_000, 10_000, 28_000):
        y, a, b = _models(n, rng)
        for metric in ("auc", "logloss"):
            started = time.perf_counter()
            delta, low, high = paired_bootstrap(metric, y, a, b, samples, 0.95, 42)
            took = time.perf_counter() - started
            print(f"gate {metric:8s} rows={n:6d} samples={samples}: {took:6.2f} s "
                  f"(delta {delta:+.4f}, CI [{low:+.4f}, {high:+.4f}])")


def registry_figures() -> None:
    """One register + decide against a champion, on a fresh SQLite store, small data."""
    from stages import promote as promote_stage
    from tests.conftest import prepared_months
    from tests.test_promote import empty_store, holdout_of, oracle_model, registry_project
    from tuneloop.io import read_json
    from tuneloop.lineage import lineage_tags
    from tuneloop.promotion import registry_files

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        # Small slices of months 1-6 through the flights prepare hook, one batch each; the
        # holdout is the newest batch (June), as the split stage cuts it.
        holdout = holdout_of(prepared_months((1, 2, 3, 4, 5, 6)))
        started = time.perf_counter()
        template = empty_store(base)
        print(f"fresh MLflow SQLite store (migrations): {time.perf_counter() - started:.1f} s")
        root = base / "project"
        params = registry_project(root, holdout, template)
        for i, flip in enumerate((0.3, 0.0)):
            oracle = oracle_model(holdout, flip, base / f"o{i}")
            started = time.perf_counter()
            decision = promote_stage.run(
                params.promote, params.gate_metric, oracle / "model",
                read_json(oracle / "report.json"), holdout, lineage_tags(params, root),
                registry_files(params, root), read_json(oracle / "evaluation.json"), root)
            print(f"register + decide v{decision.version} ({len(holdout)} holdout rows, "
                  f"promoted={decision.promoted}): {time.perf_counter() - started:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--registry", action="store_true")
    args = parser.parse_args()
    gate_figures(args.samples)
    if args.registry:
        registry_figures()


if __name__ == "__main__":
    main()
