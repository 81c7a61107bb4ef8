"""Crop-only conversion: what the engine did not change comes back exactly as the decoder gave it."""

from __future__ import annotations

import fractions

import numpy as np
from av import VideoFrame

from media.yuv import even_box, paste_regions, split_i420, to_bgr


def camera_frame(width: int = 320, height: int = 240, seed: int = 0) -> VideoFrame:
    """A decoded-like yuv420p frame of noise (every pixel different, so nothing matches by luck)."""
    rng = np.random.default_rng(seed)
    planes = rng.integers(16, 235, width * height * 3 // 2, dtype=np.uint8)
    frame = VideoFrame.from_ndarray(planes.reshape(height * 3 // 2, width), format="yuv420p")
    frame.pts, frame.time_base = 1234, fractions.Fraction(1, 90_000)
    return frame


def planes(frame: VideoFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return split_i420(np.ascontiguousarray(frame.to_ndarray()).reshape(-1), frame.width, frame.height)


def test_boxes_grow_to_whole_chroma_samples_and_stay_in_the_frame():
    assert even_box((3, 5, 10, 12), 320, 240) == (2, 4, 10, 12)
    assert even_box((301, 201, 999, 999), 320, 240) == (300, 200, 320, 240)
    assert even_box((10, 10, 10, 50), 320, 240) is None


def test_pixels_outside_the_regions_are_bit_identical_and_inside_they_change():
    frame = camera_frame()
    image = 255 - to_bgr(frame)  # an "engine" that changed every pixel...
    out = paste_regions(frame, image, [(101, 51, 160, 120)])  # ...but says it wrote only here
    (y0, u0, v0), (y1, u1, v1) = planes(frame), planes(out)
    x0, ya, x1, yb = 100, 50, 160, 120  # the region, on even edges
    outside = np.ones(y0.shape, bool)
    outside[ya:yb, x0:x1] = False
    assert np.array_equal(y0[outside], y1[outside])
    chroma_outside = np.ones(u0.shape, bool)
    chroma_outside[ya // 2:yb // 2, x0 // 2:x1 // 2] = False
    assert np.array_equal(u0[chroma_outside], u1[chroma_outside])
    assert np.array_equal(v0[chroma_outside], v1[chroma_outside])
    inside = np.abs(y1[ya:yb, x0:x1].astype(int) - y0[ya:yb, x0:x1]).mean()
    assert inside > 30, "the region did not take the engine's pixels"
    assert (out.pts, out.time_base) == (frame.pts, frame.time_base)


def test_the_regions_hold_the_engines_picture_as_a_whole_conversion_would():
    """On a camera picture (smooth, unlike noise) OpenCV's 2x2-averaged chroma and swscale's agree."""
    from testing.faces import camera_frame as face_frame

    image = face_frame((320, 240))
    frame = VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
    out = paste_regions(frame, image, [(0, 0, 320, 240)])
    diff = np.abs(out.to_ndarray().astype(int) - frame.to_ndarray().astype(int))
    assert diff[:240].max() <= 1, diff[:240].max()  # luma: rounding only
    assert np.percentile(diff[240:], 99) <= 4, np.percentile(diff[240:], 99)  # chroma: subsampling
