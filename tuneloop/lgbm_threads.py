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
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class ThreadGate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count: int | None = None
        self._users = 0
        self._waiting: dict[int, int] = {}  # ticket (arrival order) -> the count it waits for
        self._next_ticket = 0
        self._mine = threading.local()

    @contextmanager
    def training(self, threads: int) -> Iterator[int]:
        """Hold `threads` as the process's LightGBM thread count while the block runs."""
        with self._hold(lambda: threads) as count:
            yield count

    @contextmanager
    def predicting(self, default: int) -> Iterator[int]:
        """The thread count a prediction must use: the running one, or `default` when idle.
        Read and joined under one lock: a count read first could be stale by the time it is
        asked for, and would then force a change."""
        with self._hold(lambda: self._count if self._users else default) as count:
            yield count

    @contextmanager
    def _hold(self, wanted: Callable[[], int | None]) -> Iterator[int]:
        held = getattr(self._mine, "count", None)
        if held is not None:
            # Nested in this thread's own hold: waiting for a change would wait for itself.
            yield held
            return
        with self._cond:
            count = self._enter(wanted())  # type: ignore[arg-type]
        yield from self._held(count)

    def _enter(self, threads: int) -> int:
        """Wait (holding the condition's lock) until `threads` may run; count in as a user.
        Waiters are served in arrival order: when the running users are done the oldest
        waiter sets the count, and a caller may join a running count only while no one
        who came before it waits for another count (otherwise a steady stream of same-count
        trials would starve a refit)."""
        ticket = None
        try:
            while not self._may_enter(threads, ticket):
                if ticket is None:
                    ticket = self._next_ticket
                    self._next_ticket += 1
                    self._waiting[ticket] = threads
                self._cond.wait()
        finally:
            if ticket is not None:
                del self._waiting[ticket]
                self._cond.notify_all()  # one leaving by an exception may be next in line
        if not self._users:
            self._count = threads
        self._users += 1
        self._cond.notify_all()
        return threads

    def _may_enter(self, threads: int, ticket: int | None) -> bool:
        before = [count for t, count in self._waiting.items() if ticket is None or t < ticket]
        if not self._users:
            return not before
        return self._count == threads and all(count == threads for count in before)

    def _held(self, count: int) -> Iterator[int]:
        self._mine.count = count
        try:
            yield count
        finally:
            self._mine.count = None
            with self._cond:
                self._users -= 1
                if not self._users:
                    self._cond.notify_all()


GATE = ThreadGate()
