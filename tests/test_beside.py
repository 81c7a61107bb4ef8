"""Work a stream runs beside the caller's thread (models/beside.py): on a thread of its own where
there is a second core, on the caller's where not."""

from __future__ import annotations

import threading

import pytest

from models.beside import Beside, cores
from testing.fakes import spin


def test_threaded_work_runs_on_a_thread_of_its_own_that_ends_with_close():
    beside = Beside("test", threaded=True)
    before = set(threading.enumerate())
    ran_on = beside.submit(threading.get_ident).result()
    started = set(threading.enumerate()) - before
    beside.close()
    assert ran_on != threading.get_ident()
    assert started and not any(thread.is_alive() for thread in started)


def test_without_a_second_core_the_work_is_done_on_the_callers_thread_before_submit_returns():
    beside = Beside("test", threaded=False)
    before = set(threading.enumerate())
    future = beside.submit(threading.get_ident)
    assert future.done() and future.result() == threading.get_ident()
    assert set(threading.enumerate()) == before
    beside.close()


@pytest.mark.parametrize("threaded", [True, False])
def test_a_failure_is_raised_to_whoever_takes_the_result(threaded):
    beside = Beside("test", threaded=threaded)
    try:
        future = beside.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            future.result()
    finally:
        beside.close()


@pytest.mark.parametrize("threaded", [True, False])
def test_the_cpu_the_work_took_on_the_thread_is_counted_and_the_callers_is_not(threaded):
    beside = Beside("test", threaded=threaded)
    try:
        for _ in range(3):
            beside.submit(spin, 0.05).result()
    finally:
        beside.close()
    assert beside.cpu_seconds >= 0.15 if threaded else beside.cpu_seconds == 0.0


def test_by_default_a_thread_only_where_the_process_may_run_on_more_than_one_core():
    assert Beside("test").threaded == (cores() > 1)
