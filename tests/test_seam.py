"""The swap's forehead where the mask fades out over it (models/seam.py), on a real face's pixels: a
swap relit darker than the target's forehead leaves no step there, one lighter is not darkened,
the target's hair is not put on the swap, and below the forehead nothing changes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models.seam import match_forehead_edge

FACE_W = 120.0


@pytest.fixture(scope="module")
def forehead(astronaut) -> np.ndarray:
    """The skin of the astronaut's forehead between her fringe and her brows, enlarged to a 200 px
    square: a real forehead's colour and shading."""
    return cv2.resize(astronaut[80:90, 205:250], (200, 200), interpolation=cv2.INTER_CUBIC)


def diagonal_fade(size: int = 200, width: float = 10.0) -> np.ndarray:
    """uint8 mask: 255 below a line that falls across the box (a tilted head's forehead top),
    fading to 0 above it over `width` px."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    above = (0.3 * xs + 50.0) - ys  # px above the line
    return np.clip(255.0 * (0.5 - above / width), 0, 255).astype(np.uint8)


def upper_half(size: int = 200) -> np.ndarray:
    held = np.zeros((size, size), np.uint8)
    held[: size // 2] = 255
    return held


def blend(face: np.ndarray, target: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha.astype(np.float32)[..., None] / 255.0
    return np.round(a * face + (1.0 - a) * target).astype(np.uint8)


def fade_step(out: np.ndarray, target: np.ndarray, alpha: np.ndarray) -> float:
    """How much darker the blended forehead is than the target, in the middle of the fade and just
    inside it: the step a person sees as a line."""
    where = (alpha > 60) & (alpha < 250)
    where[100:] = False
    return float((target.astype(np.float32) - out.astype(np.float32)).mean(axis=2)[where].mean())


def test_a_swap_relit_darker_than_the_targets_forehead_leaves_no_step_where_the_mask_fades(forehead):
    target = forehead
    face = cv2.subtract(target, np.full_like(target, 45))  # the swap's forehead 45 levels darker
    alpha, held = diagonal_fade(), upper_half()
    matched = match_forehead_edge(face, target, alpha, held, FACE_W)
    before = fade_step(blend(face, target, alpha), target, alpha)
    after = fade_step(blend(matched, target, alpha), target, alpha)
    # measured: 26.9 levels -> 1.5
    assert before > 20 and after < 6, (before, after)
    # below the forehead (the brows, eyes and the rest of the face) the swap is its own
    assert np.array_equal(matched[100:], face[100:])


def test_the_targets_dark_hair_beyond_the_fade_is_not_put_on_the_swap(forehead):
    target = forehead.copy()
    alpha, held = diagonal_fade(), upper_half()
    target[alpha < 250] = (40, 45, 60)  # dark brown hair down to the fade, a fringe
    matched = match_forehead_edge(forehead, target, alpha, held, FACE_W)
    assert np.abs(matched.astype(int) - forehead.astype(int)).max() == 0


def test_a_forehead_the_mask_covers_whole_is_left_as_it_is(forehead):
    face = cv2.subtract(forehead, np.full_like(forehead, 45))
    full = np.full(forehead.shape[:2], 255, np.uint8)
    assert match_forehead_edge(face, forehead, full, upper_half(), FACE_W) is face


def test_a_swap_lighter_than_the_targets_forehead_is_not_darkened_toward_it(forehead):
    # the frame 20 levels darker along the fade: it can be a hairline's shade, not light, and
    # taken onto the swap it darkened the source's own forehead (models/seam.py)
    face = cv2.add(forehead, np.full_like(forehead, 20))
    matched = match_forehead_edge(face, forehead, diagonal_fade(), upper_half(), FACE_W)
    assert np.array_equal(matched, face)
