"""The Face Swap Live dialect over real Socket.IO: a real server, a real client, real faces."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest
import socketio

from testing.clients import SioUser, base_of, get_json, metric, upload
from testing.images import b64_url, data_url, from_data_url, jpeg, png_header_only
from tests.face_checks import assert_swapped

pytestmark = pytest.mark.slow


async def test_uploaded_face_replaces_the_face_in_frames(serve, astronaut, frame, measure):
    base = base_of(await serve(max_fps=0))
    status, body = await upload(base, jpeg(astronaut))
    assert (status, body) == (200, {"success": True, "message": "Source face ready!", "notes": []})
    user = await SioUser().connect(base)
    try:
        sent = from_data_url(data_url(frame))  # what the server decodes
        for _ in range(3):  # the tracker settles over the first frames
            answer = await user.roundtrip(data_url(frame))
        assert answer["success"] is True, answer
        assert set(answer["stats"]) >= {"frame_count", "swap_count", "avg_processing_time", "fps"}
        assert answer["stats"]["frame_count"] == 3 and answer["stats"]["swap_count"] == 3
        assert_swapped(measure, from_data_url(answer["processed"]), sent, astronaut)
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


async def test_rate_limit_answers_the_excess_with_a_drop_notice(serve, astronaut, frame):
    base = base_of(await serve(max_fps=5))
    await upload(base, jpeg(astronaut))
    user = await SioUser().connect(base)
    try:
        url = data_url(frame)
        started = time.monotonic()
        for n in range(30):  # far faster than 5 a second
            await user.sio.emit("process_frame", {"frame": url, "id": n})
        took = time.monotonic() - started
        for _ in range(30):  # every frame is answered one way or the other
            await user.next_of("processed_frame", "frame_dropped")
        status = await get_json(base, "/status")
    finally:
        await user.close()
    limited = await metric(base, "faceswap_dropped_frames_total", reason="rate_limit")
    # however fast the 30 went out, no sliding second let more than 5 through
    assert 1 <= 30 - limited <= 5 * (int(took) + 1), (limited, took)
    assert status["frame_count"] + status["dropped_frames"] == 30


async def test_takeover_disconnects_the_previous_user(serve, astronaut, frame):
    base = base_of(await serve(single_user="takeover", takeover_grace=0))
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


async def test_the_thread_a_users_hand_models_ran_on_ends_with_their_session(serve, astronaut, frame):
    """With hands kept in front (the server's default), each stream looks for hands on a thread of
    its own where the server has a second core (models/beside.py); a user who leaves takes it
    with them."""
    from models.beside import cores
    from models.mesh_engine import MeshEngine

    engine = MeshEngine(occlusion="hands")
    try:
        base = base_of(await serve(engine=engine, max_fps=0))
        await upload(base, jpeg(astronaut))
        before = set(threading.enumerate())
        user = await SioUser().connect(base)
        try:
            for _ in range(7):  # the palm detector's next look, on the sixth frame, is the thread's
                assert (await user.roundtrip(data_url(frame)))["success"] is True
            started = [t for t in set(threading.enumerate()) - before if t.name.startswith("hands")]
            assert len(started) == (1 if cores() > 1 else 0), started
        finally:
            await user.close()
        for _ in range(50):
            if not any(thread.is_alive() for thread in started):
                break
            await asyncio.sleep(0.1)
        assert not any(thread.is_alive() for thread in started), "the hand models' thread outlived it"
    finally:
        engine.close()


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


async def test_streaming_longer_than_the_session_timeout_stays_swapped_then_the_face_is_forgotten(
        serve, astronaut, frame):
    base = base_of(await serve(session_timeout=0.3, max_fps=0))
    await upload(base, jpeg(astronaut))
    user = await SioUser().connect(base)
    try:
        deadline = time.monotonic() + 1.0  # three session timeouts of streaming
        while time.monotonic() < deadline:
            answer = await user.roundtrip(data_url(frame, quality=70))
            assert answer["success"] is True, answer
    finally:
        await user.close()
    assert (await get_json(base, "/status"))["source_face_loaded"] is True
    for _ in range(40):  # nobody left: forgotten session_timeout later (plus a reaper period)
        await asyncio.sleep(0.05)
        if not (await get_json(base, "/status"))["source_face_loaded"]:
            break
    assert (await get_json(base, "/status"))["source_face_loaded"] is False


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
    await user.close()  # as browsers do on a server disconnect (python-socketio's client waits 5 s)
    await closing
