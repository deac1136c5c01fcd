"""scikit-optimize behind the SearchStrategy interface; its types never leave this module.

Asynchronous parallelism: when a worker frees up, the optimizer is asked for one point while
others are still running. Pending points are told to a scratch optimizer with the "constant
liar" value (the best value seen so far), so a new proposal is pushed away from running ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tuneloop.search.space import SearchSpace
from tuneloop.search.strategy import Proposal

_ESTIMATORS = {"gp": "GP", "rf": "RF", "et": "ET", "random": "dummy"}


def _skopt_dimensions(space: SearchSpace) -> list[Any]:
    from skopt.space import Categorical, Integer, Real

    dims = []
    for d in space.dimensions:
        prior = "log-uniform" if d.log else "uniform"
        if d.kind == "real":
            dims.append(Real(d.low, d.high, prior=prior, name=d.name))
        elif d.kind == "integer":
            dims.append(Integer(int(d.low), int(d.high), prior=prior, name=d.name))
        else:
            dims.append(Categorical(list(d.choices), name=d.name))
    return dims


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


class SkoptStrategy:
    def __init__(self, space: SearchSpace, kind: str = "gp", seed: int = 0,
                 n_initial_points: int = 8) -> None:
        if kind not in _ESTIMATORS:
            raise ValueError(f"unknown strategy {kind!r}; one of {', '.join(_ESTIMATORS)}")
        self._space = space
        self._kind = kind
        self._seed = seed
        self._n_initial = n_initial_points
        self._dims = _skopt_dimensions(space)
        self._observed: list[tuple[list[Any], float]] = []
        self._pending: dict[int, list[Any]] = {}
        self._next_id = 0

    def _optimizer(self) -> Any:
        from skopt import Optimizer

        kwargs: dict[str, Any] = {}
        if self._kind == "gp":
            # "sampling" avoids lbfgs restarts: ~0.1 s per ask instead of seconds (stack notes).
            kwargs = {"acq_optimizer": "sampling", "acq_optimizer_kwargs": {"n_points": 2000}}
        return Optimizer(self._dims, base_estimator=_ESTIMATORS[self._kind],
                         n_initial_points=self._n_initial,
                         random_state=self._seed * 100_003 + self._next_id, **kwargs)

    def ask(self) -> Proposal:
        opt = self._optimizer()
        xs = [x for x, _ in self._observed] + list(self._pending.values())
        if xs:
            lie = min((y for _, y in self._observed), default=0.0)
            ys = [y for _, y in self._observed] + [lie] * len(self._pending)
            opt.tell(xs, ys)
        x = [_plain(v) for v in opt.ask()]
        proposal = Proposal(self._next_id, dict(zip(self._space.names, x, strict=True)))
        self._pending[proposal.id] = x
        self._next_id += 1
        return proposal

    def tell(self, proposal_id: int, value: float) -> None:
        x = self._pending.pop(proposal_id)
        self._observed.append((x, float(value)))

    def forget(self, proposal_id: int) -> None:
        self._pending.pop(proposal_id, None)

    def replay(self, proposal_id: int, params: dict[str, Any], value: float | None) -> None:
        """Rebuild state from a journal: a finished trial (value) or one to run again (None)."""
        x = [params[name] for name in self._space.names]
        self._next_id = max(self._next_id, proposal_id + 1)
        if value is not None:
            self._observed.append((x, float(value)))
