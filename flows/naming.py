"""Flow-run names, one scheme for every tuneloop flow: `<project>-<trigger>-<UTC yyyymmdd-HHMM>`
(tuneloop.run_summary.run_name), instead of Prefect's random two words. The trigger is read
per run (tuneloop.trigger: manual, or the deployment that started it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tuneloop import trigger
from tuneloop.run_summary import run_name


def named_after(project: Callable[[dict[str, Any]], str]) -> Callable[[], str]:
    """A `flow_run_name` callable; `project` gives the project's directory from the run's
    parameters (Prefect calls it as the run starts, inside the run's context)."""

    def name() -> str:
        from prefect.runtime import flow_run

        folder = Path(project(flow_run.parameters)).resolve().name
        return run_name(folder, trigger.current(), datetime.now(UTC))

    return name


# The flows that take the project as their `root` parameter.
from_root = named_after(lambda parameters: str(parameters.get("root", ".")))
