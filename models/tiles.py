"""Where the face detector looks besides the whole frame, and when.

BlazeFace reads a frame shrunk to its input (192 px for the full-range model), so a face under an
eighth of the frame's height is a few of its pixels across. In insightface's `t1.jpg` (1280x886,
six people, faces 100-130 px) the full-range model finds three; in four overlapping tiles, each
`SHARE` of the frame's width and height, it finds five, and the sixth in most frames of a video.
A stream of seven people each alone, their faces 8% of a 640x480 frame's height, was swapped in
79% of its frames without the tiles and 96% with them (`python -m bench.finding`).

The tiles overlap by 1 - 2 * (1 - SHARE) of the frame each way, so any face smaller than that lies
whole in one of them; a find that reaches a tile's inner edge is a face cut by it, held whole by
another tile or by the whole frame, and is dropped.
"""

from __future__ import annotations

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in the frame's pixels
Tile = tuple[int, int, int, int]

SHARE = 0.6  # of the frame's width and height, each tile
COUNT = 4
EDGE = 2.0  # px: a find this near a tile's inner edge runs on past it


def tiles(width: int, height: int, share: float = SHARE) -> list[Tile]:
    """The frame's tiles (x1, y1, x2, y2): its four corners, each `share` of its width and height."""
    tw, th = round(width * share), round(height * share)
    return [(x, y, x + tw, y + th) for y in (0, height - th) for x in (0, width - tw)]


def cut_by(box: Box, tile: Tile, width: int, height: int) -> bool:
    """Whether `box` reaches an edge of `tile` that is not an edge of the frame (`width` x `height`)."""
    x1, y1, x2, y2 = tile
    return ((x1 > 0 and box[0] <= x1 + EDGE) or (y1 > 0 and box[1] <= y1 + EDGE)
            or (x2 < width and box[2] >= x2 - EDGE) or (y2 < height and box[3] >= y2 - EDGE))


def is_new(box: Box, known: list[Box]) -> bool:
    """Whether `box`'s centre lies outside every box in `known` (a face not found yet)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return not any(k[0] <= cx <= k[2] and k[1] <= cy <= k[3] for k in known)


class TileSweep:
    """Which tile a video's face detection looks at, besides the whole frame.

    On the frame after each look at the whole frame (every few frames, or every frame while no
    face is followed), one tile is looked at, in turn: a small face is found within `count`
    detections, for one more detector call a detection, and never on the frame that already
    pays for the whole frame's. A look that finds a new face starts a sweep: every tile, one a
    frame, on the frames that follow, so a group that comes into view is found within a few
    frames, not `count` detections."""

    def __init__(self, count: int = COUNT) -> None:
        self.count = count
        self._next = 0
        self._owed = 0  # tiles to look at, one a frame, from the next frame on

    def tile(self, detecting: bool) -> int | None:
        """The tile to look at in this frame (None: none). `detecting`: the whole frame is."""
        index = None
        if self._owed:
            self._owed -= 1
            index = self._next
            self._next = (index + 1) % self.count
        if detecting:
            self._owed = max(self._owed, 1)
        return index

    def found(self) -> None:
        """This frame's look found a face not followed yet: sweep every tile next."""
        self._owed = self.count
