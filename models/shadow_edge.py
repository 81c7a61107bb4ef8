"""A hard shadow's edge down a face: a lamp close beside the screen, the sun through a window.

The relight's surfaces (models/relight.py) are smooth: a shadow that ends in a sharp line down
the target's face came out as a soft ramp across the swap, and the line stopped at the swap's edge
while it ran on in the hair and the background above and below it. Here a face's lightness,
sampled where the relight samples it, is fitted by the quadratic surface plus a step along a
straight line (find_edge), both in log(L + 41): a shadow scales the light, and L + 41 (8-bit LAB)
goes as its cube root (models/color.py: exposure_gain), so the step is a factor of the light.
Taken as a difference in L instead, the step that took the frame's skin beside the nose from 202
to 85 took the swap's darker skin there from 162 to 48; as a factor, to 61.

The line lies within EDGE_DEGREES of upright: a face's own lines (its brows, lids, lips, a beard's
edge) run across it, and let in at any angle, lines 75-105 degrees from upright explained
0.27-0.44 of what the quadratic leaves on faces in even light. The edge is taken where it explains
EDGE_SHARE of that and steps by EDGE_MIN_STEP to EDGE_MAX_STEP, and put on the swap; per track,
EdgeMemory follows it from frame to frame, so that an edge found in one frame and missed in the
next fades instead of flickering. A photo that shows such an edge of its own (shows_edge, at
upload) already carries a shadow: put on again, the frame's edge doubled it (the social set's
`s6-2` onto her own frames, 0.098 -> 0.159 from her photo by dlib's measure; 0.098 with this
check), so no edge is put on its swaps. And an edge is taken only where the box's pixels beyond
the face step the same way across it (runs_past): a shadow cast on a face falls on its hair, its
neck and the room too. Without that, a real photo lit by a lamp from the side (`s3-3`) had her
nose's lit and shaded flanks read as an edge, and onto her own frames her swap went from 0.103
and 0.094 to 0.245 and 0.285 from her photo (with it, unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from models.color import BLACK_OFFSET
from models.surfaces import gram, terms

EDGE_DEGREES = (-30.0, -20.0, -10.0, 0.0, 10.0, 20.0, 30.0)  # the line's directions, from upright
EDGE_PLACES = np.linspace(-0.35, 0.35, 15)  # where it may cross: from the box's centre, of its larger side
EDGE_SIDE = 0.25  # the share of the face's samples each side of a line must hold at least
EDGE_WIDTHS = (0.008, 0.02)  # of the box's larger side: the sigmoid's scale (a soft edge is the surfaces')
EDGE_SHARE = 0.3  # of the variance the quadratic leaves, which the edge must explain
EDGE_MIN_STEP = 0.1  # of log(L + 41): about 20 levels of 8-bit LAB lightness on lit skin
# the deepest shadow taken: L + 41 goes as the cube root of the light, so 1.1 is a thirtieth of
# it (the bench's lamp, the shade at 0.4 of each channel's level, steps by 0.65-0.8). Larger steps
# are the quadratic and the sigmoid cancelling: a soft photo's turned cheek (held out, the woman in
# a hat) was once read as a step of +1.38 in one frame
EDGE_MAX_STEP = 1.1
EDGE_PAST = 0.5  # of the edge's step: what the box's pixels beyond the face must step by, the same way
EDGE_PAST_SAMPLES = 20  # of them, each side of the line at least: fewer, and the edge is not taken
EDGE_SAMPLES = 400  # the fit uses at most this many samples (every k-th): a line across the face is long
# per frame, a kept edge moves this share of the way to the one found. Found afresh in each frame
# of a still face, its place and step move with the camera's noise: bench.quality's flicker measure
# under --light shadow (three targets, two sources, ad hoc) read 0.44 and 0.45 without edges, 0.47
# and 0.50 following by half, 0.46 and 0.47 by 0.3
EDGE_FOLLOW = 0.3
EDGE_FADE = 0.5  # per frame, a kept edge not found again keeps this share of its step
EDGE_SAME = np.radians(15.0)  # an edge found further from the kept one's direction starts afresh
# a track with no edge kept is searched every EDGE_LOOK_EVERY-th frame, one with an edge on every
# frame: the search was 0.6-0.8 ms of a 640x480 frame's 12-14 (bench.engine), and most faces have
# no shadow's edge. A shadow that comes is found within that many frames; it rises by EDGE_FOLLOW a
# frame from then on, as before
EDGE_LOOK_EVERY = 3


class Edge(NamedTuple):
    """A step of `step` in log(L + 41) across a straight line: `angle` (radians) from upright,
    crossing `offset` from the box's centre along the line's normal (cos angle, sin angle), in units
    of the box's larger side, its sigmoid `width` wide in those units. Positive `step`: lighter past
    the line."""

    step: float
    angle: float
    offset: float
    width: float

    def distance(self, xs: np.ndarray, ys: np.ndarray, scale: float) -> np.ndarray:
        """How far past the line pixels (xs, ys) of a box `scale` px large lie, in units of its
        larger side (negative before it)."""
        return across_line(xs / scale, ys / scale, np.cos(self.angle), np.sin(self.angle)) - self.offset

    def at(self, xs: np.ndarray, ys: np.ndarray, scale: float) -> np.ndarray:
        """The step in log(L + 41) at pixels (xs, ys) (float arrays of one shape), a box `scale` px large."""
        return (self.step * sigmoid(self.distance(xs, ys, scale) / self.width)).astype(np.float32)

    def image(self, shape: tuple[int, int]) -> np.ndarray:
        """float32 (h, w): the step over a box of `shape`."""
        h, w = shape
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        return self.at(xs, ys, float(max(h, w)))


def across_line(x: np.ndarray, y: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """How far across a line (its normal (cos, sin)) the points (x, y) lie, from the box's centre
    (x and y in units of its larger side): a line turned a little about the face keeps its offset,
    and an edge found at 0 degrees in one frame and 10 in the next is followed as one (from the
    box's corner, the same line's offsets were 0.35 and 0.45 apart, and the blend between them
    drew it elsewhere: flicker)."""
    return (x - 0.5) * cos + (y - 0.5) * sin


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 + 0.5 * np.tanh(0.5 * x)


def exposure(lightness: np.ndarray) -> np.ndarray:
    """8-bit LAB lightness as log(L + 41), in which a shadow's step is the same on dark and light skin."""
    return np.log(np.asarray(lightness, np.float64) + BLACK_OFFSET)


