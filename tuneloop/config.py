"""params.yaml loaded once into frozen, validated models.

Every error names the file and the dotted key, on one line, so a typo in params.yaml is found
before any work starts.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tuneloop.errors import ConfigError

PARAMS_FILE = "params.yaml"

# The model families a `family` search dimension may choose (tuneloop.families runs them); kept
# here so loading params checks the names without importing LightGBM or torch.
LIGHTGBM = "lightgbm"
TORCH_MLP = "torch_mlp"
LINEAR = "linear"
FAMILIES = (LIGHTGBM, TORCH_MLP, LINEAR)
SEED_LIMIT = 2**64  # seeds: any non-negative 64-bit integer (wrapped where a library wants less)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def inside_project(value: str) -> str:
    """A path from params.yaml: relative to the project root and staying inside it (a stage
    replaces or deletes what some of them name: `model_dir: ..` must never reach the disk)."""
    path = PurePosixPath(value)
    if not value.strip() or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"{value!r} leaves the project: paths are relative to the project "
                         "root and stay inside it")
    if not [p for p in path.parts if p != "."] or path.parts[0] in (".git", ".dvc"):
        # "." is the project itself, which a stage would swap out whole; .git/.dvc are theirs.
        raise ValueError(f"{value!r} names the project root or its git/DVC folder: name a "
                         "file or folder inside the project")
    return value


InsidePath = Annotated[str, AfterValidator(inside_project)]


def seed_in_range(value: int) -> int:
    if not 0 <= value < SEED_LIMIT:
        raise ValueError(f"{value} is not a seed: seeds are integers from 0 to 2**64 - 1")
    return value


# Strict: `seed: true` or `seed: 1.5` is a mistake, not a seed.
Seed = Annotated[int, Field(strict=True), AfterValidator(seed_in_range)]


class PathsConfig(_Frozen):
    dataset: InsidePath       # the training window of accepted batches (DVC-tracked)
    arrivals: InsidePath      # the batch ledger: every batch ingested, accepted or rejected
    validation_dir: InsidePath
    quarantine_dir: InsidePath
    data_versions: InsidePath
    splits_dir: InsidePath
    tune_report: InsidePath
    journal: InsidePath
    model_dir: InsidePath
    metrics: InsidePath
    promotion: InsidePath
    drift_report: InsidePath
    plots_dir: InsidePath
    evaluation: InsidePath = "reports/evaluation.json"
    calibration: InsidePath = "reports/calibration.json"
    audit_log: InsidePath = ".tuneloop/promotions.jsonl"
    decisions: InsidePath = ".tuneloop/decisions.jsonl"  # one decision per accepted batch
    studies_dir: InsidePath = "reports/studies"  # every finished study's journal, kept
    sli: InsidePath = "reports/sli.json"  # the latest study's indicators (kept per study too)
    pareto: InsidePath = "reports/pareto.json"  # with tune.objectives: the study's Pareto front
    runs: InsidePath = ".tuneloop/runs.jsonl"  # one record per loop run (`tuneloop history`)


Scalar = str | int | float | bool


def valid_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


class DataConfig(_Frozen):
    """The dataset spec: where batches come from and what their columns mean."""
    batches: InsidePath = "data/batches"  # accepted batches, one Parquet file each (DVC-tracked)
    incoming: InsidePath = "data/incoming"  # batch files dropped here are ingested by the next run
    target: str = Field(min_length=1)
    task: Literal["binary", "multiclass", "regression"]
    positive_class: Scalar | None = None   # binary only
    classes: list[Scalar] | None = None    # classification: every class, frozen at init
    time: str | None = None           # orders rows and batches
    id: str | None = None             # must be unique
    # The unit column init dealt whole into batches (`tuneloop init --group`: a patient's, a
    # site's): never a feature; a later batch holding units earlier batches hold is said at
    # ingest (as the holdout, it scores units the model trained on).
    group: str | None = None
    features: list[str] | None = None  # null: every column but target, id, exclude, forbid
    exclude: list[str] = []           # never features (kept in the data)
    # Columns of numbers that are codes, not amounts (an occupation 1-9, a region code): the
    # model reads them as categories, one level per code (`tuneloop init --categorical`).
    categorical: list[str] = []
    forbid: list[str] = []            # leakage: a batch carrying one is rejected
    # Columns `tuneloop init` named as possible leaks (alone, or two or three together, giving
    # the target away): while one is a feature, `status` and each run's closing lines say so;
    # exclude or forbid it, or remove it from here once checked honest.
    suspected_leaks: list[str] = []
    prepare: str | None = None        # "module:function", raw batch -> table (ingest, serving)
    window: int | None = Field(default=None, ge=1)  # train on the last N accepted batches
    # Date columns written as text in one format other than ISO 8601: column -> strftime
    # format ("%m/%d/%Y"), inferred by `tuneloop init`; CSV batches and served rows are read so.
    date_formats: dict[str, str] = {}
    # Date columns whose hour, day and month are read in a time zone (column -> IANA name,
    # "America/New_York"), inferred by `tuneloop init` from a tz-aware column; else in UTC.
    time_zones: dict[str, str] = {}
    # Values that stand for "not known" in a column of numbers (a UCI file's "?", a
    # spreadsheet's "-"): column -> values, inferred by `tuneloop init`; read as missing in CSV
    # and Parquet batches, where any other text in that column is still an error.
    missing_values: dict[str, list[str]] = {}
    # The decimal mark of the project's numbers written as text ("," for 12,96), inferred by
    # `tuneloop init`: later batches not separated by commas are read with it (not sniffed
    # again), and served rows' numeric columns sent as text are read alike ("," 12,96 and
    # 1.290.941,5; "." 12.96 and thousands separators, 1,234.5). null (a project from before):
    # batches sniff it; served text as pandas reads it, where 12,96 and 1,234 are missing.
    decimal: Literal[".", ","] | None = None
    # Columns of clock times (14:30, 2:30 PM), read as minutes after midnight, inferred by
    # `tuneloop init`: later batches and served rows read clock text so in these columns only
    # (an hour column later sent as 8:00 is an error there, not 480 minutes).
    clock_times: list[str] = []

    @model_validator(mode="after")
    def _roles(self) -> DataConfig:
        for role in ("id", "time", "group"):
            if getattr(self, role) == self.target:
                raise ValueError(f"{role} must not be the target column")
        if self.group is not None and self.group in (self.id, self.time, *self.forbid):
            raise ValueError(f"group {self.group!r} is the id, the time column or forbidden: "
                             "the units init deals whole are another column")
        for col in self.categorical:
            if col in (self.target, self.id, self.time):
                raise ValueError(f"categorical: {col!r} is the target, the id or the time "
                                 "column, not a feature")
        for key in ("exclude", "forbid", "features"):
            if self.target in (getattr(self, key) or []):
                raise ValueError(f"{key} must not name the target column {self.target!r}")
        both = sorted(set(self.exclude) & set(self.forbid))
        if both:
            raise ValueError(f"column(s) {both} are both excluded and forbidden")
        if self.task == "binary":
            if self.positive_class is None:
                raise ValueError("a binary task needs positive_class")
            if self.classes is not None and (
                    len(self.classes) != 2 or str(self.positive_class) != str(self.classes[1])):
                if isinstance(self.positive_class, bool) and not any(
                        isinstance(c, bool) for c in self.classes):
                    # YAML reads an unquoted Yes, No, on or off as a boolean (sweep 23: a user
                    # retyping init's 'Yes' dropped the quotes).
                    raise ValueError(f"positive_class was read as {self.positive_class} (YAML "
                                     "reads an unquoted yes, no, on or off so), not one of the "
                                     f"classes {list(self.classes)}: quote it, e.g. "
                                     f"positive_class: '{self.classes[1]}'")
                if len(self.classes) == 2 and str(self.positive_class) == str(self.classes[0]):
                    # Changed by hand (sweep 25): say the whole edit, the rate bounds too.
                    raise ValueError(
                        f"a binary task's classes are [negative, positive_class]: with "
                        f"positive_class {self.positive_class!r}, classes: "
                        f"[{self.classes[1]!r}, {self.classes[0]!r}]; validate."
                        "positive_rate_min/max bound the positive class's rate, so set them "
                        f"for {self.positive_class!r} too (or init again with --positive-class)")
                raise ValueError(f"a binary task's classes are [negative, positive_class]: "
                                 f"positive_class {self.positive_class!r} is not one of "
                                 f"{list(self.classes)}")
        elif self.positive_class is not None:
            raise ValueError(f"positive_class applies to binary tasks, not {self.task}")
        if self.task == "regression" and self.classes is not None:
            raise ValueError("a regression task has no classes")
        if self.prepare is not None and ":" not in self.prepare:
            raise ValueError("prepare must be 'module:function'")
        for column, zone in self.time_zones.items():
            if not valid_zone(zone):
                raise ValueError(f"time_zones: {column}: {zone!r} is not a time zone name "
                                 "(e.g. America/New_York)")
        for column, fmt in self.date_formats.items():
            # A bad directive raised from deep in pandas at the first batch read: a traceback
            # of 154 lines (sweep 27).
            if not valid_date_format(fmt):
                raise ValueError(f"date_formats: {column}: {fmt!r} is not a date format that "
                                 "reads its own dates (e.g. %m/%d/%Y, or ISO8601)")
        return self


def valid_date_format(fmt: str) -> bool:
    """Whether pandas reads a date written in `fmt` back with it."""
    import warnings
    from datetime import UTC, datetime

    import pandas as pd

    if fmt in ("ISO8601", "mixed"):  # pandas' own words, no strftime directives
        return True
    try:
        written = datetime(2024, 5, 31, 13, 45, 10, 250000, tzinfo=UTC).strftime(fmt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read = pd.to_datetime(pd.Series([written]), format=fmt, errors="coerce")
    except (ValueError, TypeError):
        return False
    return bool(read.notna().all())


class ValidateConfig(_Frozen):
    suite: InsidePath
    min_rows: int = Field(ge=1)
    max_rows: int = Field(ge=1)
    positive_rate_min: float = Field(default=0.0, ge=0.0, le=1.0)  # binary targets only
    positive_rate_max: float = Field(default=1.0, ge=0.0, le=1.0)
    # Multiclass: a class every accepted batch held, absent from a batch where at its lowest
    # share this many rows were expected: rejected (a partial export); null: never.
    absent_class_rows: float | None = Field(default=20.0, gt=0.0)

    @model_validator(mode="after")
    def _bounds_ordered(self) -> ValidateConfig:
        if self.max_rows < self.min_rows:
            raise ValueError("max_rows must not be below min_rows")
        if self.positive_rate_max < self.positive_rate_min:
            raise ValueError("positive_rate_max must not be below positive_rate_min")
        return self


class SplitConfig(_Frozen):
    valid_batches: int = Field(default=1, ge=1)    # batches before the holdout, scored by tuning
    holdout_batches: int = Field(default=1, ge=1)  # the newest batches; tuning never sees them


class DimensionConfig(_Frozen):
    type: Literal["real", "integer", "categorical"]
    low: float | None = None
    high: float | None = None
    prior: Literal["uniform", "log-uniform"] = "uniform"
    choices: list[str | int | float | bool] | None = None
    # Conditional: active only when each named parent has one of the listed values.
    when: dict[str, list[str | int | float | bool]] | None = None

    @model_validator(mode="after")
    def _bounds(self) -> DimensionConfig:
        if self.type == "categorical":
            if not self.choices:
                raise ValueError("a categorical dimension needs a non-empty 'choices' list")
            return self
        if self.low is None or self.high is None:
            raise ValueError(f"a {self.type} dimension needs 'low' and 'high'")
        for key, bound in (("low", self.low), ("high", self.high)):
            if not math.isfinite(bound):
                raise ValueError(f"{key} ({bound}) must be a finite number")
            if self.type == "integer" and not bound.is_integer():
                raise ValueError(f"{key} ({bound}) of an integer dimension must be a whole number")
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.prior == "log-uniform" and self.low <= 0:
            raise ValueError("a log-uniform dimension needs low > 0")
        return self


class PrunerConfig(_Frozen):
    kind: Literal["none", "asha"] = "none"
    min_resource: int = Field(default=25, ge=1)  # boosting rounds at the first rung
    min_epochs: int = Field(default=2, ge=1)  # torch epochs at the first rung
    reduction_factor: int = Field(default=3, ge=2)  # keep the top 1/reduction_factor at each rung
    min_trials_per_rung: int = Field(default=3, ge=1)  # prune only against this many peers


class BudgetConfig(_Frozen):
    wall_clock_s: float | None = Field(default=None, gt=0)  # stop starting trials after this
    compute_s: float | None = Field(default=None, gt=0)  # core-seconds spent in trials
    cost: float | None = Field(default=None, gt=0)  # money spent in trials, at cost.* rates
    # Stop once this many trials in a row completed within flat_tolerance (relative) of the
    # best: a table where every configuration scores the same (null: never).
    flat_trials: int | None = Field(default=None, ge=2)
    flat_tolerance: float = Field(default=0.0002, ge=0.0, lt=1.0)


# What each limit of `constraints:` bounds: a measure a trial and the evaluated model report.
MEASURES = {"max_model_bytes": "size_bytes", "max_latency_ms_per_1k": "latency_ms_per_1k",
            "max_train_core_s": "train_core_s", "max_group_gap": "group_gap"}


class ConstraintsConfig(_Frozen):
    """Limits a model must meet, defined once: the tune stage measures every trial against
    them, steers its search toward configurations that meet them and selects only such a trial;
    evaluation takes the next one when the refitted model breaks a limit; the promotion gate
    refuses a model that breaks one (max_train_core_s bounds trials only). null: no limit."""
    max_model_bytes: int | None = Field(default=50_000_000, gt=0)  # the saved model's bytes
    max_latency_ms_per_1k: float | None = Field(default=500.0, gt=0.0)  # CPU ms, 1,000 rows
    # A trial's compute (seconds x cores): tuning only, the refit's is not a trial's.
    max_train_core_s: float | None = Field(default=None, gt=0.0)
    # The largest difference of the tuning metric between the groups of `group_column` (e.g.
    # a sensitive attribute, which need not be a feature), on validation rows for a trial and
    # on the holdout for the evaluated model; groups under evaluate.min_slice_rows are left out.
    max_group_gap: float | None = Field(default=None, gt=0.0)
    group_column: str | None = None

    @model_validator(mode="after")
    def _a_gap_needs_its_column(self) -> ConstraintsConfig:
        if self.max_group_gap is not None and self.group_column is None:
            raise ValueError("constraints.max_group_gap: set constraints.group_column, the "
                             "column whose groups it compares")
        return self

    def limits(self) -> dict[str, float]:
        """measure -> limit, for the limits that are set."""
        return {MEASURES[key]: float(getattr(self, key)) for key in MEASURES
                if getattr(self, key) is not None}

    def model_limits(self) -> dict[str, float]:
        """The limits a model is held to once trained (evaluation, the gate): all but the
        trials' training compute."""
        return {k: v for k, v in self.limits().items() if k != "train_core_s"}


