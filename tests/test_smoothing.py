"""One-Euro landmark smoothing."""

from __future__ import annotations

import numpy as np

from models.smoothing import OneEuroFilter


def test_still_face_jitter_is_reduced():
    rng = np.random.default_rng(0)
    base = rng.uniform(100, 200, (468, 2))
    f = OneEuroFilter()
    out = [f(base + rng.normal(0, 1.0, base.shape), i / 30, 100.0) for i in range(60)]
    raw_jitter = 1.0
    smoothed_jitter = np.std(np.array(out[20:]) - base, axis=0).mean()
    assert smoothed_jitter < raw_jitter * 0.6


def test_slow_motion_is_followed_closely():
    base = np.zeros((10, 2))
    f = OneEuroFilter()
    for i in range(60):
        out = f(base + np.array([i * 1.0, 0.0]), i / 30, 100.0)
    assert abs(out[0, 0] - 59) < 3  # lag under a few px at 30 px/s


def test_jump_resets_to_the_new_position():
    f = OneEuroFilter(jump=0.25)
    a = np.zeros((10, 2))
    for i in range(10):
        f(a, i / 30, 100.0)
    moved = a + 80.0  # a different face, or a cut: no gliding across the frame
    assert np.array_equal(f(moved, 10 / 30, 100.0), moved)
