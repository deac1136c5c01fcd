"""drift: compare a later batch with the training data, feature by feature; say whether to re-tune.

Numeric features: two-sample Kolmogorov-Smirnov. Categorical: chi-square on the category
counts, with total-variation distance as the effect size. A feature drifts when its test is
significant *and* its effect is large enough: with 100k rows every tiny shift is significant.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from stages._cli import run_main, stage_parser
from tuneloop.config import DriftConfig, Params
from tuneloop.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, category_levels, make_features
from tuneloop.io import read_parquet, write_json

# Calendar features differ between any two months by construction: not evidence of drift.
CALENDAR = ("month", "day_of_year", "day_of_week")


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    test: str
    statistic: float
    p_value: float
    effect: float
    drifted: bool


@dataclass(frozen=True)
class DriftReport:
    drift: bool
    drifted_share: float
    drifted_features: list[str]
    reference_rows: int
    batch_rows: int
    features: list[FeatureDrift]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _numeric(ref: pd.Series, new: pd.Series) -> tuple[float, float, float]:
    a, b = ref.dropna().to_numpy(), new.dropna().to_numpy()
    if len(a) == 0 or len(b) == 0:
        return 0.0, 1.0, 0.0
    result = stats.ks_2samp(a, b)
    return float(result.statistic), float(result.pvalue), float(result.statistic)


def _categorical(ref: pd.Series, new: pd.Series) -> tuple[float, float, float]:
    levels = sorted(set(ref.dropna().astype(str)) | set(new.dropna().astype(str)))
    a = ref.astype(str).value_counts().reindex(levels, fill_value=0).to_numpy()
    b = new.astype(str).value_counts().reindex(levels, fill_value=0).to_numpy()
    table = np.vstack([a, b])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0, 0.0
    chi2, p, _, _ = stats.chi2_contingency(table)
    tv = 0.5 * float(np.abs(a / a.sum() - b / b.sum()).sum())
    return float(chi2), float(p), tv


def run(cfg: DriftConfig, reference: pd.DataFrame, batch: pd.DataFrame) -> DriftReport:
    levels = category_levels(reference)
    ref_x, new_x = make_features(reference, levels), make_features(batch, levels)
    results = []
    for col in NUMERIC_FEATURES:
        if col in CALENDAR:
            continue
        stat, p, effect = _numeric(ref_x[col], new_x[col])
        results.append(FeatureDrift(col, "ks", stat, p, effect,
                                    p < cfg.p_value and effect >= cfg.min_effect))
    for col in CATEGORICAL_FEATURES:
        stat, p, effect = _categorical(reference[col], batch[col])
        results.append(FeatureDrift(col, "chi2", stat, p, effect,
                                    p < cfg.p_value and effect >= cfg.min_effect))
    drifted = [r.feature for r in results if r.drifted]
    share = len(drifted) / len(results)
    return DriftReport(drift=share > cfg.max_drifted_share, drifted_share=share,
                       drifted_features=drifted, reference_rows=len(reference),
                       batch_rows=len(batch), features=results)


def execute(params: Params, root: Path) -> DriftReport:
    report = run(params.drift, read_parquet(root / params.paths.dataset),
                 read_parquet(root / params.paths.batch))
    write_json(root / params.paths.drift_report, report.to_dict())
    print(f"drift: {report.drift} ({len(report.drifted_features)} of {len(report.features)} "
          f"features: {', '.join(report.drifted_features) or 'none'})")
    return report


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
