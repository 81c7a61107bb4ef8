"""The mesh's mirror table, and the symmetric layout a turned source is redrawn on."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models import face_topology as ft
from models import symmetry


@pytest.fixture(scope="module")
def frontal(measure, astronaut) -> np.ndarray:
    return measure.landmarks(astronaut)


def narrowed(points: np.ndarray, side: int, far: float) -> np.ndarray:
    """`points` with the person's `side` half pulled toward the midline to `far` of its width."""
    centre = float(points[ft.NOSE_TIP, 0])
    out = points.copy()
    on_side = np.sign(points[:, 0] - centre) == np.sign(points[symmetry.sides() == side, 0].mean() - centre)
    out[on_side, 0] = centre + (points[on_side, 0] - centre) * far
    return out


def test_the_mirror_table_pairs_every_point_once_and_fixes_the_midline():
    m = symmetry.mirror()
    assert (m[m] == np.arange(468)).all()
    midline = set(np.flatnonzero(m == np.arange(468)).tolist())
    assert {ft.NOSE_TIP, ft.CHIN, ft.FOREHEAD_TOP, ft.UPPER_INNER_LIP, ft.LOWER_INNER_LIP} <= midline
    assert len(midline) == 28
    # the eyes' contours and the mouth's corners swap sides
    assert set(m[ft.left_eye()].tolist()) == set(ft.right_eye().tolist())
    assert m[61] == 291
    assert (symmetry.sides()[m] == -symmetry.sides()).all()


def test_the_mirror_table_matches_the_model_on_a_face_it_was_not_derived_from(measure, t1):
    # the woman on the right of t1.jpg, her head a little turned, is not among the faces the
    # table was derived from
    face = t1[160:460, 1020:1280]
    pts = measure.landmarks(face)
    flipped = measure.landmarks(cv2.flip(face, 1))
    flipped[:, 0] = face.shape[1] - 1 - flipped[:, 0]
    error = np.linalg.norm(flipped[symmetry.mirror()] - pts, axis=1)
    assert np.median(error) < 0.02 * np.ptp(pts[:, 0]), np.median(error)


def test_a_frontal_face_is_left_as_it_is(frontal, astronaut):
    _, ratio = symmetry.far_side(frontal)
    assert ratio > symmetry.FRONTAL, ratio
    inside = np.full(astronaut.shape[:2], 255, np.uint8)
    assert symmetry.fill_hidden_half(astronaut, inside, frontal) is None


@pytest.mark.parametrize("side", [1, -1])
def test_the_narrowed_half_is_found_and_the_layout_is_the_near_half_and_its_reflection(frontal, side):
    turned = narrowed(frontal, side, 0.5)
    far, ratio = symmetry.far_side(turned)
    assert far == side and ratio < 0.7, (far, ratio)
    layout = symmetry.symmetric_layout(turned, far)
    near = symmetry.sides() == -far
    assert np.allclose(layout[near], turned[near])
    origin, direction = symmetry._axis(layout)
    mirrored = symmetry.reflect(layout[symmetry.mirror()], origin, direction)
    width = np.ptp(layout[:, 0])
    assert np.abs(mirrored - layout).max() < 0.01 * width
    # the far half is as wide as the near one again
    assert symmetry.far_side(layout)[1] > 0.95
