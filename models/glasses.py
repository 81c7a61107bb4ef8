"""The target's glasses, kept in front of the swapped face.

Glasses stand in front of the face as a hand does. Swapped over, their rims vanished from around the
eyes but stayed where the mask fades (the hinges at the temples): half a pair of glasses, ghosted.

Found per frame from the target's mesh, without a model: frames are thin lines darker than the skin
around them (a black-hat filter: the grey level's closing minus itself). A lens' rim runs round its
eye, so around each eye a ring (1.25 to 2.6 times the eye's half width, flattened to an ellipse) is
cut into angular sectors, and the longest unbroken run of sectors a line crosses is the eye's score;
a lid's crease, a cheek's shadow or a wrinkle crosses a few sectors, a rim most. Sectors on the eye
or a brow count as crossed. A bridge crosses the nose between the eyes: the share of a strip's
columns a line crosses there is the bridge's score. The face's score is the least of the three.

Where a track wears glasses, the long dark lines around the eyes and between them, below the brows'
middle and off the nose, are held out of the swap with the strength of their darkness: the target's
own frames show over the source's eyes and cheeks. That alone held a thin metal frame in pieces (its
top rims run under the brows, which stay the source's, and its inner rims beside the nose were lost
with them), so each lens' rim is also followed round its eye, the first line met on rays out from
it, and drawn whole, as thick as it is seen (`find_lenses`); the bridge likewise, followed across
between the lenses (`find_bridge`: its highlight had broken it into dashes); both steadied over a
track's frames (`LensMemory`). A face whose both "lenses" hug its eyes wears none: those are the
creases of its lids (`lens_hugs`). The decision is smoothed over frames (`GlassesVote`), so a
blink or a frame where a rim is lost in a reflection does not switch it.

Misses: rimless glasses and frames lighter than the skin (nothing of them showed before either;
a polished bridge is held by its dark edges alone), the top bar of browline frames above the
brows' middle, glasses on a face turned far or under about 100 px wide. A source's own
glasses are the source's face: they are swapped on as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import NamedTuple

import cv2
import numpy as np

from models import face_topology as ft
from models.engine import PixelBox

KERNEL = 0.06  # of the face's width: lines thinner than this are found
DARKER = 12.0  # grey levels under the closing at which a pixel is a line (for the score)
# held out of the swap from HELD_FROM grey levels darker, fully at HELD_FULL: a frame is far darker
# than its surroundings (the metal rims of tests/test_glasses.py: 60), a fold of skin beside the
# nose or under the brow a little, and held out it showed as a patch of the target's skin
HELD_FROM = 20.0
HELD_FULL = 36.0
RING = (1.25, 2.6)  # radii, in the eye's half width, between which a rim is looked for
REACH = 2.8  # radius out to which lines are held out (a rim a little wider than the ring)
FLAT = 0.75  # the ring's height over its width
SECTORS = 24
ANGLES_PER_SECTOR = 3  # rays sampled per sector
# the bridge's strip across the nose, in eye half widths: half its width, how far above the eyes'
# line and how far below it it reaches; cut into columns, the share crossed by a line is its score
BRIDGE = (0.4, 1.6, 0.6)
BRIDGE_COLUMNS = 10
# the nose below the eyes' line, never held out: from NOSE[0] half widths below it, NOSE[1] either
# side of the middle, widening by NOSE[2] per half width down
NOSE = (0.5, 0.8, 0.6)
# a track's smoothed score at which it wears glasses, and under which it no longer does. Measured on
# bench.quality's 13 faces and Grace Hopper's photo in its forms: without glasses 0.00-0.46 (a
# fringe over the brows highest); with, 0.67-1.00 frontal or side-lit, 0.25-0.54 turned, 0.25-0.50
# at 80 px
FOUND = 0.5
LOST = 0.3
FOLLOW = 0.3  # the smoothed score's step toward each new score
SCORE_EVERY = 3  # frames
MIN_LENGTH = 0.12  # of the face's width: a line's extent (its box's diagonal) to be held out as a frame
EYE_MARGIN = 0.02  # of the face's width: the eye and its lashes, never a frame
# Each lens' rim, followed round its eye (find_lenses): RAYS rays out from the eye, sampled RAY_STEP px
# apart from its edge out to REACH; on each, the darkest point of the first line HELD_FROM darker
# than its surroundings. Where at least RIM_FOUND of the rays meet one, the finds further than
# RIM_SPREAD eye half widths from their neighbours' median are dropped (a lid's crease, a brow's
# hair), the gaps filled round the eye, and the lens' convex outline is drawn as thick as the
# rays saw the line.
RAYS = 48
RAY_ANGLES = np.linspace(-np.pi, np.pi, RAYS, endpoint=False)  # from the eye's outer side, round by up
_RAYS_DOWN = np.abs(RAY_ANGLES - np.pi / 2) <= np.pi / 4  # the rays within 45 degrees of straight down
RAY_STEP = 1.0
RIM_FOUND = 0.6
RIM_SPREAD = 0.15
RIM_FOLLOW = 0.3  # a track's lenses' step toward each frame's find (LensMemory)
# A lens' rim lies well below its eye, on the cheek: the rays pointing down (within 45 degrees)
# met the man with glasses' rims at 1.67-1.79 of the eye's height unit (_Axes.down), Grace Hopper's
# at 1.36-1.55. A "lens" nearer than HUGGING hugs the eye: the lower lid's line and the creases
# round a smiling or squinting eye (Obama's photos: 0.68-1.03), not a frame (lens_hugs).
HUGGING = 1.15
# The bridge, followed across between the lenses (find_bridge): in each column of the strip between
# the lenses' inner rims, a pixel apart, the darkest point of the first line HELD_FROM darker than its
# surroundings going down from BRIDGE[1] above the eyes' line to NOSE[0] below it. Where at least
# RIM_FOUND of the columns meet one, finds further than RIM_SPREAD from their neighbours' median are
# dropped (the nose's crease under a gap in the bar), the gaps filled, and the bar drawn whole through
# BRIDGE_POINTS points. Held by its darkness alone, a metal bridge's highlight broke it into dashes,
# and under each break the crease was the first line met: a short dark stroke on the swapped nose.
# It is drawn before the cleaning under the first line (frames), which then spans the strip from
# lens to lens: a nose pad's arm, held beside the nose, floated beside a narrower swapped nose.
BRIDGE_POINTS = 9
_INNER_RAY = RAYS // 2  # the ray along the eye's axis toward its inner corner (angle 0)
# per eye, its corners (outer, inner) in mediapipe's mesh and its brow
EYES = (((33, 133), ft.RIGHT_BROW), ((263, 362), ft.LEFT_BROW))


@dataclass(frozen=True)
class Look:
    """One face's eye region, looked at for glasses: `dark` is how much darker each pixel of `box`
    is than its closed surroundings (uint8), `points` the mesh in the box's coordinates."""

    box: PixelBox
    dark: np.ndarray
    points: np.ndarray
    face_w: float

    @cached_property
    def lines(self) -> np.ndarray:
        """Where a line is (bool over the box): DARKER under its closing."""
        return self.dark > DARKER

    @cached_property
    def free(self) -> np.ndarray:
        """Where a frame may be (bool over the box): not the eyes, not the brows, grown by
        EYE_MARGIN: the lashes, and a brow's edge beyond its landmarks (the target's brow under the
        source's read as a second brow; a top rim just under a brow is lost with it, and drawn
        back with its lens: find_lenses)."""
        return ~(self.eyes | self._grown([list(ft.LEFT_BROW), list(ft.RIGHT_BROW)]))

    @cached_property
    def lenses(self) -> list[Lens | None]:
        """Each eye's lens (find_lenses), read once per look for the score and the frames."""
        return find_lenses(self)

    @cached_property
    def eye_axes(self) -> list[_Axes]:
        """Each eye's axes (_eyes), worked out once per look."""
        return _eyes(self.points)

    @cached_property
    def between_axes(self) -> _Axes:
        """The axes between the eyes (_bridge)."""
        return _bridge(self.eye_axes)

    @cached_property
    def bridge(self) -> Bridge | None:
        """The bar between this look's lenses (find_bridge)."""
        return find_bridge(self, self.lenses)

    @cached_property
    def eyes(self) -> np.ndarray:
        """The eyes and their lashes (bool over the box): grown by EYE_MARGIN."""
        return self._grown([ft.left_eye(), ft.right_eye()])

    def _grown(self, polygons: list) -> np.ndarray:
        """bool over the box: the mesh's `polygons`, grown by EYE_MARGIN."""
        mask = np.zeros(self.dark.shape, np.uint8)
        margin = max(1, round(EYE_MARGIN * self.face_w))
        for poly in polygons:
            outline = [np.round(self.points[poly]).astype(np.int32)]
            cv2.fillPoly(mask, outline, 255)
            cv2.polylines(mask, outline, True, 255, 2 * margin + 1)  # grown by the margin, cheaply
        return mask > 0