class CostConfig(_Frozen):
    """What compute costs: a trial costs seconds x (cores x per_core_hour + GPUs x
    per_gpu_hour) / 3600, in `currency`."""
    per_core_hour: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    per_gpu_hour: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    currency: str = Field(default="USD", min_length=1)

    def of(self, seconds: float, cores: float, gpus: float = 0.0) -> float:
        return seconds * (cores * self.per_core_hour + gpus * self.per_gpu_hour) / 3600.0


class TorchConfig(_Frozen):
    max_epochs: int = Field(default=30, ge=1)
    patience: int = Field(default=4, ge=1)  # epochs without a better validation loss
    batch_size: int = Field(default=512, ge=8)


class RefineConfig(_Frozen):
    """Re-run the best configurations with a smaller learning rate (tuneloop.search.refine)."""
    param: str | None = None  # the shrinkage dimension, e.g. learning_rate; null: no refinement
    factor: float = Field(default=3.0, gt=1.0)  # refined value = value / factor
    start_share: float = Field(default=0.15, ge=0.0, lt=1.0)  # budget explored before refining
    top_k: int = Field(default=1, ge=1)  # refine only the best k completed exploration trials


class FamilyResources(_Frozen):
    """What one trial of a model family takes."""
    # Threads per trial; null: the cores of the machine the trial runs on divided by the trials
    # it runs at once (the driver's n_workers locally, a Dask worker's own nthreads there).
    threads: int | None = Field(default=None, ge=1)
    # Dask resources a trial asks for (workers started with `--resources GPU=1` offer them):
    # Dask places the trial only on a worker that has them.
    dask: dict[str, float] = {}

    @field_validator("dask")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if not (math.isfinite(v) and v > 0)]
        if bad:
            raise ValueError(f"resource amounts must be positive numbers: {', '.join(bad)}")
        return value


