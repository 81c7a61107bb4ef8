"""What the detector's tiles find (models/tiles.py), and what they must not: photos of Debian's
opencv-doc, real mediapipe."""

from __future__ import annotations

import numpy as np
import pytest

from models.engine import NoFaceError
from models.mesh_engine import MeshEngine
from testing.faces import OPENCV_DATA, astronaut, place
from tests.conftest import _opencv_doc
from tests.face_checks import play_all

pytestmark = [pytest.mark.slow, pytest.mark.parallel]

# photos without a face in which the full-range detector, looking at a tile, took something for one
NO_FACE = ("board.jpg", "graf1.png", "aloeL.jpg")


def _swapped_in_a_stream(engine, picture: np.ndarray, n: int) -> list[int]:
    """The faces swapped in each of `n` frames of `picture` with a camera's noise, the astronaut
    the source."""
    rng = np.random.default_rng(0)
    frames = [np.clip(picture + rng.normal(0, 2, picture.shape), 0, 255).astype(np.uint8) for _ in range(n)]
    return [r.faces_swapped for r in play_all(engine, frames, engine.prepare_source(astronaut()))]


@pytest.fixture(scope="module")
def whole_frame_engine():
    engine = MeshEngine(tiles=False)
    yield engine
    engine.close()


@pytest.mark.parametrize("name", NO_FACE)
def test_detect_gives_no_face_where_a_tile_took_a_texture_for_one(mesh_engine, name):
    photo = _opencv_doc(f"{OPENCV_DATA}/{name}", (0, 0, 1, 1), name)
    found = [face for face in mesh_engine.faces.detect(photo) if face.in_tile]
    assert found, "no tile takes anything for a face here: this tests nothing"
    assert mesh_engine.detect(photo) == []


def test_a_stream_of_a_circuit_board_swaps_nothing(mesh_engine):
    """A capacitor's top, found in a tile and meshed at 16 x 19 px, was swapped in four frames
    (mediapipe_faces.MIN_FACE)."""
    board = _opencv_doc(f"{OPENCV_DATA}/board.jpg", (0, 0, 1, 1), "the circuit board")
    assert _swapped_in_a_stream(mesh_engine, board, 10) == [0] * 10


def test_detect_finds_a_small_face_the_whole_frame_misses(mesh_engine, whole_frame_engine):
    """A man playing basketball, his face 32 px in a 640x480 frame."""
    player = _opencv_doc(f"{OPENCV_DATA}/basketball1.png", (0, 0, 1, 1), "the basketball player")
    assert whole_frame_engine.detect(player) == []
    (face,) = mesh_engine.detect(player)
    x1, y1, x2, y2 = face.box
    assert 60 < (x1 + x2) / 2 < 120 and 90 < (y1 + y2) / 2 < 140, face.box


def test_a_stream_of_the_basketball_player_swaps_his_small_face(mesh_engine):
    """His face is in one tile only. A frame without a face is also looked at turned (to try
    another way up, models/upright_frames.py); those looks took the tiles' turns as well, and the
    frames themselves were only ever shown the two tiles he is not in."""
    player = _opencv_doc(f"{OPENCV_DATA}/basketball1.png", (0, 0, 1, 1), "the basketball player")
    swapped = _swapped_in_a_stream(mesh_engine, player, 8)
    assert swapped[1:] == [1] * 7, swapped


def test_an_upload_whose_face_is_a_tenth_of_a_1080p_photo_is_taken(mesh_engine, whole_frame_engine):
    """The astronaut's face 108 px tall in a 1920x1080 photo (a half-length shot): the whole
    photo's detector misses it and the upload was refused; found in a tile, it is taken (its swaps
    measured 0.533 from her by dlib, ad hoc, against 0.537 from her photo as taken)."""
    photo = place(astronaut(), (1920, 1080), 1080 * 0.10 / 104)  # her face box is 104 px tall
    with pytest.raises(NoFaceError):
        whole_frame_engine.prepare_source(photo)
    x1, y1, x2, y2 = mesh_engine.prepare_source(photo).box
    assert 880 < (x1 + x2) / 2 < 980 and 350 < (y1 + y2) / 2 < 450, (x1, y1, x2, y2)


@pytest.mark.parametrize("name", ["apple.jpg", "WindowsLogo.jpg"])
def test_detect_gives_no_face_where_the_whole_photos_find_has_no_mesh(mesh_engine, name):
    """The full-range detector takes an apple and the Windows logo for faces, in the whole photo.
    No mesh is read on either, and an upload of them is refused: /detect gave them as faces."""
    photo = _opencv_doc(f"{OPENCV_DATA}/{name}", (0, 0, 1, 1), name)
    found = [face for face in mesh_engine.faces.detect(photo) if not face.in_tile]
    assert found, "the detector takes nothing for a face here: this tests nothing"
    assert mesh_engine.detect(photo) == []
    with pytest.raises(NoFaceError):
        mesh_engine.prepare_source(photo)
