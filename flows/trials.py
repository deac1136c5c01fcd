"""Trials as Prefect tasks: the study runner's executor when the loop runs as a flow.

By default a trial runs on the flow's task runner (threads). When params.yaml names a Dask
scheduler (`tune.dask_address`), the executor opens prefect-dask's DaskTaskRunner on that
cluster and trials fan out to its workers; torch trials are annotated to need one `GPU`
resource, so Dask places them only on workers started with `--resources GPU=1`. Each trial's
task run is named `trial-<number>` and ends Completed, Pruned or Failed, as the trial did.

On Dask the objective (and the pruner inside it) is copied to each worker: ASHA there decides
from the rung scores of the trials that had finished when it was submitted (the runner records
each finished trial's scores), not from trials still running elsewhere.

What a trial costs the flow (bench/scale.py): on Dask, each trial is submitted as
prefect-dask's client would (the task engine runs it on the worker under the flow's context),
except that the flow's context is serialized once per study, not per trial (that alone was
50-300 ms a trial), and, like the objective and its data, reaches each worker once; keys are
not hashed from the arguments. On either runner, one done-callback per trial (not one per
running trial at every wait), and a completed trial's result is read from its state directly.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from prefect import task
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture
from prefect.states import Completed, Failed
from prefect.utilities.annotations import quote


@task(name="trial", cache_policy=NONE, task_run_name="trial-{spec.id}")
def trial_task(fn: Callable[[Any], Any], spec: Any) -> Any:
    # The trial function says its values in the metric's words (GuardedTrial.describe; on
    # Dask it is wrapped in a SharedCall).
    describe = getattr(fn, "describe", None) or getattr(getattr(fn, "fn", None), "describe",
                                                        None)
    return as_state(fn(spec), describe)


def as_state(outcome: Any, describe: Callable[[float], str] | None = None) -> Any:
    """The trial's task run ends as the trial did: Completed, Pruned (a Completed state named so,
    as the UI shows it) or Failed with the trial's error as its message. The trial never raises
    (the runner's GuardedTrial): a failed one returns its outcome like any other, and every
    state carries the outcome as its result, so the study reads it (`result`) and decides
    retries and pruning exactly as before."""
    status = getattr(outcome, "status", None)
    if status == "pruned":
        # In the metric's own terms (sweep 51c F1: a log loss trial read "score -0.939").
        score = outcome.value if outcome.value is None or describe is None \
            else describe(outcome.value)
        return Completed(name="Pruned", data=outcome,
                         message=f"pruned at rung {outcome.rung} ({score})" if describe
                         else f"pruned at rung {outcome.rung} (score {score})")
    if status == "failed":
        return Failed(data=outcome, message=str(outcome.error or "failed")[:1000])
    return outcome


class TrialFinishedLine(logging.Filter):
    """Drops Prefect's own "Finished in state ..." line of each trial task run, and its "Task
    run failed with state: ..." for a trial that failed (which it logs as an error with an
    empty traceback, "NoneType: None", and the whole outcome): the study prints one line per
    trial already (number, state, score or error, best so far, duration). The state itself,
    with the trial's error as its message, still reaches the API and the UI (the UI's log view
    no longer repeats it; the full error is in the journal and the trial's MLflow run); a trial
    task that raised (outside the trial: an infrastructure error) is still logged with its
    traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (getattr(record, "task_name", None) == trial_task.name
                    and str(record.msg).startswith(("Finished in state",
                                                    "Task run failed with state")))


def quiet_trial_states() -> None:
    logger = logging.getLogger("prefect.task_runs")
    if not any(isinstance(f, TrialFinishedLine) for f in logger.filters):
        logger.addFilter(TrialFinishedLine())


