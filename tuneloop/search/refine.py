"""Shrinkage refinement: re-run the best configurations with a smaller learning rate.

Why: ASHA compares trials after a few dozen boosting rounds, where a small learning rate always
looks worse, so a pruned search finds good tree shapes at high learning rates, cheaply, and
never trains the slow learners that win on validation data. The last step of tuning a booster
by hand is to lower the learning rate and let it train longer; it nearly always gains a little.
The refiner takes that step inside the study: once `start_share` of the budget is used, it
re-proposes the best completed exploration configurations with the shrinkage parameter divided
by `factor`, one at a time, exempt from pruning (they learn slowly on purpose). Between
refinements the wrapped strategy keeps exploring, and every result, refined or not, is told to
it like any other trial. A top trial already at the space's lower edge of the parameter has
nothing left to refine and keeps its place in the top k.

A warm re-tune's seeds are `settled`: each had its chance of a refinement in the study that
found it (the champion is often that refinement), so one keeps its place in the top k but is
not refined again. Measured on the warm-vs-cold bench (bench/README.md), refining a
seed cost a quarter of a warm study's boosting rounds and beat the seed in 1 study of 5.

A refinement is an ordinary trial with `refines` set to the id of the trial it refines; the
journal records that, so a resumed study neither repeats nor forgets a refinement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tuneloop.search.seeded import config_key
from tuneloop.search.space import SearchSpace
from tuneloop.search.strategy import Proposal, SearchStrategy


@dataclass(frozen=True)
class RefinePolicy:
    param: str = "learning_rate"  # the shrinkage parameter (a real dimension of the space)
    factor: float = 3.0           # refined value = value / factor (clipped to the space)
    start_share: float = 0.15     # share of the budget to explore before the first refinement
    top_k: int = 1                # only the best k refinable exploration trials are refined
    max_running: int = 1          # refinements running at once; other workers keep exploring
    min_finished: int = 0         # ... and none before this many trials finished (the initial
                                  # random points: refining one of them refines a coin toss)
    # Measures that grow with the rounds trained: a refinement trains about `factor` times as
    # many, so a trial whose measure x factor breaks its limit is not refined (measured on
    # Adult: a refined model was 2.1-5.1x the size of its parent); the best trial whose
    # refinement is expected to fit is refined instead.
    grows: tuple[str, ...] = ("size_bytes", "latency_ms_per_1k", "train_core_s")


class RefiningStrategy:
    """A SearchStrategy that interleaves refinements into another strategy's proposals."""

    def __init__(self, inner: SearchStrategy, space: SearchSpace, policy: RefinePolicy,
                 budget_share: Callable[[], float] | None = None,
                 settled: Iterable[dict[str, Any]] = ()) -> None:
        dim = next((d for d in space.dimensions if d.name == policy.param), None)
        if dim is None or dim.kind != "real":
            raise ValueError(f"refine: {policy.param!r} is not a real dimension of the space")
        if policy.factor <= 1.0:
            raise ValueError(f"refine: factor must be above 1, got {policy.factor}")
        self._inner = inner
        self._policy = policy
        self._low = float(dim.low)
        self._budget_share = budget_share or (lambda: 1.0)
        self._params: dict[int, dict[str, Any]] = {}    # every proposal we know of
        self._explored: dict[int, float] = {}           # completed exploration trials: value
        self._refined_from: dict[int, int] = {}         # refinement id -> the trial it refines
        self._finished: set[int] = set()
        self._measures: dict[int, dict[str, float]] = {}  # completed exploration trials
        # Configurations never refined here (a warm study's seeds): they keep their place.
        self._settled = {config_key(dict(p)) for p in settled}

    def attach_budget(self, share: Callable[[], float]) -> None:
        """How much of the study's budget is used, 0..1 (the runner knows; strategies don't)."""
        self._budget_share = share

    def refines(self, proposal_id: int) -> int | None:
        return self._refined_from.get(proposal_id)

    # -- proposing --------------------------------------------------------------------------

    def refined_params(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """`params` with the shrinkage parameter divided by the factor; None when it is inactive
        there, already at the space's lower edge (nothing left to refine) or settled."""
        value = params.get(self._policy.param)
        if value is None or config_key(params) in self._settled:
            return None
        new = max(float(value) / self._policy.factor, self._low)
        if new >= float(value) * 0.99:
            return None
        return {**params, self._policy.param: new}

    def _candidate(self) -> tuple[int, dict[str, Any]] | None:
        if (self._budget_share() < self._policy.start_share
                or len(self._finished) < self._policy.min_finished):
            return None
        running = [r for r in self._refined_from if r not in self._finished]
        if len(running) >= self._policy.max_running:
            return None
        done = set(self._refined_from.values())
        # Only trials with the shrinkage parameter compete for the top k: a best trial without
        # it (another model family) must not block the others. One already at the space's lower
        # edge or settled (a warm study's seed) keeps its place: it is as refined as the space
        # allows or was refined in its own study, and refining a trial it beat instead would
        # spend the longest trials of the study on a runner-up.
        # A trial whose refinement would break a limit does not compete either: the top k are
        # the best whose refinements are expected to fit (all of them, without limits).
        ranked = [(t, self.refined_params(self._params[t]))
                  for t in sorted(self._explored, key=lambda t: (self._explored[t], t))
                  if self._params[t].get(self._policy.param) is not None
                  and self._refinement_fits(t)]
        tried = list(self._params.values())
        for tid, params in ranked[: self._policy.top_k]:
            # A refinement identical to a configuration already proposed (a warm study's seeds
            # may hold a trial and its earlier refinement) would only re-run it.
            if params is not None and tid not in done and params not in tried:
                return tid, params
        return None

    def _refinement_fits(self, tid: int) -> bool:
        """Whether the refinement of trial `tid` is expected to meet the inner strategy's
        limits: each measure that grows with rounds, times the factor, within its limit."""
        limits: dict[str, float] = getattr(self._inner, "limits", None) or {}
        measured = self._measures.get(tid, {})
        return all(measured.get(name) is None or measured[name] * (
            self._policy.factor if name in self._policy.grows else 1.0) <= limit
                   for name, limit in limits.items())

    def ask(self) -> Proposal:
        candidate = self._candidate()
        if candidate is None:
            proposal = self._inner.ask()
        else:
            parent, params = candidate
            proposal = self._inner.enqueue(params, refines=parent)  # type: ignore[attr-defined]
            self._refined_from[proposal.id] = parent
        self._params[proposal.id] = dict(proposal.params)
        return proposal

    def enqueue(self, params: dict[str, Any], refines: int | None = None) -> Proposal:
        proposal = self._inner.enqueue(params, refines=refines)  # type: ignore[attr-defined]
        self._params[proposal.id] = dict(proposal.params)
        if refines is not None:
            self._refined_from[proposal.id] = refines
        return proposal

    # -- learning ---------------------------------------------------------------------------

    def _learn(self, proposal_id: int, value: float, complete: bool,
               measures: dict[str, float] | None) -> None:
        self._finished.add(proposal_id)
        # Only a configuration that meets the limits is worth refining (the inner strategy
        # knows them; without limits every completed trial does).
        feasible = getattr(self._inner, "feasible", None)
        if complete and proposal_id not in self._refined_from and (
                feasible is None or feasible(measures or {})):
            self._explored[proposal_id] = value
            self._measures[proposal_id] = dict(measures or {})

    def tell(self, proposal_id: int, value: float, *, complete: bool = True,
             measures: dict[str, float] | None = None) -> None:
        self._inner.tell(proposal_id, value, complete=complete,  # type: ignore[call-arg]
                         measures=measures)
        self._learn(proposal_id, value, complete, measures)

    def ban(self, proposal_id: int, value: float) -> None:
        self._finished.add(proposal_id)
        if proposal_id in self._refined_from:
            # A refinement that failed for good (most likely its time limit: it trains longer)
            # says nothing about the surrogate's region next to the best point: teaching it the
            # worst value there would steer the search away from the best. Its parent stays
            # marked as refined, so it is not tried again.
            self._inner.forget(proposal_id)
            return
        self._inner.ban(proposal_id, value)

    def forget(self, proposal_id: int) -> None:
        self._inner.forget(proposal_id)
        self._params.pop(proposal_id, None)
        self._refined_from.pop(proposal_id, None)

    def observe(self, params: dict[str, Any], value: float) -> bool:
        # Earlier studies' trials inform the surrogate; they are not ours to refine.
        return self._inner.observe(params, value)

    def replay(self, proposal_id: int, params: dict[str, Any], value: float | None,
               banned: bool = False, *, refines: int | None = None,
               complete: bool = True, measures: dict[str, float] | None = None) -> None:
        self._params[proposal_id] = dict(params)
        if refines is not None:
            self._refined_from[proposal_id] = refines
        if banned and refines is not None:  # as in ban(): the surrogate never hears of it
            self._inner.replay(proposal_id, params, None,  # type: ignore[attr-defined]
                               refines=refines)
            self._inner.forget(proposal_id)
            self._finished.add(proposal_id)
            return
        self._inner.replay(proposal_id, params, value, banned,  # type: ignore[attr-defined]
                           refines=refines, complete=complete, measures=measures)
        if banned:
            self._finished.add(proposal_id)
        elif value is not None:
            self._learn(proposal_id, value, complete, measures)
