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

# Where no triangle covers a pixel, its sampling maps send it here, to remap's constant border
# (affine_table's first row); a map value above INSIDE_ABOVE lies inside the mesh, whatever the
# bilinear enlarging of coarse maps (warp.mesh_maps_many) did to the marker
OUTSIDE = -10.0
INSIDE_ABOVE = OUTSIDE / 2
OUTSIDE_ROW = (0.0, 0.0, OUTSIDE, 0.0, 0.0, OUTSIDE)  # an affine table's row: every pixel to OUTSIDE


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


@compiled("void(int32[:, ::1], float32[:, ::1], float32[:, ::1], float32[::1], bool_[::1], float32[::1])")
def _order_keys(triangles: np.ndarray, src: np.ndarray, dst: np.ndarray, far: np.ndarray,
                facing: np.ndarray, key: np.ndarray) -> None:
    third = np.float32(3.0)
    for t in range(triangles.shape[0]):
        i, j, k = triangles[t, 0], triangles[t, 1], triangles[t, 2]
        # twice the signed area, in float32 as numpy's was (warp.doubled_areas): only its sign is read
        s = ((src[j, 0] - src[i, 0]) * (src[k, 1] - src[i, 1])
             - (src[j, 1] - src[i, 1]) * (src[k, 0] - src[i, 0]))
        d = ((dst[j, 0] - dst[i, 0]) * (dst[k, 1] - dst[i, 1])
             - (dst[j, 1] - dst[i, 1]) * (dst[k, 0] - dst[i, 0]))
        # np.sign's equality: a NaN's sign equals none
        facing[t] = (s == s and d == d and (s > 0) == (d > 0) and (s < 0) == (d < 0))
        key[t] = -((far[i] + far[j] + far[k]) / third)  # numpy's mean of three, in float32


def drawing_order(triangles: np.ndarray, src: np.ndarray, dst: np.ndarray, far: np.ndarray) -> np.ndarray:
    """Indices of `triangles` ((T, 3) into the points `src` and `dst`, (N, 2)) in the order
    warp.drawing_order draws them: those whose corners run the other way round in `dst` than in
    `src` first; within each part, far to near by the mean of `far` (N,) at their corners, ties
    in index order. numpy's signs and gathers took 0.21 ms for a frame's 970 triangles with the sort."""
    tris = _corner_indices(triangles, min(len(src), len(dst), len(far)))
    src, dst, far = (np.ascontiguousarray(a, dtype=np.float32) for a in (src, dst, far))
    facing, key = np.empty(len(tris), np.bool_), np.empty(len(tris), np.float32)
    _order_keys(tris, src, dst, far, facing, key)
    # sorted by numpy (stable: the last key is the primary one): numba's own sort took half a
    # second more to compile, and ran no faster
    return np.lexsort((key, facing))


@compiled("void(float32[:, :, ::1], float32[:, ::1], int32[:, ::1], float32[:, ::1])")
def _affine_table(dst_tri: np.ndarray, src: np.ndarray, triangles: np.ndarray, table: np.ndarray) -> None:
    tiny = np.float32(1e-6)
    for t in range(dst_tri.shape[0]):
        # warp.triangle_affines' arithmetic, step for step in float32
        d0x, d0y = dst_tri[t, 0, 0], dst_tri[t, 0, 1]
        pa, pc = dst_tri[t, 1, 0] - d0x, dst_tri[t, 1, 1] - d0y
        pb, pd = dst_tri[t, 2, 0] - d0x, dst_tri[t, 2, 1] - d0y
        det = pa * pd - pb * pc
        if abs(det) < tiny:
            det = tiny
        ia, ib, ic, id_ = pd / det, -pb / det, -pc / det, pa / det
        i, j, k = triangles[t, 0], triangles[t, 1], triangles[t, 2]
        s0x, s0y = src[i, 0], src[i, 1]
        qa, qc = src[j, 0] - s0x, src[j, 1] - s0y
        qb, qd = src[k, 0] - s0x, src[k, 1] - s0y
        a, b = qa * ia + qb * ic, qa * ib + qb * id_
        c, d = qc * ia + qd * ic, qc * ib + qd * id_
        row = table[t + 1]
        row[0], row[1], row[2] = a, b, s0x - a * d0x - b * d0y
        row[3], row[4], row[5] = c, d, s0y - c * d0x - d * d0y


def affine_table(dst_tri: np.ndarray, src: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(T + 1, 6) float32, affine_maps' `table`: row 0 sends a pixel OUTSIDE, row t + 1 is
    warp.triangle_affines' map of triangle t, taking the destination corners `dst_tri` (T, 3, 2)
    to the points `src` (N, 2) at `triangles` (T, 3). The same numbers as numpy's, without its
    30-odd passes and the gather of the source's corners (0.2 ms a frame for two such tables)."""
    tris = _corner_indices(triangles, len(src))
    if len(tris) != len(dst_tri):
        raise ValueError(f"{len(tris)} triangles for {len(dst_tri)} sets of corners")
    table = np.empty((len(tris) + 1, 6), np.float32)
    table[0] = OUTSIDE_ROW
    _affine_table(*(np.ascontiguousarray(a, dtype=np.float32) for a in (dst_tri, src)), tris, table)
    return table


def _corner_indices(triangles: np.ndarray, points: int) -> np.ndarray:
    """`triangles` as the compiled loops take them (int32, C order), refused where a corner is not
    one of `points` points: the loops read them unchecked."""
    tris = np.ascontiguousarray(triangles, dtype=np.int32)
    if tris.size and (int(tris.max()) >= points or int(tris.min()) < 0):
        raise ValueError(f"a triangle's corner lies outside the {points} points")
    return tris
