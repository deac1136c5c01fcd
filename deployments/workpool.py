"""The deployments on a Prefect process work pool instead of `serve()`.

`python -m deployments.workpool --root DIR [--params FILE] [--pool NAME]` creates (or updates)
the process work pool NAME, pinned to the project at DIR, and deploys the drift check and the
re-tune to it: the names, schedule, trigger and concurrency limit of `deployments.build`. Then
`prefect worker start --pool NAME` runs them, on this machine, with this checkout's code.
A pool pinned to another project (or not a tuneloop pool), or deployments that already serve
another project's pool (their names are the same for every project), are refused in one line:
one Prefect server per project. Deployments served by `serve()` have no pool to tell their
project by, and are replaced.

How the pin holds. The pool's base job template fixes the command every run starts
(`python -m deployments.launch --root DIR --params FILE`, which pins the project as the serving
process does) and its working directory, and has no `env` at all. The only job variables a
deployment or a run may set are `name`, `labels` and `stream_output`, and the schema admits no
other, so the server refuses a run asking for `env`, `command` or `working_dir` (422,
"Additional properties are not allowed"). A run created past that check (`POST /flow_runs/`
stores job variables unchecked) still starts the fixed command: the worker uses a run's
variables only where the template has a placeholder for them, and merges a run's `env` only
into an `env` the template has. Parameters are refused as under `serve()`: the flows take no
`root` or `params_file`. Changing the pool or the deployments themselves is another matter:
whoever may do that may run any code on the worker, so the Prefect API must sit behind
authentication (see the README).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from deployments import pinned
from deployments.deployments import DRIFT_CHECK, RETUNE, build
from tuneloop.config import PARAMS_FILE
from tuneloop.errors import TuneloopError

POOL = "tuneloop"
POOL_TYPE = "process"
CODE_DIR = Path(__file__).resolve().parents[1]  # holds deployments/ and flows/: the runs' cwd
RUN_VARIABLES = ("name", "labels", "stream_output")  # what a deployment or run may still set
PINNED_FILE = Path(pinned.__file__).resolve().relative_to(CODE_DIR).as_posix()


def launch_command(root: Path, params_file: str) -> str:
    from prefect.utilities.processutils import command_to_string

    return command_to_string([sys.executable, "-m", "deployments.launch",
                              "--root", str(root.resolve()), "--params", params_file])


def base_job_template(root: Path, params_file: str) -> dict[str, Any]:
    """The process worker's default template with the command and working directory fixed,
    no `env`, and only RUN_VARIABLES left to set (no other admitted)."""
    from prefect.workers.process import ProcessWorker

    default = ProcessWorker.get_default_base_job_template()
    variables = default["variables"]
    return {
        "job_configuration": {**{k: default["job_configuration"][k] for k in RUN_VARIABLES},
                              "command": launch_command(root, params_file),
                              "working_dir": str(CODE_DIR)},
        "variables": {**variables, "additionalProperties": False,
                      "properties": {k: variables["properties"][k] for k in RUN_VARIABLES},
                      "required": [k for k in variables.get("required", [])
                                   if k in RUN_VARIABLES]},
    }


def _pinned_command(pool: Any) -> str | None:
    """The command a tuneloop pool's runs start (it names the project), or None."""
    template = getattr(pool, "base_job_template", None) or {}
    return (template.get("job_configuration") or {}).get("command")


def _pinned_root(command: str | None) -> Path | None:
    """The project a tuneloop pool's command pins (its --root), or None for another pool.
    Compared as a path, not the whole command: the same project deployed from another
    interpreter (another venv, `python3`) or with another params file is still this one."""
    import shlex

    try:
        words = shlex.split(command or "")
    except ValueError:
        return None
    if "deployments.launch" not in words or "--root" not in words[:-1]:
        return None
    return Path(words[words.index("--root") + 1]).resolve()


def _read_pool(client: Any, pool: str) -> Any:
    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_work_pool(pool)
    except ObjectNotFound:
        return None


