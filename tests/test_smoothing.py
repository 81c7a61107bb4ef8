"""Landmark smoothing: the One-Euro filter, and the pose-and-shape filter the face tracker uses."""

from __future__ import annotations

import numpy as np

from models.smoothing import OneEuroFilter, PoseShapeFilter


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


def _swaying(points: np.ndarray, i: int, fps: float = 15.0) -> np.ndarray:
    """`points` as a head swaying in front of a webcam at frame `i`: the bench's gentle motion
    (testing.faces.video), a 4 s cycle: 51 px side to side, 8 degrees of roll, 10 % nearer."""
    phase = i / (4 * fps) * 2 * np.pi
    roll = np.deg2rad(8 * np.sin(phase))
    grow = 1 + 0.1 * np.sin(2 * phase)
    turn = np.array([[np.cos(roll), -np.sin(roll)], [np.sin(roll), np.cos(roll)]])
    return points @ turn.T * grow + np.array([320 + 51 * np.sin(phase), 240 + 19 * np.cos(phase)])


def _jittered(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A landmark model's noise: each point's own, and the whole mesh shifted a little."""
    return points + rng.normal(0, 0.5, points.shape) + rng.normal(0, 0.3, 2)


def test_a_swaying_head_is_followed_within_a_pixel():
    rng = np.random.default_rng(1)
    face = rng.uniform(-60, 60, (468, 2))
    errors: dict[str, list[float]] = {"pose": [], "points": []}
    for name, f in (("pose", PoseShapeFilter()), ("points", OneEuroFilter())):
        for i in range(40):
            truth = _swaying(face, i)
            out = f(_jittered(truth, rng), i / 15, 120.0)
            if i >= 5:
                errors[name].append(float(np.linalg.norm(out - truth, axis=1).mean()))
    assert np.mean(errors["pose"]) < 0.8 and max(errors["pose"]) < 1.2
    # one filter over every point trails the whole move: the swapped eyes slid off the target's
    assert np.mean(errors["points"]) > 1.5


def test_the_pose_and_shape_filter_steadies_a_still_face():
    rng = np.random.default_rng(2)
    face = rng.uniform(100, 200, (468, 2))
    f = PoseShapeFilter()
    raw = [_jittered(face, rng) for _ in range(60)]
    out = np.array([f(x, i / 30, 100.0) for i, x in enumerate(raw)])

    def frame_to_frame(seq: np.ndarray) -> float:
        return float(np.linalg.norm(np.diff(seq[20:], axis=0), axis=2).mean())

    assert frame_to_frame(out) < 0.4 * frame_to_frame(np.array(raw))


def test_the_pose_and_shape_filter_restarts_on_a_jump():
    rng = np.random.default_rng(3)
    face = rng.uniform(100, 200, (468, 2))
    f = PoseShapeFilter(jump=0.25)
    for i in range(10):
        f(face, i / 30, 100.0)
    moved = face + 80.0  # a different face, or a cut: no gliding across the frame
    assert np.allclose(f(moved, 10 / 30, 100.0), moved)
    # and a clock that goes back (a restarted stream) starts afresh too
    assert np.allclose(f(face, 0.0, 100.0), face)
