"""Where trials run. The study runner only submits and waits; a flow can hand it Prefect's."""

from __future__ import annotations

import concurrent.futures as cf
import threading
from collections.abc import Callable
from typing import Any, Protocol


class TrialExecutor(Protocol):
    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Any: ...

    def wait_any(self, handles: list[Any]) -> Any:
        """Block until one handle is done; return it."""
        ...

    def result(self, handle: Any) -> Any: ...

    def close(self) -> None: ...


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
    params.yaml names `tune.dask_address`). Trials whose params need a GPU ask Dask for one."""

    def __init__(self, address: str, needs_gpu: Callable[[Any], bool] | None = None) -> None:
        from distributed import Client

        self._client = Client(address, set_as_default=False)
        self._needs_gpu = needs_gpu or (lambda arg: False)

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        resources = {"GPU": 1} if self._needs_gpu(arg) else None
        # pure=False: a retried trial has the same arguments and must run again.
        return self._client.submit(fn, arg, pure=False, resources=resources)

    def wait_any(self, handles: list[Any]) -> Any:
        # distributed.wait() needs a default client; this one is private to the study.
        finished: list[Any] = []
        event = threading.Event()

        def on_done(future: Any) -> None:
            finished.append(future)
            event.set()

        for handle in handles:
            handle.add_done_callback(on_done)
        event.wait()
        return finished[0]

    def result(self, handle: Any) -> Any:
        return handle.result()

    def close(self) -> None:
        self._client.close()
