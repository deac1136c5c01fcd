"""tuneloop's benchmark suite: how good a LightGBM configuration does each tuner find per unit of
compute, on several datasets and tasks?

Where things are (each module has one job)::

    space.py      the 8-dim search space (Dim, SEARCH_SPACE) shared by every dataset
    datasets.py   the dataset registry: Dataset specs (task, loader, license, budgets)
    objective.py  LgbTask: fit one configuration with budget-counted rounds, score it on test
    tuners.py     the Tuner ask/tell contract and the registry (register_tuner, TUNERS)
    records.py    TrialRecord / RunResult, what a run produces
    loop.py       run_tuner (one budgeted run) and run_jobs (many runs in worker processes)
    analysis.py   best-so-far, medians, compute ratios, the suite's cell summary and ranking
    tables.py     the printed tables
    store.py      results files (strict JSON, no pickle)
    plots.py      best-so-far test metric against compute (PNG)
    single.py     one dataset x budget, detailed tables (= python -m bench.tuning_bench)
    cli.py        the suite command (= python -m bench.suite): datasets x budgets x tuners

The tuners themselves live outside the package: ``bench/baselines.py`` (random, tpe,
tpe-hyperband, gp, gp-optuna) and ``bench/tuneloop_tuner.py`` (tuneloop's engine).
"""
