"""A source photo's own hard shadow taken off at upload: a lamp close beside the camera, the sun
through a window's frame.

A photo's light is baked into its texture. The relight swaps its smooth surfaces for the target's,
and symmetry.even_light evens the face's halves at coarse scales, but a shadow's sharp edge down
the photo's face is finer than either: every target got a line down its swap, light on one side
and dark on the other, and dlib read the swap further from the person (bench.quality's
`hard-shadowed` form, docs/mesh-engine.md). Here the edge is found as the frames' edges are
(models/shadow_edge.py: a straight step in log(L + 41), within 30 degrees of upright, running on
past the face into the hair and the room, as a cast shadow does, and a nose's shading does not),
fitted finer (refine), and the light past it scaled back (taken_off): L + 41, a - 128 and b - 128
of 8-bit LAB all scale as the cube root of the light, so one factor lifts the shadow's lightness
and its colour together. On the line itself a photo's pixels are part shadow and part light in
a penumbra of its own shape, which no one factor lifts: that strip is drawn as the blend between
its two sides (bridged), so no seam is left where the halves meet. What the step leaves between
the halves at larger scales, symmetry.even_light and the relight take as they take any light.
"""

from __future__ import annotations

import cv2
import numpy as np

from models.color import BLACK_OFFSET
from models.shadow_edge import EDGE_MIN_STEP, Edge, across_line, exposure, find_edge, runs_past, sigmoid
from models.surfaces import terms
from models.symmetry import face_mask

STEP = 3  # the edge is looked for on every third pixel each way, as in the frames
# of the edge's step: what the crop's pixels beyond the face must step by, the same way (the frames
# ask for half). The crop reaches a tenth of the face past its mesh, mostly hair, and on the bench's
# hard-shadowed photos that ring stepped by 0.34-1.21 of the face's step (the astronaut's, cropped
# as the tests crop her, 0.48); a nose's lit and shaded flanks (the lamp-lit `s3-3`) step the other way
PHOTO_PAST = 0.3
REFINE_SAMPLES = 3000  # the finer fit uses at most this many of the face's pixels
REFINE_DEGREES = np.radians(np.linspace(-3.0, 3.0, 13))  # about the found line's direction
REFINE_PLACES = np.linspace(-0.02, 0.02, 21)  # about its place, of the box's larger side
# the sigmoid's scales tried, of the box's larger side: a photo's edge is often sharper than the
# frames' (a shadow's edge a few pixels wide in a face a few hundred across)
REFINE_WIDTHS = (0.002, 0.004, 0.008, 0.012, 0.02, 0.03)
# px: the bands beside the strip whose colours a shadow leaves alike (keeps_colour), the pixels
# each must hold, and how far apart their colours may be, of the larger
COLOUR_BAND, COLOUR_MIN, COLOUR_OFF = 10.0, 40, 0.75
# colours nearer grey than this (a and b over L + 41: 4-5 levels on lit skin) are alike: a greyscale
# photo's sides differ only by their noise, which measured against a colour of nearly nothing was
# "different"; the bench's skins measured 0.03-0.18
COLOUR_GREY = 0.02
BRIDGE = (3.0, 8.0)  # px, the half-width of the strip along the line bridged between its two sides
BRIDGE_WIDTHS = 5.0  # ... as many sigmoid widths, within BRIDGE


def without_shadow(image: np.ndarray, inside: np.ndarray, points: np.ndarray
                   ) -> tuple[np.ndarray, Edge | None]:
    """A source crop (BGR; `inside`, uint8, where it holds the photo's own pixels; `points`, its
    face's mesh) with its own hard shadow's edge taken off, and the edge (None, and the crop as it
    is, where it shows none)."""
    face = face_mask(points, (image.shape[1], image.shape[0]))
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    edge = photo_edge(lab[:, :, 0], face, inside)
    if edge is None or not keeps_colour(edge, lab, (face > 128) & (inside > 128)):
        return image, None
    return taken_off(image, edge), edge


