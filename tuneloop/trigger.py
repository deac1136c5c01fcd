"""What started this run: one word shared by MLflow run names, tags, logs and the history.

manual      a `tuneloop run` / an ad hoc flow run
schedule    the scheduled drift-check deployment
drift       the re-tune deployment, started by a drift decision's event
experiment  `dvc exp run` (its runs never touch the registry's aliases)
dvc         `dvc repro`
cli         a stage run by hand (`python -m stages.tune`)
"""

from __future__ import annotations

import os

# The deployments' names (deployments/deployments.py uses these): the trigger is read from them.
DRIFT_CHECK = "drift-check"
RETUNE = "retune-on-drift"



def current() -> str:
    """The trigger of the run this code is part of (read per flow run, so a server running
    several at once names each right)."""
    try:
        from prefect.runtime import deployment, flow_run

        if flow_run.id:
            # Read from the deployment that started the run: a run of the drift-check
            # deployment started by hand in the UI also reads "schedule" (see README).
            if not deployment.id:
                return "manual"
            return "drift" if deployment.name == RETUNE else "schedule"
    except Exception:  # noqa: BLE001 - no Prefect context: not a flow run
        pass
    from tuneloop import experiments

    if experiments.current() is not None:
        return "experiment"
    return "dvc" if os.environ.get("DVC_STAGE") else "cli"  # DVC sets it for a stage's cmd
