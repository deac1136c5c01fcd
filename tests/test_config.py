from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, write_params
from tuneloop.config import load_params
from tuneloop.errors import ConfigError


def test_bundled_params_load() -> None:
    params = load_params(REPO / "params.yaml")
    assert params.tune.n_workers >= 2
    assert params.validate_.min_rows > 0
    data = params.data
    assert (data.target, data.task, data.positive_class, data.classes) == ("late", "binary", 1,
                                                                           [0, 1])
    assert (data.time, data.id, data.prepare) == ("time_hour", "flight_id",
                                                  "hooks.flights:prepare")
    assert "dep_delay" in data.forbid and data.window is None
    assert (data.batches, data.incoming) == ("data/batches", "data/incoming")
    assert (params.split.valid_batches, params.split.holdout_batches) == (1, 1)
    # Metrics left null are the task's defaults.
    assert params.tune.metric is None and params.promote.metric is None
    assert (params.tuning_metric, params.gate_metric) == ("auc", "auc")


@pytest.mark.parametrize(("overrides", "tuning", "gate"), [
    ({"tune.metric": "logloss", "promote.metric": "brier"}, "logloss", "brier"),
    ({"data.task": "regression", "data.positive_class": None, "data.classes": None},
     "rmse", "rmse"),
    ({"data.task": "multiclass", "data.positive_class": None, "data.classes": [0, 1, 2],
      "promote.metric": "accuracy"}, "logloss", "accuracy"),
    # A regression tuned on mae is gated on mae (sweep 22: gated on rmse against its own mean,
    # a model tuned for the median was promoted, worse than the training mean) ...
    ({"data.task": "regression", "data.positive_class": None, "data.classes": None,
      "tune.metric": "mae"}, "mae", "mae"),
    ({"data.task": "regression", "data.positive_class": None, "data.classes": None,
      "tune.metric": "mae", "promote.metric": "rmse"}, "mae", "rmse"),
    # ... a classifier tuned on logloss (init's choice on a small validation batch) on auc.
    ({"tune.metric": "logloss"}, "logloss", "auc"),
])
def test_metrics_resolve_per_task(tmp_path: Path, overrides: dict, tuning: str,
                                  gate: str) -> None:
    params = load_params(write_params(tmp_path, overrides))
    assert (params.tuning_metric, params.gate_metric) == (tuning, gate)


