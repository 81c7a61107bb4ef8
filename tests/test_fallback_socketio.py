"""The Face Swap Live dialect over real Socket.IO: a real server, a real client, real faces."""

from __future__ import annotations

import asyncio
import base64
import struct
import zlib

import numpy as np
import pytest
import socketio
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import place
from tests.face_checks import identity_scores, outside_face
from tests.fallback_client import SioUser, data_url, from_data_url, get_json, jpeg, upload


@pytest.fixture(scope="module")
def frame(t1_face):
    """A 640x480 camera frame: the man from the centre of t1.jpg."""
    return place(t1_face, (640, 480), 1.6)


async def metric(base: str, name: str, **labels: str) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(base + "/metrics") as r:
        text = await r.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    raise AssertionError(f"{name} {labels} not in /metrics")


def base_of(server) -> str:
    return str(server.make_url("")).rstrip("/")


async def test_uploaded_face_replaces_the_face_in_frames(serve, astronaut, frame, measure):
    base = base_of(await serve(max_fps=0))
    status, body = await upload(base, jpeg(astronaut))
    assert (status, body) == (200, {"success": True, "message": "Source face ready!"})
    user = await SioUser().connect(base)
    try:
        sent = from_data_url(data_url(frame))  # what the server decodes
        for _ in range(3):  # the tracker settles over the first frames
            answer = await user.roundtrip(data_url(frame))
        assert answer["success"] is True, answer
        assert set(answer["stats"]) >= {"frame_count", "swap_count", "avg_processing_time", "fps"}
        assert answer["stats"]["frame_count"] == 3 and answer["stats"]["swap_count"] == 3
        out = from_data_url(answer["processed"])
        assert out.shape == frame.shape
        to_source, to_target = identity_scores(measure, out, sent, astronaut)
        assert to_source > to_target + 0.15, (to_source, to_target)
        far = outside_face(measure, sent)
        diff = np.abs(out.astype(int) - sent.astype(int)).max(axis=2)
        assert diff[far].mean() < 3, "the background changed"
        assert diff[~far].mean() > 5, "the face hardly changed"
    finally:
        await user.close()


async def test_frames_before_upload_come_back_unswapped_with_a_reason(serve, frame):
    base = base_of(await serve())
    user = await SioUser().connect(base)
    try:
        url = data_url(frame)
        answer = await user.roundtrip(url)
        assert answer["success"] is False
        assert answer["error"] == "No source face loaded"
        assert answer["processed"] == url
    finally:
        await user.close()


async def test_frame_without_a_face_says_so(serve, astronaut):
    base = base_of(await serve())
    await upload(base, jpeg(astronaut))
    user = await SioUser().connect(base)
    try:
        grey = data_url(np.full((480, 640, 3), 128, np.uint8))
        answer = await user.roundtrip(grey)
        assert answer == {"success": False, "error": "No face detected in frame", "processed": grey,
                          "stats": answer["stats"]}
    finally:
        await user.close()


async def test_clear_source_forgets_the_face(serve, astronaut, frame):
    base = base_of(await serve())
    await upload(base, jpeg(astronaut))
    assert (await get_json(base, "/status"))["source_face_loaded"] is True
    user = await SioUser().connect(base)
    try:
        await user.sio.emit("clear_source")
        assert await user.next("status_update") == {"message": "Source cleared"}
        assert (await get_json(base, "/status"))["source_face_loaded"] is False
        answer = await user.roundtrip(data_url(frame))
        assert answer["success"] is False and answer["error"] == "No source face loaded"
    finally:
        await user.close()


async def test_status_and_metrics_count_what_was_sent(serve, astronaut, frame):
    base = base_of(await serve(max_fps=0))
    await upload(base, jpeg(astronaut))
    user = await SioUser().connect(base)
    try:
        for _ in range(4):
            assert (await user.roundtrip(data_url(frame)))["success"] is True
        grey = data_url(np.full((480, 640, 3), 128, np.uint8))
        assert (await user.roundtrip(grey))["success"] is False
        status = await get_json(base, "/status")
        assert status["sessions"] == 1 and status["active_user"] is True
    finally:
        await user.close()
    assert status["frame_count"] == 5
    assert status["swap_count"] == 4
    assert status["error_count"] == 0
    assert status["avg_processing_time"] > 0
    assert status["models_loaded"] is True and status["engine"] == "mesh"
    assert status["dropped_frames"] == 0
    assert await metric(base, "faceswap_frames_total") == 5
    assert await metric(base, "faceswap_swaps_total") == 4
    assert await metric(base, "faceswap_processing_seconds_count") == 5
    assert await metric(base, "faceswap_source_uploads_total", result="ok") == 1


async def test_rate_limit_drops_the_excess_silently(serve, astronaut, frame):
    base = base_of(await serve(max_fps=5))
    await upload(base, jpeg(astronaut))
    user = await SioUser().connect(base)
    try:
        url = data_url(frame)
        for _ in range(30):  # far faster than 5 a second
            await user.send(url)
        await asyncio.sleep(1.0)
        answered = user.pending("processed_frame")
        status = await get_json(base, "/status")
    finally:
        await user.close()
    assert 1 <= len(answered) <= 5
    assert await metric(base, "faceswap_dropped_frames_total", reason="rate_limit") == 25
    # the five let through were answered or, when a newer one overtook them, dropped and counted
    assert status["frame_count"] + status["dropped_frames"] == 30


