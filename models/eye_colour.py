"""The swap's eyes' colour (the mesh engine's): a colour source's irises keep their own hue where it
is unlike the skin's, and its whites take the target's whites' colour; a greyscale source's eyes are
coloured as the target's own are. Lightness is always the relit swap's: only a and b change.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from models import color, gaze
from models.order import median, percentiles
from models.warp import box_around, mixed_remap

# the swap's eye whites take the target's whites' colour (and a greyscale source's irises the
# target's irises'), no more than this chroma (a/b levels from grey): more is the target's lids
# among their pixels (orange eye whites)
WHITE_CHROMA = 6.0
# a colour source's eyes take the target's whites' colour from this percentile of their lightness,
# wholly from the second: from the 20th and the 50th, a blue iris's lighter rim greyed, and the
# irises read further from where the gaze put them (tests/test_gaze.py's scene, 12 readings: 0.072
# of the eye's span from the 50th, 0.058 from the 70th, 0.056 with the photo's whites)
WHITES = (70.0, 95.0)
# a colour source's eyes keep their own colour where it is unlike its skin's in hue (a blue or green
# iris, which the skin's colour transfer browned), and take the relit colour where it is like it:
# wholly within the first angle (degrees) of the skin's hue, their own from the second. Kept
# whole, a brown iris and the lids' pink rim in a warm room's photo kept the room's cast, and
# came out red on a face lit by daylight (bench.quality --faces social, s5-3 onto s6-1)
EYE_HUE = (30.0, 60.0)
EYE_GREY = 4.0  # a/b levels of chroma under which an eye's pixel has no hue to judge: its own (grey)
# px: that judgement blurred, so an iris does not switch between the two pixel by pixel (a blue
# iris's rim, half lid, came out in orange specks beside blue ones: stray pixels 211 -> 251 on the
# social set unblurred)
EYE_BLUR = 1.5


def target_eyes(frame: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The a and b of the target's irises and of its eyes' whites in `frame` (on its mesh
    `target`): of the darker half of the pixels inside its eye contours and of the lighter half,
    the whites held within WHITE_CHROMA of grey. None where its eyes show too few pixels, or all
    of one lightness (nothing tells an iris from a white)."""
    rings = [target[c, :2] for c in gaze.contours()]
    x0, y0, x1, y1 = box_around(np.concatenate(rings), frame.shape[1], frame.shape[0])
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    own = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(own, [np.round(r - np.float32([x0, y0])).astype(np.int32) for r in rings], 1)
    own = cv2.erode(own, np.ones((3, 3), np.uint8)) > 0
    if own.sum() < 12:
        return None
    pixels = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2LAB)[own].astype(np.float32)
    darker = pixels[:, 0] <= median(pixels[:, 0])
    if darker.all():
        return None
    iris, white = pixels[darker, 1:].mean(0), pixels[~darker, 1:].mean(0)
    off = white - color.NEUTRAL
    return iris, color.NEUTRAL + off * min(1.0, WHITE_CHROMA / max(float(np.hypot(*off)), 1e-6))


def _whiteness(lit: np.ndarray, inside: np.ndarray, ramp: tuple[float, float] = (20.0, 80.0)
               ) -> np.ndarray | None:
    """float32 (h, w, 1) over an eye's box (`lit`, LAB; `inside`, its polygon): 0 at its darker
    pixels, its iris, to 1 at its lighter ones, its white, between the `ramp` percentiles of its
    lightness."""
    light = lit[:, :, 0].astype(np.float32)
    seen = light[inside > 0]
    if len(seen) < 4:
        return None
    lo, hi = percentiles(seen, ramp)
    return np.clip((light - lo) / max(hi - lo, 1.0), 0.0, 1.0)[:, :, None]


def colour_as_target(face: np.ndarray, eyes: np.ndarray, iris: np.ndarray, white: np.ndarray) -> None:
    """A greyscale source's eyes in `face` (relit, in place; on the mesh `eyes`) coloured as the
    target's own eyes are (target_eyes): from their darker pixels, the irises', to their lighter
    ones, the whites'. Given the skin's colour by lightness, the whites came out skin-coloured."""

    def by_lightness(lit: np.ndarray, inside: np.ndarray, _: tuple[int, int, int, int]) -> np.ndarray | None:
        t = _whiteness(lit, inside)
        return None if t is None else iris * (1.0 - t) + white * t

    _recolour(face, eyes, by_lightness)


def own_colour(face: np.ndarray, textures: list[np.ndarray], maps: list[tuple[np.ndarray, np.ndarray]],
                     weights: list[float], moved: np.ndarray, white: np.ndarray | None,
                     share: float = 1.0, skin: np.ndarray | None = None) -> None:
    """The source's eyes in `face` (relit, in place) take `share` of their own colour back,
    keeping their new lightness: the skin's colour transfer and light browned a blue iris. With
    the source skin's a and b (`skin`), only where their colour is unlike the skin's in hue
    (EYE_HUE): a brown iris and the lids' rim keep the relit colour, not the photo's cast. Their
    lighter pixels, the whites, take the target's whites' colour `white` (target_eyes) wholly
    instead: a photo's cast (a magenta print, a warm room) or its low resolution (a few pixels of
    lid among them) made them pink or orange on any target."""

    def own(lit: np.ndarray, inside: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        x0, y0, x1, y1 = box
        warped = mixed_remap(textures, [(mx[y0:y1, x0:x1], my[y0:y1, x0:x1]) for mx, my in maps], weights)
        relit = lit[:, :, 1:].astype(np.float32)
        photo = cv2.cvtColor(warped, cv2.COLOR_BGR2LAB)[:, :, 1:].astype(np.float32)
        kept = np.float32(share)
        if skin is not None:
            away = cv2.GaussianBlur(color.unlike_hue(photo, skin, *EYE_HUE, EYE_GREY), (0, 0), EYE_BLUR)
            kept = kept * away[:, :, None]
        ab = relit + kept * (photo - relit)
        t = None if white is None else _whiteness(lit, inside, WHITES)
        return ab if t is None else ab * (1.0 - t) + white * t

    _recolour(face, moved, own)


def _recolour(face: np.ndarray, eyes: np.ndarray,
                   colour: Callable[[np.ndarray, np.ndarray, tuple[int, int, int, int]], np.ndarray | None]
                   ) -> None:
    """Each eye of the mesh `eyes` in `face` (in place) given the a and b that `colour`
    returns for its box (from the box's LAB, the eye's polygon there and the box), its lightness
    kept; feathered by a pixel at the lids."""
    h, w = face.shape[:2]
    for contour in gaze.contours():
        ring = eyes[contour, :2]
        x0, y0 = np.maximum(np.floor(ring.min(0)).astype(int) - 2, 0)
        x1, y1 = np.minimum(np.ceil(ring.max(0)).astype(int) + 3, (w, h))
        if x1 - x0 < 3 or y1 - y0 < 3:
            continue
        lit = cv2.cvtColor(face[y0:y1, x0:x1], cv2.COLOR_BGR2LAB)
        inside = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.fillPoly(inside, [np.round((ring - np.float32([x0, y0])) * 16).astype(np.int32)], 1.0, shift=4)
        ab = colour(lit, inside, (int(x0), int(y0), int(x1), int(y1)))
        if ab is None:
            continue
        inside = cv2.GaussianBlur(inside, (0, 0), 1.0)[:, :, None]
        lit[:, :, 1:] = (lit[:, :, 1:] * (1.0 - inside) + ab * inside + 0.5).astype(np.uint8)
        face[y0:y1, x0:x1] = cv2.cvtColor(lit, cv2.COLOR_LAB2BGR)
