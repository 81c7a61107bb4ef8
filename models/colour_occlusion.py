"""Anything in front of a face that is not a hand (a cup, a microphone, a card), from the face's own
recent frames: what no longer looks like this face is held out of the swap.

Each face is aligned by its five points into a small square (the ArcFace layout, so a turn of the
head or a step toward the camera keeps every cell on the same part of the face) and cut into a grid
of cells. Per face, each cell keeps a running LAB colour and how much it usually varies. A cell whose
colour now differs from its model far more than it usually does, after the change the whole face
shares (light, exposure, white balance) is taken out, is covered. Single cells are noise and are
dropped. The eyes and the mouth change by themselves (blinks, speech): they are never evidence of
cover, and count as covered when a covered region reaches within two cells of them.

Learning: uncovered cells follow the face quickly (expression, light); covered cells almost not, so
a cup held up for a few seconds stays a cup, and a lasting change (a new shadow) is learned in about
ten seconds.

Catches: an object of another colour or brightness than the skin it covers, that comes in front of a
face the stream has already seen for `WARMUP` frames. Misses: an object present since the face was
first seen (it is learned as the face), an object the colour of the skin it covers, and what lies
outside the aligned square (the top of the forehead, the jaw's edge).
"""

from __future__ import annotations

import cv2
import numpy as np
from insightface.utils.face_align import arcface_dst

from models.engine import PixelBox

GRID = 16  # cells a side
CELL = 4  # pixels a cell side in the aligned square
WARMUP = 8  # frames a face is watched before any cell may count as covered
FOLLOW = 0.15  # learning rate of uncovered cells
HOLD = 0.003  # learning rate of covered cells
MIN_DELTA = 14.0  # LAB distance a cell must move, beyond the face's shared change, to count
SPREAD = 4.0  # ... and this many times its usual variation

SIZE = GRID * CELL


def template(size: int = SIZE) -> np.ndarray:
    """ArcFace's five points in a `size` px square, with room for the forehead and chin."""
    pts = arcface_dst.astype(np.float32) * (size / 128.0)
    pts[:, 0] += 8.0 * size / 128.0
    pts[:, 1] += 4.0 * size / 128.0
    return pts


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2 x 3 rotation, scale and shift taking the points `src` to `dst` by least squares."""
    s_mean, d_mean = src.mean(0), dst.mean(0)
    s, d = src - s_mean, dst - d_mean
    a = float((s * d).sum())
    b = float((s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0]).sum())
    norm = float((s**2).sum()) or 1.0
    c, sn = a / norm, b / norm
    rot = np.array([[c, -sn], [sn, c]], np.float32)
    shift = d_mean - rot @ s_mean
    return np.hstack([rot, shift[:, None]]).astype(np.float32)


def face_cells(size: int = SIZE) -> np.ndarray:
    """bool GRID x GRID: the cells of the aligned square that are face (an ellipse around the points)."""
    ys, xs = np.mgrid[0:GRID, 0:GRID].astype(np.float32) + 0.5
    pts = template(size) / CELL
    cx, cy = pts[:, 0].mean(), (pts[:2, 1].mean() + pts[3:, 1].mean()) / 2
    rx, ry = 0.3 * GRID, 0.42 * GRID  # inner face: its edges slide over the background as the head turns
    return ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 <= 1.0


def moving_cells(size: int = SIZE) -> np.ndarray:
    """bool GRID x GRID: the eyes and the mouth, which change by themselves (blinks, speech). They
    are never evidence of cover; they count as covered only inside a covered region."""
    ys, xs = np.mgrid[0:GRID, 0:GRID].astype(np.float32) + 0.5
    pts = template(size) / CELL
    eyes = np.zeros((GRID, GRID), bool)
    for x, y in pts[:2]:
        eyes |= ((xs - x) / 1.6) ** 2 + ((ys - y) / 1.0) ** 2 <= 1.0
    mx, my = pts[3:].mean(0)
    half = (pts[4, 0] - pts[3, 0]) / 2 + 1.0
    mouth = ((xs - mx) / half) ** 2 + ((ys - my) / 1.6) ** 2 <= 1.0
    return eyes | mouth


class CellModel:
    """One face's colour per cell and its usual variation; says which cells are covered (pure)."""

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.spread = np.full((GRID, GRID), 2.0, np.float32)
        self.seen = 0
        self.face = face_cells()
        self.moving = moving_cells()
        self.evidence = self.face & ~self.moving

    def check(self, cells: np.ndarray) -> np.ndarray:
        """`cells` (GRID x GRID x 3, LAB) of this frame -> bool GRID x GRID, True where covered.
        Learns from the frame."""
        if self.mean is None:
            self.mean = cells.copy()
        delta = cells - self.mean
        shared = np.median(delta[self.face], axis=0)  # light and exposure move the whole face
        distance = np.linalg.norm(delta - shared, axis=2)
        # a fast turn leaves the alignment behind and moves every edge a little: the typical cell's
        # change this frame raises the bar for all (a cup covers far fewer than half the cells)
        typical = float(np.median(distance[self.evidence]))
        covered = (distance > np.maximum(max(MIN_DELTA, 3 * typical), SPREAD * self.spread)) & self.evidence
        if self.seen < WARMUP:
            covered[:] = False
        covered = _clean(covered)
        # eyes and mouth next to covered cells are behind the same object
        near = cv2.dilate(covered.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        covered = (covered | (near & self.moving)) & self.face
        rate = np.where(covered, HOLD, FOLLOW).astype(np.float32)
        self.mean += rate[..., None] * delta
        self.spread += rate * (np.minimum(distance, 2 * MIN_DELTA / SPREAD) - self.spread)
        self.seen += 1
        return covered


def _clean(covered: np.ndarray) -> np.ndarray:
    """Drop cells with fewer than two covered neighbours (noise); fill holes one cell wide."""
    u8 = covered.astype(np.uint8)
    neighbours = cv2.filter2D(u8, -1, np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], np.float32),
                              borderType=cv2.BORDER_CONSTANT)
    u8 &= (neighbours >= 2).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    return cv2.morphologyEx(u8, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_CONSTANT) > 0


