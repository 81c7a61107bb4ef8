"""The engines and the pool of worker threads that own them, from start-up to shutdown.

Loading an engine takes seconds (model files, warm-up), so it happens in `start()`, off the event
loop, before the server takes connections; routes reach the engines through `pool`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from media.accounting import Accounting
from media.workers import WorkerPool
from models.engine import Engine, SourceFace


class EngineNotReady(RuntimeError):
    pass


class EngineHost:
    def __init__(self, accounting: Accounting, load: Callable[[], Engine], workers: int = 1,
                 shared: Engine | None = None) -> None:
        """`load` builds one engine; it is called once per worker at start-up. Or pass `shared`,
        an engine loaded elsewhere (tests share one): one worker uses it, and never closes it."""
        self.accounting = accounting
        self._load = load
        self._workers = 1 if shared is not None else max(1, workers)
        self._shared = shared
        self._pool: WorkerPool | None = None

    async def start(self) -> Engine:
        if self._shared is not None:
            engines = [self._shared]
        else:
            loop = asyncio.get_running_loop()
            engines = [await loop.run_in_executor(None, self._load) for _ in range(self._workers)]
        self._pool = WorkerPool(engines, self.accounting, close_engines=self._shared is None)
        self._pool.start()
        return engines[0]

    async def stop(self) -> None:
        if self._pool is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._pool.stop)

    @property
    def pool(self) -> WorkerPool:
        if self._pool is None:
            raise EngineNotReady("the engine workers are not started yet")
        return self._pool

    async def combine_sources(self, photos: list[SourceFace]) -> SourceFace:
        """Photos of one person as one source face (Engine.combine_sources), on a worker; a single
        photo is its own face, without a trip to the workers. Raises WorkerBusy."""
        if len(photos) == 1:
            return photos[0]
        return await self.pool.call(lambda engine: engine.combine_sources(photos))

    @property
    def engine(self) -> Engine:
        """What every worker runs (name, provider, model files)."""
        return self.pool.engine

    @property
    def loaded(self) -> bool:
        return self._pool is not None and self._pool.alive
