"""WebRTC end to end in one process: real aiortc clients against the real app (ICE servers empty)."""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

import aiohttp
import numpy as np
import pytest

from models.engine import SourceFace, SwapResult
from tests.conftest import place
from tests.face_checks import identity_scores, outside_face
from tests.fallback_client import get_json, jpeg, upload
from tests.rtc_client import FaceCamera, offer, sdp_post, wait_connected
from tests.test_fallback_socketio import base_of


@pytest.fixture(scope="module")
def frame(t1_face):
    return place(t1_face, (640, 480), 1.6)


async def wait_for(predicate, within: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def peers(base: str) -> int:
    return (await get_json(base, "/status"))["webrtc_peers"]


async def no_peers_left(base: str, within: float = 10.0) -> None:
    async def empty() -> bool:
        return await peers(base) == 0

    await wait_for(empty, within, "the peer registry to empty")


async def test_offer_sends_back_swapped_frames(serve, astronaut, frame, measure):
    base = base_of(await serve())
    await upload(base, jpeg(astronaut))
    client = await offer(base, FaceCamera([frame], fps=15))
    try:
        for _ in range(15):  # the tracker and the encoder's rate control settle
            await client.received.next_image()
        out = await client.received.latest_image()
    finally:
        await client.close()
    assert out.shape == frame.shape
    to_source, to_target = identity_scores(measure, out, frame, astronaut)
    assert to_source > to_target + 0.1, (to_source, to_target)
    far = outside_face(measure, frame)
    diff = np.abs(out.astype(int) - frame.astype(int)).mean(axis=2)
    # two lossy video encodes lie between `frame` and `out`: the background may differ by codec noise
    # (about 4 here; a pass-through frame differs by less than 3 on average)
    assert diff[far].mean() < 6.5, "the background changed beyond codec noise"
    assert diff[~far].mean() > 3 * diff[far].mean(), "the face changed no more than the background"
    await no_peers_left(base)


async def test_camera_passes_through_until_a_source_is_set(serve, frame):
    base = base_of(await serve())
    client = await offer(base, FaceCamera([frame], fps=15))
    try:
        for _ in range(10):
            await client.received.next_image()
        out = await client.received.latest_image()
    finally:
        await client.close()
    assert np.abs(out.astype(int) - frame.astype(int)).mean() < 3
    assert (await get_json(base, "/status"))["frame_count"] == 0  # the engine was not called


async def test_whip_publish_then_whep_viewers_get_the_swapped_channel(serve, astronaut, frame):
    base = base_of(await serve())
    await upload(base, jpeg(astronaut))
    publisher = await sdp_post(base, "whip", "studio", FaceCamera([frame], fps=15))
    assert publisher.response_status == 201, publisher.location
    assert publisher.location is not None and publisher.location.startswith("/whip/studio/")
    await wait_connected(publisher.pc)
    viewers = []
    try:
        for _ in range(2):
            viewer = await sdp_post(base, "whep", "studio", None)
            assert viewer.response_status == 201, viewer.location
            viewers.append(viewer)
        for viewer in viewers:
            for _ in range(8):
                await viewer.received.next_image()
            out = await viewer.received.latest_image()
            face = (slice(140, 340), slice(220, 420))
            assert np.abs(out[face].astype(int) - frame[face].astype(int)).mean() > 6
        status = await get_json(base, "/status")
        assert status["webrtc_peers"] == 3 and status["channels_live"] == 1
        # one engine pass per camera frame, however many viewers
        assert status["frame_count"] <= publisher_frames(status) + 2
        # DELETE on the WHIP resource ends the publisher, and the viewers' video ends with it
        async with aiohttp.ClientSession() as http, http.delete(base + publisher.location) as r:
            assert r.status == 200
        for viewer in viewers:
            await asyncio.wait_for(viewer.received.ended.wait(), 10)
    finally:
        for viewer in viewers:
            await viewer.close()
        await publisher.close()
    await no_peers_left(base)


def publisher_frames(status: dict) -> int:
    return status["frame_count"] + status["dropped_frames"]


async def test_whip_audio_is_read_and_thrown_away_not_queued(serve, frame):
    """OBS's WHIP output always sends audio; aiortc would queue it forever if nobody read it."""
    from signaling.context import CTX

    server = await serve()
    publisher = await sdp_post(base_of(server), "whip", "obs", FaceCamera([frame], fps=15), audio=True)
    try:
        assert publisher.response_status == 201
        await wait_connected(publisher.pc)
        await asyncio.sleep(2.0)  # 100 audio frames at 20 ms
        receivers = [r for p in server.app[CTX].peers._peers.values() for r in p.pc.getReceivers()]
        audio = [r.track for r in receivers if r.track is not None and r.track.kind == "audio"]
        assert audio, "the server did not receive the audio track"
        assert all(t._queue.qsize() < 5 for t in audio), [t._queue.qsize() for t in audio]
    finally:
        await publisher.close()


async def test_whep_without_a_publisher_is_404(serve):
    base = base_of(await serve())
    viewer = await sdp_post(base, "whep", "nobody-here", None)
    assert viewer.response_status == 404
    assert await peers(base) == 0


class SlowEngine:
    """Takes 150 ms a frame (5x a 30 fps camera's budget) and inverts the picture's lower half."""

    name = "slow"
    provider = "test"
    model_files: ClassVar[list[str]] = []

    def detect(self, image, max_faces=10):
        return []

    def prepare_source(self, image, near=None):
        return SourceFace("slow", (0, 0, 1, 1), None)

    def open_stream(self):
        engine = self

        class Stream:
            def swap(self, frame, sources):
                time.sleep(engine.delay)
                out = frame.copy()
                out[frame.shape[0] // 2 :] = 255 - out[frame.shape[0] // 2 :]
                return SwapResult(out, 1, 1)

            def close(self):
                pass

        return Stream()

    def close(self):
        pass

    delay = 0.15


async def test_delay_stays_bounded_when_the_engine_is_slow(aiohttp_server, frame):
    from server import create_app
    from settings import Settings

    server = await aiohttp_server(create_app(Settings(db=":memory:"), engine=SlowEngine()))
    base = base_of(server)
    await upload(base, jpeg(frame))
    camera = FaceCamera([frame], fps=30, stamped=True)
    client = await offer(base, camera, read_stamps=True)
    try:
        await asyncio.sleep(5.0)
        delays = camera.delays_ms(client.received)
    finally:
        await client.close()
    assert len(delays) > 15
    late = delays[len(delays) // 2 :]
    # queued in order, the 30 fps camera would be 2.5 s behind after 5 s; latest-frame-wins keeps
    # the delay near one engine pass plus codec time
    assert max(late) < 600, late
    assert late[-1] - late[0] < 200, "the delay is growing"
    status = await get_json(base, "/status")
    assert status["dropped_frames"] > 50


async def test_registry_forgets_a_peer_whose_network_vanishes(serve, frame, monkeypatch):
    """ICE consent freshness (RFC 7675) fails when the client's sockets go quiet; the peer is closed."""
    import aioice.ice

    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", 0.2)
    monkeypatch.setattr(aioice.ice, "CONSENT_FAILURES", 3)
    base = base_of(await serve())
    client = await offer(base, FaceCamera([frame], fps=15))
    try:
        await client.received.next_image()
        assert await peers(base) == 1
        # pull the plug: close the client's UDP sockets without a goodbye
        for transceiver in client.pc.getTransceivers():
            ice = transceiver.sender.transport.transport
            for protocol in ice._connection._protocols:
                protocol.transport.close()
        await no_peers_left(base, within=15)
    finally:
        await client.close()


async def test_peer_that_never_connects_is_closed_after_the_connect_timeout(serve, frame):
    from aiortc import RTCPeerConnection

    base = base_of(await serve(connect_timeout=1.0))
    pc = RTCPeerConnection()
    pc.addTrack(FaceCamera([frame]))
    await pc.setLocalDescription(await pc.createOffer())
    async with aiohttp.ClientSession() as http, \
            http.post(base + "/offer", json={"sdp": pc.localDescription.sdp, "type": "offer"}) as r:
        assert r.status == 200
    await pc.close()  # gone before ICE could start
    assert await peers(base) == 1
    await no_peers_left(base, within=5)


BAD_OFFERS = {
    "not_json": ("this is not json", 400, "JSON"),
    "wrong_type": ('{"sdp": "v=0", "type": "answer"}', 400, "offer"),
    "garbage_sdp": ('{"sdp": "hello", "type": "offer"}', 400, "v=0"),
    "no_video": ('{"sdp": "v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\ns=-\\r\\nt=0 0\\r\\n'
                 'm=audio 9 UDP/TLS/RTP/SAVPF 111\\r\\n", "type": "offer"}', 400, "video"),
    "broken_video": ('{"sdp": "v=0\\r\\nm=video 9 UDP/TLS/RTP/SAVPF 96\\r\\na=nonsense", "type": "offer"}',
                     400, "SDP"),
    "bad_channel": ('{"sdp": "v=0\\r\\nm=video 9 X 96\\r\\n", "type": "offer", "channel": "../../etc"}',
                    400, "channel"),
}


@pytest.mark.parametrize("case", list(BAD_OFFERS))
async def test_bad_offers_are_400_with_a_reason(serve, case):
    base = base_of(await serve())
    body, status, reason = BAD_OFFERS[case]
    async with aiohttp.ClientSession() as http, \
            http.post(base + "/offer", data=body, headers={"Content-Type": "application/json"}) as r:
        answer = await r.json()
        assert r.status == status, answer
    assert reason.lower() in answer["error"].lower(), answer
    assert await peers(base) == 0


async def test_whip_refuses_bad_requests_with_reasons(serve):
    base = base_of(await serve())
    async with aiohttp.ClientSession() as http:
        async with http.post(base + "/whip/cam", data="v=0", headers={"Content-Type": "text/plain"}) as r:
            assert r.status == 415 and "application/sdp" in await r.text()
        sdp_type = {"Content-Type": "application/sdp"}
        async with http.post(base + "/whip/cam", data="hello", headers=sdp_type) as r:
            assert r.status == 400 and "v=0" in await r.text()
        async with http.post(base + "/whip/cam", data="v=0\r\n" + "a=x\r\n" * 20000,
                             headers={"Content-Type": "application/sdp"}) as r:
            assert r.status == 413
        async with http.delete(base + "/whip/cam/nope") as r:
            assert r.status == 404
        async with http.patch(base + "/whip/cam/nope", data="a=candidate") as r:
            assert r.status == 405
        async with http.options(base + "/whip/cam") as r:
            assert r.status == 204
            assert r.headers["Accept-Post"] == "application/sdp"
            assert "Location" in r.headers["Access-Control-Expose-Headers"]
            assert r.headers["Access-Control-Allow-Origin"] == "*"


async def test_stream_token_guards_whip_and_whep(serve, frame):
    base = base_of(await serve(stream_token="s3cret"))
    denied = await sdp_post(base, "whip", "cam", FaceCamera([frame]))
    assert denied.response_status == 401
    wrong = await sdp_post(base, "whip", "cam", FaceCamera([frame]), token="guess")
    assert wrong.response_status == 403
    ok = await sdp_post(base, "whip", "cam", FaceCamera([frame]), token="s3cret")
    try:
        assert ok.response_status == 201
        await wait_connected(ok.pc)
        assert (await sdp_post(base, "whep", "cam", None)).response_status == 401
    finally:
        await ok.close()
    await no_peers_left(base)


async def test_connection_cap_answers_503(serve, frame):
    base = base_of(await serve(max_peers=1))
    first = await offer(base, FaceCamera([frame], fps=10))
    await wait_connected(first.pc)
    try:
        with pytest.raises(AssertionError, match="503"):
            await offer(base, FaceCamera([frame], fps=10))
        assert await peers(base) == 1
    finally:
        await first.close()
    await no_peers_left(base)


async def test_shutdown_closes_every_peer(serve, frame):
    server = await serve()
    client = await offer(base_of(server), FaceCamera([frame], fps=10))
    await wait_connected(client.pc)
    await server.close()

    async def closed() -> bool:
        return client.pc.connectionState in ("closed", "failed")

    try:
        await wait_for(closed, 10, "the client to see the server hang up")
    finally:
        await client.close()


async def test_player_page_is_served(serve):
    base = base_of(await serve())
    async with aiohttp.ClientSession() as http, http.get(base + "/player?channel=studio") as r:
        page = await r.text()
    assert r.status == 200 and "/whep/" in page and "<video" in page


def first_video_codec(sdp: str) -> str:
    m_video = next(line for line in sdp.splitlines() if line.startswith("m=video"))
    first_pt = m_video.split()[3]
    rtpmap = next(line for line in sdp.splitlines() if line.startswith(f"a=rtpmap:{first_pt} "))
    return rtpmap.split()[1].split("/")[0].upper()


@pytest.mark.parametrize("codec", ["h264", "vp8"])
async def test_video_codec_setting_puts_that_codec_first_in_the_answer(serve, frame, codec):
    base = base_of(await serve(video_codec=codec))
    client = await offer(base, FaceCamera([frame], fps=10))
    try:
        answer = client.pc.remoteDescription.sdp
        assert first_video_codec(answer) == codec.upper()
        assert "H264" in answer and "VP8" in answer  # both are offered back
    finally:
        await client.close()


async def test_bitrate_setting_reaches_aiortcs_encoders(serve):
    from aiortc.codecs import h264, vpx

    await serve(video_bitrate=3_000_000)
    assert vpx.DEFAULT_BITRATE == h264.DEFAULT_BITRATE == 3_000_000
    assert vpx.MAX_BITRATE >= 6_000_000  # receivers' estimates may raise it that far


async def test_whip_and_whep_work_with_h264_preferred(serve, astronaut, frame):
    base = base_of(await serve(video_codec="h264"))
    await upload(base, jpeg(astronaut))
    publisher = await sdp_post(base, "whip", "obs", FaceCamera([frame], fps=15))
    assert publisher.response_status == 201
    viewer = await sdp_post(base, "whep", "obs", None)
    try:
        assert viewer.response_status == 201, viewer.location
        assert first_video_codec(viewer.pc.remoteDescription.sdp) == "H264"
        out = await viewer.received.latest_image()
        assert out.shape == frame.shape
    finally:
        await viewer.close()
        await publisher.close()
