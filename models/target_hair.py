"""The target's own hair over its cheeks, kept in front of the swap.

Long hair that falls over a cheek lies inside the mesh's outline: FaceMesh draws the face's oval
where the face would be, under the hair. The swap's mask covered it, and the source's skin was
drawn over the target's hair there: a pale or grey smear on dark hair (bench.quality's `s6-2`,
`s3-3`, `s5-5`; `t1.jpg`'s first woman). The hair is found as on a source photo (side_hair.
hair_edges), in the frame a track's face is in, every LOOK_EVERY frames. Its edge is kept in the
face's own units (rows up the face's axis, each at a share of the outline's distance from it),
followed from look to look (HairWatch), and drawn as a cut on the mesh of the look's frame; between
looks the cut moves with the face (follow).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import cv2
import numpy as np

from models.shape import fit_affine
from models.side_hair import HairEdge, hair_cut, outline_reach

LOOK_EVERY = 10  # frames between looks at a track's face (a look costs 3-4.5 ms at 640x480, one core)
MISSES = 2  # looks in a row without a side's hair before it is let go (one missed look is no change)
FOLLOW = 0.5  # of the way a kept edge moves toward the one a new look finds
SHRINK = 2  # a frame's cut worked at half the size (hair_cut)


@dataclass
class HairWatch:
    """Per track: the edges of its face's hair, as last looked at (see the module's docstring)."""

    frames: dict[int, int] = field(default_factory=dict)
    kept: dict[int, dict[int, HairEdge]] = field(default_factory=dict)  # per track, per side
    missed: dict[int, dict[int, int]] = field(default_factory=dict)
    cuts: dict[int, DrawnCut] = field(default_factory=dict)  # per track, its cut as drawn at the last look

    def due(self, track_id: int) -> bool:
        """Whether to look at the track's face in this frame (call once per frame): on its first
        frame, and every LOOK_EVERY-th after, halfway between the frames the tracker looks for
        faces on (every 10th from a track's first: mediapipe_faces.FaceTracker). On the same
        frames, a look's 3 ms came on top of the detector's, in `bench.engine`'s slowest frames."""
        seen = self.frames.get(track_id, 0)
        self.frames[track_id] = seen + 1
        return seen == 0 or seen % LOOK_EVERY == LOOK_EVERY // 2

    def update(self, track_id: int, found: list[HairEdge]) -> None:
        """What a look at the track's face found: each side's edge followed FOLLOW of the way (a new
        one taken as found), and a side not found let go after MISSES looks in a row."""
        kept = self.kept.setdefault(track_id, {})
        missed = self.missed.setdefault(track_id, {})
        seen = {edge.side: edge for edge in found}
        for side in set(kept) | set(seen):
            now, before = seen.get(side), kept.get(side)
            if now is None:
                missed[side] = missed.get(side, 0) + 1
                if missed[side] >= MISSES:
                    del kept[side]
                    missed.pop(side)
                continue
            missed.pop(side, None)
            kept[side] = now if before is None else HairEdge(
                side, *(a + FOLLOW * (b - a) for a, b in zip(before[1:], now[1:], strict=True)))

    def edges(self, track_id: int) -> list[HairEdge]:
        return list(self.kept.get(track_id, {}).values())

    def keep_only(self, track_ids: set[int]) -> None:
        """Forget the tracks that are gone."""
        for gone in (set(self.frames) | set(self.kept) | set(self.cuts)) - track_ids:
            self.frames.pop(gone, None)
            self.kept.pop(gone, None)
            self.missed.pop(gone, None)
            self.cuts.pop(gone, None)


class DrawnCut(NamedTuple):
    """A track's hair cut as drawn at its last look: uint8 over the box at `origin` (x, y) of the
    frame, on the mesh `points` (frame pixels) the face had then."""

    cut: np.ndarray
    origin: tuple[int, int]
    points: np.ndarray


def draw(edges: list[HairEdge], points: np.ndarray, box: tuple[int, int, int, int]) -> DrawnCut | None:
    """The cut past each of `edges` on the face `points` (frame pixels), over `box` (x0, y0, x1,
    y1): each row's edge at its share of this mesh's outline. None where no edge fits this mesh."""
    p = points[:, :2].astype(np.float32)
    local = p - np.float32(box[:2])
    now = []
    for edge in edges:
        reach = outline_reach(local, edge.side, edge.heights)
        if reach is not None:
            now.append(edge._replace(reach=reach))
    if not now:
        return None
    cut = hair_cut((box[3] - box[1], box[2] - box[0]), local, now, SHRINK)
    return DrawnCut(cut, (box[0], box[1]), p)


def follow(drawn: DrawnCut, points: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """uint8 over `box`: `drawn` moved with the face from its mesh then to `points` (frame pixels)
    by the affine map that fits all of them best: 0.2-0.5 ms a frame at 640x480, against 0.5-0.7
    to draw it afresh (one core; the same flicker on a still target)."""
    now = points[:, :2].astype(np.float32)
    back = fit_affine(now, drawn.points)  # this frame's pixels -> the drawing's
    ox, oy = box[:2]
    dx, dy = drawn.origin
    m = back.astype(np.float64)
    m[:, 2] += m[:, 0] * ox + m[:, 1] * oy - (dx, dy)
    size = (box[2] - box[0], box[3] - box[1])
    return cv2.warpAffine(drawn.cut, m, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)

