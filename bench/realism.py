"""What a person sees wrong in a swapped frame, counted against the frame it was made from.

Pure image measures for bench.quality, none of them the engine's own: stray pixels (the mask's
edge, a mesh seen edge-on), skin held at white (a highlight added past white), skin greyed (the
swap's broad colour under half the target's), the skin's tone off the target's, colour patches
the target's skin does not have, shading (creases, folds) harsher than the target's, grain
sharper than the target's, and colours the target's skin shows at no such lightness (and around
the eyes, colours its face shows at no such lightness). The skin is found by dlib's 68
landmarks (bench.quality's judge), never by the engine's FaceMesh.
"""

from __future__ import annotations

import cv2
import numpy as np

from models.color import largest_difference
from models.mask import disc

STRAY = 40  # levels from the 3 x 3 median (largest of B, G, R) at which a pixel stands alone
CHANGED = 20  # levels from the target's frame at which the swap changed a pixel
WHITE = 254  # LAB lightness (OpenCV's 0..255) at which a pixel is held at white
GREYED = 0.5  # of the target's colour strength under which the swap's skin counts as greyed
# 8-bit LAB a/b levels (about 1.6 in CIE a*b*, under a just-noticeable difference): a target's skin
# with less colour than this has none to lose. A greyscale photo's frames under a camera's noise
# read 0.06 levels of it, and the swap's own noise under half of that "greyed" 22-30% of his skin
GREYED_FLOOR = 2.0
BLUR = 0.05  # of the face's width: the blur that leaves a face's broad colour
EDGE_REACH = 2  # px: how near an edge of the target's own a straight cut is not counted
# Colour patches: the colour blurred over PATCH_BLUR of the face's width, against the colour blurred
# over PATCH_AROUND of it, PATCH_LEVELS a/b levels further apart than in the target's frame
PATCH_BLUR, PATCH_AROUND, PATCH_LEVELS = 0.02, 0.08, 4.0
# Harsh shading: lightness between blurs over HARSH_FINE and HARSH_BROAD of the face's width (creases,
# folds, a cheek's own shadow; not pixel noise, not the broad light), its strength over HARSH_BROAD,
# HARSH_TIMES the target's and HARSH_LEVELS more
HARSH_FINE, HARSH_BROAD, HARSH_TIMES, HARSH_LEVELS = 0.01, 0.05, 2.0, 3.0
# Sharper than the target: lightness less its blur over HARSH_FINE of the face's width (the photo's
# grain and focus: pores, stubble, how sharp the lens left it), its strength over HARSH_BROAD,
# SHARP_TIMES the target's and SHARP_LEVELS more
SHARP_TIMES, SHARP_LEVELS = 1.5, 1.0
# Off colour at its lightness: each image's colour blurred over OFF_BLUR of the face's width; a swap's
# skin pixel counts when no OFF_COUNT of the target's skin pixels within OFF_L_BIN levels of its
# lightness lie within OFF_LEVELS a/b levels of its colour (grey on a warm face's mid-tones, where
# the target is grey only in its highlights)
OFF_BLUR, OFF_L_BIN, OFF_LEVELS, OFF_COUNT = 0.01, 8, 6.0, 2

# dlib's 68 landmarks: the jaw, the brows, the eyes, the outer lip line
JAW, BROWS, EYES, LIPS = range(0, 17), range(17, 27), (range(36, 42), range(42, 48)), range(48, 60)
NOSE_BOTTOM = 33
NOSE_TOP, CHIN = 27, 8


def stray_pixels(out: np.ndarray, frame: np.ndarray) -> int:
    """Pixels of `out` far from their 3 x 3 median where `frame` has none and the swap changed
    them: specks and one-pixel lines."""
    odd = largest_difference(out, cv2.medianBlur(out, 3)) > STRAY
    own = largest_difference(frame, cv2.medianBlur(frame, 3)) > STRAY
    return int((odd & ~own & (largest_difference(out, frame) > CHANGED)).sum())


