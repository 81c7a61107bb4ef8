"""The swap mask's forehead and temples: array code (a real mesh where the shape matters)."""

from __future__ import annotations

import numpy as np
import pytest

from models import face_topology as ft
from models.mask import (
    FADE_FROM,
    FADE_TO,
    above_brows,
    face_axes,
    forehead_agreement,
    forehead_fade,
    forehead_hair,
    temples,
)


def upright_mesh(brows_at: float) -> np.ndarray:
    """A mesh 100 px from chin (y=100) to forehead top (y=0), the brows' top `brows_at` of the way up."""
    pts = np.zeros((ft.MESH_POINTS, 2), np.float32)
    pts[:, 0] = 50
    pts[:, 1] = 100
    pts[ft.FOREHEAD_TOP] = (50, 0)
    pts[ft.brows(), 1] = 100 * (1 - brows_at)
    return pts


def test_heights_run_from_the_chin_to_the_forehead_top_whichever_way_the_face_lies():
    upright = upright_mesh(0.80)
    height, across = face_axes((101, 100), upright)
    assert height[100, 50] == 0.0 and height[0, 50] == 1.0 and height[50, 10] == 0.5
    assert not across[:, 50].any()
    assert (across[50, 40], across[50, 60]) == pytest.approx((0.1, -0.1))  # the image's left is +
    # the same face lying on its side, its chin at the image's left: height runs along x
    lying = upright[:, ::-1].copy()
    height, across = face_axes((100, 101), lying)
    assert height[50, 100] == 0.0 and height[50, 0] == 1.0 and height[10, 50] == 0.5
    assert not across[50, :].any()


def test_the_fade_leaves_the_brows_whole_and_reaches_nothing_at_the_top():
    pts = upright_mesh(0.80)
    fade = forehead_fade((101, 100), pts)[:, 50]  # by row: row 100 is the chin, row 0 the top
    assert fade[20] == 1.0  # the brows' top
    assert fade[round(100 * (1 - FADE_TO))] == 0.0
    # the fixed fade it replaced had the brows at half strength
    fixed = forehead_fade((101, 100), pts, from_brows=False)[:, 50]
    assert fixed[20] < 0.7 and fixed[round(100 * (1 - FADE_FROM))] == 1.0


def test_above_the_brows_the_source_is_kept_only_where_it_agrees_with_the_target():
    pts = upright_mesh(0.50)
    above = above_brows((101, 100), pts)
    assert above[60:].max() == 0 and above[:40].min() == 255  # 0 below the brows, 255 well above
    target = np.full((101, 100, 3), 120, np.uint8)
    face = target.copy()
    face[:, 50:] = 230  # the right half of the source is something else (a fringe over skin)
    face[:, :50] = 130  # the left half, the same skin in slightly other light
    alpha = np.full((101, 100), 255, np.uint8)
    kept = forehead_agreement(alpha, above, face, target, 100.0)
    assert kept[:30, :35].min() == 255  # above the brows, where they agree
    assert kept[:30, 65:].max() == 0  # above the brows, where they do not
    assert kept[70:].min() == 255  # below the brows everything, agreeing or not


def test_the_brow_outlines_follow_mediapipes_eyebrow_lines():
    import mediapipe.python.solutions.face_mesh_connections as fmc

    brows = ((ft.LEFT_BROW, fmc.FACEMESH_LEFT_EYEBROW), (ft.RIGHT_BROW, fmc.FACEMESH_RIGHT_EYEBROW))
    for outline, lines in brows:
        edges = {frozenset(e) for e in lines}
        # the upper line, the step across the inner end, the lower line back, the step at the tail
        steps = {frozenset(pair) for pair in zip(outline, outline[1:] + outline[:1], strict=True)}
        assert len(outline) == len(set(outline)) == 10
        assert edges <= steps and len(steps - edges) == 2


def test_the_temples_are_held_to_agreement_beside_the_eyes_not_on_the_brows_or_mid_face(measure, astronaut):
    from testing.faces import crop_face

    face = crop_face(astronaut, (174, 68, 278, 172), 0.8)
    pts = measure.landmarks(face)[: ft.MESH_POINTS]
    held = temples(face.shape[:2], pts)
    width = ft.face_width(pts)
    oval = pts[ft.face_oval()]
    eye_corner = pts[33]  # the left eye's outer corner
    left = oval[:, 0].min()
    # beside the eye's outer corner, just inside the outline: held
    assert held[round(eye_corner[1]) - 2, round(left + 0.05 * width)] == 255
    # the middle of the face at the same height, the brows, the eyes and the cheeks: not
    assert held[round(eye_corner[1]), round(pts[ft.NOSE_TIP, 0])] == 0
    for i in (*ft.LEFT_BROW, *ft.RIGHT_BROW, *ft.left_eye(), *ft.right_eye()):
        x, y = np.round(pts[i]).astype(int)
        assert held[y, x] < 40, i
    assert held[round(pts[ft.NOSE_TIP, 1]) + 5:].max() == 0  # nothing below the eyes' level


def test_a_fringe_over_the_brows_is_cut_from_the_brows_up_and_a_bare_forehead_is_not(measure, astronaut,
                                                                                       yale):
    import cv2

    from testing.faces import crop_face

    # a tight crop: the face needs a margin to be found (repeated edge pixels, not the photo's)
    pad = 80
    inside = np.pad(np.full(yale.shape[:2], 255, np.uint8), pad)
    photo = cv2.copyMakeBorder(yale, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    pts = measure.landmarks(photo)[: ft.MESH_POINTS]
    hair = forehead_hair(photo, inside, pts)
    assert hair is not None
    brows = np.zeros(photo.shape[:2], np.uint8)
    cv2.fillPoly(brows, [np.round(pts[list(b)]).astype(np.int32) for b in (ft.LEFT_BROW, ft.RIGHT_BROW)], 255)
    assert (hair[brows > 0] > 128).mean() > 0.6  # the brows under her fringe are cut with it (0.8)
    nose = pts[ft.NOSE_TIP]
    assert hair[round(nose[1]):].max() == 0  # nothing below the nose's tip
    # the astronaut's fringe stops above her brows: her forehead is left to the agreement
    face = crop_face(astronaut, (174, 68, 278, 172), 0.8)
    bare = measure.landmarks(face)[: ft.MESH_POINTS]
    assert forehead_hair(face, np.full(face.shape[:2], 255, np.uint8), bare) is None
