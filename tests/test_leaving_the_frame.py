"""A face leaving the frame by its edge and coming back, with real mediapipe (models/edge_hold.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench.edge import SIZE, leaving, run
from models.mediapipe_faces import FaceFinder, FaceTracker
from models.mesh_engine import MeshEngine
from testing.faces import ASTRONAUT_DLIB_BOX, T1_DLIB_BOXES, crop_face, place
from testing.occluders import hand_cutout, put_over
from tests.face_checks import changed_at_left_edge, left_edge_tiles, play_all, save_sheet

pytestmark = [pytest.mark.slow, pytest.mark.parallel]


def tracked(frames, **options) -> list[list]:
    """Each frame's faces from a fresh tracker, the frames 1/15 s apart."""
    tracker = FaceTracker(FaceFinder(), **options)
    try:
        return [tracker.update(frame, i / 15) for i, frame in enumerate(frames)]
    finally:
        tracker.close()


def followed(frames, **options) -> list[int]:
    return [len(faces) for faces in tracked(frames, **options)]


@pytest.fixture(scope="module")
def hair_under_the_swap():
    """The engine with the target's own hair over its cheek swapped over, as it was before the
    hair was kept in front (models/target_hair.py). The first person's long hair falls over the
    cheek left in view: kept in front, it is most of what is in view past half out (measured:
    0.06-0.15 of it changed from 60% out, against 0.16-0.20 with it swapped over)."""
    engine = MeshEngine(target_hair=False)
    yield engine
    engine.close()


@pytest.mark.parametrize("person", ["first", "centre"])
def test_a_face_sliding_two_thirds_out_of_the_frame_stays_swapped(t1, astronaut, mesh_engine,
                                                                  hair_under_the_swap, person):
    _, _, width, path, frames = leaving(t1, T1_DLIB_BOXES[person], 0.7)
    engine = hair_under_the_swap if person == "first" else mesh_engine
    results = play_all(engine, frames, engine.prepare_source(astronaut))
    assert [r.faces_swapped for r in results] == [1] * len(frames)
    for (x, y), frame, result in zip(path, frames, results, strict=True):
        if (width / 2 - x) / width < 0.5:
            continue
        # the part of the face still in view is the source's, not the person's own
        changed = changed_at_left_edge(frame, result.image, (x, y), width)
        assert changed > 0.15, (x, changed)
    outs = [(width / 2 - x) / width for x, _ in path]
    picks = [int(np.argmin([abs(o - share) for o in outs])) for share in (0.4, 0.55, 0.7)]  # on the way out
    tiles = left_edge_tiles(frames, [r.image for r in results], path, width, outs, picks)
    save_sheet(f"leaving-the-frame-{person}.png", tiles)
    # FaceMesh alone loses it on the way out: what this test asks is the motion's doing
    assert 0 in followed(frames, follow_edges=False)


@pytest.mark.parametrize(("person", "edge"), [("first", "left"), ("centre", "left"), ("astronaut", "top")])
def test_a_face_followed_by_its_motion_stays_where_the_face_is(t1, astronaut, person, edge):
    # by the left edge, or the top (someone standing up); where the face is at least 30% out, its
    # landmarks in view against the same tracker's reading of it with the frame widened so that
    # the face is whole (bench.edge)
    photo, box = (astronaut, ASTRONAUT_DLIB_BOX) if person == "astronaut" else (t1, T1_DLIB_BOXES[person])
    measured = run(*leaving(photo, box, 0.7, edge=edge), edge=edge)
    errors = measured.errors
    assert all(measured.followed)
    # bench.edge: 0.019-0.029 of the face's size over seven people, 40-80% out, either edge
    assert np.median(errors) < 0.04, errors
    assert max(errors) < 0.08, errors


def stays_out(t1, seconds: float):
    """t1.jpg's first person sliding 60% out of the frame by its left edge and staying there
    `seconds`: (the frames, the face's width, each frame's centre, the first frame out there)."""
    _, _, width, path, frames = leaving(t1, T1_DLIB_BOXES["first"], 0.6, stay=round(seconds * 15))
    there = int(np.argmin([x for x, _ in path]))  # the slide's end
    return frames, width, path, there - 1


def test_a_face_left_half_out_of_the_frame_longer_than_max_held_stays_followed(t1):
    # FaceMesh loses this face 60% out; its hold ended after MAX_HELD (3 s), and the person's own
    # half face showed for as long as they stayed there. It goes on while the face looks alike
    frames, *_ = stays_out(t1, 8.0)
    assert followed(frames) == [1] * len(frames)


