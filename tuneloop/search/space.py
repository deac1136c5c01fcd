"""A search space declared in params.yaml, in plain Python types.

A dimension may be conditional: active only when its parent categorical dimensions take one of
the listed values (e.g. `num_leaves` only when `family` is `lightgbm`). A configuration holds
exactly its active dimensions; strategies that need a fixed-length vector fill inactive ones
with a neutral default (`complete`), and `active` strips them again, so an inactive value can
never reach a trial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tuneloop.config import DimensionConfig


@dataclass(frozen=True)
class Dimension:
    name: str
    kind: Literal["real", "integer", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    when: tuple[tuple[str, tuple[Any, ...]], ...] = field(default=())

    @property
    def default(self) -> Any:
        """The filler for an inactive dimension (any fixed in-bounds value will do)."""
        if self.kind == "categorical":
            return self.choices[0]
        return int(self.low) if self.kind == "integer" else float(self.low)  # type: ignore[arg-type]

    def holds(self, value: Any) -> bool:
        if self.kind == "categorical":
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.kind == "integer" and int(value) != value:
            return False
        return self.low <= value <= self.high  # type: ignore[operator]


@dataclass(frozen=True)
class SearchSpace:
    dimensions: tuple[Dimension, ...]

    @classmethod
    def from_config(cls, space: dict[str, DimensionConfig]) -> SearchSpace:
        dims = []
        for name, dim in space.items():
            when = tuple((p, tuple(v)) for p, v in (dim.when or {}).items())
            if dim.type == "categorical":
                dims.append(Dimension(name, "categorical", choices=tuple(dim.choices or ()),
                                      when=when))
            else:
                low, high = (dim.low, dim.high)
                if dim.type == "integer":
                    low, high = int(low), int(high)  # type: ignore[arg-type]
                dims.append(Dimension(name, dim.type, low, high, dim.prior == "log-uniform",
                                      when=when))
        return cls(tuple(dims))

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    def is_active(self, dim: Dimension, params: dict[str, Any]) -> bool:
        """Active when every parent is itself active and holds one of the listed values."""
        for parent, values in dim.when:
            if parent not in params or params[parent] not in values:
                return False
            if not self.is_active(self.dimension(parent), params):
                return False
        return True

    def active(self, full: dict[str, Any]) -> dict[str, Any]:
        """Keep only the dimensions active under the configuration's own parent values."""
        return {d.name: full[d.name] for d in self.dimensions if self.is_active(d, full)}

    def complete(self, params: dict[str, Any]) -> dict[str, Any]:
        """Every dimension: the active values as given, inactive ones set to their default."""
        full = {d.name: params.get(d.name, d.default) for d in self.dimensions}
        return {d.name: full[d.name] if self.is_active(d, full) else d.default
                for d in self.dimensions}

    def contains(self, params: dict[str, Any]) -> bool:
        """True when params holds exactly the active dimensions, each inside its bounds."""
        full = {d.name: params.get(d.name, d.default) for d in self.dimensions}
        wanted = {d.name for d in self.dimensions if self.is_active(d, full)}
        if set(params) != wanted:
            return False
        return all(self.dimension(n).holds(v) for n, v in params.items())
