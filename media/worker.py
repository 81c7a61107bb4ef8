"""The frame worker: one thread owns the engine; each session has a one-frame slot.

A new frame replaces a session's unprocessed one (the replaced frame is answered as dropped and
counted), so when the engine is slower than the camera the delay stays one frame, never a queue.
Async callers await their frame's outcome without blocking the event loop. Sessions are served
in the order their frames arrived, so one busy session cannot starve another.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import numpy as np

from media.accounting import Accounting, DropReason
from media.heap import give_back
from models.engine import Engine, SourceFace, Stream, SwapResult

log = logging.getLogger(__name__)
T = TypeVar("T")

# One-off engine jobs (uploads, /detect, live sessions) waiting at once; each holds a decoded still
# (up to 2048 px a side, 12 MB), so the queue bounds that memory too. More get WorkerBusy.
MAX_PENDING_CALLS = 8
ERROR_LOG_EVERY = 100


class Status(Enum):
    DONE = "done"  # processed: see result (which may say no face was found)
    DROPPED = "dropped"  # replaced by a newer frame of the same session before processing
    ERROR = "error"  # the engine raised on this frame


@dataclass
class FrameOutcome:
    status: Status
    result: SwapResult | None = None
    error: str | None = None


@dataclass
class _Pending:
    frame: np.ndarray
    sources: list[SourceFace]
    future: asyncio.Future[FrameOutcome]
    loop: asyncio.AbstractEventLoop
    taken_at: float  # time.monotonic() when the frame arrived: the engine's landmark smoothing
    # reads frames' motion against it, not against when the worker got to the frame


def _resolve(fut: asyncio.Future[Any], value: Any = None, exc: BaseException | None = None) -> None:
    if fut.done():  # the caller gave up (cancelled) meanwhile
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(value)


def _post(loop: asyncio.AbstractEventLoop, fut: asyncio.Future[Any], value: Any = None,
          exc: BaseException | None = None) -> None:
    """Hand a result to the awaiting loop from any thread; a closed loop has no one waiting."""
    try:
        loop.call_soon_threadsafe(_resolve, fut, value, exc)
    except RuntimeError:
        pass


class WorkerBusy(RuntimeError):
    """Too many one-off jobs are waiting for the worker."""


class FrameWorker:
    """One thread that owns an engine: frames in per-session one-frame slots, one-off calls in a queue."""

    def __init__(self, engine: Engine, accounting: Accounting | None = None, name: str = "frame-worker",
                 close_engine: bool = True, index: int = 0) -> None:
        self.engine = engine
        self.accounting = accounting or Accounting()
        self.index = index  # its place in a pool (metrics label)
        self.name = name
        self.frames = 0  # engine passes done (written by the worker thread only)
        self.busy_seconds = 0.0  # time spent in the engine (written by the worker thread only)
        # the engine's CPU time in it, its threads beside the worker's counted: busy_seconds less
        # this is time the engine waited for a core or for the GIL, less what those threads
        # computed at the same time (written by the worker thread only)
        self.cpu_seconds = 0.0
        self.consecutive_errors = 0
        self._close_engine = close_engine  # False when the engine is shared (tests reuse one)
        self._cond = threading.Condition()
        self._slots: dict[str, _Pending] = {}  # insertion order = arrival order
        self._calls: deque[tuple[Callable[[], Any], asyncio.Future[Any], asyncio.AbstractEventLoop]] = deque()
        self._streams: dict[str, Stream] = {}  # touched only by the worker thread
        self._closing: set[str] = set()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._errors = 0  # engine failures, for rate-limited logging

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread; pending frames are answered as dropped, streams and engine closed."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def pending_calls(self) -> int:
        return len(self._calls)

    # -- API for the event loop --------------------------------------------------------------
    async def process(self, session_id: str, frame: np.ndarray, sources: list[SourceFace],
                      taken_at: float | None = None) -> FrameOutcome:
        """Swap `frame` for this session; resolves DROPPED if a newer frame replaces it first.
        `taken_at` (time.monotonic()) is when the frame arrived; by default, now."""
        taken_at = time.monotonic() if taken_at is None else taken_at
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[FrameOutcome] = loop.create_future()
        with self._cond:
            if self._stop:
                return FrameOutcome(Status.DROPPED)
            old = self._slots.pop(session_id, None)
            self._slots[session_id] = _Pending(frame, list(sources), fut, loop, taken_at)
            self._cond.notify()
        if old is not None:
            self.accounting.dropped(session_id, DropReason.SUPERSEDED)
            _post(old.loop, old.future, FrameOutcome(Status.DROPPED))
        return await fut

    async def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the worker thread (engine calls other than frames: sources, detection)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        with self._cond:
            if self._stop:
                raise RuntimeError("frame worker is stopped")
            if len(self._calls) >= MAX_PENDING_CALLS:
                raise WorkerBusy("too many requests are waiting for the engine")
            self._calls.append((fn, fut, loop))
            self._cond.notify()
        return await fut

    def close_session(self, session_id: str) -> None:
        """Forget a session: its pending frame is dropped, its stream closed on the worker."""
        with self._cond:
            pending = self._slots.pop(session_id, None)
            self._closing.add(session_id)
            self._cond.notify()
        if pending is not None:
            _post(pending.loop, pending.future, FrameOutcome(Status.DROPPED))

    # -- the worker thread --------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not (self._stop or self._slots or self._calls or self._closing):
                    self._cond.wait()
                if self._stop:
                    break
                closing, self._closing = self._closing, set()
                call = self._calls.popleft() if self._calls else None
                item = None
                if call is None and self._slots:
                    sid = next(iter(self._slots))
                    item = (sid, self._slots.pop(sid))
            for sid in closing:
                self._close_stream(sid)
            if call is not None:
                self._run_call(*call)
            if item is not None:
                self._run_frame(*item)
        self._shutdown()

    def _run_call(
        self, fn: Callable[[], Any], fut: asyncio.Future[Any], loop: asyncio.AbstractEventLoop
    ) -> None:
        try:
            value = fn()
        except BaseException as exc:  # handed to the awaiting caller, never kills the thread
            _post(loop, fut, None, exc)
        else:
            _post(loop, fut, value)

    def _run_frame(self, sid: str, pending: _Pending) -> None:
        t0, cpu0 = time.perf_counter(), time.thread_time()
        try:
            stream = self._streams.get(sid)
            if stream is None:
                stream = self._streams[sid] = self.engine.open_stream()
            result = stream.swap(pending.frame, pending.sources, pending.taken_at)
        except Exception as exc:
            ms, cpu_ms = self._count(t0, cpu0)
            self.consecutive_errors += 1
            self._log_engine_error(sid, exc)
            self.accounting.processed(sid, ms, swapped=False, error=True, worker=self.index, cpu_ms=cpu_ms)
            outcome = FrameOutcome(Status.ERROR, None, f"{type(exc).__name__}: {exc}")
        else:
            ms, cpu_ms = self._count(t0, cpu0, result.cpu_ms, result.beside_cpu_ms)
            self.consecutive_errors = 0
            self.accounting.processed(sid, ms, swapped=result.swapped, error=False, worker=self.index,
                                      cpu_ms=cpu_ms)
            outcome = FrameOutcome(Status.DONE, result, None)
        _post(pending.loop, pending.future, outcome)

    def _count(self, started: float, cpu_started: float, cpu_ms: float | None = None,
               beside_ms: float = 0.0) -> tuple[float, float]:
        """The frame's wall and CPU ms: the engine's thread's (`cpu_ms` where the engine measured
        it in its process, else this thread's) and `beside_ms`, its threads beside it
        (SwapResult.beside_cpu_ms)."""
        seconds = time.perf_counter() - started
        own = (time.thread_time() - cpu_started) if cpu_ms is None else cpu_ms / 1000
        cpu = own + beside_ms / 1000
        self.frames += 1
        self.busy_seconds += seconds
        self.cpu_seconds += cpu
        return seconds * 1000, cpu * 1000

    def _log_engine_error(self, sid: str, exc: Exception) -> None:
        # A broken engine fails on every frame, 30 a second: the first failure gets its traceback,
        # then one line per ERROR_LOG_EVERY failures.
        self._errors += 1
        if self._errors == 1:
            log.exception("engine failed on a frame of session %s", sid)
        elif self._errors % ERROR_LOG_EVERY == 0:
            log.warning("engine failed on %d frames so far; latest (session %s): %s: %s",
                        self._errors, sid, type(exc).__name__, exc)

    def _close_stream(self, sid: str) -> None:
        stream = self._streams.pop(sid, None)
        if stream is not None:
            try:
                stream.close()
            except Exception:
                log.exception("closing the stream of session %s failed", sid)
            give_back()  # what the stream's trackers and graphs freed

    def _shutdown(self) -> None:
        with self._cond:
            pending = list(self._slots.values())
            calls = list(self._calls)
            self._slots.clear()
            self._calls.clear()
        for p in pending:
            _post(p.loop, p.future, FrameOutcome(Status.DROPPED))
        for _, fut, loop in calls:
            _post(loop, fut, None, RuntimeError("frame worker stopped"))
        for sid in list(self._streams):
            self._close_stream(sid)
        if not self._close_engine:
            return
        try:
            self.engine.close()
        except Exception:
            log.exception("closing the engine failed")
