"""Putting a swapped 128x128 aligned face back into the frame, working only inside the face's box.

insightface's own paste-back warps the swapped face, a white mask and a difference image over the
*whole frame* (three full-frame warpAffine calls), then erodes and blurs the full-frame mask: its
cost grows with the frame, not the face. Here the soft mask is made once in aligned space; per face,
the face and the mask are warped into the face's bounding box only, colour correction runs on the
128 px aligned images, and the blend touches only the box.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from insightface.utils.face_align import arcface_dst

from models import color
from models.engine import PixelBox
from models.occlusion import hold_out


def aligned_template(size: int = 128) -> np.ndarray:
    """ArcFace's five points in a `size` px aligned crop, as insightface's norm_crop2 places them."""
    ratio = size / 112.0 if size % 112 == 0 else size / 128.0
    diff_x = 0.0 if size % 112 == 0 else 8.0 * ratio
    pts = arcface_dst * ratio
    pts[:, 0] += diff_x
    return pts.astype(np.float32)


def soft_mask(size: int = 128, margin: float = 0.1, feather: float = 0.06) -> np.ndarray:
    """uint8 mask in aligned space: 255 inside, fading to 0 near the crop's border."""
    mask = np.zeros((size, size), np.uint8)
    m = round(size * margin)
    mask[m : size - m, m : size - m] = 255
    k = max(3, round(size * feather) * 2 + 1)
    return cv2.GaussianBlur(mask, (k, k), 0)


def mouth_mask(size: int = 128) -> np.ndarray:
    """uint8 mask in aligned space over the mouth (around the template's mouth corners), feathered."""
    pts = aligned_template(size)
    (lx, ly), (rx, ry) = pts[3].tolist(), pts[4].tolist()
    centre = (round((lx + rx) / 2), round((ly + ry) / 2 + size * 0.01))
    axes = (round((rx - lx) * 0.75), round(size * 0.09))
    mask = np.zeros((size, size), np.uint8)
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 255, -1)
    k = max(3, round(size * 0.05) * 2 + 1)
    return cv2.GaussianBlur(mask, (k, k), 0)


class PasteBack:
    def __init__(self, size: int = 128, color_correction: bool = True, keep_mouth: bool = False) -> None:
        self.size = size
        self.color_correction = color_correction
        self.keep_mouth = keep_mouth
        self.mask = soft_mask(size)
        if keep_mouth:
            # the target's own mouth shows through (lip-sync): the swapped face is masked out there
            self.mask = (self.mask.astype(np.float32) * (1 - mouth_mask(size) / 255.0)).astype(np.uint8)
        self._core = color.core(self.mask)

    def box(self, inverse: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
        """The frame box (x0, y0, x1, y1) the aligned square lands in, clipped; None if outside."""
        s = self.size
        corners = np.array([[0, 0, 1], [s, 0, 1], [0, s, 1], [s, s, 1]], np.float32) @ inverse.T
        x0, y0 = np.floor(corners.min(0)).astype(int)
        x1, y1 = np.ceil(corners.max(0)).astype(int)
        h, w = shape[:2]
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        return (x0, y0, x1, y1) if x1 - x0 >= 2 and y1 - y0 >= 2 else None

    def paste(self, frame: np.ndarray, fake: np.ndarray, aligned: np.ndarray, matrix: np.ndarray,
              occluded: Callable[[PixelBox], np.ndarray | None] | None = None) -> PixelBox | None:
        """Blend `fake` (aligned BGR, swapped) into `frame` in place; `matrix` maps frame -> aligned;
        `occluded(box)` is what stands in front of the face there (uint8 mask over the box, or None).
        Returns the frame box it wrote, None if the face lies outside the frame."""
        inverse = cv2.invertAffineTransform(matrix)
        box = self.box(inverse, frame.shape)
        if box is None:
            return None
        if self.color_correction:
            fake = color.match_colour(fake, aligned, self._core)
        x0, y0, x1, y1 = box
        shifted = inverse.copy()
        shifted[:, 2] -= (x0, y0)
        size = (x1 - x0, y1 - y0)
        face = cv2.warpAffine(fake, shifted, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        alpha = cv2.warpAffine(self.mask, shifted, size, flags=cv2.INTER_LINEAR, borderValue=0)
        if occluded is not None:
            alpha = hold_out(alpha, occluded(box))
        region = frame[y0:y1, x0:x1]
        a = alpha.astype(np.float32) * (1.0 / 255.0)
        region[:] = cv2.blendLinear(face, region, a, 1.0 - a)
        return box
