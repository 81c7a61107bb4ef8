"""The source's shape on the target's mesh: pure geometry, no models."""

from __future__ import annotations

import numpy as np
import pytest

from models import face_topology as ft
from models.shape import MAX_GROUP_SCALE, group_move, in_depth, protrusion, reshape, rigid_groups


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


def dome(width: float = 200.0, height: float = 260.0, rise: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """A face-like 3D mesh of 468 points: an oval outline (the mesh's own outline points) round a
    dome that rises `rise` px toward the camera at its middle, as a nose stands out of a face.
    Returns the points as seen from the front and their depth (smaller is nearer)."""
    rng = np.random.default_rng(5)
    oval = ft.face_oval()
    r = np.sqrt(rng.uniform(0.0, 0.8, ft.MESH_POINTS))
    t = rng.uniform(0, 2 * np.pi, ft.MESH_POINTS)
    r[oval], t[oval] = 1.0, np.linspace(0, 2 * np.pi, len(oval), endpoint=False)
    r[ft.NOSE_TIP] = 0.0  # the nearest point, the dome's top
    unit = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    # each eye and the lips a small cluster where a face has them (they move as one: shape.py)
    for group, (x, y) in zip(rigid_groups(), [(0.3, -0.25), (-0.3, -0.25), (0.0, 0.5)], strict=True):
        unit[group] = np.float64([x, y]) + rng.normal(0, 0.03, (len(group), 2))
    depth = -rise * (1 - (unit * unit).sum(1))
    points = unit * (width / 2, height / 2) + 300
    return points.astype(np.float32), depth.astype(np.float32)


def seen_turned(points: np.ndarray, depth: np.ndarray, yaw: float) -> np.ndarray:
    """The mesh's picture with the head turned `yaw` degrees about its upright axis."""
    a = np.radians(yaw)
    middle = points[:, 0].mean()
    x = middle + (points[:, 0] - middle) * np.cos(a) + depth * np.sin(a)
    return np.stack([x, points[:, 1]], 1).astype(np.float32)


@pytest.mark.parametrize("yaw", [30, -45])
def test_a_turned_face_keeps_its_nose_on_its_own_when_the_fit_takes_its_depth_in(yaw):
    """The same face, frontal as the source and turned as the target: all that differs is the turn.
    A flat (affine) fit cannot turn a face, so it puts what stands out of it (the nose) where a flat
    face would have it, nearer the middle; with the depth the fit finds the turn."""
    points, depth = dome()
    target = seen_turned(points, depth, yaw)
    everywhere = np.ones(ft.MESH_POINTS, np.float32)
    flat = reshape(points, target, everywhere, strength=1.0, jaw=False)
    deep = reshape(points, target, everywhere, strength=1.0, jaw=False, depth=depth)
    width = ft.face_width(target)
    off = np.linalg.norm(flat[ft.NOSE_TIP] - target[ft.NOSE_TIP])
    assert off > 0.05 * width, "the flat fit moved no nose: the test tells nothing"
    assert np.linalg.norm(deep[ft.NOSE_TIP] - target[ft.NOSE_TIP]) < 0.002 * width


def test_what_stands_out_of_a_face_moves_into_the_turn_by_how_far_it_stands_out_and_the_outline_not_at_all():
    points, depth = dome()
    k = protrusion(depth)
    assert k[ft.NOSE_TIP] == 1.0 and k[ft.face_oval()].max() < 1e-6
    assert np.all(np.diff(k[np.argsort(depth)]) <= 0)  # nearer, further into the turn
    target = seen_turned(points, depth, 35)
    flat = reshape(points, target, np.ones(ft.MESH_POINTS, np.float32), strength=1.0, jaw=False)
    moved = np.linalg.norm(in_depth(flat, points, depth, target) - flat, axis=1)
    assert np.allclose(moved, k * np.linalg.norm(target - flat, axis=1), atol=1e-2)


def test_a_photo_with_no_depth_to_read_leaves_the_flat_fit_as_it_was():
    # a picture of a printed photo: FaceMesh may read every point at one depth
    points, depth = dome()
    target = seen_turned(points, depth, 30)
    flat = reshape(points, target, np.ones(ft.MESH_POINTS, np.float32), strength=1.0, jaw=False)
    level = np.full(ft.MESH_POINTS, -7.0, np.float32)
    assert np.all(protrusion(level) == 0.0)
    assert np.array_equal(in_depth(flat, points, level, target), flat)
