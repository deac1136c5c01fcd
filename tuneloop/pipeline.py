"""The loop as a DVC pipeline (dvc.yaml), written from one definition: the bundled project's
dvc.yaml and every project `tuneloop init` makes come from `dvc_yaml()`, so they cannot drift
apart. Paths come from params.yaml through DVC's ${...} templating.

The metrics and plots JSON DVC compares across commits and experiments (`dvc exp show`,
`dvc exp diff`, `dvc plots diff`) are declared here once: dvc.yaml lists them, `.gitignore`
leaves them visible to git, and the loop's record step commits them with dvc.lock
(`recorded_files`)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tuneloop.config import PARAMS_FILE
from tuneloop.metrics import BINARY, CALIBRATION_Y

HEADER = ("# The loop as a DVC pipeline: `dvc repro` runs the same stage functions the Prefect\n"
          "# flow runs. Paths come from params.yaml, so the flow and this file cannot disagree.\n"
          "# Written by tuneloop.pipeline.dvc_yaml(); batches arrive with `tuneloop ingest`.\n")

_CODE = {  # the library and stage files each stage's result depends on (in this repository)
    "dataset": ["stages/dataset.py", "tuneloop/batches.py"],
    "split": ["stages/split.py"],
    "tune": ["stages/tune.py", "tuneloop/search", "tuneloop/lgbm.py", "tuneloop/torch_mlp.py",
             "tuneloop/families.py", "tuneloop/features.py", "tuneloop/sli.py",
             "tuneloop/constraints.py", "tuneloop/selection.py"],
    "evaluate": ["stages/evaluate.py", "tuneloop/constraints.py", "tuneloop/search/trial.py",
                 "tuneloop/families.py",
                 "tuneloop/lgbm.py",
                 "tuneloop/torch_mlp.py", "tuneloop/metrics.py", "tuneloop/features.py"],
    "promote": ["stages/promote.py", "tuneloop/promotion.py", "tuneloop/gate.py",
                "tuneloop/serving.py", "tuneloop/experiments.py"],
    "drift": ["stages/drift.py", "tuneloop/monitor.py", "tuneloop/policy.py",
              "tuneloop/decisions.py", "tuneloop/experiments.py"],
    "plots": ["stages/plots.py"],
}

# The params keys each stage reads (DVC re-runs a stage when one of them changes). Whole
# sections where the stage reads (nearly) all of it; single keys elsewhere, so that e.g.
# data.incoming or drift.min_effect re-run nothing they do not feed.
_ORDER = ["data.time", "data.window"]  # which accepted batches form the window, in what order
_SCHEMA = ["data.target", "data.task", "data.positive_class", "data.classes", "data.time",
           "data.id", "data.features", "data.exclude", "data.forbid",
           "data.date_formats", "data.time_zones"]  # tuneloop.features
_PARAMS = {
    # The window, and the names it checks against the batches' columns before any study.
    "dataset": [*_ORDER, "data.features", "data.exclude", "evaluate.slices",
                "constraints.group_column"],
    "split": ["split"],
    # cost: the prices a tune.budget.cost cap reads; constraints and how evaluation measures:
    # what each trial is measured against, and how.
    "tune": ["tune", "cost", "constraints", "evaluate.latency_repeats",
             "evaluate.min_slice_rows", *_SCHEMA],
    "evaluate": ["evaluate", "data", "constraints"],  # the whole spec is saved with the model
    # The gate; the window and split decide which batch the saved model was trained through.
    "promote": ["promote", "constraints", "mlflow", "split", "evaluate.refit_on_valid",
                *_ORDER],
    "drift": ["drift", "policy", "promote.model_name", "mlflow.tracking_uri", "data.time"],
    "plots": ["tune.metric", "data.task"],  # the tuning metric (the task's default when null)
}

# The run products git carries (un-ignored, committed by the loop's record step): what DVC
# users compare across commits and experiments. Everything else under reports/ stays ignored.
METRICS = "${paths.metrics}"
CALIBRATION = "${paths.calibration}"
TUNING_PLOT = "${paths.plots_dir}/tuning.json"
DRIFT_PLOT = "${paths.plots_dir}/drift.json"
SLI = "${paths.sli}"  # the study's indicators (tuneloop.sli): `dvc metrics show` lists them
COMPARED = (METRICS, CALIBRATION, TUNING_PLOT, DRIFT_PLOT, SLI)
LOCK_FILE = "dvc.lock"
_VAR = re.compile(r"\$\{(paths|data)\.([a-z_]+)\}")


def _stages(task: str) -> dict[str, dict[str, Any]]:
    return {
        "dataset": {
            "cmd": "python -m stages.dataset",
            "deps": ["${data.batches}"],
            "outs": ["${paths.dataset}"]},
        "split": {
            "cmd": "python -m stages.split",
            "deps": ["${paths.dataset}"],
            "outs": ["${paths.splits_dir}"]},
        "tune": {
            "cmd": "python -m stages.tune",
            # The holdout is deliberately not a dependency: no trial can see it.
            "deps": ["${paths.splits_dir}/train.parquet", "${paths.splits_dir}/valid.parquet"],
            "outs": [{"${paths.tune_report}": {"cache": False}},
                     {"${paths.journal}": {"cache": False}},
                     {"${paths.pareto}": {"cache": False}}],
            "metrics": [{SLI: {"cache": False}}]},
        "evaluate": {
            "cmd": "python -m stages.evaluate",
            "deps": ["${paths.splits_dir}", "${paths.tune_report}"],
            "outs": ["${paths.model_dir}", {"${paths.evaluation}": {"cache": False}}],
            "metrics": [{METRICS: {"cache": False}}],
            "plots": [{CALIBRATION: {"cache": False, "x": "mean_predicted",
                                     "y": CALIBRATION_Y[task]}}]},
        "promote": {
            # Appends to paths.audit_log, deliberately not an output: DVC would delete it
            # before re-running the stage, and the log is the history rollback replays.
            # Under `dvc exp run` it registers nothing (tuneloop.experiments).
            "cmd": "python -m stages.promote",
            "deps": ["${paths.model_dir}", "${paths.metrics}", "${paths.evaluation}",
                     "${paths.splits_dir}/holdout.parquet", "${paths.dataset}"],
            "outs": [{"${paths.promotion}": {"cache": False}}]},
        "drift": {
            "cmd": "python -m stages.drift",
            # Decides each new batch once (the decision ledger is append-only, not an output).
            "deps": ["${paths.dataset}", "${paths.promotion}"],
            # persist: the report describes the newest decided batch; a re-run with nothing
            # new to decide keeps it (DVC would otherwise delete it before the stage runs).
            "outs": [{"${paths.drift_report}": {"cache": False, "persist": True}}]},
        "plots": {
            "cmd": "python -m stages.plots",
            "deps": ["${paths.journal}", "${paths.drift_report}"],
            # The PNGs (the same data, drawn by matplotlib) are outputs, not DVC plots: they
            # are not in git, and `dvc plots diff` would fail on every commit lacking them.
            "outs": [{"${paths.plots_dir}/tuning.png": {"cache": False}},
                     {"${paths.plots_dir}/drift.png": {"cache": False}}],
            # The metric's own terms (a loss positive, its best the lowest: sweep 51c F1).
            "plots": [{TUNING_PLOT: {"cache": False, "x": "finished", "y": "best",
                                     "x_label": "trials finished",
                                     "y_label": "best validation score so far (the tuning "
                                                "metric's own terms)"}},
                      # Features are names: a nominal axis (DVC's default template would
                      # read them as numbers and draw nothing), longest bar first.
                      {DRIFT_PLOT: {"cache": False, "template": "bar_horizontal_sorted",
                                    "x": "effect", "y": "feature"}}]},
    }


def dvc_yaml(code_deps: bool = False, extra_deps: dict[str, list[str]] | None = None,
             task: str = BINARY) -> str:
    """The dvc.yaml text. code_deps: also list this repository's code files (the bundled
    project, where the code lives beside the data); extra_deps: per stage, e.g. a prepare
    hook's files; task: the field the calibration plot reads (a regression's observed side is
    a mean, not a rate)."""
    stages = _stages(task)
    for name, stage in stages.items():
        deps = [*(_CODE[name] if code_deps else []), *(extra_deps or {}).get(name, [])]
        stage["deps"] = [*deps, *stage["deps"]]
        # params right after deps, where DVC's own examples put them
        ordered = {k: stage[k] for k in ("cmd", "deps")}
        stage_params = list(dict.fromkeys(_PARAMS[name]))  # data.time may come twice
        stages[name] = {**ordered, "params": stage_params,
                        **{k: v for k, v in stage.items() if k not in ordered}}
    return HEADER + yaml.safe_dump({"stages": stages}, sort_keys=False, width=100)


def recorded_files(params: Any, with_suite: bool = True) -> list[str]:
    """What git carries of a run, relative to the project root (`params`: a Params): the DVC
    pointers (dvc.lock, the accepted batches' .dvc file: a commit that DVC can check out
    again), the metrics and plots JSON DVC compares, and the validation suite that accepted
    the batches (a rejection asks the user to edit it; uncommitted, every later model's
    lineage was `git_dirty` and pinned no suite: sweep 23), and params.yaml, the settings the
    run used (sweep 55a: `tune.n_trials` edited to 10, as the README invites, was left out,
    so the record commit paired a 10-trial run's figures with 20 in `dvc exp show` and every
    model's lineage was `git_dirty`). with_suite=False: the run's own products only, which
    every run rewrites (lineage's dirty check leaves them out; a suite or params edited and
    not yet committed does make the code dirty)."""
    def fill(text: str) -> str:
        return _VAR.sub(lambda m: str(getattr(getattr(params, m.group(1)), m.group(2))), text)

    products = [LOCK_FILE, fill("${data.batches}.dvc"), *(fill(p) for p in COMPARED)]
    return [*products, str(params.validate_.suite), PARAMS_FILE] if with_suite else products
