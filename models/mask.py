"""The swap's alpha mask, drawn once per source face in the source's own pixels.

Drawn in source space and warped with the texture, it lands on each target through the same
mesh, so it costs nothing per frame. The holes sit on the source's eye and mouth contours, which
the mesh maps onto the target's: the target's own eyes and mouth show through.
"""

from __future__ import annotations

import cv2
import numpy as np

from models import face_topology as ft

# Forehead fade, as a fraction of the chin-to-forehead-top axis: full strength below FADE_FROM,
# nothing at FADE_TO. The mesh's top edge sits on or above the hairline, so a hard cut there
# pastes a band of the source's hair across the target's forehead.
FADE_FROM = 0.70
FADE_TO = 0.97


def forehead_fade(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    """float32 (h, w): 1 up to the brows, falling to 0 toward the hairline."""
    h, w = shape
    chin, top = pts[ft.CHIN, :2], pts[ft.FOREHEAD_TOP, :2]
    axis = top - chin
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = ((xs - chin[0]) * axis[0] + (ys - chin[1]) * axis[1]) / float(axis @ axis)
    return np.clip((FADE_TO - t) / (FADE_TO - FADE_FROM), 0.0, 1.0)


def face_alpha(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    """uint8 (h, w) alpha for a face with mesh landmarks `pts` (N x 2+) in that image."""
    h, w = shape
    p = pts[:, :2].astype(np.float32)
    face_w = float(np.ptp(p[ft.face_oval(), 0]))
    feather = max(2, round(face_w * 0.06))

    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(p[ft.face_oval()]).astype(np.int32)], 255)
    # pull the edge in so the blurred border stays inside the face
    mask = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (feather, feather)))

    holes = np.zeros((h, w), np.uint8)
    for contour in (ft.left_eye(), ft.right_eye(), ft.inner_lips()):
        cv2.fillPoly(holes, [np.round(p[contour]).astype(np.int32)], 255)
    grow = max(1, round(face_w * 0.02))
    holes = cv2.dilate(holes, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    mask[holes > 0] = 0

    sigma = feather / 2.0
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma) * forehead_fade(shape, p)
    return np.clip(soft, 0, 255).astype(np.uint8)
