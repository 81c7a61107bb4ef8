"""The rules of one encode shared by many viewers, on a fake clock, and keyframes read from what
aiortc's real encoders produce."""

from __future__ import annotations

import asyncio
import fractions
import random

import numpy as np
import pytest
from aiortc import VideoStreamTrack
from aiortc.codecs import get_capabilities
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from av import VideoFrame

from media.aiortc_patches.encoders import FastH264Encoder
from media.fanout import BitrateVotes, EncodedFrame, KeyframeGate, ViewerQueue
from media.keyframes import h264_nal_types, is_keyframe
from media.shared_encoding import ChannelEncoders


def encoded(n: int, keyframe: bool = False) -> EncodedFrame:
    return EncodedFrame((bytes([n]),), n * 3000, keyframe)


# -- a viewer's queue ------------------------------------------------------------------------------
def test_a_newcomer_skips_to_the_first_keyframe_and_asks_for_one_meanwhile():
    queue = ViewerQueue()
    assert queue.push(encoded(1)) is True  # cannot decode it: wants a keyframe
    assert queue.push(encoded(2)) is True
    assert queue.push(encoded(3, keyframe=True)) is False
    assert queue.push(encoded(4)) is False
    assert [queue.pop(), queue.pop(), queue.pop()] == [encoded(3, True), encoded(4), None]
    assert queue.skipped == 2


def test_a_viewer_that_falls_behind_drops_its_stale_frames_and_restarts_at_a_keyframe():
    queue = ViewerQueue(limit=3)
    for n, key in [(1, True), (2, False), (3, False)]:
        queue.push(encoded(n, key))
    assert queue.push(encoded(4)) is True  # a fourth frame while three wait: the viewer is behind
    assert len(queue) == 0 and queue.skipped == 4
    assert queue.push(encoded(5)) is True
    assert queue.push(encoded(6, keyframe=True)) is False
    assert queue.pop() == encoded(6, True)


def test_a_keyframe_arriving_when_the_queue_is_full_is_kept():
    queue = ViewerQueue(limit=2)
    queue.push(encoded(1, True))
    queue.push(encoded(2))
    assert queue.push(encoded(3, keyframe=True)) is False
    assert queue.pop() == encoded(3, True) and queue.pop() is None


# -- keyframe requests -----------------------------------------------------------------------------
def test_many_keyframe_requests_in_one_interval_force_one_keyframe():
    gate = KeyframeGate(interval=0.5)
    gate.request()
    assert gate.take(10.0) is True
    for now in (10.1, 10.2, 10.3):
        gate.request()
        assert gate.take(now) is False
    assert gate.take(10.5) is True  # the pending request is not forgotten
    assert gate.take(11.5) is False  # and served once


def test_a_keyframe_the_encoder_made_by_itself_serves_pending_requests():
    gate = KeyframeGate(interval=0.5)
    gate.request()
    gate.produced(3.0)
    assert gate.take(4.0) is False


def test_no_keyframe_is_forced_without_a_request():
    assert KeyframeGate().take(100.0) is False


# -- the common bitrate ----------------------------------------------------------------------------
def test_the_shared_bitrate_is_the_lowest_recent_viewer_estimate_within_bounds():
    votes = BitrateVotes(default=2_500_000, floor=250_000, ceiling=5_000_000, lifetime=5.0)
    assert votes.target(0.0) == 2_500_000  # nobody has said: the configured rate
    votes.vote("a", 4_000_000, now=1.0)
    votes.vote("b", 1_200_000, now=1.0)
    assert votes.target(2.0) == 1_200_000
    votes.vote("a", 9_000_000, now=4.0)
    votes.vote("b", 100_000, now=4.0)
    assert votes.target(4.0) == 250_000  # never below aiortc's floor
    votes.forget("b")
    assert votes.target(4.0) == 5_000_000  # never above the ceiling
    assert votes.target(9.5) == 2_500_000  # a's estimate is stale: back to the configured rate


# -- keyframes in real encoder output --------------------------------------------------------------
def frames(n: int, size=(320, 240)) -> list[VideoFrame]:
    rng = np.random.default_rng(1)
    out = []
    for i in range(n):
        image = rng.integers(0, 255, (size[1], size[0], 3), np.uint8)
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90_000)
        out.append(frame)
    return out


