"""A face leaving the frame, followed by its motion where FaceMesh can no longer read it.

FaceMesh reads a face from its crop, the part beyond the frame padded black. A face leaving by a
side loses half its eyes: from about a third out, FaceMesh's mesh shrinks onto the part in view,
and from about half it loses the face, so the person's own half face showed as they left the frame
and as they came back (`python -m bench.edge`). A face cut by the frame's bottom keeps its eyes and
is read well further out.

So while a face is at the frame's edge its track keeps the frame in greyscale, and where FaceMesh
reads nothing, or a mesh shrunk onto the part in view, the last mesh is moved as the face moved
instead: its points in view are followed by optical flow from the frame before, a rotation, scale
and shift fitted to them, and the whole mesh moved by it; from the hold's second frame that mesh is
read again against the frame where FaceMesh last read the face (`anchor`), so that the small
errors of each step do not add up. That lasts until nearly all the face is out (`GIVE_UP_OUT`):
for `MAX_HELD` seconds whatever the face looks like, and past them while the part in view still
looks as it did where FaceMesh last read it (`likeness`: a hand raised over it, or the mesh slid
off it, ends the hold). A mesh read again takes over.

`choose` and `narrowed` are the policy, pure; `follow_motion` and `anchor` are the flow,
`likeness` the look.
"""

from __future__ import annotations

from enum import Enum

import cv2
import numpy as np

from models import face_topology as ft

# share of the face out of the frame from which a lost mesh is the face leaving it: nearer in,
# it is lost for another reason (a hand over it, a head turned away), and the track ends as before.
# Low, as it is measured on the last mesh taken, which may have shrunk: with shrunk readings taken
# as read (a first form), 0.14-0.22 out where the face was 0.48-0.53 out by the left edge. By the
# right, t1.jpg's second person's mesh shrank a little each frame (never by `SHRINK` at once), and
# her last was 0.096 out where she was 0.55 out: at 0.1, faces 60-80% out by the right edge were
# followed in 90%, 84%, 71% of the frames; at 0.05, 95%, 88%, 79%, the other edges the same
# (bench.edge)
HOLD_FROM = 0.05
# beyond it too little is in view to swap or to follow. Measured on the mesh's outline, which on a
# turned face reaches further than its box: t1.jpg's fourth person, turned, leaving by the right
# edge, reached 0.85 where her box was 55-70% out. At 0.85, faces 70% and 80% out by the right
# edge were followed in 89% and 81% of the frames (by the left, 80% out, 91%; the top 95%); at
# 0.92, 94% and 85% (94%; 100%), the bottom's and the errors the same (bench.edge)
GIVE_UP_OUT = 0.92
# seconds a face is followed by its motion alone whatever it looks like (its expression is the one
# it had when it was last read); past them, only while the part in view still looks as it did then.
# Ended at MAX_HELD alone, faces left 50-70% out for 10 s were followed in 55-77% of the frames
# (bench.edge --stay 10), fewer than FaceMesh alone at 50% out: its shrunk readings are refused
MAX_HELD = 3.0
# that `likeness`, at least. Still faces at the edge, with a webcam's noise and JPEG, their
# exposure falling by 30% or their jaw opening and closing: 0.70 at their lowest, 0.85-1.00 median
# (7 people 50-70% out, 10 s; ad hoc). A hand raised over the part in view 4 s out there, 60% out:
# held on by the motion alone, 3 clips of 7 lay at 0.0-0.4 for the 6 s left; with the check their
# holds ended 13-14 frames after the hand began to rise (2) or once 3 s old (1). Of the other 4, the
# flow lost 2 first, and 2 stayed at 0.73-0.85 with the hand there and were held
ALIKE = 0.6
LOOK_SIDE = 64  # px: the side of the square the face is compared in
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
MIN_COMPARED = 200  # px of the LOOK_SIDE square compared, at least (a tenth of the face there)


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


def choose(mesh_read: bool, moved_out: float | None, held_for: float, look: float | None = None) -> Choice:
    """Which mesh a track takes in this frame. `mesh_read`: FaceMesh read a plausible mesh;
    `moved_out`: the share out of the frame of the last mesh moved by the face's motion (None:
    its motion was not followed); `held_for`: seconds the face has been followed by its motion
    alone so far; `look`: the part in view's `likeness` to its look when it was last read (None:
    not compared)."""
    if mesh_read:
        return Choice.MESH
    if moved_out is None or not HOLD_FROM <= moved_out < GIVE_UP_OUT:
        return Choice.DROP
    if held_for < MAX_HELD or (look is not None and look >= ALIKE):
        return Choice.HOLD
    return Choice.DROP