class DaskTlsConfig(_Frozen):
    """A `tls://` Dask cluster: the CA that signed the scheduler's and workers' certificates,
    and this client's own certificate and key (distributed.Security)."""
    ca_file: InsidePath
    cert_file: InsidePath
    key_file: InsidePath


class TuneConfig(_Frozen):
    n_trials: int = Field(ge=1)
    n_workers: int = Field(ge=1)
    n_initial_points: int = Field(ge=1)
    strategy: Literal["gp", "rf", "et", "random"] = "gp"
    seed: Seed = 42
    max_boost_rounds: int = Field(ge=1)
    early_stopping_rounds: int = Field(ge=1)
    metric: str | None = None  # what tuning optimises on validation; null: the task's default
    max_retries: int = Field(default=1, ge=0)  # a failed trial runs again this many times
    trial_time_limit_s: float | None = Field(default=None, gt=0)
    pruner: PrunerConfig = PrunerConfig()
    budget: BudgetConfig = BudgetConfig()
    torch: TorchConfig = TorchConfig()
    refine: RefineConfig = RefineConfig()
    warm_start: list[InsidePath] = []  # journals of earlier studies (paths relative to the root)
    # A warm re-tune: this share of n_trials (and of the wall / compute budgets), starting from
    # the champion's configuration and the previous study's best `warm_seeds` configurations,
    # each re-scored on the new validation window.
    warm_share: float = Field(default=0.34, gt=0.0, le=1.0)
    warm_seeds: int = Field(default=3, ge=0)
    # A cold study's first trial is the family's default configuration (as near as the space
    # allows; tuneloop.search.baseline): its indicators then say what tuning gained over it.
    baseline: bool = True
    # After the study its selected trial runs again this many times with its own seed: the
    # spread is the reproducibility indicator (tuneloop.search.reproduce); 0 turns it off.
    reproducibility_reruns: int = Field(default=1, ge=0)
    # Measures minimised alongside the metric (size_bytes, latency_ms_per_1k, train_core_s,
    # group_gap): the study keeps their Pareto front (paths.pareto); the model handed to the
    # gate is the front's best by the metric among those meeting every limit.
    objectives: tuple[Literal["size_bytes", "latency_ms_per_1k", "train_core_s",
                              "group_gap"], ...] = ()
    dask_address: str | None = None  # e.g. tcp://10.0.0.5:8786: trials fan out to that cluster
    dask_tls: DaskTlsConfig | None = None  # needed (and only allowed) for a tls:// address
    # Per family: threads per trial and the Dask resources it asks for (a torch trial asks for
    # a GPU by default, so it runs only where one is).
    resources: dict[str, FamilyResources] = {TORCH_MLP: FamilyResources(dask={"GPU": 1})}
    search_space: dict[str, DimensionConfig]

    @field_validator("resources")
    @classmethod
    def _known_families(cls, value: dict[str, FamilyResources]) -> dict[str, FamilyResources]:
        unknown = [k for k in value if k not in FAMILIES]
        if unknown:
            raise ValueError(f"unknown families {', '.join(unknown)}; known: "
                             f"{', '.join(FAMILIES)}")
        return value

    @model_validator(mode="after")
    def _tls_matches_address(self) -> TuneConfig:
        tls = (self.dask_address or "").startswith("tls://")
        if tls and self.dask_tls is None:
            raise ValueError("dask_address is tls://: set tune.dask_tls (ca_file, cert_file, "
                             "key_file)")
        if self.dask_tls is not None and not tls:
            raise ValueError("dask_tls is set but dask_address is not a tls:// address")
        return self

    def family_resources(self, family: str) -> FamilyResources:
        return self.resources.get(family, FamilyResources())

    def _quantile_or_huber(self) -> bool:
        """Whether a search-space `objective` can be one whose parameter LightGBM calls alpha."""
        objective = self.search_space.get("objective")
        return objective is not None and any(
            str(c) in ("huber", "quantile") for c in objective.choices or [])

    @model_validator(mode="after")
    def _space_not_empty(self) -> TuneConfig:
        if not self.search_space:
            raise ValueError("search_space must declare at least one dimension")
        for name, dim in self.search_space.items():
            for parent, values in (dim.when or {}).items():
                where = f"search_space.{name}.when.{parent}"
                pdim = self.search_space.get(parent)
                if pdim is None:
                    # A family key deleted for a one-family space left its `when`s behind.
                    raise ValueError(f"{where}: the space has no dimension {parent!r}: add it, "
                                     "or drop this `when`")
                if pdim.type != "categorical":
                    raise ValueError(f"{where}: parent must be a categorical dimension")
                bad = [v for v in values if v not in (pdim.choices or [])]
                if not values or bad:
                    raise ValueError(f"{where}: values {bad or values} are not choices of {parent}")
        cycle = _condition_cycle(self.search_space)
        if cycle:
            raise ValueError(f"search_space.{cycle[0]}.when: conditions must not form a cycle "
                             f"({' -> '.join(cycle)})")
        family = self.search_space.get("family")
        if family is not None:
            unknown = [c for c in family.choices or [] if c not in FAMILIES]
            if family.type != "categorical" or unknown:
                what = f"unknown model families {unknown}" if unknown else "not categorical"
                raise ValueError(f"search_space.family: {what}; the known families are "
                                 f"{', '.join(FAMILIES)}")
        in_space = [str(c) for c in family.choices or []] if family is not None else [LIGHTGBM]
        for name, dim in self.search_space.items():
            if name == "family":
                continue
            owners = [str(f) for f in (dim.when or {}).get("family", in_space)]
            if not any(_knows(owner, name) for owner in owners):
                raise ValueError(f"search_space.{name}: not a parameter of "
                                 f"{' or '.join(owners)} (a typo? it would be tuned and do "
                                 "nothing)")
            if name == "alpha" and LINEAR not in owners and not self._quantile_or_huber():
                # The linear family's one parameter, written without its family, went to
                # LightGBM, where it is the Huber/quantile parameter: 20 identical trials
                # (sweep 24).
                raise ValueError("search_space.alpha: for LightGBM this is the Huber or quantile "
                                 "objective's parameter, and does nothing here; the linear "
                                 "family's L2 strength needs family: {type: categorical, "
                                 "choices: [linear]} (and when: {family: [linear]})")
            lowest = min((float(c) for c in dim.choices or [] if isinstance(c, int | float)),
                         default=None) if dim.type == "categorical" else dim.low
            if name == "alpha" and LINEAR in owners and (lowest is None or lowest <= 0):
                raise ValueError("search_space.alpha: the linear family's L2 strength must be "
                                 f"above 0 (its lowest value is {lowest})")
        shrink = self.refine.param
        if shrink is not None and getattr(self.search_space.get(shrink), "type", None) != "real":
            raise ValueError(f"refine.param: {shrink!r} is not a real dimension of search_space "
                             "(set refine.param to null to turn refinement off)")
        return self


