"""bench/long_run.py: its rows' arithmetic, its reading of the server's counters, and the process tree
whose CPU and memory it reads (testing/server_process.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from bench.long_run import Interval, read_counters, row
from testing.server_process import cpu_seconds, figures, tree, tree_cpu_seconds


def test_a_row_gives_rates_over_the_interval_and_the_delays_percentiles():
    got = Interval(frames=600, delays=[float(d) for d in range(1, 101)], dropped=300)
    own = {"rss_mb": 300.0, "tree_rss_mb": 512.4, "fds": 10, "threads": 38}
    cells = row(5.0, 20.0, got, (0.99, 0.01), engine=(16.25, 12.5), cpu=17.0, own=own,
                state="connected").split()
    assert cells[:2] == ["5.0", "30.0"]  # minute, 600 frames over 20 s
    assert cells[2:5] == ["50", "/", "95"]  # the delays' p50 and p95, ms
    # dropped a second, swapped, failed, the engine's ms a frame and its CPU ms of them
    assert cells[5:10] == ["15.0", "99.0%", "1.0%", "16.2", "12.5"]
    # 17 s of CPU over 20 s; the RSS of the server and its engine processes
    assert cells[10:] == ["85%", "512MB", "10", "38", "connected"]


def test_an_interval_without_delays_prints_nan_not_an_error():
    own = {"rss_mb": 1.0, "tree_rss_mb": 1.0, "fds": 1, "threads": 1}
    cells = row(1.0, 10.0, Interval(), (0.0, 0.0), (float("nan"),) * 2, 0.0, own, "closed").split()
    assert cells[1:5] == ["0.0", "nan", "/", "nan"]
    assert cells[8:10] == ["nan", "nan"]  # no frame swapped: no engine time


def test_counters_are_read_from_a_prometheus_page_labels_or_not_and_missing_ones_are_zero():
    page = ("# HELP faceswap_frames_total Frames processed by the engine\n"
            "faceswap_frames_total 1234.0\n"
            'faceswap_swaps_total{engine="mesh"} 1200.0\n'
            "faceswap_swaps_created 1.7e+09\n"
            "# TYPE faceswap_processing_seconds histogram\n"
            'faceswap_processing_seconds_bucket{le="0.02"} 1000.0\n'
            'faceswap_processing_seconds_bucket{le="+Inf"} 1234.0\n'
            "faceswap_processing_seconds_count 1234.0\n"
            "faceswap_processing_seconds_sum 24.68\n"
            'faceswap_worker_cpu_seconds_total{worker="0"} 10.0\n'
            'faceswap_worker_cpu_seconds_total{worker="1"} 2.5\n')
    assert read_counters(page) == {"faceswap_frames_total": 1234.0, "faceswap_swaps_total": 1200.0,
                                   "faceswap_errors_total": 0.0, "faceswap_processing_seconds_sum": 24.68,
                                   "faceswap_processing_seconds_count": 1234.0,
                                   "faceswap_worker_cpu_seconds_total": 12.5}


def test_a_process_tree_holds_the_children_a_process_started_and_adds_their_memory():
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                               "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
                               "time.sleep(30)"])
    try:
        for _ in range(100):  # the child starts after the parent's interpreter
            members = tree(parent.pid)
            if len(members) == 2:
                break
            time.sleep(0.05)
        assert members[0] == parent.pid and len(members) == 2
        own = figures(parent.pid)
        assert own["tree_rss_mb"] > own["rss_mb"] + 1  # a second interpreter's pages
        assert tree_cpu_seconds(parent.pid) >= cpu_seconds(parent.pid)
    finally:
        for member in reversed(tree(parent.pid)):
            os.kill(member, signal.SIGKILL)
        parent.wait()
