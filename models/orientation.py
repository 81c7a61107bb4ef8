"""Which way up a source photo is.

A photo upside down, without the EXIF orientation that decoding applies (a scan, an edited copy, a
camera mounted upside down), is read by mediapipe's detector and FaceMesh as an upright face with
the features in the wrong places: the eyes on the mouth and nostrils, the swap a mask of misplaced
parts (bench.quality's `upside-down` form: 0.714 from the source against 0.509 the right way up,
ad hoc over six pairs). Neither model says so: both put the eyes above the mouth, and the
detector's score was as high upside down for some photos.

What does tell is how steady the reading is. A face the model knows reads the same from a crop
shifted or scaled a little; one it misreads moves about. Over bench.quality's 15 faces in five forms
each, the mesh's points spread by 0.002-0.024 of the face's width across STEADY_CROPS upright
(median 0.004), and by 0.008-0.12 upside down (median 0.06), or were lost from some crops.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models import face_topology as ft

Box = tuple[float, float, float, float]
# the crops a face is read from: its box's centre moved by these fractions of its width and height,
# its size scaled by the third
STEADY_CROPS = ((0.0, 0.0, 1.0), (0.08, 0.0, 1.0), (-0.08, 0.05, 1.0), (0.0, -0.08, 1.15), (0.05, 0.08, 0.9))
# a reading at most this unsteady is taken as it is; above it, the photo is read upside down too
# (a few upright photos are: turned faces, tight crops; the median is 0.004)
STEADY = 0.006
# the photo turned is taken when its reading is at most this unsteady (upright photos measured up
# to 0.024) and MARGIN times steadier than the photo's as it came
UNSTEADY = 0.03
MARGIN = 2.0


def unsteadiness(mesh: Callable[[np.ndarray, Box], np.ndarray | None], image: np.ndarray, box: Box,
                 read: np.ndarray | None = None) -> float:
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


def worth_turning(shake: float | None) -> bool:
    """Whether a photo whose face read this unsteadily (None: no face found) is to be read upside
    down as well."""
    return shake is None or shake > STEADY


def upside_down(shake: float | None, turned: float) -> bool:
    """Whether a photo is upside down, given how unsteadily its face read as it came (None: no face
    found) and turned half round."""
    if not turned <= UNSTEADY:
        return False
    return shake is None or turned * MARGIN < shake


def half_turn_box(box: Box, width: int, height: int) -> Box:
    """`box` in a width x height image, in the image turned half round (either way)."""
    x0, y0, x1, y1 = box
    return width - x1, height - y1, width - x0, height - y0


def half_turn_point(point: tuple[float, float], width: int, height: int) -> tuple[float, float]:
    """`point` in a width x height image, in the image turned half round."""
    return width - point[0], height - point[1]
