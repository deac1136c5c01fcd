"""One LightGBM thread count at a time in a process.

LightGBM keeps the thread count of its parallel regions in one process-wide variable, set by
every call that carries `num_threads` (booster and dataset creation, predict): a predict with
two threads started while a one-thread trial was training resized regions whose buffers the
trial had sized for one thread, and the process died with a segmentation fault (seen in a full
test run and the scale bench; a loop of one-thread fits beside a default-thread predict crashes
within seconds). So every LightGBM call in tuneloop goes through this gate: calls with the same
thread count run together (the parallel trials of a study), a call with another count waits
until they are done, and a prediction joins whatever count is running.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ThreadGate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count: int | None = None
        self._users = 0
        self._others_waiting = 0
        self._mine = threading.local()

    @contextmanager
    def training(self, threads: int) -> Iterator[int]:
        """Hold `threads` as the process's LightGBM thread count while the block runs."""
        held = getattr(self._mine, "count", None)
        if held is not None:
            # Nested in this thread's own hold: waiting for a change would wait for itself.
            yield held
            return
        with self._cond:
            # A caller that wants another count is let in first once the current users are
            # done: without that, a steady stream of same-count trials would starve it.
            waiting = bool(self._users) and self._count != threads
            self._others_waiting += waiting
            try:
                while not self._may_enter(threads, waiting):
                    self._cond.wait()
            finally:
                self._others_waiting -= waiting
            if not self._users:
                self._count = threads
            self._users += 1
            self._cond.notify_all()
        self._mine.count = self._count
        try:
            yield self._count  # type: ignore[misc]
        finally:
            self._mine.count = None
            with self._cond:
                self._users -= 1
                if not self._users:
                    self._cond.notify_all()

    def _may_enter(self, threads: int, waiting: bool) -> bool:
        if not self._users:
            return waiting or not self._others_waiting
        return self._count == threads and (waiting or not self._others_waiting)

    @contextmanager
    def predicting(self, default: int) -> Iterator[int]:
        """The thread count a prediction must use: the running one, or `default` when idle."""
        held = getattr(self._mine, "count", None)
        if held is not None:
            yield held
            return
        with self._cond:
            threads = self._count if self._users else default
        with self.training(threads) as count:
            yield count


GATE = ThreadGate()
