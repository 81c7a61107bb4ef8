"""Whether a source photo's mouth shows its teeth, read once at upload.

Every frame cuts the swap's mask along the target's own lip line, so the target's lips part
whatever the photo's mouth does (mask.cut_mouth). How wide that cut runs decides how much of the
photo's lips a frame shows. Where the photo's lips meet, their own line is a lip line too, and a
cut 1.5% of the face wide shows the photo's lips whole up to it (mask.LIP_SEAM). Where its mouth
is open on its teeth, the frames squash that opening onto the target's lip line, and its teeth
showed there as a dotted white line (the held-out smiling man onto the goatee man): those photos
keep the cut 3% of the face wide (mask.MOUTH_LINE).

A mouth shows teeth where the lightest quarter of its opening is TEETH_LIGHTER levels of 8-bit L
lighter than its lips (the reddest quarter of the band between the lip lines). Over the bench's 36
photos as taken, the twelve that show teeth measured 36 to 74 levels; the others -32 to 15 (a mouth
open on its dark inside, 2).
"""

from __future__ import annotations

import cv2
import numpy as np

from models import face_topology as ft

TEETH_LIGHTER = 25.0
MIN_PIXELS = 4  # an opening smaller than this shows nothing to read


def _filled(shape: tuple[int, int], points: np.ndarray, ring: np.ndarray) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    cv2.fillPoly(out, [np.round(points[ring, :2]).astype(np.int32)], 1)
    return out > 0


def shows_teeth(lab: np.ndarray, points: np.ndarray) -> bool:
    """Whether the mouth of the mesh `points` shows teeth in `lab` (OpenCV's 8-bit LAB, the mesh's
    pixels)."""
    opening = _filled(lab.shape[:2], points, ft.inner_lips())
    band = _filled(lab.shape[:2], points, ft.outer_lips()) & ~opening
    if opening.sum() < MIN_PIXELS or band.sum() < MIN_PIXELS:
        return False
    light = lab[:, :, 0].astype(np.float32)
    red = lab[:, :, 1][band]
    lips = float(np.median(light[band][red >= np.percentile(red, 75)]))
    inside = light[opening]
    teeth = float(np.median(inside[inside >= np.percentile(inside, 75)]))
    return teeth - lips >= TEETH_LIGHTER
