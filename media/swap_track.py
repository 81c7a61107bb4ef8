"""FaceSwapTrack: an aiortc video track that swaps faces in another track's frames, latest frame first.

aiortc's receive queue is unbounded and its example transform tracks process each frame inside
`recv()`, so when the engine is slower than the camera the delay grows without limit. Here three
steps run apart and each keeps only the newest frame:

    reader task:    incoming track -> input slot      (drains aiortc's queue as fast as frames arrive)
    processor task: input slot -> engine -> output slot   (started by the first recv())
    recv():         output slot -> encoder            (never the same frame twice)

Every output frame carries its input frame's `pts` and `time_base`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from media.worker import FrameWorker, Status
from models.engine import SourceFace

log = logging.getLogger(__name__)


def to_bgr(frame: VideoFrame) -> np.ndarray:
    return frame.to_ndarray(format="bgr24")


def to_frame(image: np.ndarray, like: VideoFrame) -> VideoFrame:
    """A yuv420p frame (what the encoders take, so they need not convert) stamped like `like`."""
    out = VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
    out.pts = like.pts
    out.time_base = like.time_base
    return out


class FaceSwapTrack(MediaStreamTrack):
    kind = "video"

    def __init__(
        self,
        source: MediaStreamTrack,
        worker: FrameWorker,
        session_id: str,
        sources: Callable[[], list[SourceFace]],
        pool: Executor | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.worker = worker
        self.session_id = session_id
        self._sources = sources
        self._pool = pool
        self._input: VideoFrame | None = None
        self._output: VideoFrame | None = None
        self._input_ready = asyncio.Event()
        self._output_ready = asyncio.Event()
        self._source_ended = False
        self._processing_done = False
        self.frames_in = 0
        self.frames_out = 0
        self.dropped_in = 0  # replaced in the input slot before the engine took them
        self.dropped_out = 0  # processed, then replaced before the encoder asked
        self._reader = asyncio.ensure_future(self._read())
        self._processor: asyncio.Future[None] | None = None

    # -- the reader: never let aiortc's queue grow ------------------------------------------
    async def _read(self) -> None:
        try:
            while True:
                frame = await self.source.recv()
                self.frames_in += 1
                if self._input is not None:
                    self.dropped_in += 1
                    self.worker.record_drop(self.session_id, "superseded")
                self._input = frame
                self._input_ready.set()
        except MediaStreamError:
            pass
        finally:
            self._source_ended = True
            self._input_ready.set()

    # -- the processor: one frame at a time through the engine -------------------------------
    async def _process(self) -> None:
        try:
            while True:
                await self._input_ready.wait()
                self._input_ready.clear()
                frame, self._input = self._input, None
                if frame is None:
                    if self._source_ended:
                        break
                    continue
                out = await self._swap(frame)
                if out is None:
                    continue
                if self._output is not None:
                    self.dropped_out += 1
                self._output = out
                self._output_ready.set()
        except Exception:
            log.exception("face-swap track of %s failed", self.session_id)
        finally:
            self._processing_done = True
            self._output_ready.set()

    async def _swap(self, frame: VideoFrame) -> VideoFrame | None:
        sources = self._sources()
        if not sources:
            return frame  # no source face yet: the camera passes through unchanged
        loop = asyncio.get_running_loop()
        image = await loop.run_in_executor(self._pool, to_bgr, frame)
        outcome = await self.worker.process(self.session_id, image, sources)
        if outcome.status is Status.DROPPED:
            return None
        if outcome.status is Status.ERROR or outcome.result is None or not outcome.result.swapped:
            return frame
        swapped = functools.partial(to_frame, outcome.result.image, frame)
        return await loop.run_in_executor(self._pool, swapped)

    # -- what aiortc's sender (or a MediaRelay) calls ------------------------------------------
    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._processor is None:
            self._processor = asyncio.ensure_future(self._process())
        while self._output is None:
            if self._processing_done:
                self.stop()
                raise MediaStreamError
            self._output_ready.clear()
            await self._output_ready.wait()
            if self.readyState != "live":
                raise MediaStreamError
        frame, self._output = self._output, None
        self.frames_out += 1
        return frame

    def stop(self) -> None:
        if self.readyState == "ended":
            return
        super().stop()
        for task in (self._reader, self._processor):
            if task is not None:
                task.cancel()
        self._output_ready.set()  # wake a waiting recv() so it ends
        self.worker.close_session(self.session_id)
