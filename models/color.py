"""Colour transfer in LAB: move the swapped face's statistics onto the target's skin tone."""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

GREY_CHROMA_STD = 1.5  # LAB a/b spread under which a face counts as greyscale (a photo, a frame)
NEUTRAL = 128.0  # LAB a and b of a grey
MIN_SKIN_CHROMA = 4.0  # a skin mean's a or b this near neutral is shifted, not scaled (_chroma_map)
# A source photo's levels, set once at upload (levels): an underexposed photo's detail lies squeezed
# into its lowest levels, and its colour with it, so far that a colour photo counted as greyscale;
# a washed-out one (faded, hazy) has lost its blacks. Judged around the face by its brightest
# levels (the 99.5th percentile of each pixel's largest of B, G and R) and its darkest (the 0.5th
# of their smallest). Brightest under EXPOSED: stretched toward WHITE, fully from UNDER down, by at
# most MAX_GAIN. Darkest over LIFTED: taken down toward BLACK, fully from FADED up, its brightest
# kept where it was (or stretched as above). A dark face in a photo exposed for it keeps its
# highlights, eye whites and background, and is left as it is; so is a tight crop whose darkest
# pixels are its pupils' and nostrils' (29-53 on bench.quality's 112 px crops).
EXPOSED = 170.0
UNDER = 120.0
WHITE = 235.0
MAX_GAIN = 6.0
LIFTED = 70.0
FADED = 110.0
BLACK = 10.0
# 16 levels of L* (0..100) in 8-bit LAB's L: L* + 16 is proportional to the cube root of luminance
BLACK_OFFSET = 16 * 255 / 100


def core(alpha: np.ndarray) -> np.ndarray:
    """The part of a swap mask where statistics are taken: source and target must use the same."""
    return cv2.threshold(alpha, 128, 255, cv2.THRESH_BINARY)[1]


def largest_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """uint8 (h, w): per pixel, the largest of the B, G and R differences between two BGR images
    (OpenCV's per-channel max: numpy's is 5x slower)."""
    blue, green, red = cv2.split(cv2.absdiff(a, b))
    return cv2.max(cv2.max(blue, green), red)


# levels a pixel's largest channel may lie from its 3 x 3 median before despeck takes the median:
# in BGR, and in OpenCV's 8-bit LAB, where a and b span fewer levels. At 40 in LAB, bench.quality's
# stray pixels were 45 (wheel faces), 34 at 30; 40 at 40 in BGR
SPECK_BGR, SPECK_LAB = 40, 30


def despeck(image: np.ndarray, lab: bool = False) -> np.ndarray:
    """Where a mesh is seen edge-on (a turned cheek, the nostrils), neighbouring pixels sample
    far-apart points of the source: lines and dots one pixel wide, bright or dark, along the jaw
    and under the nose. Pixels far from their 3 x 3 median take the median. `image` is BGR, or
    with `lab` LAB."""
    threshold = SPECK_LAB if lab else SPECK_BGR
    median = cv2.medianBlur(image, 3)
    # OpenCV's masked copy: numpy's np.copyto(..., where=) took 1.5 ms on a 260 x 200 box, this 0.02
    kept = cv2.compare(largest_difference(image, median), threshold, cv2.CMP_LE)
    return cv2.copyTo(image, kept, median)


class Levels(NamedTuple):
    """A photo's levels as set at upload: a lookup table for B, G and R, and whether it lifted a
    washed-out photo's blacks (else it only brightened an underexposed one)."""

    lut: np.ndarray  # (256,) uint8
    washed_out: bool


def levels(darkest: float, brightest: float) -> Levels | None:
    """The levels for a photo whose darkest and brightest levels around the face are these (see
    EXPOSED); None for a photo exposed well enough, or with no light at all to work from."""
    if brightest < 1.0:
        return None
    under = float(np.clip((EXPOSED - brightest) / (EXPOSED - UNDER), 0.0, 1.0))
    gain = min((brightest + (WHITE - brightest) * under) / brightest, MAX_GAIN)
    dark, bright = darkest * gain, min(brightest * gain, 255.0)
    lift = float(np.clip((dark - LIFTED) / (FADED - LIFTED), 0.0, 1.0))
    if gain <= 1.0 and lift <= 0.0:
        return None
    values = np.arange(256) * gain
    if lift > 0.0 and bright > dark:
        black = dark - (dark - BLACK) * lift
        values = black + (values - dark) * (bright - black) / (bright - dark)
    return Levels(np.clip(np.round(values), 0, 255).astype(np.uint8), lift > 0.0)