def _ensure_pool(client: Any, root: Path, params_file: str, pool: str) -> None:
    from prefect.client.schemas.actions import WorkPoolCreate

    existing = _read_pool(client, pool)
    if existing is not None and existing.type != POOL_TYPE:
        raise TuneloopError(f"work pool {pool!r} exists with type {existing.type!r}; tuneloop "
                            f"needs a {POOL_TYPE} pool of its own: choose another --pool")
    if existing is not None:
        pinned = _pinned_root(_pinned_command(existing))
        if pinned is None:
            raise TuneloopError(f"work pool {pool!r} exists and is not a tuneloop pool; choose "
                                "another --pool")
        if pinned != root.resolve():
            # Re-pinning would silently move another project's checks and re-tunes here.
            raise TuneloopError(f"work pool {pool!r} is pinned to another project ({pinned}); "
                                "choose another --pool")
    _check_deployments_free(client, root, pool)
    client.create_work_pool(WorkPoolCreate(
        name=pool, type=POOL_TYPE, base_job_template=base_job_template(root, params_file),
        description=f"tuneloop deployments pinned to {root.resolve()} ({params_file})"),
        overwrite=True)


def _check_deployments_free(client: Any, root: Path, pool: str) -> None:
    """The deployments' names are the same for every project (a run's trigger is read from
    them), so a server holds them for one project: refuse to take them over from another.
    Deployments served by a `serve()` process (no work pool) name no project the server can
    show: those are replaced, as `serve()` itself replaces them."""
    from prefect.exceptions import ObjectNotFound

    flows = {DRIFT_CHECK: pinned.scheduled_check_flow.name, RETUNE: pinned.retune_flow.name}
    for name, flow_name in flows.items():
        try:
            current = client.read_deployment_by_name(f"{flow_name}/{name}")
        except ObjectNotFound:
            continue
        other = current.work_pool_name
        if other in (None, pool):
            continue
        holder = _read_pool(client, other)
        holds = _pinned_root(_pinned_command(holder)) if holder is not None else None
        if holds is not None and holds != root.resolve():
            raise TuneloopError(f"deployment {flow_name}/{name} already serves another project "
                                f"(work pool {other!r}, pinned to {holds}); one Prefect server "
                                "per project")


def deploy(root: Path, params_file: str = PARAMS_FILE, pool: str = POOL) -> list[UUID]:
    """Create or update the pinned pool, then the two deployments on it; their ids."""
    from prefect.client.orchestration import get_client
    from prefect.runner.storage import LocalStorage
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise TuneloopError("PREFECT_API_URL is not set: a work pool lives on a Prefect server "
                            "its workers reach (prefect server start; prefect config set "
                            "PREFECT_API_URL=http://HOST:4200/api)")
    deployments = build(root, params_file)  # checks the params file first
    with get_client(sync_client=True) as client:
        _ensure_pool(client, root, params_file, pool)
    for deployment in deployments:
        # The worker's run starts in CODE_DIR and loads the flow from there, whatever the
        # directory this command was started in.
        deployment.storage = LocalStorage(str(CODE_DIR))
        deployment.entrypoint = f"{PINNED_FILE}:{deployment.entrypoint.rsplit(':', 1)[1]}"
    return [d.apply(work_pool_name=pool) for d in deployments]


def main(argv: list[str] | None = None) -> None:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="project directory")
    parser.add_argument("--params", default=PARAMS_FILE, help="params file under --root")
    parser.add_argument("--pool", default=POOL, help=f"work pool name (default {POOL})")
    args = parser.parse_args(argv)
    try:
        deploy(args.root, args.params, args.pool)
    except TuneloopError as exc:
        raise SystemExit(f"error: {exc}") from None
    except httpx.HTTPError as exc:
        raise SystemExit(f"error: Prefect API: {str(exc).splitlines()[0]}") from None
    print(f"{DRIFT_CHECK} and {RETUNE} deployed to work pool {args.pool!r}, pinned to "
          f"{args.root.resolve()} ({args.params}); start a worker: "
          f"prefect worker start --pool {args.pool}")


if __name__ == "__main__":
    main()
