"""A pool of engine workers: one thread and one engine each, so sessions use more than one core.

A session is pinned to one worker for its life: its engine stream (the face tracker, the landmark
smoothing, the face-to-source assignment) lives in that worker's engine and must stay there. New
sessions go to the least loaded healthy worker. Each worker keeps today's guarantees on its own:
one frame slot per session (latest frame wins) and sessions served in arrival order.

A worker fails alone: if its thread dies, or its engine fails on every frame for a while, the pool
stops placing sessions there and moves the ones it had to a healthy worker (their streams start
afresh there: the tracker finds the faces again within a few frames).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from media.accounting import Accounting
from media.worker import FrameOutcome, FrameWorker, Status
from models.engine import Engine, SourceFace

log = logging.getLogger(__name__)
T = TypeVar("T")

# A worker whose engine failed on this many frames in a row is retired (one second at 30 fps).
FAILURES_TO_RETIRE = 30


class WorkerPool:
    def __init__(self, engines: Sequence[Engine], accounting: Accounting, close_engines: bool = True) -> None:
        if not engines:
            raise ValueError("a pool needs at least one engine")
        self.accounting = accounting
        self.workers = [FrameWorker(engine, accounting, name=f"frame-worker-{i}", close_engine=close_engines,
                                    index=i) for i, engine in enumerate(engines)]
        self._pinned: dict[str, FrameWorker] = {}
        self._retired: set[int] = set()

    @property
    def engine(self) -> Engine:
        """The first worker's engine: what every worker runs (name, provider, model files)."""
        return self.workers[0].engine

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    @property
    def alive(self) -> bool:
        return any(self._healthy(w) for w in self.workers)

    # -- placement -------------------------------------------------------------------------------
    def _healthy(self, worker: FrameWorker) -> bool:
        return worker.alive and worker.index not in self._retired

    def sessions_on(self, worker: FrameWorker) -> int:
        return sum(1 for w in self._pinned.values() if w is worker)

    def worker_for(self, session_id: str) -> FrameWorker:
        """The worker a session is pinned to, placing it on the least loaded one the first time
        (or again, when its worker failed)."""
        worker = self._pinned.get(session_id)
        if worker is not None and self._healthy(worker):
            return worker
        healthy = [w for w in self.workers if self._healthy(w)] or self.workers
        chosen = min(healthy, key=lambda w: (self.sessions_on(w), w.busy_seconds))
        if worker is not None:
            log.warning("session %s moves from %s to %s", session_id[:12], worker.name, chosen.name)
            worker.close_session(session_id)
        self._pinned[session_id] = chosen
        return chosen

    # -- the worker API, routed -------------------------------------------------------------------
    async def process(self, session_id: str, frame: np.ndarray, sources: list[SourceFace],
                      taken_at: float | None = None) -> FrameOutcome:
        worker = self.worker_for(session_id)
        outcome = await worker.process(session_id, frame, sources, taken_at)
        if outcome.status is Status.ERROR and worker.consecutive_errors >= FAILURES_TO_RETIRE:
            self._retire(worker)
        return outcome

    def _retire(self, worker: FrameWorker) -> None:
        others = [w for w in self.workers if w is not worker and self._healthy(w)]
        if worker.index in self._retired or not others:
            return  # the last worker standing keeps its sessions: failing frames pass through
        self._retired.add(worker.index)
        moved = [sid for sid, w in self._pinned.items() if w is worker]
        log.error("%s failed on %d frames in a row: retired, its %d session(s) move to other workers",
                  worker.name, worker.consecutive_errors, len(moved))
        for session_id in moved:
            self.worker_for(session_id)

    def close_session(self, session_id: str) -> None:
        worker = self._pinned.pop(session_id, None)
        if worker is not None:
            worker.close_session(session_id)

    async def call(self, fn: Callable[[Engine], T]) -> T:
        """Run `fn(engine)` on a worker's thread (sources, detection): the one with the fewest jobs
        waiting. `fn` gets that worker's engine, which must be used from its thread only."""
        healthy = [w for w in self.workers if self._healthy(w)] or self.workers
        worker = min(healthy, key=lambda w: (w.pending_calls, self.sessions_on(w)))
        engine = worker.engine
        return await worker.call(lambda: fn(engine))

    # -- figures ----------------------------------------------------------------------------------
    def status(self) -> list[dict[str, Any]]:
        return [{
            "worker": w.index,
            "sessions": self.sessions_on(w),
            "frames": w.frames,
            "busy_seconds": round(w.busy_seconds, 2),
            "cpu_seconds": round(w.cpu_seconds, 2),
            "healthy": self._healthy(w),
        } for w in self.workers]