# The torch MLP's parameters (tuneloop.torch_mlp.DEFAULTS; a test keeps the two alike).
TORCH_KEYS = frozenset({"hidden_units", "n_layers", "dropout", "lr", "weight_decay",
                        "cat_encoding", "embedding_dim"})
# The linear family's parameters (tuneloop.linear.DEFAULTS; a test keeps the two alike).
LINEAR_KEYS = frozenset({"alpha"})
_COMMON_LGBM = frozenset({"learning_rate", "num_leaves", "min_child_samples", "max_depth",
                          "feature_fraction", "bagging_fraction", "bagging_freq", "lambda_l1",
                          "lambda_l2", "min_split_gain", "min_data_per_group", "cat_smooth",
                          "cat_l2", "max_bin", "min_sum_hessian_in_leaf", "extra_trees"})


# What tuneloop sets on every booster after the tuned values (a tuned one is overwritten).
_SET_BY_TUNELOOP = frozenset({"metric", "seed", "num_threads"})


def _knows(family: str, name: str) -> bool:
    """Whether `name` is a parameter of the model family that tuning can move (LightGBM: any
    name or alias it accepts, asked of LightGBM itself only for names beyond the usual ones,
    but none that tuneloop sets on every booster)."""
    if family == TORCH_MLP:
        return name in TORCH_KEYS
    if family == LINEAR:
        return name in LINEAR_KEYS
    if name in _COMMON_LGBM:
        return True
    try:
        from lightgbm.basic import _ConfigAliases

        aliases = _ConfigAliases._get_all_param_aliases()
    except Exception:  # noqa: BLE001 - a LightGBM without the list: nothing to check against
        return name not in _SET_BY_TUNELOOP
    canonical = next((k for k, v in aliases.items() if name == k or name in v), None)
    return canonical is not None and canonical not in _SET_BY_TUNELOOP


