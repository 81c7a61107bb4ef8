"""A hard-compressed source photo, told at upload: JPEG's 8 px blocks showing over the face.

A photo forwarded through messengers or saved at a low quality loses its fine detail to JPEG's
8 x 8 blocks, and nothing brings it back: bench.quality's `jpeg` form (quality 10) was retrieved in
83% of the wheel faces' outputs, against 94% for the photos as taken, and cleaning it as a grainy
photo is cleaned, or blurring it, did not help (docs/mesh-engine.md). What can be done is to say
so, as for an overexposed photo, so the user can upload a better copy.
"""

from __future__ import annotations

import cv2
import numpy as np

BLOCK = 8  # JPEG's block side, px
# how much larger the step between neighbouring pixels is across one of the grid's phases than
# across the others, over the face, beyond which the photo is blocky (blockiness). bench.quality's
# 15 faces read 1.01-1.79 in every form but `jpeg` (t1.jpg's people, a JPEG themselves, 1.08-1.42
# as taken, up to 1.79 one stop over), and 2.39-3.79 in it
BLOCKY = 2.0


def blockiness(image: np.ndarray, where: np.ndarray) -> float:
    """How much the steps in grey between neighbouring pixels of BGR `image` over `where` (bool)
    stand out on one of BLOCK's phases, across and down: 1 for a photo with no grid. The grid's
    phase is searched, not assumed: a photo turned or cropped after compression moves it."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    ratios = []
    for steps, inside in ((np.abs(np.diff(grey, axis=1)), where[:, 1:] & where[:, :-1]),
                          (np.abs(np.diff(grey, axis=0)).T, (where[1:] & where[:-1]).T)):
        means = []
        for phase in range(BLOCK):
            seen = inside[:, phase::BLOCK]
            if seen.sum() < 20:
                return 1.0
            means.append(float(steps[:, phase::BLOCK][seen].mean()))
        means.sort()
        ratios.append(means[-1] / max(float(np.mean(means[:-1])), 1e-3))
    return float(np.mean(ratios))
