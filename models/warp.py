"""Piecewise-affine warp over a fixed triangulation, done as one cv2.remap.

Per triangle we solve the affine map from destination to source; a label raster says which
triangle covers each destination pixel; the sampling maps are gathered from the per-triangle
coefficients. One remap then moves every channel at once, which is several times faster than
warping triangle by triangle.
"""

from __future__ import annotations

from collections.abc import Container

import cv2
import numpy as np

from models.compiled import compiled
from models.fields import blur_enlarged, shrink
from models.raster import INSIDE_ABOVE, OUTSIDE, OUTSIDE_ROW, affine_maps, affine_table, label_triangles
from models.raster import drawing_order as raster_order

# Sampling maps are computed on a grid at most this many cells across (mesh_maps_many). At 160, a
# 640x480 face's box was a 2 px grid, and a turned head's swapped profile came out in stairs and
# blocks: pixels far from their 3 x 3 median, in the judged frames of bench.quality's 120 pairs
# (most on the turned t1-5), 844 at 160 and 251 at 320, where such a box is one px to a cell (139
# since drawing_order draws far to near). It cost a 640x480 frame about 0.5 ms (bench.engine's
# shape stage), a 720p one 1.5-2 ms. At 320 a 720p face's box (330-420 px) was a 2 px grid again,
# and the swap's edge beside the hair came out in stairs: `bench.quality --size 1280x720` (the
# wheel faces) 316 such pixels, 47 at 640 (39 at 640x480); the shape stage 0.3-0.5 ms
# dearer on boxes of 376-421 px, one core
MAX_GRID = 640


def triangle_affines(dst_tri: np.ndarray, src_tri: np.ndarray) -> np.ndarray:
    """(T, 2, 3) affine maps taking destination points to source points, per triangle.

    dst_tri, src_tri: (T, 3, 2). Closed form over 2x2 edge matrices (np.linalg.solve on 800
    tiny systems costs ~2 ms). A degenerate destination triangle (a closed eye) covers no pixel,
    so its map only has to be finite.
    """
    d = dst_tri.astype(np.float32)
    s = src_tri.astype(np.float32)
    # edge vectors: P = [d1-d0, d2-d0] (columns), Q likewise; linear part L = Q @ inv(P)
    pa, pc = d[:, 1, 0] - d[:, 0, 0], d[:, 1, 1] - d[:, 0, 1]
    pb, pd = d[:, 2, 0] - d[:, 0, 0], d[:, 2, 1] - d[:, 0, 1]
    det = pa * pd - pb * pc
    det = np.where(np.abs(det) < 1e-6, 1e-6, det)
    ia, ib, ic, id_ = pd / det, -pb / det, -pc / det, pa / det
    qa, qc = s[:, 1, 0] - s[:, 0, 0], s[:, 1, 1] - s[:, 0, 1]
    qb, qd = s[:, 2, 0] - s[:, 0, 0], s[:, 2, 1] - s[:, 0, 1]
    out = np.empty((len(d), 2, 3), np.float32)
    out[:, 0, 0] = qa * ia + qb * ic
    out[:, 0, 1] = qa * ib + qb * id_
    out[:, 1, 0] = qc * ia + qd * ic
    out[:, 1, 1] = qc * ib + qd * id_
    # translation: source vertex 0 minus the linear part applied to destination vertex 0
    out[:, 0, 2] = s[:, 0, 0] - out[:, 0, 0] * d[:, 0, 0] - out[:, 0, 1] * d[:, 0, 1]
    out[:, 1, 2] = s[:, 0, 1] - out[:, 1, 0] * d[:, 0, 0] - out[:, 1, 1] * d[:, 0, 1]
    return out


def sampling_maps(
    affines: np.ndarray, label: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """float32 map_x, map_y over `box` for cv2.remap; OUTSIDE where no triangle covers a pixel."""
    x0, y0, x1, y1 = box
    return _gather(affines, label, np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))