def _condition_cycle(space: dict[str, DimensionConfig]) -> list[str]:
    """A chain of `when` parents leading back to where it started (a -> b -> a), or []."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str]:
        if name in path:
            return [*path[path.index(name):], name]
        if name in done or name not in space:
            return []
        for parent in space[name].when or {}:
            found = visit(parent, [*path, name])
            if found:
                return found
        done.add(name)
        return []

    for name in space:
        found = visit(name, [])
        if found:
            return found
    return []


class EvaluateConfig(_Frozen):
    refit_on_valid: bool = True
    # The model saved (and served) is refit on the holdout too, once scored: the gate judged the
    # configuration on rows it never saw; what serves the next batch has seen the newest one.
    refit_on_holdout: bool = False
    calibration_bins: int = Field(default=10, ge=2, le=100)
    slices: tuple[str, ...] = ()
    min_slice_rows: int = Field(default=30, ge=1)
    latency_repeats: int = Field(default=5, ge=1)
    # A cold study's defaults are refit and scored on the holdout beside its choice where
    # validation holds fewer rows than this (0: never): an extra fit, reported only.
    defaults_check_rows: int = Field(default=20_000, ge=0)


MODEL_NAME_FORBIDS = ("/", ":")  # MLflow's rule for registered model names


class PromoteConfig(_Frozen):
    @model_validator(mode="before")
    @classmethod
    def _limits_moved(cls, raw: Any) -> Any:
        moved = [k for k in ("max_latency_ms_per_1k", "max_model_bytes")
                 if isinstance(raw, dict) and k in raw]
        if moved:
            raise ValueError(f"promote.{moved[0]}: moved to constraints.{moved[0]} (the tune "
                             "stage and the gate share the limits)")
        return raw

    model_name: str = Field(min_length=1)

    @field_validator("model_name")
    @classmethod
    def _registrable(cls, value: str) -> str:
        # MLflow refuses these only when the first version is registered, after a whole study.
        if not value.strip() or any(c in value for c in MODEL_NAME_FORBIDS):
            raise ValueError(f"{value!r} cannot name a registered model (MLflow names are not "
                             f"blank and hold no {' or '.join(map(repr, MODEL_NAME_FORBIDS))})")
        return value

    # The holdout metric the gate compares; null: the task's default, or for a regression
    # tune.metric when set (Params.gate_metric).
    metric: str | None = None
    min_improvement: float = Field(ge=0.0)
    # A refit of the champion's own configuration on newer data is promoted unless its CI
    # shows it worse by more than this (non-inferiority; a new configuration must be better).
    refit_tolerance: float = Field(default=0.002, ge=0.0, le=1.0)  # a share for losses
    refit_min_lift_kept: float = Field(default=0.5, ge=0.0, le=1.0)  # of the champion's lift
    bootstrap_samples: int = Field(default=1000, ge=100)
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    bootstrap_seed: Seed = 42
    lock_timeout_s: float = Field(default=120.0, gt=0.0)


class DriftConfig(_Frozen):
    """The per-batch statistics (tuneloop/monitor.py)."""
    # The batches a new one is compared with: the newest N the champion was trained on (null:
    # all of them), so drift means "unlike what the model learnt from".
    reference_batches: int | None = Field(default=None, ge=2)
    threshold_factor: float = Field(default=1.0, ge=1.0)  # x the largest batch-to-batch effect
    min_effect: float = Field(default=0.05, ge=0.0, le=1.0)  # effects below this never alarm
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)  # level of every CI
    bootstrap_samples: int = Field(default=200, ge=50)
    sample_rows: int = Field(default=20_000, ge=500)  # rows per side the statistics look at
    domain_rows: int = Field(default=5_000, ge=200)  # rows per side the domain classifier fits
    label_delay: int = Field(default=0, ge=0)  # batches until a batch's labels are known
    seed: Seed = 0


class PolicyConfig(_Frozen):
    """When a batch triggers a retrain (tuneloop/policy.py)."""
    name: str = "auto"  # auto | never | every | every:K
    performance_margin: float = Field(default=0.005, ge=0.0, le=1.0)  # a share: 0.05 is 5%
    drift_importance: float = Field(default=0.05, ge=0.0, le=1.0)  # share of importance drifted
    retune_drift_importance: float = Field(default=0.5, ge=0.0, le=1.0)  # ... re-tunes at once
    retune_drop: float = Field(default=0.25, ge=0.0)  # a realized drop this share of the figure
    constant_margin: float = Field(default=0.25, ge=0.0)  # regression: error over the batch mean's
    max_age_batches: int | None = Field(default=None, ge=1)  # retrain an older champion
    cooldown_batches: int = Field(default=0, ge=0)  # batches after a retrain with none
    compute_cap_s: float | None = Field(default=None, gt=0)  # core-seconds per period
    period_batches: int = Field(default=12, ge=1)
    cold_after_rejected: int = Field(default=2, ge=1)  # rejected retrains before a cold one

    @model_validator(mode="after")
    def _known_name(self) -> PolicyConfig:
        from tuneloop.policy import parse_policy

        parse_policy(self.name)
        return self


class ScheduleConfig(_Frozen):
    drift_cron: str = Field(min_length=9)
    drift_event: str = Field(min_length=1)


class AlertsConfig(_Frozen):
    """When a loop run tells a person. The webhook's URL (often carrying a token) is read from
    the environment variable named here, never from params.yaml, and never logged."""
    webhook_env: str | None = None  # e.g. TUNELOOP_ALERT_WEBHOOK; unset or empty: no alerts
    # Or a Prefect Secret block holding the URL (read from the Prefect API the flow runs
    # against) when the variable is not set.
    webhook_secret_block: str | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    min_success_rate: float = Field(default=0.95, ge=0, le=1)  # of a study's trials
    max_burn: float = Field(default=1.5, gt=0)  # budget share used / trial share done
    max_rejections: int = Field(default=3, ge=1)  # candidates rejected by the gate in a row
    realized_floor: float | None = None  # the champion's realized metric on a batch


class LoopConfig(_Frozen):
    # A second run on the project waits this long for the running one, then is refused.
    lock_wait_s: float = Field(default=0.0, ge=0.0)


class MlflowConfig(_Frozen):
    tracking_uri: str
    artifact_root: InsidePath
    experiment: str = Field(min_length=1)
    # Tries of an MLflow call that found the SQLite store locked (each waits MLflow's 20 s
    # busy timeout); then the step stops with one line naming the store.
    store_retries: int = Field(8, ge=1, le=100)


class Params(_Frozen):
    paths: PathsConfig
    data: DataConfig
    validate_: ValidateConfig = Field(alias="validate")
    split: SplitConfig
    tune: TuneConfig
    evaluate: EvaluateConfig
    promote: PromoteConfig
    drift: DriftConfig = DriftConfig()
    policy: PolicyConfig = PolicyConfig()
    schedule: ScheduleConfig
    mlflow: MlflowConfig
    loop: LoopConfig = LoopConfig()
    cost: CostConfig = CostConfig()
    alerts: AlertsConfig = AlertsConfig()
    constraints: ConstraintsConfig = ConstraintsConfig()

    @model_validator(mode="after")
    def _a_cost_cap_has_a_price(self) -> Params:
        if self.tune.budget.cost is not None and not (self.cost.per_core_hour
                                                      or self.cost.per_gpu_hour):
            raise ValueError("tune.budget.cost: a cost cap needs a price: set "
                             "cost.per_core_hour and/or cost.per_gpu_hour")
        return self

    @model_validator(mode="after")
    def _a_gap_objective_has_its_column(self) -> Params:
        if "group_gap" in self.tune.objectives and self.constraints.group_column is None:
            raise ValueError("tune.objectives: group_gap needs constraints.group_column")
        return self

    @model_validator(mode="after")
    def _the_window_holds_a_split(self) -> Params:
        # Found only after the batch decisions were recorded, as an error naming the dataset.
        needed = self.split.valid_batches + self.split.holdout_batches + 1
        if self.data.window is not None and self.data.window < needed:
            raise ValueError(f"data.window: {self.data.window} batch(es) cannot hold a training, "
                             f"validation and holdout split: at least {needed} "
                             "(split.valid_batches + split.holdout_batches + 1)")
        return self

    @model_validator(mode="after")
    def _metrics_fit_the_task(self) -> Params:
        from tuneloop.metrics import TASK_METRICS, tuning_metrics

        task = self.data.task
        if self.tune.metric is not None and self.tune.metric not in tuning_metrics(task):
            raise ValueError(f"tune.metric: {self.tune.metric!r} is not a {task} tuning metric; "
                             f"one of {', '.join(tuning_metrics(task))}")
        if self.promote.metric is not None and self.promote.metric not in TASK_METRICS[task]:
            raise ValueError(f"promote.metric: {self.promote.metric!r} is not a {task} metric; "
                             f"one of {', '.join(TASK_METRICS[task])}")
        return self

    @model_validator(mode="after")
    def _objectives_fit_the_task(self) -> Params:
        # A search dimension named `objective` overrides LightGBM's: one of another task's
        # failed every trial ("Number of classes must be 1 for non-multiclass training") after
        # the whole study ran (sweep 22).
        dim = self.tune.search_space.get("objective")
        if dim is None:
            return self
        task = self.data.task
        allowed = LIGHTGBM_OBJECTIVES[task]
        wrong = [c for c in (dim.choices or []) if c not in allowed]
        if dim.type != "categorical" or wrong:
            raise ValueError(f"tune.search_space.objective: {wrong or dim.type!r} not LightGBM "
                             f"objective(s) of a {task} task; choose among "
                             f"{', '.join(sorted(allowed))}")
        return self

    @property
    def tuning_metric(self) -> str:
        from tuneloop.metrics import DEFAULT_METRIC

        return self.tune.metric or DEFAULT_METRIC[self.data.task]

    @property
    def gate_metric(self) -> str:
        """promote.metric, else the task's default; for a regression tuned on a metric of its
        own (mae), that metric: tuned on absolute error, a model aims at the median, and
        gated on rmse against its own mean, one worse than the training mean was promoted
        (sweep 22). A classifier tuned on logloss (init's choice for a small validation
        batch) is still gated on the task's default."""
        from tuneloop.metrics import DEFAULT_METRIC

        if self.promote.metric:
            return self.promote.metric
        if self.data.task == "regression" and self.tune.metric:
            return self.tune.metric
        return DEFAULT_METRIC[self.data.task]


