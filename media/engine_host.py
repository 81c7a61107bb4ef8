"""The engine and the worker thread that owns it, from start-up to shutdown.

Loading an engine takes seconds (model files, warm-up), so it happens in `start()`, off the event
loop, before the server takes connections; routes reach the worker through this object.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from media.accounting import Accounting
from media.worker import FrameWorker
from models.engine import Engine


class EngineNotReady(RuntimeError):
    pass


class EngineHost:
    def __init__(self, accounting: Accounting, load: Callable[[], Engine],
                 shared: Engine | None = None) -> None:
        """`load` builds the engine at start-up; or pass `shared`, an engine loaded elsewhere
        (tests share one) that this host uses but never closes."""
        self.accounting = accounting
        self._load = load
        self._engine = shared
        self._owns_engine = shared is None
        self._worker: FrameWorker | None = None

    async def start(self) -> Engine:
        engine = self._engine
        if engine is None:
            engine = self._engine = await asyncio.get_running_loop().run_in_executor(None, self._load)
        self._worker = FrameWorker(engine, self.accounting, close_engine=self._owns_engine)
        self._worker.start()
        return engine

    async def stop(self) -> None:
        if self._worker is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._worker.stop)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise EngineNotReady("the engine is not loaded yet")
        return self._engine

    @property
    def worker(self) -> FrameWorker:
        if self._worker is None:
            raise EngineNotReady("the frame worker is not started yet")
        return self._worker

    @property
    def loaded(self) -> bool:
        return self._worker is not None and self._worker.alive
