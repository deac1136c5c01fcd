"""What proposes the next configuration: ask() a Proposal, tell() its result by id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from tuneloop.search.space import SearchSpace


@dataclass(frozen=True)
class Proposal:
    id: int
    params: dict[str, Any] = field(hash=False)


class SearchStrategy(Protocol):
    """Minimises. Results are matched to proposals by id, never by value."""

    def ask(self) -> Proposal: ...

    def tell(self, proposal_id: int, value: float) -> None: ...

    def forget(self, proposal_id: int) -> None:
        """Drop a pending proposal that will never get a result (e.g. the study stopped)."""
        ...


def make_strategy(
    kind: str, space: SearchSpace, seed: int, n_initial_points: int
) -> SearchStrategy:
    from tuneloop.search.skopt_adapter import SkoptStrategy

    return SkoptStrategy(space, kind=kind, seed=seed, n_initial_points=n_initial_points)
