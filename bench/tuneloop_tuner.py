"""tuneloop's engine in the benchmark harness: the same SkoptStrategy and AshaPruner that the
tune stage uses (tuneloop.search), driven through the harness's ask/tell/report contract.

- Proposals: GP surrogate (Matern kernel, EI on 2,000 sampled candidates) whose kernel
  hyperparameters are re-estimated only when the data grew by a quarter; pending trials are
  handled with the constant liar, so several workers can ask before anyone tells.
- Early stopping: ASHA at rungs of 50 * 3**k boosting rounds (50, 150, 450, 1350), keeping the top
  third at each rung once 3 trials reached it. A pruned trial is told its rung score, a
  pessimistic low-fidelity value, so the surrogate learns from it too.
- The first proposal is LightGBM's default configuration (clipped into the space): a
  known-good point to anchor the search, like optuna's `enqueue_trial`.

Run: .venv/bin/python -m bench.tuning_bench --tuner-module bench.tuneloop_tuner --tuners tuneloop
"""

from __future__ import annotations

from typing import Any, ClassVar

from bench.tuning_bench import Proposal, TrialOutcome, Tuner, TunerContext, register_tuner
from tuneloop.config import DimensionConfig
from tuneloop.search import AshaPruner, SearchSpace
from tuneloop.search.skopt_adapter import SkoptStrategy

MIN_RESOURCE = 50
ETA = 3
N_INITIAL = 8
#: LightGBM's own defaults, the anchor point (min_split_gain 0 is the space's lower edge).
DEFAULTS = {"learning_rate": 0.1, "num_leaves": 31, "min_child_samples": 20,
            "feature_fraction": 1.0, "bagging_fraction": 1.0, "lambda_l1": 1e-3,
            "lambda_l2": 1e-3, "min_split_gain": 0.0}


def space_from(ctx: TunerContext) -> SearchSpace:
    return SearchSpace.from_config({
        d.name: DimensionConfig(type="integer" if d.kind == "int" else "real", low=d.low,
                                high=d.high, prior="log-uniform" if d.log else "uniform")
        for d in ctx.space})


@register_tuner("tuneloop")
class TuneloopTuner(Tuner):
    description = ("tuneloop engine: skopt GP (cached kernel, constant liar) + ASHA on rounds; "
                   "any --n-workers")
    wants_reports: ClassVar[bool] = True

    def __init__(self, ctx: TunerContext) -> None:
        super().__init__(ctx)
        self.space = space_from(ctx)
        self.strategy = SkoptStrategy(self.space, kind="gp", seed=ctx.seed,
                                      n_initial_points=N_INITIAL)
        self.pruner = AshaPruner(MIN_RESOURCE, ETA, min_trials_per_rung=ETA,
                                 max_resource=ctx.max_rounds)
        self._anchor_done = False

    def ask(self) -> Proposal:
        proposal = self.strategy.ask()
        params: dict[str, Any] = proposal.params
        if not self._anchor_done:
            self._anchor_done = True
            params = {d.name: min(max(DEFAULTS[d.name], d.low), d.high)
                      for d in self.space.dimensions}
            # The strategy must learn the point that actually ran, not the one it drew.
            self.strategy.forget(proposal.id)
            self.strategy.replay(proposal.id, params, None)
        return Proposal(params=params, token=proposal.id)

    def report(self, proposal: Proposal, rounds: int, valid_auc: float) -> bool:
        return self.pruner.should_prune(proposal.token, rounds, valid_auc)

    def tell(self, proposal: Proposal, outcome: TrialOutcome) -> None:
        # Minimises; a pruned trial's valid_auc is its best at the rung where it stopped.
        self.strategy.tell(proposal.token, -outcome.valid_auc)