@pytest.mark.parametrize("mime, encoder", [("video/VP8", Vp8Encoder), ("video/H264", H264Encoder),
                                           ("video/H264", FastH264Encoder)])
def test_keyframes_are_recognised_in_what_aiortcs_encoders_produce(mime, encoder):
    coder = encoder()
    found = []
    for i, frame in enumerate(frames(6)):
        payloads, _ = coder.encode(frame, force_keyframe=(i == 4))
        found.append(is_keyframe(mime, payloads))
    assert found == [True, False, False, False, True, False]


def test_h264_keyframes_are_found_inside_aggregates_and_fragments():
    idr, sps = bytes([0x65, 1, 2, 3]), bytes([0x67, 9, 9])
    stap_a = bytes([24]) + len(sps).to_bytes(2, "big") + sps + len(idr).to_bytes(2, "big") + idr
    assert list(h264_nal_types(stap_a)) == [7, 5]
    fu_a_start, fu_a_middle = bytes([0x7C, 0x85, 0]), bytes([0x7C, 0x05, 0])
    assert is_keyframe("video/h264", [fu_a_start]) and not is_keyframe("video/h264", [fu_a_middle])
    assert not is_keyframe("video/h264", [bytes([0x41, 0])])  # a P slice


def test_garbage_payloads_are_never_keyframes_and_never_raise():
    rng = random.Random(7)
    for _ in range(2000):
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 12)))
        for mime in ("video/vp8", "video/h264", "video/av1"):
            assert is_keyframe(mime, [payload]) in (True, False)
    assert is_keyframe("video/vp8", []) is False


# -- one encoder, several viewers, no network ------------------------------------------------------
class Camera(VideoStreamTrack):
    def __init__(self, limit: int = 1000) -> None:
        super().__init__()
        self.sent = 0
        self.limit = limit

    async def recv(self) -> VideoFrame:
        if self.sent >= self.limit:
            raise MediaStreamError
        await asyncio.sleep(1 / 60)
        frame = frames(1)[0]
        frame.pts = self.sent * 3000
        self.sent += 1
        return frame


def codec(mime: str) -> RTCRtpCodecParameters:
    wanted = next(c for c in get_capabilities("video").codecs if c.mimeType == mime)
    return RTCRtpCodecParameters(mimeType=wanted.mimeType, clockRate=wanted.clockRate, payloadType=96)


async def test_viewers_of_one_codec_get_the_same_encoded_frames_from_one_encoder():
    sources: list[Camera] = []

    def subscribe() -> Camera:
        sources.append(Camera())
        return sources[-1]

    encoders = ChannelEncoders(subscribe)
    first, second, other = encoders.viewer_track(), encoders.viewer_track(), encoders.viewer_track()
    vp8, h264 = codec("video/VP8"), codec("video/H264")
    got_first = [await first.next_encoded(vp8) for _ in range(3)]
    got_second = await second.next_encoded(vp8)
    await other.next_encoded(h264)
    assert got_first[0].keyframe and len(sources) == 2  # one source (encoder) per codec, not per viewer
    assert got_second.keyframe  # the later viewer starts at a keyframe of its own
    status = {e["codec"]: e["viewers"] for e in encoders.status()}
    assert status == {"video/vp8": 2, "video/h264": 1}
    first.stop()
    assert {e["codec"]: e["viewers"] for e in encoders.status()} == {"video/vp8": 1, "video/h264": 1}
    second.stop()
    other.stop()
    await asyncio.sleep(0.1)
    assert encoders.status() == [] and all(s.readyState == "ended" for s in sources)
    with pytest.raises(MediaStreamError):
        await first.next_encoded(vp8)


async def test_viewers_end_when_the_channel_picture_ends():
    encoders = ChannelEncoders(lambda: Camera(limit=5))
    viewer = encoders.viewer_track()
    vp8 = codec("video/VP8")
    with pytest.raises(MediaStreamError):
        for _ in range(10):
            await asyncio.wait_for(viewer.next_encoded(vp8), 5)
