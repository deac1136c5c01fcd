"""Trials as Prefect tasks: the study runner's executor when the loop runs as a flow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import task
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture, as_completed
from prefect.utilities.annotations import quote


@task(name="trial", cache_policy=NONE)
def trial_task(fn: Callable[[Any], Any], spec: Any) -> Any:
    return fn(spec)


class PrefectTrialExecutor:
    """Submits each trial to the flow's task runner (threads by default, Dask when configured)."""

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> PrefectFuture:
        # quote(): the objective holds DataFrames that Prefect need not walk or hash.
        named = trial_task.with_options(task_run_name=f"trial-{arg.id}")
        return named.submit(quote(fn), quote(arg))

    def wait_any(self, handles: list[PrefectFuture]) -> PrefectFuture:
        return next(as_completed(handles))

    def result(self, handle: PrefectFuture) -> Any:
        return handle.result()

    def close(self) -> None:
        """Nothing to release: the flow owns its task runner."""
