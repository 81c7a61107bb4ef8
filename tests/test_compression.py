"""A hard-compressed photo's JPEG blocks, read over a real face wherever its grid lies."""

from __future__ import annotations

import cv2

from models.compression import BLOCKY, blockiness
from testing.images import everywhere, recompressed


def test_a_photo_as_taken_or_saved_well_is_not_blocky(astronaut_face):
    # skimage's astronaut is a PNG; saved as a JPEG at quality 90 its blocks barely show
    for photo in (astronaut_face, recompressed(astronaut_face, 90)):
        assert blockiness(photo, everywhere(photo)) < BLOCKY


def test_a_photo_saved_at_quality_10_is_blocky_wherever_its_grid_lies(astronaut_face):
    blocky = recompressed(astronaut_face, 10)
    # cropped 3 px into a block and turned a quarter round after it was compressed
    for photo in (blocky, blocky[3:, 5:], cv2.rotate(blocky[3:, 5:], cv2.ROTATE_90_CLOCKWISE)):
        assert blockiness(photo, everywhere(photo)) > BLOCKY
