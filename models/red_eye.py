"""A flash's red eyes on a source photo, made dark at upload.

A phone's flash close to its lens lights the back of the eye, and the pupils come out red or pink
instead of dark. The swap keeps the source's eyes (models/gaze.py), so every target got them: a
pink dash across each iris (the social set's `s6-4`, a flash selfie, whose pupils read RGB 215,
160, 150 against 117, 75, 61 for her iris around them). Red alone does not tell such a pupil: a
brown iris is as red for its lightness (`t1.jpg`'s fourth person's, 106, 43, 0). What does: it is
lighter than the iris around it, where a pupil is the darkest part of the eye; it is coloured,
where a highlight's glint is white; and its hue is red or pink (a* over b*), where a brown iris's
lit side and a lid are orange. Such pixels near the iris's centre are given the iris's darkest
lightness and no colour, fading in so the pupil's edge does not show. Where both pupils are so
lit, the glow's edge round what was found, no lighter than the iris but redder than it, goes with
it: left, the skin's colour transfer took it to a red ring round each swapped pupil.
"""

from __future__ import annotations

import cv2
import numpy as np

from models import gaze

PUPIL = 0.12  # of the eye's span (corner to corner): how far from the iris's centre a pupil reaches
IRIS = 0.22  # ... and the iris around it
LIGHTER = (8.0, 24.0)  # 8-bit L over the iris's median: not a lit pupil, then wholly one
COLOURED = (6.0, 14.0)  # a* (8-bit LAB, over neutral) of a glint, then of a lit pupil
REDDER = (0.0, 4.0)  # a* over b*: an orange, then a red or pink
# once both pupils are found lit: a* over the iris's median at which a pixel within GLOW_REACH of
# the eye's span of a lit pupil is still the iris, and wholly the glow's edge
GLOW = (4.0, 10.0)
GLOW_REACH = 0.06
DARKEST = 10  # the percentile of the iris's lightness a pupil is given
# a face's pupils are made dark where both are this much lit (its weights' sum over its disc's
# pixels): a flash lights both. As the engine crops them: `s6-4` 0.40 and 0.32; `s6-2` (the same
# flash photo, pinkish pupils) 0.17 and 0.06; the bench's simulated turn of `s3-1` 0.20 and 0.01 (a
# glint, stretched). Every other face of the bench's, frontal, 0.08 or under in both
LIT_SHARE = 0.15


def _disc(shape: tuple[int, int], centre: np.ndarray, radius: float) -> np.ndarray:
    disc = np.zeros(shape, np.uint8)
    cv2.circle(disc, (round(float(centre[0])), round(float(centre[1]))), max(1, round(radius)), 255, -1)
    return disc > 0


def _ramp(values: np.ndarray, span: tuple[float, float]) -> np.ndarray:
    return np.clip((values - span[0]) / (span[1] - span[0]), 0.0, 1.0)


def lit_pupils(image: np.ndarray, points: np.ndarray, irises: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 (h, w) each: how far each pixel of `image` (BGR) is a flash-lit pupil (0..1), and
    the 8-bit lightness it is given; near the irises at `irises` (gaze.irises' places, (2, 2)) of
    the mesh `points` (468+, 2), inside their eyes' openings. All 0 unless both pupils are
    LIT_SHARE lit."""
    h, w = image.shape[:2]
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    light, a, b = lab[:, :, 0], lab[:, :, 1] - 128.0, lab[:, :, 2] - 128.0
    weight = np.zeros((h, w), np.float32)
    dark = np.zeros((h, w), np.float32)
    shares, irises_seen = [], []
    for eye, contour in enumerate(gaze.contours()):
        opening = np.zeros((h, w), np.uint8)
        cv2.fillPoly(opening, [np.round(points[contour, :2]).astype(np.int32)], 255)
        inner, outer = (points[i, :2] for i in gaze.CORNERS[eye])
        span = float(np.linalg.norm(outer - inner))
        centre = gaze.from_eye(points, irises[eye], eye)
        pupil = _disc((h, w), centre, PUPIL * span) & (opening > 0)
        ring = _disc((h, w), centre, IRIS * span) & (opening > 0) & ~pupil
        if ring.sum() < 8 or not pupil.any():
            continue
        iris = light[ring]
        lit = _ramp(light[pupil] - float(np.median(iris)), LIGHTER)
        found = lit * _ramp(a[pupil], COLOURED) * _ramp(a[pupil] - b[pupil], REDDER)
        darkest = float(np.percentile(iris, DARKEST))
        weight[pupil] = found
        dark[pupil] = darkest
        shares.append(float(found.sum()) / int(pupil.sum()))
        irises_seen.append((pupil | ring, float(np.median(a[ring])), darkest, GLOW_REACH * span))
    if len(shares) < 2 or min(shares) < LIT_SHARE:  # both eyes seen and lit
        weight[:] = 0.0
        return weight, dark
    # A flash lit these pupils: the glow's edge round what was found, no lighter than the iris but
    # redder, is pupil too. Left, the skin's colour transfer took its a* up with the skin's: a red
    # ring round the pupil.
    core = (weight > 0.5).view(np.uint8)
    for disc, iris_a, darkest, reach in irises_seen:
        k = 2 * max(1, round(reach)) + 1
        near = (cv2.dilate(core, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0) & disc
        weight[near] = np.maximum(weight[near], _ramp(a[near] - iris_a, GLOW))
        dark[near] = darkest
    return weight, dark


def without_red_eyes(image: np.ndarray, points: np.ndarray, irises: np.ndarray | None
                     ) -> tuple[np.ndarray, int]:
    """`image` (BGR) with the flash-lit pupils of the mesh `points`' eyes made dark (lit_pupils), and
    how many pixels were more than half a lit pupil; `image` itself where there are none, or the
    irises are not known."""
    if irises is None:
        return image, 0
    weight, dark = lit_pupils(image, points, irises)
    if not weight.any():
        return image, 0
    pupil = np.full((*image.shape[:2], 3), 128, np.uint8)
    pupil[:, :, 0] = np.round(dark).astype(np.uint8)
    k = weight[:, :, None]
    out = image * (1.0 - k) + cv2.cvtColor(pupil, cv2.COLOR_LAB2BGR) * k
    return out.round().astype(np.uint8), int((weight > 0.5).sum())
