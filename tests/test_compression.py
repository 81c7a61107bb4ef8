"""A hard-compressed photo's JPEG blocks, read over a real face wherever its grid lies."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models.compression import BLOCKY, blockiness
from testing.faces import ASTRONAUT_BOX, crop_face
from testing.images import recompressed


def everywhere(image: np.ndarray) -> np.ndarray:
    return np.ones(image.shape[:2], bool)


@pytest.fixture(scope="module")
def face(astronaut) -> np.ndarray:
    return crop_face(astronaut, ASTRONAUT_BOX, 0.8)


def test_a_photo_as_taken_or_saved_well_is_not_blocky(face):
    # skimage's astronaut is a PNG; saved as a JPEG at quality 90 its blocks barely show
    for photo in (face, recompressed(face, 90)):
        assert blockiness(photo, everywhere(photo)) < BLOCKY


def test_a_photo_saved_at_quality_10_is_blocky_wherever_its_grid_lies(face):
    blocky = recompressed(face, 10)
    # cropped 3 px into a block and turned a quarter round after it was compressed
    for photo in (blocky, blocky[3:, 5:], cv2.rotate(blocky[3:, 5:], cv2.ROTATE_90_CLOCKWISE)):
        assert blockiness(photo, everywhere(photo)) > BLOCKY
