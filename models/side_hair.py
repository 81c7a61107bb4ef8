"""Hair that falls over a source photo's cheeks, found by its edge.

Long hair often lies inside the mesh's outline, between the brows and the mouth: FaceMesh draws
the face's oval where the face would be, under the hair. Pasted, the hair's edge is a pale or dark
stripe down the target's cheek (`t1.jpg`'s first woman swapped onto her turned friend). Told from
the skin by its colour it was missed where the two are alike (blonde hair on fair skin), and
thin strands left beside a colour cut stayed as dark lines (docs/mesh-engine.md).

Here the hair is found by where it begins (hair_edges). Each side of the face is sampled into a
strip whose rows run from above the brows down past the mouth's corners and whose columns run out
from the cheek, across the outline, to beyond it (in the outline's own units: 1 is the outline at
that row). The hair's edge is the path down the strip along the strongest change of colour, kept
smooth from row to row (edge_path); where no edge is strong enough the path rests on the outline.
A row's edge is hair when what lies beyond it is more like what lies outside the face than like
the skin inside it, and finer grained than that skin (strands; a shadow's edge on a side-lit
cheek is smooth on both sides). A side is hair when its edge lies well inside the outline down
much of the face, and a quarter of those rows read as hair.

Past such an edge the photo is painted over in the colour of the skin just inside it, row by row
(paint_over_hair): the swap keeps the photo's face as wide as it is. Or the hair is cut from the
photo's mask (side_hair) and the target's own cheek shows there: a recognizer then found the swaps
of turned photos less like their sources (docs/mesh-engine.md).
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from models import face_topology as ft
from models.compiled import compiled
from models.fields import shrunk_shape
from models.mask import _chin_axis, across_at, disc, face_axes, height_of

ROWS = 72  # the strip's rows, ABOVE the brows down to LOW
COLS = 56  # its columns, from FROM to TO
LOW = 0.5  # of the way from the mouth's corners down to the chin: where the strip ends
ABOVE = 0.4  # of the way from the brows' top up to the forehead's: where it begins
FROM, TO = 0.35, 1.12  # of the outline's distance from the face's axis, at each row
REST = 6.0  # an edge weaker than this (LAB levels a column, L and twice a and b) is no edge
BEND = 2.0  # what the path pays for each column it moves between rows (at most two)
INSIDE = 0.93  # a row's edge is hair only inside this share of the outline's distance
CLEAR = 0.06  # and this far outside the eyes' and brows' outer ends, at their rows
NEAREST = 0.55  # nor nearer the axis than this, at any row
GRAIN = 1.2  # beyond the edge at least this much finer detail than the skin inside it
BAND = 8  # columns each side of the edge compared (inside: skin; beyond: the hair)
# a side is looked at where its edge lies inside the outline (INSIDE) on at least SHARE of the
# rows, DEEP inside at their median: hair nearer the outline lies where the mask fades out anyway,
# and cut there the face lost its margin (on bench.quality's turned photos, whose hair and ears
# lie just past the cheek)
SHARE = 0.4
DEEP = 0.88
HAIRY = 0.25  # of those rows: a side is hair where at least this share reads as hair
# of the face's width: the cut grown by this and blurred as far, as the outline's fade is (mask.
# face_alpha): at 0.015 the swap ended in a hard line at the hair's edge, and the target's cheek
# beyond it was a step lighter or darker
GROW = 0.03
KEEP = 0.02  # of the face's width: the eyes and brows kept this far round
# Painting over the hair (paint_over_hair): from the band FROM_SKIN inside an edge (the outline's
# units), its colours smoothed down the rows over PAINT_ROWS (sigma), over the region past the edge
# out to PAINT_REACH of the outline's distance and PAINT_GROW of the face's width inside it (the
# edge's own blend of hair and skin)
FROM_SKIN = (0.015, 0.06)
PAINT_ROWS = 4.0
PAINT_REACH = 1.5
PAINT_GROW = 0.015


def edge_path(strength: np.ndarray, rest_from: int) -> np.ndarray:
    """(rows,) the column of each row on the path down `strength` (rows x columns, >= 0) whose
    sum is largest, less BEND for each column it moves between rows (one or two); from
    `rest_from` on, every column counts REST (the outline: no edge found there)."""
    gain = np.array(strength, np.float32, order="C")  # a copy, laid out as the loop takes it
    gain[:, rest_from:] = REST
    return _best_path(gain, np.float32(BEND))


# compiled for its one signature on import (models/compiled.py). Row by row in numpy, a strip's
# 71 rows took 0.89 ms (five shifted views of the row, an argmax over them, a gather), and a look
# at a face's hair reads two strips; here 0.027, the same path (the same float32 sums, the same
# first-best on ties)
@compiled("int64[::1](float32[:, ::1], float32)")
def _best_path(gain: np.ndarray, bend: np.float32) -> np.ndarray:
    """The path of edge_path over `gain` (rows x columns): each row's column comes from one of
    the row before's within two columns, at `bend` a column moved; where two come to the same
    sum the one further along the row wins (shift 2, 1, 0, -1, -2, in that order)."""
    rows, cols = gain.shape
    score = gain[0].copy()
    new = np.empty(cols, np.float32)
    back = np.zeros((rows, cols), np.int64)
    for k in range(1, rows):
        for c in range(cols):
            # the row's own column is always there: `best` is a sum, never the start's -inf
            best, came = np.float32(-np.inf), c
            for d in range(2, -3, -1):
                if 0 <= c + d < cols:
                    v = score[c + d] - bend * np.float32(abs(d))
                    if v > best:
                        best, came = v, c + d
            new[c] = best + gain[k, c]
            back[k, c] = came
        score, new = new, score
    path = np.empty(rows, np.int64)
    top = 0
    for c in range(1, cols):
        if score[c] > score[top]:
            top = c
    path[rows - 1] = top
    for k in range(rows - 1, 0, -1):
        path[k - 1] = back[k, path[k]]
    return path


def outline_reach(pts: np.ndarray, side: int, heights: np.ndarray) -> np.ndarray | None:
    """Per row of `heights` (chin-to-forehead-top axis), the outline's distance from the axis on
    `side` (+1: the image's left on an upright face), in face_axes' units. None where a row
    misses the outline."""
    oh, ob = height_of(pts, ft.face_oval()), across_at(pts, ft.face_oval())
    nxt = np.roll(np.arange(len(oh)), -1)
    level = heights[:, None]
    # each row against each of the outline's segments: where it crosses, and how far across
    crossing = ((oh - level) * (oh[nxt] - level) <= 0) & (oh != oh[nxt])
    if not crossing.any(axis=1).all():
        return None
    rise = np.where(oh[nxt] != oh, oh[nxt] - oh, 1.0)
    b = ob + (level - oh) / rise * (ob[nxt] - ob)
    reach = (np.where(crossing, b, -np.inf).max(axis=1) if side > 0
             else -np.where(crossing, b, np.inf).min(axis=1)).astype(np.float32)
    return None if (reach <= 0).any() else reach


def _feature_reach(pts: np.ndarray, side: int, heights: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """(rows,) how far out the eyes and brows reach on `side` at each row, in the row's outline
    units (0 where none is near the row)."""
    marks = np.concatenate([ft.left_eye(), ft.right_eye(), ft.brows()])
    mh, mb = height_of(pts, marks), side * across_at(pts, marks)
    step = abs(float(heights[0] - heights[-1])) / max(len(heights) - 1, 1)
    near = np.abs(mh[None, :] - heights[:, None]) <= 2 * step
    furthest = np.where(near, mb[None, :], -np.inf).max(axis=1).astype(np.float64)
    out = np.maximum(furthest / reach.astype(np.float64), 0.0)
    return np.where(near.any(axis=1), out, 0.0).astype(np.float32)


class HairEdge(NamedTuple):
    """Where hair begins on one side of a face: per row of `heights` (the chin-to-forehead-top
    axis), the edge's distance from the axis `at` and the outline's `reach`, on `side` (+1: the
    image's left on an upright face)."""

    side: int
    heights: np.ndarray
    at: np.ndarray
    reach: np.ndarray


def hair_edges(image: np.ndarray, pts: np.ndarray, below_mouth: bool = True) -> list[HairEdge]:
    """The edges of hair over the cheeks of the face with mesh `pts` in `image` (BGR: a source
    photo at upload, or a frame's face, models/target_hair.py), a side at a time (see the
    module's docstring). Without `below_mouth` the cheeks are looked at only
    down to the mouth's corners (a bearded face: its beard's edge is no hair)."""
    p = pts[:, :2].astype(np.float32)
    if ft.face_width(p) < 20:
        return []
    brows = float(height_of(p, ft.brows()).max())
    top = brows + ABOVE * (1.0 - brows)
    corners = float(height_of(p, list(ft.MOUTH_CORNERS)).max())
    bottom = corners * (1.0 - LOW) if below_mouth else corners  # the chin is at height 0
    if top <= bottom:
        return []
    heights = np.linspace(top, bottom, ROWS).astype(np.float32)
    lab = cv2.cvtColor(cv2.GaussianBlur(image, (0, 0), 0.8), cv2.COLOR_BGR2LAB).astype(np.float32)
    lightness = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[:, :, 0].astype(np.float32)
    grain = cv2.GaussianBlur(np.abs(cv2.Laplacian(lightness, cv2.CV_32F, ksize=3)), (0, 0), 1.0)
    us = np.linspace(FROM, TO, COLS).astype(np.float32)
    rest_from = int(np.searchsorted(us, 1.0))
    found = []
    for side in (1, -1):
        reach = outline_reach(p, side, heights)
        if reach is None:
            continue
        px, py = _strip_pixels(p, side, heights, reach, us)
        strip = cv2.remap(lab, px, py, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        fine = cv2.remap(grain, px, py, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        step = np.diff(strip, axis=1)
        strength = np.sqrt(step[:, :, 0] ** 2 + 2 * step[:, :, 1] ** 2 + 2 * step[:, :, 2] ** 2)
        strength = np.concatenate([strength, strength[:, -1:]], axis=1)
        lowest = np.searchsorted(us, np.maximum(_feature_reach(p, side, heights, reach) + CLEAR, NEAREST))
        strength[np.arange(COLS)[None, :] < lowest[:, None]] = 0.0
        path = edge_path(strength, rest_from)
        inner = np.nonzero(us[path] < INSIDE)[0]
        if len(inner) < SHARE * ROWS or np.median(us[path[inner]]) >= DEEP:
            continue
        # per row of `inner`, over it and the two rows each side: the skin inside the edge, what
        # lies beyond it up to the outline, and what lies outside the outline
        a = path[inner]
        fits = (a - BAND >= 0) & (rest_from - 1 - (a + 2) >= 2)
        k, a = inner[fits], a[fits]
        r0, r1 = np.maximum(k - 2, 0), np.minimum(k + 3, ROWS)
        table = np.dstack([strip, fine])
        skin = _box_means(table, r0, r1, a - BAND, a - 1)
        past = _box_means(table, r0, r1, a + 2, np.full_like(a, rest_from - 1))
        outside = _box_means(table, r0, r1, np.full_like(a, rest_from + 2), np.full_like(a, COLS))
        like_outside = np.linalg.norm(past[:, :3] - outside[:, :3], axis=1) < np.linalg.norm(
            past[:, :3] - skin[:, :3], axis=1)
        finer = past[:, 3] / np.maximum(skin[:, 3], 0.3) >= GRAIN
        hair = int((like_outside & finer).sum())
        if hair >= HAIRY * len(inner):
            found.append(HairEdge(side, heights, us[path], reach))
    return found


def _box_means(values: np.ndarray, r0: np.ndarray, r1: np.ndarray, c0: np.ndarray, c1: np.ndarray
               ) -> np.ndarray:
    """(n, channels): the mean of `values` (rows x columns x channels) over each box of rows r0:r1
    and columns c0:c1 (arrays of n), by a summed-area table."""
    table = np.zeros((values.shape[0] + 1, values.shape[1] + 1, values.shape[2]), np.float64)
    table[1:, 1:] = values.cumsum(0).cumsum(1)
    total = table[r1, c1] - table[r0, c1] - table[r1, c0] + table[r0, c0]
    return (total / ((r1 - r0) * (c1 - c0))[:, None]).astype(np.float32)


def _strip_pixels(p: np.ndarray, side: int, heights: np.ndarray, reach: np.ndarray, us: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """float32 x and y (rows x columns) of each strip cell: the row's height up the axis, the
    column's share `us` of the outline's `reach` across it (`us`: the columns', or per row,
    rows x columns)."""
    chin, up, _ = _chin_axis(p)
    across = side * reach[:, None] * (us if us.ndim == 2 else us[None, :])
    # chin + height * up + across * (up turned a quarter: face_axes' across)
    px = chin[0] + heights[:, None] * up[0] + across * up[1]
    py = chin[1] + heights[:, None] * up[1] - across * up[0]
    return px.astype(np.float32), py.astype(np.float32)


def beyond(shape: tuple[int, int], pts: np.ndarray, edges: list[HairEdge], reach: float = TO) -> np.ndarray:
    """uint8 `shape`: 255 past each of `edges`, out to `reach` of the outline's distance."""
    p = pts[:, :2].astype(np.float32)
    out = np.zeros(shape, np.uint8)
    for edge in edges:
        ends = np.stack([edge.at, np.full_like(edge.at, reach)], 1)  # each row's edge and far end
        px, py = _strip_pixels(p, edge.side, edge.heights, edge.reach, ends)
        line = np.stack([px[:, 0], py[:, 0]], 1)
        far = np.stack([px[:, 1], py[:, 1]], 1)[::-1]
        cv2.fillPoly(out, [np.round(np.concatenate([line, far]) * 16).astype(np.int32)], 255, cv2.LINE_8, 4)
    return out


def side_hair(image: np.ndarray, pts: np.ndarray, below_mouth: bool = True,
              edges: list[HairEdge] | None = None) -> np.ndarray | None:
    """uint8 (h, w): 255 where hair over a cheek (hair_edges, found here unless given) is to be
    cut from the photo's mask, feathered as the outline is; None where there is none."""
    edges = hair_edges(image, pts, below_mouth) if edges is None else edges
    if not edges:
        return None
    return hair_cut(image.shape[:2], pts, edges)


def hair_cut(shape: tuple[int, int], pts: np.ndarray, edges: list[HairEdge], factor: int = 1) -> np.ndarray:
    """uint8 `shape` (h, w): 255 past each of `edges` on the face `pts`, grown by GROW of the face's
    width and blurred as far, as the outline's fade is; never over the eyes and brows. Worked at
    1/`factor` of the size and enlarged (it is smooth): a frame's cut (target_hair.SHRINK), in
    about a quarter of the work at 2."""
    h, w = shape
    p = pts[:, :2].astype(np.float32)
    face_w = ft.face_width(p)
    if factor > 1:
        # the small image's pixel i is where cv2.resize takes it from: full pixel (i + 0.5) * f - 0.5
        p = (p + np.float32(0.5)) / np.float32(factor) - np.float32(0.5)
    small = shrunk_shape((h, w), factor)
    cut = beyond(small, p, edges)
    grow = max(1, round(GROW * face_w / factor))
    cut = cv2.GaussianBlur(cv2.dilate(cut, disc(grow)), (0, 0), grow)
    # the eyes and brows are never cut, not even by the fade: at CLEAR alone the fade took a
    # quarter off an eye's outer corner
    features = np.zeros(small, np.uint8)
    for part in (ft.left_eye(), ft.right_eye(), ft.LEFT_BROW, ft.RIGHT_BROW):
        hull = cv2.convexHull(np.round(p[list(part)] * 16).astype(np.int32))
        cv2.fillConvexPoly(features, hull, 255, cv2.LINE_8, 4)
    keep = max(1, round(KEEP * face_w / factor))
    features = cv2.GaussianBlur(cv2.dilate(features, disc(keep)), (0, 0), keep / 2.0)
    cut = cv2.multiply(cut, cv2.bitwise_not(features), scale=1.0 / 255.0)
    if factor == 1:
        return cut
    return cv2.resize(cut, (small[1] * factor, small[0] * factor), interpolation=cv2.INTER_LINEAR)[:h, :w]


def paint_over_hair(image: np.ndarray, pts: np.ndarray, edges: list[HairEdge]) -> np.ndarray:
    """`image` (BGR) with the hair past each of `edges` painted over in the colour of the skin
    just inside it, row by row (smoothed down the rows), and the edge's own blend of hair and
    skin with it. OpenCV's inpainting (Telea's method), tried first, fills a region from all
    round it: the hair past the outline came in too (on `t1.jpg`'s first woman, the pixels it
    changed had a mean lightness of 153; the middle of her skin, 188)."""
    h, w = image.shape[:2]
    p = pts[:, :2].astype(np.float32)
    grow = max(1, round(PAINT_GROW * ft.face_width(p)))
    colour = image.astype(np.float32)
    height, _ = face_axes((h, w), p)
    out = colour.copy()
    for edge in edges:
        # the band inside the edge, per row, in the outline's units
        band = edge.at[:, None] - np.linspace(*FROM_SKIN, 6, dtype=np.float32)[None, :]
        bx, by = _strip_pixels(p, edge.side, edge.heights, edge.reach, band)
        rows = cv2.remap(colour, bx, by, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).mean(axis=1)
        rows = cv2.GaussianBlur(rows[:, None, :], (1, 0), sigmaX=0.1, sigmaY=PAINT_ROWS)[:, 0, :]
        region = cv2.dilate(beyond((h, w), p, [edge], PAINT_REACH), disc(grow)) > 0
        order = np.argsort(edge.heights)
        at = height[region]
        out[region] = np.stack([np.interp(at, edge.heights[order], rows[order, c]) for c in range(3)], 1)
    # the painted region's border blended over PAINT_GROW more: at a pixel or two a line showed where
    # the smooth paint met the skin
    changed = (np.abs(out - colour).max(axis=2) > 0).astype(np.float32)
    k = cv2.GaussianBlur(changed, (0, 0), float(grow))[:, :, None]
    return np.clip(colour + k * (out - colour) + 0.5, 0, 255).astype(np.uint8)
