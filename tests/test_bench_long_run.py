"""bench/long_run.py: its rows' arithmetic and its reading of the server's counters."""

from __future__ import annotations

from bench.long_run import Interval, read_counters, row


def test_a_row_gives_rates_over_the_interval_and_the_delays_percentiles():
    got = Interval(frames=600, delays=[float(d) for d in range(1, 101)], dropped=300)
    cells = row(5.0, 20.0, got, (0.99, 0.01), cpu=17.0, own={"rss_mb": 512.4, "fds": 10, "threads": 38},
                state="connected").split()
    assert cells[:2] == ["5.0", "30.0"]  # minute, 600 frames over 20 s
    assert cells[2:5] == ["50", "/", "95"]  # the delays' p50 and p95, ms
    assert cells[5:8] == ["15.0", "99.0%", "1.0%"]  # dropped a second, swapped, failed
    assert cells[8:] == ["85%", "512MB", "10", "38", "connected"]  # 17 s of CPU over 20 s


def test_an_interval_without_delays_prints_nan_not_an_error():
    own = {"rss_mb": 1.0, "fds": 1, "threads": 1}
    cells = row(1.0, 10.0, Interval(), (0.0, 0.0), 0.0, own, "closed").split()
    assert cells[1:5] == ["0.0", "nan", "/", "nan"]


def test_counters_are_read_from_a_prometheus_page_labels_or_not_and_missing_ones_are_zero():
    page = ("# HELP faceswap_frames_total Frames processed by the engine\n"
            "faceswap_frames_total 1234.0\n"
            'faceswap_swaps_total{engine="mesh"} 1200.0\n'
            "faceswap_swaps_created 1.7e+09\n")
    assert read_counters(page) == {"faceswap_frames_total": 1234.0, "faceswap_swaps_total": 1200.0,
                                   "faceswap_errors_total": 0.0}
