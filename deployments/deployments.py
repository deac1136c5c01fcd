"""Prefect deployments of tuneloop: a scheduled drift check and a re-tune that drift triggers.

`python -m deployments.deployments --root DIR` serves both from this process (no work pool
needed), pinned to the project at DIR: their flows (`deployments/pinned.py`) have no `root` or
`params_file` parameter, so no caller of the Prefect API can point them at another project.
`build()` returns them for tests or for `prefect deploy`-style use.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from prefect.events import DeploymentEventTrigger
from prefect.utilities.callables import ParameterSchema

from deployments.pinned import pin, retune_flow, scheduled_check_flow
from tuneloop.config import PARAMS_FILE, load_params
from tuneloop.errors import TuneloopError
from tuneloop.events import project_resource_id
from tuneloop.trigger import DRIFT_CHECK, RETUNE  # a run's trigger is read from these names


class _ClosedSchema(ParameterSchema):
    """A flow's parameter schema that admits no other parameter."""

    additionalProperties: bool = False  # the JSON Schema keyword, as the server reads it


def _closed(deployment: Any) -> Any:
    """Have the server refuse, when it is created, a run naming a parameter the flow does not
    take (`{"root": ...}`: "Additional properties are not allowed"). A run whose creator turns
    the check off still fails before it starts: the flow cannot take the parameter. Prefect
    builds the schema from the flow's signature and has no public way to close it."""
    schema = deployment._parameter_openapi_schema
    deployment._parameter_openapi_schema = _ClosedSchema(**schema.model_dump(),
                                                         additionalProperties=False)
    return deployment


def build(root: Path, params_file: str = PARAMS_FILE) -> list[Any]:
    """The two deployments of the project at `root`; they run on the project pinned in the
    serving process (`pin(root, params_file)`), which `main()` sets."""
    params = load_params(root / params_file)
    drift_check = scheduled_check_flow.to_deployment(
        name=DRIFT_CHECK, cron=params.schedule.drift_cron,
        description="Checks the newest batch for drift; emits the re-tune event when it drifted.",
        tags=["tuneloop"])
    retune = retune_flow.to_deployment(
        # One re-tune at a time; the flow's project lock also covers runs from elsewhere.
        name=RETUNE, tags=["tuneloop"], concurrency_limit=1,
        description="On drift: re-runs the loop on the window that now holds the new batch "
                    "(ingest, version, tune, evaluate, promote).",
        triggers=[DeploymentEventTrigger(
            name="tuneloop drift detected", expect={params.schedule.drift_event},
            match={"prefect.resource.id": project_resource_id(root)})])
    return [_closed(drift_check), _closed(retune)]


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
    # The runs this process starts inherit its environment: that, not a run's parameters,
    # names the project they act on.
    os.environ.update(pin(args.root, args.params))
    serve(*deployments)


if __name__ == "__main__":
    main()
