"""Search-quality benchmark, one dataset at one budget: the historical entry point.

The harness now lives in the package :mod:`bench.suite` (one module per job; start with its
``__init__``). This module re-exports the names other code and the README use, and keeps the
command working with the same flags and output::

    .venv/bin/python -m bench.tuning_bench --quick --threads 1       # smoke run, ~2 min on 2 cores
    .venv/bin/python -m bench.tuning_bench --seeds 5 --budget-rounds 30000
    .venv/bin/python -m bench.tuning_bench --from-json bench/results/tuning.json   # re-print

Several datasets and budgets at once: ``python -m bench.suite`` (see bench/README.md).
"""

from __future__ import annotations

from bench.adult_data import DEFAULT_DIR, AdultSplits, load_adult
from bench.suite.analysis import (
    CHECKPOINTS,
    best_so_far,
    checkpoint_metrics,
    compute_ratio,
    compute_to_reach,
    final_median_auc,
    summarize,
)
from bench.suite.analysis import quantile as _q
from bench.suite.datasets import ADULT_ANCHORS as ANCHORS
from bench.suite.loop import (
    DEFAULT_REPORT_EVERY,
    _executor,
    _init_worker,
    _InlineExecutor,
    _run_job,
    _stop_pool,
    run_jobs,
    run_tuner,
    trial_seed,
)
from bench.suite.loop import (
    THREAD_ENV as _THREAD_ENV,
)
from bench.suite.loop import (
    WorkerConfig as _WorkerConfig,
)
from bench.suite.loop import (
    thread_env as _thread_env,
)
from bench.suite.objective import (
    DEFAULT_EARLY_STOPPING,
    DEFAULT_MAX_ROUNDS,
    FIXED_PARAMS,
    FitResult,
    LgbTask,
    RoundVerdict,
    _Pruned,
    _RoundCallback,
)
from bench.suite.records import RunResult, TrialRecord, TrialStatus
from bench.suite.single import (
    DEFAULT_BUDGET,
    DEFAULT_OUT,
    DEFAULT_SEEDS,
    QUICK,
    build_parser,
    main,
)
from bench.suite.single import run_line as _run_line
from bench.suite.single import versions as _versions
from bench.suite.space import SEARCH_SPACE, Dim, Params
from bench.suite.space import check_params as _check_params
from bench.suite.store import jsonable as _jsonable
from bench.suite.store import read_runs, write_json
from bench.suite.store import unjson_float as _unjson_float
from bench.suite.tables import fmt as _fmt
from bench.suite.tables import format_tables
from bench.suite.tables import ms as _ms
from bench.suite.tuners import (
    TUNERS,
    Proposal,
    TrialOutcome,
    Tuner,
    TunerContext,
    load_tuner_modules,
    register_tuner,
)

__all__ = [
    "ANCHORS", "CHECKPOINTS", "DEFAULT_BUDGET", "DEFAULT_DIR", "DEFAULT_EARLY_STOPPING",
    "DEFAULT_MAX_ROUNDS", "DEFAULT_OUT", "DEFAULT_REPORT_EVERY", "DEFAULT_SEEDS", "FIXED_PARAMS",
    "QUICK", "SEARCH_SPACE", "TUNERS", "AdultSplits", "Dim", "FitResult", "LgbTask", "Params",
    "Proposal", "RoundVerdict", "RunResult", "TrialOutcome", "TrialRecord", "TrialStatus", "Tuner",
    "TunerContext", "_InlineExecutor", "_Pruned", "_RoundCallback", "_THREAD_ENV",
    "_WorkerConfig", "_check_params", "_executor", "_fmt", "_init_worker", "_jsonable", "_ms",
    "_q", "_run_job", "_run_line", "_stop_pool", "_thread_env", "_unjson_float", "_versions",
    "best_so_far", "build_parser", "checkpoint_metrics", "compute_ratio", "compute_to_reach",
    "final_median_auc", "format_tables", "load_adult", "load_tuner_modules", "main",
    "read_runs", "register_tuner", "run_jobs", "run_tuner", "summarize", "trial_seed",
    "write_json",
]

if __name__ == "__main__":
    raise SystemExit(main())
