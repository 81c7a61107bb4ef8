"""The same events over the plain WebSocket at /ws, with aiohttp's client."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from testing.clients import SioUser, WsUser, base_of, get_json, upload
from testing.images import data_url, from_data_url, jpeg
from tests.face_checks import assert_swapped

pytestmark = pytest.mark.slow


async def test_ws_frames_come_back_swapped(serve, astronaut, frame, measure):
    base = base_of(await serve(max_fps=0))
    await upload(base, jpeg(astronaut))
    user = await WsUser().connect(base)
    try:
        sent = from_data_url(data_url(frame))
        for _ in range(3):
            answer = await user.roundtrip(data_url(frame))
        assert answer["success"] is True, answer
        assert answer["stats"]["swap_count"] == 3
        assert_swapped(measure, from_data_url(answer["processed"]), sent, astronaut)
        await user.emit("clear_source")
        assert await user.next("status_update") == {"message": "Source cleared"}
        answer = await user.roundtrip(data_url(frame))
        assert answer["error"] == "No source face loaded"
    finally:
        await user.close()


async def test_ws_bad_messages_get_an_error_event_and_the_connection_lives(serve, astronaut, frame):
    base = base_of(await serve())
    await upload(base, jpeg(astronaut))
    user = await WsUser().connect(base)
    try:
        await user.send_raw("this is not json")
        assert "not JSON" in (await user.next("error"))["message"]
        await user.send_raw('["process_frame"]')
        assert '"event"' in (await user.next("error"))["message"]
        await user.emit("make_coffee", {})
        assert "Unknown event" in (await user.next("error"))["message"]
        assert user.ws is not None
        await user.ws.send_bytes(b"\x00\x01")
        assert "Binary" in (await user.next("error"))["message"]
        answer = await user.roundtrip("data:image/jpeg;base64,%%%")
        assert answer["success"] is False and "base64" in answer["error"]
        assert (await user.roundtrip(data_url(frame)))["success"] is True
    finally:
        await user.close()


async def test_ws_oversized_message_closes_with_1009(serve):
    base = base_of(await serve(max_message_bytes=32 * 1024))
    user = await WsUser().connect(base)
    try:
        await user.emit("process_frame", {"frame": "data:image/jpeg;base64," + "A" * 100_000})
        await asyncio.wait_for(user.closed.wait(), 5)
        assert user.ws is not None and user.ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    finally:
        await user.close()
    await asyncio.sleep(0.1)
    assert (await get_json(base, "/status"))["sessions"] == 0


async def test_one_user_slot_is_shared_by_both_transports(serve):
    base = base_of(await serve(single_user="takeover", takeover_grace=0))
    sio_user = await SioUser().connect(base)
    ws_user = await WsUser().connect(base)
    try:
        assert "taken over" in (await sio_user.next("status_update"))["message"]
        await asyncio.wait_for(sio_user.disconnected.wait(), 5)
        status = await get_json(base, "/status")
        assert status["sessions"] == 1 and status["active_user"] is True
    finally:
        await ws_user.close()
        await sio_user.close()


async def test_ws_reject_policy_closes_the_newcomer_with_a_reason(serve):
    base = base_of(await serve(single_user="reject"))
    first = await WsUser().connect(base)
    second = await WsUser().connect(base)
    try:
        assert (await second.next("connect_error")) == {"message": "Another user is active"}
        await asyncio.wait_for(second.closed.wait(), 5)
        assert second.ws is not None and second.ws.close_code == aiohttp.WSCloseCode.POLICY_VIOLATION
        assert not first.closed.is_set()
    finally:
        await second.close()
        await first.close()