# LightGBM's objectives (and their aliases) by task, for a search dimension named objective.
LIGHTGBM_OBJECTIVES = {
    "regression": {"regression", "regression_l2", "l2", "mean_squared_error", "mse",
                   "regression_l1", "l1", "mean_absolute_error", "mae", "huber", "fair",
                   "poisson", "quantile", "mape", "mean_absolute_percentage_error", "gamma",
                   "tweedie", "rmse", "root_mean_squared_error", "l2_root"},
    "binary": {"binary", "cross_entropy", "xentropy", "cross_entropy_lambda", "xentlambda"},
    "multiclass": {"multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr"},
}


def _one_line(source: str, err: ValidationError) -> str:
    errors = err.errors()
    # A key spelt wrong is two problems: the key written ("extra") and the one it was meant to
    # be ("required"). The written one comes first, with the meant one: "tune.n_trials: Field
    # required (and 1 more problem)" hid the n_trial the user wrote (sweep 21).
    extras = [e for e in errors if e["type"] == "extra_forbidden"]
    first = extras[0] if extras else errors[0]
    key = _key(first)
    others = [e for e in errors if e is not first]
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        parent, written = first["loc"][:-1], str(first["loc"][-1])
        required = [str(e["loc"][-1]) for e in errors
                    if e["type"] == "missing" and e["loc"][:-1] == parent]
        meant = (difflib.get_close_matches(written, required, n=1)
                 or difflib.get_close_matches(written, _keys_at(parent), n=1))
        if meant:
            msg = f"not a key (did you mean {meant[0]!r}?)"
            # The key it meant, missing, is the same problem: said already.
            others = [e for e in others if not (e["type"] == "missing" and e["loc"][:-1] ==
                                                parent and str(e["loc"][-1]) == meant[0])]
    # The other problems named by key, so a second run does not meet them one by one ("(and
    # 1 more problem)" named none: sweep 23).
    named = ", ".join(_key(e) or "the file" for e in others[:3])
    suffix = (f" (and {len(others)} more problem{'s' if len(others) > 1 else ''}: {named}"
              f"{', ...' if len(others) > 3 else ''})") if others else ""
    return f"{source}: {key + ': ' if key else ''}{msg}{suffix}"


