"""Frame numbers stamped into pixels, so a frame is recognised after lossy codecs and its exact
delay measured: a row of black/white blocks in the top-left corner."""

from __future__ import annotations

import numpy as np
from av import VideoFrame

STAMP_BITS = 14
STAMP_BLOCK = 16  # px: black/white blocks survive VP8/H.264 at any sane bitrate


def stamp(image: np.ndarray, n: int) -> np.ndarray:
    """`image` with the frame number `n` as a row of black/white blocks in its top-left corner."""
    out = image.copy()
    out[:STAMP_BLOCK, : STAMP_BITS * STAMP_BLOCK] = 0
    for b in range(STAMP_BITS):
        if n >> b & 1:
            out[:STAMP_BLOCK, b * STAMP_BLOCK : (b + 1) * STAMP_BLOCK] = 255
    return out


def read_stamp_gray(gray: np.ndarray, scale: float = 1.0) -> int:
    """The frame number in a grey image of a stamped frame, possibly downscaled by `scale`."""
    half = STAMP_BLOCK * scale / 2
    row = gray[int(half)]
    return sum(1 << b for b in range(STAMP_BITS) if row[int(b * STAMP_BLOCK * scale + half)] > 127)


def read_stamp(frame: VideoFrame) -> int:
    """The frame number stamped into a received video frame (read from its luma plane)."""
    return read_stamp_gray(frame.to_ndarray(format="gray"))
