"""How long reading numbers sent as text takes (`tuneloop.batches.typographic_text`, which the
served model's `read_numbers` and ingest run on every text column read as numbers): the
current reading beside the one it replaced (every value through both per-value regexes),
measured in the same run, on the same columns, with their outputs compared.

Run from the repository root (``bench`` is a namespace package)::

    .venv/bin/python -m bench.text_numbers_speed            # ~10 s
    .venv/bin/python -m bench.text_numbers_speed --rows 100000

The columns: plain decimals and whole numbers written as text (what a JSON caller sends),
and one in a hundred values typeset (an accountant's (4,992.79), a space-grouped 2 291 176, a
U+2212 minus), the rest plain. A figure, not a test.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from tuneloop.batches import _ACCOUNTING, _SPACE_GROUP, typographic_text


def before(text: pd.Series) -> pd.Series:
    """The reading before session 39: both regexes over every value."""
    return text.str.replace("\u2212", "-", regex=False).str.replace(
        _ACCOUNTING, r"-\1", regex=True).str.replace(_SPACE_GROUP, "", regex=True)


def columns(rows: int, seed: int = 0) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    plain = pd.Series(rng.lognormal(8, 1, rows).round(2)).astype(str)
    whole = pd.Series(rng.integers(0, 10_000, rows)).astype(str)
    typeset = plain.copy()
    odd = rng.random(rows) < 0.01
    typeset[odd] = np.where(rng.random(int(odd.sum())) < 0.5, "(4,992.79)", "2 291 176")
    return {name: col.astype("string") for name, col in
            (("decimals", plain), ("whole numbers", whole), ("1% typeset", typeset))}


def best_of(fn: object, text: pd.Series, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn(text)  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return min(timings)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000, help="values per column (20,000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure, the fastest")
    args = parser.parse_args(argv)
    print(f"{'column':<16}{'before s':>10}{'now s':>10}{'speed-up':>10}  same output")
    for name, text in columns(args.rows).items():
        old, new = best_of(before, text, args.repeats), best_of(typographic_text, text,
                                                                 args.repeats)
        same = before(text).equals(typographic_text(text))
        print(f"{name:<16}{old:>10.3f}{new:>10.3f}{old / new:>9.1f}x  {same}")


if __name__ == "__main__":
    main()
