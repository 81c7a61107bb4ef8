"""Smooth fields (a displacement, a colour difference) blurred at a fraction of their size.

A blur many pixels wide leaves nothing a coarser grid cannot hold: shrinking by `factor`, blurring
by sigma / factor and enlarging back costs about 1 / factor^2 of the blur at full size.
"""

from __future__ import annotations

import cv2
import numpy as np


def shrink(field: np.ndarray, factor: int) -> np.ndarray:
    """`field` at 1/`factor` of its size (each side rounded up), averaged over each cell."""
    h, w = field.shape[:2]
    return cv2.resize(field, (-(-w // factor), -(-h // factor)), interpolation=cv2.INTER_AREA)


def shrink_whole(field: np.ndarray, factor: int) -> np.ndarray:
    """`field` at 1/`factor` of its size by whole cells (each side rounded, the last few rows and
    columns left out): OpenCV's fast area average, about a third of `shrink`'s time, whose cells
    are not a whole number of pixels where a side is not a multiple of `factor`. For a field whose
    last few pixels do not matter (a smooth gain)."""
    return cv2.resize(field, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)


def blur_enlarged(small: np.ndarray, sigma: float, factor: int, size: tuple[int, int],
                  border: int = cv2.BORDER_REFLECT_101) -> np.ndarray:
    """`small` (a field shrunk by `factor`) blurred by `sigma` full-size pixels and enlarged to
    `size` (w, h)."""
    blurred = cv2.GaussianBlur(small, (0, 0), max(0.5, sigma / factor), borderType=border)
    return cv2.resize(blurred, size, interpolation=cv2.INTER_LINEAR)


def blur_smooth(field: np.ndarray, sigma: float, factor: int,
                border: int = cv2.BORDER_REFLECT_101) -> np.ndarray:
    """`field` blurred by `sigma` px, the work done at 1/`factor` of its size."""
    h, w = field.shape[:2]
    return blur_enlarged(shrink(field, factor), sigma, factor, (w, h), border)
