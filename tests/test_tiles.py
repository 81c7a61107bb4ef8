"""Where and when the face detector looks besides the whole frame (models/tiles.py)."""

from __future__ import annotations

import itertools

import pytest

from models.tiles import SHARE, TileSweep, cut_by, is_new, tiles


@pytest.mark.parametrize("size", [(640, 480), (1280, 720), (1280, 886), (333, 251)])
def test_the_four_tiles_cover_the_frame_and_overlap(size):
    w, h = size
    corners = tiles(w, h)
    assert len(corners) == 4
    assert {(x1, y1) for x1, y1, _, _ in corners} == {(0, 0), (w - corners[0][2], 0), (0, h - corners[0][3]),
                                                       (w - corners[0][2], h - corners[0][3])}
    assert all(x2 - x1 == round(w * SHARE) and y2 - y1 == round(h * SHARE) for x1, y1, x2, y2 in corners)
    assert max(x2 for *_, x2, _ in corners) == w and max(y2 for *_, y2 in corners) == h


def test_a_face_smaller_than_the_overlap_lies_whole_and_uncut_in_some_tile():
    w, h = 640, 480
    corners = tiles(w, h)
    side = 0.19 * h  # the overlap is 0.2 of each side
    for x, y in itertools.product(range(0, int(w - side), 7), range(0, int(h - side), 7)):
        box = (x, y, x + side, y + side)
        holding = [t for t in corners if all(t[i] <= box[i] and box[i + 2] <= t[i + 2] for i in (0, 1))]
        assert any(not cut_by(box, t, w, h) for t in holding), box


def test_a_find_at_a_tiles_inner_edge_is_cut_and_at_the_frames_edge_is_not():
    w, h = 640, 480
    top_left = tiles(w, h)[0]  # (0, 0, 384, 288)
    assert cut_by((300, 100, 384, 180), top_left, w, h), "runs on past the tile's right edge"
    assert cut_by((100, 220, 160, 287), top_left, w, h), "runs on past the tile's bottom edge"
    assert not cut_by((0, 0, 60, 60), top_left, w, h), "the frame's own corner cuts nothing the frame has"
    assert not cut_by((100, 100, 160, 160), top_left, w, h)


def test_a_find_is_new_unless_a_known_box_holds_its_centre():
    known = [(100, 100, 200, 200)]
    assert not is_new((120, 130, 190, 210), known)
    assert is_new((190, 190, 290, 290), known)
    assert is_new((0, 0, 10, 10), [])


def test_each_detection_is_followed_by_a_look_at_one_tile_in_turn_on_the_next_frame():
    sweep = TileSweep(4)
    looked = [sweep.tile(detecting=frame % 10 == 0) for frame in range(40)]
    assert [t for t in looked if t is not None] == [0, 1, 2, 3]
    assert [i for i, t in enumerate(looked) if t is not None] == [1, 11, 21, 31]


def test_with_no_face_followed_every_frame_looks_at_a_tile_from_the_second():
    sweep = TileSweep(4)
    assert [sweep.tile(detecting=True) for _ in range(6)] == [None, 0, 1, 2, 3, 0]


def test_a_new_face_starts_a_sweep_of_every_tile_one_a_frame():
    sweep = TileSweep(4)
    assert sweep.tile(detecting=True) is None
    sweep.found()
    assert [sweep.tile(detecting=False) for _ in range(6)] == [0, 1, 2, 3, None, None]


def test_a_sweep_looks_at_no_more_than_one_tile_a_frame_while_faces_keep_turning_up():
    sweep = TileSweep(4)
    looks = []
    for frame in range(30):
        tile = sweep.tile(detecting=frame % 10 == 0)
        looks.append(tile)
        sweep.found()
    assert looks == [None] + [k % 4 for k in range(29)]
