"""What the detector's tiles find (models/tiles.py), and what they must not: photos of Debian's
opencv-doc, real mediapipe."""

from __future__ import annotations

import numpy as np
import pytest

from models.mesh_engine import MeshEngine
from testing.faces import OPENCV_DATA, astronaut
from tests.conftest import _opencv_doc

pytestmark = pytest.mark.slow

# photos without a face in which the full-range detector, looking at a tile, took something for one
NO_FACE = ("board.jpg", "graf1.png", "aloeL.jpg")


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
    rng = np.random.default_rng(0)
    source = mesh_engine.prepare_source(astronaut())
    stream = mesh_engine.open_stream()
    try:
        swapped = [stream.swap(np.clip(board + rng.normal(0, 2, board.shape), 0, 255).astype(np.uint8),
                               [source]).faces_swapped for _ in range(10)]
    finally:
        stream.close()
    assert swapped == [0] * 10


def test_detect_finds_a_small_face_the_whole_frame_misses(mesh_engine, whole_frame_engine):
    """A man playing basketball, his face 32 px in a 640x480 frame."""
    player = _opencv_doc(f"{OPENCV_DATA}/basketball1.png", (0, 0, 1, 1), "the basketball player")
    assert whole_frame_engine.detect(player) == []
    (face,) = mesh_engine.detect(player)
    x1, y1, x2, y2 = face.box
    assert 60 < (x1 + x2) / 2 < 120 and 90 < (y1 + y2) / 2 < 140, face.box
