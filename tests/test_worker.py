"""The frame worker: latest frame wins, errors stay per frame, the loop never blocks.

The engines here are fakes with controllable speed and failures: the worker is what is under
test. The real engine runs through the worker in the last test.
"""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np

from media.worker import FrameWorker, Status
from models.engine import SourceFace, SwapResult


class FakeStream:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def swap(self, frame: np.ndarray, sources: list[SourceFace]) -> SwapResult:
        self.engine.threads.add(threading.get_ident())
        self.engine.seen.append(int(frame[0, 0, 0]))
        time.sleep(self.engine.delay)
        if int(frame[0, 0, 0]) in self.engine.fail_on:
            raise ValueError("model blew up")
        return SwapResult(frame, 1, 1 if sources else 0)

    def close(self) -> None:
        self.engine.closed_streams += 1


class FakeEngine:
    name = "fake"
    provider = "none"
    model_files: list[str] = []  # noqa: RUF012

    def __init__(self, delay: float = 0.0, fail_on: tuple[int, ...] = ()) -> None:
        self.delay = delay
        self.fail_on = set(fail_on)
        self.seen: list[int] = []
        self.threads: set[int] = set()
        self.closed_streams = 0
        self.closed = False

    def open_stream(self) -> FakeStream:
        return FakeStream(self)

    def close(self) -> None:
        self.closed = True


def frame(n: int) -> np.ndarray:
    return np.full((4, 4, 3), n, np.uint8)


async def test_drops_stale_frames_when_engine_is_slow():
    engine = FakeEngine(delay=0.05)
    worker = FrameWorker(engine)
    worker.start()
    try:
        tasks = []
        for i in range(20):  # a 200 fps camera against a 20 fps engine
            tasks.append(asyncio.create_task(worker.process("s", frame(i), [])))
            await asyncio.sleep(0.005)
            assert len(worker._slots) <= 1  # never more than one frame waits per session
        outcomes = await asyncio.gather(*tasks)
    finally:
        worker.stop()
    statuses = [o.status for o in outcomes]
    assert statuses[-1] is Status.DONE  # the newest frame is always processed
    done = statuses.count(Status.DONE)
    dropped = statuses.count(Status.DROPPED)
    assert dropped >= 10 and done + dropped == 20
    assert worker.stats("s").dropped == dropped
    assert engine.seen == sorted(engine.seen)  # never an older frame after a newer one


async def test_engine_exception_is_reported_and_next_frame_works():
    engine = FakeEngine(fail_on=(7,))
    worker = FrameWorker(engine)
    worker.start()
    try:
        bad = await worker.process("s", frame(7), [])
        good = await worker.process("s", frame(8), [])
    finally:
        worker.stop()
    assert bad.status is Status.ERROR and "model blew up" in (bad.error or "")
    assert good.status is Status.DONE and good.result is not None
    stats = worker.stats("s")
    assert (stats.frame_count, stats.error_count) == (2, 1)


async def test_event_loop_keeps_running_while_engine_works():
    engine = FakeEngine(delay=0.3)
    worker = FrameWorker(engine)
    worker.start()
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    t = asyncio.create_task(ticker())
    try:
        await worker.process("s", frame(1), [])
    finally:
        t.cancel()
        worker.stop()
    assert ticks >= 10
    assert threading.get_ident() not in engine.threads


async def test_sessions_are_served_fairly_and_counted_apart():
    engine = FakeEngine(delay=0.01)
    worker = FrameWorker(engine)
    worker.start()
    try:
        a = [worker.process("a", frame(1), []) for _ in range(1)]
        b = [worker.process("b", frame(2), []) for _ in range(1)]
        await asyncio.gather(*a, *b)
        for _ in range(5):
            await asyncio.gather(worker.process("a", frame(1), []), worker.process("b", frame(2), []))
    finally:
        worker.stop()
    assert worker.stats("a").frame_count == 6 and worker.stats("b").frame_count == 6
    assert worker.totals.frame_count == 12


async def test_closing_a_session_closes_its_stream_and_drops_its_frame():
    engine = FakeEngine(delay=0.1)
    worker = FrameWorker(engine)
    worker.start()
    try:
        first = asyncio.create_task(worker.process("s", frame(1), []))
        await asyncio.sleep(0.02)  # the first frame is being processed
        pending = asyncio.create_task(worker.process("s", frame(2), []))
        await asyncio.sleep(0.01)
        worker.close_session("s")
        assert (await pending).status is Status.DROPPED
        await first
        await asyncio.sleep(0.15)
        assert engine.closed_streams == 1
    finally:
        worker.stop()
    assert engine.closed


async def test_stop_answers_waiting_frames():
    engine = FakeEngine(delay=0.2)
    worker = FrameWorker(engine)
    worker.start()
    busy = asyncio.create_task(worker.process("a", frame(1), []))
    await asyncio.sleep(0.02)
    waiting = asyncio.create_task(worker.process("b", frame(2), []))
    await asyncio.sleep(0.01)
    await asyncio.to_thread(worker.stop)
    assert (await waiting).status is Status.DROPPED
    assert (await busy).status is Status.DONE


async def test_calls_run_on_the_worker_thread_and_raise_to_the_caller():
    engine = FakeEngine()
    worker = FrameWorker(engine)
    worker.start()
    try:
        ident = await worker.call(threading.get_ident)
        assert ident != threading.get_ident()
        try:
            await worker.call(lambda: 1 / 0)
        except ZeroDivisionError:
            pass
        else:
            raise AssertionError("the call's exception was swallowed")
        assert await worker.call(lambda: 42) == 42
    finally:
        worker.stop()


async def test_real_engine_through_the_worker(astronaut, t1_face):
    from models.mesh_engine import MeshEngine
    from tests.conftest import place

    worker = FrameWorker(MeshEngine())
    worker.start()
    try:
        source = await worker.call(lambda: worker.engine.prepare_source(t1_face))
        outcome = await worker.process("s", place(astronaut, (640, 480), 0.9), [source])
    finally:
        worker.stop()
    assert outcome.status is Status.DONE and outcome.result is not None
    assert outcome.result.faces_swapped == 1
    assert worker.stats("s").swap_count == 1 and worker.stats("s").avg_processing_time > 0