def _gather(
    affines: np.ndarray, label: np.ndarray, xs: np.ndarray, ys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    # the "outside" map first (label 0): remap's constant border
    table = np.concatenate([np.float32([OUTSIDE_ROW]), affines.reshape(-1, 6)])
    return affine_maps(label, table, xs, ys)


def close_holes(label: np.ndarray, rounds: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """`label` with the holes inside the mesh given their nearest triangle, and the uint8 mask of
    the mesh with its holes. Where a turned head folds the mesh (beside the nose, at a cheek),
    some pixels inside the face are covered by no triangle; left outside, they cut pixel-sized
    holes in the swap mask, showing specks of the target's own face."""
    mesh = (label > 0).astype(np.uint8)
    flood = np.zeros((mesh.shape[0] + 2, mesh.shape[1] + 2), np.uint8)
    flood[1:-1, 1:-1] = mesh
    cv2.floodFill(flood, None, (0, 0), 2)  # everything outside the mesh that reaches the border
    face = (flood[1:-1, 1:-1] != 2).astype(np.uint8)
    ring = np.ones((3, 3), np.uint8)
    for _ in range(rounds):
        gaps = (label == 0) & (face > 0)
        if not gaps.any():
            break
        label = np.where(gaps, cv2.dilate(label, ring), label)
    return label, face


def doubled_areas(tri: np.ndarray) -> np.ndarray:
    """(T,) twice each triangle's signed area, for (T, 3, 2) corners: its sign says which way
    round the corners run."""
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    return e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]


def drawing_order(triangles: np.ndarray, src_pts: np.ndarray, dst_pts: np.ndarray,
                  depth: np.ndarray | None = None) -> np.ndarray:
    """`triangles` in the order they are rasterised, each drawn over those before it.

    Those the map turns over come first. A turned head hides its far cheek behind the near one:
    there the mesh folds, and its triangles face away (their corners run the other way round than
    in the source). Drawn first, they only fill what nothing else covers; in index order they cut
    jagged pieces of mirrored texture into the far cheek.

    With `depth` (each destination point's distance from the camera, as FaceMesh reads it: smaller
    is nearer; points past its end count as farthest), each group is then drawn far to near. On a
    head turned toward profile the far cheek's triangles that still face the camera overlap the
    nose and lips; in index order some were drawn over them, and the target's own nose tip and
    lips showed beside the swapped ones, with notches of the cheek's mask cut into the profile."""
    far = np.full(len(dst_pts), np.inf, np.float32)  # without depth, all alike: index order
    if depth is not None:
        n = min(len(depth), len(dst_pts))
        far[:n] = depth[:n]
    return triangles[raster_order(triangles, src_pts, dst_pts, far)]


def mesh_maps(
    src_pts: np.ndarray,
    dst_pts: np.ndarray,
    triangles: np.ndarray,
    box: tuple[int, int, int, int],
    max_side: int = MAX_GRID,
    depth: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sampling maps over `box` that take src_pts onto dst_pts, ready for cv2.remap (see
    mesh_maps_many)."""
    return mesh_maps_many([src_pts], dst_pts, triangles, box, max_side, depth)[0]


def mesh_maps_many(
    sources: list[np.ndarray],
    dst_pts: np.ndarray,
    triangles: np.ndarray,
    box: tuple[int, int, int, int],
    max_side: int = MAX_GRID,
    depth: np.ndarray | None = None,
    halved: Container[int] = (),
    within: tuple[int, int, int, int] | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each of `sources`, the sampling maps over `box` that take those points onto dst_pts,
    ready for cv2.remap; the destination mesh is rasterised once for all of them, in
    drawing_order (far to near with the destination points' `depth`). The maps of the sources
    whose index is in `halved` are taken once per 2 x 2 cell of the box (each side rounded up),
    at its centre, for a field blurred anyway (a quarter of the work): a cell is outside the mesh
    where its first pixel is, or on a box over `max_side` (where they are the mean of the cell's
    four) where any of its pixels is. With `within` (a box inside `box`), the other sources' maps
    cover only that box.
    A piecewise-affine map is continuous and linear inside each triangle, so for a large box it
    is computed on a grid at most `max_side` cells across and scaled up bilinearly, and the
    gather costs a fraction. Error only arises at triangle edges: measured on a jittered mesh,
    at most 0.45 px on a 2 px grid (boxes up to 2 * max_side) and about 1.5 px on 3-4 px grids.
    Coarse cells are given their triangle's extrapolated coordinates two cells beyond the mesh
    (its outer edge and any holes), so bilinear scaling never mixes a real coordinate with the
    "outside" marker; fine pixels more than about one cell outside the mesh are then marked outside
    again. (With one ring, pixels between the ring and the marker got a coordinate halfway to it,
    which could land anywhere on the source face: bright dots along the jaw and around holes.)
    """
    triangles = drawing_order(triangles, sources[0], dst_pts, depth)
    dst_tri = dst_pts[triangles]
    tables = [affine_table(dst_tri, src, triangles) for src in sources]  # triangle_affines', outside first
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    step = max(1, int(np.ceil(max(w, h) / max_side)))
    rows, cols = (slice(None), slice(None)) if within is None else part_of(box, within)
    if step == 1:
        label, _ = close_holes(label_triangles(dst_tri, box))
        xs, ys = np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32)
        return [affine_maps(label[::2, ::2], table, xs[::2] + 0.5, ys[::2] + 0.5) if i in halved
                else affine_maps(label[rows, cols], table, xs[cols], ys[rows])
                for i, table in enumerate(tables)]
    cw, ch = -(-w // step), -(-h // step)
    # coarse cell i sits where cv2.resize samples it from: (i + 0.5) * step - 0.5
    origin = np.array([x0 - 0.5 * step + 0.5, y0 - 0.5 * step + 0.5], np.float32)
    coarse_tri = (dst_tri - origin) / step
    label, face = close_holes(label_triangles(coarse_tri, (0, 0, cw, ch)))
    ring = np.ones((3, 3), np.uint8)
    covered = cv2.dilate(face, ring)
    for _ in range(2):
        label = np.where(label == 0, cv2.dilate(label, ring), label)
    cx = x0 + (np.arange(cw, dtype=np.float32) + 0.5) * step - 0.5
    cy = y0 + (np.arange(ch, dtype=np.float32) + 0.5) * step - 0.5
    size = (cw * step, ch * step)
    outside = cv2.resize(covered, size, interpolation=cv2.INTER_NEAREST)[:h, :w] == 0
    dst_span = max(float(np.ptp(dst_pts[:, 0])), 1e-3)
    maps = []
    for i, (src, table) in enumerate(zip(sources, tables, strict=True)):
        map_x, map_y = affine_maps(label, table, cx, cy)
        slope = float(np.ptp(src[:, 0])) / dst_span
        full = _upscale(map_x, map_y, size, (w, h), step, slope, outside)
        maps.append(_halved(*full) if i in halved else (full[0][rows, cols], full[1][rows, cols]))
    return maps


def part_of(box: tuple[int, int, int, int], within: tuple[int, int, int, int]) -> tuple[slice, slice]:
    """The rows and columns of an array over `box` that `within` (a box inside it) covers."""
    return slice(within[1] - box[1], within[3] - box[1]), slice(within[0] - box[0], within[2] - box[0])


def _halved(map_x: np.ndarray, map_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maps at the centre of each 2 x 2 cell: their means, OUTSIDE where any of its pixels is."""
    # scaled to 255 first: the area average rounds, and one pixel outside of four (0.25) came to 0
    out = shrink((map_x < INSIDE_ABOVE).astype(np.uint8) * np.uint8(255), 2) > 0
    half_x, half_y = shrink(map_x, 2), shrink(map_y, 2)
    half_x[out] = OUTSIDE
    half_y[out] = OUTSIDE
    return half_x, half_y


def _upscale(map_x: np.ndarray, map_y: np.ndarray, size: tuple[int, int], box_size: tuple[int, int],
             step: int, slope: float, outside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coarse maps to full resolution (see mesh_maps_many)."""
    w, h = box_size
    smooth_x = cv2.resize(map_x, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
    smooth_y = cv2.resize(map_y, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
    # Where the mesh folds (a turned head's nostrils), neighbouring cells map to distant source
    # points and blending them samples neither. There bilinear and nearest disagree by far more
    # than the map's own slope over half a cell: take the nearest cell's exact coordinate instead.
    near_x = cv2.resize(map_x, size, interpolation=cv2.INTER_NEAREST)[:h, :w]
    near_y = cv2.resize(map_y, size, interpolation=cv2.INTER_NEAREST)[:h, :w]
    torn = np.abs(smooth_x - near_x) + np.abs(smooth_y - near_y) > 2.0 * step * slope
    # in place by OpenCV's masked copy: these maps are the size of the face box, every frame (numpy's
    # masked copies took 10-17 times as long on a 300 x 300 map)
    torn, outside = torn.view(np.uint8), outside.view(np.uint8)
    marker = np.full(outside.shape, OUTSIDE, np.float32)
    for smooth, near in ((smooth_x, near_x), (smooth_y, near_y)):
        cv2.copyTo(near, torn, smooth)
        cv2.copyTo(marker, outside, smooth)
    return smooth_x, smooth_y


def displacement(map_x: np.ndarray, map_y: np.ndarray, origin: tuple[int, int], cell: int = 1
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Where sampling maps over a box at `origin` take each pixel from, less where it is (x, y);
    with `cell` 2, of maps taken once per 2 x 2 cell, at its centre (mesh_maps_many's `halved`)."""
    h, w = map_x.shape
    centre = (cell - 1) / 2
    return (map_x - (origin[0] + centre + cell * np.arange(w, dtype=np.float32))[None, :],
            map_y - (origin[1] + centre + cell * np.arange(h, dtype=np.float32))[:, None])


def believable_move(map_x: np.ndarray, dx: np.ndarray, dy: np.ndarray, reach: float) -> np.ndarray:
    """bool: where sampling maps (`map_x`, and their `displacement`) take each pixel from inside the
    mesh (outside it the maps hold OUTSIDE, below INSIDE_ABOVE) and from no further than `reach` px away. The
    maps of a moved mesh sent a few pixels at the edge of a face 200-270 px away, where the mesh is
    thin (a red shirt's pixels as specks on a cheek)."""
    return (map_x > INSIDE_ABOVE) & (dx * dx + dy * dy <= reach * reach)


def smooth_move(dx: np.ndarray, dy: np.ndarray, origin: tuple[int, int], moving: np.ndarray,
                sigma: float, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Sampling maps over a box at `origin`, of `size` (w, h), whose displacement is blurred by
    `sigma` px; it is given once per 2 x 2 cell of the box (`dx`, `dy`: displacement with `cell`
    2) and is zero where `moving` (uint8, the same cells) is 0. Where the mesh folds (a turned
    head's far cheek) a piecewise-affine map jumps from one triangle to the next, and the pixels it
    moves come apart in blocks: dark and light specks along the jaw. A shape change is smooth, so
    a smooth displacement loses nothing and cannot tear."""
    w, h = size

    def smoothed(shift: np.ndarray) -> np.ndarray:
        # zero where nothing moves: OpenCV's masked copy into a zeroed array (numpy's np.copyto
        # with `where` took 0.55 ms on a 300 x 300 box)
        return blur_enlarged(cv2.copyTo(shift, moving), sigma, 2, size)

    return (np.arange(origin[0], origin[0] + w, dtype=np.float32)[None, :] + smoothed(dx),
            np.arange(origin[1], origin[1] + h, dtype=np.float32)[:, None] + smoothed(dy))


def warp(
    src: np.ndarray,
    src_pts: np.ndarray,
    dst_pts: np.ndarray,
    triangles: np.ndarray,
    box: tuple[int, int, int, int],
    max_side: int = MAX_GRID,
) -> np.ndarray:
    """Warp `src` so that src_pts land on dst_pts; returns the pixels of `box` in the destination."""
    map_x, map_y = mesh_maps(src_pts, dst_pts, triangles, box, max_side)
    return remap(src, map_x, map_y)


def remap(src: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
    return cv2.remap(
        src, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


def box_around(points: np.ndarray, w: int, h: int) -> tuple[int, int, int, int]:
    """The pixel box around `points`, 2 px of margin, inside a w x h frame."""
    x0, y0 = np.floor(points.min(0)).astype(int) - 2
    x1, y1 = np.ceil(points.max(0)).astype(int) + 2
    return max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))


def mixed_remap(images: list[np.ndarray], maps: list[tuple[np.ndarray, np.ndarray]], weights: list[float]
                ) -> np.ndarray:
    """Each of one or two layers' images warped by its maps, mixed by weight."""
    out = remap(images[0], *maps[0])
    if len(images) == 2:
        out = cv2.addWeighted(out, weights[0], remap(images[1], *maps[1]), weights[1], 0.0)
    return out


# where neighbouring pixels' sampling points lie more than this many times the mesh's usual step
# apart in the texture, one triangle covers another: a fold (a turned head's nose over its far
# cheek, a profile's far cheek behind its near one)
FOLD_JUMP = 4.0


# (INSIDE_ABOVE comes in as an argument: numba's cache of this module would not see it change in raster.py)
@compiled("void(float32[:, ::1], float32[:, ::1], float32, float32, uint8[:, ::1])")
def _fold_edges(map_x: np.ndarray, map_y: np.ndarray, limit: float, inside: float, edges: np.ndarray) -> None:
    h, w = map_x.shape
    for i in range(h):
        for j in range(w):
            if map_x[i, j] <= inside:
                continue
            if j + 1 < w and map_x[i, j + 1] > inside and max(
                    abs(map_x[i, j + 1] - map_x[i, j]), abs(map_y[i, j + 1] - map_y[i, j])) > limit:
                edges[i, j] = edges[i, j + 1] = 1
            if i + 1 < h and map_x[i + 1, j] > inside and max(
                    abs(map_x[i + 1, j] - map_x[i, j]), abs(map_y[i + 1, j] - map_y[i, j])) > limit:
                edges[i, j] = edges[i + 1, j] = 1


def fold_edges(map_x: np.ndarray, map_y: np.ndarray, step: float, jump: float = FOLD_JUMP) -> np.ndarray:
    """uint8 mask (1) of the pixels on either side of a fold in the sampling maps: neighbours, both
    inside the mesh, whose sampling points lie more than `jump` times `step` (the texture's pixels
    to one of the box's, across the face) apart. Labelled pixel by pixel, a fold's edge is a
    staircase: one pixel the near triangle's, the next the far one's. (Compiled: numpy's and
    OpenCV's dozen passes over the box took 0.09 ms a frame.)"""
    edges = np.zeros(map_x.shape, np.uint8)
    maps = (np.ascontiguousarray(m, dtype=np.float32) for m in (map_x, map_y))
    _fold_edges(*maps, np.float32(jump * max(step, 0.5)), np.float32(INSIDE_ABOVE), edges)
    return edges


@compiled("void(uint8[:, :, ::1], int32[:, :, ::1], float32[:, ::1], float32, uint8[:, :, ::1])")
def _soften_at(image: np.ndarray, at: np.ndarray, map_x: np.ndarray, inside: float, out: np.ndarray) -> None:
    h, w, channels = image.shape
    total = np.zeros(channels, np.float64)
    for n in range(at.shape[0]):
        j, i = at[n, 0, 0], at[n, 0, 1]
        total[:] = 0.0
        count = 0
        for y in range(max(i - 1, 0), min(i + 2, h)):
            for x in range(max(j - 1, 0), min(j + 2, w)):
                if map_x[y, x] > inside:
                    count += 1
                    for c in range(channels):
                        total[c] += image[y, x, c]
        if count:
            for c in range(channels):
                out[i, j, c] = np.uint8(np.floor(total[c] / count + 0.5))


def soften_folds(image: np.ndarray, edges: np.ndarray, map_x: np.ndarray) -> np.ndarray:
    """`image` (the warped face, 8-bit, 3 channels) with the pixels on `edges` (fold_edges) the mean
    of their 3 x 3 neighbours inside the mesh (`map_x` marks what lies outside): the fold's
    staircase smoothed, with nothing of the black beyond the mesh brought in. Worked out at those
    few pixels only (a few dozen a frame), compiled: a blur of the whole box cost about a
    millisecond, numpy's gathers 0.1 ms."""
    found = cv2.findNonZero(edges)  # (N, 1, 2) x, y; a tenth of np.nonzero's time here
    if found is None:
        return image
    out = image.copy()
    _soften_at(np.ascontiguousarray(image), found, np.ascontiguousarray(map_x, dtype=np.float32),
               np.float32(INSIDE_ABOVE), out)
    return out