def lab_stats(bgr: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-channel mean and std of LAB inside `mask` (uint8), or None when the mask is empty."""
    if cv2.countNonZero(mask) < 16:
        return None
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)
    mean, std = cv2.meanStdDev(lab, mask=mask)
    return mean.reshape(3), np.maximum(std.reshape(3), 1.0)


def is_grey(stats: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether LAB statistics (lab_stats) are those of a greyscale image."""
    return bool(stats[1][1:].max() <= GREY_CHROMA_STD)


def exposure_gain(source_mean: float, target_mean: float) -> float:
    """The slope of the lightness map that takes a face's mean lightness `source_mean` to
    `target_mean` (8-bit LAB) as a change of exposure does: light scales luminance Y, and L* + 16
    goes as Y's cube root, so L + BLACK_OFFSET is scaled (1 where the means agree)."""
    return (target_mean + BLACK_OFFSET) / max(source_mean + BLACK_OFFSET, 1.0)


def transfer_lut(
    src_stats: tuple[np.ndarray, np.ndarray],
    dst_stats: tuple[np.ndarray, np.ndarray],
    strength: float = 1.0,
    gain: bool = True,
) -> np.ndarray:
    """A (256, 1, 3) uint8 LAB lookup table moving src_stats towards dst_stats (Reinhard), with
    neutral colours held neutral (_chroma_map). With `gain`, a darker target's lightness and
    colour are scaled as less light scales them (exposure_gain) before their contrast is matched."""
    (ms, ss), (md, sd) = src_stats, dst_stats
    # A darker face is a face in less light: its shading is as much fainter in L as the light is.
    # Shifted down unscaled, a lit photo's shading on a dim webcam's face put its eye sockets,
    # nostrils and lips' line at black (a frame at a third of the light: a socket of L 90 on a
    # cheek of 150, where the camera shows 12 on 33, came out at 0). A brighter target is not
    # scaled up: that sharpened the source's creases on lit frames (bench.quality, wheel faces:
    # skin shaded harsher than the target's 2.09% -> 2.58% of it, retrieval 84% -> 83%)
    slope = min(exposure_gain(ms[0], md[0]), 1.0) if gain else 1.0
    # Contrast ratios are clamped: a pale target under a saturated source would otherwise blow
    # blush into red blotches. Luminance contrast is only half matched: the source's own shading
    # is what makes it the source's face, and the target's lighting arrives through the mean.
    # Both are taken after the light's own scaling, which moves a* and b* as it moves L* + 16
    # (each a difference of cube roots of the tristimulus values): in a dim frame a lit photo's
    # irises and lids kept their colour and stood out, blue and pink, on a face the camera
    # shows nearly grey (bench.quality --light dim, held out: eyes and brows off the face's
    # colours 0.77% -> 0.59%)
    ratio = np.clip(sd / (ss * slope), 0.7, 1.3)
    ratio[0] = 1.0 + (ratio[0] - 1.0) * 0.5
    ratio *= slope
    x = np.arange(256, dtype=np.float32)
    out = np.empty((256, 3), np.float32)
    if is_grey(dst_stats):
        # a greyscale frame: the face grey too. Its colours kept at the clamp's 70% around a grey
        # mean showed as hues (a bright cheek cyan, a shadowed jaw orange: a blue face)
        ratio[1:] = 0.0
    for c in range(3):
        if c > 0 and ratio[c] > 0:
            out[:, c] = x + (_chroma_map(x, ms[c], md[c], ratio[c]) - x) * strength
        else:  # the lightness, and a grey frame's a and b: (x - ms) * k + ms + (md - ms) * strength
            k = 1.0 + (ratio[c] - 1.0) * strength
            out[:, c] = (x - ms[c]) * k + ms[c] + (md[c] - ms[c]) * strength
    return np.clip(out, 0, 255).astype(np.uint8).reshape(256, 1, 3)


def _chroma_map(x: np.ndarray, ms: float, md: float, ratio: float) -> np.ndarray:
    """One of LAB's a and b channels mapped from a source skin's mean `ms` onto a target's `md`,
    neutral (128) held where it is: from neutral to the mean scaled, beyond the mean shifted with
    the contrast `ratio`. Shifted all alike, as Reinhard does, the grey and dark-brown features of
    a warm source (brows, lashes, hair, eye whites) were pushed past neutral on a paler target:
    blue-grey patches around the eyes."""
    s, d = ms - NEUTRAL, md - NEUTRAL
    shifted = md + (x - ms) * ratio
    if s * d <= 0 or abs(s) < MIN_SKIN_CHROMA:
        return shifted  # a skin near neutral, or on the other side of it: no scale to take
    u = x - NEUTRAL
    skin_side = u * np.sign(s) > 0
    return np.where(skin_side & (np.abs(u) <= abs(s)), NEUTRAL + u * (d / s),
                    np.where(skin_side, shifted, NEUTRAL + u * ratio))


def unlike_hue(ab: np.ndarray, hue: np.ndarray, near: float, far: float, grey: float) -> np.ndarray:
    """float32 (..., 1): how unlike the colour `hue` (LAB a and b) each of `ab`'s colours (..., 2)
    is in hue: 0 within `near` degrees of it, 1 from `far` degrees; 1 too where a colour is nearly
    grey (under `grey` levels of chroma, fading in by twice that) and where `hue` itself is."""
    v = ab.astype(np.float32) - np.float32(NEUTRAL)
    h = np.asarray(hue, np.float32) - np.float32(NEUTRAL)
    length = float(np.hypot(*h))
    if length < 1.0:
        return np.ones((*ab.shape[:-1], 1), np.float32)
    chroma = np.hypot(v[..., 0], v[..., 1])
    cos = (v @ (h / length)) / np.maximum(chroma, 1e-6)
    angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    away = np.clip((angle - near) / (far - near), 0.0, 1.0)
    greyish = np.clip((2.0 * grey - chroma) / grey, 0.0, 1.0)
    return np.maximum(away, greyish)[..., None].astype(np.float32)


def apply_lut(lab: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """BGR image from uint8 LAB `lab` mapped through `lut`."""
    return cv2.cvtColor(cv2.LUT(lab, lut), cv2.COLOR_LAB2BGR)


def match_colour(image: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """BGR `image` with its LAB mean and spread inside `mask` (uint8) moved to `reference`'s there
    (transfer_lut); `image` as it is where either has too little inside the mask."""
    have, want = lab_stats(image, mask), lab_stats(reference, mask)
    if have is None or want is None:
        return image
    return apply_lut(cv2.cvtColor(image, cv2.COLOR_BGR2LAB), transfer_lut(have, want))
