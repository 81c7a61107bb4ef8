"""Which way up a source photo, or a video's frames, are.

A photo on its side or upside down, without the EXIF orientation that decoding applies (a scan, an
edited or forwarded copy, a camera mounted upside down), misleads mediapipe's models. Upside down,
the detector and FaceMesh read an upright face with the features in the wrong places: the eyes on
the mouth and nostrils, the swap a mask of misplaced parts (bench.quality's `upside-down` form:
7-17% retrieved, against 93-94% the right way up). Neither model says so: both put the eyes above
the mouth, and the detector's score was as high upside down for some photos. On its side, a
photo's face was not found at all in 17 of the 75 photos of bench.quality's five forms, each way.

Two things tell. How steady the reading is: a face the model knows reads the same from a crop
shifted or scaled a little; one it misreads moves about. Over bench.quality's 15 faces in five
forms, the mesh's points spread by 0.002-0.025 of the face's width across STEADY_CROPS upright
(median 0.004), by 0.008-0.12 upside down (median 0.06), and on their sides by 0.014 and 0.026 at
the median. And which way the mesh says the face is rolled: a face on its side reads as one (the
mesh follows a roll), an upright one within 41 degrees.

A photo whose face reads steadily and within ROLL of upright is taken as it is. Otherwise it is
read turned each other way, and taken the way its face reads upright (within ROLL), steadily (at
most UNSTEADY) and, unless it was not found or lay on its side as it came, MARGIN times steadier.
Over the 15 faces in nine forms, each turned all four ways (540 photos), every photo came out the
right way up and none of the 135 upright ones was turned.

A video's frames (a camera mounted upside down, a phone on its side, a person lying down) are
turned by the same rule when a face is first found in them, and by the roll of the face followed
(`followed_turn`) after that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import cv2
import numpy as np

from models import face_topology as ft
from models.engine import DetectedFace

Box = tuple[float, float, float, float]
# the crops a face is read from: its box's centre moved by these fractions of its width and height,
# its size scaled by the third
STEADY_CROPS = ((0.0, 0.0, 1.0), (0.08, 0.0, 1.0), (-0.08, 0.05, 1.0), (0.0, -0.08, 1.15), (0.05, 0.08, 0.9))
# a reading at most this unsteady is taken as it is; above it, the photo is read turned too (a few
# upright photos are: turned faces, tight crops; the median is 0.004)
STEADY = 0.006
# a turn is taken when its reading is at most this unsteady (upright photos measured up to 0.025)
# and MARGIN times steadier than the photo's as it came
UNSTEADY = 0.03
MARGIN = 2.0
ROLL = 45.0  # degrees: a face rolled further than this lies on its side
# degrees: a video's face followed this far from upright in its frames as turned (a person lying
# down) turns them by the nearest quarter turn; after a quarter turn it is within 30 degrees, so it
# does not turn back for the roll's noise
FOLLOW_ROLL = 60.0
TURNS = (90, 180, 270)  # clockwise, the ways a photo is read besides as it came
Mesh = Callable[[np.ndarray, Box], np.ndarray | None]  # a face's mesh read from a box of an image
Found = tuple[Box, np.ndarray]  # a face: its box and its mesh
_ROTATIONS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


class Reading(NamedTuple):
    """How a face read: its mesh's unsteadiness across crops, and its roll in degrees."""

    shake: float
    roll: float


