"""The frame worker: latest frame wins, errors stay per frame, the loop never blocks.

The engines here are fakes with controllable speed and failures: the worker is what is under
test. The real engine runs through the worker in the last test.
"""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from media.accounting import Accounting
from media.worker import FrameWorker, Status
from testing.fakes import FAKE_SOURCE, FakeEngine
from testing.waits import eventually


def frame(n: int) -> np.ndarray:
    return np.full((4, 4, 3), n, np.uint8)


async def test_drops_stale_frames_when_engine_is_slow(started):
    engine = FakeEngine(delay=0.05)
    worker = started(FrameWorker(engine, Accounting()))
    tasks = []
    for i in range(20):  # a 200 fps camera against a 20 fps engine
        tasks.append(asyncio.create_task(worker.process("s", frame(i), [FAKE_SOURCE])))
        await asyncio.sleep(0.005)
    outcomes = await asyncio.gather(*tasks)
    statuses = [o.status for o in outcomes]
    assert statuses[-1] is Status.DONE  # the newest frame is always processed
    done, dropped = statuses.count(Status.DONE), statuses.count(Status.DROPPED)
    assert dropped >= 10 and done + dropped == 20
    assert done <= 20 * 0.005 / 0.05 + 2, "more frames processed than the engine had time for"
    assert worker.accounting.session("s").dropped == dropped
    assert engine.seen == sorted(engine.seen)  # never an older frame after a newer one


async def test_a_frame_reaches_the_engine_with_its_arrival_time_not_when_the_worker_got_to_it(started):
    """The landmarks' smoothing reads motion against frame times: a frame that waited for the
    engine must not look as if it came later (the wait is not motion)."""
    engine = FakeEngine(delay=0.1)
    worker = started(FrameWorker(engine, Accounting()))
    first = asyncio.create_task(worker.process("s", frame(1), [FAKE_SOURCE]))
    await asyncio.sleep(0.02)  # the engine is busy with frame 1 for 0.1 s
    arrived = time.monotonic()
    second = await worker.process("s", frame(2), [FAKE_SOURCE])
    await first
    assert second.status is Status.DONE and engine.seen == [1, 2]
    assert engine.taken[1] == pytest.approx(arrived, abs=0.01)  # it waited about 0.08 s
    # a caller's own time (a decoded frame's arrival, before decoding) is passed as given
    await worker.process("s", frame(3), [FAKE_SOURCE], taken_at=123.0)
    assert engine.taken[2] == 123.0


async def test_engine_exception_is_reported_and_next_frame_works(started):
    worker = started(FrameWorker(FakeEngine(fail_on=(7,)), Accounting()))
    bad = await worker.process("s", frame(7), [FAKE_SOURCE])
    good = await worker.process("s", frame(8), [FAKE_SOURCE])
    assert bad.status is Status.ERROR and "model blew up" in (bad.error or "")
    assert good.status is Status.DONE and good.result is not None
    stats = worker.accounting.session("s")
    assert (stats.frame_count, stats.error_count) == (2, 1)


async def test_event_loop_keeps_running_while_engine_works(started):
    engine = FakeEngine(delay=0.3)
    worker = started(FrameWorker(engine, Accounting()))
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    t = asyncio.create_task(ticker())
    try:
        await worker.process("s", frame(1), [FAKE_SOURCE])
    finally:
        t.cancel()
    assert ticks >= 10
    assert threading.get_ident() not in engine.threads


async def test_a_busy_session_cannot_starve_another(started):
    """One session sends as fast as it can; another's frame is served after at most one of its."""
    engine = FakeEngine(delay=0.02)
    worker = started(FrameWorker(engine, Accounting()))
    stop = asyncio.Event()

    async def flood() -> None:
        n = 0
        while not stop.is_set():
            n = n % 100 + 1
            await worker.process("busy", frame(n), [FAKE_SOURCE])

    floods = [asyncio.create_task(flood()) for _ in range(3)]
    await asyncio.sleep(0.1)
    for _ in range(5):
        before = len(engine.seen)
        outcome = await worker.process("quiet", frame(200), [FAKE_SOURCE])
        assert outcome.status is Status.DONE
        # ahead of it at most: the busy frame being taken when it came, and the one in the busy slot
        ahead = engine.seen[before:].index(200)
        assert ahead <= 2, f"the quiet session waited behind {ahead} busy frames"
    stop.set()
    await asyncio.gather(*floods)
    assert worker.accounting.session("quiet").frame_count == 5


