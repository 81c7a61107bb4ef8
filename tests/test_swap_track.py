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

from media.accounting import Accounting
from media.pipeline import FramePath
from media.swap_track import FaceSwapTrack
from media.worker import FrameWorker
from testing.fakes import FAKE_SOURCE, FakeEngine


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
    w = FrameWorker(FakeEngine(delay=0.05), Accounting())
    w.start()
    yield w
    w.stop()


class Audience:
    """Whether anyone receives the channel, switched by the test."""

    def __init__(self, watching: bool = True) -> None:
        self.watching = watching
        self.frames_seen = 0

    def __call__(self) -> bool:
        return self.watching

    def active(self) -> None:
        self.frames_seen += 1


def track_for(worker: FrameWorker, source: QueueTrack, sources=(FAKE_SOURCE,),
              audience: Audience | None = None) -> FaceSwapTrack:
    audience = audience or Audience()
    path = FramePath("s", "whip", worker, worker.accounting, lambda: sources, audience, audience.active)
    return FaceSwapTrack(source, path)


async def test_drops_stale_frames_when_the_engine_is_slow(worker):
    source = QueueTrack()
    track = track_for(worker, source)
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
    assert worker.accounting.session("s").dropped >= 39 + 5
    track.stop()


async def test_keeps_pts_and_time_base_and_never_emits_a_frame_twice(worker):
    source = QueueTrack()
    track = track_for(worker, source)
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
    track = track_for(worker, source, sources=())
    source.push(7)
    frame = await asyncio.wait_for(track.recv(), 2)
    assert frame.pts == 7 * 3000 and worker.engine.seen == []
    track.stop()


async def test_a_camera_nobody_watches_costs_no_engine_work_and_no_drops(worker):
    source = QueueTrack()
    audience = Audience(watching=False)
    track = track_for(worker, source, audience=audience)
    pulling = asyncio.ensure_future(track.recv())  # MediaRelay keeps pulling after the last viewer left
    for n in range(30):
        source.push(n)
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.1)
    assert worker.engine.seen == [] and not pulling.done()
    assert worker.accounting.session("s").dropped == 0
    assert audience.frames_seen == 30, "every frame still counts as the publisher being active"
    audience.watching = True  # a viewer arrives
    source.push(31)
    frame = await asyncio.wait_for(pulling, 2)
    assert frame.pts == 31 * 3000 and worker.engine.seen == [31]
    track.stop()


async def test_the_track_ends_when_its_source_ends(worker):
    source = QueueTrack()
    track = track_for(worker, source)
    source.push(1)
    await asyncio.wait_for(track.recv(), 2)
    source.queue.put_nowait(None)
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(track.recv(), 2)
    assert track.readyState == "ended"


async def test_only_the_engines_regions_change_the_rest_is_the_decoders_own(worker):
    """The fake engine inverts the lower half and says so: the upper half of every plane comes back
    bit-identical to what the source track gave."""
    source = QueueTrack()
    track = track_for(worker, source)
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    sent = VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
    sent.pts, sent.time_base = 3000, fractions.Fraction(1, 90_000)
    source.queue.put_nowait(sent)
    out = await asyncio.wait_for(track.recv(), 2)
    before, after = sent.to_ndarray(), out.to_ndarray()
    assert np.array_equal(before[:24], after[:24]), "luma above the region changed"
    chroma_rows = slice(48, 48 + 6)  # U rows of the top half: (48/2 / 2) = 6 rows of width 64
    assert np.array_equal(before[chroma_rows], after[chroma_rows]), "chroma above the region changed"
    assert np.abs(before[24:48].astype(int) - after[24:48]).mean() > 30, "the region did not change"
    track.stop()
