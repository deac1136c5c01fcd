"""Baseline tuners for the search-quality benchmark (see :mod:`bench.suite`).

All five are sequential baselines (the benchmark runs them with ``--n-workers 1``; Optuna would
accept more asks in flight, skopt's GP would propose the same point twice, so they are not
compared in parallel here). Library defaults are kept on purpose: the point is what a user gets
out of the box.

* ``random``: independent uniform / log-uniform draws (numpy ``default_rng(seed)``).
* ``tpe``: Optuna ``TPESampler(seed=seed)`` with its defaults (Optuna 5: multivariate, 10 startup
  trials), ask/tell with fixed distributions.
* ``tpe-hyperband``: the same sampler plus
  ``HyperbandPruner(min_resource=ctx.early_stopping_rounds, max_resource=ctx.max_rounds,
  reduction_factor=3)``; the trial reports its best validation AUC so far every
  ``ctx.report_every`` rounds (step = rounds trained) and is pruned when Hyperband says so.
* ``gp``: ``skopt.Optimizer(dims, base_estimator="GP", random_state=seed)`` with its defaults,
  which are those of ``gp_minimize``: Matern-5/2 GP with Gaussian noise, 10 random initial points,
  ``gp_hedge`` acquisition, L-BFGS acquisition optimiser (10,000 points, 5 restarts). skopt fits
  the GP and optimises the acquisition inside ``tell``; ``ask`` returns the cached point.
* ``gp-optuna``: Optuna's ``GPSampler(seed=seed)`` with its defaults (Optuna 5: 10 random
  startup trials, then a Matern-5/2 GP in torch with log EI optimised by multi-start L-BFGS),
  ask/tell with fixed distributions like ``tpe``; no pruner. A stronger, more modern GP peer than
  skopt's: it fits in ``ask``, so its cost shows in ``ask_s``.

Adding a tuner (e.g. tuneloop's engine)::

    from bench.suite.tuners import Proposal, TrialOutcome, Tuner, TunerContext, register_tuner

    @register_tuner("tuneloop")
    class TuneloopTuner(Tuner):
        description = "tuneloop ask/tell engine"
        wants_reports = False          # True to receive report() calls and prune

        def __init__(self, ctx: TunerContext) -> None:
            super().__init__(ctx)
            self.engine = ...           # build from ctx.space, ctx.seed, ctx.n_workers

        def ask(self) -> Proposal:
            params = ...                # {dim.name: value for dim in ctx.space}
            return Proposal(params=params, token=...)

        def tell(self, proposal: Proposal, outcome: TrialOutcome) -> None:
            ...                         # outcome.valid_auc is maximised

Put it here or in any module and pass ``--tuner-module that.module``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState
from skopt import Optimizer
from skopt.space import Dimension, Integer, Real

from bench.suite.space import Dim, Params
from bench.suite.tuners import Proposal, TrialOutcome, Tuner, TunerContext, register_tuner

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _require_sequential(ctx: TunerContext, name: str) -> None:
    if ctx.n_workers != 1:
        raise ValueError(f"baseline {name!r} is benchmarked sequentially; use --n-workers 1")


# --------------------------------------------------------------------------------------------
# Random search
# --------------------------------------------------------------------------------------------


def sample_dim(dim: Dim, rng: np.random.Generator) -> int | float:
    """One draw: uniform, or log-uniform when ``dim.log``; ints uniform over the (log) range."""
    if dim.kind == "int":
        if dim.log:
            # log-uniform over [low, high + 1) then floor: every integer gets the mass of its
            # log-interval, the top one included.
            x = math.exp(rng.uniform(math.log(dim.low), math.log(dim.high + 1)))
            return int(min(max(math.floor(x), dim.low), dim.high))
        return int(rng.integers(int(dim.low), int(dim.high) + 1))
    if dim.log:
        return float(math.exp(rng.uniform(math.log(dim.low), math.log(dim.high))))
    return float(rng.uniform(dim.low, dim.high))


@register_tuner("random")
class RandomSearch(Tuner):
    description = "random search (uniform / log-uniform), sequential"

    def __init__(self, ctx: TunerContext) -> None:
        super().__init__(ctx)
        self.rng = np.random.default_rng(ctx.seed)

    def ask(self) -> Proposal:
        return Proposal({d.name: sample_dim(d, self.rng) for d in self.ctx.space})

    def tell(self, proposal: Proposal, outcome: TrialOutcome) -> None:
        return None


# --------------------------------------------------------------------------------------------
# Optuna TPE, with and without Hyperband pruning
# --------------------------------------------------------------------------------------------


def optuna_distributions(space: tuple[Dim, ...]) -> dict[str, BaseDistribution]:
    out: dict[str, BaseDistribution] = {}
    for d in space:
        if d.kind == "int":
            out[d.name] = IntDistribution(int(d.low), int(d.high), log=d.log)
        else:
            out[d.name] = FloatDistribution(d.low, d.high, log=d.log)
    return out


@register_tuner("tpe")
class OptunaTPE(Tuner):
    description = "Optuna TPESampler defaults, ask/tell, sequential"

    def __init__(self, ctx: TunerContext) -> None:
        super().__init__(ctx)
        self.dists = optuna_distributions(ctx.space)
        self.study = optuna.create_study(
            direction="maximize",
            sampler=self._sampler(),
            pruner=self._pruner(),
        )

    def _sampler(self) -> optuna.samplers.BaseSampler:
        return optuna.samplers.TPESampler(seed=self.ctx.seed)

    def _pruner(self) -> optuna.pruners.BasePruner:
        return optuna.pruners.NopPruner()

    def ask(self) -> Proposal:
        trial = self.study.ask(fixed_distributions=self.dists)
        params: Params = dict(trial.params)
        return Proposal(params=params, token=trial)

    def tell(self, proposal: Proposal, outcome: TrialOutcome) -> None:
        trial: optuna.Trial = proposal.token
        if outcome.status == "pruned":
            self.study.tell(trial, state=TrialState.PRUNED)
        else:
            self.study.tell(trial, outcome.valid_auc)


@register_tuner("tpe-hyperband")
class OptunaTPEHyperband(OptunaTPE):
    description = (
        "Optuna TPESampler defaults + HyperbandPruner(min=patience, max=max rounds, eta=3), "
        "reports every --report-every rounds, sequential"
    )
    wants_reports = True

    def _pruner(self) -> optuna.pruners.BasePruner:
        return optuna.pruners.HyperbandPruner(
            min_resource=self.ctx.early_stopping_rounds,
            max_resource=self.ctx.max_rounds,
            reduction_factor=3,
        )

    def report(self, proposal: Proposal, rounds: int, valid_auc: float) -> bool:
        trial: optuna.Trial = proposal.token
        trial.report(valid_auc, step=rounds)
        return bool(trial.should_prune())


# --------------------------------------------------------------------------------------------
# scikit-optimize GP
# --------------------------------------------------------------------------------------------


def skopt_dimensions(space: tuple[Dim, ...]) -> list[Dimension]:
    out: list[Dimension] = []
    for d in space:
        prior = "log-uniform" if d.log else "uniform"
        if d.kind == "int":
            out.append(Integer(int(d.low), int(d.high), prior=prior, name=d.name))
        else:
            out.append(Real(d.low, d.high, prior=prior, name=d.name))
    return out


def _py(value: Any) -> int | float:
    return value.item() if isinstance(value, np.generic) else value


@register_tuner("gp")
class SkoptGP(Tuner):
    description = 'skopt.Optimizer(base_estimator="GP") defaults (= gp_minimize), sequential'

    def __init__(self, ctx: TunerContext) -> None:
        super().__init__(ctx)
        _require_sequential(ctx, self.name)
        self.opt = Optimizer(
            skopt_dimensions(ctx.space), base_estimator="GP", random_state=ctx.seed
        )

    def ask(self) -> Proposal:
        x = self.opt.ask()
        params: Params = {d.name: _py(v) for d, v in zip(self.ctx.space, x, strict=True)}
        return Proposal(params=params, token=list(x))

    def tell(self, proposal: Proposal, outcome: TrialOutcome) -> None:
        # skopt minimises; pruning never happens here, truncated trials count as evaluated.
        self.opt.tell(proposal.token, -outcome.valid_auc)


# --------------------------------------------------------------------------------------------
# Optuna GP
# --------------------------------------------------------------------------------------------


@register_tuner("gp-optuna")
class OptunaGP(OptunaTPE):
    description = "Optuna GPSampler defaults (torch GP, log EI), ask/tell, sequential"

    def __init__(self, ctx: TunerContext) -> None:
        _require_sequential(ctx, "gp-optuna")
        super().__init__(ctx)

    def _sampler(self) -> optuna.samplers.BaseSampler:
        return optuna.samplers.GPSampler(seed=self.ctx.seed)