def test_a_face_held_for_twenty_seconds_stays_where_the_face_is(t1):
    # followed frame by frame, each step's small error added up: t1.jpg's first person 60% out
    # lay 0.016 of her face's width from the whole face's reading in the first 15 s, 0.094 in the
    # last 15 s of a minute (ad hoc). Each frame is read again against the frame where FaceMesh
    # last read her (edge_hold.anchor)
    measured = run(*leaving(t1, T1_DLIB_BOXES["first"], 0.6, stay=300))
    assert all(measured.followed)
    last = measured.errors[-80:-5]  # her last 5 s out there (the few before the slide back)
    assert np.median(last) < 0.025, np.median(last)  # 0.032 without the anchor


def test_a_hand_over_a_face_held_past_max_held_ends_its_hold(t1):
    frames, width, path, there = stays_out(t1, 8.0)
    raised = there + 60  # 4 s out there: past MAX_HELD
    hand = hand_cutout()
    for i in range(raised, there + 120):
        x, y = path[i]
        rise = max(0, raised + 15 - i) * 20  # 15 frames coming up from below, then still
        frames[i], _ = put_over(frames[i], hand, 0.5, 90, (x + 0.3 * width, y + 0.2 * width + rise))
    counts = followed(frames)
    assert counts[there:raised] == [1] * (raised - there)
    # the hand over the part in view: within a second of its being up, the last mesh is no longer
    # moved with it and painted there (a face found again by the detector is a track of its own)
    up = raised + 15
    assert 0 in counts[up:up + 15], counts[up:up + 15]


def test_a_face_whose_mesh_shrinks_a_little_each_frame_is_held_as_it_leaves(t1):
    # the second person leaving by the right edge: FaceMesh's mesh shrinks onto the part in view
    # a little each frame (195 px wide in full view, 112 px at 48% out), and when it lost her at
    # 55% out her last mesh was only a tenth out
    *_, frames = leaving(t1, T1_DLIB_BOXES["second"], 0.7, edge="right")
    assert followed(frames) == [1] * len(frames)


def test_a_turned_face_is_held_until_nearly_all_its_outline_is_out(t1):
    # the fourth person, turned, leaving 70% out by the right edge: her mesh's outline reaches
    # further than her box, and was 85% out (edge_hold.GIVE_UP_OUT, then) where she was 55-70% out
    *_, frames = leaving(t1, T1_DLIB_BOXES["right"], 0.7, edge="right")
    assert followed(frames) == [1] * len(frames)


def test_a_face_gone_from_the_frame_is_not_held(t1):
    *_, frames = leaving(t1, T1_DLIB_BOXES["first"], 1.3, speed=16)
    counts = followed(frames)
    gone = len(frames) // 2  # the ten frames it stays out of view, swaying
    assert counts[gone - 3:gone + 3] == [0] * 6, counts
    assert counts[-1] == 1  # and found again as it comes back


def test_a_face_cut_by_the_frames_bottom_is_read_by_facemesh_not_moved(astronaut):
    # half of it below the frame, its eyes in view: FaceMesh reads it well (0.008 of its width
    # from the whole face's reading), and its reading is what the tracker gives
    head = crop_face(astronaut, ASTRONAUT_DLIB_BOX, 0.8)
    scale = SIZE[1] * 0.7 / (ASTRONAUT_DLIB_BOX[2] - ASTRONAUT_DLIB_BOX[0])
    frames = [place(head, SIZE, scale * (1 + 0.03 * np.sin(p)), 2 * np.sin(p), (320 + 10 * np.sin(p), 460))
              for p in np.arange(30) / 30 * 2 * np.pi]
    runs = [tracked(frames), tracked(frames, follow_edges=False)]
    assert all(len(faces) == 1 for faces in runs[0])
    for mine, read in zip(*runs, strict=True):
        assert np.array_equal(mine[0].points, read[0].points)


def test_frames_that_change_size_at_the_edge_are_followed_without_error(t1):
    # a browser lowers its camera's resolution under congestion: the frame before, kept for the
    # motion, is of another size than this one
    *_, frames = leaving(t1, T1_DLIB_BOXES["first"], 0.6)
    half = [cv2.resize(frame, (SIZE[0] // 2, SIZE[1] // 2)) for frame in frames]
    counts = followed(frames[:25] + half[25:])
    assert counts[:25] == [1] * 25
    assert counts[-1] == 1


def test_a_face_going_all_the_way_out_never_fails_a_frame(t1, astronaut, mesh_engine):
    # followed by its motion until 85% of it was out, a face's swap moved to the source's shape
    # (wider, on the turned woman) lay wholly beyond the frame: its box was empty, a slice of it
    # wrapped round, and the frame failed with an IndexError
    source = mesh_engine.prepare_source(astronaut)
    for person in T1_DLIB_BOXES:
        *_, frames = leaving(t1, T1_DLIB_BOXES[person], 1.2)
        results = play_all(mesh_engine, frames, source)
        assert results[0].faces_swapped == 1 and results[-1].faces_swapped == 1, person
