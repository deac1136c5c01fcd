"""The search space every tuner explores: eight LightGBM hyperparameters.

One space for every dataset and task, so that differences between cells come from the data and
the tuner, never from a different space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Params = dict[str, int | float]


@dataclass(frozen=True)
class Dim:
    """One hyperparameter: ``kind`` int or float, inclusive bounds, ``log``: log-uniform prior."""

    name: str
    low: float
    high: float
    kind: Literal["int", "float"] = "float"
    log: bool = False

    def clip(self, value: float) -> int | float:
        """Bring a proposal into bounds (and to an int for int dims), so tuners may be sloppy."""
        v = min(max(float(value), self.low), self.high)
        return int(round(v)) if self.kind == "int" else v


SEARCH_SPACE: tuple[Dim, ...] = (
    Dim("learning_rate", 0.005, 0.3, "float", log=True),
    Dim("num_leaves", 8, 256, "int", log=True),
    Dim("min_child_samples", 5, 200, "int", log=True),
    Dim("feature_fraction", 0.4, 1.0, "float"),
    Dim("bagging_fraction", 0.4, 1.0, "float"),
    Dim("lambda_l1", 1e-3, 10.0, "float", log=True),
    Dim("lambda_l2", 1e-3, 10.0, "float", log=True),
    Dim("min_split_gain", 0.0, 1.0, "float"),
)


def check_params(params: Params, space: tuple[Dim, ...] = SEARCH_SPACE) -> Params:
    """A tuner's proposal, complete and clipped into ``space`` (raises if a dim is missing)."""
    out: Params = {}
    for dim in space:
        if dim.name not in params:
            raise ValueError(f"tuner proposal lacks {dim.name!r}: {params}")
        out[dim.name] = dim.clip(params[dim.name])
    return out
