"""The swap's eyes' colour (models/eye_colour.py), on the astronaut's real eyes and mesh."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models import color, gaze
from models.eye_colour import WHITE_CHROMA, colour_as_target, own_colour, target_eyes

pytestmark = pytest.mark.parallel



def eyes(shape: tuple[int, int], points: np.ndarray, within: int = 1) -> np.ndarray:
    """bool: inside the mesh's eye contours, `within` px in from the lids."""
    inside = np.zeros(shape, np.uint8)
    cv2.fillPoly(inside, [np.round(points[c]).astype(np.int32) for c in gaze.contours()], 1)
    return cv2.erode(inside, np.ones((2 * within + 1, 2 * within + 1), np.uint8)) > 0


def outside_eye_boxes(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    """bool: away from each eye contour's box (4 px of margin)."""
    away = np.ones(shape, bool)
    for contour in gaze.contours():
        (x0, y0), (x1, y1) = points[contour].min(0).astype(int) - 4, points[contour].max(0).astype(int) + 5
        away[max(y0, 0) : y1, max(x0, 0) : x1] = False
    return away


def with_ab(image: np.ndarray, where: np.ndarray, a: float, b: float) -> np.ndarray:
    """`image` (BGR) with its a and b set to (a, b) where `where`, its lightness kept."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    lab[where, 1], lab[where, 2] = a, b
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def ab_of(image: np.ndarray, where: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[where][:, 1:].astype(np.float32).mean(0)


def identity_maps(shape: tuple[int, int]) -> list[tuple[np.ndarray, np.ndarray]]:
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    return [(xs, ys)]


def test_orange_eye_whites_on_the_target_give_the_swap_whites_near_grey(astronaut_eyes):
    """A warm room or a few pixels of lid among them make a frame's eye whites orange: the swap's
    whites take their colour, but no more than WHITE_CHROMA of it."""
    face, points = astronaut_eyes
    inside = eyes(face.shape[:2], points)
    lightness = cv2.cvtColor(face, cv2.COLOR_BGR2LAB)[:, :, 0]
    lighter = inside & (lightness > np.median(lightness[inside]))
    orange = with_ab(face, lighter, 128 + 25, 128 + 30)
    seen = target_eyes(orange, points)
    assert seen is not None
    iris, white = seen
    off = white - color.NEUTRAL
    assert np.hypot(*off) <= WHITE_CHROMA + 1e-3, white
    assert off[0] > 0 and off[1] > 0, white  # still toward orange: the target's cast, held
    # the darker half, the irises, read as they did before the whites were made orange
    assert np.abs(iris - target_eyes(face, points)[0]).max() < 1.0, iris


def test_a_blue_iris_keeps_its_hue_and_a_brown_one_takes_the_relit_colour(astronaut_eyes):
    """The skin's colour transfer and light browned a blue iris: it takes its photo's colour back,
    where that is unlike the skin's hue. A brown iris is like the skin's hue, and keeps the relit
    colour (the photo's, a warm room's cast, came out red-brown on a daylit face)."""
    face, points = astronaut_eyes
    inside = eyes(face.shape[:2], points)
    maps = identity_maps(face.shape[:2])
    skin_ab = np.float32([140, 150])  # a warm skin
    relit_ab = (136.0, 146.0)  # what the transfer made of the eyes: brownish
    for photo_ab, kept in (((122.0, 106.0), True), ((138.0, 152.0), False)):  # blue, brown
        photo = with_ab(face, inside, *photo_ab)
        relit = with_ab(face, inside, *relit_ab)
        out = relit.copy()
        own_colour(out, [photo], maps, [1.0], points, None, 1.0, skin_ab)
        # the colour each would have at the relit lightness (a dark iris holds less chroma in BGR)
        want = with_ab(relit, inside, *(photo_ab if kept else relit_ab))
        core = eyes(face.shape[:2], points, 3)  # the lids' feather left aside
        assert np.abs(ab_of(out, core) - ab_of(want, core)).max() <= 2.0, (photo_ab, ab_of(out, core))
        # nothing outside the eyes' boxes changes, and the eyes keep their lightness
        away = outside_eye_boxes(face.shape[:2], points)
        assert (out[away] == relit[away]).all()
        light = [cv2.cvtColor(im, cv2.COLOR_BGR2LAB)[inside][:, 0].astype(int) for im in (out, relit)]
        assert np.abs(light[0] - light[1]).mean() < 1.5


def test_a_greyscale_sources_eyes_are_coloured_as_the_targets_from_iris_to_white(astronaut_eyes):
    """A greyscale photo's eyes, given the skin's colour by lightness, had skin-coloured whites:
    they take the target's irises' colour at their darker pixels and its whites' at their lighter."""
    face, points = astronaut_eyes
    grey = cv2.cvtColor(cv2.cvtColor(face, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    skin = with_ab(grey, np.ones(face.shape[:2], bool), 145, 150)  # the skin's colour everywhere
    iris, white = np.float32([120, 110]), np.float32([129, 127])
    out = skin.copy()
    colour_as_target(out, points, iris, white)
    lab = cv2.cvtColor(out, cv2.COLOR_BGR2LAB)
    core = eyes(face.shape[:2], points, 2)  # the lids' feather left aside
    lo, hi = np.percentile(lab[:, :, 0][core], (10, 90))
    darkest, lightest = core & (lab[:, :, 0] <= lo), core & (lab[:, :, 0] >= hi)
    # each as it would be at its lightness (a dark pixel holds less chroma in BGR)
    for where, want in ((darkest, iris), (lightest, white)):
        expected = ab_of(with_ab(skin, where, *want), where)
        assert np.abs(ab_of(out, where) - expected).max() <= 2.0, (ab_of(out, where), expected)
    # the skin's colour stays outside the eyes
    away = outside_eye_boxes(face.shape[:2], points)
    assert (out[away] == skin[away]).all()