@dataclass(frozen=True)
class _Axes:
    """A frame of reference on the face: a centre, a unit axis, its normal (down the image) and the
    unit length along each."""

    centre: np.ndarray
    u: np.ndarray
    v: np.ndarray
    along: float
    down: float

    def at(self, along: np.ndarray, down: np.ndarray) -> np.ndarray:
        """Pixel positions of (along, down) in units, as an (..., 2) array."""
        a, d = along * self.along, down * self.down
        # x and y each whole, then stacked: broadcast over a last axis of 2, the same sums took
        # 0.35 ms for a ring's 10 000 points
        return np.stack([self.centre[k] + self.u[k] * a + self.v[k] * d for k in (0, 1)], axis=-1)

    def grid(self, along: np.ndarray, down: np.ndarray) -> np.ndarray:
        """Pixel positions of every (along[i], down[j]) in units (1-D arrays), as a (len(down),
        len(along), 2) array: `at` over their meshgrid, the same sums, without the meshgrid."""
        a, d = along * self.along, down * self.down
        rows = [np.add.outer(self.v[k] * d, self.centre[k] + self.u[k] * a) for k in (0, 1)]
        return np.stack(rows, axis=-1)


def _between(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The middle of a and b, the unit axis from a to b, its normal pointing down the image, and
    half the distance."""
    axis = b - a
    half = max(float(np.hypot(*axis)) / 2, 1.0)
    u = (axis / (2 * half)).astype(np.float32)
    v = np.array([-u[1], u[0]], np.float32)
    return (a + b) / 2, u, (v if v[1] >= 0 else -v), half


def _eyes(points: np.ndarray) -> list[_Axes]:
    """Each eye's axes: centred between its corners, along the line from its outer to its inner
    corner, in its half width (FLAT of it down the face)."""
    out = []
    for (outer, inner), _ in EYES:
        centre, u, v, half = _between(points[outer], points[inner])
        out.append(_Axes(centre, u, v, half, FLAT * half))
    return out


def _bridge(eyes: list[_Axes]) -> _Axes:
    """Axes between the eyes' centres, along the line joining them, in the eyes' mean half width."""
    centre, u, v, _ = _between(eyes[0].centre, eyes[1].centre)
    unit = (eyes[0].along + eyes[1].along) / 2
    return _Axes(centre, u, v, unit, unit)


def look(frame: np.ndarray, points: np.ndarray) -> Look | None:
    """The eye region of the face of mesh `points` (frame coordinates) in `frame` (BGR), ready to be
    scored and, where glasses are worn, cut out; None where too little of it is in the frame."""
    h, w = frame.shape[:2]
    eyes = _eyes(points)
    reach = max(REACH * eye.along for eye in eyes)
    centres = np.array([eye.centre for eye in eyes])
    x0, y0 = np.floor(centres.min(0) - reach).astype(int)
    x1, y1 = np.ceil(centres.max(0) + reach).astype(int)
    box = (max(int(x0), 0), max(int(y0), 0), min(int(x1), w), min(int(y1), h))
    if box[2] - box[0] < 8 or box[3] - box[1] < 8:
        return None
    face_w = ft.face_width(points)
    grey = cv2.cvtColor(frame[box[1] : box[3], box[0] : box[2]], cv2.COLOR_BGR2GRAY)
    k = max(3, round(KERNEL * face_w) | 1)
    # a square closing: separable, a fraction of a round one's cost, and a line is thin either way
    dark = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    return Look(box, dark, points - np.float32(box[:2]), face_w)


def _sample(image: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`image` at the nearest pixels of `positions` (..., 2), 0 outside it."""
    # one two-channel map, as the positions come: split into x and y, each was copied first
    where = np.ascontiguousarray(positions, dtype=np.float32)
    return cv2.remap(image, where, None, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


@cache
def _ring(steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The ring's sample points (along, down) in units, SECTORS * ANGLES_PER_SECTOR rays of `steps`
    radii each, a sector's rays in consecutive rows."""
    angles = np.linspace(-np.pi, np.pi, SECTORS * ANGLES_PER_SECTOR, endpoint=False)
    radii = np.linspace(RING[0], RING[1], steps)
    return np.outer(np.cos(angles), radii), np.outer(np.sin(angles), radii)


def score(found: Look) -> float:
    """How surely the face wears glasses, 0..1: the least of each eye's longest unbroken run of
    ring sectors crossed by a line (sectors on an eye or a brow count as crossed) and the share of
    the bridge's columns crossed by one. Sampled along rays and columns about a pixel apart."""
    line, free = 1, 2  # one code image sampled once: a line; a place a frame may be
    code = found.lines.view(np.uint8) | (found.free.view(np.uint8) << 1)
    eyes = found.eye_axes
    along, down = _ring(max(2, round((RING[1] - RING[0]) * max(eye.along for eye in eyes))))
    result = 1.0
    for eye in eyes:
        seen = _sample(code, eye.at(along, down)).reshape(SECTORS, -1)
        crossed = (seen == (line | free)).any(1)
        known = (seen & free).any(1)
        result = min(result, _longest_run(crossed | ~known) / SECTORS)
    bridge = found.between_axes
    half_width, above, below = BRIDGE
    per_column = max(1, round(2 * half_width * bridge.along / BRIDGE_COLUMNS))  # about a pixel apart
    samples = BRIDGE_COLUMNS * per_column
    across = (np.arange(samples) + 0.5) * (2 * half_width / samples) - half_width
    downs = np.linspace(-above, below, max(2, round((above + below) * bridge.down)))
    seen = _sample(code, bridge.grid(across, downs))
    crossed = (seen & line).reshape(len(downs), BRIDGE_COLUMNS, per_column).any(axis=(0, 2))
    result = min(result, float(crossed.mean()))
    if result >= LOST:
        # both eyes ringed only by their lids' creases: a face without glasses (lens_hugs)
        if all(lens is not None and lens_hugs(lens) for lens in found.lenses):
            return 0.0
    return result


def lens_hugs(lens: Lens) -> bool:
    """Whether `lens` hugs its eye (its rim, below the eye, nearer than HUGGING): the lids'
    creases, not a frame. Taken for a frame, a creased eye (Obama speaking scored 0.75, the man with
    glasses 0.75) was ringed by the target's own creases on every frame."""
    return float(np.median(lens.reach[_RAYS_DOWN])) < HUGGING


def frames(found: Look, steady: list[Lens | Bridge | None] | None = None) -> np.ndarray | None:
    """The glasses' frames over `found.box` (uint8 strength, with the darkness of the line), or None
    where no line long enough lies in the glasses' zone: around each eye out to REACH, below its
    brow's middle, and between the eyes above the nose; and the lenses' rims and the bridge drawn
    whole, those of `steady` (a track's two lenses and bridge, LensMemory) or, without it, this
    look's own."""
    lenses, bridge = (found.lenses, found.bridge) if steady is None else (steady[:2], steady[2])
    zone = np.zeros(found.dark.shape, np.uint8)
    far = 4 * REACH  # units: a polygon edge well outside the box
    eyes = found.eye_axes
    for eye, (_, brow) in zip(eyes, EYES, strict=True):
        one = np.zeros_like(zone)
        cv2.ellipse(one, ((float(eye.centre[0]), float(eye.centre[1])),
                          (2 * REACH * eye.along, 2 * REACH * eye.down),
                          float(np.degrees(np.arctan2(eye.u[1], eye.u[0])))), 255, -1)
        # nothing above the brow's middle (negative: the brow lies above the eye)
        ceiling = float(np.mean((found.points[list(brow)] - eye.centre) @ eye.v)) / eye.down
        above = eye.at(np.array([-far, far, far, -far]), np.array([ceiling, ceiling, -far, -far]))
        cv2.fillPoly(one, [np.round(above).astype(np.int32)], 0)
        zone |= one
    # the nose below the bridge: its sides' shadows, and the pads, would cross the source's nose
    top, width, widening = NOSE
    nose = found.between_axes.at(np.array([-width, width, width + widening * far, -width - widening * far]),
                            np.array([top, top, top + far, top + far]))
    cv2.fillPoly(zone, [np.round(nose).astype(np.int32)], 0)

    # a frame is a long line: a wrinkle, a lash or a speck of shadow is short
    lines = (found.lines & (zone > 0) & found.free).view(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    long = np.hypot(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) >= MIN_LENGTH * found.face_w
    long[0] = False  # the background
    scale = 255.0 / (HELD_FULL - HELD_FROM)
    strength = np.clip((found.dark.astype(np.float32) - HELD_FROM) * scale, 0, 255)
    held = np.where(long[labels], strength, 0).astype(np.uint8)
    if bridge is not None:  # drawn before the cleaning below: under it, every column is cleaned
        held = np.maximum(held, _drawn_bridge(found, bridge))
    half_width, above, _ = BRIDGE
    parts = [(eye, RING[1], 0.0, REACH * eye.along / eye.down) for eye in eyes]
    strip = half_width if bridge is None else max(half_width, float(np.abs(bridge.ends).max()))
    for axes, across, top, bottom in [*parts, (found.between_axes, strip, -above, NOSE[0])]:
        ys, xs = np.nonzero(held)
        below = _below_the_first(held > 0, axes, across, top, bottom, xs, ys)
        held[ys[below], xs[below]] = 0
    drawn = _drawn_rims(found, lenses)
    if drawn is not None:
        held = np.maximum(held, drawn)
    return held if held.any() else None


class Lens(NamedTuple):
    """A lens' rim, found round its eye: how far out each of the RAYS rays met it (in the eye's
    units, _Axes) and how thick it is seen (px: the median, over the rays, of the line's width at
    half its darkest)."""

    reach: np.ndarray
    width: float


def find_lenses(found: Look) -> list[Lens | None]:
    """Each eye's lens (None where no rim is found round it). The darkness alone (frames) holds the
    rims in pieces: the top rims run under the brows, which are never held, and the inner rims
    beside the nose were cut with it; the swap showed a broken frame. A rim is the first line met
    going out from its eye (beyond it lie the brow, the cheek's folds, the nose's side)."""
    cos, sin = np.cos(RAY_ANGLES), np.sin(RAY_ANGLES)
    on_eye = found.eyes.view(np.uint8)
    out: list[Lens | None] = []
    for eye in found.eye_axes:
        radii = np.arange(0.0, REACH, RAY_STEP / eye.along, dtype=np.float32)
        where = eye.at(np.outer(cos, radii), np.outer(sin, radii))  # (rays, radii, 2)
        dark = _sample(found.dark, where).astype(np.int16)  # 0 beyond the box: no line there
        # past the eye: beyond the last of its pixels on each ray
        eye_yet = np.maximum.accumulate((_sample(on_eye, where) > 0)[:, ::-1], axis=1)[:, ::-1]
        peak, met, thick = _first_lines(dark, (dark >= HELD_FROM) & ~eye_yet)
        reach = _round_the_eye(np.where(met, radii[peak], np.nan))
        if reach is None:
            out.append(None)
            continue
        # each ray's samples apart in px: the unit is eye.along across the eye, eye.down up it
        step = RAY_STEP / eye.along * np.hypot(cos * eye.along, sin * eye.down)
        out.append(Lens(reach, float(np.median((thick * step)[met]))))
    return out


def _first_lines(dark: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Along each row of `dark` (int16 darkness, sampled out along a ray or down a column), where
    `line` marks a line: the index of the darkest point of the first run of line, whether a line
    is met at all, and how many samples of that run are at least half as dark (its width: its run
    over HELD_FROM takes in its blur)."""
    started = np.arange(line.shape[1]) >= np.argmax(line, axis=1)[:, None]
    first = started & ~np.maximum.accumulate(started & ~line, axis=1)
    peak = np.argmax(np.where(first, dark, -1), axis=1)
    strong = first & (dark >= dark[np.arange(len(dark)), peak][:, None] / 2)
    return peak, line.any(1), strong.sum(1)


class Bridge(NamedTuple):
    """The bar between the lenses, found across the nose (in the units of `_bridge`'s axes): where
    it starts and ends across, how far down (from the eyes' line) it lies at BRIDGE_POINTS places
    evenly between them, and how thick it is seen (px)."""

    ends: np.ndarray
    down: np.ndarray
    width: float


def find_bridge(found: Look, lenses: list[Lens | None]) -> Bridge | None:
    """The bridge between `lenses` (each eye's, None where not found), or None where too few of the
    strip's columns meet a line or the lenses leave no room between them. Without a lens, the
    strip ends BRIDGE[0] from the middle on its side."""
    axes = found.between_axes
    half_width, above, _ = BRIDGE
    ends = []
    for side, eye, lens in zip((-1, 1), found.eye_axes, lenses, strict=True):
        if lens is None or lens_hugs(lens):
            ends.append(side * half_width)
            continue
        rim = eye.at(np.float32(lens.reach[_INNER_RAY]), np.float32(0.0))
        ends.append(float((rim - axes.centre) @ axes.u) / axes.along)
    if ends[1] - ends[0] < 2 / axes.along:
        return None
    across = np.linspace(ends[0], ends[1], max(2, round((ends[1] - ends[0]) * axes.along)), dtype=np.float32)
    downs = np.arange(-above, NOSE[0], 1 / axes.down, dtype=np.float32)
    where = axes.grid(across, downs).transpose(1, 0, 2)  # (columns, rows, 2)
    dark = _sample(found.dark, where).astype(np.int16)
    line = (dark >= HELD_FROM) & (_sample(found.free.view(np.uint8), where) > 0)
    peak, met, thick = _first_lines(dark, line)
    down = _steady_path(np.where(met, downs[peak], np.nan))
    if down is None:
        return None
    at = np.linspace(0, len(across) - 1, BRIDGE_POINTS)
    return Bridge(np.array(ends, np.float32), np.interp(at, np.arange(len(across)), down).astype(np.float32),
                  float(np.median(thick[met])))  # rows a pixel apart


@dataclass
class LensMemory:
    """Per track: its glasses' parts as last drawn (each lens, and the bridge), each following a
    frame's find by RIM_FOLLOW (found afresh on every frame, a still face's rims moved by a pixel
    here and there with the camera's noise, and the swap's flicker on the man with glasses went from
    0.42 to 0.52 by bench.quality's flicker measure)."""

    kept: dict[int, list[Lens | Bridge | None]] = field(default_factory=dict)

    def follow(self, track_id: int, found: list[Lens | Bridge | None]) -> list[Lens | Bridge | None]:
        """The track's parts after a frame that found `found` (a part not found is dropped)."""
        before = self.kept.get(track_id)
        if before is not None:
            found = [now if now is None or then is None else
                     type(now)(*(a + RIM_FOLLOW * (b - a) for a, b in zip(then, now, strict=True)))
                     for then, now in zip(before, found, strict=True)]
        self.kept[track_id] = found
        return found

    def keep_only(self, track_ids: set[int]) -> None:
        """Forget the tracks that are gone."""
        for gone in set(self.kept) - track_ids:
            del self.kept[gone]


def _round_the_eye(reach: np.ndarray) -> np.ndarray | None:
    """Each ray's find (units out from the eye; nan where it met no line), with those further than
    RIM_SPREAD from their six neighbours' median dropped and every gap filled between the finds
    either side of it round the eye; None where fewer than RIM_FOUND of the rays kept one."""
    n = len(reach)
    kept = _agreeing(reach, reach[(np.arange(n)[:, None] + np.arange(-3, 4)) % n])
    if len(kept) < RIM_FOUND * n:
        return None
    return np.interp(np.arange(n), np.concatenate([kept - n, kept, kept + n]), np.tile(reach[kept], 3))


def _steady_path(down: np.ndarray) -> np.ndarray | None:
    """`_round_the_eye` along a line: each column's find (nan where none), those further than
    RIM_SPREAD from their neighbours' median (up to three either side) dropped and the gaps filled
    (at the ends, the last find held); None where fewer than RIM_FOUND of the columns kept one."""
    n = len(down)
    near = np.append(down, np.nan)[np.clip(np.arange(n)[:, None] + np.arange(-3, 4), -1, n)]  # -1, n: nan
    kept = _agreeing(down, near)
    if len(kept) < RIM_FOUND * n:
        return None
    return np.interp(np.arange(n), kept, down[kept])


def _agreeing(finds: np.ndarray, near: np.ndarray) -> np.ndarray:
    """The indices of `finds` within RIM_SPREAD of the median of their row of `near` (each find's
    neighbourhood, nan where none), the nans left out."""
    near = np.sort(near, axis=1)  # the nans last: the median of the rest
    count = (~np.isnan(near)).sum(1)
    rows = np.arange(len(finds))
    low, high = near[rows, np.maximum(count - 1, 0) // 2], near[rows, np.maximum(count, 1) // 2 * (count > 0)]
    median = np.where(count > 0, (low + high) / 2, np.nan)
    return np.flatnonzero(np.abs(finds - median) <= RIM_SPREAD)  # nan compares False


def _drawn_rims(found: Look, drawn_lenses: list[Lens | None]) -> np.ndarray | None:
    """The lenses' rims drawn over `found.box` at full strength, each the convex outline of its
    reach round its eye (a lens is convex: a dent is a ray that met a lid's crease first), as thick
    as it is seen (at most KERNEL of the face's width: a line the darkness finds), never over the
    eyes; None where no lens is found."""
    rims = [(eye, lens) for eye, lens in zip(found.eye_axes, drawn_lenses, strict=True)
            if lens is not None and not lens_hugs(lens)]
    if not rims:
        return None
    drawn = np.zeros(found.dark.shape, np.uint8)
    for eye, lens in rims:
        round_it = eye.at(np.cos(RAY_ANGLES) * lens.reach, np.sin(RAY_ANGLES) * lens.reach).astype(np.float32)
        _stroke(drawn, cv2.convexHull(round_it), True, lens.width, found.face_w)
    drawn[found.eyes] = 0
    return drawn


def _drawn_bridge(found: Look, bridge: Bridge) -> np.ndarray:
    """The bridge drawn over `found.box` at full strength along its path, as thick as it is seen
    (at most KERNEL of the face's width), never over the eyes."""
    across = np.linspace(bridge.ends[0], bridge.ends[1], BRIDGE_POINTS, dtype=np.float32)
    drawn = np.zeros(found.dark.shape, np.uint8)
    _stroke(drawn, found.between_axes.at(across, bridge.down), False, bridge.width, found.face_w)
    drawn[found.eyes] = 0
    return drawn


def _stroke(drawn: np.ndarray, line: np.ndarray, closed: bool, seen_width: float, face_w: float) -> None:
    """`line` (points, px) drawn on `drawn` at full strength to a quarter pixel, as thick as the
    frame is seen but no thicker than KERNEL of the face's width (a line the darkness finds)."""
    width = max(1, round(min(seen_width, KERNEL * face_w)))
    cv2.polylines(drawn, [np.round(line * 4).astype(np.int32)], closed, 255, width, cv2.LINE_AA, shift=2)


def _below_the_first(held: np.ndarray, axes: _Axes, across: float, top: float, bottom: float,
                     xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """bool per pixel (`xs`, `ys`) of the box: whether it lies below the first line of `held` met
    going down `axes` from `top` to `bottom` (units), within `across` either side of its centre.
    Under an eye the rim is the first; a fold of the cheek or an eye bag's shadow below it, long and
    dark as a rim is, was held out with it and showed as a dash of the target's skin under each
    lens. Across the bridge the bar's edge is the first; the crease of the nose under it was held
    too, a pink stroke across the swapped nose."""
    step = 1.0 / axes.along  # units a pixel apart
    along = np.arange(-across, across + step, step, dtype=np.float32)
    down = np.arange(top, bottom + step, step, dtype=np.float32)
    seen = _sample(held.view(np.uint8), axes.grid(along, down)) > 0  # (down, along)
    started = np.maximum.accumulate(seen, axis=0)
    # past the first run: after a line has begun, the first row without it, and everything below
    ended = np.maximum.accumulate(started & ~seen, axis=0)
    rel = np.stack([xs, ys], axis=1).astype(np.float32) - axes.centre
    col = np.rint((rel @ axes.u / axes.along + across) / step).astype(np.int32)
    row = np.rint((rel @ axes.v / axes.down - top) / step).astype(np.int32)
    inside = (col >= 0) & (col < len(along)) & (row >= 0) & (row < len(down))
    out = np.zeros(len(xs), bool)
    out[inside] = ended[row[inside], col[inside]]
    return out


def _longest_run(ok: np.ndarray) -> int:
    """The longest run of True in a circular sequence."""
    if ok.all():
        return len(ok)
    best = run = 0
    for value in np.concatenate([ok, ok]):
        run = run + 1 if value else 0
        best = max(best, run)
    return best


@dataclass
class GlassesVote:
    """Per track: whether it wears glasses, from its scores, smoothed so a blink or a reflection
    does not switch the decision (on at FOUND, off again under LOST). A track is scored on its
    first frame and then every SCORE_EVERY frames (`due`): a face without glasses costs a third."""

    scores: dict[int, float] = field(default_factory=dict)
    wearing: dict[int, bool] = field(default_factory=dict)
    frames: dict[int, int] = field(default_factory=dict)

    def due(self, track_id: int) -> bool:
        """Whether this frame of the track is to be scored (call once per frame)."""
        seen = self.frames.get(track_id, 0)
        self.frames[track_id] = seen + 1
        return seen % SCORE_EVERY == 0

    def wears(self, track_id: int) -> bool:
        """The track's decision as it stands."""
        return self.wearing.get(track_id, False)

    def update(self, track_id: int, score: float) -> bool:
        """The decision after a frame that scored `score`."""
        smoothed = self.scores.get(track_id)
        smoothed = score if smoothed is None else smoothed + FOLLOW * (score - smoothed)
        self.scores[track_id] = smoothed
        now = smoothed >= FOUND or (self.wears(track_id) and smoothed >= LOST)
        self.wearing[track_id] = now
        return now

    def keep_only(self, track_ids: set[int]) -> None:
        """Forget the tracks that are gone."""
        for gone in (set(self.frames) | set(self.scores)) - track_ids:
            self.frames.pop(gone, None)
            self.scores.pop(gone, None)
            self.wearing.pop(gone, None)


def in_box(held: np.ndarray, held_box: PixelBox, box: PixelBox) -> np.ndarray | None:
    """`held` (over `held_box`) over `box` (uint8, zeros where it does not reach), or None where
    the two boxes do not meet."""
    x0, y0 = max(box[0], held_box[0]), max(box[1], held_box[1])
    x1, y1 = min(box[2], held_box[2]), min(box[3], held_box[3])
    if x1 <= x0 or y1 <= y0:
        return None
    out = np.zeros((box[3] - box[1], box[2] - box[0]), np.uint8)
    out[y0 - box[1] : y1 - box[1], x0 - box[0] : x1 - box[0]] = \
        held[y0 - held_box[1] : y1 - held_box[1], x0 - held_box[0] : x1 - held_box[0]]
    return out