class PrefectTrialExecutor:
    """Submits each trial as a Prefect task: on the flow's runner, or on a Dask cluster."""

    def __init__(self, dask_address: str | None = None,
                 resources: Callable[[Any], dict[str, float] | None] | None = None,
                 security: Any = None, no_worker_grace_s: float = 120.0,
                 poll_s: float = 2.0) -> None:
        self.dask_address = dask_address
        self._grace_s, self._poll_s = no_worker_grace_s, poll_s
        self._watch: Any = None  # executor.ClusterWatch on the runner's client, once opened
        self._resources = resources or (lambda arg: None)  # tune.resources, per trial
        self._security = security  # distributed.Security for a tls:// scheduler
        self._runner: Any = None
        self._done: set[Any] = set()
        self._resolved: dict[Any, tuple[Any]] = {}  # future -> (its final state,), read early
        self._changed = threading.Condition()
        self._shared: tuple[Any, str] | None = None  # (the objective, its shipped name)
        self._context: str | None = None  # the flow's context, shipped to the workers
        quiet_trial_states()

    def __reduce__(self) -> tuple[Any, ...]:
        # A stage task's parameters hold the executor, and Prefect ships the stage's context
        # (parameters included) to Dask workers: only the address travels, not its state.
        return (type(self), (self.dask_address,))

    def with_dask(self, address: str,
                  resources: Callable[[Any], dict[str, float] | None] | None = None,
                  security: Any = None) -> PrefectTrialExecutor:
        """The same executor, fanning out to the Dask scheduler at `address`."""
        return PrefectTrialExecutor(dask_address=address, resources=resources,
                                    security=security, no_worker_grace_s=self._grace_s,
                                    poll_s=self._poll_s)

    def _dask_runner(self) -> Any:
        if self._runner is None:
            from prefect_dask import DaskTaskRunner

            self._runner = DaskTaskRunner(
                address=self.dask_address,
                client_kwargs={"security": self._security} if self._security else None)
            self._runner.__enter__()
            from tuneloop.search.executor import ClusterWatch

            self._watch = ClusterWatch(self._runner.client, self.dask_address, self._grace_s,
                                       self._poll_s)
        return self._runner

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> PrefectFuture:
        if self.dask_address is None:
            # quote(): the objective holds DataFrames that Prefect need not walk or hash.
            future = trial_task.submit(quote(fn), quote(arg))
        else:
            future = self._submit_to_dask(fn, arg)
        future.add_done_callback(self._on_done)
        return future

    def _submit_to_dask(self, fn: Callable[[Any], Any], arg: Any) -> PrefectFuture:
        """prefect_dask.PrefectDaskClient.submit for a trial, with the flow's context and the
        objective shipped to the workers once per study."""
        from distributed import Client
        from prefect.context import AssetContext, serialize_context
        from prefect_dask.task_runners import PrefectDaskFuture

        from tuneloop.search.executor import SharedCall, ship

        client = self._dask_runner().client
        if self._context is None:
            self._context = f"tuneloop-flow-context-{uuid.uuid4().hex}"
            client.register_plugin(_flow_context_plugin()(serialize_context()),
                                   name=self._context)
        shared = getattr(fn, "shared", None)
        if shared is not None:
            if self._shared is None or self._shared[0] is not shared:
                self._forget_shared()
                self._shared = (shared, ship(client, shared))
            fn = SharedCall(fn.without_shared(), self._shared[1])  # type: ignore[attr-defined]
        task_run_id = uuid.uuid4()
        dependencies: dict[str, set[Any]] = {"fn": set(), "spec": set()}
        assets = AssetContext.from_task_and_inputs(task=trial_task, task_run_id=task_run_id,
                                                   task_inputs=dependencies,
                                                   copy_to_child_ctx=True).serialize()
        # pure=False: a retried trial has the same arguments and must run again; and hashing
        # the arguments for a key cost more than the trial's whole submission.
        future = Client.submit(
            client, run_on_worker, self._context, assets, pure=False,
            key=f"trial-{arg.id}-{task_run_id.hex}",
            resources=self._resources(arg),
            task=trial_task, task_run_id=task_run_id, parameters={"fn": fn, "spec": arg},
            wait_for=None, return_type="state", dependencies=dependencies)
        future.task_run_id = task_run_id
        return PrefectDaskFuture(wrapped_future=future, task_run_id=task_run_id)

    def _on_done(self, future: PrefectFuture) -> None:
        resolved = None
        if self.dask_address is not None:
            # On Dask's callback thread, not the runner's: reading a finished Dask future
            # still waits for the client's event loop, half the runner's time per trial at
            # 64 workers (bench/scale.py), and every trial slot waits on the runner. Only a
            # finished one, with a timeout (executor.read_finished); the rest the runner reads.
            from tuneloop.search.executor import read_finished

            resolved = read_finished(future.wrapped_future)  # type: ignore[attr-defined]
        with self._changed:
            self._done.add(future)
            if resolved is not None:
                self._resolved[future] = resolved
            self._changed.notify_all()

    def wait_any(self, handles: list[PrefectFuture]) -> PrefectFuture:
        # One callback per trial, registered at submit (prefect's as_completed would add one
        # to every running trial at each call, and Dask runs each of them when it ends).
        if self._watch is not None:
            # On Dask, a trial whose worker left waits for one that may never come: a poll at
            # a time, and ClusterLost when the cluster has had no worker for the grace.
            return self._watch.wait_any(handles, self._done, self._changed)
        with self._changed:
            while True:
                for handle in handles:
                    if handle in self._done:
                        self._done.discard(handle)
                        return handle
                self._changed.wait()

    def result(self, handle: PrefectFuture) -> Any:
        from prefect.results import ResultRecord

        from tuneloop.search.executor import ClusterLost

        with self._changed:
            resolved = self._resolved.pop(handle, None)
        try:
            wrapped = handle.wrapped_future  # type: ignore[attr-defined]
            state = resolved[0] if resolved is not None else (
                wrapped.result() if self._watch is None else self._watch.awaited(wrapped))
        except ClusterLost:
            raise
        except BaseException:
            return handle.result()  # raises what prefect's future raises
        # The trial's outcome, without State.result's detour through the event loop: from a
        # Completed (or Pruned) state, and from a Failed one that the trial returned (as_state),
        # not one that an exception outside the trial caused (that raises below).
        data = getattr(state, "data", None)
        if isinstance(data, ResultRecord) and (state.is_completed() or (
                state.is_failed() and not isinstance(data.result, BaseException))):
            return data.result
        return handle.result()

    def check(self) -> None:
        """On Dask: raise ClusterLost unless the scheduler answers and has (or soon gets) a
        worker (the runner asks after a lost trial). On the flow's own runner: nothing to ask."""
        if self._watch is not None:
            self._watch.check()

    def _forget_shared(self) -> None:
        from tuneloop.search.executor import unship

        if self._shared is not None:
            name, self._shared = self._shared[1], None
            unship(self._runner.client, name)

    def close(self) -> None:
        """The flow owns its task runner; a Dask runner opened here is closed here."""
        if self._runner is not None:
            from tuneloop.search.executor import unship

            try:
                if self._runner.client.status == "running":
                    self._forget_shared()
                    if self._context is not None:
                        unship(self._runner.client, self._context)
            finally:
                self._shared = self._context = None
                self._runner.__exit__(None, None, None)
                self._runner = self._watch = None
                with self._changed:
                    self._done.clear()
                    self._resolved.clear()


