"""The frame's edges mirrored, where a face coming in is looked for (models/edge_strips.py): pure
geometry, no face model."""

from __future__ import annotations

import numpy as np
import pytest

from models import edge_strips
from models.edge_strips import merged, mirrored, whole_box
from models.engine import DetectedFace

W, H = 640, 480
DEEP = edge_strips.depth(W, H)


def frame() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (H, W, 3), dtype=np.uint8)


def test_the_strips_reach_half_the_frames_shorter_side_in():
    assert DEEP == 240


@pytest.mark.parametrize("edge", edge_strips.EDGES)
def test_a_strip_shows_the_edge_beside_its_mirror_image(edge):
    image = frame()
    strip = mirrored(image, edge, DEEP)
    along = H if edge in ("left", "right") else W
    assert strip.shape == (along, 2 * DEEP, 3)
    # the frame's edge row or column of pixels lies on both sides of the strip's middle
    first = {"left": image[:, 0], "right": image[:, -1], "top": image[0], "bottom": image[-1]}[edge]
    assert np.array_equal(strip[:, DEEP], first)
    assert np.array_equal(strip[:, DEEP - 1], first)
    # and the pixels further in, at the same distance out
    second = {"left": image[:, 1], "right": image[:, -2], "top": image[1], "bottom": image[-2]}[edge]
    assert np.array_equal(strip[:, DEEP + 1], second)
    assert np.array_equal(strip[:, DEEP - 2], second)


@pytest.mark.parametrize(("edge", "expected"), [
    ("left", (-40, 100, 60, 200)),
    ("right", (W - 60, 100, W + 40, 200)),
    ("top", (100, -40, 200, 60)),
    ("bottom", (100, H - 60, 200, H + 40)),
])
def test_a_find_across_the_mirror_is_a_face_running_past_the_edge(edge, expected):
    # the part in view is 60 px deep; the find spans it and its reflection; the face is as long
    # as the find is along the edge (100 px), so 40 px of it lie beyond the edge
    find = (DEEP - 60, 100, DEEP + 60, 200)
    assert whole_box(find, edge, DEEP, W, H) == pytest.approx(expected)


def test_a_find_of_the_whole_face_beside_its_reflection_keeps_its_inner_side():
    # 20% out: the detector took the face itself (20 px beyond the line, 80 in view), not the
    # reflection: its inner side is the one further from the line either way
    face = (-20, 100, 80, 200)
    assert whole_box((DEEP - 20, 100, DEEP + 80, 200), "left", DEEP, W, H) == pytest.approx(face)
    assert whole_box((DEEP - 80, 100, DEEP + 20, 200), "left", DEEP, W, H) == pytest.approx(face)


@pytest.mark.parametrize("find", [
    (DEEP + 2, 100, DEEP + 102, 200),  # a face in view at the edge
    (DEEP - 102, 100, DEEP - 2, 200),  # its reflection
    (DEEP - 95, 100, DEEP + 5, 200),  # its reflection, a little over the line
])
def test_a_find_on_one_side_of_the_mirror_is_no_face_coming_in(find):
    assert whole_box(find, "left", DEEP, W, H) is None


def test_finds_the_detector_is_unsure_of_are_left_out():
    sure = DetectedFace((DEEP - 60, 100, DEEP + 60, 200), edge_strips.MIN_SCORE, ((0, 0),) * 4)
    unsure = DetectedFace((DEEP - 60, 300, DEEP + 60, 400), edge_strips.MIN_SCORE - 0.01, ((0, 0),) * 4)
    (face,) = edge_strips.entering([sure, unsure], "left", DEEP, W, H)
    assert face.box == pytest.approx((-40, 100, 60, 200))
    assert face.beyond_edge
    assert face.keypoints == ()  # half of them would be the reflection's


def _face(box) -> DetectedFace:
    return DetectedFace(box, 0.9, ((0, 0),) * 4)


def test_a_frame_find_cut_by_the_edge_gives_way_to_the_whole_face():
    cut = _face((0, 90, 70, 210))
    elsewhere = _face((300, 100, 400, 200))
    coming = DetectedFace((-40, 100, 60, 200), 0.9, (), beyond_edge=True)
    faces = merged([cut, elsewhere], [coming], "left", W, H)
    assert faces == [elsewhere, coming]


def test_a_face_in_view_is_kept_over_a_find_at_the_edge():
    beside = _face((5, 100, 105, 200))  # whole, a few px from the edge
    coming = DetectedFace((-30, 100, 70, 200), 0.9, (), beyond_edge=True)
    assert merged([beside], [coming], "left", W, H) == [beside]


def test_a_face_only_the_strip_found_is_added():
    elsewhere = _face((300, 100, 400, 200))
    coming = DetectedFace((W - 60, 100, W + 40, 200), 0.9, (), beyond_edge=True)
    assert merged([elsewhere], [coming], "right", W, H) == [elsewhere, coming]