def photo_edge(lightness: np.ndarray, face: np.ndarray, inside: np.ndarray) -> Edge | None:
    """The hard shadow's edge down a photo's face (8-bit LAB `lightness` of the crop; `face`, uint8,
    the face's outline; `inside`, uint8, where the crop holds the photo's own pixels), refined;
    None where there is none, or where the pixels beyond the face do not step across it too."""
    h, w = lightness.shape
    scale = float(max(h, w))
    ys, xs = np.mgrid[0:h:STEP, 0:w:STEP].astype(np.float32)
    own = inside[::STEP, ::STEP] > 128
    on_face = face[::STEP, ::STEP] > 128
    sampled = lightness[::STEP, ::STEP]
    skin, beyond = own & on_face, own & ~on_face
    found = find_edge(sampled[skin], xs[skin], ys[skin], scale)
    if found is None or not runs_past(found, sampled[beyond], xs[beyond], ys[beyond], scale, PHOTO_PAST):
        return None
    pick = (face > 128) & (inside > 128)
    ys, xs = np.nonzero(pick)
    every = max(1, -(-len(ys) // REFINE_SAMPLES))
    fine = refine(found, lightness[pick][::every], xs[::every].astype(np.float32),
                  ys[::every].astype(np.float32), scale)
    # the finer fit about the same line steps the same way, by as much as the search asks at least
    # (deeper it may be: the clown-faced `s1-1`'s softer edge, found at -1.1, refines to -1.39)
    return fine if fine.step * found.step > 0 and abs(fine.step) >= EDGE_MIN_STEP else None


def keeps_colour(edge: Edge, lab: np.ndarray, face: np.ndarray) -> bool:
    """Whether the face (`face`, bool, of the crop's 8-bit LAB `lab`) has one colour either side of
    `edge`'s line, as a shadow leaves it: the medians of a - 128 and b - 128 over L + 41 (which a
    shadow scales alike) in bands COLOUR_BAND px wide beyond the strip, their difference under
    COLOUR_OFF of the larger. A dark lock of hair down a cheek beside a room lit alike steps as a
    shadow does, in lightness: on the social set's `s6-2` (lit by a lamp, her hair over her
    cheek, in her side-lit and small forms) its grey-green was 0.91 off her skin's colour and
    lifted, silver; the bench's shadows measured 0.02-0.61."""
    distance = _distance(edge, face.shape)
    half = strip_half(edge, max(face.shape))
    colours = []
    for side in (1.0, -1.0):
        pick = face & (side * distance >= half) & (side * distance < half + COLOUR_BAND)
        if pick.sum() < COLOUR_MIN:
            return False
        values = lab[pick].astype(np.float32)
        colours.append(np.median((values[:, 1:] - 128.0) / (values[:, :1] + BLACK_OFFSET), axis=0))
    past, before = colours
    larger = max(float(np.linalg.norm(past)), float(np.linalg.norm(before)), COLOUR_GREY)
    return float(np.linalg.norm(past - before)) < COLOUR_OFF * larger


def refine(edge: Edge, lightness: np.ndarray, xs: np.ndarray, ys: np.ndarray, scale: float) -> Edge:
    """`edge` fitted again on a finer grid of directions, places and widths about it, to samples
    `lightness` (8-bit LAB, (n,)) at (xs, ys) of a box `scale` px large: the frames' grid, 10
    degrees and 5% of the box apart, left a photo's line a pixel or two off along part of its
    length, and a seam there."""
    v = exposure(lightness)
    x, y = xs / scale, ys / scale
    quad = terms(x, y).astype(np.float64)
    project = np.linalg.pinv(quad)
    rest = v - quad @ (project @ v)
    places = edge.offset + REFINE_PLACES
    best, kept = -1.0, edge
    for angle in edge.angle + REFINE_DEGREES:
        across = across_line(x, y, np.cos(angle), np.sin(angle))
        for width in REFINE_WIDTHS:
            lines = sigmoid((across[:, None] - places) / width)
            lines -= quad @ (project @ lines)  # what the quadratic does not explain of each line
            dots = rest @ lines
            norms = np.maximum(np.einsum("ij,ij->j", lines, lines), 1e-9)
            explained = dots * dots / norms
            j = int(np.argmax(explained))
            if explained[j] > best:
                best, kept = float(explained[j]), Edge(float(dots[j] / norms[j]), float(angle),
                                                       float(places[j]), width)
    return kept


def _distance(edge: Edge, shape: tuple[int, int]) -> np.ndarray:
    """float32 (h, w): each pixel's signed distance from `edge`'s line over a box of `shape`, in px
    (positive past it)."""
    h, w = shape
    scale = float(max(h, w))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return (edge.distance(xs, ys, scale) * scale).astype(np.float32)


def ramp(edge: Edge, distance: np.ndarray, scale: float) -> np.ndarray:
    """float32, 0..1: how far across `edge`'s step each pixel at `distance` px from its line lies
    (in a box `scale` px large, as `edge` was found): the sigmoid, taken to 0 and 1
    BRIDGE_WIDTHS of its widths either side. A penumbra ends; the sigmoid's tails do not, and a
    shadow's factor of 1.8 lifted them into a dark line beside the bridge (5 levels, 3 px past the
    line of a 4 px edge)."""
    tail = float(sigmoid(np.float32(-BRIDGE_WIDTHS)))
    across = sigmoid(distance / (edge.width * scale))
    return np.clip((across - tail) / (1.0 - 2.0 * tail), 0.0, 1.0).astype(np.float32)


def strip_half(edge: Edge, scale: float) -> float:
    """px: the half-width of the strip along `edge`'s line that is bridged (BRIDGE_WIDTHS of the
    sigmoid's widths, within BRIDGE), in a box `scale` px large."""
    return float(np.clip(BRIDGE_WIDTHS * edge.width * scale, *BRIDGE))


def taken_off(image: np.ndarray, edge: Edge) -> np.ndarray:
    """`image` (BGR, the crop `edge` was found in) with the light past the edge scaled back to the
    light before it, and the strip along its line bridged."""
    h, w = image.shape[:2]
    distance = _distance(edge, (h, w))
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    step = edge.step * ramp(edge, distance, max(h, w))
    gain = np.exp(-step).astype(np.float32)
    lit = lab.astype(np.float32)
    lit[:, :, 0] = (lit[:, :, 0] + BLACK_OFFSET) * gain - BLACK_OFFSET
    lit[:, :, 1:] = 128.0 + (lit[:, :, 1:] - 128.0) * gain[:, :, None]
    back = cv2.cvtColor(np.clip(lit + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)
    # written back only where the light moves: the round trip through LAB moves other pixels a level
    out = cv2.copyTo(back, (np.abs(gain - 1.0) > 0.002).view(np.uint8), image.copy())
    return bridged(out, edge, distance)


def bridged(image: np.ndarray, edge: Edge, distance: np.ndarray) -> np.ndarray:
    """`image` with the strip along `edge`'s line (BRIDGE_WIDTHS sigmoid widths either side, within
    BRIDGE px) drawn as the blend between its two sides, across it: on the line, the photo's pixels
    are part shadow and part light at every ratio, and lifted by one factor they left a seam, dark
    where the face was dark and light where it was light."""
    h, w = image.shape[:2]
    half = strip_half(edge, max(h, w))
    strip = np.abs(distance) < half
    if not strip.any():
        return image
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    nx, ny = np.float32(np.cos(edge.angle)), np.float32(np.sin(edge.angle))
    before, after = distance + half, half - distance
    near, far = (cv2.remap(image, xs + along * nx, ys + along * ny, cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE) for along in (-before, after))
    share = np.clip(before / (2.0 * half), 0.0, 1.0)[:, :, None]
    blend = np.clip(near + share * (far.astype(np.float32) - near) + 0.5, 0, 255).astype(np.uint8)
    return cv2.copyTo(blend, strip.view(np.uint8), image.copy())
