"""A grainy source photo (a dim room's high ISO, a small sensor) cleaned once at upload.

The swap carries the photo's texture to every frame, and with it the photo's grain. With sensor
noise of 16 levels on each of B, G and R (bench.quality's `noisy` form) dlib read the wheel faces'
photos themselves 0.27 from their owners (0.02 as taken), and their swaps 0.550 (0.521); each
swapped onto its own frames, 0.226 (0.106), and 0.207 cleaned. The noise is estimated over the
face (noise_level) and only a photo past NOISY is cleaned, by OpenCV's non-local means, after its
mesh is read again from the face cleaned: cleaned alike, clean photos lost likeness (every photo at
STRENGTH's 5, 2026-12-03: the wheel faces as taken 0.519 -> 0.550, docs/mesh-engine.md). The
pores of skin and a stubble's texture are detail, not noise.
"""

from __future__ import annotations

import cv2
import numpy as np

# grey levels (sigma): a photo with more noise than this over its face is cleaned. bench.quality's
# 15 faces as taken read 0.25-2.2, and in every other form but `noisy` at most 3.2 (Biden's photo
# one stop over: cleaned, dlib read its swaps 0.017 further from him); with noise of 16 levels on
# each of B, G and R, 10.6-11.1. A small photo two stops under, stretched at upload
# (color.levels), reads 2.7: cleaned, its swap came 4.5 levels from the well-lit photo's, against 1.9
NOISY = 4.0
# non-local means' filter strength, for lightness and colour alike. bench.quality, `noisy` form, the
# texture alone cleaned: at 3, 5, 8 and 12, the wheel faces' 0.550 went to 0.543, 0.545, 0.560 and
# 0.572 (retrieval 88% to 88%, 94%, 96%, 96%); held out, 0.516 to 0.513, 0.509, 0.513 and 0.519
STRENGTH = 5.0
# Immerkaer's noise operator: zero on any plane, so what it answers on skin is mostly noise; its
# weights' root sum of squares is 6
_OPERATOR = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
_NORMAL_MAD = 0.6745  # the median absolute value of a unit normal


def noise_level(image: np.ndarray, where: np.ndarray) -> float:
    """The sensor noise (sigma, in grey levels) of BGR `image` over the pixels `where` (bool), from
    the median of Immerkaer's operator: edges and features are few, and the median ignores them."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    response = np.abs(cv2.filter2D(grey, -1, _OPERATOR))[where]
    if response.size == 0:
        return 0.0
    return float(np.median(response)) / (_NORMAL_MAD * 6.0)


def cleaned(image: np.ndarray) -> np.ndarray:
    """`image` (BGR uint8) with its grain taken out (non-local means at STRENGTH)."""
    return cv2.fastNlMeansDenoisingColored(image, None, STRENGTH, STRENGTH, 7, 21)
