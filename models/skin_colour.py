"""A photo's skin colour made even at upload, where mixed light split it into patches.

A photo taken under two lights of different colour (a warm lamp on one side, a pink or blue
screen or window on the other) has skin of two colours, meeting along sharp lines. Each frame
gives the swap the target's colour over areas of the face (relight.colour_of_area, its light's
colour surfaces), yet along those lines the swap kept dotted orange and lavender lines across its
cheek (bench.quality --faces social, s3-1 onto s4-1). Taking off only the part of the photo's
colour finer than that blur left them; taking off its broad colour whole did not.

So at upload the photo's broad skin colour is read by a median over a window a tenth of the face
wide (a median keeps a sharp line where it is; a mean would smear it), over the skin alone (not
the lips, eyes or brows, whose colour is the person's), and taken off: the skin keeps its colour
finer than that window (freckles, make-up), and the frames put the target's on it.
"""

from __future__ import annotations

import cv2
import numpy as np

from models import face_topology as ft
from models import gaze
from models.fields import blur_within
from models.mask import disc

WINDOW = 0.1  # of the face's width: the median's window
# the broad colour is read at 1 / SHRINK of the photo's size: the median's cost goes as its window's
# area (s3-1's 336 px crop: 24 -> 6 ms, with another process on the other core)
SHRINK = 2
FEATURES_GROW = 0.03  # of the face's width: the lips, eyes and brows grown before they are left out


def features(shape: tuple[int, int], points: np.ndarray, face_width: float) -> np.ndarray:
    """uint8 (h, w), 1 over the lips, eyes and brows of the mesh `points`, grown."""
    out = np.zeros(shape, np.uint8)
    rings = [ft.outer_lips(), *gaze.contours()]
    cv2.fillPoly(out, [np.round(points[np.asarray(r), :2]).astype(np.int32) for r in rings], 1)
    for brow in (ft.LEFT_BROW, ft.RIGHT_BROW):
        cv2.fillPoly(out, [cv2.convexHull(np.round(points[list(brow), :2]).astype(np.int32))], 1)
    grow = max(1, round(FEATURES_GROW * face_width))
    return cv2.dilate(out, disc(grow))


def broad_colour(lab: np.ndarray, skin: np.ndarray, face_width: float
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """float32 (h, w, 2): the skin's a and b over areas WINDOW of `face_width` wide, by a median
    over `skin` (bool) alone, filled in elsewhere from the skin around; and float32 (h, w), how
    near skin each pixel lies (1 on it and beside it, 0 far from it). None with too little skin."""
    if skin.sum() < 64:
        return None
    ab = lab[:, :, 1:].astype(np.float32)
    sigma = max(1.0, WINDOW * face_width / 2)
    # the lips, eyes and beyond the skin take the skin's colour around them, so the median reads skin
    around, seen = blur_within(ab, skin.astype(np.float32), sigma)
    filled = np.where(skin[:, :, None], ab, around)
    k = max(3, round(WINDOW * face_width)) | 1
    broad = np.dstack([cv2.medianBlur(np.clip(filled[:, :, c] + 0.5, 0, 255).astype(np.uint8), k)
                       for c in range(2)]).astype(np.float32)
    return broad, np.clip(2.0 * seen, 0.0, 1.0)


def even_skin_colour(crop: np.ndarray, skin: np.ndarray, points: np.ndarray, face_width: float) -> np.ndarray:
    """BGR `crop` with its skin's broad colour (broad_colour, over `skin`, uint8, less the mesh
    `points`' features) made its mean, lightness and finer colour kept."""
    lab = cv2.cvtColor(crop, cv2.COLOR_BGR2LAB)
    h, w = skin.shape
    size = (max(1, w // SHRINK), max(1, h // SHRINK))
    only = (skin > 0) & (features(skin.shape, points, face_width) == 0)
    small = cv2.resize(only.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    read = broad_colour(cv2.resize(lab, size, interpolation=cv2.INTER_AREA), small, face_width / SHRINK)
    if read is None:
        return crop
    broad, near = read
    shift = (broad - broad[small].mean(0)) * near[:, :, None]
    out = lab.astype(np.float32)
    out[:, :, 1:] -= cv2.resize(shift, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(np.clip(out + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)
