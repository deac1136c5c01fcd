"""What proposes the next configuration: ask() a Proposal, tell() its result by id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from tuneloop.search.space import SearchSpace


@dataclass(frozen=True)
class Proposal:
    id: int
    params: dict[str, Any] = field(hash=False)
    refines: int | None = None  # set on a refinement: the id of the trial it refines


class SearchStrategy(Protocol):
    """Minimises. Results are matched to proposals by id, never by value."""

    def ask(self) -> Proposal: ...

    def tell(self, proposal_id: int, value: float, *, complete: bool = True,
             measures: dict[str, float] | None = None) -> None:
        """`complete` is False for a pruned trial: its value is a low-fidelity rung score.
        `measures`: what the trial measured besides its value (model size, latency, ...), which
        a strategy with limits or extra objectives learns from."""
        ...

    def enqueue(self, params: dict[str, Any], refines: int | None = None) -> Proposal:
        """A point chosen outside the strategy (a known default, a refinement): it gets an id
        and counts as pending like any proposal."""
        ...

    def forget(self, proposal_id: int) -> None:
        """Drop a pending proposal that will never get a result (e.g. the study stopped)."""
        ...

    def ban(self, proposal_id: int, value: float) -> None:
        """The proposal failed for good: learn `value` there and never propose it again."""
        ...

    def observe(self, params: dict[str, Any], value: float) -> bool:
        """Warm start from an earlier study's trial; False when it does not fit this space."""
        ...

    def replay(self, proposal_id: int, params: dict[str, Any], value: float | None,
               banned: bool = False, *, refines: int | None = None,
               complete: bool = True, measures: dict[str, float] | None = None) -> None:
        """Resume: a journalled proposal, finished (value) or still to run (None)."""
        ...


class Wrapping:
    """A strategy around another that changes what is proposed, and passes every result and
    every other call on unchanged (SeededStrategy, FamilyQuota)."""

    def __init__(self, inner: SearchStrategy) -> None:
        self._inner = inner

    def attach_budget(self, share: Any) -> None:
        if hasattr(self._inner, "attach_budget"):
            self._inner.attach_budget(share)

    def ask(self) -> Proposal:
        return self._inner.ask()

    def enqueue(self, params: dict[str, Any], refines: int | None = None) -> Proposal:
        return self._inner.enqueue(params, refines=refines)

    def tell(self, proposal_id: int, value: float, *, complete: bool = True,
             measures: dict[str, float] | None = None) -> None:
        self._inner.tell(proposal_id, value, complete=complete,  # type: ignore[call-arg]
                         measures=measures)

    def forget(self, proposal_id: int) -> None:
        self._inner.forget(proposal_id)

    def ban(self, proposal_id: int, value: float) -> None:
        self._inner.ban(proposal_id, value)

    def observe(self, params: dict[str, Any], value: float) -> bool:
        return self._inner.observe(params, value)

    def replay(self, proposal_id: int, params: dict[str, Any], value: float | None,
               banned: bool = False, *, refines: int | None = None,
               complete: bool = True, measures: dict[str, float] | None = None) -> None:
        self._inner.replay(proposal_id, params, value, banned,  # type: ignore[attr-defined]
                           refines=refines, complete=complete, measures=measures)


def make_strategy(
    kind: str, space: SearchSpace, seed: int, n_initial_points: int,
    limits: dict[str, float] | None = None, objectives: tuple[str, ...] = (),
) -> SearchStrategy:
    from tuneloop.search.skopt_adapter import SkoptStrategy

    return SkoptStrategy(space, kind=kind, seed=seed, n_initial_points=n_initial_points,
                         max_gp_points=max(200, n_initial_points), limits=limits,
                         objectives=objectives)
