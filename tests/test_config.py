from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, write_params
from tuneloop.config import load_params
from tuneloop.errors import ConfigError


def test_bundled_params_load() -> None:
    params = load_params(REPO / "params.yaml")
    assert params.tune.n_workers >= 2
    assert params.validate_.min_rows > 0


@pytest.mark.parametrize(("override", "message"), [
    ({"tune.n_trials": 0},
     "params.yaml: tune.n_trials: Input should be greater than or equal to 1"),
    ({"tune.strategy": "bogus"}, "params.yaml: tune.strategy: Input should be"),
    ({"tune.search_space.learning_rate.low": 2.0},
     "params.yaml: tune.search_space.learning_rate: low (2.0) must be below high"),
    ({"tune.search_space.num_leaves.low": 0},
     "params.yaml: tune.search_space.num_leaves: a log-uniform dimension needs low > 0"),
    ({"ingest.batch_month": 3}, "params.yaml: ingest: batch_month must lie outside"),
    ({"drift.p_value": 1.5}, "params.yaml: drift.p_value: Input should be less than 1"),
    ({"tune.refine.param": "num_leaves"},
     "params.yaml: tune: refine.param: 'num_leaves' is not a real dimension of search_space"),
    ({"tune.refine.factor": 1.0},
     "params.yaml: tune.refine.factor: Input should be greater than 1"),
    ({"promote.unknown_knob": 1},
     "params.yaml: promote.unknown_knob: Extra inputs are not permitted"),
])
def test_bad_params_name_the_key(tmp_path: Path, override: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_params(write_params(tmp_path, override))
    assert str(err.value).startswith(str(tmp_path / message.split(": ", 1)[0]) + ": "
                                      + message.split(": ", 1)[1])
    assert "\n" not in str(err.value)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="params file not found"):
        load_params(tmp_path / "nope.yaml")
    bad = tmp_path / "params.yaml"
    bad.write_text("tune: [unclosed\n")
    with pytest.raises(ConfigError, match=r"params.yaml: line \d+ is not valid YAML"):
        load_params(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_params(bad)
