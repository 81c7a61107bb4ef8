"""The pattern of aiortc's own server example, for comparison only: the engine runs inline in
`recv()`, one frame after another, dropping nothing. When the engine is slower than the camera,
aiortc's unbounded receive queue fills and the delay grows for as long as the call lasts."""

from __future__ import annotations

from concurrent.futures import Executor

from aiortc import MediaStreamTrack
from av import VideoFrame

from media.pipeline import FramePath
from media.yuv import to_frame


class NaiveTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, source: MediaStreamTrack, path: FramePath, pool: Executor | None = None) -> None:
        super().__init__()
        self.source = source
        self.path = path
        self._stream = path.worker.engine.open_stream()  # used from the event loop, as the example does

    async def recv(self) -> VideoFrame:
        frame = await self.source.recv()
        sources = list(self.path.sources())
        if not sources:
            return frame
        result = self._stream.swap(frame.to_ndarray(format="bgr24"), sources)  # blocks the loop
        return to_frame(result.image, frame)

    def stop(self) -> None:
        super().stop()
        self._stream.close()


class EchoTrack(MediaStreamTrack):
    """The floor: each received frame handed straight back, as stock aiortc would relay it. What is
    left of the cost is aiortc's decode and encode."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack, path: FramePath, pool: Executor | None = None) -> None:
        super().__init__()
        self.source = source

    async def recv(self) -> VideoFrame:
        return await self.source.recv()
