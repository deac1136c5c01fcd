"""A cap on one family's share of a study: the linear family's trials beyond its grid.

Why: the linear family has one dimension, `alpha`, and a cold study plants a four-point grid
of it (tuneloop.search.baseline.linear_grid). Past the grid the surrogate still spent most of a
small study there, proposing near-copies of tried alphas (Boston: 11 of 20 trials, seven at
validation RMSE 5.968 where LightGBM reached 3.96; sweep 24). After `cap` trials of the family,
a proposal of it is replaced by a random configuration of the other families, so the rest of
the study goes where the surrogate's one-dimensional curve cannot.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tuneloop.search.space import SearchSpace
from tuneloop.search.strategy import Proposal, SearchStrategy, Wrapping


class FamilyQuota(Wrapping):
    """Wraps a strategy: at most `cap` proposals of `family` (enqueued ones count), and past
    the first `free` of them only while the family holds the study's best value: concrete's
    linear grid scored RMSE 10.0-10.5 against LightGBM's 4.4, and four more near-copies of
    tried alphas followed, 8 of 20 trials (sweep 25)."""

    def __init__(self, inner: SearchStrategy, space: SearchSpace, family: str, cap: int,
                 seed: int, free: int | None = None) -> None:
        super().__init__(inner)
        self._space, self._family, self._cap = space, family, cap
        self._free = cap if free is None else free
        self._seed = seed
        self._count = 0
        self._others = [c for c in space.dimension("family").choices if c != family]
        self._families: dict[int, bool] = {}  # proposal id -> whether it is of `family`
        self._best: dict[bool, float] = {}  # the best (lowest) value told, mine and others'

    def _leads(self) -> bool:
        mine, others = self._best.get(True), self._best.get(False)
        return mine is not None and others is not None and mine <= others

    def _note(self, proposal_id: int, params: dict[str, Any]) -> None:
        self._families[proposal_id] = self._mine(params)

    def _told(self, proposal_id: int, value: float | None, complete: bool) -> None:
        mine = self._families.get(proposal_id)
        if mine is None or value is None or not complete or not math.isfinite(value):
            return
        self._best[mine] = min(value, self._best.get(mine, math.inf))

    def _mine(self, params: dict[str, Any]) -> bool:
        return params.get("family") == self._family

    def random_other(self, draw: int) -> dict[str, Any]:
        """A random configuration of another family (log-uniform where the space says so),
        drawn from the study's seed and `draw` (the replaced proposal's id): a resumed study
        draws anew, where one generator started over repeated the draws it had run (the
        review)."""
        rng = np.random.default_rng([self._seed % 2**63, draw])
        full: dict[str, Any] = {"family": self._others[int(rng.integers(len(self._others)))]}
        for dim in self._space.dimensions:
            if dim.name == "family":
                continue
            if dim.kind == "categorical":
                full[dim.name] = dim.choices[int(rng.integers(len(dim.choices)))]
                continue
            low, high = float(dim.low), float(dim.high)  # type: ignore[arg-type]
            value = (math.exp(rng.uniform(math.log(low), math.log(high)))
                     if dim.log and low > 0 else rng.uniform(low, high))
            full[dim.name] = int(round(value)) if dim.kind == "integer" else float(value)
        return self._space.active(full)

    def ask(self) -> Proposal:
        proposal = self._inner.ask()
        if self._mine(proposal.params) and proposal.refines is None and self._others:
            if self._count >= self._cap or (self._count >= self._free and not self._leads()):
                self._inner.forget(proposal.id)
                other = self._inner.enqueue(self.random_other(proposal.id))
                self._note(other.id, other.params)
                return other
            self._count += 1
        self._note(proposal.id, proposal.params)
        return proposal

    def enqueue(self, params: dict[str, Any], refines: int | None = None) -> Proposal:
        if self._mine(params):
            self._count += 1
        proposal = self._inner.enqueue(params, refines=refines)
        self._note(proposal.id, proposal.params)
        return proposal

    def tell(self, proposal_id: int, value: float, *, complete: bool = True,
             measures: dict[str, float] | None = None) -> None:
        self._told(proposal_id, value, complete)
        super().tell(proposal_id, value, complete=complete, measures=measures)

    def replay(self, proposal_id: int, params: dict[str, Any], value: float | None,
               banned: bool = False, *, refines: int | None = None,
               complete: bool = True, measures: dict[str, float] | None = None) -> None:
        if self._mine(params) and refines is None:
            self._count += 1
        self._note(proposal_id, params)
        self._told(proposal_id, value, complete and not banned)
        super().replay(proposal_id, params, value, banned, refines=refines, complete=complete,
                       measures=measures)
