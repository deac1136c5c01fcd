"""Where trials run. The study runner only submits and waits; a flow can hand it Prefect's."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from tuneloop.errors import TuneloopError


class ClusterLost(TuneloopError):
    """The cluster the trials run on is gone (scheduler unreachable, no worker left): the study
    stops with one line naming it; its journal keeps every finished trial for `--resume`."""


class TrialLost(Exception):  # noqa: N818 - what happened to the trial, like KilledWorker
    """A trial's worker died while running it: the cluster's failure, not the trial's."""


class TrialExecutor(Protocol):
    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Any: ...

    def wait_any(self, handles: list[Any]) -> Any:
        """Block until one handle is done; return it."""
        ...

    def result(self, handle: Any) -> Any:
        """The trial function's return value. Raises when the executor lost the trial (a dead
        worker, a cancelled task): the runner retries it like a failed trial, after `check`."""
        ...

    def close(self) -> None: ...

    # Optional: `check() -> None` raises ClusterLost when no trial can run any more.


class ThreadExecutor:
    """Default executor: a thread pool (LightGBM and torch release the GIL while they train)."""

    def __init__(self, n_workers: int) -> None:
        self._pool = cf.ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="trial")

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> cf.Future:
        return self._pool.submit(fn, arg)

    def wait_any(self, handles: list[cf.Future]) -> cf.Future:
        done, _ = cf.wait(handles, return_when=cf.FIRST_COMPLETED)
        return next(iter(done))

    def result(self, handle: cf.Future) -> Any:
        return handle.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Trials on a Dask cluster without a Prefect flow (the `python -m stages.tune` path when
    params.yaml names `tune.dask_address`). Each trial asks Dask for the resources `resources`
    gives it (tune.resources: a torch trial asks for a GPU by default).

    A trial function with a `shared` part (the runner's GuardedTrial: the objective and the
    training data it holds) has that part sent to each worker once per study (restarted and
    added workers too); each trial then carries only its spec and the pruner's current state.
    A trial whose worker died comes back from `result` as TrialLost, and its retry avoids that
    worker where another one can run it. With no worker for `no_worker_grace_s` seconds, or the
    scheduler unreachable, the study stops with ClusterLost."""

    def __init__(self, address: str,
                 resources: Callable[[Any], dict[str, float] | None] | None = None,
                 no_worker_grace_s: float = 120.0, poll_s: float = 2.0,
                 security: Any = None) -> None:
        from distributed import Client

        self.address = address
        try:
            # security: distributed.Security for a tls:// scheduler (None: plain tcp).
            self._client = Client(address, set_as_default=False, security=security)
        except OSError as exc:  # includes TimeoutError: nothing listens there
            raise ClusterLost(f"Dask scheduler at {address} is unreachable: {exc}") from None
        self._resources = resources or (lambda arg: None)
        self._watch = ClusterWatch(self._client, address, no_worker_grace_s, poll_s)
        self._done: set[Any] = set()
        self._resolved: dict[Any, tuple[Any]] = {}  # future key -> (its value,), read early
        self._changed = threading.Condition()
        self._shared: tuple[Any, str] | None = None  # (the shared object, its plugin name)
        self._trial_of: dict[Any, Any] = {}  # future key -> trial id
        self._avoid: dict[Any, set[str]] = {}  # trial id -> names of workers that died on it

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        resources = self._resources(arg)  # e.g. {"GPU": 1}: only workers that offer it
        placement: dict[str, Any] = {}
        avoid = self._avoid.get(getattr(arg, "id", None))
        if avoid:
            others = [addr for addr, w in self._workers().items()
                      if str(w.get("name")) not in avoid]
            if others:
                placement = {"workers": others, "allow_other_workers": True}
        shared = getattr(fn, "shared", None)
        # pure=False: a retried trial has the same arguments and must run again.
        if shared is not None:
            future = self._client.submit(call, fn.without_shared(),  # type: ignore[attr-defined]
                                         self._shipped(shared), arg, pure=False,
                                         resources=resources, **placement)
        else:
            future = self._client.submit(fn, arg, pure=False, resources=resources, **placement)
        self._trial_of[future.key] = getattr(arg, "id", None)
        future.add_done_callback(self._on_done)
        return future

    def _shipped(self, shared: Any) -> str:
        """The name under which every worker, present or future, holds `shared` (ship)."""
        if self._shared is None or self._shared[0] is not shared:
            # The scheduler must answer first: registering waits for it without a limit.
            self.check()
            self._forget_shared()
            self._shared = (shared, ship(self._client, shared))
        return self._shared[1]

    def _forget_shared(self) -> None:
        if self._shared is not None:
            name, self._shared = self._shared[1], None
            unship(self._client, name)

    def _on_done(self, future: Any) -> None:
        # Read here, on Dask's callback thread: reading even a finished future waits for the
        # client's event loop, and the runner, whom every trial slot waits on, need not. Only a
        # finished one, with a timeout: one thread runs every callback of the process, and a
        # cancelled future's result() at the client's close can wait on a loop that is gone.
        # Anything else (an error, a lost trial) the runner reads itself, as before.
        value = read_finished(future)
        with self._changed:
            self._done.add(future)
            if value is not None:
                self._resolved[future.key] = value
            self._changed.notify_all()

    def wait_any(self, handles: list[Any]) -> Any:
        # One callback per future, registered at submit; distributed.wait() would need a
        # default client, and this one is private to the study.
        return self._watch.wait_any(handles, self._done, self._changed)

    def result(self, handle: Any) -> Any:
        from distributed import KilledWorker

        trial = self._trial_of.pop(handle.key, None)
        with self._changed:
            resolved = self._resolved.pop(handle.key, None)
        try:
            return resolved[0] if resolved is not None else self._watch.awaited(handle)
        except KilledWorker as exc:
            worker = exc.last_worker
            name = str(getattr(worker, "name", getattr(worker, "address", "?")))
            self._avoid.setdefault(trial, set()).add(name)
            raise TrialLost(f"Dask worker {getattr(worker, 'address', name)} died while "
                            f"running trial {trial} (KilledWorker)") from None
        finally:
            handle.release()

    def check(self) -> None:
        """Raise ClusterLost unless the scheduler answers and has (or soon gets) a worker."""
        self._watch.check()

    def _workers(self) -> dict[str, Any]:
        return self._watch.workers()

    def close(self) -> None:
        import logging

        if self._client.status == "running":
            self._forget_shared()
        self._shared = None
        with self._changed:
            self._done.clear()
            self._resolved.clear()
        # A client that lost its scheduler logs its cancelled reconnect as a traceback; the
        # study has already said in one line what happened.
        log = logging.getLogger("distributed.client")
        level = log.level
        if self._client.status != "running":
            log.setLevel(logging.CRITICAL)
        try:
            self._client.close(timeout=max(5.0, 2 * self._watch.poll_s))
        finally:
            log.setLevel(level)


class ClusterWatch:
    """Whether a Dask cluster can still run a trial, for an executor waiting on it: a future
    whose worker left waits for a recompute that no worker will run, so every wait is a poll
    at a time, asking the scheduler between polls. No worker for `grace_s` seconds, or a
    scheduler that does not answer, is ClusterLost naming the address. DaskExecutor and the
    flow's Prefect executor on Dask (flows/trials.py) both wait through one."""

    def __init__(self, client: Any, address: str, grace_s: float = 120.0,
                 poll_s: float = 2.0) -> None:
        self.client, self.address = client, address
        self.grace_s, self.poll_s = grace_s, poll_s

    def wait_any(self, handles: list[Any], done: set[Any],
                 changed: threading.Condition) -> Any:
        """The first of `handles` in `done` (filled under `changed` by done callbacks, which
        notify it), removed from it. The caller must not hold `changed` already: it is
        released while the scheduler is asked."""
        idle_since: float | None = None
        with changed:
            while True:
                for handle in handles:
                    if handle in done:
                        done.discard(handle)
                        return handle
                changed.wait(self.poll_s)
                if any(h in done for h in handles):
                    continue
                # Nothing finished within a poll: is there still a cluster to finish it?
                changed.release()
                try:
                    idle_since = self._idle(idle_since)
                finally:
                    changed.acquire()

    def awaited(self, future: Any) -> Any:
        """The Dask future's result, waited for a poll at a time while the cluster has a
        worker (a test run under load hung 11 minutes in `result()` after `scale(0)`)."""
        idle_since: float | None = None
        while True:
            try:
                return future.result(timeout=self.poll_s)
            except TimeoutError:
                pass
            idle_since = self._idle(idle_since)

    def _idle(self, since: float | None) -> float | None:
        """Since when the cluster has had no worker (None: it has one now), asked once; past
        the grace, asked once more for a grace (check): ClusterLost in its words if the
        scheduler is gone or still has no worker, back to waiting if one came."""
        try:
            workers = len(self.workers())
        except ClusterLost:
            # A scheduler slow to answer under load is no answer yet: counted as no worker
            # until the grace runs out (the review: one slow reply failed a trial that had
            # finished, and, waiting for any trial, stopped the study).
            workers = 0
        now = time.monotonic()
        since = None if workers else (since or now)
        if since is not None and now - since >= self.grace_s:
            self.check()
            return None
        return since

    def check(self) -> None:
        """Raise ClusterLost unless the scheduler answers and has (or soon gets) a worker."""
        deadline = time.monotonic() + self.grace_s
        while not self.workers():
            if time.monotonic() >= deadline:
                raise self.no_worker_left()
            time.sleep(min(self.poll_s, self.grace_s))

    def no_worker_left(self) -> ClusterLost:
        return ClusterLost(f"Dask cluster at {self.address}: no worker left for "
                           f"{self.grace_s:g} s; resume the study when workers are back")

    def workers(self) -> dict[str, Any]:
        """The scheduler's workers, asked now; ClusterLost when it does not answer."""
        client = self.client
        try:
            if client.status not in ("running", "connecting"):
                raise OSError(f"client {client.status}")
            info = client.sync(client.scheduler.identity, n_workers=-1,
                               callback_timeout=max(5.0, 2 * self.poll_s))
        except Exception as exc:  # noqa: BLE001 - whatever it is, the scheduler is not there
            raise ClusterLost(f"Dask scheduler at {self.address} is unreachable "
                              f"({type(exc).__name__}: {exc})"[:300]) from None
        return dict(info.get("workers", {}))


