"""Receivers of a channel share its encode, end to end: real aiortc peers against the real server."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from aiortc import RTCRtpReceiver

from media.keyframes import is_keyframe
from testing.clients import base_of, get_json, metric, upload
from testing.images import jpeg
from testing.rtc_client import Client, FaceCamera, offer, sdp_post, wait_connected
from testing.waits import eventually

pytestmark = pytest.mark.slow

FACE = (slice(140, 340), slice(220, 420))


class KeyframeLog:
    """When each keyframe reached a client's video receiver (read from its RTP packets)."""

    def __init__(self, client: Client) -> None:
        self.times: list[float] = []
        self.ssrc: int | None = None
        transceiver = next(t for t in client.pc.getTransceivers() if t.kind == "video")
        self.receiver = receiver = transceiver.receiver
        codecs = {c.payloadType: c.mimeType for c in transceiver._codecs}  # negotiated by now
        handle = receiver._handle_rtp_packet

        async def logged(packet, arrival_time_ms: int) -> None:
            self.ssrc = packet.ssrc
            mime = codecs.get(packet.payload_type)
            if mime is not None and is_keyframe(mime, [packet.payload]):
                self.times.append(time.monotonic())
            await handle(packet, arrival_time_ms)

        receiver._handle_rtp_packet = logged

    def since(self, moment: float) -> int:
        return sum(t >= moment for t in self.times)

    async def ask_for_keyframe(self) -> None:
        assert self.ssrc is not None
        await RTCRtpReceiver._send_rtcp_pli(self.receiver, self.ssrc)


async def whep(base: str, channel: str, codec: str) -> tuple[Client, KeyframeLog]:
    viewer = await sdp_post(base, "whep", channel, None, codec=codec)
    assert viewer.response_status == 201, viewer.location
    await wait_connected(viewer.pc)  # one client address may have only 3 connections being set up
    return viewer, KeyframeLog(viewer)


async def test_viewers_share_one_encode_per_codec_and_every_codec_works(serve, astronaut, frame):
    base = base_of(await serve())
    await upload(base, jpeg(astronaut))
    publisher = await offer(base, FaceCamera([frame], fps=15), channel="fan")  # H.264 back (auto)
    await wait_connected(publisher.pc)
    viewers = [await whep(base, "fan", codec) for codec in ("vp8", "vp8", "h264")]
    try:
        for viewer, _ in viewers:
            for _ in range(6):
                await viewer.received.next_image()
            out = await viewer.received.latest_image()
            assert np.abs(out[FACE].astype(int) - frame[FACE].astype(int)).mean() > 6, "not swapped"
        await publisher.received.next_image()
        encoders = (await get_json(base, "/status"))["video_encoders"]["fan"]
        assert {e["codec"]: e["viewers"] for e in encoders} == {"video/vp8": 2, "video/h264": 2}
        # each encoder encodes a camera frame once for all its receivers, not once per receiver
        before = await metric(base, "faceswap_video_encodes_total", codec="video/vp8")
        vp8_viewers = [viewer for viewer, _ in viewers[:2]]
        received_before = [len(v.received.arrivals) for v in vp8_viewers]
        await asyncio.sleep(2.0)
        encodes = await metric(base, "faceswap_video_encodes_total", codec="video/vp8") - before
        received = [len(v.received.arrivals) - b for v, b in zip(vp8_viewers, received_before, strict=True)]
        assert min(received) >= 15, received  # both viewers are fed (15 fps camera)
        assert encodes <= max(received) + 3, (encodes, received)
    finally:
        for viewer, _ in viewers:
            await viewer.close()
        await publisher.close()


async def forced_keyframes(base: str, channel: str) -> int:
    return sum(e["forced_keyframes"] for e in (await get_json(base, "/status"))["video_encoders"][channel])


async def test_a_keyframe_request_from_one_viewer_reaches_every_viewer(serve, frame):
    base = base_of(await serve())
    publisher = await sdp_post(base, "whip", "keys", FaceCamera([frame], fps=15))
    await wait_connected(publisher.pc)
    viewers = [await whep(base, "keys", "vp8") for _ in range(3)]
    try:
        for viewer, _ in viewers:
            await viewer.received.next_image()
        await asyncio.sleep(1.0)  # past the least interval between two forced keyframes
        forced_before = await forced_keyframes(base, "keys")
        asked = time.monotonic()
        await viewers[1][1].ask_for_keyframe()

        async def every_viewer_got_one() -> bool:
            return all(log.since(asked) >= 1 for _, log in viewers)

        await eventually(every_viewer_got_one, 3, "a keyframe at every viewer")
        # and it is the one asked for (libvpx also makes keyframes of its own now and then)
        assert await forced_keyframes(base, "keys") == forced_before + 1
        status = (await get_json(base, "/status"))["video_encoders"]["keys"]
        assert [e["viewers"] for e in status] == [3]
    finally:
        for viewer, _ in viewers:
            await viewer.close()
        await publisher.close()


async def test_the_encoder_stops_with_its_last_viewer_and_a_new_viewer_starts_it_again(serve, frame):
    base = base_of(await serve())
    publisher = await sdp_post(base, "whip", "again", FaceCamera([frame], fps=15))
    await wait_connected(publisher.pc)
    try:
        for _ in range(2):
            viewer, _ = await whep(base, "again", "vp8")
            await viewer.received.next_image()
            await viewer.close()

            async def no_encoder() -> bool:
                return "again" not in (await get_json(base, "/status"))["video_encoders"]

            await eventually(no_encoder, 10, "the encoder to stop with its last viewer")
    finally:
        await publisher.close()
