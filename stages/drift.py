"""drift: compare the newest batch with the batches before it, feature by feature; say whether
to re-tune.

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
from tuneloop.config import DataConfig, DriftConfig, Params
from tuneloop.errors import DataError
from tuneloop.features import BATCH_COLUMN, Schema, model_name
from tuneloop.io import read_parquet, write_json


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


def run(cfg: DriftConfig, spec: DataConfig, reference: pd.DataFrame,
        batch: pd.DataFrame) -> DriftReport:
    """Numeric and categorical features only: the parts of a datetime column (month, day of
    year) differ between any two periods by construction, which is no evidence of drift."""
    schema = Schema.fit(spec, reference)
    ref_x, new_x = schema.make_features(reference), schema.make_features(batch)
    results = []
    for col in schema.numeric:
        stat, p, effect = _numeric(ref_x[model_name(col)], new_x[model_name(col)])
        results.append(FeatureDrift(col, "ks", stat, p, effect,
                                    p < cfg.p_value and effect >= cfg.min_effect))
    for col in schema.categorical:
        stat, p, effect = _categorical(reference[col], batch[col])
        results.append(FeatureDrift(col, "chi2", stat, p, effect,
                                    p < cfg.p_value and effect >= cfg.min_effect))
    drifted = [r.feature for r in results if r.drifted]
    share = len(drifted) / len(results) if results else 0.0
    return DriftReport(drift=share > cfg.max_drifted_share, drifted_share=share,
                       drifted_features=drifted, reference_rows=len(reference),
                       batch_rows=len(batch), features=results)


def newest_batch(dataset: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the batches before the newest, the newest batch) of the training window."""
    batch = dataset[BATCH_COLUMN]
    if batch.nunique() < 2:
        raise DataError(f"{source}: the drift check needs at least two batches")
    newest = batch == batch.max()
    return dataset[~newest], dataset[newest]


def execute(params: Params, root: Path) -> DriftReport:
    path = root / params.paths.dataset
    reference, batch = newest_batch(read_parquet(path), str(path))
    report = run(params.drift, params.data, reference, batch)
    write_json(root / params.paths.drift_report, report.to_dict())
    print(f"drift: {report.drift} ({len(report.drifted_features)} of {len(report.features)} "
          f"features: {', '.join(report.drifted_features) or 'none'})")
    return report


def main(argv: list[str] | None = None) -> int:
    return run_main(execute, stage_parser(__doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    raise SystemExit(main())