async def test_closing_a_session_closes_its_stream_and_drops_its_frame(started):
    engine = FakeEngine(delay=0.1)
    worker = started(FrameWorker(engine, Accounting()))
    first = asyncio.create_task(worker.process("s", frame(1), [FAKE_SOURCE]))
    await eventually(lambda: bool(engine.seen), 2, "the first frame to be taken")
    pending = asyncio.create_task(worker.process("s", frame(2), [FAKE_SOURCE]))
    await asyncio.sleep(0)
    worker.close_session("s")
    assert (await pending).status is Status.DROPPED
    await first
    await eventually(lambda: engine.closed_streams == 1, 2, "the stream to be closed")
    assert engine.seen == [1]


async def test_stop_answers_waiting_frames():
    engine = FakeEngine(delay=0.2)
    worker = FrameWorker(engine)
    worker.start()
    busy = asyncio.create_task(worker.process("a", frame(1), [FAKE_SOURCE]))
    await eventually(lambda: bool(engine.seen), 2, "the first frame to be taken")
    waiting = asyncio.create_task(worker.process("b", frame(2), [FAKE_SOURCE]))
    await asyncio.sleep(0)
    await asyncio.to_thread(worker.stop)
    assert (await waiting).status is Status.DROPPED
    assert (await busy).status is Status.DONE
    assert engine.closed


async def test_an_engine_that_waits_is_counted_busy_but_not_on_the_cpu(started):
    """The worker's busy time less its CPU time is what the engine waited (for a core, the GIL):
    an engine asleep is busy without CPU, an engine computing is busy with it, in /metrics too."""
    from metrics import Metrics

    metrics = Metrics([], [], [])
    waiting = started(FrameWorker(FakeEngine(delay=0.05), Accounting(metrics), index=0))
    working = started(FrameWorker(FakeEngine(work=0.05), Accounting(metrics), index=1))
    for n in range(3):
        for worker in (waiting, working):
            assert (await worker.process("s", frame(n), [FAKE_SOURCE])).status is Status.DONE
    assert waiting.busy_seconds >= 0.15 and waiting.cpu_seconds < 0.05
    assert working.cpu_seconds >= 0.15 and working.busy_seconds >= 0.15
    cpu = {w: metrics.registry.get_sample_value("faceswap_worker_cpu_seconds_total", {"worker": str(w)})
           for w in (0, 1)}
    assert cpu == {0: pytest.approx(waiting.cpu_seconds), 1: pytest.approx(working.cpu_seconds)}


async def test_the_cpu_an_engine_spends_on_threads_of_its_own_is_counted_with_its_own(started):
    """An engine that runs part of a frame on a thread beside the worker's (the hand models) says
    how much CPU that took; the worker's thread clock alone would not see it."""
    worker = started(FrameWorker(FakeEngine(beside=0.05), Accounting()))
    for n in range(3):
        assert (await worker.process("s", frame(n), [FAKE_SOURCE])).status is Status.DONE
    assert worker.cpu_seconds >= 0.15


async def test_calls_run_on_the_worker_thread_and_raise_to_the_caller(started):
    worker = started(FrameWorker(FakeEngine(), Accounting()))
    ident = await worker.call(threading.get_ident)
    assert ident != threading.get_ident()
    with pytest.raises(ZeroDivisionError):
        await worker.call(lambda: 1 / 0)
    assert await worker.call(lambda: 42) == 42


async def test_real_engine_through_the_worker(started, mesh_engine, astronaut, t1_face):
    from testing.faces import place

    worker = FrameWorker(mesh_engine, Accounting(), close_engine=False)
    worker.start()
    try:
        source = await worker.call(lambda: mesh_engine.prepare_source(t1_face))
        outcome = await worker.process("s", place(astronaut, (640, 480), 0.9), [source])
    finally:
        worker.stop()
    assert outcome.status is Status.DONE and outcome.result is not None
    assert outcome.result.faces_swapped == 1
    stats = worker.accounting.session("s")
    assert stats.swap_count == 1 and stats.avg_processing_time > 0
