"""A face leaving the frame, followed by its motion where FaceMesh can no longer read it.

FaceMesh reads a face from its crop, the part beyond the frame padded black. A face leaving by a
side loses half its eyes: from about a third out, FaceMesh's mesh shrinks onto the part in view,
and from about half it loses the face, so the person's own half face showed as they left the frame
and as they came back (`python -m bench.edge`). A face cut by the frame's bottom keeps its eyes and
is read well further out.

So while a face is at the frame's edge its track keeps the frame in greyscale, and where FaceMesh
reads nothing, or a mesh shrunk onto the part in view, the last mesh is moved as the face moved
instead: its points in view are followed by optical flow from the frame before, a rotation, scale
and shift fitted to them, and the whole mesh moved by it. That lasts until nearly all the face is
out (`GIVE_UP_OUT`) or for `MAX_HELD` seconds; a mesh read again takes over.

`choose` and `narrowed` are the policy, pure; `follow_motion` is the flow.
"""

from __future__ import annotations

from enum import Enum

import cv2
import numpy as np

from models import face_topology as ft

# share of the face out of the frame from which a lost mesh is the face leaving it: nearer in,
# it is lost for another reason (a hand over it, a head turned away), and the track ends as before.
# Low, as it is measured on the last mesh taken, which may have shrunk: with shrunk readings taken
# as read (a first form), 0.14-0.22 out where the face was 0.48-0.53 out
HOLD_FROM = 0.1
GIVE_UP_OUT = 0.85  # beyond it too little is in view to swap or to follow
# seconds a face is followed by its motion alone: its expression is the one it had when it was last
# read, and nothing but the motion says a face is still there
MAX_HELD = 3.0
# a reading of a face this far out (the moved mesh's share), narrower or shorter than the moved
# mesh by this ratio, has shrunk onto the part in view. Taken as read where it was not lost, the
# landmarks in view of faces 50-70% out by the left edge lay 0.027-0.036 of the face's width from
# the whole face's reading (bench.edge, median); with these, 0.019-0.024
SHRINK_FROM = 0.3
SHRINK = 0.92
NEAR = 0.1  # the face's box, grown by this share of its size each way, reaches past the frame
MIN_POINTS = 8  # points the motion is fitted to, at least
MAX_POINTS = 80  # the mesh's points in view followed, at most, spread over its indices
WINDOW = (21, 21)
LEVELS = 3
BACK_ERROR = 1.0  # px: a point followed back must land this near where it started
FIT_ERROR = 2.0  # px: RANSAC's threshold for a point that moves with the face


class Choice(Enum):
    MESH = "mesh"  # the mesh FaceMesh read
    HOLD = "hold"  # the last mesh, moved as the face moved
    DROP = "drop"  # the track ends


def out_fraction(points: np.ndarray, width: int, height: int) -> float:
    """The share of the face's outline box beyond the frame (`width` x `height`), the larger of
    across and down."""
    oval = points[ft.face_oval(), :2]
    (x1, y1), (x2, y2) = oval.min(0), oval.max(0)
    across = (max(0.0, -x1) + max(0.0, x2 - width)) / max(x2 - x1, 1.0)
    down = (max(0.0, -y1) + max(0.0, y2 - height)) / max(y2 - y1, 1.0)
    return float(min(1.0, max(across, down)))


def near_edge(points: np.ndarray, width: int, height: int) -> bool:
    """Whether the face is at the frame's edge, where its motion is followed too."""
    oval = points[ft.face_oval(), :2]
    (x1, y1), (x2, y2) = oval.min(0), oval.max(0)
    grow = NEAR * max(x2 - x1, y2 - y1)
    return bool(x1 - grow < 0 or y1 - grow < 0 or x2 + grow > width or y2 + grow > height)


def narrowed(mesh: np.ndarray, moved: np.ndarray, width: int, height: int) -> bool:
    """Whether FaceMesh's reading has shrunk onto the part of the face in view."""
    if out_fraction(moved, width, height) < SHRINK_FROM:
        return False
    a = np.ptp(mesh[ft.face_oval(), :2], axis=0)
    b = np.ptp(moved[ft.face_oval(), :2], axis=0)
    return bool(a.min() < SHRINK * b.min() or a.max() < SHRINK * b.max())


def choose(mesh_read: bool, moved_out: float | None, held_for: float) -> Choice:
    """Which mesh a track takes in this frame. `mesh_read`: FaceMesh read a plausible mesh;
    `moved_out`: the share out of the frame of the last mesh moved by the face's motion (None:
    its motion was not followed); `held_for`: seconds the face has been followed by its motion
    alone so far."""
    if mesh_read:
        return Choice.MESH
    if moved_out is not None and HOLD_FROM <= moved_out < GIVE_UP_OUT and held_for < MAX_HELD:
        return Choice.HOLD
    return Choice.DROP


def follow_motion(before: np.ndarray, now: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """`points` (N, 2 or 3; depth scaled with the face), read in greyscale frame `before`, moved
    as the face moved into `now`; None where too few of its points in view could be followed."""
    h, w = now.shape[:2]
    start = points[:, :2].astype(np.float32)
    start = start[(start[:, 0] >= 2) & (start[:, 0] < w - 2) & (start[:, 1] >= 2) & (start[:, 1] < h - 2)]
    if len(start) > MAX_POINTS:
        start = start[np.linspace(0, len(start) - 1, MAX_POINTS).round().astype(int)]
    p0 = start.reshape(-1, 1, 2)
    if len(p0) < MIN_POINTS:
        return None
    p1, found = _flow(before, now, p0)
    back, found_back = _flow(now, before, p1)
    good = ((found.ravel() == 1) & (found_back.ravel() == 1)
            & (np.linalg.norm((back - p0).reshape(-1, 2), axis=1) < BACK_ERROR))
    if good.sum() < MIN_POINTS:
        return None
    fit, inliers = cv2.estimateAffinePartial2D(p0[good], p1[good], method=cv2.RANSAC,
                                               ransacReprojThreshold=FIT_ERROR)
    if fit is None or int(inliers.sum()) < MIN_POINTS:
        return None
    moved = points.astype(np.float64).copy()
    moved[:, :2] = moved[:, :2] @ fit[:, :2].T + fit[:, 2]
    if moved.shape[1] > 2:
        moved[:, 2:] *= np.sqrt(abs(np.linalg.det(fit[:, :2])))
    return moved


def _flow(a: np.ndarray, b: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    moved, found, _ = cv2.calcOpticalFlowPyrLK(a, b, points, None, winSize=WINDOW, maxLevel=LEVELS)
    return moved, found
