"""Per-family trial resources (tune.resources) and a tls:// Dask cluster (tune.dask_tls):
checked on load, resolved where the trial runs. A real Dask worker answers the threads
question; no timing is asserted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import SMALL, write_params
from tuneloop.config import TORCH_MLP, load_params
from tuneloop.errors import ConfigError
from tuneloop.families import resources_for, trial_threads
from tuneloop.search.trial import TrialSpec


@pytest.mark.parametrize(("override", "message"), [
    ({"tune.resources": {"xgboost": {"threads": 2}}},
     "params.yaml: tune.resources: unknown families xgboost; known: lightgbm, torch_mlp"),
    ({"tune.resources": {"lightgbm": {"dask": {"GPU": -1}}}},
     "resource amounts must be positive numbers: GPU"),
    ({"tune.resources": {"lightgbm": {"threads": 0}}}, "tune.resources.lightgbm.threads"),
    ({"tune.dask_address": "tls://10.0.0.5:8786"},
     "dask_address is tls://: set tune.dask_tls (ca_file, cert_file, key_file)"),
    ({"tune.dask_address": "tcp://10.0.0.5:8786",
      "tune.dask_tls": {"ca_file": "ca.pem", "cert_file": "c.pem", "key_file": "k.pem"}},
     "dask_tls is set but dask_address is not a tls:// address"),
    ({"tune.dask_address": "tls://10.0.0.5:8786",
      "tune.dask_tls": {"ca_file": "/etc/ca.pem", "cert_file": "c.pem", "key_file": "k.pem"}},
     "tune.dask_tls.ca_file"),
])
def test_bad_resources_or_tls_name_the_key(tmp_path: Path, override: dict,
                                           message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_params(write_params(tmp_path, {**SMALL, **override}))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_each_family_asks_for_its_own_resources(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path, {
        **SMALL, "tune.resources": {"lightgbm": {"threads": 3, "dask": {"MEMORY": 2e9}},
                                    TORCH_MLP: {"dask": {"GPU": 1}}}}))
    ask = resources_for(params.tune)
    assert ask(TrialSpec(0, {"num_leaves": 31}, 1)) == {"MEMORY": 2e9}
    assert ask(TrialSpec(1, {"family": TORCH_MLP, "hidden": 64}, 1)) == {"GPU": 1}
    default = load_params(write_params(tmp_path, SMALL)).tune
    assert resources_for(default)(TrialSpec(2, {"num_leaves": 31}, 1)) is None
    assert resources_for(default)(TrialSpec(3, {"family": TORCH_MLP}, 1)) == {"GPU": 1}


def test_threads_come_from_the_machine_the_trial_runs_on() -> None:
    from distributed import Client, LocalCluster

    assert trial_threads(4, 1) == 4          # configured: as configured, anywhere
    assert trial_threads(None, 3) == 3       # on the driver: cores over n_workers
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        on_worker = client.submit(trial_threads, None, 99, pure=False).result()
    assert on_worker == max(1, (os.cpu_count() or 1) // 2)  # the worker's cores / its nthreads


def test_a_study_runs_on_a_tls_cluster_with_the_projects_certificates(tmp_path: Path) -> None:
    """A real tls:// LocalCluster (distributed's temporary certificate, written into the
    project as tune.dask_tls names it): the study connects with encryption required and all
    its trials finish; a missing certificate file is one line naming the key."""
    import numpy as np
    import pandas as pd
    from distributed import LocalCluster, Security

    from stages import tune
    from tuneloop.features import Schema

    secure = Security.temporary()
    pems = {"ca_file": secure.tls_ca_file, "cert_file": secure.tls_client_cert,
            "key_file": secure.tls_client_key}
    certs = tmp_path / "certs"
    certs.mkdir()
    for name, pem in pems.items():
        (certs / f"{name}.pem").write_text(pem)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=400), "z": rng.normal(size=400)})
    frame["y"] = (frame["x"] + rng.normal(scale=0.5, size=400) > 0).astype("int64")
    train, valid = frame.iloc[:300], frame.iloc[300:]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tls://",
                      security=secure, dashboard_address=None) as cluster:
        params = load_params(write_params(tmp_path, {
            **SMALL, "tune.n_trials": 3, "tune.n_initial_points": 2,
            "tune.dask_address": cluster.scheduler_address,
            "tune.dask_tls": {k: f"certs/{k}.pem" for k in pems}}))
        spec = params.data.model_copy(update={"target": "y", "time": None, "id": None,
                                              "prepare": None})
        schema = Schema.fit(spec, train)
        result = tune.run(params.tune, schema, "auc", train, valid, tmp_path / "trials.jsonl",
                          root=tmp_path)
        assert result.n_trials == 3 and result.n_failed == 0
        (certs / "key_file.pem").unlink()
        with pytest.raises(ConfigError) as err:
            tune.run(params.tune, schema, "auc", train, valid, tmp_path / "trials2.jsonl",
                     root=tmp_path)
        assert str(err.value).startswith("tune.dask_tls.key_file: ") and "\n" not in \
            str(err.value)


def test_more_workers_than_cores_is_said_once(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Sweep 29: `tune.n_workers: 64` on a 2-core machine ran without a word, every trial on
    one thread among 64."""
    import numpy as np
    import pandas as pd

    from stages import tune
    from tuneloop.features import Schema
    from tuneloop.lgbm import cores

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=300)})
    frame["y"] = (frame["x"] + rng.normal(scale=0.5, size=300) > 0).astype("int64")
    train, valid = frame.iloc[:200], frame.iloc[200:]
    for workers in (1, cores() + 1):
        params = load_params(write_params(tmp_path, {
            **SMALL, "tune.n_trials": 2, "tune.n_initial_points": 2,
            "tune.n_workers": workers}))
        spec = params.data.model_copy(update={"target": "y", "time": None, "id": None,
                                              "prepare": None})
        tune.run(params.tune, Schema.fit(spec, train), "auc", train, valid,
                 tmp_path / f"trials{workers}.jsonl", root=tmp_path)
        said = capsys.readouterr().err
        line = (f"tune: note: tune.n_workers {workers} is more than the {cores()} core(s) "
                "here")
        assert (line in said) == (workers > cores()), said
