"""The Face Swap Live events with recording clients, a fake clock and a fake engine: the dialect's
own rules (rate limit, answers, source notices) without a socket."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from media.accounting import Accounting
from media.channels import TAKEN_OVER, Refused, SingleUser, Transport
from media.engine_host import EngineHost
from media.sessions import SessionPolicy, Sessions
from models.engine import NO_SOURCE
from signaling.face_swap_live.events import SOURCE_CLEARED, SOURCE_READY, FaceSwapLiveEvents, FrameLimits
from testing.fakes import FAKE_SOURCE, FakeClock, FakeEngine, RecordingClient
from testing.images import data_url, from_data_url
from testing.waits import eventually


@pytest.fixture
async def world():
    """Events on a fake clock over a real worker thread running a fake engine."""
    clock = FakeClock()
    engine = FakeEngine()
    accounting = Accounting()
    host = EngineHost(accounting, lambda: engine)
    await host.start()
    pool = ThreadPoolExecutor(2)

    def build(max_fps: float = 15.0, single_user: SingleUser = SingleUser.TAKEOVER) -> FaceSwapLiveEvents:
        sessions = Sessions(SessionPolicy(single_user, 60.0, 300.0), clock)
        limits = FrameLimits(max_fps, 2**21, 4096 * 4096, 80)
        return FaceSwapLiveEvents(sessions, host, accounting, limits, pool)

    yield build, clock, engine, accounting
    await host.stop()
    pool.shutdown()


def answered(client: RecordingClient, n: int):
    """Whether `n` frames have been answered: processed, or their drop announced."""
    return lambda: len(client.events("processed_frame")) + len(client.events("frame_dropped")) == n


def picture(value: int = 100) -> np.ndarray:
    return np.full((64, 64, 3), value, np.uint8)


async def answers(client: RecordingClient, n: int) -> list[dict]:
    await eventually(lambda: len(client.events("processed_frame")) >= n, 5, f"{n} answer(s)")
    return client.events("processed_frame")


async def test_no_source_is_answered_without_running_the_engine(world):
    build, _, engine, _ = world
    events = build()
    client = RecordingClient("sio-a")
    await events.connect(client)
    url = data_url(picture())
    await events.handle(client, "process_frame", {"frame": url})
    (answer,) = await answers(client, 1)
    assert answer["success"] is False and answer["error"] == NO_SOURCE and answer["processed"] == url
    assert engine.seen == []


async def test_a_frame_with_a_source_comes_back_swapped(world):
    build, clock, _, accounting = world
    events = build()
    events.sessions.uploads.set([FAKE_SOURCE], clock())
    client = RecordingClient("sio-a")
    await events.connect(client)
    await events.handle(client, "process_frame", {"frame": data_url(picture(100))})
    (answer,) = await answers(client, 1)
    assert answer["success"] is True and answer["stats"]["swap_count"] == 1
    out = from_data_url(answer["processed"])
    assert out[-1, 0].mean() > 140 and out[0, 0].mean() < 110, "the fake engine's inverted half came back"
    assert accounting.totals.swap_count == 1


async def test_every_frame_gets_one_answer_and_frames_over_the_rate_a_drop_notice(world):
    build, clock, _, accounting = world
    events = build(max_fps=5)
    events.sessions.uploads.set([FAKE_SOURCE], clock())
    client = RecordingClient("sio-a")
    await events.connect(client)
    url = data_url(picture())

    for n in range(12):  # twelve frames, one after another, within one instant: five fit in the window
        await events.handle(client, "process_frame", {"frame": url, "id": n})
        await eventually(answered(client, n + 1), 5, f"frame {n} answered")
    assert [a["id"] for a in client.events("processed_frame")] == [0, 1, 2, 3, 4]
    drops = client.events("frame_dropped")
    assert [d["id"] for d in drops] == list(range(5, 12))
    assert {d["reason"] for d in drops} == {"rate_limit"}
    assert accounting.session(client.id).dropped == 7
    clock.advance(1.0)  # a new second: the limit lets frames through again
    await events.handle(client, "process_frame", {"frame": url})
    await eventually(answered(client, 13), 5, "frame 12 answered")
    assert len(client.events("processed_frame")) == 6 and "id" not in client.events("processed_frame")[-1]


async def test_overtaken_frames_get_a_drop_notice_and_answers_never_go_back_in_time(world):
    build, clock, engine, _ = world
    engine.delay = 0.03
    events = build(max_fps=0)
    events.sessions.uploads.set([FAKE_SOURCE], clock())
    client = RecordingClient("sio-a")
    await events.connect(client)
    for n in range(20):  # decoded on two threads, some out of order; the engine slower than the sender
        await events.handle(client, "process_frame", {"frame": data_url(picture(n)), "id": n})
        await asyncio.sleep(0.005)
    await eventually(answered(client, 20), 5, "twenty answers")
    shown = [a["id"] for a in client.events("processed_frame")]
    assert shown == sorted(shown) and shown[-1] == 19, shown
    assert {d["reason"] for d in client.events("frame_dropped")} <= {"superseded", "busy"}
    assert engine.seen == sorted(engine.seen), "an older frame reached the engine after a newer one"


async def test_takeover_tells_the_previous_user_then_hangs_up(world):
    build, clock, *_ = world
    events = build()
    first, second = RecordingClient("sio-1"), RecordingClient("ws-2", Transport.WS)
    await events.connect(first)
    clock.advance(3)
    await events.connect(second)
    assert first.events("status_update") == [{"message": TAKEN_OVER}] and first.closed
    assert events.count() == 1 and not second.closed


async def test_reject_refuses_the_newcomer_and_keeps_the_first(world):
    build, *_ = world
    events = build(single_user=SingleUser.REJECT)
    first = RecordingClient("sio-1")
    await events.connect(first)
    with pytest.raises(Refused):
        await events.connect(RecordingClient("sio-2"))
    assert not first.closed and events.count() == 1


async def test_clear_source_and_upload_notices(world):
    build, clock, *_ = world
    events = build()
    client = RecordingClient("sio-a")
    await events.connect(client)
    events.sessions.uploads.set([FAKE_SOURCE], clock())  # an upload over HTTP
    await asyncio.sleep(0.01)
    await events.handle(client, "clear_source", None)
    assert client.events("status_update") == [{"message": SOURCE_READY}, {"message": SOURCE_CLEARED}]
    assert not events.sessions.uploads.loaded


async def test_unknown_events_get_an_error_and_the_connection_lives(world):
    build, *_ = world
    events = build()
    client = RecordingClient("ws-a", Transport.WS)
    await events.connect(client)
    await events.handle(client, "make_coffee", {})
    assert "Unknown event" in client.events("error")[0]["message"] and not client.closed


async def test_an_idle_user_is_told_and_disconnected(world):
    build, clock, *_ = world
    events = build()
    client = RecordingClient("sio-a")
    await events.connect(client)
    clock.advance(61)
    await events.sessions.reap()
    assert "without activity" in client.events("status_update")[0]["message"] and client.closed
    assert events.count() == 0
