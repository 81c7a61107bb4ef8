"""What every handler of one app shares: settings, engine, worker, sources, metrics, codec pool."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from aiohttp import web

from media.channels import Channels
from media.metrics import Metrics
from media.sources import SourceSlot
from media.swap_track import FaceSwapTrack
from media.worker import FrameWorker
from models.engine import Engine
from settings import Settings
from signaling.peers import PeerRegistry

if TYPE_CHECKING:
    from signaling.fallback import FallbackHub


class Context:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.sources = SourceSlot()
        self.channels = Channels(lambda: self.sources.faces)
        self.peers = PeerRegistry(settings.max_peers, settings.connect_timeout)
        for kind in ("offer", "whip", "whep"):
            self.metrics.peers.labels(kind).set_function(lambda k=kind: self.peers.count(k))
        # Image decode/encode for HTTP and the fallback path; the engine has its own thread.
        self.codec_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="codec")
        self.started_at = time.monotonic()
        self.owns_engine = engine is None
        self._engine = engine
        self._worker: FrameWorker | None = None
        self.hub: FallbackHub | None = None
        self.live_sessions: Callable[[], int] = lambda: 0  # set when the Live Face Swap API is wired
        # What wraps a published camera; bench.webrtc swaps in a naive track to compare.
        self.make_track: type[FaceSwapTrack] = FaceSwapTrack

    def start_worker(self, engine: Engine) -> None:
        self._engine = engine
        self._worker = FrameWorker(engine, metrics=self.metrics, close_engine=self.owns_engine)
        self._worker.start()
        self.metrics.info.info({"engine": engine.name, "provider": engine.provider})

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the engine is not loaded yet")
        return self._engine

    @property
    def worker(self) -> FrameWorker:
        if self._worker is None:
            raise RuntimeError("the frame worker is not started yet")
        return self._worker

    @property
    def models_loaded(self) -> bool:
        return self._worker is not None and self._worker.alive

    @property
    def uptime_s(self) -> float:
        return time.monotonic() - self.started_at


CTX = web.AppKey("faceswap_context", Context)
