"""The target's light on the source's face: broad shading from the target, everything else (the
features, skin texture, the face's own shape in light and shadow) from the source.

A photo's lighting is baked into its texture: a source lit from one side gives every target a face
bright on one half and dark on the other, which a mean and contrast transfer cannot undo. Here the
lightness of both faces is fitted, inside the swap mask, by a smooth surface (a second-degree
polynomial in x and y: a side light, a top light, a bright centre), and the source's surface is
swapped for the target's. Six numbers per face carry no identity, so the swap keeps the source's
likeness (a blur-based split leaked the target's features: bench.quality, issue 13). For a colour
source the fit weighs down what lies far off the surface (robust_shading_fit): a beard or a brow is
no light. A bearded target's beard is left out of the skin it is fitted on before (models/beard.py):
a goatee still pulled the surfaces down around the mouth.

The light leaves colour too: a flash bleaches a face's centre and leaves its edges warm. So the
a and b channels' surfaces are swapped the same way (never pushing a colour through grey to a
side the target's colour is not on): a flash-lit source on an evenly coloured target was a
grey-green mask with orange cheeks. Over
bench.quality's plain pairs the swap's broad colour (a and b blurred over 5% of the face's width)
came within 3.8 of the target's on average, against 5.5, and 0.1% of the skin was greyed (under
half the target's colour), against 1.3%; dlib's figures did not move beyond a run's noise.
The colour's surfaces are of the third degree (ten numbers each), the lightness's of the second:
many faces are paler above the nose than below it (the lips, a flushed chin, stubble), which a
quadratic colour surface could not follow; the swap's cheeks kept the face's redder mean (a pink
face on an orange-tan man). A cubic lightness surface let more highlights reach white.

The surfaces follow a flash's bleached centre and warm edges, not the patches between: on a warm,
evenly coloured target they were mint patches on the cheeks. So the colour (not the lightness) is
the target's over areas COLOUR_AREA of the face wide as well (colour_of_area); finer colour, the
lips' red, the brows, the lids, stays the source's. Lightness at such scales is the target's face
(blurred over 4% and 12% of the face's width, bench.quality's retrieval fell from 86% to 49% and
83%); its colour is not (86% / 89% / 0.553 -> 86% / 90% / 0.549 at 3%).

Near white, skin is near grey: a target's nose lit almost to white, its colour taken as it is,
was a grey-green band on the swap's darker nose. So that colour is the target's as it shows at
the swap's lightness (at_lightness): moved along the target's colour as a line in lightness, from
its median lightness up. A greyscale source follows such a line too (colour_by_lightness), held
below the target's darker skin (GREY_LINE_FROM), not at its lips' and brows' red and brown.

The source's highlights stay its own (a nose ridge, a forehead lit by a flash), and on a brighter
target they rose past white: blown-out bands, flat at 255. Lightness above the target's own
brightest skin rolls off toward white instead (roll_off).

A face's shading finer than the surfaces (creases, folds, a cheek's own shadow) is the source's,
and as sharp and dark as its photo shows it. On a target whose camera shows skin flat (a pale face
in bright light, a soft photo) the swap looked cut from metal. Where the target's skin shows less
such shading than the swap's, the swap's is scaled down to match, to no less than half
(soften_shading); never up.

A hard shadow's edge down the target's face (a lamp close beside the screen) is sharper than any
smooth surface: the swap showed a soft ramp, and the edge stopped at its outline. Where the
target's lightness steps along a straight line (models/shadow_edge.py), the target's surface is
fitted with the shadow taken out, and the swap's lightness is scaled by the step past the line
(edge_change, with_edge).

Finer still is a photo's grain and focus (pores, stubble, how sharp the lens and the scaler left
it). A sharp source on a soft frame (a high-resolution photo on a soft webcam picture) stood out as
pasted on. The swap's detail finer than GRAIN_FINE of the face's width is scaled by the target's
strength of it over the swap's around each pixel, to no less than GRAIN_FLOOR (match_grain); never
up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from models.color import BLACK_OFFSET, NEUTRAL
from models.fields import at_shape, blur_enlarged, blur_within, enlarge, shrink, shrunk_shape
from models.order import percentiles
from models.shadow_edge import Edge, find_edge, runs_past
from models.surfaces import huber_fit, solve, terms

EdgeFollower = Callable[[Edge | None], Edge | None]  # the edge found in a frame -> the edge to draw
STEP = 3  # the fit uses every third pixel each way: a smooth surface needs few samples
# ... and no more than FIT_CELLS of them across the box's larger side: a 720p face's box (about
# 310 px) gave the fits twice the samples of a 640x480 one's for the same smooth surfaces
FIT_CELLS = 100
MIN_SAMPLES = 24  # of the skin: with fewer, nothing is fitted (and a held fit is not drawn)
# a track's light is fitted again FIT_EVERY frames after its last fit and held between (LightMemory):
# a face's light moves little in a tenth of a second, and the fits and the colour over areas were
# 1.6 ms a frame
FIT_EVERY = 3
# ... and again where the swap's mesh moved in its box by more than MOVED of the box's larger side
# (the MOVED_SHARE-th percentile of its points' moves) since: over a still picture's first five
# frames FaceMesh's mesh moved 1.3-3.5% a frame as it settled, and a light held from the first of
# them left the smiling photo's mouth 9.6 levels off its own frame (5.1 fitted on every frame, 5.9
# with this rule; tests/test_photo_mesh.py). bench.engine's moving clips: 0.3-0.4% a frame (median)
MOVED = 0.015
MOVED_SHARE = 90
COLOUR_DETAIL = 0.03  # of the box's larger side: the blur of the target's colour its line leaves
BRIGHTEST = 99.5  # percentile of the target's skin lightness above which the swap's lightness rolls off
COLOUR_DEGREE = 3  # of the broad colour's surfaces (a and b); the lightness's are of the second
# the lightness's surfaces refitted LIGHT_ROUNDS times, each sample weighed down past LIGHT_HUBER
# robust spreads off them: a dark beard pulled the face's surface down around the mouth, and the
# swap's skin there came out lighter than the target's (bench.quality, wheel faces: 85% / 88% /
# 0.556 -> 86% / 90% / 0.551; held out 79% / 85% / 0.533 -> 0.532)
LIGHT_HUBER, LIGHT_ROUNDS = 1.5, 3
DEGREES = (2, 3)  # the surfaces' degrees surfaces.terms knows
# of the face's width: the blur over which the swap's colour is the target's (colour_of_area); finer
# colour (lips, brows, lids) stays the source's
COLOUR_AREA = 0.03
AREA_SEEN = 0.3  # the share of the blur inside the face from which its colour is taken wholly
# percentile of the target's skin lightness below which a greyscale source's face takes the colour of
# that lightness (colour_by_lightness). From the darkest skin, as before, a greyscale source's eye
# sockets and brows' shadows were red-brown on a pale target (bench.quality, wheel faces: colour
# patches 3.03% -> 2.52%, tight-grey sources 60% / 0.602 -> 65% / 0.588 retrieved / distance)
GREY_LINE_FROM = 25.0
# percentiles of the target's skin lightness within which its colour's line is followed (at_lightness):
# from its median up, where highlights fade to grey. From the 2nd, the swap's own dark features
# (stubble, a brow's shadow) took the target's darker skin's colour too, and the likeness went with
# it (bench.quality: 84% / 89% / 0.553 -> 79% / 85% / 0.563; from the median, 84% / 88% / 0.559).
# From the 25th and the 10th (2026-12-04, wheel faces): the swap's shadow on a target's near-white
# cheek is no longer grey (off the target's colour at its lightness 0.43% -> 0.21% and 0.23%), but
# colour patches 2.29% -> 2.75% and 3.34%, tone 2.08 -> 2.25, retrieval 83% -> 82% and 80%
LINE_RANGE = (50.0, 98.0)
# ... except that where the target's skin is lighter than its median, the swap's lightness follows
# the line down to this percentile (at_lightness, `shadows`): the astronaut onto the second person
# of t1.jpg, whose far cheek is lit near white, kept a grey band down it where her own shadow lies
# (L 150-168 on his 205-215, whose colour at 155 is 17-19 a/b levels warmer than at 210): held at
# the median, the line warmed it by 2. Skin off the target's colour at its lightness (bench.quality,
# wheel faces) 0.43% -> 0.22%, held out 1.11% -> 1.06%; retrieval unchanged (the tone and colour
# patch rows rose: docs/mesh-engine.md)
LINE_LOW = 25.0
# of the face's width: shading finer than SHADING_FINE (lightness less its blur) is measured over
# SHADING_AREA in both faces, and the swap's scaled by the ratio, between SHADING_FLOOR and 1
SHADING_FINE, SHADING_AREA, SHADING_FLOOR = 0.05, 0.1, 0.5
SHADING_GRAIN = 2.0  # levels (RMS) of shading every photo has, its grain: added to both, so it sets no ratio
SHADING_SHRINK = 4  # the shading's strength and its blur are smooth: worked out at a quarter of the size
# of the face's width: detail finer than GRAIN_FINE (lightness less its blur) is the photo's grain and
# focus; the swap's is scaled by the target's strength of it over its own (over GRAIN_AREA), between
# GRAIN_FLOOR and 1
GRAIN_FINE, GRAIN_FLOOR = 0.01, 0.3
GRAIN_AREA = 0.05  # of the face's width: the grain's strength is compared over this
GRAIN_NOISE = 1.0  # levels (RMS) of grain every frame has: added to both, so it sets no ratio


def shading_fit(values: np.ndarray, xs: np.ndarray, ys: np.ndarray, scale: float, degree: int = 2
                ) -> np.ndarray | None:
    """The surface's coefficients (six to the second `degree`, ten to the third) fitted to samples
    `values` at pixels (xs, ys), in units of `scale` (the image's larger side): (c,) for (n,)
    values, (c, k) for k surfaces fitted at once to (n, k); None when fewer than MIN_SAMPLES pixels
    are sampled."""
    if len(values) < MIN_SAMPLES:
        return None
    return solve(terms(xs / scale, ys / scale, degree).astype(np.float64), values.astype(np.float64))


def robust_shading_fit(values: np.ndarray, xs: np.ndarray, ys: np.ndarray, scale: float
                       ) -> np.ndarray | None:
    """shading_fit's second-degree surfaces (k of them, `values` (n, k)), refitted LIGHT_ROUNDS
    times with each sample weighed down where it lies more than LIGHT_HUBER robust spreads off
    any of the surfaces (a Huber weight): a beard, a brow, a shadowed nostril are no light."""
    if len(values) < MIN_SAMPLES:
        return None
    basis = terms(xs / scale, ys / scale).astype(np.float64)
    return huber_fit(basis, values, LIGHT_ROUNDS, LIGHT_HUBER)


def surface_at(coef: np.ndarray, xs: np.ndarray, ys: np.ndarray, scale: float) -> np.ndarray:
    """float32 values of k surfaces (coefficients (c, k), as `surface`) at pixels (xs, ys), in
    units of `scale` as they were fitted: xs' shape plus (k,)."""
    return (terms(xs / scale, ys / scale, 2 if len(coef) == 6 else 3) @ coef).astype(np.float32)


def surface(coef: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """float32 (h, w) values of the surface (coefficients (c,), c = 6 or 10: shading_fit), or
    (h, w, k) of k surfaces ((c, k), k <= 4); computed on a coarse grid and enlarged (they are
    smooth)."""
    h, w = shape
    scale = float(max(h, w))
    ch, cw = max(2, h // 4), max(2, w // 4)
    # the grid's coordinates scaled along each axis once, then spread over the grid
    gx = np.arange(cw, dtype=np.float32) * (w / cw) / scale
    gy = np.arange(ch, dtype=np.float32)[:, None] * (h / ch) / scale
    degree = 2 if len(coef) == 6 else 3
    coarse = terms(*np.broadcast_arrays(gx, gy), degree) @ coef
    return cv2.resize(coarse.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def roll_off(lightness: np.ndarray, change: np.ndarray, top: float) -> np.ndarray:
    """uint8 `lightness` + `change` (float32, the same shape), as it is up to `top` and rolling off
    above it: top + room * (1 - exp(-(v - top) / room)), room = 255 - top, approaching white
    without reaching it. It starts at slope 1 (no crease at `top`) and keeps a highlight's shape
    where adding and saturating made it flat."""
    raw = cv2.add(lightness, change, dtype=cv2.CV_16S)
    room = max(255.0 - top, 1.0)
    levels = np.arange(2 * 256, dtype=np.float32)
    # the exponent held at or under 0: where a target's brightest skin is white (room 1), the
    # levels below it overflowed exp (a RuntimeWarning), though np.where left them as they are
    table = np.where(levels > top, top + room * (1.0 - np.exp(np.minimum(top - levels, 0.0) / room)), levels)
    table = np.clip(table + 0.5, 0, 255).astype(np.uint8)
    return np.take(table, np.clip(raw, 0, len(table) - 1))


def colour_line(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A face's colour as a line in lightness: the offset and slope, each (2,) for a and b, fitted
    to (n, 3) LAB `samples` of its skin."""
    # least squares in closed form: the covariance over the variance (lstsq's SVD took 0.4 ms on a
    # 720p face's 15 000 samples)
    values = samples.astype(np.float32)
    mean = values.mean(0)
    centred = values - mean
    slope = centred[:, 0] @ centred[:, 1:] / max(float(centred[:, 0] @ centred[:, 0]), 1e-6)
    return mean[1:] - slope * mean[0], slope


def at_lightness(target_lab: np.ndarray, lightness: np.ndarray, core: np.ndarray, shadows: bool = True
                 ) -> np.ndarray:
    """float32 (h, w, 2): the target's a and b (`target_lab`, (h, w, 3)) as they would be at the
    swap's `lightness` (float32 (h, w)): moved along the target's colour as a line in lightness,
    fitted where `core` (bool) is set, both lightnesses held within LINE_RANGE of the skin's; with
    `shadows`, the swap's down to LINE_LOW where the target is lighter than that range's start."""
    ab = target_lab[:, :, 1:].astype(np.float32)
    # every other cell each way: a quarter of the work, the same line and percentiles within a
    # fraction of a level
    samples = target_lab[::2, ::2][core[::2, ::2]]
    if len(samples) < MIN_SAMPLES:
        return ab
    _, slope = colour_line(samples)
    low, lo, hi = percentiles(samples[:, 0], (LINE_LOW, *LINE_RANGE))
    target_l = target_lab[:, :, 0]
    own = np.clip(target_l, lo, hi).astype(np.float32)
    # a swap's shadow on the target's light skin: its colour is the target's darker skin's
    floor = np.where(target_l > lo, np.float32(low), np.float32(lo)) if shadows else np.float32(lo)
    shift = np.clip(lightness, floor, np.float32(hi)) - own
    return ab + shift[:, :, None] * slope


def sample_step(shape: tuple[int, ...]) -> int:
    """The fits' grid over a box of `shape` (h, w, ...): every STEP-th pixel each way, or sparser,
    so that no more than FIT_CELLS lie across its larger side."""
    return max(STEP, -(-max(shape[:2]) // FIT_CELLS))


def colour_by_lightness(target_lab: np.ndarray, lightness: np.ndarray, core: np.ndarray) -> np.ndarray:
    """(h, w, 2) uint8 LAB a and b for a greyscale source's face of `lightness` (uint8): the target's
    colour as a line in lightness (fitted where `core` is set), plus what the line leaves of the
    target's colour (the lips' red, a blush), blurred. The target's a and b taken pixel by pixel
    put its highlights' near-grey on the source's shadows: grey-green patches on the cheeks."""
    step = sample_step(core.shape)
    pick = core[::step, ::step]
    if pick.sum() < MIN_SAMPLES:
        return target_lab[:, :, 1:]
    samples = target_lab[::step, ::step][pick].astype(np.float32)
    offset, slope = colour_line(samples)
    # what the line leaves is blurred anyway: worked out at a quarter of the size (a sixteenth of
    # the work; at full size this cost 3 ms a frame at 640x480)
    h, w = core.shape
    small = shrink(target_lab, 4).astype(np.float32)
    left = small[:, :, 1:] - (offset + small[:, :, :1] * slope)
    left = blur_enlarged(left, COLOUR_DETAIL * max(h, w), 4, (w, h))
    # the line as a lookup table over the 256 lightnesses, held from the skin's GREY_LINE_FROM
    # percentile to its lightest: a pupil far darker than any skin would take whatever colour the
    # line reaches there, and a brow's shadow or an eye socket took the colour of the target's
    # darkest pixels in the mask, its lips' red and its brows' brown
    (lo,) = percentiles(samples[:, 0], (GREY_LINE_FROM,))
    levels = np.clip(np.arange(256, dtype=np.float32), lo, samples[:, 0].max())
    line = (offset + levels[:, None] * slope).astype(np.float32).reshape(256, 1, 2)
    colour = cv2.add(cv2.LUT(cv2.merge([lightness, lightness]), line), left)
    return cv2.convertScaleAbs(colour)  # rounded, held in 0..255 (a and b are never negative)


def colour_of_area(face_ab: np.ndarray, target_ab: np.ndarray, core: np.ndarray, sigma: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The target's a and b less the face's, each blurred over `sigma` px inside `core` (both
    images' (h, w, 2) channels, `core` bool (h, w)), and how much of `core` each blur saw (0..1):
    float32 (h, w, 2) and (h, w)."""
    diff = target_ab.astype(np.float32) - face_ab.astype(np.float32)
    return blur_within(diff, core.astype(np.float32), sigma)


def _strength_ratio(energy: np.ndarray, inside: np.ndarray, sigma: float, noise: float, floor: float
                    ) -> np.ndarray:
    """float32, `floor`..1: the root of `energy`'s second channel (a band squared: the target's)
    over its first (the swap's), each averaged over `sigma` px where `inside` (float32, 0..1) is
    set, `noise` levels (RMS) added to both, so that it sets no ratio."""
    mean = blur_within(energy, inside, sigma)[0] + noise * noise
    return np.clip(np.sqrt(mean[:, :, 1] / mean[:, :, 0]), floor, 1.0)


def shading_gain(face_l: np.ndarray, target_l: np.ndarray, core: np.ndarray, fine: float, area: float
                 ) -> np.ndarray:
    """float32 (h, w), SHADING_FLOOR..1: how much of the swap's shading to keep, the target's
    shading strength over the swap's. Shading is the lightness less its blur over `fine` px, its
    strength the root mean square over `area` px inside `core` (float32 lightness, bool core)."""
    bands = [lightness - cv2.GaussianBlur(lightness, (0, 0), fine) for lightness in (face_l, target_l)]
    energy = np.square(cv2.merge(bands))
    return _strength_ratio(energy, core.astype(np.float32), area, SHADING_GRAIN, SHADING_FLOOR)


def soften_shading(lightness: np.ndarray, target: np.ndarray, core: np.ndarray, face_width: float,
                   gain: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """uint8 `lightness` (the swap's) with its shading finer than SHADING_FINE of `face_width`
    scaled down where the target's skin (`target`, BGR; `core`, the mask) shows less of it, and
    that scale on its grid (1/SHADING_SHRINK of the size). With `gain` (a scale returned before,
    held between the light's fits) the target's shading is not read again."""
    h, w = lightness.shape
    small = shrink(lightness, SHADING_SHRINK).astype(np.float32)
    if gain is None:
        # the target's lightness from its shrunk colours: a sixteenth of the conversion
        target_lab = cv2.cvtColor(shrink(target, SHADING_SHRINK), cv2.COLOR_BGR2LAB)
        target_l = target_lab[:, :, 0].astype(np.float32)
        pick = shrink(core.astype(np.uint8), SHADING_SHRINK) > 0
        fine, area = (k * face_width / SHADING_SHRINK for k in (SHADING_FINE, SHADING_AREA))
        gain = shading_gain(small, target_l, pick, fine, area)
    else:
        gain = at_shape(gain, small.shape)
    base = blur_enlarged(small, SHADING_FINE * face_width, SHADING_SHRINK, (w, h))
    soft = base + enlarge(gain, SHADING_SHRINK, (w, h)) * (lightness.astype(np.float32) - base)
    return cv2.convertScaleAbs(soft), gain  # rounded, held in 0..255


def grain_gain(face_band: np.ndarray, target_band: np.ndarray, inside: np.ndarray, area: float) -> np.ndarray:
    """float32 at a quarter of the size (each side rounded up), GRAIN_FLOOR..1: how much of the
    swap's grain to keep, the target's strength of it over the swap's (each the root mean square of
    its band, float32, over `area` px where `inside`, uint8 0 or 1, is set)."""
    # every other pixel each way is enough for a mean over the area: a quarter of the work
    half = SHADING_SHRINK // 2
    pick = shrink(inside[::2, ::2].astype(np.float32), half)
    bands = cv2.merge([face_band[::2, ::2], target_band[::2, ::2]])
    energy = shrink(bands * bands, half)
    return _strength_ratio(energy, pick, area / SHADING_SHRINK, GRAIN_NOISE, GRAIN_FLOOR)


def match_grain(lightness: np.ndarray, target: np.ndarray, core: np.ndarray, face_width: float,
                gain: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """uint8 `lightness` (the swap's) with its detail finer than GRAIN_FINE of `face_width` scaled
    down where the target's (`target`, BGR; `core`, the mask) shows less of it, and that scale at
    a quarter of the size. With `gain` (a scale returned before, held between the light's fits)
    the target's grain is not read again."""
    h, w = lightness.shape
    # a box filter with the spread of a Gaussian of that sigma: 0.03 ms on one core for a 250 x 210
    # box, against 0.13 for the Gaussian of a float image
    k = max(3, round(np.sqrt(12 * (GRAIN_FINE * face_width) ** 2 + 1)) | 1)
    band = cv2.subtract(lightness, cv2.blur(lightness, (k, k)), dtype=cv2.CV_32F)
    if gain is None:
        # the target's grey level, not its lightness: their detail this fine differs by under 4% on
        # skin (the wheels' faces), and the grey is a tenth of the conversion
        grey = cv2.cvtColor(target, cv2.COLOR_BGR2GRAY)
        own_band = cv2.subtract(grey, cv2.blur(grey, (k, k)), dtype=cv2.CV_32F)
        # the mask's edge is where the texture ends: its step is no grain
        inside = cv2.erode(core.view(np.uint8), np.ones((5, 5), np.uint8))
        gain = grain_gain(band, own_band, inside, GRAIN_AREA * face_width)
    else:
        gain = at_shape(gain, shrunk_shape((h, w), SHADING_SHRINK))
    full = enlarge(gain, SHADING_SHRINK, (w, h))
    return cv2.convertScaleAbs(cv2.subtract(lightness, (1.0 - full) * band, dtype=cv2.CV_32F)), gain


def edge_change(values: np.ndarray, at: tuple[np.ndarray, np.ndarray], scale: float, coef: np.ndarray,
                edges: EdgeFollower, beyond: tuple[np.ndarray, np.ndarray, np.ndarray]
                ) -> tuple[Edge, np.ndarray] | None:
    """A hard shadow's edge on the target (models/shadow_edge.py) and the change to its surface's
    coefficients `coef` when fitted around it (`values`: the target's lightness samples; `beyond`:
    the box's lightness and (xs, ys) where the face is not, which a cast shadow crosses too); None
    without an edge."""
    found = find_edge(values, *at, scale)
    if found is not None and not runs_past(found, *beyond, scale):
        found = None
    edge = edges(found)
    if edge is None:
        return None
    # the target as it would be without the shadow: its light scaled back past the edge
    lit = (values + BLACK_OFFSET) * np.exp(-edge.at(*at, scale)) - BLACK_OFFSET
    around = robust_shading_fit(lit[:, None], *at, scale)
    return None if around is None else (edge, around[:, 0] - coef)


def with_edge(lightness: np.ndarray, change: np.ndarray, edge: Edge) -> np.ndarray:
    """The lightness `change` (float32) that also darkens (or lightens) `lightness` + `change`
    past `edge` as its shadow scales light."""
    scaled = np.expm1(edge.image(change.shape[:2]))
    return change + (lightness.astype(np.float32) + change + BLACK_OFFSET) * scaled


def lightness_change(lightness: np.ndarray, target_coef: np.ndarray, photo_coef: np.ndarray,
                     values: np.ndarray, at: tuple[np.ndarray, np.ndarray], scale: float,
                     edges: EdgeFollower | None,
                     beyond: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
    """float32, `lightness`' shape: the target's light surface (coefficients (6,)) less the
    photo's; with `edges`, a hard shadow's edge found in the target's lightness samples `values`
    put on as well (edge_change, with_edge)."""
    coef = target_coef - photo_coef
    shadow = None if edges is None else edge_change(values, at, scale, target_coef, edges, beyond())
    if shadow is None:
        return surface(coef, lightness.shape)
    edge, refitted = shadow
    return with_edge(lightness, surface(coef + refitted, lightness.shape), edge)


def relight(face: np.ndarray, target: np.ndarray, alpha: np.ndarray, light: bool = True,
            colour_from_target: bool = False, colour: bool = True, highlights: bool = True,
            colour_degree: int = COLOUR_DEGREE, colour_area: float | None = None,
            shading: float | None = None, grain: float | None = None, colour_lightness: bool = True,
            offset: np.ndarray | None = None, shadow_colour: bool = True,
            edges: EdgeFollower | None = None, lab: bool = False, held: HeldLight | None = None
            ) -> np.ndarray:
    """`face` (BGR, or with `lab` OpenCV's 8-bit LAB; the source warped onto the target), in BGR, with
    the target's shading (`light`; with `colour`, its broad colour too; with `highlights`, its
    lightness rolled off above the target's brightest skin) and, for a greyscale source, the
    target's colour; `target` is the same box of the frame, `alpha` the swap mask there. With
    `colour_area` (px), the colour is the target's over areas that wide too, not only its smooth
    surfaces (colour_of_area), and with `colour_lightness` as it shows at the swap's lightness there
    (at_lightness; with `shadow_colour`, in the swap's shadows on the target's light skin too). With
    `shading` (the face's width, px), the swap's fine shading is no stronger than the target's
    (soften_shading); with `grain` (the same), nor its grain (match_grain). `offset` (float32, the
    box's size) is added to the face's lightness first (the target's side light,
    symmetry.side_light). With `edges` (a track's EdgeMemory.follow), a hard shadow's straight edge
    on the target is put on the swap (edge_change). With `held` (a track's, LightMemory.of), the
    light's surfaces and its colour over areas are those `held` keeps where it is not `due`, and
    kept there where they are fitted. A `face` given in LAB may be written over."""
    face_lab = photo_lab = face if lab else cv2.cvtColor(face, cv2.COLOR_BGR2LAB)
    if offset is not None:
        face_lab = face_lab.copy()  # the colour's grid is the face's as warped (photo_lab)
        face_lab[:, :, 0] = cv2.add(face_lab[:, :, 0], offset, dtype=cv2.CV_8U)
    # the target's LAB whole only for a greyscale source's colour; its light is fitted on every
    # STEP-th pixel (sample_step), converted alone (a ninth of the work)
    target_lab = cv2.cvtColor(target, cv2.COLOR_BGR2LAB) if colour_from_target else None
    out = face_lab  # written in place: face_lab is not read again after out's writes
    core = alpha > 128
    if light:
        h, w = core.shape
        step = sample_step(core.shape)
        # the grid's pixels, spread from a row and a column (read, never written)
        xs, ys = np.broadcast_arrays(np.arange(0, w, step, dtype=np.float32),
                                     np.arange(0, h, step, dtype=np.float32)[:, None])
        pick = core[::step, ::step]
        sampled = (target_lab[::step, ::step] if target_lab is not None
                   else cv2.cvtColor(np.ascontiguousarray(target[::step, ::step]), cv2.COLOR_BGR2LAB))
        # a greyscale source's a and b are the target's already (below)
        n = 3 if colour and target_lab is None else 1
        # the surfaces of one degree in one solve: the samples are the same pixels
        samples = np.concatenate([face_lab[::step, ::step, :n][pick], sampled[:, :, :n][pick]], axis=1)
        at, scale = (xs[pick], ys[pick]), float(max(h, w))

        def beyond() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            """The box's lightness where the swap does not reach (hair, neck, background; the eyes'
            and mouth's openings), and where: a cast shadow's edge runs on through it."""
            out = alpha[::step, ::step] < 16
            return sampled[:, :, 0][out], xs[out], ys[out]
        # the change to the swap's lightness (float32 (h, w)) and to its colour (float32 (h, w, 3),
        # L's left 0: the lightness is put on apart, rolled off and softened)
        change_l = change = None
        target_colour = None  # the target's colour over areas, on the grid (colour_of_area's)
        tint = None  # the colour's surfaces' coefficients, the target's less the face's
        # a held fit only where a fit could be made: a face leaving the frame leaves no skin to draw
        reuse = held is not None and not held.due and held.lit is not None and len(samples) >= MIN_SAMPLES
        if n > 1 and colour_degree > 2:
            if reuse:
                lit, tint = held.lit, held.tint
            else:
                lit = robust_shading_fit(samples[:, [0, n]], *at, scale)
                fitted = shading_fit(samples[:, [1, 2, n + 1, n + 2]], *at, scale, colour_degree)
                tint = None if lit is None or fitted is None else fitted[:, 2:] - fitted[:, :2]
                if held is not None:
                    held.keep(None if tint is None else lit, tint)
            if lit is not None and tint is not None:
                change_l = lightness_change(face_lab[:, :, 0], lit[:, 1], lit[:, 0], samples[:, n], at,
                                            scale, edges, beyond)
        else:
            # a greyscale photo's lightness (its colour is the target's), or the colour's surfaces
            # of the second degree: one fit, held as one
            coef = held.lit if reuse else shading_fit(samples, *at, scale)
            if held is not None and not reuse:
                held.keep(coef, None)
            if coef is not None and n == 1:
                change_l = lightness_change(face_lab[:, :, 0], coef[:, 1], coef[:, 0], samples[:, 1], at,
                                            scale, edges, beyond)
            elif coef is not None:
                # the lightness's surface alone here; the colour's below, once (on the grid with
                # `colour_area`)
                change_l = surface(coef[:, n] - coef[:, 0], core.shape)
                tint = coef[:, n + 1:] - coef[:, 1:n]
        if tint is not None and colour_area is None:
            change = cv2.merge([np.zeros(core.shape, np.float32), *cv2.split(surface(tint, core.shape))])
        elif tint is not None:
            if reuse and held.colour is not None:
                grid, target_colour = held.colour
            else:
                grid, target_colour = _colour_over_areas(
                    target, photo_lab, pick, step, tint, (xs, ys, scale), colour_area,
                    change_l if colour_lightness else None, shadow_colour)
                if held is not None and held.lit is not None:
                    held.colour = grid, target_colour
            change = cv2.resize(grid, (w, h), interpolation=cv2.INTER_LINEAR)
        if change_l is not None:
            lightness = cv2.extractChannel(face_lab, 0)
            if highlights:
                (top,) = percentiles(sampled[:, :, 0][pick], (BRIGHTEST,))
                lightness = roll_off(lightness, change_l, top)
            else:
                lightness = cv2.add(lightness, change_l, dtype=cv2.CV_8U)
            if change is not None:
                out = _coloured_without_crossing_grey(face_lab, change, target_colour)
            # the target's shading and grain against the swap's: measured with the light, held with it
            soft, fine = (held.shading, held.grain) if reuse else (None, None)
            if shading is not None:
                lightness, soft = soften_shading(lightness, target, core, shading, soft)
            if grain is not None:
                lightness, fine = match_grain(lightness, target, core, grain, fine)
            if held is not None and held.lit is not None:
                held.shading, held.grain = soft, fine
            out[:, :, 0] = lightness
    if target_lab is not None:
        out[:, :, 1:] = colour_by_lightness(target_lab, out[:, :, 0], core)
    return cv2.cvtColor(out, cv2.COLOR_LAB2BGR)


def _colour_over_areas(target: np.ndarray, photo_lab: np.ndarray, pick: np.ndarray, step: int,
                       tint: np.ndarray, grid_at: tuple[np.ndarray, np.ndarray, float], colour_area: float,
                       change_l: np.ndarray | None, shadow_colour: bool) -> tuple[np.ndarray, np.ndarray]:
    """The change to the swap's colour (float32, L's left 0; on the fit's grid, smooth, to be
    enlarged to the face's size) that gives it the target's colour over areas `colour_area` px
    wide, and the target's colour on the fit's grid (`pick`,
    every `step`-th pixel; `grid_at`, its pixels' xs, ys and the fit's scale) that it came from.
    With the lightness change `change_l`, that colour is the target's as light as the swap will
    be (at_lightness). `tint`: the colour surfaces' coefficients, the target's less the photo's.

    The surfaces follow a flash's bleached centre and warm edges, not the patches it leaves (mint
    on a warm target's cheeks). Worked on a grid the size of the fit's, fine enough for such a
    blur; each cell the mean of its pixels, not one of them as the fit samples: one pixel's sensor
    noise, blurred, still flipped a and b by a level from frame to frame (flicker of a colour
    source, ad hoc: 0.448 -> 0.466 with single pixels, 0.452 with means)."""
    grid = (pick.shape[1], pick.shape[0])
    target_grid = cv2.cvtColor(cv2.resize(target, grid, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2LAB)
    face_grid = cv2.resize(photo_lab, grid, interpolation=cv2.INTER_AREA)
    target_ab = target_grid[:, :, 1:3]
    if change_l is not None:
        # the target's colour where it is as light as the swap will be: its nose's highlight is
        # near grey because it is near white, and on the swap's darker nose it was a grey-green
        # patch
        swap_light = cv2.add(face_grid[:, :, 0], change_l[::step, ::step], dtype=cv2.CV_32F)
        target_ab = at_lightness(target_grid, swap_light, pick, shadow_colour)
    moved, seen = colour_of_area(face_grid[:, :, 1:3], target_ab, pick, colour_area / step)
    # where the blur saw little of the face (its edge's feather) the surfaces carry on; mixed on
    # the grid, where the surfaces are worked out too, and enlarged once (both are smooth): the
    # surfaces at full size, enlarged from a coarser grid, cost as much again
    surfaces = surface_at(tint, *grid_at)
    mixed = np.zeros((*pick.shape, 3), np.float32)
    mixed[:, :, 1:] = surfaces + np.clip(seen / AREA_SEEN, 0.0, 1.0)[:, :, None] * (moved - surfaces)
    return mixed, target_ab


def _coloured_without_crossing_grey(face_lab: np.ndarray, change: np.ndarray,
                                    target_colour: np.ndarray | None) -> np.ndarray:
    """uint8 LAB: `face_lab` plus the colour `change` (float32, its shape), rounded, with no colour
    pushed through grey to the other side (models/color.py: the same rule): where a profile's edge
    lies far out on the fitted surfaces, they part, and the skin beside a turned target's nostril
    went blue. Per channel, a and b at or above neutral stay in 128..255, those below in 0..128; L
    anywhere. With `target_colour` (the target's a and b on a coarser grid), only where the target's
    colour there is on the same side: a source's near-white highlight, a level or two green of
    grey, was held at grey on a warm target (mint spots on the cheeks, bench.quality's colour
    patches)."""
    h, w = face_lab.shape[:2]
    out = cv2.add(face_lab, change, dtype=cv2.CV_8U)  # rounded, held in 0..255
    grey = int(NEUTRAL)
    above = cv2.compare(face_lab, grey, cv2.CMP_GE)
    below = cv2.bitwise_not(above)
    if target_colour is not None:
        # compared on the grid and enlarged: a quarter of the work of enlarging the colour
        on_grid = cv2.compare(target_colour, grey, cv2.CMP_GE)
        target_above = cv2.resize(on_grid, (w, h), interpolation=cv2.INTER_NEAREST)
        target_above = cv2.merge([np.zeros((h, w), np.uint8), *cv2.split(target_above)])
        above = cv2.bitwise_and(above, target_above)
        below = cv2.bitwise_and(below, cv2.bitwise_not(target_above))
    lowest = cv2.bitwise_and(above, (0, grey, grey, 0))
    highest = cv2.bitwise_or(cv2.bitwise_not(below), (255, grey, grey, 0))
    return cv2.min(cv2.max(out, lowest), highest)


@dataclass
class HeldLight:
    """One track's light between frames (relight's `held`): the surfaces' coefficients (the
    lightness's, the target's and the photo's; the colour's, their difference), the colour over
    areas on its grid, the target's shading and grain against the swap's, and its side light, as
    last fitted, and the swap's mesh they were fitted on; `due` where they are to be fitted again
    in this frame."""

    due: bool = True
    lit: np.ndarray | None = None
    tint: np.ndarray | None = None
    colour: tuple[np.ndarray, np.ndarray] | None = None
    shading: np.ndarray | None = None  # soften_shading's scale, on its grid
    grain: np.ndarray | None = None  # match_grain's, on its grid
    side: np.ndarray | None = None  # the target's side light at the mesh's points (symmetry.side_light)
    mesh: np.ndarray | None = None  # (N, 2), in units of its box's larger side (in_box_units)
    age: int = 0  # frames since the fit

    def keep(self, lit: np.ndarray | None, tint: np.ndarray | None) -> None:
        """Hold a frame's fit (None where there was too little skin to fit: nothing held)."""
        self.lit, self.tint, self.colour, self.shading, self.grain = lit, tint, None, None, None


def in_box_units(mesh: np.ndarray) -> np.ndarray:
    """`mesh` (N, 2) from its bounding box's corner, in units of that box's larger side: how the
    light's surfaces see it."""
    low = mesh.min(axis=0)
    return (mesh - low) / max(float((mesh.max(axis=0) - low).max()), 1.0)


def moved(before: np.ndarray, now: np.ndarray) -> float:
    """How far a mesh moved in its box (in_box_units, each): the MOVED_SHARE-th percentile of its
    points' moves."""
    (share,) = percentiles(np.linalg.norm(now - before, axis=1), (MOVED_SHARE,))
    return share


@dataclass
class LightMemory:
    """Per track: its light as last fitted, fitted again on its first frame, FIT_EVERY frames after
    the last fit, on a frame with another source (its photo's light is another), and on a frame whose
    swap's mesh has moved in its box by more than MOVED since the fit (a stream's first frames, while
    FaceMesh settles on the face; a quick turn)."""

    held: dict[int, tuple[int, HeldLight]] = field(default_factory=dict)  # per track: its source's id

    def of(self, key: int, source: int, mesh: np.ndarray) -> HeldLight:
        """Track `key`'s light for this frame (call once per frame), drawn from source `source` (an
        id) onto the swap's `mesh` (N, 2)."""
        kept = self.held.get(key)
        if kept is None or kept[0] != source:
            kept = (source, HeldLight())
            self.held[key] = kept
        light = kept[1]
        now = in_box_units(mesh)
        light.age += 1
        light.due = (light.lit is None or light.mesh is None or light.age >= FIT_EVERY
                     or moved(light.mesh, now) > MOVED)
        if light.due:
            light.mesh, light.age = now, 0
        return light

    def keep_only(self, track_ids: set[int]) -> None:
        """Forget the tracks that are gone."""
        for gone in set(self.held) - track_ids:
            del self.held[gone]