def unsteadiness(mesh: Mesh, image: np.ndarray, box: Box, read: np.ndarray | None = None) -> float:
    """How far the face's mesh points move between the crops of STEADY_CROPS around `box`: their
    mean distance from their mean place, over the face's width; inf if fewer than two crops read.
    `read`: the mesh already read from `box` itself (the first crop), not read again."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    readings = [] if read is None else [read[: ft.MESH_POINTS, :2]]
    for dx, dy, scale in STEADY_CROPS[0 if read is None else 1 :]:
        mx, my = cx + dx * w, cy + dy * h
        pts = mesh(image, (mx - w * scale / 2, my - h * scale / 2, mx + w * scale / 2, my + h * scale / 2))
        if pts is not None:
            readings.append(pts[: ft.MESH_POINTS, :2])
    if len(readings) < 2:
        return float("inf")
    points = np.array(readings)
    spread = np.linalg.norm(points - points.mean(0), axis=2).mean()
    return float(spread / max(ft.face_width(points[0]), 1.0))


def reading(mesh: Mesh, image: np.ndarray, box: Box, points: np.ndarray) -> Reading:
    """How the face of `box` in `image` reads, its mesh `points` read from the box already."""
    return Reading(unsteadiness(mesh, image, box, points), roll(points))


def right_way_up(mesh: Mesh, image: np.ndarray, found: Found | None,
                 find: Callable[[np.ndarray, int], Found | None],
                 kept_roll: float = ROLL) -> tuple[np.ndarray, Found | None, int]:
    """The photo, its face, and the degrees it was turned clockwise to bring the face the right
    way up (the rule above). `found` is the face as the photo came (None: none found), `find` finds
    it in the photo turned by so many degrees, `mesh` reads a face's mesh. `kept_roll`: a steady
    face rolled up to this far is taken as it came (a video's frames: FOLLOW_ROLL, so that a face
    tilted by about ROLL does not turn them one way, then back)."""
    as_it_came = None if found is None else reading(mesh, image, *found)
    if not worth_turning(as_it_came, kept_roll):
        return image, found, 0
    best: tuple[Reading, np.ndarray, Found, int] | None = None
    for degrees in TURNS:
        turned = turn(image, degrees)
        again = find(turned, degrees)
        if again is None:
            continue
        read = reading(mesh, turned, *again)
        if better(as_it_came, read, kept_roll) and (best is None or read.shake < best[0].shake):
            best = (read, turned, again, degrees)
    return (image, found, 0) if best is None else best[1:]


def roll(points: np.ndarray) -> float:
    """Degrees the face of mesh `points` is rolled clockwise from upright (-180..180): the
    direction from its mouth to between its eyes."""
    right_eye, left_eye, _, mouth = ft.keypoints4(points)
    up = (right_eye + left_eye) / 2 - mouth
    return float(np.degrees(np.arctan2(up[0], -up[1])))


def followed_turn(turn: int, roll: float) -> int:
    """The quarter turn (degrees clockwise) a video's frames take next, where they are turned by
    `turn` and the face followed in them reads rolled by `roll` degrees clockwise."""
    if abs(roll) <= FOLLOW_ROLL:
        return turn % 360
    return int(turn + 90 * round(-roll / 90)) % 360


def worth_turning(reading: Reading | None, kept_roll: float = ROLL) -> bool:
    """Whether a photo whose face read so (None: no face found) is to be read turned as well."""
    return reading is None or reading.shake > STEADY or abs(reading.roll) > kept_roll


def better(reading: Reading | None, turned: Reading, kept_roll: float = ROLL) -> bool:
    """Whether the photo turned, its face reading `turned`, is the right way up rather than as it
    came, its face reading `reading` (None: no face found)."""
    if abs(turned.roll) > ROLL or not turned.shake <= UNSTEADY:
        return False
    return reading is None or abs(reading.roll) > kept_roll or turned.shake * MARGIN < reading.shake


def turn(image: np.ndarray, degrees: int) -> np.ndarray:
    """`image` turned clockwise by a multiple of 90 degrees."""
    degrees %= 360
    return image if degrees == 0 else cv2.rotate(image, _ROTATIONS[degrees])


def turn_point(point: tuple[float, float], degrees: int, width: int, height: int) -> tuple[float, float]:
    """`point` of a width x height image, in the image turned clockwise by `degrees` (as `turn`)."""
    x, y = point
    degrees %= 360
    if degrees == 90:
        return height - y, x
    if degrees == 180:
        return width - x, height - y
    if degrees == 270:
        return y, width - x
    return x, y


def turn_box(box: Box, degrees: int, width: int, height: int) -> Box:
    """`box` of a width x height image, in the image turned clockwise by `degrees`."""
    (ax, ay), (bx, by) = (turn_point(p, degrees, width, height) for p in (box[:2], box[2:]))
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def turn_face(face: DetectedFace, degrees: int, width: int, height: int) -> DetectedFace:
    """A face found in a width x height image, in the image turned clockwise by `degrees` (its
    keypoints in the same order)."""
    keypoints = tuple(turn_point(p, degrees, width, height) for p in face.keypoints)
    return DetectedFace(turn_box(face.box, degrees, width, height), face.score, keypoints)
