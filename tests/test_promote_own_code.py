"""The gate re-scores the champion with the feature code stored with it, not with whatever the
working tree holds now: a changed feature step must not mis-score (or fail on) the old champion.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from stages import dataset, evaluate, ingest, promote, split, tune
from tests.conftest import make_project
from tuneloop.config import load_params


def _loop_once(project: Path) -> object:
    params = load_params(project / "params.yaml")
    ingest.execute(params, project)
    dataset.execute(params, project)
    split.execute(params, project)
    tune.execute(params, project)
    evaluate.execute(params, project)
    return promote.execute(params, project)


def test_champion_is_scored_with_its_own_registered_code(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from tuneloop.features import Schema

    # Not refit on the holdout: the champion is re-scored on that same holdout here, which
    # a champion fit on it would see in-sample (promote refuses that).
    project = make_project(tmp_path / "project", {"tune.n_trials": 3,
                                                  "evaluate.refit_on_holdout": False})
    first = _loop_once(project)
    assert first.promoted and first.champion_version is None
    honest = first.challenger  # v1's holdout metrics, scored by its own (current) code

    # The working tree's feature step changes after v1 was registered: here it scrambles every
    # numeric feature. A challenger trained now uses it; the champion must not.
    real = Schema.make_features

    def changed(self: Schema, frame: pd.DataFrame, source: str = "batch") -> pd.DataFrame:
        out = real(self, frame, source)
        for col in self.numeric:
            out[col] = out[col].to_numpy()[::-1]
        return out

    monkeypatch.setattr(Schema, "make_features", changed)
    second = _loop_once(project)
    assert second.champion_version == first.version
    # The champion's figures on the same holdout are exactly the ones it had: its stored code
    # computed them, in a separate interpreter, unaffected by the change in this process.
    assert second.champion == pytest.approx(honest, rel=1e-9, abs=1e-12)
