"""Trials as Prefect tasks: the study runner's executor when the loop runs as a flow.

By default a trial runs on the flow's task runner (threads). When params.yaml names a Dask
scheduler (`tune.dask_address`), the executor opens prefect-dask's DaskTaskRunner on that
cluster and trials fan out to its workers; torch trials are annotated to need one `GPU`
resource, so Dask places them only on workers started with `--resources GPU=1`.

On Dask the objective (and the pruner inside it) is copied to each worker: ASHA there decides
from the rung scores of the trials that had finished when it was submitted (the runner records
each finished trial's scores), not from trials still running elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import task
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture, as_completed
from prefect.utilities.annotations import quote

from tuneloop.families import needs_gpu


@task(name="trial", cache_policy=NONE)
def trial_task(fn: Callable[[Any], Any], spec: Any) -> Any:
    return fn(spec)


class PrefectTrialExecutor:
    """Submits each trial as a Prefect task: on the flow's runner, or on a Dask cluster."""

    def __init__(self, dask_address: str | None = None) -> None:
        self.dask_address = dask_address
        self._runner: Any = None

    def with_dask(self, address: str) -> PrefectTrialExecutor:
        """The same executor, fanning out to the Dask scheduler at `address`."""
        return PrefectTrialExecutor(dask_address=address)

    def _dask_runner(self) -> Any:
        if self._runner is None:
            from prefect_dask import DaskTaskRunner

            self._runner = DaskTaskRunner(address=self.dask_address)
            self._runner.__enter__()
        return self._runner

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> PrefectFuture:
        named = trial_task.with_options(task_run_name=f"trial-{arg.id}")
        if self.dask_address is None:
            # quote(): the objective holds DataFrames that Prefect need not walk or hash.
            return named.submit(quote(fn), quote(arg))
        import dask

        resources = {"GPU": 1} if needs_gpu(arg) else {}
        with dask.annotate(resources=resources) if resources else _nothing():
            # The runner's submit takes resolved parameters: no quote() wrappers here.
            return self._dask_runner().submit(named, {"fn": fn, "spec": arg})

    def wait_any(self, handles: list[PrefectFuture]) -> PrefectFuture:
        return next(as_completed(handles))

    def result(self, handle: PrefectFuture) -> Any:
        return handle.result()

    def close(self) -> None:
        """The flow owns its task runner; a Dask runner opened here is closed here."""
        if self._runner is not None:
            self._runner.__exit__(None, None, None)
            self._runner = None


def _nothing() -> Any:
    import contextlib

    return contextlib.nullcontext()
