"""FaceSwapTrack against a fake source track and a fake engine: the track's own rules, no network.

The engine's speed is controlled; the source is a queue-fed track like aiortc's RemoteStreamTrack.
"""

from __future__ import annotations

import asyncio
import fractions

import numpy as np
import pytest
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from media.swap_track import FaceSwapTrack
from media.worker import FrameWorker
from models.engine import SourceFace
from tests.test_worker import FakeEngine

SOURCE = [SourceFace("fake", (0, 0, 1, 1), None)]


class QueueTrack(MediaStreamTrack):
    """Frames pushed by the test; None ends the track (as aiortc's receiver does)."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.queue: asyncio.Queue[VideoFrame | None] = asyncio.Queue()

    def push(self, n: int) -> None:
        image = np.full((48, 64, 3), n % 256, np.uint8)
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = n * 3000, fractions.Fraction(1, 90_000)
        self.queue.put_nowait(frame)

    async def recv(self) -> VideoFrame:
        frame = await self.queue.get()
        if frame is None:
            raise MediaStreamError
        return frame


@pytest.fixture
def worker():
    w = FrameWorker(FakeEngine(delay=0.05))
    w.start()
    yield w
    w.stop()


async def test_drops_stale_frames_when_the_engine_is_slow(worker):
    source = QueueTrack()
    track = FaceSwapTrack(source, worker, "s", lambda: SOURCE)
    for n in range(40):  # a burst, as after a network hiccup
        source.push(n)
    first = await asyncio.wait_for(track.recv(), 2)
    assert source.queue.qsize() == 0, "aiortc's queue must be drained as frames arrive"
    assert first.pts == 39 * 3000, "the newest frame is what comes out"
    # then a 30 fps camera against the 50 ms engine: some frames are dropped, none queue up
    for n in range(40, 70):
        source.push(n)
        await asyncio.sleep(1 / 30)
    last = None
    while last is None or last.pts != 69 * 3000:
        last = await asyncio.wait_for(track.recv(), 0.5)  # the last camera frame comes out promptly
    assert 0 not in worker.engine.seen, "a stale frame went through the engine"
    assert track.dropped_in >= 39 + 5
    track.stop()


async def test_keeps_pts_and_time_base_and_never_emits_a_frame_twice(worker):
    source = QueueTrack()
    track = FaceSwapTrack(source, worker, "s", lambda: SOURCE)
    seen = []
    for n in range(6):
        source.push(n)
        frame = await asyncio.wait_for(track.recv(), 2)
        seen.append(frame.pts)
        assert frame.time_base == fractions.Fraction(1, 90_000)
    assert seen == [n * 3000 for n in range(6)]
    recv = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.2)
    assert not recv.done(), "with no new input, recv() waits instead of repeating a frame"
    recv.cancel()
    track.stop()


async def test_frames_pass_through_untouched_before_a_source_is_set(worker):
    source = QueueTrack()
    track = FaceSwapTrack(source, worker, "s", lambda: [])
    source.push(7)
    frame = await asyncio.wait_for(track.recv(), 2)
    assert frame.pts == 7 * 3000 and worker.engine.seen == []
    track.stop()


async def test_the_track_ends_when_its_source_ends(worker):
    source = QueueTrack()
    track = FaceSwapTrack(source, worker, "s", lambda: SOURCE)
    source.push(1)
    await asyncio.wait_for(track.recv(), 2)
    source.queue.put_nowait(None)
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(track.recv(), 2)
    assert track.readyState == "ended"
