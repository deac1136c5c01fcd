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
    """Wraps a strategy: at most `cap` proposals of `family` (enqueued ones count)."""

    def __init__(self, inner: SearchStrategy, space: SearchSpace, family: str, cap: int,
                 seed: int) -> None:
        super().__init__(inner)
        self._space, self._family, self._cap = space, family, cap
        self._seed = seed
        self._count = 0
        self._others = [c for c in space.dimension("family").choices if c != family]

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
            if self._count >= self._cap:
                self._inner.forget(proposal.id)
                return self._inner.enqueue(self.random_other(proposal.id))
            self._count += 1
        return proposal

    def enqueue(self, params: dict[str, Any], refines: int | None = None) -> Proposal:
        if self._mine(params):
            self._count += 1
        return self._inner.enqueue(params, refines=refines)

    def replay(self, proposal_id: int, params: dict[str, Any], value: float | None,
               banned: bool = False, *, refines: int | None = None,
               complete: bool = True, measures: dict[str, float] | None = None) -> None:
        if self._mine(params) and refines is None:
            self._count += 1
        super().replay(proposal_id, params, value, banned, refines=refines, complete=complete,
                       measures=measures)
