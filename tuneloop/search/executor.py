"""Where trials run. The study runner only submits and waits; a flow can hand it Prefect's."""

from __future__ import annotations

import concurrent.futures as cf
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
