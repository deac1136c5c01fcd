"""The loop as a DVC pipeline (dvc.yaml), written from one definition: the bundled project's
dvc.yaml and every project `tuneloop init` makes come from `dvc_yaml()`, so they cannot drift
apart. Paths come from params.yaml through DVC's ${...} templating."""

from __future__ import annotations

from typing import Any

import yaml

HEADER = ("# The loop as a DVC pipeline: `dvc repro` runs the same stage functions the Prefect\n"
          "# flow runs. Paths come from params.yaml, so the flow and this file cannot disagree.\n"
          "# Written by tuneloop.pipeline.dvc_yaml(); batches arrive with `tuneloop ingest`.\n")

_CODE = {  # the library and stage files each stage's result depends on (in this repository)
    "dataset": ["stages/dataset.py", "tuneloop/batches.py"],
    "split": ["stages/split.py"],
    "tune": ["stages/tune.py", "tuneloop/search", "tuneloop/lgbm.py", "tuneloop/torch_mlp.py",
             "tuneloop/families.py", "tuneloop/features.py"],
    "evaluate": ["stages/evaluate.py", "tuneloop/families.py", "tuneloop/lgbm.py",
                 "tuneloop/torch_mlp.py", "tuneloop/metrics.py", "tuneloop/features.py"],
    "promote": ["stages/promote.py", "tuneloop/promotion.py", "tuneloop/gate.py",
                "tuneloop/serving.py"],
    "drift": ["stages/drift.py", "tuneloop/monitor.py", "tuneloop/policy.py",
              "tuneloop/decisions.py"],
    "plots": ["stages/plots.py"],
}


def _stages() -> dict[str, dict[str, Any]]:
    return {
        "dataset": {
            "cmd": "python -m stages.dataset",
            "deps": ["${data.batches}"],
            "params": ["data"],
            "outs": ["${paths.dataset}"]},
        "split": {
            "cmd": "python -m stages.split",
            "deps": ["${paths.dataset}"],
            "params": ["split"],
            "outs": ["${paths.splits_dir}"]},
        "tune": {
            "cmd": "python -m stages.tune",
            # The holdout is deliberately not a dependency: no trial can see it.
            "deps": ["${paths.splits_dir}/train.parquet", "${paths.splits_dir}/valid.parquet"],
            "params": ["tune", "data"],
            "outs": [{"${paths.tune_report}": {"cache": False}},
                     {"${paths.journal}": {"cache": False}}]},
        "evaluate": {
            "cmd": "python -m stages.evaluate",
            "deps": ["${paths.splits_dir}", "${paths.tune_report}"],
            "params": ["evaluate", "data"],
            "outs": ["${paths.model_dir}", {"${paths.evaluation}": {"cache": False}}],
            "metrics": [{"${paths.metrics}": {"cache": False}}],
            "plots": [{"${paths.calibration}": {"cache": False, "x": "mean_predicted",
                                                "y": "observed_rate"}}]},
        "promote": {
            # Appends to paths.audit_log, deliberately not an output: DVC would delete it
            # before re-running the stage, and the log is the history rollback replays.
            "cmd": "python -m stages.promote",
            "deps": ["${paths.model_dir}", "${paths.metrics}", "${paths.evaluation}",
                     "${paths.splits_dir}/holdout.parquet", "${paths.dataset}"],
            "params": ["promote", "mlflow"],
            "outs": [{"${paths.promotion}": {"cache": False}}]},
        "drift": {
            "cmd": "python -m stages.drift",
            # Decides each new batch once (the decision ledger is append-only, not an output).
            "deps": ["${paths.dataset}", "${paths.promotion}"],
            "params": ["drift", "policy"],
            # persist: the report describes the newest decided batch; a re-run with nothing
            # new to decide keeps it (DVC would otherwise delete it before the stage runs).
            "outs": [{"${paths.drift_report}": {"cache": False, "persist": True}}]},
        "plots": {
            "cmd": "python -m stages.plots",
            "deps": ["${paths.journal}", "${paths.drift_report}"],
            "params": ["tune.metric", "drift.min_effect"],
            "plots": [{"${paths.plots_dir}/tuning.json": {"cache": False, "x": "finished",
                                                          "y": "best"}},
                      {"${paths.plots_dir}/drift.json": {"cache": False, "x": "effect",
                                                         "y": "feature"}},
                      {"${paths.plots_dir}/tuning.png": {"cache": False}},
                      {"${paths.plots_dir}/drift.png": {"cache": False}}]},
    }


def dvc_yaml(code_deps: bool = False, extra_deps: dict[str, list[str]] | None = None) -> str:
    """The dvc.yaml text. code_deps: also list this repository's code files (the bundled
    project, where the code lives beside the data); extra_deps: per stage, e.g. a prepare
    hook's files."""
    stages = _stages()
    for name, stage in stages.items():
        deps = [*(_CODE[name] if code_deps else []), *(extra_deps or {}).get(name, [])]
        stage["deps"] = [*deps, *stage["deps"]]
    return HEADER + yaml.safe_dump({"stages": stages}, sort_keys=False, width=100)
