"""The source's shape on the target's mesh: pure geometry, no models."""

from __future__ import annotations

import numpy as np

from models.shape import MAX_GROUP_SCALE, group_move


def eye(width: float, height: float, centre: tuple[float, float] = (0.0, 0.0), n: int = 16) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    xs, ys = centre[0] + width / 2 * np.cos(t), centre[1] + height / 2 * np.sin(t)
    return np.stack([xs, ys], 1).astype(np.float32)


def extent(points: np.ndarray) -> tuple[float, float]:
    return float(np.ptp(points[:, 0])), float(np.ptp(points[:, 1]))


def test_an_eye_takes_the_sources_width_and_place_and_keeps_its_own_openness():
    target = eye(30, 10)
    source = eye(36, 2, centre=(4, -1))  # wider, and squinting
    moved = target + group_move(source, target)
    width, height = extent(moved)
    assert abs(width - 36) < 0.01  # the source's size
    assert abs(height - 12) < 0.01  # the target's form (open as it was, 1:3), at that size
    assert np.allclose(moved.mean(0), source.mean(0), atol=0.01)


def test_a_closed_eye_stays_closed_whatever_the_sources_eye_does():
    moved = eye(30, 0) + group_move(eye(36, 14), eye(30, 0))
    assert extent(moved)[1] < 0.01


def test_an_eye_grows_or_shrinks_only_so_far_toward_a_very_different_source():
    # a mesh that went wrong on a source (or a child's face on an adult's) must not blow up an eye
    grown = eye(30, 10) + group_move(eye(90, 30), eye(30, 10))
    shrunk = eye(30, 10) + group_move(eye(10, 3), eye(30, 10))
    assert abs(extent(grown)[0] - 30 * MAX_GROUP_SCALE) < 0.01
    assert abs(extent(shrunk)[0] - 30 / MAX_GROUP_SCALE) < 0.01
