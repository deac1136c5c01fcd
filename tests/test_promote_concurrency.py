"""Eight promoters finishing at once against one SQLite MLflow store: each is a separate
`python -m stages.promote` process, as eight loops (or dvc repro runs) would be. The registry lock
serializes their decisions, so the champion alias ends at the best model and the audit log holds
every decision, each made against the champion the previous one left."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SMALL, write_params
from tests.test_promote import (
    REGISTRY,
    alias,
    empty_store,
    holdout_of,
    oracle_model,
    registry_project,
)
from tuneloop import audit
from tuneloop.config import load_params
from tuneloop.features import Schema
from tuneloop.gate import GateRules, decide
from tuneloop.io import read_json
from tuneloop.promotion import CHAMPION, registry_files, score_version

N_PROMOTERS = 8
FLIPS = tuple(round(0.07 * i, 2) for i in range(N_PROMOTERS))  # known order: 0.0 is best


# The promote stage function in its own process. Not `python -m stages.promote`: a stage command
# takes the project's loop lock (tests/test_project_lock.py), which would queue these one by one.
# Promotions that share one registry without sharing a project lock (a manual `tuneloop
# promote` during a loop, projects registering into one store) meet only the registry lock,
# which is what this test puts under load.
PROMOTE = """
import sys
from pathlib import Path
from stages import promote
from tuneloop.config import load_params
promote.execute(load_params(sys.argv[1]), Path(".").resolve())
"""


@pytest.mark.slow  # ~75 s of 8 MLflow processes; the registry lock is also exercised by
# tests/test_promote.py's interrupted-promotion tests in the default run
def test_eight_concurrent_promoters(ingested: Any, tmp_path: Path,
                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    holdout = holdout_of(ingested.dataset)
    root = tmp_path / "project"
    params = registry_project(root, holdout, empty_store(tmp_path_factory.getbasetemp()))
    y = Schema.fit(params.data, holdout).labels(holdout)
    commands = []
    for i, flip in enumerate(FLIPS):
        cand = f"cands/m{i}"
        oracle_model(holdout, flip, root / cand, seed=i)
        own = root / f"p{i}"
        own.mkdir()
        write_params(own, {**SMALL, **REGISTRY, "paths.model_dir": f"{cand}/model",
                           "paths.metrics": f"{cand}/report.json",
                           "paths.evaluation": f"{cand}/evaluation.json",
                           "paths.promotion": f"reports/promotion{i}.json"})
        commands.append([sys.executable, "-c", PROMOTE, f"p{i}/params.yaml"])
    aucs = [read_json(root / f"cands/m{i}/report.json")["holdout"]["auc"]
            for i in range(N_PROMOTERS)]
    assert aucs == sorted(aucs, reverse=True)  # the known order holds on this holdout

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for cmd in commands]
    outputs = [proc.communicate(timeout=600)[0] for proc in procs]
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out[-3000:]

    decisions = [read_json(root / f"reports/promotion{i}.json") for i in range(N_PROMOTERS)]
    versions = {d["version"] for d in decisions}
    assert versions == {str(v) for v in range(1, N_PROMOTERS + 1)}
    best = decisions[0]["version"]

    # The audit log is complete and its decisions form one chain: each was made against the
    # champion the previous decision left, and the champion only ever got better.
    entries = audit.read(registry_files(params, root).audit_log)
    assert len(entries) == N_PROMOTERS
    assert {e["version"] for e in entries} == versions
    assert entries[0]["champion_before"] is None
    for prev, entry in zip(entries, entries[1:], strict=False):
        assert entry["champion_before"] == prev["champion_after"]
    by_version = {d["version"]: aucs[i] for i, d in enumerate(decisions)}
    chain = [by_version[e["champion_after"]] for e in entries]
    assert chain == sorted(chain)

    # The alias ends at the best model. That needs the best to pass the gate against any other
    # (the qualities are far enough apart on this holdout); check that premise too.
    again = load_params(root / "params.yaml")
    rules = GateRules.from_config(again.promote, again.gate_metric, again.constraints)
    assert rules.metric == "auc"
    name = params.promote.model_name
    best_proba = score_version(name, best, holdout)
    second = decisions[1]["version"]
    assert decide(rules, y, best_proba, score_version(name, second, holdout), {
        "latency_ms_per_1k": 1.0, "size_bytes": 1}).promote
    assert alias(params, CHAMPION) == best
    assert entries[-1]["champion_after"] == best
