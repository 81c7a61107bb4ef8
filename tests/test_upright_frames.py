"""A video's frames turned so the face they follow is upright (models/upright_frames.py): the
stream's state, with a fake tracker and a fake mesh reader (the real ones: test_mesh_engine.py)."""

from __future__ import annotations

import numpy as np
import pytest

from models.engine import SwapResult
from models.mediapipe_faces import TrackedFace
from models.orientation import TURNS, turn, turn_point
from models.upright_frames import (
    LOOK_LATER_EVERY,
    LOOK_SOON,
    LOOK_SOON_EVERY,
    TRUSTED_FOR,
    UprightFrames,
    trusted,
    turn_to_try,
)
from testing.fakes import upright_face_mesh

W, H = 64, 48


def _face_in(way: int) -> np.ndarray:
    """The test face's mesh in a frame whose face lies turned clockwise by `way` (_frame): an
    upright face rolled so, as mediapipe's mesh follows a roll."""
    upright = upright_face_mesh((32.0, 26.0), 12.0)
    return np.array([turn_point(tuple(p), way, W, H) for p in upright], np.float32)


def _frame(degrees: int) -> np.ndarray:
    """A frame whose face lies turned clockwise by `degrees`: a marked corner says which way."""
    frame = np.zeros((H, W), np.uint8)
    frame[0, 0] = 255  # top left when the face is upright
    return turn(frame, degrees)


def _way_of(frame: np.ndarray) -> int:
    """How far clockwise the frame's face lies turned."""
    for degrees in (0, *TURNS):
        if np.array_equal(turn(_frame(degrees), 0), frame):
            return degrees
    return -1  # no face in it


class FakeTracker:
    """Finds the face only in a frame where it is upright, or (`finds_turned`) any way round; a
    face found turned reads as an upright face rolled so, as mediapipe's mesh follows a roll."""

    def __init__(self, finds_turned: set[int] | None = None) -> None:
        self.finds = {0} | (finds_turned or set())
        self.next_id = 0
        self.track: int | None = None
        self.forgotten = 0
        self.seen: list[int] = []
        self.tiled: list[bool] = []  # whether each look let the frame's tiles take their turn

    def update(self, frame: np.ndarray, t: float, tiles: bool = True) -> list[TrackedFace]:
        way = _way_of(frame)
        self.seen.append(way)
        self.tiled.append(tiles)
        if way not in self.finds:
            self.track = None
            return []
        if self.track is None:
            self.track, self.next_id = self.next_id, self.next_id + 1
        return [TrackedFace(_face_in(way), (10.0, 10.0, 50.0, 40.0), self.track)]

    def forget(self) -> None:
        self.track = None
        self.forgotten += 1


def _mesh_reading_upright_only(image: np.ndarray, box: tuple[float, ...]) -> np.ndarray | None:
    """A still mesh that reads the face steadily only where it is upright (and on its side, as a
    face on its side), never upside down: the upright rule's steady reading."""
    way = _way_of(image)
    if way == 180:
        return None
    return _face_in(way)


def test_looks_for_a_face_turned_often_when_it_has_just_gone_and_rarely_after():
    tries = {n: turn_to_try(n) for n in range(0, LOOK_SOON + 3 * LOOK_LATER_EVERY + 1)}
    looked = [n for n, t in tries.items() if t is not None]
    assert looked[:3] == [1, 1 + LOOK_SOON_EVERY, 1 + 2 * LOOK_SOON_EVERY]  # the first faceless frame on
    later = [n for n in looked if n > LOOK_SOON]
    assert np.diff(later).tolist() == [LOOK_LATER_EVERY] * (len(later) - 1) and len(later) == 3
    turns = [tries[n] for n in looked]
    assert all(turns[i : i + 3] in (list(TURNS), [TURNS[1], TURNS[2], TURNS[0]], [TURNS[2], *TURNS[:2]])
               for i in range(len(turns) - 2))  # a quarter turn after another, round and round


def test_an_upside_down_camera_turns_the_frames_once_its_face_is_found_and_keeps_the_turn():
    tracker = FakeTracker(finds_turned={180})  # the detector finds the face upside down, misread
    frames = UprightFrames(tracker, _mesh_reading_upright_only)  # type: ignore[arg-type]
    for t in range(5):
        turned, faces = frames.faces(_frame(180), t)
        assert len(faces) == 1 and _way_of(turned) == 0, t
    assert frames.turn == 180
    assert tracker.forgotten == 1  # once, when the face was first found


def test_a_face_the_detector_misses_upside_down_is_looked_for_turned_and_then_followed():
    tracker = FakeTracker()  # finds the face only upright
    frames = UprightFrames(tracker, _mesh_reading_upright_only)  # type: ignore[arg-type]
    found = [len(frames.faces(_frame(180), t)[1]) for t in range(3 * LOOK_SOON_EVERY)]
    first = found.index(1)
    # 90 degrees first (no face there), then 180
    assert first == LOOK_SOON_EVERY
    assert all(found[first:]) and frames.turn == 180


