"""Results files: strict JSON in, dataclasses out. No pickle: a results file must stay readable
by anyone, diffable, and safe to open from an untrusted checkout."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from bench.suite.analysis import summarize
from bench.suite.datasets import ADULT_ANCHORS
from bench.suite.objective import FIXED_PARAMS
from bench.suite.records import RunResult, TrialRecord
from bench.suite.space import SEARCH_SPACE


def jsonable(obj: Any) -> Any:
    """Strict JSON: NaN and inf become None."""
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    return obj


def unjson_float(x: float | None) -> float:
    return math.nan if x is None else float(x)


def dump_json(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` as strict JSON, atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(jsonable(doc), indent=1, allow_nan=False))
    tmp.replace(path)


def write_json(
    path: Path,
    meta: dict[str, Any],
    runs: Sequence[RunResult],
    *,
    fixed_params: dict[str, Any] | None = None,
    anchors: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """The benchmark's results file: meta, anchors, space, fixed params, every run, summary.

    The defaults (Adult's anchors, binary parameters) keep ``bench.tuning_bench``'s files as they
    were; the suite passes its dataset's own and adds its cell summary in ``extra``.
    """
    doc = {
        "meta": meta,
        "anchors": ADULT_ANCHORS if anchors is None else anchors,
        "space": [asdict(d) for d in SEARCH_SPACE],
        "fixed_params": FIXED_PARAMS if fixed_params is None else fixed_params,
        "runs": [asdict(r) for r in runs],
        "summary": summarize(runs),
        **(extra or {}),
    }
    dump_json(path, doc)


def runs_from_doc(
    doc: dict[str, Any], record_cls: type[TrialRecord] = TrialRecord
) -> list[RunResult]:
    """The runs of a results document, records built as ``record_cls`` (a TrialRecord subclass
    for harnesses that add fields, e.g. the constrained benchmark's sizes)."""
    runs = []
    for r in doc["runs"]:
        r = dict(r)
        records = []
        for x in r.pop("records"):
            records.append(record_cls(**{**x, "valid_auc": unjson_float(x["valid_auc"])}))
        runs.append(RunResult(**r, records=records))
    return runs


def read_runs(
    path: Path, record_cls: type[TrialRecord] = TrialRecord
) -> tuple[dict[str, Any], list[RunResult]]:
    """(meta, runs) of a results file."""
    doc = json.loads(path.read_text())
    return doc["meta"], runs_from_doc(doc, record_cls)


def read_doc(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())