def likeness(seen: np.ndarray, seen_points: np.ndarray, now: np.ndarray, points: np.ndarray) -> float | None:
    """How alike the face in greyscale frame `now`, where the moved mesh `points` puts it, is to
    its look in `seen`, where FaceMesh read `seen_points`: the normalised cross-correlation of the
    two over the part of the face in view in both, the first moved onto the second as the mesh
    moved (so a change of light's brightness or contrast leaves it at 1). None: too little in
    view to say."""
    oval = points[ft.face_oval(), :2].astype(np.float64)
    corner = oval.min(0)
    motion, _ = cv2.estimateAffinePartial2D(seen_points[:, :2].astype(np.float32),
                                            points[:, :2].astype(np.float32), method=cv2.LMEDS)
    if motion is None:
        return None
    # sampled at twice the square's side, then averaged down: sampled at its side straight away,
    # a face three times larger aliases
    step = max(float(np.ptp(oval, axis=0).max()), 1.0) / (2 * LOOK_SIDE)
    to_square = np.array([[1 / step, 0, -corner[0] / step], [0, 1 / step, -corner[1] / step]])
    seen_to_square = np.hstack([to_square[:, :2] @ motion[:, :2],
                                (to_square[:, :2] @ motion[:, 2] + to_square[:, 2])[:, None]])
    a, a_in = _square(now, to_square)
    b, b_in = _square(seen, seen_to_square)
    # the face's inner nine tenths: its outline's edge moves over what is behind it
    inner = (oval - oval.mean(0)) * 0.9 + oval.mean(0)
    face = np.zeros((LOOK_SIDE, LOOK_SIDE), np.uint8)
    cv2.fillConvexPoly(face, np.round((inner - corner) / (2 * step)).astype(np.int32), 1)
    both = (face > 0) & a_in & b_in
    if both.sum() < MIN_COMPARED:
        return None
    x, y = a[both] - a[both].mean(), b[both] - b[both].mean()
    return float((x * y).sum() / np.sqrt((x * x).sum() * (y * y).sum() + 1e-6))


def follow_motion(before: np.ndarray, now: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """`points` (N, 2 or 3; depth scaled with the face), read in greyscale frame `before`, moved
    as the face moved into `now`; None where too few of its points in view could be followed."""
    h, w = now.shape[:2]
    index = _spread(np.flatnonzero(_in_view(points, w, h)))
    if len(index) < MIN_POINTS:
        return None
    p0 = points[index, :2].astype(np.float32).reshape(-1, 1, 2)
    p1, good = _followed(before, now, p0)
    return _moved_by_fit(points, p0[good], p1[good])


def anchor(seen: np.ndarray, seen_points: np.ndarray, now: np.ndarray,
           moved: np.ndarray) -> np.ndarray | None:
    """`moved` (the mesh read in greyscale frame `seen` as `seen_points`, moved frame by frame
    into `now`) read again against `seen` itself: its points in view in both followed from `seen`
    straight into `now`, starting where `moved` puts them. Frame by frame, each step's small error
    adds up; this one does not. None where too few could be followed."""
    h, w = now.shape[:2]
    index = _spread(np.flatnonzero(_in_view(seen_points, w, h) & _in_view(moved, w, h)))
    if len(index) < MIN_POINTS:
        return None
    p0 = seen_points[index, :2].astype(np.float32).reshape(-1, 1, 2)
    guess = moved[index, :2].astype(np.float32).reshape(-1, 1, 2)
    p1, good = _followed(seen, now, p0, guess)
    return _moved_by_fit(seen_points, p0[good], p1[good])


def _spread(index: np.ndarray) -> np.ndarray:
    """At most MAX_POINTS of `index`, spread over it."""
    if len(index) > MAX_POINTS:
        index = index[np.linspace(0, len(index) - 1, MAX_POINTS).round().astype(int)]
    return index


def _followed(a: np.ndarray, b: np.ndarray, p0: np.ndarray,
              guess: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`p0` in `a` followed into `b` (starting from `guess`, if given), and which of them come
    back within BACK_ERROR when followed back (starting from `p0` where a guess was given)."""
    p1, found = _flow(a, b, p0, guess)
    back, found_back = _flow(b, a, p1, None if guess is None else p0)
    good = ((found.ravel() == 1) & (found_back.ravel() == 1)
            & (np.linalg.norm((back - p0).reshape(-1, 2), axis=1) < BACK_ERROR))
    return p1, good


def _in_view(points: np.ndarray, w: int, h: int) -> np.ndarray:
    xy = points[:, :2]
    return (xy[:, 0] >= 2) & (xy[:, 0] < w - 2) & (xy[:, 1] >= 2) & (xy[:, 1] < h - 2)


def _moved_by_fit(points: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray | None:
    """`points` moved by the rotation, scale and shift that takes `start` to `end` (RANSAC)."""
    if len(start) < MIN_POINTS:
        return None
    fit, inliers = cv2.estimateAffinePartial2D(start, end, method=cv2.RANSAC, ransacReprojThreshold=FIT_ERROR)
    if fit is None or int(inliers.sum()) < MIN_POINTS:
        return None
    moved = points.astype(np.float64).copy()
    moved[:, :2] = moved[:, :2] @ fit[:, :2].T + fit[:, 2]
    if moved.shape[1] > 2:
        moved[:, 2:] *= np.sqrt(abs(np.linalg.det(fit[:, :2])))
    return moved


def _square(grey: np.ndarray, to_square: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`grey` moved by `to_square` into a square of twice LOOK_SIDE and averaged down to it, and
    where the frame has pixels there."""
    side = 2 * LOOK_SIDE
    big = cv2.warpAffine(grey, to_square, (side, side), flags=cv2.INTER_LINEAR)
    inside = cv2.warpAffine(np.full_like(grey, 255), to_square, (side, side), flags=cv2.INTER_LINEAR)
    small = cv2.resize(big, (LOOK_SIDE, LOOK_SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)
    return small, cv2.resize(inside, (LOOK_SIDE, LOOK_SIDE), interpolation=cv2.INTER_AREA) == 255


def _flow(a: np.ndarray, b: np.ndarray, points: np.ndarray,
          guess: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    if guess is None:
        moved, found, _ = cv2.calcOpticalFlowPyrLK(a, b, points, None, winSize=WINDOW, maxLevel=LEVELS)
    else:
        moved, found, _ = cv2.calcOpticalFlowPyrLK(a, b, points, guess.copy(), winSize=WINDOW,
                                                   maxLevel=LEVELS, flags=cv2.OPTFLOW_USE_INITIAL_FLOW)
    return moved, found
