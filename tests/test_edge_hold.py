"""The policy for a face leaving the frame (models/edge_hold.py), and its optical flow, without a
face model."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models import edge_hold
from models import face_topology as ft
from models.edge_hold import (
    Choice,
    anchor,
    choose,
    follow_motion,
    likeness,
    narrowed,
    near_edge,
    out_fraction,
)
from testing.faces import T1_DLIB_BOXES
from testing.occluders import hand_cutout, put_over

W, H = 640, 480


def face(x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    """A stand-in mesh: 478 points spread over the box, its outline on the box's edges."""
    rng = np.random.default_rng(0)
    pts = np.column_stack([rng.uniform(x1, x2, 478), rng.uniform(y1, y2, 478), rng.uniform(-5, 5, 478)])
    oval = ft.face_oval()
    angles = np.linspace(0, 2 * np.pi, len(oval), endpoint=False)
    pts[oval, 0] = (x1 + x2) / 2 + (x2 - x1) / 2 * np.cos(angles)
    pts[oval, 1] = (y1 + y2) / 2 + (y2 - y1) / 2 * np.sin(angles)
    return pts


def test_out_fraction_is_the_share_of_the_face_beyond_the_frame():
    assert out_fraction(face(100, 100, 300, 300), W, H) == 0.0
    assert out_fraction(face(-100, 100, 100, 300), W, H) == pytest.approx(0.5)
    assert out_fraction(face(540, 100, 740, 300), W, H) == pytest.approx(0.5)
    assert out_fraction(face(100, 400, 300, 560), W, H) == pytest.approx(0.5)
    assert out_fraction(face(-700, 100, -500, 300), W, H) == 1.0


def test_a_face_is_near_the_edge_before_it_reaches_it():
    assert not near_edge(face(200, 100, 400, 300), W, H)
    assert near_edge(face(10, 100, 210, 300), W, H)  # 10 px from the edge: within a tenth of its size
    assert near_edge(face(-50, 100, 150, 300), W, H)


def test_a_mesh_read_is_taken_whatever_the_motion_says():
    assert choose(True, None, 0.0) is Choice.MESH
    assert choose(True, 0.6, 1.0) is Choice.MESH


def test_a_face_lost_half_out_of_the_frame_is_held_by_its_motion():
    assert choose(False, 0.5, 0.0) is Choice.HOLD
    assert choose(False, edge_hold.HOLD_FROM, 2.9) is Choice.HOLD


def test_a_face_lost_inside_the_frame_ends_its_track():
    # a hand over it, a head turned away: the motion of what is there is not the face's
    assert choose(False, 0.0, 0.0) is Choice.DROP
    assert choose(False, None, 0.0) is Choice.DROP


def test_a_face_nearly_all_out_of_the_frame_ends_its_track():
    assert choose(False, edge_hold.GIVE_UP_OUT, 0.0) is Choice.DROP
    assert choose(False, 0.95, 0.0) is Choice.DROP


def test_a_face_is_held_for_max_held_seconds_at_most():
    t0 = 100.0
    held_since = t0
    now = t0
    while choose(False, 0.6, now - held_since) is Choice.HOLD:
        now += 1 / 15
        assert now - t0 < 10, "held for ever"
    assert now - t0 == pytest.approx(edge_hold.MAX_HELD, abs=1 / 15)


def test_past_max_held_a_face_is_held_only_while_it_looks_as_it_did():
    past = edge_hold.MAX_HELD + 60.0
    assert choose(False, 0.6, past, look=0.95) is Choice.HOLD
    assert choose(False, 0.6, past, look=edge_hold.ALIKE) is Choice.HOLD
    assert choose(False, 0.6, past, look=edge_hold.ALIKE - 0.01) is Choice.DROP
    assert choose(False, 0.6, past, look=None) is Choice.DROP  # too little in view to say
    # within MAX_HELD the look is not asked (a face moving fast out of the frame is blurred)
    assert choose(False, 0.6, 1.0, look=0.0) is Choice.HOLD
    # and nothing holds a face nearly all out
    assert choose(False, edge_hold.GIVE_UP_OUT, past, look=1.0) is Choice.DROP


def test_a_face_held_for_minutes_ends_the_frame_it_stops_looking_alike():
    t0 = now = 100.0
    looks = iter([0.97] * 15 * 300 + [0.4])  # five minutes alike, then a hand over it
    while choose(False, 0.6, now - t0, look=next(looks) if now - t0 >= edge_hold.MAX_HELD else None) \
            is Choice.HOLD:
        now += 1 / 15
    assert now - t0 == pytest.approx(edge_hold.MAX_HELD + 300, abs=2 / 15)


