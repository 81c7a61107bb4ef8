"""Where a face coming into the frame by its edge is looked for: the frame's edges, mirrored.

A face part out of the frame is half a face to the detector, and BlazeFace seldom finds one more
than a third out: a person walking in showed their own face until 60-75% of it was in (the
median, `python -m bench.edge --entering`). The same strip along an edge, with its mirror image laid beyond
the edge, shows the part in view beside its reflection, which to the detector is a face again:
the seven people of the wheels 40%, 50% and 60% out of a 640x480 frame's left edge, it found all
seven each time, where in the frame itself it found five, three and one (ad hoc, one frame each).
Mirrored at the top or the bottom, a face is seldom a face, and those edges are not looked at
(`SIDES`).

The strip is looked at by BlazeFace's short-range model (FaceFinder.detect): the mirrored face
fills much of it, as a face near the camera fills a frame. Against the full-range model, which
looked there first, faces were first followed coming in by the left edge at a median 60% out
(53%), by the right 46% (38%); faces there from the stream's start 60% out were followed in 70%
and 26% of the frames (57%, 24%); hair beside its reflection never scored MIN_SCORE (up to 0.75
by the full-range model); and a look costs 1.7 ms, not 5.5 (bench.edge --entering, faces 35% of
the frame's height; at 20% and 50% the short-range model did as well or better, at 12% about as
well: 1.9 frames not followed coming in against 1.6).

A find there is kept only where it straddles the mirror's line (what lies wholly on one side is a
face in view, found in the frame itself, or its reflection). The farther of its two sides from
the line, taken into the frame, is the face's inner side; the face is taken as square, as
BlazeFace's boxes are, and runs on beyond the edge by what is left.
"""

from __future__ import annotations

import cv2
import numpy as np

from models import tiles as tiling
from models.engine import DetectedFace

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in the frame's pixels

EDGES = ("left", "right", "top", "bottom")
SIDES = ("left", "right")  # where they are looked at (see the module's docstring)
# the detector's score a find there needs (in the frame, 0.5): at 0.6, faces coming in by the left
# edge were found a little sooner (frames not followed 2.7 -> 2.4, bench.edge --entering), but the
# astronaut's hair just past the edge scored up to 0.66 (ad hoc); at 0.8, 3.3
MIN_SCORE = 0.7
# how sure FaceMesh must be that such a find is a face (its tracking confidence; FaceTracker._is_face).
# At 0.5 (no more than a track) and 0.8, more faces part out were followed (by the right edge, 60%
# out from the start: 52% and 39% of the frames against 26%), but the meshes it let through lay
# off: their landmarks 0.042-0.082 and 0.046 of the face's width from the whole face's, against
# 0.026 (bench.edge --entering)
SURE = 0.95
DEPTH = 0.5  # of the frame's shorter side: how far into the frame a strip reaches
# of the find's width, how far it must reach past the mirror's line on both sides: the reflection
# of a face that touches the edge lies just beside the line, and is not a face beyond it
STRADDLE = 0.1


def depth(width: int, height: int) -> int:
    """The strips' depth in px for a `width` x `height` frame."""
    return max(1, round(min(width, height) * DEPTH))


def _along(frame: np.ndarray, edge: str) -> np.ndarray:
    """The frame turned so that `edge` is its left edge (a view, not a copy)."""
    if edge == "left":
        return frame
    if edge == "right":
        return frame[:, ::-1]
    if edge == "top":
        return frame.swapaxes(0, 1)
    return frame.swapaxes(0, 1)[:, ::-1]


def mirrored(frame: np.ndarray, edge: str, deep: int) -> np.ndarray:
    """The strip `deep` px along the frame's `edge` with its mirror image beyond it, turned so
    that the edge runs down the middle: 2 * `deep` px wide, as long as the edge."""
    strip = np.ascontiguousarray(_along(frame, edge)[:, :deep])
    return cv2.copyMakeBorder(strip, 0, 0, deep, 0, cv2.BORDER_REFLECT)


def whole_box(box: Box, edge: str, deep: int, width: int, height: int) -> Box | None:
    """The box, in the frame, of the face whose find in `mirrored(frame, edge, deep)` is `box`
    (None: the find does not straddle the mirror's line). It runs past the frame's edge."""
    x1, y1, x2, y2 = box[0] - deep, box[1], box[2] - deep, box[3]  # the edge at x = 0
    reach = STRADDLE * (x2 - x1)
    if x1 > -reach or x2 < reach:
        return None
    far = max(x2, -x1)
    near = far - (y2 - y1)
    if edge == "left":
        return (near, y1, far, y2)
    if edge == "right":
        return (width - far, y1, width - near, y2)
    if edge == "top":
        return (y1, near, y2, far)
    return (y1, height - far, y2, height - near)


def entering(found: list[DetectedFace], edge: str, deep: int, width: int,
             height: int) -> list[DetectedFace]:
    """The faces part out of the frame among the finds in `mirrored(frame, edge, deep)`, in the
    frame's pixels. Their keypoints are left out: half of them would be the reflection's."""
    faces = []
    for face in found:
        box = whole_box(face.box, edge, deep, width, height)
        if box is not None and face.score >= MIN_SCORE:
            faces.append(DetectedFace(box, face.score, (), beyond_edge=True))
    return faces


def touches(box: Box, edge: str, width: int, height: int, margin: float = 2.0) -> bool:
    """Whether `box` reaches the frame's `edge` (within `margin` px)."""
    if edge == "left":
        return box[0] <= margin
    if edge == "right":
        return box[2] >= width - margin
    if edge == "top":
        return box[1] <= margin
    return box[3] >= height - margin


def merged(found: list[DetectedFace], entering_faces: list[DetectedFace], edge: str, width: int,
           height: int) -> list[DetectedFace]:
    """`found` with the faces found at `edge` added: a face found in the frame itself that reaches
    that edge gives way to its find at the edge, whose box runs on past it (the frame's find is
    cut there, and its crop lay off the face); a face found in the frame away from it is kept."""
    faces = list(found)
    for face in entering_faces:
        inside = _clipped(face.box, width, height)
        # the same face: either box holds the other's centre
        same = [i for i, known in enumerate(faces)
                if not tiling.is_new(inside, [known.box]) or not tiling.is_new(known.box, [inside])]
        if not same:
            faces.append(face)
        elif all(touches(faces[i].box, edge, width, height) for i in same):
            for i in sorted(same, reverse=True):
                del faces[i]
            faces.append(face)
    return faces


def _clipped(box: Box, width: int, height: int) -> Box:
    return (max(0.0, box[0]), max(0.0, box[1]), min(float(width), box[2]), min(float(height), box[3]))
