"""Smooth fields (a displacement, a colour difference) blurred at a fraction of their size, or
within a weight (blur_within: the face's own pixels, not the background beside them).

A blur many pixels wide leaves nothing a coarser grid cannot hold: shrinking by `factor`, blurring
by sigma / factor and enlarging back costs about 1 / factor^2 of the blur at full size.
"""

from __future__ import annotations

import cv2
import numpy as np


def shrunk_shape(shape: tuple[int, ...], factor: int) -> tuple[int, int]:
    """(h, w) of a field of `shape` shrunk by `factor` (shrink): each side rounded up."""
    return -(-shape[0] // factor), -(-shape[1] // factor)


def shrink(field: np.ndarray, factor: int) -> np.ndarray:
    """`field` at 1/`factor` of its size (each side rounded up), averaged over cells of `factor`
    pixels; the last row and column of cells are filled out by repeating the field's edge."""
    h, w = field.shape[:2]
    down, right = -h % factor, -w % factor
    if down or right:
        # cells a whole number of pixels wide take OpenCV's fast area average; fractional ones its
        # general path, 2-4 times slower
        field = cv2.copyMakeBorder(field, 0, down, 0, right, cv2.BORDER_REPLICATE)
    small_h, small_w = shrunk_shape((h, w), factor)
    return cv2.resize(field, (small_w, small_h), interpolation=cv2.INTER_AREA)


def enlarge(small: np.ndarray, factor: int, size: tuple[int, int]) -> np.ndarray:
    """`small` (a field shrunk by `factor`) back at `size` (w, h), each cell's value at its centre."""
    h, w = small.shape[:2]
    return cv2.resize(small, (w * factor, h * factor), interpolation=cv2.INTER_LINEAR)[:size[1], :size[0]]


def at_shape(grid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`grid` (a smooth field on a box's coarse grid) at `shape` (h, w): resized where it was held
    from a box of another size, whose face covers the same part of it."""
    if grid.shape[:2] == shape:
        return grid
    return cv2.resize(grid, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def blur_enlarged(small: np.ndarray, sigma: float, factor: int, size: tuple[int, int],
                  border: int = cv2.BORDER_REFLECT_101) -> np.ndarray:
    """`small` (a field shrunk by `factor`) blurred by `sigma` full-size pixels and enlarged to
    `size` (w, h)."""
    blurred = cv2.GaussianBlur(small, (0, 0), max(0.5, sigma / factor), borderType=border)
    return enlarge(blurred, factor, size)


def blur_smooth(field: np.ndarray, sigma: float, factor: int,
                border: int = cv2.BORDER_REFLECT_101) -> np.ndarray:
    """`field` blurred by `sigma` px, the work done at 1/`factor` of its size."""
    h, w = field.shape[:2]
    return blur_enlarged(shrink(field, factor), sigma, factor, (w, h), border)


def blur_within(values: np.ndarray, weight: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """`values` (float32 (h, w) or (h, w, k)) blurred over `sigma` px counting each pixel by
    `weight` (float32 (h, w), 0..1): the mean of what the weight covers nearby, not of what lies
    beside it (the background beyond a face's outline), and how much weight each blur saw."""
    seen = cv2.GaussianBlur(weight, (0, 0), sigma)
    # where the blur saw (nearly) nothing the mean is of nearly nothing: held finite
    floor = np.maximum(seen, 1e-3)
    if values.ndim == 3:
        weight, floor = weight[:, :, None], floor[:, :, None]
    return cv2.GaussianBlur(values * weight, (0, 0), sigma) / floor, seen