class ObjectOccluder:
    """Per video stream: a CellModel per tracked face, and the covered part of each face's box."""

    def __init__(self) -> None:
        self._models: dict[int, CellModel] = {}
        self._covered: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # track -> (cells, aligned->frame)

    def update(self, frame: np.ndarray, faces: list[tuple[int, np.ndarray]]) -> None:
        """`faces`: (track id, five points) of each face in this frame."""
        self._covered = {}
        for track, kps in faces:
            matrix = similarity(np.asarray(kps, np.float32), template())
            aligned = cv2.warpAffine(frame, matrix, (SIZE, SIZE), flags=cv2.INTER_AREA,
                                     borderMode=cv2.BORDER_REPLICATE)
            small = cv2.resize(aligned, (GRID, GRID), interpolation=cv2.INTER_AREA)
            cells = cv2.cvtColor(small.astype(np.float32) * (1.0 / 255.0), cv2.COLOR_BGR2LAB)
            model = self._models.setdefault(track, CellModel())
            covered = model.check(cells)
            if covered.any():
                self._covered[track] = (covered, cv2.invertAffineTransform(matrix))
        for track in set(self._models) - {track for track, _ in faces}:
            del self._models[track]  # a face that left: a new one with its id starts afresh

    def mask(self, track: int, box: PixelBox) -> np.ndarray | None:
        """uint8 mask over `box`, 255 where the face `track` is covered, feathered; None if nowhere."""
        found = self._covered.get(track)
        if found is None:
            return None
        covered, inverse = found
        x0, y0, x1, y1 = box
        # one cell more all round: a cell that straddles the object's edge is often not flagged
        grown = cv2.dilate(covered.astype(np.uint8) * 255, np.ones((3, 3), np.uint8))
        cells = cv2.resize(grown, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
        shifted = inverse.copy()
        shifted[:, 2] -= (x0, y0)
        mask = cv2.warpAffine(cells, shifted, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderValue=0)
        scale = float(np.hypot(*inverse[:, 0]))  # frame pixels per aligned pixel
        k = 2 * max(1, round(CELL * scale / 2)) + 1
        return cv2.GaussianBlur(mask, (k, k), 0)