def test_a_look_at_a_frame_turned_to_try_it_leaves_the_detectors_tiles_their_turn():
    """The tiles (models/tiles.py) take turns from look to look; taken by the tries as well, the
    frames as they come were only ever shown two of the four."""
    tracker = FakeTracker()
    frames = UprightFrames(tracker, _mesh_reading_upright_only)  # type: ignore[arg-type]
    tries = 0
    for t in range(2 * LOOK_SOON_EVERY):
        before = len(tracker.tiled)
        turn = frames.turn
        frames.faces(_frame(180), t)
        looks = tracker.tiled[before:]
        # the frame as the stream turns it, then perhaps a try, then (the try found the face
        # and the stream turned) the frame turned anew
        assert looks[0] and looks[2:] == [True] * len(looks[2:]), looks
        if len(looks) > 1:
            tries += 1
            assert not looks[1], looks
        assert len(looks) < 3 or frames.turn != turn
    assert tries >= 2


def test_a_person_lying_down_turns_the_frames_by_the_roll_of_the_face_followed():
    tracker = FakeTracker(finds_turned={90, 270})
    frames = UprightFrames(tracker, _mesh_reading_upright_only)  # type: ignore[arg-type]
    assert frames.faces(_frame(0), 0)[1] and frames.turn == 0
    # the face is followed as it lies down: read rolled 90 degrees, the frames are turned back
    turned, faces = frames.faces(_frame(90), 1)
    assert faces and frames.turn == 270 and _way_of(turned) == 0


def test_a_face_found_soon_after_one_was_followed_is_trusted_to_be_the_way_up_the_frames_are():
    assert trusted(5.0, 5.0 - TRUSTED_FOR)
    assert not trusted(5.0, 5.0 - TRUSTED_FOR - 0.1)
    assert not trusted(5.0, None)  # no face followed yet: the stream's first face is read
    assert not trusted(5.0, 6.0)  # a clock that went back


class CountingMesh:
    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, image: np.ndarray, box: tuple[float, ...]) -> np.ndarray | None:
        self.reads += 1
        return _mesh_reading_upright_only(image, box)


def test_a_face_back_after_a_moment_away_is_not_read_again_but_one_back_after_long_is():
    mesh = CountingMesh()
    frames = UprightFrames(FakeTracker(), mesh)  # type: ignore[arg-type]
    away = np.full((H, W), 7, np.uint8)
    frames.faces(_frame(0), 0.0)
    first = mesh.reads
    assert first > 0  # the stream's first face is read for its way up
    for t in (0.1, 0.2):
        frames.faces(away, t)  # not looked for turned either: the face was there a moment ago
    frames.faces(_frame(0), 0.3)
    assert mesh.reads == first
    frames.faces(away, 0.4)
    frames.faces(_frame(0), 0.4 + TRUSTED_FOR + 1)
    assert mesh.reads > first


def test_a_stream_without_a_mesh_reader_never_turns():
    tracker = FakeTracker(finds_turned={180})
    frames = UprightFrames(tracker, None)  # type: ignore[arg-type]
    for t in range(2 * LOOK_SOON_EVERY):
        turned, _ = frames.faces(_frame(180), t)
        assert _way_of(turned) == 180
    assert frames.turn == 0 and tracker.seen == [180] * (2 * LOOK_SOON_EVERY)


@pytest.mark.parametrize("degrees", TURNS)
def test_the_swap_of_a_turned_frame_comes_back_on_the_frame_as_it_came(degrees):
    frames = UprightFrames(FakeTracker(), None)  # type: ignore[arg-type]
    frames.turn = degrees
    came = np.zeros((H, W, 3), np.uint8)
    turned = turn(came, degrees)
    out = turned.copy()
    out[5:9, 10:20] = 200  # the swap wrote here, in the turned frame
    result = frames.turned_back(SwapResult(out, 1, 1, None, {}, [((10, 5, 20, 9), 0)], [(10, 5, 20, 9)]),
                                came)
    x0, y0, x1, y1 = result.regions[0]
    assert result.image.shape == came.shape
    assert (result.image[y0:y1, x0:x1] == 200).all() and result.image.sum() == 200 * 3 * 40
    assert result.assigned[0][0] == (x0, y0, x1, y1)


def test_a_turned_frame_nothing_was_swapped_on_comes_back_as_it_came():
    frames = UprightFrames(FakeTracker(), None)  # type: ignore[arg-type]
    frames.turn = 90
    came = np.arange(H * W * 3, dtype=np.uint8).reshape(H, W, 3)
    result = frames.turned_back(SwapResult(turn(came, 90), 0, 0, "no face"), came)
    assert result.image is came
