"""bench/workers.py: its figures' arithmetic, and both ways of running engines at once, for real."""

from __future__ import annotations

import functools

import pytest

from bench.workers import Run, in_processes, in_threads, row


def test_frames_a_second_count_every_engines_frames_over_the_span_from_the_first_start_to_the_last_end():
    runs = [Run([10.0, 30.0, 20.0], began=100.0, ended=101.0), Run([40.0, 50.0], began=100.5, ended=102.0)]
    cells = row("threads", runs, cpu=0.5).split()
    assert cells[:2] == ["threads", "2"]
    assert cells[2:5] == ["20.0", "/", "45.0"]  # each engine's median ms a frame
    assert float(cells[5]) == pytest.approx(5 / 2.0)  # 5 frames over 2 s
    assert float(cells[6]) == pytest.approx(500 / 5)  # 0.5 s of CPU over 5 frames, in ms


@pytest.mark.slow
@pytest.mark.parametrize("run", [in_threads, in_processes, functools.partial(in_threads, own_process=True)],
                         ids=["threads", "processes", "engine-processes"])
def test_each_engine_swaps_its_whole_clip_and_the_cpu_it_took_is_counted(run):
    runs, cpu = run(2, 3, (320, 240))
    assert [len(r.ms) for r in runs] == [3, 3]
    assert all(r.began <= r.ended for r in runs)
    assert cpu > 0
