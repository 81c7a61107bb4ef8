"""Fair use of the limited slots, end to end: offers that never connect cannot lock real users out,
a takeover cannot be turned into a reconnect storm, a vanished publisher frees its channel."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiortc import RTCPeerConnection

from testing.clients import SioUser, base_of, upload
from testing.images import data_url, jpeg
from testing.rtc_client import FaceCamera, offer, sdp_post, wait_connected

pytestmark = pytest.mark.slow


async def bogus_offer(base: str, frame) -> int:
    """An offer whose client goes away before ICE: it holds a slot until the connect timeout."""
    pc = RTCPeerConnection()
    pc.addTrack(FaceCamera([frame]))
    await pc.setLocalDescription(await pc.createOffer())
    async with aiohttp.ClientSession() as http, \
            http.post(base + "/offer", json={"sdp": pc.localDescription.sdp, "type": "offer",
                                             "channel": f"b{time.monotonic_ns()}"}) as r:
        status = r.status
    await pc.close()
    return status


async def test_seventeen_bogus_offers_from_one_address_leave_room_for_a_real_user(serve, frame):
    base = base_of(await serve(max_peers=16, connect_rate=100))
    statuses = [await bogus_offer(base, frame) for _ in range(17)]
    assert statuses.count(200) == 3, statuses  # three set-ups at a time per address
    assert set(statuses) == {200, 429}, statuses
    real = await offer(base, FaceCamera([frame], fps=10), source_address="127.0.0.2")
    try:
        await wait_connected(real.pc)
    finally:
        await real.close()


async def test_a_reconnect_storm_in_takeover_mode_still_lets_the_last_client_stream(serve, astronaut, frame):
    base = base_of(await serve(single_user="takeover", max_fps=0))
    await upload(base, jpeg(astronaut))
    url = data_url(frame, quality=70)
    answered = 0
    stop = asyncio.Event()
    holders: list[SioUser] = []

    async def stormer() -> None:
        """Reconnects as soon as it is disconnected, sends frames while it holds the channel."""
        nonlocal answered
        while not stop.is_set():
            user = SioUser()
            try:
                await user.connect(base)
            except Exception:  # refused: taken a moment ago, or too many attempts
                await asyncio.sleep(0.05)
                continue
            holders.append(user)
            while not stop.is_set() and not user.disconnected.is_set():
                try:
                    if (await user.roundtrip(url, within=2))["success"]:
                        answered += 1
                except TimeoutError:
                    pass
            if stop.is_set():
                return  # the last one stays connected
            await user.close()

    storm = [asyncio.create_task(stormer()) for _ in range(6)]
    await asyncio.sleep(4)
    stop.set()
    await asyncio.gather(*storm)
    assert answered > 0, "nobody streamed during the storm"
    last = [u for u in holders if u.sio.connected]
    assert len(last) == 1, "the channel has one publisher"
    try:
        assert (await last[0].roundtrip(url))["success"] is True
    finally:
        for user in holders:
            await user.close()


async def test_a_vanished_publisher_frees_its_channel_within_the_media_timeout(serve, frame):
    base = base_of(await serve(single_user="reject", media_timeout=1.0))
    first = await sdp_post(base, "whip", "cam", FaceCamera([frame], fps=15))
    await wait_connected(first.pc)
    for transceiver in first.pc.getTransceivers():  # pulled cable: no goodbye, no more packets
        for protocol in transceiver.sender.transport.transport._connection._protocols:
            protocol.transport.close()
    assert (await sdp_post(base, "whip", "cam", FaceCamera([frame]))).response_status == 409
    started = time.monotonic()
    second = None
    try:
        for _ in range(20):  # every 0.3 s, as a client retrying would
            await asyncio.sleep(0.3)
            attempt = await sdp_post(base, "whip", "cam", FaceCamera([frame], fps=15))
            if attempt.response_status == 201:
                second = attempt
                break
        freed = time.monotonic() - started
        assert second is not None, "the vanished publisher kept its channel"
        assert freed < 1.0 + 1.0, freed  # the media timeout, plus a reaper period and a retry
    finally:
        await first.close()
        if second is not None:
            await second.close()
