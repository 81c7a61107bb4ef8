"""A thread of a stream's own, for model work that can run beside the caller's.

mediapipe leaves the GIL while its graphs run, so the hand models or the face detector can read a
frame on another core while the caller reads the face's landmarks. That only pays where the
process may run on more than one core: pinned to one (`bench.engine`'s default), the face
detector's looks on a thread of their own cost 0.4-1.3 ms more a frame on average, the two
threads taking turns on the core. There the work runs on the caller's thread, as it comes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class Beside:
    """Runs work on a thread of its own (made on first use) where `threaded`; else on the caller's."""

    def __init__(self, name: str, threaded: bool | None = None) -> None:
        """`threaded`: None, where the process may run on more than one core (cores)."""
        self.name = name
        self.threaded = cores() > 1 if threaded is None else threaded
        self._pool: ThreadPoolExecutor | None = None
        # CPU seconds the work took on the thread: the caller's own thread clock does not see them
        self.cpu_seconds = 0.0

    def submit(self, fn: Callable[..., T], *args: object) -> Future[T]:
        """`fn(*args)` started on the thread, or done on the caller's, its outcome in the future."""
        if not self.threaded:
            done: Future[T] = Future()
            try:
                done.set_result(fn(*args))
            except BaseException as exc:  # handed to whoever takes the result, as the thread would
                done.set_exception(exc)
            return done
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix=self.name)
        return self._pool.submit(self._timed, fn, *args)

    def _timed(self, fn: Callable[..., T], *args: object) -> T:
        started = time.thread_time()
        try:
            return fn(*args)
        finally:
            self.cpu_seconds += time.thread_time() - started

    def close(self) -> None:
        """Waits for what was started, and ends the thread."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
