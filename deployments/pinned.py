"""The flows the deployments run, each bound to the one project its server process serves.

They take no `root` or `params_file`: the project is fixed by `python -m deployments.deployments
--root R --params P`, which pins it in its own environment before serving, and the runs it
starts inherit that environment. Nothing that reaches the Prefect API can change it: a run
created with `{"root": ...}` or `{"params_file": ...}` fails before it starts ("Function expects
parameters [...] but was provided with parameters ['root']"), even when its creator turns the
server's schema check off. Orchestration only: each flow runs the loop or the check as a
subflow on the pinned project.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect import flow

from flows.drift import drift_check_flow
from flows.loop import tuneloop_flow
from flows.naming import named_after
from tuneloop.config import PARAMS_FILE
from tuneloop.errors import TuneloopError

PINNED_ROOT = "TUNELOOP_DEPLOYED_ROOT"
PINNED_PARAMS = "TUNELOOP_DEPLOYED_PARAMS"


class NotPinned(TuneloopError):
    """A deployment's flow ran outside the process that serves it (no pinned project)."""


def pin(root: Path, params_file: str) -> dict[str, str]:
    """The environment that binds the deployments' runs to this project (set it in the serving
    process, or give it to a worker)."""
    return {PINNED_ROOT: str(root.resolve()), PINNED_PARAMS: params_file}


def pinned_project() -> tuple[str, str]:
    root = os.environ.get(PINNED_ROOT)
    if not root:
        raise NotPinned(f"{PINNED_ROOT} is not set: the deployments' flows run only in the "
                        "process that serves them (python -m deployments.deployments --root DIR)")
    return root, os.environ.get(PINNED_PARAMS) or PARAMS_FILE


# Runs named like the loop's (flows/naming.py), after the pinned project.
pinned_name = named_after(lambda parameters: os.environ.get(PINNED_ROOT) or "unpinned")


@flow(name="tuneloop-retune", flow_run_name=pinned_name)
def retune_flow(resume: bool = False, force: bool = False) -> dict[str, Any]:
    """The loop on the served project (a retrain only when a batch decision asks for one)."""
    root, params_file = pinned_project()
    return tuneloop_flow(root=root, params_file=params_file, resume=resume, force=force)


@flow(name="tuneloop-scheduled-check", flow_run_name=pinned_name)
def scheduled_check_flow() -> dict[str, Any]:
    """The batch check on the served project; emits the re-tune event when it decides a
    retrain."""
    root, params_file = pinned_project()
    return drift_check_flow(root=root, params_file=params_file)
