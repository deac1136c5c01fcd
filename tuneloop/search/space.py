"""A search space declared in params.yaml, in plain Python types."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class SearchSpace:
    dimensions: tuple[Dimension, ...]

    @classmethod
    def from_config(cls, space: dict[str, DimensionConfig]) -> SearchSpace:
        dims = []
        for name, dim in space.items():
            if dim.type == "categorical":
                dims.append(Dimension(name, "categorical", choices=tuple(dim.choices or ())))
            else:
                low, high = (dim.low, dim.high)
                if dim.type == "integer":
                    low, high = int(low), int(high)  # type: ignore[arg-type]
                dims.append(Dimension(name, dim.type, low, high, dim.prior == "log-uniform"))
        return cls(tuple(dims))

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    def contains(self, params: dict[str, Any]) -> bool:
        """True when params has every dimension with a value inside its bounds or choices."""
        for d in self.dimensions:
            if d.name not in params:
                return False
            v = params[d.name]
            if d.kind == "categorical":
                if v not in d.choices:
                    return False
            elif not (d.low <= v <= d.high):  # type: ignore[operator]
                return False
        return set(params) == set(self.names)
