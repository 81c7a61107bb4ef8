"""The pool of engine workers with fake engines: sessions stay on their worker, new ones go to the
least loaded, and a worker that fails does so alone."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from media.accounting import Accounting
from media.worker import Status
from media.workers import FAILURES_TO_RETIRE, WorkerPool
from testing.fakes import FAKE_SOURCE, FakeEngine


def frame(n: int) -> np.ndarray:
    return np.full((4, 4, 3), n, np.uint8)


async def test_sessions_are_spread_and_stay_on_their_worker(started):
    engines = [FakeEngine(), FakeEngine()]
    pool = started(WorkerPool(engines, Accounting()))
    sessions = {f"s{n}": n for n in range(4)}  # each session's frames carry its own number
    for _ in range(5):
        for sid, n in sessions.items():
            assert (await pool.process(sid, frame(n), [FAKE_SOURCE])).status is Status.DONE
    seen = [set(engine.seen) for engine in engines]
    assert seen[0].isdisjoint(seen[1]), "a session's frames went to both workers"
    assert sorted(len(s) for s in seen) == [2, 2], "the four sessions were not spread two and two"
    assert all(len(engine.threads) == 1 for engine in engines) and \
        engines[0].threads != engines[1].threads, "each engine runs on a thread of its own"


async def test_a_new_session_goes_to_the_least_loaded_worker(started):
    pool = started(WorkerPool([FakeEngine(), FakeEngine()], Accounting()))
    for sid in ("a", "b", "c"):
        await pool.process(sid, frame(1), [FAKE_SOURCE])
    busiest = max(pool.workers, key=pool.sessions_on)
    for sid, worker in list(pool._pinned.items()):
        if worker is busiest:
            pool.close_session(sid)
    assert pool.worker_for("d") is busiest  # it is now the one with no sessions


class MeetingEngine(FakeEngine):
    """An engine whose every swap waits for another swap to be under way at the same time."""

    def __init__(self, meeting: threading.Barrier) -> None:
        super().__init__()
        self.meeting = meeting

    def open_stream(self):
        stream = super().open_stream()
        swap = stream.swap

        def swap_when_met(frame, sources, taken_at=None):
            self.meeting.wait()  # BrokenBarrierError (a failed frame) when nobody else is swapping
            return swap(frame, sources, taken_at)

        stream.swap = swap_when_met
        return stream


async def test_two_workers_swap_two_sessions_at_the_same_time(started):
    meeting = threading.Barrier(2, timeout=1.0)
    two = started(WorkerPool([MeetingEngine(meeting), MeetingEngine(meeting)], Accounting()))
    results = await asyncio.gather(two.process("a", frame(1), [FAKE_SOURCE]),
                                   two.process("b", frame(2), [FAKE_SOURCE]))
    assert [r.status for r in results] == [Status.DONE, Status.DONE]


async def test_one_worker_swaps_one_session_at_a_time(started):
    meeting = threading.Barrier(2, timeout=0.3)
    one = started(WorkerPool([MeetingEngine(meeting)], Accounting()))
    results = await asyncio.gather(one.process("a", frame(1), [FAKE_SOURCE]),
                                   one.process("b", frame(2), [FAKE_SOURCE]))
    assert Status.DONE not in [r.status for r in results]  # the control: the test can fail


async def test_a_failing_worker_is_retired_and_its_sessions_move(started, caplog):
    good, broken = FakeEngine(), FakeEngine(fail_on=tuple(range(256)))
    pool = started(WorkerPool([good, broken], Accounting()))
    await pool.process("on-good", frame(1), [FAKE_SOURCE])
    victim = "on-broken"
    assert pool.worker_for(victim).engine is broken
    outcomes = [await pool.process(victim, frame(2), [FAKE_SOURCE]) for _ in range(FAILURES_TO_RETIRE)]
    assert all(o.status is Status.ERROR for o in outcomes)
    # retired: the session now runs on the healthy worker, and so does every new one
    assert (await pool.process(victim, frame(3), [FAKE_SOURCE])).status is Status.DONE
    assert pool.worker_for(victim).engine is good and pool.worker_for("new").engine is good
    assert [w["healthy"] for w in pool.status()] == [True, False]
    assert "retired" in caplog.text
    # the other session was never touched
    assert (await pool.process("on-good", frame(1), [FAKE_SOURCE])).status is Status.DONE


async def test_a_dead_worker_hands_its_sessions_on(started):
    first, second = FakeEngine(), FakeEngine()
    pool = started(WorkerPool([first, second], Accounting()))
    await pool.process("a", frame(1), [FAKE_SOURCE])
    await pool.process("b", frame(2), [FAKE_SOURCE])
    dying = pool.worker_for("b")
    await asyncio.to_thread(dying.stop)
    assert (await pool.process("b", frame(2), [FAKE_SOURCE])).status is Status.DONE
    assert pool.worker_for("b") is not dying


async def test_one_off_jobs_run_on_a_worker_thread_with_its_engine(started):
    engines = [FakeEngine(), FakeEngine()]
    pool = started(WorkerPool(engines, Accounting()))
    engine, ident = await pool.call(lambda e: (e, threading.get_ident()))
    assert engine in engines and ident != threading.get_ident()
