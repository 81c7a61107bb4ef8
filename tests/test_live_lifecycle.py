"""The live API session's state machine, and its service on a fake clock (a real in-memory store,
a fake engine): expiry, close, restart, caps. No HTTP, no sleeps beyond a task switch."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from media.accounting import Accounting
from media.channels import Member, Transport
from media.engine_host import EngineHost
from media.sessions import SessionPolicy, Sessions
from signaling.live_face_swap_api.codes import ApiCode, ApiError
from signaling.live_face_swap_api.fetch import SafeFetcher
from signaling.live_face_swap_api.lifecycle import (
    InvalidTransition,
    SessionEvent,
    SessionStatus,
    next_status,
)
from signaling.live_face_swap_api.requests import SourceImage
from signaling.live_face_swap_api.sessions import LiveLimits, LiveSessions
from signaling.live_face_swap_api.store import SQLiteStore
from testing.fakes import FakeClock, FakeEngine
from testing.images import data_url

Q, R, E, F = SessionStatus.QUEUEING, SessionStatus.READY, SessionStatus.ENDED, SessionStatus.FAILED


@pytest.mark.parametrize("status, event, after", [
    (Q, SessionEvent.PREPARED, R),
    (Q, SessionEvent.PREPARE_FAILED, F),
    (R, SessionEvent.UPDATED, Q),
    (F, SessionEvent.UPDATED, Q),
    (R, SessionEvent.CLOSED, E),
    (F, SessionEvent.EXPIRED, E),
    (R, SessionEvent.SERVER_RESTARTED, F),
])
def test_status_moves_as_documented(status, event, after):
    assert next_status(status, event) is after


@pytest.mark.parametrize("status, event", [
    (E, SessionEvent.UPDATED), (E, SessionEvent.CLOSED), (R, SessionEvent.PREPARED),
    (F, SessionEvent.SERVER_RESTARTED),
])
def test_impossible_moves_are_refused(status, event):
    with pytest.raises(InvalidTransition):
        next_status(status, event)


@pytest.fixture
async def service():
    clock, mono = FakeClock(1_700_000_000.0), FakeClock()
    host = EngineHost(Accounting(), FakeEngine)
    await host.start()
    store = SQLiteStore(":memory:")
    pool = ThreadPoolExecutor(1)
    sessions = Sessions(SessionPolicy(), mono)
    limits = LiveLimits(session_ttl=3600.0, max_sessions=3, sessions_per_client=2, max_upload_bytes=2**20,
                        max_upload_pixels=10**7)
    live = LiveSessions(sessions, host, store, SafeFetcher((), 2**20, 1.0), limits, pool, clock)
    await live.start()
    yield live, sessions, store, clock
    await live.stop()
    await store.close()
    await host.stop()
    pool.shutdown()


def face_image(astronaut) -> list[SourceImage]:
    return [SourceImage(data_url(astronaut), "", None)]


async def settled(live: LiveSessions, client: str, session_id: str) -> SessionStatus:
    for _ in range(200):
        record = await live.info(client, session_id)
        if record.status is not Q:
            return record.status
        await asyncio.sleep(0.005)
    raise AssertionError("still preparing")


async def test_a_session_is_ready_then_expires_at_its_ttl(service, astronaut):
    live, sessions, _, clock = service
    record = await live.create("c1", face_image(astronaut))
    assert await settled(live, "c1", record.id) is R
    assert sessions.channel(record.channel_id).sources.loaded
    clock.advance(3599)
    await live.reap()
    assert (await live.info("c1", record.id)).status is R
    clock.advance(2)
    await live.reap()
    ended = await live.info("c1", record.id)
    assert (ended.status, ended.msg) == (E, "expired")
    assert sessions.channel(record.channel_id) is None


async def test_closing_hangs_up_everyone_on_the_channel(service, astronaut):
    live, sessions, _, _ = service
    record = await live.create("c1", face_image(astronaut))
    hung_up: list[str] = []

    async def close(why: str) -> None:
        hung_up.append(why)

    channel = sessions.channel(record.channel_id)
    await sessions.join(channel, Member("viewer", Transport.WHEP, False, True), close)
    closed = await live.close("c1", record.id)
    assert closed.status is E and len(hung_up) == 1


async def test_caps_per_client_and_in_total(service, astronaut):
    live, *_ = service
    await live.create("c1", face_image(astronaut))
    await live.create("c1", face_image(astronaut))
    with pytest.raises(ApiError) as per_client:
        await live.create("c1", face_image(astronaut))
    assert per_client.value.code is ApiCode.TOO_MANY_SESSIONS
    await live.create("c2", face_image(astronaut))
    with pytest.raises(ApiError, match="maximum of 3"):
        await live.create("c3", face_image(astronaut))


async def test_a_source_that_fails_reads_status_4_with_the_reason(service):
    live, *_ = service
    record = await live.create("c1", [SourceImage("img_nothing", "", None)])
    assert await settled(live, "c1", record.id) is F
    assert "uploaded" in (await live.info("c1", record.id)).msg


async def test_an_internal_error_is_not_shown_to_the_client(service, astronaut, monkeypatch, caplog):
    live, *_ = service

    async def broken(*args):
        raise KeyError("path")

    monkeypatch.setattr(live, "_load", broken)
    record = await live.create("c1", face_image(astronaut))
    assert await settled(live, "c1", record.id) is F
    msg = (await live.info("c1", record.id)).msg
    assert "internal error" in msg and "path" not in msg
    assert any(r.exc_info for r in caplog.records), "the traceback goes to the log"


async def test_another_clients_session_is_not_found(service, astronaut):
    live, *_ = service
    record = await live.create("c1", face_image(astronaut))
    with pytest.raises(ApiError, match="no session"):
        await live.info("c2", record.id)


async def test_sessions_live_at_a_restart_read_failed_afterwards(service, astronaut):
    live, sessions, store, clock = service
    record = await live.create("c1", face_image(astronaut))
    await settled(live, "c1", record.id)
    again = LiveSessions(sessions, live.engine, store, live.fetcher, live.limits, live.pool, clock)
    await again.start()
    after = await again.info("c1", record.id)
    assert (after.status, after.msg) == (F, "server restarted")


async def test_a_failed_session_does_not_hold_a_place_in_the_caps(service, astronaut):
    live, *_ = service
    failed = await live.create("c1", [SourceImage("img_nothing", "", None)])
    assert await settled(live, "c1", failed.id) is F
    await live.create("c1", face_image(astronaut))
    await live.create("c1", face_image(astronaut))  # the cap is 2 working sessions per client
    with pytest.raises(ApiError):
        await live.create("c1", face_image(astronaut))
