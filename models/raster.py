"""A label raster: triangles drawn into it, each pixel given the index of the last triangle that
covers it, and each pixel's affine map read from it.

A frame's swap draws its target mesh and the ring around it, about 970 triangles, into such a
raster and reads sampling maps from it (models/warp.py). OpenCV draws one polygon a call, and the
calls' own cost was about 1 ms of a 640x480 frame; numpy read the maps in six gathers. Compiled
(numba, models/compiled.py), each is a single pass.
"""

from __future__ import annotations

import math

import numpy as np

from models.compiled import compiled


# Each kernel is compiled for its one signature when this module is imported (models/compiled.py),
# not on a stream's first frame; the callers below pass exactly those types.
@compiled("UniTuple(float64, 2)(float64, float64, float64, float64, float64, float64)")
def _narrowed(a: float, b: float, c: float, y: float, left: float, right: float) -> tuple[float, float]:
    """The span [left, right] of a row `y` narrowed to the pixels x with a*x + b*y + c >= 0."""
    need = -(b * y + c)
    if a > 0:
        left = max(left, need / a)
    elif a < 0:
        right = min(right, need / a)
    elif need > 0:
        left = math.inf
    return left, right


@compiled("void(uint16[:, ::1], float64[:, :, ::1], float64, float64)")
def _draw(label: np.ndarray, corners: np.ndarray, ox: float, oy: float) -> None:
    h, w = label.shape
    for t in range(corners.shape[0]):
        x0, y0 = corners[t, 0, 0] - ox, corners[t, 0, 1] - oy
        x1, y1 = corners[t, 1, 0] - ox, corners[t, 1, 1] - oy
        x2, y2 = corners[t, 2, 0] - ox, corners[t, 2, 1] - oy
        area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
        if area == 0 or not math.isfinite(area):
            continue
        turn = 1.0 if area > 0 else -1.0
        # each edge as a half-plane a*x + b*y + c >= 0 holding the triangle, moved out by half a
        # pixel across the edge's run (up or down from an edge nearer level, sideways from one
        # nearer upright): the pixels a line drawn along the edge covers
        a0, b0 = (y0 - y1) * turn, (x1 - x0) * turn
        a1, b1 = (y1 - y2) * turn, (x2 - x1) * turn
        a2, b2 = (y2 - y0) * turn, (x0 - x2) * turn
        c0 = 0.5 * max(abs(a0), abs(b0)) - a0 * x0 - b0 * y0
        c1 = 0.5 * max(abs(a1), abs(b1)) - a1 * x1 - b1 * y1
        c2 = 0.5 * max(abs(a2), abs(b2)) - a2 * x2 - b2 * y2
        # every bound rounded as a float (numba's math.floor gives an int64, which a corner far
        # off overflows) and held within a pixel of the raster: its pixels are written unchecked
        top = int(min(max(0.0, np.ceil(min(y0, y1, y2) - 0.5)), h))
        bottom = int(max(min(h - 1.0, np.floor(max(y0, y1, y2) + 0.5)), -1.0))
        # the box bounds the sharp corners, where the moved half-planes reach further
        box_left = min(x0, x1, x2) - 0.5
        box_right = max(x0, x1, x2) + 0.5
        value = t + 1
        for row in range(top, bottom + 1):
            y = float(row)
            left, right = _narrowed(a0, b0, c0, y, box_left, box_right)
            left, right = _narrowed(a1, b1, c1, y, left, right)
            left, right = _narrowed(a2, b2, c2, y, left, right)
            left = min(max(0.0, np.ceil(left)), w)
            right = max(min(w - 1.0, np.floor(right)), -1.0)
            for x in range(int(left), int(right) + 1):
                label[row, x] = value


def label_triangles(corners: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """uint16 raster over `box` (x0, y0, x1, y1): for each pixel, 1 + the index of the last of
    `corners` ((T, 3, 2) x, y in image pixels, pixel centres at whole numbers) that covers it, 0
    where none does. A pixel is covered where its centre lies inside the triangle grown by half a
    pixel across each edge's run, and inside its bounding box grown by half a pixel: so a mesh's
    outermost pixels are its own, as OpenCV's polygons filled with their outline made them. A
    triangle without area covers none."""
    x0, y0, x1, y1 = box
    label = np.zeros((max(y1 - y0, 0), max(x1 - x0, 0)), np.uint16)
    if len(corners):
        _draw(label, np.ascontiguousarray(corners, dtype=np.float64), float(x0), float(y0))
    return label


@compiled("void(uint16[:, ::1], float32[:, ::1], float32[::1], float32[::1], "
          "float32[:, ::1], float32[:, ::1])")
def _read(label: np.ndarray, table: np.ndarray, xs: np.ndarray, ys: np.ndarray,
          map_x: np.ndarray, map_y: np.ndarray) -> None:
    h, w = label.shape
    for i in range(h):
        y = ys[i]
        for j in range(w):
            t = label[i, j]
            x = xs[j]
            map_x[i, j] = table[t, 0] * x + table[t, 1] * y + table[t, 2]
            map_y[i, j] = table[t, 3] * x + table[t, 4] * y + table[t, 5]


def affine_maps(label: np.ndarray, table: np.ndarray, xs: np.ndarray, ys: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """float32 map_x, map_y over `label`'s pixels, at columns `xs` and rows `ys`: each pixel's
    triangle's affine map (`table`, (T + 1, 6) float32, row t for label t: a, b, c of x then
    of y) applied to its x and y."""
    h, w = label.shape
    if label.size and int(label.max()) >= len(table):
        # the compiled loop reads the table unchecked
        raise ValueError(f"label {int(label.max())} has no row in a table of {len(table)}")
    map_x, map_y = np.empty((h, w), np.float32), np.empty((h, w), np.float32)
    xs, ys = np.ascontiguousarray(xs, dtype=np.float32), np.ascontiguousarray(ys, dtype=np.float32)
    _read(np.ascontiguousarray(label, dtype=np.uint16), np.ascontiguousarray(table, dtype=np.float32), xs, ys,
          map_x, map_y)
    return map_x, map_y