def moved_by(grey: np.ndarray, points: np.ndarray, fit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    frame = cv2.warpAffine(grey, fit, grey.shape[::-1], borderMode=cv2.BORDER_REFLECT)
    moved = points.copy()
    moved[:, :2] = points[:, :2] @ fit[:, :2].T + fit[:, 2]
    return frame, moved


def first_face(t1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """t1.jpg in greyscale, a stand-in mesh on its first person, and a motion of that face."""
    x1, y1, x2, y2 = T1_DLIB_BOXES["first"]
    fit = cv2.getRotationMatrix2D(((x1 + x2) / 2, (y1 + y2) / 2), -5.0, 0.95)
    fit[:, 2] += (6.0, -4.0)
    return cv2.cvtColor(t1, cv2.COLOR_BGR2GRAY), face(x1, y1, x2, y2), fit


def test_a_face_moved_and_relit_is_alike(t1):
    grey, points, fit = first_face(t1)
    now, moved = moved_by(grey, points, fit)
    assert likeness(grey, points, now, moved) > 0.95
    dimmer = (now.astype(np.float32) * 0.6 + 20).astype(np.uint8)  # the camera's exposure changed
    assert likeness(grey, points, dimmer, moved) > 0.95


def test_a_hand_over_the_face_is_not_alike(t1):
    grey, points, fit = first_face(t1)
    now, moved = moved_by(grey, points, fit)
    centre = moved[:, :2].mean(0)
    covered, _ = put_over(cv2.cvtColor(now, cv2.COLOR_GRAY2BGR), hand_cutout(), 0.6, 90, tuple(centre))
    assert likeness(grey, points, cv2.cvtColor(covered, cv2.COLOR_BGR2GRAY), moved) < edge_hold.ALIKE
    # nor is a mesh that slid off the face onto what is beside it
    beside = moved.copy()
    beside[:, 0] += np.ptp(moved[:, 0])
    assert likeness(grey, points, now, beside) < edge_hold.ALIKE


def test_likeness_says_nothing_with_too_little_of_the_face_in_view(t1):
    grey, points, fit = first_face(t1)
    now, moved = moved_by(grey, points, fit)
    gone = moved.copy()
    gone[:, 0] -= moved[:, 0].max() - 3  # all but a 3 px sliver beyond the frame's left edge
    assert likeness(grey, points, now, gone) is None


def test_anchor_takes_out_what_frame_by_frame_steps_added_up(t1):
    grey, points, fit = first_face(t1)
    now, moved = moved_by(grey, points, fit)
    drifted = moved.copy()
    drifted[:, :2] += (7.0, -5.0)  # a minute of small errors, frame by frame
    drifted[:, :2] = (drifted[:, :2] - drifted[:, :2].mean(0)) * 1.03 + drifted[:, :2].mean(0)
    mended = anchor(grey, points, now, drifted)
    assert mended is not None
    assert np.median(np.linalg.norm(mended[:, :2] - moved[:, :2], axis=1)) < 0.5


def test_anchor_gives_nothing_with_too_little_of_the_face_in_view(t1):
    grey, points, fit = first_face(t1)
    now, moved = moved_by(grey, points, fit)
    gone = moved.copy()
    gone[:, 0] -= moved[:, 0].max() + 10
    assert anchor(grey, points, now, gone) is None


def test_a_reading_shrunk_onto_the_part_in_view_is_narrowed():
    moved = face(-100, 100, 100, 300)  # half out
    shrunk = face(-60, 110, 100, 290)  # FaceMesh's mesh, squeezed toward the part in view
    assert narrowed(shrunk, moved, W, H)
    assert not narrowed(face(-98, 101, 101, 299), moved, W, H)  # as wide: read well


def test_a_narrower_reading_of_a_face_in_view_is_not_narrowed():
    # a face turning or moving away reads narrower too: only the edge is the motion's business
    moved = face(100, 100, 300, 300)
    assert not narrowed(face(140, 110, 300, 290), moved, W, H)


def test_follow_motion_moves_the_mesh_as_the_frame_moved(t1):
    before = cv2.cvtColor(t1, cv2.COLOR_BGR2GRAY)
    x1, y1, x2, y2 = T1_DLIB_BOXES["first"]
    points = face(x1, y1, x2, y2)  # on the first person's face
    fit = cv2.getRotationMatrix2D(((x1 + x2) / 2, (y1 + y2) / 2), 4.0, 1.05)
    fit[:, 2] += (-9.0, 3.0)
    now, expected = moved_by(before, points, fit)
    moved = follow_motion(before, now, points)
    assert moved is not None
    expected = expected[:, :2]
    assert np.median(np.linalg.norm(moved[:, :2] - expected, axis=1)) < 0.5
    assert moved[:, 2] == pytest.approx(points[:, 2] * 1.05, rel=0.02)  # depth scales with the face


def test_follow_motion_gives_nothing_where_nothing_can_be_followed():
    blank = np.full((H, W), 128, np.uint8)
    assert follow_motion(blank, blank, face(100, 100, 300, 300)) is None
    # all of the face out of the frame: no point in view
    assert follow_motion(blank, blank, face(-400, 100, -200, 300)) is None
