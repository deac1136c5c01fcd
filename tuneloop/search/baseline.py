"""The family's default configuration, as a point of the search space: the baseline trial a
cold study runs first, so its indicators can say what tuning gained over not tuning.

Each dimension takes the library's own default (LightGBM's documented defaults; the torch MLP's
`DEFAULTS`), moved to the nearest value inside the space when the space excludes it (e.g.
`lambda_l2` 0.0 in a log-uniform [0.001, 10] dimension becomes 0.001); a dimension the library
has no default for takes the middle of its range (geometric middle on a log scale). So the
baseline is "the defaults, as near as the space allows", and the study header records it.
"""

from __future__ import annotations

import math
from typing import Any

from tuneloop.search.space import Dimension, SearchSpace

# LightGBM 4's documented parameter defaults, by the names tuneloop's spaces use.
LIGHTGBM_DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.1, "num_leaves": 31, "min_child_samples": 20, "max_depth": -1,
    "feature_fraction": 1.0, "bagging_fraction": 1.0, "bagging_freq": 0, "lambda_l1": 0.0,
    "lambda_l2": 0.0, "min_split_gain": 0.0, "min_sum_hessian_in_leaf": 1e-3, "max_bin": 255,
    "extra_trees": False, "path_smooth": 0.0}


def _family_defaults() -> dict[str, Any]:
    from tuneloop.linear import DEFAULTS as LINEAR_DEFAULTS
    from tuneloop.torch_mlp import DEFAULTS as TORCH_DEFAULTS

    return {**LINEAR_DEFAULTS, **TORCH_DEFAULTS, **LIGHTGBM_DEFAULTS}


def _value(dim: Dimension, default: Any) -> Any:
    if dim.kind == "categorical":
        return default if default in dim.choices else dim.choices[0]
    low, high = float(dim.low), float(dim.high)  # type: ignore[arg-type]
    if default is None or isinstance(default, bool):
        middle = math.sqrt(low * high) if dim.log and low > 0 else (low + high) / 2
        value = middle
    else:
        value = min(high, max(low, float(default)))
    return int(round(value)) if dim.kind == "integer" else value


def default_configuration(space: SearchSpace) -> dict[str, Any]:
    """The baseline: every active dimension at its family's default, kept inside the space.
    With a `family` dimension, LightGBM when the space allows it (else its first family)."""
    defaults = _family_defaults()
    if "family" in space.names:
        choices = space.dimension("family").choices
        defaults["family"] = "lightgbm" if "lightgbm" in choices else choices[0]
    full = {d.name: _value(d, defaults.get(d.name)) for d in space.dimensions}
    return space.active(full)


LINEAR_GRID = 4  # alphas a cold study's linear grid tries


def linear_grid(space: SearchSpace) -> list[dict[str, Any]]:
    """A cold study's linear configurations, planted after the baseline: `alpha` at LINEAR_GRID
    points spread evenly over its range (on the log scale where log-uniform), every other
    linear key at its default. Measured on small tables: left to find the linear family
    itself, the surrogate spent 11 of 16 trials on it (one fit each, but a trial slot each)
    where LightGBM won; with the grid told first it knows the family's curve and spends its
    trials where they pay (tuneloop.linear)."""
    if "family" not in space.names or "linear" not in space.dimension("family").choices:
        return []
    defaults = {**_family_defaults(), "family": "linear"}
    full = {d.name: _value(d, defaults.get(d.name)) for d in space.dimensions}
    alpha = next((d for d in space.dimensions if d.name == "alpha" and d.kind == "real"
                  and space.is_active(d, full)), None)
    if alpha is None:
        return [space.active(full)]
    low, high = float(alpha.low), float(alpha.high)  # type: ignore[arg-type]
    out = []
    for i in range(LINEAR_GRID):
        q = (i + 0.5) / LINEAR_GRID
        full["alpha"] = (math.exp(math.log(low) + q * (math.log(high) - math.log(low)))
                         if alpha.log and low > 0 else low + q * (high - low))
        config = space.active(full)
        if config not in out:
            out.append(config)
    return out
