"""FaceSwapTrack: an aiortc video track that swaps faces in another track's frames, latest frame first.

aiortc's receive queue is unbounded and its example transform tracks process each frame inside
`recv()`, so when the engine is slower than the camera the delay grows without limit. Here three
steps run apart and each keeps only the newest frame:

    reader task:    incoming track -> input slot      (drains aiortc's queue as fast as frames arrive)
    processor task: input slot -> engine -> output slot   (started by the first recv())
    recv():         output slot -> encoder            (never the same frame twice)

The processor works only while the channel delivers to someone (`FramePath.wanted`): a WHIP
camera nobody watches costs a decode per frame and nothing more, and its frames are not counted as
dropped. Every output frame carries its input frame's `pts` and `time_base`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from concurrent.futures import Executor

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from media.accounting import DropReason
from media.pipeline import FramePath, Verdict
from media.yuv import paste_regions, to_bgr, to_frame

log = logging.getLogger(__name__)


class FaceSwapTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, source: MediaStreamTrack, path: FramePath, pool: Executor | None = None) -> None:
        super().__init__()
        self.source = source
        self.path = path
        self._pool = pool
        # each slot holds a frame and when it arrived (time.perf_counter), for the server's delay figure
        self._input: tuple[VideoFrame, float] | None = None
        self._output: tuple[VideoFrame, float] | None = None
        self._input_ready = asyncio.Event()
        self._output_ready = asyncio.Event()
        self._source_ended = False
        self._processing_done = False
        # The reader starts at once, not on the first recv(): aiortc queues received frames without
        # bound, and a camera nobody watches yet must not fill that queue.
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self._processor: asyncio.Task[None] | None = None

    # -- the reader: never let aiortc's queue grow ------------------------------------------
    async def _read(self) -> None:
        try:
            while True:
                frame = await self.source.recv()
                self.path.active()
                if self._input is not None and self.path.wanted():
                    self.path.drop(DropReason.SUPERSEDED)
                self._input = (frame, time.perf_counter())
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
                taken, self._input = self._input, None
                if taken is None:
                    if self._source_ended:
                        break
                    continue
                if not self.path.wanted():
                    self._output = None  # nobody to deliver to: no engine work, nothing stale kept
                    continue
                out = await self._swap(taken[0])
                if out is not None:
                    self._output = (out, taken[1])
                    self._output_ready.set()
        except Exception:
            log.exception("face-swap track of %s failed", self.path.session_id)
        finally:
            self._processing_done = True
            self._output_ready.set()

    async def _swap(self, frame: VideoFrame) -> VideoFrame | None:
        loop = asyncio.get_running_loop()

        async def load() -> np.ndarray:
            return await loop.run_in_executor(self._pool, to_bgr, frame)

        result = await self.path.swap(load)
        if result.verdict is Verdict.DROPPED:
            return None
        if result.image is None:
            return frame  # passed through: the camera's own picture, never a stale swap
        if result.regions:  # only the face boxes go back through a conversion (media/yuv.py)
            swapped = functools.partial(paste_regions, frame, result.image, result.regions)
        else:  # an engine that does not say where it wrote
            swapped = functools.partial(to_frame, result.image, frame)
        return await loop.run_in_executor(self._pool, swapped)

    # -- what aiortc's sender (or a MediaRelay) calls ------------------------------------------
    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._processor is None:
            self._processor = asyncio.get_running_loop().create_task(self._process())
        while self._output is None:
            if self._processing_done:
                self.stop()
                raise MediaStreamError
            self._output_ready.clear()
            await self._output_ready.wait()
            if self.readyState != "live":
                raise MediaStreamError
        (frame, arrived), self._output = self._output, None
        self.path.delivered((time.perf_counter() - arrived) * 1000)
        return frame

    def stop(self) -> None:
        if self.readyState == "ended":
            return
        super().stop()
        for task in (self._reader, self._processor):
            if task is not None:
                task.cancel()
        self._output_ready.set()  # wake a waiting recv() so it ends
        self.path.close()