async def test_takeover_disconnects_the_previous_user(serve, astronaut, frame):
    base = base_of(await serve(single_user="takeover"))
    await upload(base, jpeg(astronaut))
    first = await SioUser().connect(base)
    second = await SioUser().connect(base)
    try:
        note = await first.next("status_update")
        assert "taken over" in note["message"]
        await asyncio.wait_for(first.disconnected.wait(), 5)
        assert (await second.roundtrip(data_url(frame)))["success"] is True
        assert (await get_json(base, "/status"))["sessions"] == 1
    finally:
        await second.close()
        await first.close()


async def test_reject_policy_refuses_a_second_user_until_the_first_leaves(serve, astronaut, frame):
    base = base_of(await serve(single_user="reject"))
    await upload(base, jpeg(astronaut))
    first = await SioUser().connect(base)
    second = SioUser()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await second.connect(base)
    assert (await second.next("connect_error")) == {"message": "Another user is active"}
    assert (await first.roundtrip(data_url(frame)))["success"] is True
    await first.close()
    await asyncio.sleep(0.2)
    third = await SioUser().connect(base)
    try:
        assert (await third.roundtrip(data_url(frame)))["success"] is True
    finally:
        await third.close()


async def test_idle_user_is_disconnected(serve):
    base = base_of(await serve(idle_timeout=0.4))
    user = await SioUser().connect(base)
    try:
        note = await user.next("status_update", within=5)
        assert "without activity" in note["message"]
        await asyncio.wait_for(user.disconnected.wait(), 5)
        assert (await get_json(base, "/status"))["sessions"] == 0
    finally:
        await user.close()


async def test_source_is_forgotten_when_nobody_uses_it_for_a_session(serve, astronaut):
    base = base_of(await serve(session_timeout=0.5))
    await upload(base, jpeg(astronaut))
    user = await SioUser().connect(base)
    await asyncio.sleep(1.0)  # a connected user keeps it
    assert (await get_json(base, "/status"))["source_face_loaded"] is True
    await user.close()
    await asyncio.sleep(1.2)
    assert (await get_json(base, "/status"))["source_face_loaded"] is False


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels but carries almost no data (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def b64_url(body: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(body).decode()


BAD_FRAMES = {
    "not_a_string": (12345, "data URL"),
    "not_base64": ("data:image/jpeg;base64,***not base64***", "base64"),
    "text_not_image": (b64_url(b"hello, I am not a picture", "image/jpeg"), "Not an image"),
    "gif_not_allowed": (b64_url(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"), "Not an image"),
    "truncated_jpeg": ("TRUNCATED", "Unreadable"),
    "absurd_dimensions": (b64_url(png_header_only(100_000, 100_000)), "too large"),
    "one_pixel": ("ONE_PIXEL", "too small"),
    "missing_frame_field": (None, "data URL"),
}


@pytest.mark.parametrize("case", list(BAD_FRAMES))
async def test_bad_frames_are_answered_with_a_reason(serve, astronaut, frame, case):
    base = base_of(await serve())
    await upload(base, jpeg(astronaut))
    value, reason = BAD_FRAMES[case]
    if value == "TRUNCATED":
        value = b64_url(jpeg(frame)[:3000], "image/jpeg")
    elif value == "ONE_PIXEL":
        value = data_url(np.zeros((1, 1, 3), np.uint8))
    user = await SioUser().connect(base)
    try:
        if case == "missing_frame_field":
            await user.sio.emit("process_frame", {"picture": "x"})
            answer = await user.next("processed_frame")
        else:
            answer = await user.roundtrip(value)
        assert answer["success"] is False
        assert reason.lower() in answer["error"].lower(), answer["error"]
        # the server carries on: a good frame right after is swapped
        assert (await user.roundtrip(data_url(frame)))["success"] is True
    finally:
        await user.close()
    status = await get_json(base, "/status")
    assert status["error_count"] == 0 and status["models_loaded"] is True


async def test_oversized_message_is_refused_by_the_transport_and_the_server_goes_on(serve, astronaut, frame):
    base = base_of(await serve(max_message_bytes=64 * 1024))
    await upload(base, jpeg(astronaut))
    user = await SioUser().connect(base)
    try:
        await user.send("data:image/jpeg;base64," + "A" * 200_000)
        await asyncio.wait_for(user.disconnected.wait(), 5)
    finally:
        await user.close()
    await asyncio.sleep(0.2)
    assert (await get_json(base, "/status"))["sessions"] == 0
    again = await SioUser().connect(base)
    try:
        assert (await again.roundtrip(data_url(frame, quality=70)))["success"] is True
    finally:
        await again.close()


async def test_polling_transport_works_too(serve, astronaut, frame):
    """Seed clients may start on long-polling before upgrading."""
    server = await serve()
    base = base_of(server)
    await upload(base, jpeg(astronaut))
    user = await SioUser().connect(base, transports=("polling",))
    assert (await user.roundtrip(data_url(frame, quality=70)))["success"] is True
    # The server ends it: python-socketio's polling client takes ~30 s to hang up on its own.
    await server.close()
    await asyncio.wait_for(user.disconnected.wait(), 5)
    await user.close()


async def test_shutdown_closes_every_connection(serve):
    server = await serve()
    user = await SioUser().connect(base_of(server))
    closing = asyncio.create_task(server.close())
    await asyncio.wait_for(user.disconnected.wait(), 2)
    await closing
    await user.close()