def read_finished(future: Any, timeout_s: float = 10.0) -> tuple[Any] | None:
    """(the value,) of a Dask future that finished without error, read with a timeout; None
    for any other (errored, cancelled, lost, or not readable in time): its reader gets the
    answer, or the error, from the future itself."""
    if getattr(future, "status", None) != "finished":
        return None
    try:
        return (future.result(timeout=timeout_s),)
    except Exception:  # noqa: BLE001 - the runner's own read says what went wrong
        return None


def ship(client: Any, value: Any) -> str:
    """Send `value` to every worker of `client`'s cluster, present or future, once; return the
    name a task looks it up by (`shipped`). A worker plugin, not client.scatter: a scattered
    object is a dependency, and Dask would place trials only on workers that hold it, never on
    a restarted or added one."""
    from distributed import WorkerPlugin

    class Shared(WorkerPlugin):  # pickled by value: workers need not import tuneloop
        def __init__(self, value: Any) -> None:
            self.value = value

    name = f"tuneloop-shared-{uuid.uuid4().hex}"
    client.register_plugin(Shared(value), name=name)
    return name


def unship(client: Any, name: str) -> None:
    with contextlib.suppress(Exception):  # a worker that is gone has forgotten it
        client.unregister_worker_plugin(name)


def shipped(name: str) -> Any:
    """On a Dask worker: the value shipped under `name`. Raised outside the trial when missing,
    so the runner retries the trial as a lost one."""
    from distributed import get_worker

    plugin = get_worker().plugins.get(name)
    if plugin is None:
        raise LookupError(f"this worker has not got the study's objective ({name})")
    return plugin.value  # type: ignore[attr-defined]


class SharedCall:
    """`fn(arg)` on a Dask worker for a trial function whose shared part was shipped under
    `shared`: what a Prefect task on Dask runs (flows/trials.py), so the objective and its data
    reach each worker once per study instead of with every trial."""

    __name__ = "call"

    def __init__(self, fn: Any, shared: str) -> None:
        self.fn, self.shared = fn, shared

    def __call__(self, arg: Any) -> Any:
        return call(self.fn, self.shared, arg)


def call(fn: Any, shared: str, arg: Any) -> Any:
    """A trial on a Dask worker, its shared part already there (DaskExecutor._shipped). Named
    `call` like the runner's trial function: the scheduler shows trials under that prefix."""
    return fn.run(shipped(shared), arg)