@functools.cache
def _flow_context_plugin() -> Any:
    """The FlowContext worker plugin class (distributed imported only when trials use Dask; a
    class made here is pickled by value, as executor.ship's is)."""
    from distributed import WorkerPlugin

    class FlowContext(WorkerPlugin):
        """The flow's context on a Dask worker, for the study's trials there. prefect_dask
        ships it with every task, and the task engine rebuilds it for each (settings read again
        from the environment, a new API client with its TLS context: ~0.2 s of CPU a trial);
        here it is shipped once and rebuilt once per worker with prefect's own
        `hydrated_context`, and each trial runs in a copy of it. Removing the plugin (the
        study's end) closes it."""

        def __init__(self, serialized: dict[str, Any]) -> None:
            self.serialized = serialized
            self._lock = threading.Lock()
            self._hydrated: tuple[contextvars.Context, ExitStack] | None = None

        def __getstate__(self) -> dict[str, Any]:
            return {"serialized": self.serialized}

        def __setstate__(self, state: dict[str, Any]) -> None:
            self.__init__(state["serialized"])  # type: ignore[misc]

        def context(self) -> contextvars.Context:
            """A copy of the hydrated context for one trial (hydrated at the first)."""
            with self._lock:
                if self._hydrated is None:
                    context, stack = contextvars.copy_context(), ExitStack()
                    context.run(self._enter, stack)
                    self._hydrated = (context, stack)
                return self._hydrated[0].copy()

        def _enter(self, stack: ExitStack) -> None:
            from prefect.context import SyncClientContext, hydrated_context

            try:
                stack.enter_context(hydrated_context(self.serialized))
                stack.enter_context(SyncClientContext.get_or_create())
            except BaseException:
                stack.close()
                raise

        def teardown(self, worker: Any) -> None:
            with self._lock:
                hydrated, self._hydrated = self._hydrated, None
            if hydrated is not None:
                with contextlib.suppress(Exception):
                    hydrated[0].run(hydrated[1].close)

    return FlowContext


def run_on_worker(context: str, assets: dict[str, Any], **run: Any) -> Any:
    """A trial's task run on a Dask worker, as prefect_dask's client wraps it: the task engine
    under the flow's context (FlowContext) and this trial's asset context."""
    from distributed import get_worker

    plugin = get_worker().plugins.get(context)
    if plugin is None:  # raised outside the trial: the runner retries it as a lost trial
        raise LookupError(f"this worker has not got the flow's context ({context})")
    return plugin.context().run(_run_task, assets, run)  # type: ignore[attr-defined]


def _run_task(assets: dict[str, Any], run: dict[str, Any]) -> Any:
    from prefect.context import AssetContext
    from prefect.task_engine import run_task_sync

    with AssetContext(**assets):
        return run_task_sync(**run)