@pytest.mark.parametrize(("override", "message"), [
    ({"tune.n_trials": 0},
     "params.yaml: tune.n_trials: Input should be greater than or equal to 1"),
    ({"tune.strategy": "bogus"}, "params.yaml: tune.strategy: Input should be"),
    ({"tune.search_space.learning_rate.low": 2.0},
     "params.yaml: tune.search_space.learning_rate: low (2.0) must be below high"),
    # A typo was tuned and did nothing (its "best value" reported in tune.json).
    ({"tune.search_space.max_depthh": {"type": "integer", "low": 2, "high": 5}},
     "params.yaml: tune: search_space.max_depthh: not a parameter of lightgbm (a typo?"),
    ({"tune.search_space.family": {"type": "categorical", "choices": ["lightgbm", "torch_mlp"]},
      "tune.search_space.hidden_unit": {"type": "integer", "low": 8, "high": 64,
                                        "when": {"family": ["torch_mlp"]}}},
     "params.yaml: tune: search_space.hidden_unit: not a parameter of torch_mlp"),
    ({"tune.search_space.num_leaves.low": 0},
     "params.yaml: tune.search_space.num_leaves: a log-uniform dimension needs low > 0"),
    ({"data.positive_class": None}, "params.yaml: data: a binary task needs positive_class"),
    ({"data.id": "late"}, "params.yaml: data: id must not be the target column"),
    # The positive class changed by hand, the classes left as they were (sweep 25).
    ({"data.classes": [1, 0]},
     "params.yaml: data: a binary task's classes are [negative, positive_class]: with "
     "positive_class 1, classes: [0, 1]; validate.positive_rate_min/max bound the positive "
     "class's rate, so set them for 1 too (or init again with --positive-class)"),
    ({"data.classes": [0, 2]},
     "params.yaml: data: a binary task's classes are [negative, positive_class]: "
     "positive_class 1 is not one of [0, 2]"),
    ({"data.exclude": ["dep_delay"]},
     "params.yaml: data: column(s) ['dep_delay'] are both excluded and forbidden"),
    ({"data.prepare": "hooks.flights"}, "params.yaml: data: prepare must be 'module:function'"),
    ({"data.window": 0}, "params.yaml: data.window: Input should be greater than or equal to 1"),
    ({"data.window": 2}, "params.yaml: data.window: 2 batch(es) cannot hold a training, "
                         "validation and holdout split: at least 3 (split.valid_batches + "
                         "split.holdout_batches + 1)"),
    ({"data.task": "regression", "data.classes": None},
     "params.yaml: data: positive_class applies to binary tasks, not regression"),
    ({"data.task": "regression", "data.positive_class": None},
     "params.yaml: data: a regression task has no classes"),
    ({"split.valid_batches": 0},
     "params.yaml: split.valid_batches: Input should be greater than or equal to 1"),
    ({"split.months": 2}, "params.yaml: split.months: Extra inputs are not permitted"),
    ({"tune.metric": "binary_logloss"},
     "params.yaml: tune.metric: 'binary_logloss' is not a binary tuning metric; one of auc, "
     "logloss"),
    ({"promote.metric": "rmse"}, "params.yaml: promote.metric: 'rmse' is not a binary metric"),
    ({"drift.confidence": 1.5}, "params.yaml: drift.confidence: Input should be less than 1"),
    ({"drift.p_value": 0.001}, "params.yaml: drift.p_value: Extra inputs are not permitted"),
    ({"policy.name": "sometimes"},
     "params.yaml: policy: unknown policy 'sometimes'; one of never, every, every:K (K >= 1), "
     "auto"),
    ({"policy.name": "every:0"}, "params.yaml: policy: unknown policy 'every:0'"),
    ({"tune.warm_share": 0}, "params.yaml: tune.warm_share: Input should be greater than 0"),
    ({"tune.refine.param": "num_leaves"},
     "params.yaml: tune: refine.param: 'num_leaves' is not a real dimension of search_space"),
    ({"tune.refine.factor": 1.0},
     "params.yaml: tune.refine.factor: Input should be greater than 1"),
    ({"promote.unknown_knob": 1},
     "params.yaml: promote.unknown_knob: Extra inputs are not permitted"),
    # MLflow refuses these names only when a first version is registered, after a study.
    ({"promote.model_name": "p:v2"},
     "params.yaml: promote.model_name: 'p:v2' cannot name a registered model (MLflow names "
     "are not blank and hold no '/' or ':')"),
    # Seeds: any integer from 0 to 2**64 - 1, and nothing else.
    ({"tune.seed": -1},
     "params.yaml: tune.seed: -1 is not a seed: seeds are integers from 0 to 2**64 - 1"),
    ({"tune.seed": 2**64}, f"params.yaml: tune.seed: {2**64} is not a seed"),
    ({"drift.seed": -7}, "params.yaml: drift.seed: -7 is not a seed"),
    ({"promote.bootstrap_seed": 2**64}, f"params.yaml: promote.bootstrap_seed: {2**64} is not"),
    ({"tune.seed": True}, "params.yaml: tune.seed: Input should be a valid integer"),
    ({"tune.seed": 4.0}, "params.yaml: tune.seed: Input should be a valid integer"),
    # Search-space bounds: finite, whole for integers, positive under a log prior.
    ({"tune.search_space.learning_rate.low": float("nan")},
     "params.yaml: tune.search_space.learning_rate: low (nan) must be a finite number"),
    ({"tune.search_space.lambda_l2.high": float("inf")},
     "params.yaml: tune.search_space.lambda_l2: high (inf) must be a finite number"),
    ({"tune.search_space.feature_fraction.low": float("-inf")},
     "params.yaml: tune.search_space.feature_fraction: low (-inf) must be a finite number"),
    ({"tune.search_space.num_leaves.high": 255.5},
     "params.yaml: tune.search_space.num_leaves: high (255.5) of an integer dimension must be "
     "a whole number"),
    ({"tune.search_space.min_child_samples.low": 0.5},
     "params.yaml: tune.search_space.min_child_samples: low (0.5) of an integer dimension"),
    ({"tune.search_space.min_child_samples.low": -3},
     "params.yaml: tune.search_space.min_child_samples: a log-uniform dimension needs low > 0"),
    ({"tune.search_space.feature_fraction.low": 1.0},
     "params.yaml: tune.search_space.feature_fraction: low (1.0) must be below high (1.0)"),
    # `when` conditions: a cycle of any length is named, keys in order.
    ({"tune.search_space": {"a": {"type": "categorical", "choices": ["x"], "when": {"a": ["x"]}}}},
     "params.yaml: tune: search_space.a.when: conditions must not form a cycle (a -> a)"),
    ({"tune.search_space": {
        "a": {"type": "categorical", "choices": ["x"], "when": {"b": ["x"]}},
        "b": {"type": "categorical", "choices": ["x"], "when": {"a": ["x"]}}}},
     "params.yaml: tune: search_space.a.when: conditions must not form a cycle (a -> b -> a)"),
    ({"tune.search_space": {
        "lr": {"type": "real", "low": 0.1, "high": 1.0, "when": {"a": ["x"]}},
        "a": {"type": "categorical", "choices": ["x", "y"], "when": {"c": ["x"]}},
        "b": {"type": "categorical", "choices": ["x", "y"], "when": {"a": ["x"]}},
        "c": {"type": "categorical", "choices": ["x", "y"], "when": {"b": ["y"]}}}},
     "params.yaml: tune: search_space.a.when: conditions must not form a cycle "
     "(a -> c -> b -> a)"),
    # A search dimension `objective`: LightGBM's objectives of the task only (sweep 22: a
    # regression objective on a multiclass task failed every trial after the whole study).
    ({"tune.search_space.objective": {"type": "categorical",
                                      "choices": ["regression_l1", "huber"]}},
     "params.yaml: tune.search_space.objective: ['regression_l1', 'huber'] not LightGBM "
     "objective(s) of a binary task; choose among"),
    # Model families: only the ones tuneloop runs.
    ({"tune.search_space.family": {"type": "categorical",
                                   "choices": ["lightgbm", "xgboost", "svm"]}},
     "params.yaml: tune: search_space.family: unknown model families ['xgboost', 'svm']; "
     "the known families are lightgbm, torch_mlp, linear"),
    ({"tune.search_space.family": {"type": "integer", "low": 1, "high": 3}},
     "params.yaml: tune: search_space.family: not categorical; the known families are "
     "lightgbm, torch_mlp, linear"),
    # An unquoted Yes is YAML's true (sweep 23: "a binary task's classes are [negative,
    # positive_class]" did not say what was wrong).
    ({"data.positive_class": True, "data.classes": ["No", "Yes"]},
     "params.yaml: data: positive_class was read as True (YAML reads an unquoted yes, no, on or "
     "off so), not one of the classes ['No', 'Yes']: quote it, e.g. positive_class: 'Yes'"),
    # The linear family's alpha without the family: LightGBM's Huber/quantile parameter, 20
    # identical trials (sweep 24); with it, a strength that is no strength; a `when` left
    # behind by a deleted family key.
    ({"tune.search_space.alpha": {"type": "real", "low": 0.001, "high": 1000.0,
                                  "prior": "log-uniform"}},
     "params.yaml: tune: search_space.alpha: for LightGBM this is the Huber or quantile "
     "objective's parameter, and does nothing here"),
    ({"tune.search_space": {"family": {"type": "categorical", "choices": ["linear"]},
                            "alpha": {"type": "real", "low": -1.0, "high": 10.0,
                                      "when": {"family": ["linear"]}}},
      "tune.refine.param": None},
     "params.yaml: tune: search_space.alpha: the linear family's L2 strength must be above 0 "
     "(its lowest value is -1.0)"),
    ({"tune.search_space": {"family": {"type": "categorical", "choices": ["linear"]},
                            "alpha": {"type": "categorical", "choices": [0.0, 1.0],
                                      "when": {"family": ["linear"]}}},
      "tune.refine.param": None},
     "params.yaml: tune: search_space.alpha: the linear family's L2 strength must be above 0 "
     "(its lowest value is 0.0)"),
    ({"tune.search_space": {"alpha": {"type": "real", "low": 0.1, "high": 10.0,
                                      "when": {"family": ["linear"]}}},
      "tune.refine.param": None},
     "params.yaml: tune: search_space.alpha.when.family: the space has no dimension 'family': "
     "add it, or drop this `when`"),
    # A share written as a percentage: 5 meant 5 % and turned the realized-metric trigger off
    # (a 500 % margin; sweep 23).
    ({"policy.performance_margin": 5}, "params.yaml: policy.performance_margin: Input should be "
                                       "less than or equal to 1"),
])
def test_bad_params_name_the_key(tmp_path: Path, override: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_params(write_params(tmp_path, override))
    assert str(err.value).startswith(str(tmp_path / message.split(": ", 1)[0]) + ": "
                                      + message.split(": ", 1)[1])
    assert "\n" not in str(err.value)


def test_the_ingest_section_is_gone(tmp_path: Path) -> None:
    """Batches arrive as files now: a params file still carrying the months section is
    refused with the key named, not silently ignored."""
    path = write_params(tmp_path, {})
    path.write_text(path.read_text() + "ingest:\n  last_month: 6\n")
    with pytest.raises(ConfigError) as err:
        load_params(path)
    assert str(err.value) == f"{path}: ingest: Extra inputs are not permitted"


def test_a_misspelt_key_is_named_as_written_with_the_key_it_may_mean(tmp_path: Path) -> None:
    """n_trial for n_trials said "tune.n_trials: Field required (and 1 more problem)", hiding
    the key the user wrote (sweep 21)."""
    path = write_params(tmp_path, {})
    path.write_text(path.read_text().replace("  n_trials:", "  n_trial:", 1))
    with pytest.raises(ConfigError) as err:
        load_params(path)
    # The missing n_trials is the same problem, said once (sweep 23: "(and 1 more problem)"
    # named nothing).
    assert str(err.value) == f"{path}: tune.n_trial: not a key (did you mean 'n_trials'?)"
    # Two problems: the other named by its key.
    path.write_text(path.read_text().replace("  confidence: 0.95", "  confidence: 95", 1))
    with pytest.raises(ConfigError) as err:
        load_params(path)
    assert str(err.value) == (f"{path}: tune.n_trial: not a key (did you mean 'n_trials'?) "
                              "(and 1 more problem: promote.confidence)")
    # A key with a default (not required) is found too.
    path = write_params(tmp_path, {})
    path.write_text(path.read_text().replace("  n_workers:", "  n_worker:", 1))
    with pytest.raises(ConfigError) as err:
        load_params(path)
    assert str(err.value).startswith(
        f"{path}: tune.n_worker: not a key (did you mean 'n_workers'?)")
    path.write_text(path.read_text().replace("  n_worker:", "  n_workers:", 1)
                    + "promote_x: 1\n")
    with pytest.raises(ConfigError) as err:
        load_params(path)
    assert str(err.value) == f"{path}: promote_x: not a key (did you mean 'promote'?)"


def test_a_key_written_twice_is_refused_naming_its_line(tmp_path: Path) -> None:
    """YAML's loader kept the second n_trials silently; DVC refuses the file, so a run
    stopped at `dvc add` saying only "exit code 1" (sweep 21)."""
    path = write_params(tmp_path, {})
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  n_trials:"))
    path.write_text("\n".join([*lines[:at + 1], "  n_trials: 4", *lines[at + 1:]]) + "\n")
    with pytest.raises(ConfigError) as err:
        load_params(path)
    assert str(err.value) == (f"{path}: line {at + 2}: key 'n_trials' written twice in one "
                              "section (remove one)")
    # YAML's merge keys still merge, and a key set again over a merged one overrides it.
    path.write_text("\n".join(lines) + "\nbase: &b {a: 1, b: 2}\nother: {<<: *b, b: 3}\n")
    with pytest.raises(ConfigError) as err:
        load_params(path)
    assert "base: Extra inputs are not permitted" in str(err.value)  # read, then refused
    from tuneloop.config import read_raw

    assert read_raw(path)["other"] == {"a": 1, "b": 3}
    path.write_text("\n".join(lines) + "\n? [1, 2]\n: x\n")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_params(path)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="params file not found"):
        load_params(tmp_path / "nope.yaml")
    bad = tmp_path / "params.yaml"
    bad.write_text("tune: [unclosed\n")
    with pytest.raises(ConfigError, match=r"params.yaml: line \d+ is not valid YAML"):
        load_params(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_params(bad)


@pytest.mark.parametrize(("key", "value"), [
    ("paths.model_dir", ".."),  # evaluate replaces model_dir: this would delete the project
    ("paths.splits_dir", "/tmp/splits"),
    ("paths.audit_log", "../shared/promotions.jsonl"),
    ("data.batches", "data/../../elsewhere"),
    ("data.incoming", "/var/incoming"),
    ("validate.suite", "../suite.yaml"),
    ("mlflow.artifact_root", "/srv/artifacts"),
    ("tune.warm_start", ["reports/old.jsonl", "../other/trials.jsonl"]),
])
def test_paths_from_params_stay_inside_the_project(tmp_path: Path, key: str,
                                                   value: object) -> None:
    path = write_params(tmp_path, {key: value})
    with pytest.raises(ConfigError) as refused:
        load_params(path)
    shown = key + (".1" if key == "tune.warm_start" else "")
    bad = value[1] if isinstance(value, list) else value
    assert str(refused.value) == (f"{path}: {shown}: {bad!r} leaves the project: paths are "
                                  "relative to the project root and stay inside it")


@pytest.mark.parametrize(("key", "value"), [
    ("paths.model_dir", "."), ("paths.model_dir", "./"), ("paths.plots_dir", ".git/plots"),
    ("paths.splits_dir", "./.dvc/splits"),
])
def test_paths_may_not_name_the_project_root_or_git_dvc(tmp_path: Path, key: str,
                                                        value: str) -> None:
    """`model_dir: .` would have the evaluate stage swap out the whole project."""
    path = write_params(tmp_path, {key: value})
    with pytest.raises(ConfigError) as refused:
        load_params(path)
    assert str(refused.value) == (f"{path}: {key}: {value!r} names the project root or its "
                                  "git/DVC folder: name a file or folder inside the project")


def test_strict_params_still_take_every_good_value(tmp_path: Path) -> None:
    """The edges of what is allowed load: the largest 64-bit seed, zero, whole-number bounds
    written as floats, a log-uniform integer range from 1, a family dimension of known names."""
    params = load_params(write_params(tmp_path, {
        "tune.seed": 2**64 - 1, "drift.seed": 0, "promote.bootstrap_seed": 20240101,
        "tune.search_space.num_leaves.low": 15.0,
        "tune.search_space.min_child_samples.low": 1,
        "tune.search_space.family": {"type": "categorical", "choices": ["lightgbm", "torch_mlp"]},
    }))
    assert (params.tune.seed, params.drift.seed, params.promote.bootstrap_seed) == (
        2**64 - 1, 0, 20240101)
    space = params.tune.search_space
    assert (space["num_leaves"].low, space["min_child_samples"].low) == (15, 1)


def test_the_known_torch_keys_are_the_mlps_own() -> None:
    from tuneloop.config import TORCH_KEYS
    from tuneloop.torch_mlp import DEFAULTS

    assert set(DEFAULTS) == TORCH_KEYS


@pytest.mark.parametrize("name", ["max_depth", "reg_lambda", "min_data_in_leaf",
                                  "max_cat_to_onehot"])
def test_lightgbm_names_and_aliases_may_be_tuned(name: str) -> None:
    from tuneloop.config import _knows

    assert _knows("lightgbm", name)


@pytest.mark.parametrize("name", ["seed", "random_state", "num_threads", "n_jobs", "metric"])
def test_what_tuneloop_sets_on_every_booster_is_not_tuned(name: str) -> None:
    """Tuned, it would be overwritten (booster_params sets it): "tuned and does nothing"."""
    from tuneloop.config import _knows

    assert not _knows("lightgbm", name)


def test_an_objective_may_be_tuned() -> None:
    """booster_params lets a tuned objective through (e.g. huber for a regression)."""
    from tuneloop.config import _knows

    assert _knows("lightgbm", "objective")

