"""Dealing a table's rows into batches for `tuneloop init`: by time, by unit (group) or
by class, how many batches, and what the newest batch holds that no earlier one did.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tuneloop import jsonl
from tuneloop.batches import conform
from tuneloop.config import DataConfig
from tuneloop.errors import InitError
from tuneloop.io import file_md5, write_parquet
from tuneloop.suite import Suite

MIN_BATCH_ROWS = 20  # rows a batch at least, where --batches is given and the table allows


# A text feature whose newest batch is mostly levels no earlier batch had (with at least
# FLEETING_LEVELS levels: a few-level column with a new level is drift, not a name).
FLEETING_SHARE = 0.5
FLEETING_LEVELS = 20


def beyond_training(values: pd.Series, parts: list[np.ndarray]) -> str | None:
    """The holdout batch's values, when nine in ten of them lie above (or below) every value
    of the training batches (all but the validation and holdout batches), themselves of two
    values or more; else None."""
    if len(parts) < 3:
        return None
    training = values.iloc[np.concatenate(parts[:-2])].dropna()
    holdout = values.iloc[parts[-1]].dropna()
    if holdout.empty or training.nunique() < 2:
        return None
    for beyond in (holdout[holdout > training.max()], holdout[holdout < training.min()]):
        if len(beyond) >= 0.9 * len(holdout):
            low, high = beyond.min(), beyond.max()
            return f"{low:g}" if low == high else f"{low:g} to {high:g}"
    return None


def unseen_share(values: pd.Series, parts: list[np.ndarray]) -> float:
    """The share of the newest batch's non-blank rows whose level no earlier batch holds (0
    for a column of few levels). Storm names, one per storm, drove drift retrains and swung
    predictions for an unseen name (sweep 25)."""
    if len(parts) < 2 or values.nunique() < FLEETING_LEVELS:
        return 0.0

    def plain(rows: np.ndarray) -> pd.Series:  # spacing and case are no new level
        return values.loc[rows].dropna().astype(str).str.strip().str.lower()

    earlier, newest = set(plain(np.concatenate(parts[:-1]))), plain(parts[-1])
    # A newest batch nearly blank there says nothing (5 values of 1,202 rows were excluded
    # as "60% of the newest batch's rows": sweep 26).
    return float((~newest.isin(earlier)).mean()) if len(newest) >= FLEETING_LEVELS else 0.0


MAX_AUTO_BATCHES = 10  # batches init cuts at most when --batches is not given
# Rows each time needs for a batch of its own where there are more times than batches (the
# review: ten years of 30 rows were ten batches of 30, a validation batch of 14 of a class).
MIN_TIME_BATCH_ROWS = 100


def n_batches(rows: int) -> int:
    """Enough batches for train, validation and holdout; about a tenth each for the last two
    once the table is large enough."""
    return int(max(5, min(MAX_AUTO_BATCHES, rows // 1000)))


def one_batch_per_time(frame: pd.DataFrame, time: str) -> list[np.ndarray]:
    """A batch per distinct time, in time order."""
    order = frame.sort_values(time, kind="stable").index.to_numpy()
    times = frame[time].to_numpy()[order]
    return np.split(order, np.flatnonzero(times[1:] != times[:-1]) + 1)


def stray_tail(times: pd.Series, n: int) -> str | None:
    """A note on a few rows (at most 1% of them) whose times lie past the rest by more than a
    batch's span, else None: they join the newest batch, the holdout, which then spans the gap
    (sweep 29: 33 stops dated four months after a January-September table)."""
    ordered = times.sort_values().reset_index(drop=True)
    span = ordered.iloc[-1] - ordered.iloc[0]
    if len(ordered) < 100 or span <= pd.Timedelta(0):
        return None
    gaps = ordered.diff().iloc[1:]
    at = int(gaps.to_numpy().argmax()) + 1  # the first row after the widest gap
    tail = len(ordered) - at
    if tail > max(1, len(ordered) // 100) or gaps.iloc[at - 1] <= span / n:
        return None
    gap = gaps.iloc[at - 1]
    said = f"{gap.days} days" if gap >= pd.Timedelta(days=2) else \
        f"{gap / pd.Timedelta(hours=1):.0f} hours"
    return (f"the last {tail} row(s) (from {ordered.iloc[at]}) lie {said} after "
            f"the rest, more than a batch's span: they join the newest batch, the holdout, "
            "which then spans the gap; if they are strays of another export, drop them and "
            "init again")


def cut_by_time(frame: pd.DataFrame, time: str, n: int, seed: int = 42) -> list[np.ndarray]:
    """n batches of about equal size in time order. A cut moves to the nearest change of time
    (within half a batch): rows of one timestamp (a day, a year) stay in one batch, so the
    holdout is later than anything tuning saw, not a share of the same moment. Rows of one
    time too many for one batch are cut in a seeded random order, not the file's (sweep 29:
    a file listing each year's deaths first cut 1996 into batches of 64%, 27% and 9% deaths)."""
    shuffled = np.random.default_rng(seed).permutation(len(frame))
    # As integers: a zoned column's to_numpy() is Python Timestamps, sorted one comparison at a
    # time (1.4M rows: 20 s against 4 s before the shuffle; the review).
    keys = frame[time].astype("int64").to_numpy() if pd.api.types.is_datetime64_any_dtype(
        frame[time]) else frame[time].to_numpy()
    order = shuffled[np.argsort(keys[shuffled], kind="stable")]
    times = frame[time].to_numpy()[order]
    rows = len(order)
    changes = np.flatnonzero(times[1:] != times[:-1]) + 1  # where a new time starts
    # Every batch keeps at least half a batch of rows: a cut moved to a sparse timestamp must
    # not leave a one-row validation or holdout batch.
    least = max(1, rows // (2 * n))
    cuts, previous = [], 0
    for k in range(1, n):
        ideal = round(k * rows / n)
        low, high = previous + least, rows - (n - k) * least
        room = changes[(changes >= low) & (changes <= high)]
        near = room[np.argmin(np.abs(room - ideal))] if len(room) else None
        cut = int(near) if near is not None and abs(near - ideal) <= rows / (2 * n) \
            else min(max(ideal, low), high)
        cuts.append(cut)
        previous = cut
    return np.split(order, cuts)


def classes_not_held(target: pd.Series, parts: list[np.ndarray], group: str) -> list[str]:
    """Lines for classes the training, validation or holdout batches of a deal by unit lack
    (the second review: a class carried by 2 of 40 sites missed both a third of the time,
    unsaid, and the run reported its macro figures over the other classes)."""
    labels = target.astype("string")
    everywhere = set(labels.dropna())
    lines = []
    training = np.concatenate(parts[:-2])
    for name, part in (("training", training), ("validation", parts[-2]),
                       ("holdout", parts[-1])):
        lacking = sorted(everywhere - set(labels.iloc[part].dropna()))
        if lacking:
            # Sweep 55c: a class of two units, one dealt to validation and one to the holdout,
            # was never trained on, unsaid.
            where = "no training batch holds" if name == "training" else \
                f"the {name} batch holds no row of"
            lines.append(f"{where} class(es) {', '.join(map(repr, lacking[:5]))}"
                         f"{f' and {len(lacking) - 5} more' if len(lacking) > 5 else ''}, "
                         f"dealt whole with the {group!r} units that carry them: "
                         f"{_NEVER_SEES[name]}; fewer --batches, or no --group")
    return lines


_NEVER_SEES = {"training": "the model never learns them", "validation": "tuning never sees them",
               "holdout": "the gate never sees them"}


GROUP_DEALS = 50  # seeded orders of the units tried for one that holds both classes


def blank_unit_twins(frame: pd.DataFrame, group: str) -> bool:
    """Whether a repeated row's unit (--group) is blank: each blank is a unit of its own row,
    so such twins are dealt apart as any row of a random cut is."""
    return bool(frame.loc[frame[group].isna()].duplicated().any())


BLANK_UNITS_SHARE = 0.05  # of a --group column's rows blank: from this share, said on its own


def unit_spelling_notes(units: pd.Series) -> list[str]:
    """What init says of a --group column whose units it cannot keep whole (sweep 55c F8):
    many blank rows (each a unit of its own row, so an unknown unit's rows are dealt apart),
    and one unit written several ways ('A12', 'a12 '), dealt as several units."""
    said = []
    blank = int(units.isna().sum())
    if blank and blank >= BLANK_UNITS_SHARE * len(units):
        said.append(f"column {units.name!r} (--group) is blank on {blank:,} of {len(units):,} "
                    f"rows ({blank / len(units):.0%}): each is dealt as a unit of its own row, "
                    "so rows of one unit not written down may sit in training and the holdout "
                    "alike (fill in the units where they are known)")
    present = units.dropna()
    if present.empty or pd.api.types.is_numeric_dtype(present) or \
            pd.api.types.is_bool_dtype(present):
        return said
    text = present.astype("string")
    spelled = pd.DataFrame({"raw": text, "key": text.str.strip().str.casefold()})
    ways = spelled.drop_duplicates().groupby("key")["raw"].agg(list)
    several = ways[ways.map(len) > 1]
    if len(several):
        example = " and ".join(repr(str(v)) for v in several.iloc[0][:2])
        said.append(f"column {units.name!r} (--group) holds {len(several):,} value(s) written "
                    f"more than one way, differing in case or spaces only (e.g. {example}): "
                    "each way is dealt as a unit of its own, so if they are one unit its rows "
                    "may sit in training and the holdout alike (write each unit one way)")
    return said


def deal_by_group(units: pd.Series, n: int, seed: int, source: str,
                   target: pd.Series | None = None) -> tuple[list[np.ndarray], int]:
    """n batches of whole units in a seeded random order, and the seed of the order taken. A
    blank unit is a unit of its own row. Sweep 54a: a provider's visits at random in every
    batch, 340 of 358 holdout rows of providers trained on: holdout AUC 0.855, 0.55 by
    provider. Given a class `target`, the first of GROUP_DEALS orders (seed, seed + 1, ...)
    whose training, validation and holdout batches each hold every class, or, where the
    classes' units are too few for that, miss fewest (a class missing from training first):
    a class carried by a few units left the validation and holdout batches without it, and no
    first model could be gated (the review); one carried by two units was dealt one to each,
    and the model trained without it (sweep 55c). A binary target missing a class anywhere is
    refused in one line."""
    codes = pd.factorize(units, use_na_sentinel=True)[0].astype("int64")
    blank = codes < 0
    codes[blank] = codes.max(initial=-1) + 1 + np.arange(int(blank.sum()))
    count = int(codes.max(initial=-1)) + 1
    if count < n:
        raise InitError(f"{source}: column {units.name!r} (--group) holds {count} units, too "
                        f"few for {n} batches of whole units: --batches {max(3, count)} at most"
                        if count >= 3 else f"{source}: column {units.name!r} (--group) holds "
                        f"{count} unit(s); a training, a validation and a holdout batch need 3")
    sizes = np.bincount(codes, minlength=count)
    labels, binary, least = None, False, 0
    if target is not None and target.dropna().nunique() >= 2:
        # Class codes (-1: no label): a deal's misses counted in one pass of the rows (a
        # comparison per class and deal took 191 s for 50 classes over 1M rows: the review).
        labels, names = pd.factorize(target.astype("string"), sort=True)
        binary = len(names) == 2
        held = np.zeros((len(names), count), dtype=bool)
        held[labels[labels >= 0], codes[labels >= 0]] = True
        for value, holders in zip(names, held.sum(axis=1).tolist(), strict=True):
            if holders < 3 and binary:
                # No deal can hold it in all three; 50 orders tried took 38 s to say so (the
                # second review).
                raise InitError(f"{source}: the target's class {value!r} is held by {holders} "
                                f"unit{'' if holders == 1 else 's'} of column {units.name!r} "
                                "(--group): a training, a validation and a holdout batch "
                                "cannot each hold it (3 units at least); no --group, or a "
                                "table where more units hold it")
            least += _CLASS_MISSES[min(holders, 3)]
    best: tuple[int, int, list[np.ndarray]] | None = None
    for tried in range(seed, seed + (GROUP_DEALS if labels is not None else 1)):
        rng = np.random.default_rng(tried)
        order = rng.permutation(count)
        batch_of_unit = np.empty(count, dtype="int64")
        batch_of_unit[order] = _cut_units(sizes[order], n, rng)
        batch_of = batch_of_unit[codes]
        misses = 0 if labels is None else _class_misses(labels, len(names), batch_of, n)
        if best is None or misses < best[0]:
            shuffled = rng.permutation(len(units))
            best = (misses, tried, [shuffled[batch_of[shuffled] == b] for b in range(n)])
        if misses <= least:
            break
    assert best is not None
    if binary and best[0] > 0:
        raise InitError(f"{source}: none of {GROUP_DEALS} seeded deals of the {count:,} units "
                        f"of column {units.name!r} (--group) puts both of the target's classes "
                        f"in the training, the validation and the holdout batches: fewer "
                        f"--batches (now {n}), or no --group")
    return best[2], best[1]


# What a class held by 0, 1, 2 or 3+ units must miss of training, validation and holdout, as
# _class_misses weighs it: one unit, validation and holdout; two, one of them; three, none.
_CLASS_MISSES = (0, 2, 1, 0)


def _class_misses(labels: np.ndarray, classes: int, batch_of: np.ndarray, n: int) -> int:
    """How far a deal is from every class in training, validation and holdout (`labels`: class
    codes, -1 for none): a class no training batch holds counts 3 (it cannot be learnt), one
    missing from the validation or the holdout batch 1 each."""
    labelled = labels >= 0
    present = np.zeros((classes, n), dtype=bool)
    present[labels[labelled], batch_of[labelled]] = True
    return int(3 * (~present[:, :n - 2].any(axis=1)).sum() + (~present[:, n - 2]).sum() +
               (~present[:, n - 1]).sum())


def _cut_units(sizes: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """The batch of each unit (`sizes`: their rows, in a random order): units of more than half
    a fair share first, largest first, then the rest in their random order, each to the batch
    holding fewest rows so far, a tie to one at random: no batch empty nor a row beside a huge
    unit where others could balance it (the review: cut in order, [725, 1, 1, 1, 72] from 600
    rows of one clinic and 200 blank ones), and the small units' partition random (the second
    review: sorted by size, units of 20-39 rows fell into one fixed partition whatever the
    seed). A unit of more than a fair share goes to a training batch (sweep 54c: one site of
    80% of the rows was the holdout, 290 rows trained on), unless dealing it anywhere leaves
    the validation and holdout batches more rows (four clinics of 300 rows and two single
    rows gave [300, 300, 600, 1, 1]: the second review)."""
    fair = float(sizes.sum()) / n
    large = [int(u) for u in np.argsort(-sizes, kind="stable") if sizes[u] > fair / 2]
    order = large + [u for u in range(len(sizes)) if sizes[u] <= fair / 2]
    deals = []
    for keep_out in (True, False):
        batch = np.empty(len(sizes), dtype="int64")
        filled = [0] * n
        for unit in order:
            allowed = range(n - 2) if keep_out and sizes[unit] > fair else range(n)
            least = min(filled[b] for b in allowed)
            ties = [b for b in allowed if filled[b] == least]
            chosen = ties[int(rng.integers(len(ties)))] if len(ties) > 1 else ties[0]
            batch[unit] = chosen
            filled[chosen] += int(sizes[unit])
        deals.append((min(filled) > 0, min(filled[n - 2:]), batch))
    (kept, kept_rows, batch), (anywhere, rows, dealt) = deals
    # Kept out unless that empties a batch, or leaves the validation or holdout batch under
    # half a share where dealing it anywhere gives them twice the rows.
    if not kept or (kept_rows < fair / 2 and anywhere and rows > 2 * kept_rows):
        return dealt
    return batch


def _filled(sizes: np.ndarray, rows: int) -> np.ndarray:
    """How many of a class's `rows` (at least one per batch) each batch takes so the batches'
    sizes come out as even as they can: one each, the rest poured into the emptiest first
    (ties: the later batch)."""
    n = len(sizes)
    level = sizes + 1
    later_first = np.arange(n)[::-1]  # among ties, the later batch first
    order = later_first[np.argsort(level[later_first], kind="stable")]
    ranked = level[order]
    rest = rows - n
    k = max(j for j in range(1, n + 1) if j * ranked[j - 1] - ranked[:j].sum() <= rest)
    top, extra = divmod(rest + int(ranked[:k].sum()), k)
    add = np.zeros(n, dtype=int)
    add[order[:k]] = top - ranked[:k]
    add[order[:k][:extra]] += 1
    return 1 + add


def deal_by_class(target: pd.Series, n: int, seed: int) -> list[np.ndarray]:
    """n batches in a seeded random order, each class's rows dealt round the batches: every
    class with n rows or more is in every batch, the holdout included (a random cut gave a
    150-row table a holdout without its rare class, and an AUC that could not be computed)."""
    rng = np.random.default_rng(seed)
    batch_of = np.empty(len(target), dtype=int)
    start = 0
    labels = target.astype("string").to_numpy()
    values, counts = np.unique(labels, return_counts=True)
    # The rarest class first, from the last batch backwards: a class of 3 rows lands in the
    # holdout, the validation batch and one training batch, where each is needed most. A
    # multiclass class of 1 or 2 rows has its first row trained on (a class no training batch
    # holds cannot be learnt; the holdout would only measure that) and its second in the
    # holdout. (A binary target's validation batch needs both classes to score AUC.)
    trained = 0  # the next training batch a class too small for every batch gets
    sizes = np.zeros(n, dtype=int)
    for value in values[np.argsort(counts, kind="stable")]:
        rows = rng.permutation(np.flatnonzero(labels == value))
        if len(rows) < 3 and n >= 3 and len(values) > 2:
            batch_of[rows] = [start % (n - 2), n - 1][:len(rows)]
            start = (start + 1) % n
            sizes += np.bincount(batch_of[rows], minlength=n)
            continue
        if 3 <= len(rows) < n:
            # Each of the holdout and the validation batch, the rest round the training
            # batches: dealt on from where the rarer classes stopped, Baseball's 3-row class
            # had all three rows trained on (sweep 56a).
            batch_of[rows] = [n - 1, n - 2, *((trained + np.arange(len(rows) - 2)) % (n - 2))]
            trained = (trained + len(rows) - 2) % (n - 2)
            sizes += np.bincount(batch_of[rows], minlength=n)
            continue
        if sizes.max() - sizes.min() > 1 and len(rows) >= n:
            # Small classes placed apart left the holdout and validation batches fuller: a row
            # in every batch, the rest to the emptiest (12 classes of 3 rows beside 350: 74
            # and 82 rows where 77 and 78 were dealt before; the second review).
            counts = _filled(sizes, len(rows))
            batch_of[rows] = np.repeat(np.arange(n), counts)
            sizes += counts
            continue
        # From the batch holding fewest rows (the highest of them), downwards: where the last
        # class stopped.
        start = n - 1 - int(np.flatnonzero(sizes == sizes.min()).max())
        batch_of[rows] = n - 1 - (start + np.arange(len(rows))) % n
        sizes += np.bincount(batch_of[rows], minlength=n)
    order = rng.permutation(len(target))
    return [order[batch_of[order] == b] for b in range(n)]


def lay_out_batches(root: Path, frame: pd.DataFrame, parts: list[np.ndarray],
                     spec: DataConfig, suite: Suite, data: Path, name: str) -> None:
    """The table as accepted batch files (parts: row positions, in order), each recorded in
    the batch ledger."""
    md5 = file_md5(data)
    for number, part in enumerate(parts, start=1):
        stored = root / spec.batches / f"{number:06d}-{name}-{number:02d}.parquet"
        batch = conform(frame.loc[part], suite)
        write_parquet(stored, batch)
        jsonl.append(root / "data" / "arrivals.jsonl", {
            "md5": f"{md5}:{number}", "source": f"{data}#batch-{number}", "accepted": True,
            "stored_as": str(stored.relative_to(root)), "rows": len(batch),
            "validation_result_id": "init", "decided_at": pd.Timestamp.now("UTC").isoformat()})