def straight_cut(out: np.ndarray, frame: np.ndarray) -> int:
    """The most pixels along one column (or row) of `out` where the swap changed a pixel and left
    its neighbour on one side exactly as `frame` has it: a swap that stops dead along a straight
    line, as one clipped by a box does. A mask's feathered edge fades over several pixels. Not
    counted within EDGE_REACH of an edge `frame` has itself: a target photo's own straight border
    (a picture pasted in a frame), moved a little by the swap, is not a cut."""
    changed = largest_difference(out, frame) > CHANGED
    same = np.all(out == frame, axis=2)
    edge = np.zeros(frame.shape[:2], np.uint8)
    edge[:, 1:] |= largest_difference(frame[:, 1:], frame[:, :-1]) > CHANGED
    edge[1:] |= largest_difference(frame[1:], frame[:-1]) > CHANGED
    flat = cv2.dilate(edge, np.ones((2 * EDGE_REACH + 1,) * 2, np.uint8)) == 0
    across = ((changed[:, 1:] & same[:, :-1]) | (changed[:, :-1] & same[:, 1:])) & flat[:, 1:]
    down = ((changed[1:] & same[:-1]) | (changed[:-1] & same[1:])) & flat[1:]
    return int(max(across.sum(0).max(initial=0), down.sum(1).max(initial=0)))


def held_at_white(out: np.ndarray, frame: np.ndarray) -> int:
    """Pixels the swap changed and left at white (LAB lightness WHITE or more) where `frame` is not."""
    white = cv2.cvtColor(out, cv2.COLOR_BGR2LAB)[:, :, 0] >= WHITE
    own = cv2.cvtColor(frame, cv2.COLOR_BGR2LAB)[:, :, 0] >= WHITE
    return int((white & ~own & (largest_difference(out, frame) > CHANGED)).sum())


def outline(marks: np.ndarray) -> np.ndarray:
    """The face's outline from dlib's (68, 2) landmarks: the jaw, then the brows' top back across."""
    return marks[[*JAW, *reversed(BROWS)]]


def skin(shape: tuple[int, int], marks: np.ndarray) -> tuple[np.ndarray, float]:
    """bool (h, w): the face inside its jaw and brows, less the brows, eyes and lips (each grown
    by 4% of the face's width) and 5% of its width along the outline; and the face's width.
    `marks`: dlib's (68, 2) landmarks."""
    width = float(np.ptp(marks[list(JAW), 0]))
    inset = max(1, round(0.05 * width))
    face = cv2.erode(_filled(shape, marks), np.ones((2 * inset + 1, 2 * inset + 1), np.uint8))
    features = _features(shape, marks, (BROWS[:5], BROWS[5:], *EYES, LIPS), 0.04 * width)
    return (face > 0) & (features == 0), width


