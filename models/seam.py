"""The swap's forehead brought to the target's own where the two meet, at the mask's top edge.

The relight gives the swap the target's light as smooth surfaces over the face (models/relight.py).
A forehead lit brighter toward the hair than such a surface bends, as a lamp above the screen or
a tilted head lights it, is left darker on the swap: the mask's fade then shows a step of 40-60
levels across the upper forehead (the astronaut onto `t1.jpg`'s first woman, her head tilted), a
pale band above a line. Here the difference between the target and the swap along the fade is
spread inward over FOREHEAD_REACH of the face's width, and only on the forehead above the brows:
the brows, eyes and the rest of the face keep the swap's own colours, which carry the likeness
(across the whole of the fade, bench.quality measured 84% -> 80% retrieval on 2026-12-03).

It only ever lightens the swap. Where the frame is darker than the swap along the fade, that can
be the target's hairline and the shade under it, not its light: Obama's photo onto the first
woman of `t1.jpg` met a frame a median 14 levels darker there, and darkened toward it, his
forehead took her hair's shade and dlib read him less (bench.quality --faces press: 92% -> 87%
retrieval; lightening only, 93%).
"""

from __future__ import annotations

import cv2
import numpy as np

from models.fields import enlarge, shrink
from models.order import median

FOREHEAD_REACH = 0.12  # of the face's width: how far inward from the fade the difference reaches
# the mask's fade: the pixels where the swap and the target meet
FADE = (16, 240)
# a difference (the mean over B, G and R) counted as the same skin lit otherwise: the target
# lighter by up to SKIN_LIGHTER, darker by up to SKIN_DARKER; hair beyond the fade (a fringe, a
# hairline) is darker by more and is not put on the swap
SKIN_LIGHTER, SKIN_DARKER = 100.0, 30.0
CELL = 4  # px a side of the cells the change is worked out on
# of the face's width: with less of the fade on the forehead than this (its cells laid end to end),
# nothing is done
MIN_FADE = 0.15


def match_forehead_edge(face: np.ndarray, target: np.ndarray, alpha: np.ndarray, forehead: np.ndarray,
                        face_w: float) -> np.ndarray:
    """`face` (BGR uint8, the swap in the frame's box `target`) with the target's colour where the
    mask `alpha` fades out over the `forehead` (uint8, 255 above the brows), eased inward. A new
    array; `face` itself where nothing is done."""
    x, y, w, h = cv2.boundingRect(forehead)
    if w < 2 * CELL or h < 2 * CELL:
        return face
    part = (slice(y, y + h), slice(x, x + w))
    # the change is as smooth as its blur, many pixels wide: all of it is worked out on cells of
    # CELL x CELL pixels (the fade, a few pixels deep, is the cells the mask's mean there is
    # between its ends) and enlarged once
    a, held = shrink(alpha[part], CELL), shrink(forehead[part], CELL)
    fade = (a > FADE[0]) & (a < FADE[1]) & (held > 127)
    if fade.sum() * CELL < MIN_FADE * face_w:
        return face
    diff = shrink(target[part], CELL).astype(np.float32) - shrink(face[part], CELL).astype(np.float32)
    mean = diff.mean(axis=2)
    weight = (fade & (mean < SKIN_LIGHTER) & (mean > -SKIN_DARKER)).astype(np.float32)
    if not weight.any():
        return face
    sigma = max(0.5, FOREHEAD_REACH * face_w / CELL)
    spread = cv2.GaussianBlur(np.dstack([diff * weight[..., None], weight]), (0, 0), sigma,
                              borderType=cv2.BORDER_CONSTANT)
    seen = spread[..., 3]
    # the difference is the weighted mean of the fade's nearby; how much of it goes on, 1 at the
    # fade and easing off inward as the fade falls out of reach (its typical weight there)
    typical = median(seen[weight > 0])
    if typical <= 1e-6:
        return face
    ease = np.clip(seen * (1.0 / typical), 0.0, 1.0) * (held.astype(np.float32) * (1.0 / 255.0))
    change = spread[..., :3] * (ease / np.maximum(seen, 1e-6))[..., None]
    np.maximum(change, 0.0, out=change)  # lightening only (above)
    if not change.any():  # the frame darker all along the fade: nothing to lighten
        return face
    out = face.copy()
    out[part] = cv2.add(face[part], enlarge(change, CELL, (w, h)), dtype=cv2.CV_8U)
    return out
