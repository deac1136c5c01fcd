"""Model families behind one interface: the trial objective, the refit and prediction.

The family is either fixed (every trial LightGBM, the default) or a categorical search dimension
named `family`, with each family's own parameters conditional on it. Evaluation calls `refit` /
`predict` / `save` with the best trial's family, so it never needs to know which one won.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuneloop.config import (  # noqa: F401 (re-exported)
    FAMILIES,
    LIGHTGBM,
    LINEAR,
    TORCH_MLP,
    TuneConfig,
)
from tuneloop.features import Schema
from tuneloop.search.trial import TrialContext, TrialOutcome, TrialSpec

# What a model directory holds (written by the evaluate stage, read by the served model).
BOOSTER_FILE = "model.txt"  # LightGBM's text model
META_FILE = "model.json"    # family, params, category levels, ...


def family_of(params: dict[str, Any]) -> str:
    family = params.get("family", LIGHTGBM)
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; one of {', '.join(FAMILIES)}")
    return str(family)


def resources_for(cfg: TuneConfig) -> Callable[[Any], dict[str, float] | None]:
    """The Dask resources a trial asks for, from its family's `tune.resources` entry (a trial
    spec, or a Prefect task argument holding one)."""
    def resources(spec: Any) -> dict[str, float] | None:
        params = getattr(spec, "params", None) or getattr(getattr(spec, "spec", None),
                                                           "params", {}) or {}
        return dict(cfg.family_resources(family_of(params)).dask) or None
    return resources


def trial_threads(configured: int | None, local: int) -> int:
    """Threads for one trial where it runs: the configured number, else on a Dask worker its
    machine's cores over the trials it runs at once (its nthreads), else `local` (the driver's
    cores over n_workers)."""
    if configured is not None:
        return configured
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # not inside a Dask worker
        return local
    return max(1, (os.cpu_count() or 1) // max(1, worker.state.nthreads))


class FamilyObjective:
    """Routes each trial to its family's objective; the torch one is built only when needed."""

    def __init__(self, cfg: TuneConfig, schema: Schema, metric: str, train: pd.DataFrame,
                 valid: pd.DataFrame, num_threads: int, measure: Any = None) -> None:
        self._cfg, self._train, self._valid, self._threads = cfg, train, valid, num_threads
        self._schema, self._metric = schema, metric
        self._measure = measure  # tuneloop.constraints.Measurer: what each trial measures
        self._objectives: dict[str, Any] = {}

    def _objective(self, family: str) -> Any:
        # Built on the runner thread's first use; a dict write is atomic under the GIL and a
        # duplicate build would only cost time.
        if family not in self._objectives:
            cfg = self._cfg
            # Resolved where the objective is built: on a Dask worker, that worker's cores.
            threads = trial_threads(cfg.family_resources(family).threads, self._threads)
            if family == LIGHTGBM:
                from tuneloop.lgbm import LightGBMObjective

                obj: Any = LightGBMObjective(
                    self._train, self._valid, schema=self._schema, metric=self._metric,
                    max_rounds=cfg.max_boost_rounds,
                    early_stopping_rounds=cfg.early_stopping_rounds,
                    num_threads=threads,
                    refine_factor=cfg.refine.factor if cfg.refine.param else 1.0,
                    measure=self._measure)
            elif family == LINEAR:
                from tuneloop.linear import LinearObjective

                obj = LinearObjective(self._train, self._valid, schema=self._schema,
                                      metric=self._metric, num_threads=threads,
                                      measure=self._measure)
            else:
                from tuneloop.torch_mlp import TorchMlpObjective

                obj = TorchMlpObjective(
                    self._train, self._valid, schema=self._schema,
                    max_epochs=cfg.torch.max_epochs, patience=cfg.torch.patience,
                    batch_size=cfg.torch.batch_size, metric=self._metric,
                    num_threads=threads, measure=self._measure)
            self._objectives[family] = obj
        return self._objectives[family]

    def __call__(self, spec: TrialSpec, ctx: TrialContext) -> TrialOutcome:
        return self._objective(family_of(spec.params))(spec, ctx)


def refit(family: str, frame: pd.DataFrame, schema: Schema,
          params: dict[str, Any], iterations: int, seed: int, num_threads: int,
          batch_size: int = 512, metric: str | None = None) -> Any:
    """Fit the chosen configuration on `frame` for `iterations` rounds (LightGBM) or epochs;
    `metric`, the tuning metric, picks LightGBM's objective as it did for the trials."""
    if family == LIGHTGBM:
        from tuneloop import lgbm

        return lgbm.fit(frame, schema, params, iterations, seed, num_threads, metric=metric)
    if family == LINEAR:
        from tuneloop import linear, torch_mlp

        return linear.fit(torch_mlp.Encoder.fit(frame, schema),
                          {k: v for k, v in params.items() if k != "family"}, frame, seed,
                          num_threads)
    from tuneloop import torch_mlp

    enc = torch_mlp.Encoder.fit(frame, schema)
    model, _ = torch_mlp.train(enc, {k: v for k, v in params.items() if k != "family"}, seed,
                               frame, None, max_epochs=max(1, iterations), patience=iterations,
                               batch_size=batch_size)
    return model, enc


def predict(family: str, model: Any, frame: pd.DataFrame, schema: Schema) -> np.ndarray:
    """The task's predictions (tuneloop.metrics explains their shape); a regression's inside
    the target values the model learnt from, or a range's width past them for a family that
    extrapolates (Schema.bounded)."""
    if family == LIGHTGBM:
        from tuneloop import lgbm

        return schema.bounded(lgbm.predict(model, frame, schema))
    if family == LINEAR:
        from tuneloop import linear

        return schema.bounded(linear.predict(model, frame), extrapolates=True)
    from tuneloop import torch_mlp

    net, enc = model
    return schema.bounded(torch_mlp.predict(net, enc, frame), extrapolates=True)


def load(family: str, directory: Path) -> Any:
    """What `save` wrote, as `refit` returns it (LightGBM text; torch with weights_only)."""
    if family == LIGHTGBM:
        import lightgbm as lgb

        return lgb.Booster(model_file=str(directory / BOOSTER_FILE))
    if family == LINEAR:
        from tuneloop import linear

        return linear.load(directory)
    from tuneloop import torch_mlp

    return torch_mlp.load(directory)


def save(family: str, model: Any, directory: Path, params: dict[str, Any], seed: int) -> None:
    """LightGBM: text model; torch: state_dict + JSON; linear: JSON. Never pickle."""
    if family == LIGHTGBM:
        directory.mkdir(parents=True, exist_ok=True)
        model.save_model(str(directory / BOOSTER_FILE))
        return
    if family == LINEAR:
        from tuneloop import linear

        linear.save(model, {k: v for k, v in params.items() if k != "family"}, seed, directory)
        return
    from tuneloop import torch_mlp

    net, enc = model
    torch_mlp.save(net, enc, {k: v for k, v in params.items() if k != "family"}, seed, directory)