def eyes_and_face(shape: tuple[int, int], marks: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """bool (h, w): the eyes and brows, each grown by 6% of the face's width (their sockets and
    lids), inside the face; the whole face inside its jaw and brows (eyes, brows and lips included);
    and the face's width. `marks`: dlib's (68, 2) landmarks."""
    width = float(np.ptp(marks[list(JAW), 0]))
    face = _filled(shape, marks) > 0
    eyes = _features(shape, marks, (BROWS[:5], BROWS[5:], *EYES), 0.06 * width)
    return (eyes > 0) & face, face, width


def _filled(shape: tuple[int, int], marks: np.ndarray) -> np.ndarray:
    """uint8 (h, w): 255 inside the face's outline."""
    face = np.zeros(shape, np.uint8)
    cv2.fillPoly(face, [np.round(outline(marks)).astype(np.int32)], 255)
    return face


def _features(shape: tuple[int, int], marks: np.ndarray, parts: tuple[range, ...], grow: float) -> np.ndarray:
    """uint8 (h, w): 255 over each of `parts`' convex hull (each brow alone: one hull over both
    would take in the skin between them), grown by `grow` px."""
    features = np.zeros(shape, np.uint8)
    for part in parts:
        cv2.fillConvexPoly(features, cv2.convexHull(np.round(marks[list(part)]).astype(np.int32)), 255)
    grown = max(1, round(grow))
    return cv2.dilate(features, np.ones((2 * grown + 1, 2 * grown + 1), np.uint8))


def greyed_share(out: np.ndarray, frame: np.ndarray, region: np.ndarray, width: float) -> float:
    """The share of `region` (the target's skin) where the swap's broad colour (LAB a and b
    blurred over BLUR of the face's `width`) has under GREYED of the target's strength there, and
    the target has at least GREYED_FLOOR of it."""
    if not region.any():
        return float("nan")

    def strength(image: np.ndarray) -> np.ndarray:
        ab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[:, :, 1:].astype(np.float32) - 128
        return np.linalg.norm(cv2.GaussianBlur(ab, (0, 0), BLUR * width), axis=2)

    want = strength(frame)[region]
    return float(np.mean((strength(out)[region] < GREYED * want) & (want >= GREYED_FLOOR)))


def upper(region: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """`region` above the nose's bottom (dlib's `marks`): the cheeks, the nose and the forehead,
    where neither a beard nor the lips are."""
    kept = region.copy()
    kept[max(0, int(np.rint(marks[NOSE_BOTTOM, 1]))):] = False
    return kept


def tone_shift(out: np.ndarray, frame: np.ndarray, region: np.ndarray) -> float:
    """How far the swap's skin tone is from the target's in `region`: the distance in CIE a* and
    b* between the two images' median colours there (about 2.3 is a just-noticeable difference)."""
    if not region.any():
        return float("nan")
    return float(np.linalg.norm(_median_lab(out, region)[1:] - _median_lab(frame, region)[1:]))


def level_shift(out: np.ndarray, frame: np.ndarray, region: np.ndarray) -> float:
    """How far the swap's skin is lighter than the target's in `region` (the upper face's skin):
    the difference of the two images' median CIE L* there, the swap's less the target's (negative:
    darker). A light matched to the face's whole, brows, sockets and stubble included, leaves the
    skin darker than a target whose skin is lighter than its features (tone_shift's a* and b* do
    not see it)."""
    if not region.any():
        return float("nan")
    return float(_median_lab(out, region)[0] - _median_lab(frame, region)[0])


def _median_lab(image: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The median CIE L*, a* and b* of `image` (BGR) over `region`."""
    lab = cv2.cvtColor(image.astype(np.float32) * (1.0 / 255.0), cv2.COLOR_BGR2LAB)
    return np.median(lab[region], axis=0)


def light_across(out: np.ndarray, frame: np.ndarray, region: np.ndarray, marks: np.ndarray) -> float:
    """How far the swap's light across the face is from the target's: the step in LAB lightness
    between the medians of `region` (the target's skin) left and right of the face's midline (dlib's
    nose top to chin), the swap's less the target's, in CIE L* (positive: the swap's left is the
    lighter by more). A photo's own side light left on the swap, or the target's lamp not taken."""
    h, w = region.shape
    (x0, y0), (x1, y1) = marks[NOSE_TOP], marks[CHIN]
    ys, xs = np.mgrid[0:h, 0:w]
    left = ((x1 - x0) * (ys - y0) - (y1 - y0) * (xs - x0)) > 0  # the image's left of the line, downward
    sides = (region & left, region & ~left)
    if not all(side.any() for side in sides):
        return float("nan")

    def step(image: np.ndarray) -> float:
        light = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[:, :, 0].astype(np.float32) * (100.0 / 255.0)
        a, b = (float(np.median(light[side])) for side in sides)
        return a - b

    return step(out) - step(frame)


def patchy_share(out: np.ndarray, frame: np.ndarray, region: np.ndarray, width: float) -> float:
    """The share of `region` (the target's skin) where the swap's colour stands out from the colour
    around it (PATCH_BLUR against PATCH_AROUND of the face's `width`) by PATCH_LEVELS of LAB a and
    b more than the target's own does there: mint or grey patches on a warm cheek (a flash-lit
    source's bleached skin), not the target's own blush."""
    if not region.any():
        return float("nan")

    def standing_out(image: np.ndarray) -> np.ndarray:
        ab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[:, :, 1:].astype(np.float32)
        near = cv2.GaussianBlur(ab, (0, 0), PATCH_BLUR * width)
        return np.linalg.norm(near - cv2.GaussianBlur(ab, (0, 0), PATCH_AROUND * width), axis=2)

    return float(np.mean(standing_out(out)[region] > standing_out(frame)[region] + PATCH_LEVELS))


def harsh_share(out: np.ndarray, frame: np.ndarray, region: np.ndarray, width: float) -> float:
    """The share of `region` (the target's skin) where the swap's shading (lightness between blurs
    over HARSH_FINE and HARSH_BROAD of the face's `width`) is HARSH_TIMES as strong as the target's
    there and HARSH_LEVELS more: a source's creases and cheek shadows, sharp and dark, on skin the
    target's camera shows flat (a pale, bright face looked cut from metal)."""
    if not region.any():
        return float("nan")
    own = _band_strength(frame, HARSH_FINE * width, HARSH_BROAD * width)[region]
    harsh = _band_strength(out, HARSH_FINE * width, HARSH_BROAD * width)[region]
    return float(np.mean(harsh > HARSH_TIMES * own + HARSH_LEVELS))


def sharper_share(out: np.ndarray, frame: np.ndarray, region: np.ndarray, width: float) -> float:
    """The share of `region` (the target's skin) where the swap's grain (lightness less its blur
    over HARSH_FINE of the face's `width`) is SHARP_TIMES as strong as the target's there and
    SHARP_LEVELS more: a sharp photo pasted on a soft frame."""
    if not region.any():
        return float("nan")
    own = _band_strength(frame, 0.0, HARSH_FINE * width, HARSH_BROAD * width)[region]
    sharp = _band_strength(out, 0.0, HARSH_FINE * width, HARSH_BROAD * width)[region]
    return float(np.mean(sharp > SHARP_TIMES * own + SHARP_LEVELS))


def _band_strength(image: np.ndarray, fine: float, broad: float, over: float | None = None) -> np.ndarray:
    """The root mean square, over `over` px (`broad` if None), of `image`'s lightness between blurs
    over `fine` px (none at 0) and `broad` px."""
    lightness = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[:, :, 0].astype(np.float32)
    detail = lightness if fine <= 0 else cv2.GaussianBlur(lightness, (0, 0), fine)
    band = detail - cv2.GaussianBlur(lightness, (0, 0), broad)
    return np.sqrt(cv2.GaussianBlur(band * band, (0, 0), broad if over is None else over))


def off_colour_share(out: np.ndarray, frame: np.ndarray, region: np.ndarray, width: float,
                     seen: np.ndarray | None = None) -> float:
    """The share of `region` (the target's skin) where the swap's colour is one the target's skin
    (or its `seen` region) never shows at that lightness: OFF_LEVELS a/b levels from every colour
    of it within OFF_L_BIN levels of lightness (each image blurred over OFF_BLUR of the face's
    `width`). A grey nose at a lightness where the target's nose is warm: the target is near grey
    only where it is near white."""
    if not region.any():
        return float("nan")

    def blurred(image: np.ndarray, where: np.ndarray) -> np.ndarray:
        lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
        return cv2.GaussianBlur(lab, (0, 0), max(0.5, OFF_BLUR * width))[where]

    own, swap = blurred(frame, region if seen is None else seen), blurred(out, region)
    # the target's colours, per band of lightness, on a grid of whole a/b levels
    bands = 256 // OFF_L_BIN
    shown = np.zeros((bands, 256, 256), np.int32)
    np.add.at(shown, (own[:, 0].astype(int) // OFF_L_BIN, *np.rint(own[:, 1:]).astype(int).T), 1)
    around = disc(int(np.ceil(OFF_LEVELS)))  # of a/b levels
    near = np.stack([cv2.dilate((band >= OFF_COUNT).astype(np.uint8), around) for band in shown])
    # a band each side (not around: the darkest band is no neighbour of the lightest)
    beside = near.copy()
    np.maximum(beside[1:], near[:-1], out=beside[1:])
    np.maximum(beside[:-1], near[1:], out=beside[:-1])
    near = beside
    # a swap darker or brighter than all of the target's skin: judged against its nearest lightness
    lo, hi = np.percentile(own[:, 0], [1, 99])
    lightness = np.clip(swap[:, 0], lo, hi).astype(int) // OFF_L_BIN
    a, b = np.clip(np.rint(swap[:, 1:]), 0, 255).astype(int).T
    return float(np.mean(near[lightness, a, b] == 0))