def find_edge(lightness: np.ndarray, xs: np.ndarray, ys: np.ndarray, scale: float) -> Edge | None:
    """The straight shadow edge in a face's lightness (8-bit LAB, (n,)) at pixels (xs, ys) of a box
    `scale` px large, over the quadratic surface fitted with it (both in log(L + 41)); None where
    no edge explains EDGE_SHARE of what the quadratic alone leaves, or steps by less than
    EDGE_MIN_STEP."""
    every = max(1, -(-len(lightness) // EDGE_SAMPLES))
    v = exposure(lightness[::every])
    if len(v) < 60:
        return None
    x, y = xs[::every] / scale, ys[::every] / scale
    quad = terms(x, y).astype(np.float64)
    normal = gram(quad, quad)
    rest = v - quad @ np.linalg.solve(normal, quad.T @ v)  # what the quadratic alone leaves
    total = float(rest @ rest)
    if total <= 0.0:
        return None
    # every candidate line at once (n, angles x places x widths), in float32 (a tenth of the time);
    # worked out with the samples along the last axis, where numpy's loops run long (samples first,
    # its loops ran over the widths' two: the lines took 0.47 ms of a 0.92 ms search on 340
    # samples, 0.27 now, the same values), then laid out a sample a row
    angles = np.radians(EDGE_DEGREES)
    across = across_line(x[:, None], y[:, None], np.cos(angles), np.sin(angles))
    places, widths = np.asarray(EDGE_PLACES), np.asarray(EDGE_WIDTHS)
    shape = (len(angles), len(places), len(widths))
    scaled = (across.T[:, None, None, :] - places[:, None, None]) / widths[:, None]
    lines = np.ascontiguousarray(sigmoid(scaled.astype(np.float32)).reshape(-1, len(v)).T)
    # each line less what the quadratic takes of it, without forming it: `rest` has nothing of the
    # quadratic in it, so its dot with the line is the line's own; the line's length less the part
    # the quadratic explains (quad' line, through the normal matrix's inverse)
    # (einsum, not BLAS: products this small took 2-4 ms in BLAS's threads on a busy machine, 0.2 ms here)
    along = np.einsum("ik,ij->kj", quad.astype(np.float32), lines).astype(np.float64)
    taken = np.einsum("ij,ij->j", along, np.linalg.solve(normal, along))
    norms = np.einsum("ij,ij->j", lines, lines).astype(np.float64) - taken
    dots = np.einsum("i,ij->j", rest.astype(np.float32), lines).astype(np.float64)
    explained = (dots * dots / np.maximum(norms, 1e-9)).reshape(shape)
    # a line with few samples past it is a corner of hair or an eye, no shadow across the face
    past = (across[:, :, None] > places).mean(axis=0)  # (angles, places)
    explained[(past < EDGE_SIDE) | (past > 1 - EDGE_SIDE)] = 0.0
    a, p, w = np.unravel_index(int(np.argmax(explained)), shape)
    # between the grid's lines: the peak of a parabola through the best and its neighbours, in
    # angle and in place (on the grid alone, a still face's edge jumped a grid step from frame to
    # frame with the camera's noise)
    angle = float(angles[a] + _peak(explained[:, p, w], a) * (angles[1] - angles[0]))
    place = float(places[p] + _peak(explained[a, :, w], p) * (places[1] - places[0]))
    line = sigmoid((across_line(x, y, np.cos(angle), np.sin(angle)) - place) / widths[w])
    line -= quad @ np.linalg.solve(normal, quad.T @ line)
    norm = max(float(line @ line), 1e-9)
    step = float(rest @ line) / norm
    if step * step * norm < EDGE_SHARE * total or not EDGE_MIN_STEP <= abs(step) <= EDGE_MAX_STEP:
        return None
    return Edge(step, angle, place, float(widths[w]))


def runs_past(edge: Edge, lightness: np.ndarray, xs: np.ndarray, ys: np.ndarray, scale: float,
              share: float = EDGE_PAST) -> bool:
    """Whether the box's pixels the face does not cover (8-bit LAB `lightness` at (xs, ys): hair,
    neck, background) step the same way across `edge`'s line, by `share` of its step or more,
    in the medians either side: a cast shadow falls on them too, a nose's lit and shaded flanks
    do not (the lamp-lit `s3-3` of the social set: her frames' edge -0.5, the pixels beyond her
    face +1.2, her dark hair on one side and a lit room on the other; under the bench's shadow
    -0.41 to -0.74 for edges of -0.57 to -0.76)."""
    past = edge.distance(xs, ys, scale) > 0
    if min(int(past.sum()), int((~past).sum())) < EDGE_PAST_SAMPLES:
        return False
    light = exposure(lightness)
    step = float(np.median(light[past]) - np.median(light[~past]))
    return step * edge.step > 0 and abs(step) >= share * abs(edge.step)


def shows_edge(lightness: np.ndarray, mask: np.ndarray, step: int = 3) -> bool:
    """Whether a photo's face (8-bit LAB `lightness`, the face where `mask` is over 128) shows a
    hard shadow's edge of its own, sampled every `step` pixels as the frames are."""
    ys, xs = np.mgrid[0 : mask.shape[0] : step, 0 : mask.shape[1] : step].astype(np.float32)
    pick = mask[::step, ::step] > 128
    found = find_edge(lightness[::step, ::step][pick], xs[pick], ys[pick], float(max(mask.shape)))
    return found is not None


def _peak(values: np.ndarray, at: int) -> float:
    """Where between -0.5 and 0.5 of a step from `at` the parabola through values[at - 1: at + 2] peaks."""
    if not 0 < at < len(values) - 1:
        return 0.0
    before, here, after = values[at - 1 : at + 2]
    bend = before - 2 * here + after
    return float(np.clip(0.5 * (before - after) / bend, -0.5, 0.5)) if bend < 0 else 0.0


@dataclass
class EdgeMemory:
    """Per track: the edge on its face as last drawn. A found edge is followed by EDGE_FOLLOW of the
    way (a new one rises from no step); one not found again fades by EDGE_FADE a frame and is
    dropped under half of EDGE_MIN_STEP. A track with no edge kept is searched every
    EDGE_LOOK_EVERY-th frame (due)."""

    kept: dict[int, Edge] = field(default_factory=dict)
    frames: dict[int, int] = field(default_factory=dict)  # per track, frames asked about (due)

    def due(self, key: int) -> bool:
        """Whether to search track `key`'s face in this frame (call once per frame): on its first
        frame, on every frame while an edge is kept, and every EDGE_LOOK_EVERY-th otherwise."""
        seen = self.frames.get(key, 0)
        self.frames[key] = seen + 1
        return key in self.kept or seen % EDGE_LOOK_EVERY == 0

    def follow(self, key: int, found: Edge | None) -> Edge | None:
        """The edge to draw on track `key`'s face in a frame that found `found`."""
        before = self.kept.get(key)
        if found is None:
            if before is None:
                return None
            now = before._replace(step=before.step * EDGE_FADE)
            if abs(now.step) < EDGE_MIN_STEP / 2:
                del self.kept[key]
                return None
        elif before is None or abs(found.angle - before.angle) > EDGE_SAME or found.step * before.step < 0:
            now = found._replace(step=EDGE_FOLLOW * found.step)
        else:
            now = Edge(*(a + EDGE_FOLLOW * (b - a) for a, b in zip(before, found, strict=True)))
        self.kept[key] = now
        return now

    def keep_only(self, track_ids: set[int]) -> None:
        """Forget the tracks that are gone."""
        for gone in (set(self.kept) | set(self.frames)) - track_ids:
            self.kept.pop(gone, None)
            self.frames.pop(gone, None)