def _key(error: Any) -> str:
    return ".".join(str(p) for p in error["loc"]).replace("validate_", "validate")


def _keys_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys params.yaml may hold at `loc` (a section's path), as written; [] where the
    path does not lead to a section (a mapping of names, such as the search space)."""
    model: Any = Params
    for part in loc:
        field = next((f for name, f in model.model_fields.items()
                      if part in (name, f.alias)), None)
        model = field.annotation if field is not None else None
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
    return [f.alias or name for name, f in model.model_fields.items()]


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in one mapping: PyYAML keeps the last
    silently, where DVC (ruamel) refuses the file, so a run stopped at `dvc add` with "exit code
    1" and nothing else (sweep 21)."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    # The keys as written, before merge keys (`<<: *anchor`) are expanded: a merged key that
    # the mapping sets again is YAML's override, not a repeat. Only plain scalar keys are
    # compared; anything else is left to the constructor (an unhashable key: invalid YAML).
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        if key_node.value in seen:
            raise ConfigError(f"line {key_node.start_mark.line + 1}: key {key_node.value!r} "
                              "written twice in one section (remove one)")
        seen.add(key_node.value)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def apply_overrides(raw: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Set dotted keys ("tune.n_trials") in a nested dict; unknown sections are an error."""
    for dotted, value in overrides.items():
        node = raw
        *parents, leaf = dotted.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                raise ConfigError(f"override {dotted!r}: no section {part!r} in params")
            node = node[part]
        node[leaf] = value
    return raw


def read_raw(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            raw = yaml.load(fh, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except FileNotFoundError:
        raise ConfigError(f"{path}: params file not found (run in a project made by `tuneloop "
                          "init`, or point --root at one)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{where} is not valid YAML") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    return raw


def load_params(path: Path | str = PARAMS_FILE, overrides: dict[str, Any] | None = None) -> Params:
    """Load and validate params.yaml; raise ConfigError naming the bad key."""
    path = Path(path)
    raw = apply_overrides(read_raw(path), overrides or {})
    try:
        return Params.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_one_line(str(path), err)) from None
