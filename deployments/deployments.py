"""Prefect deployments of tuneloop: a scheduled drift check and a re-tune that drift triggers.

`python -m deployments.deployments` serves both from this process (no work pool needed);
`build()` returns them for tests or for `prefect deploy`-style use.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from prefect.events import DeploymentEventTrigger

from flows.drift import drift_check_flow
from flows.loop import tuneloop_flow
from tuneloop.config import PARAMS_FILE, load_params
from tuneloop.errors import TuneloopError
from tuneloop.events import project_resource_id

DRIFT_CHECK = "drift-check"
RETUNE = "retune-on-drift"


def build(root: Path, params_file: str = PARAMS_FILE) -> list[Any]:
    params = load_params(root / params_file)
    project = {"root": str(root.resolve()), "params_file": params_file}
    drift_check = drift_check_flow.to_deployment(
        name=DRIFT_CHECK, cron=params.schedule.drift_cron, parameters=project,
        description="Checks the newest batch for drift; emits the re-tune event when it drifted.",
        tags=["tuneloop"])
    retune = tuneloop_flow.to_deployment(
        # One re-tune at a time; the flow's project lock also covers runs from elsewhere.
        name=RETUNE, parameters=project, tags=["tuneloop"], concurrency_limit=1,
        description="On drift: re-runs the loop on the window that now holds the new batch "
                    "(ingest, version, tune, evaluate, promote).",
        triggers=[DeploymentEventTrigger(
            name="tuneloop drift detected", expect={params.schedule.drift_event},
            match={"prefect.resource.id": project_resource_id(root)},
            parameters=project)])
    return [drift_check, retune]


def main(argv: list[str] | None = None) -> None:
    from prefect import serve

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="project directory")
    parser.add_argument("--params", default=PARAMS_FILE, help="params file under --root")
    args = parser.parse_args(argv)
    try:
        deployments = build(args.root, args.params)
    except TuneloopError as exc:
        raise SystemExit(f"error: {exc}") from None
    serve(*deployments)


if __name__ == "__main__":
    main()
