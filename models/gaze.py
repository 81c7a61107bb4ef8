"""The source's eyes, looking where the target's look.

A source photo's eyes carry much of its likeness (dlib's recogniser, bench.quality: with the target's
own eyes left in the swap's openings the held-out faces' outputs were retrieved 79% of the time, 86%
with the source's), but the photo looks one way for ever. So the swap keeps the source's eyes only
where the photo shows them open (`openness`), and every frame moves the source's iris, inside the
eye's opening, to where the target's iris is: the opening is cut into a fan of triangles around the
iris, and the fan's centre moved (`move_iris`). An iris is placed in its eye's own frame (`in_eye`,
`from_eye`): along the line from the inner corner to the outer one, and across it toward the chin,
both in units of the corners' distance; so a mirrored eye's iris has the same place as the eye it
mirrors.
"""

from __future__ import annotations

import cv2
import numpy as np

from models import face_topology as ft
from models.compiled import compiled

# each eye's corners, inner then outer: the person's right eye, then their left (as IRISES, contours())
CORNERS = ((133, 33), (362, 263))
IRISES = (ft.RIGHT_IRIS, ft.LEFT_IRIS)
OPEN = 0.12  # the eye contour's area over its span squared: both eyes at least this to be kept
# a target's eyes under SHUT (blinking, squinting, cast down) show their own lids and lashes,
# wholly from SHUT - SHUT_RAMP: a source's open eye squeezed into a slit came out in smears
SHUT = 0.12
SHUT_RAMP = 0.04
MOST = 0.25  # of the eye's span: the furthest an iris is moved each way (a wrong iris is no gaze)


def contours() -> tuple[np.ndarray, np.ndarray]:
    """The eyes' contours (mesh indices in order): the person's right eye, then their left."""
    return ft.right_eye(), ft.left_eye()


def openness(points: np.ndarray, contour: np.ndarray) -> float:
    """How open an eye is: its contour's area over its span (its longest chord) squared. Open
    eyes measured 0.15-0.40 on the bench's photos, eyes closed or cast down 0.02-0.08."""
    poly = points[contour, :2].astype(np.float32)
    span = float(np.linalg.norm(poly[:, None] - poly[None], axis=2).max())
    return float(cv2.contourArea(poly)) / max(span * span, 1e-6)


def eyes_open(points: np.ndarray) -> bool:
    """Whether both eyes of a (468+, 2) mesh are open enough to be swapped (OPEN)."""
    return min(openness(points, c) for c in contours()) >= OPEN


def shut_share(points: np.ndarray) -> float:
    """How much of a target's own eyes to show instead of the source's (0..1, see SHUT): its
    narrower eye decides."""
    least = min(openness(points, c) for c in contours())
    return float(np.clip((SHUT - least) / SHUT_RAMP, 0.0, 1.0))


def _frame(points: np.ndarray, eye: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An eye's origin (its inner corner), the vector to its outer corner, and the one as long
    across it, pointing toward the chin."""
    inner, outer = (points[i, :2].astype(np.float32) for i in CORNERS[eye])
    along = outer - inner
    across = np.array([-along[1], along[0]], np.float32)
    if across @ (points[ft.CHIN, :2] - inner) < 0:
        across = -across
    return inner, along, across


def in_eye(points: np.ndarray, iris: np.ndarray, eye: int) -> np.ndarray:
    """(2,) the place of `iris` (2,) in eye `eye` (0: the person's right, 1: left) of `points`."""
    origin, along, across = _frame(points, eye)
    span2 = max(float(along @ along), 1e-6)
    rel = iris[:2].astype(np.float32) - origin
    return np.array([rel @ along, rel @ across], np.float32) / span2


def from_eye(points: np.ndarray, place: np.ndarray, eye: int) -> np.ndarray:
    """(2,) the point at `place` (in_eye's) in eye `eye` of `points`."""
    origin, along, across = _frame(points, eye)
    return origin + place[0] * along + place[1] * across


def irises(points: np.ndarray) -> np.ndarray | None:
    """(2, 2) the places of a 478-point mesh's irises in their eyes (right, left), or None for a
    mesh without them."""
    if len(points) <= max(IRISES):
        return None
    return np.stack([in_eye(points, points[i], eye) for eye, i in enumerate(IRISES)])


def _fan_coordinates(a: np.ndarray, b: np.ndarray, p: np.ndarray, tiny: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Barycentric coordinates of `p` ((2,) or (N, 2), from the fan's centre) on the outer corners
    `a` and `b` (K, 2, from the centre) of each of a fan's K triangles: (K,) or (K, N) each, and
    (K,) whether the triangle has an area over `tiny` (where it has not, the coordinates mean
    nothing). The centre's coordinate is 1 less the two."""
    det = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]  # (K,) twice each triangle's signed area
    ok = np.abs(det) > tiny
    column = (-1,) + (1,) * (p.ndim - 1)  # each triangle's values against every point
    det = np.where(ok, det, 1.0).reshape(column)
    on_a = (p[..., 0] * b[:, 1].reshape(column) - p[..., 1] * b[:, 0].reshape(column)) / det
    on_b = (a[:, 0].reshape(column) * p[..., 1] - a[:, 1].reshape(column) * p[..., 0]) / det
    return on_a, on_b, ok


# compiled for its one signature on import (models/compiled.py), not in a stream's first frame
@compiled("UniTuple(float32[:, ::1], 2)(int64, int64, int64, int64, float32[::1], float32[:, ::1], "
          "float32[::1])")
def _fan_maps(x0: int, y0: int, x1: int, y1: int, centre: np.ndarray, ring: np.ndarray, move: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """float32 sampling maps over the box (x0, y0, x1, y1) that move each pixel by `move` times its
    weight on `centre` in the fan from `centre` to the closed polygon `ring` (K, 2): 1 at the
    centre, falling linearly to 0 at the ring, 0 outside the fan. In float32 throughout, as numpy
    worked it out over (K, pixels) arrays before (0.2 ms an eye, the same maps)."""
    one, zero, tiny, slack = np.float32(1.0), np.float32(0.0), np.float32(1e-6), np.float32(-1e-6)
    # each fan triangle's outer corners from the centre, and twice its area: the same for every pixel
    a = ring - centre
    b = np.empty_like(a)
    if len(a):
        b[:-1], b[-1] = a[1:], a[0]
    det = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    map_x = np.empty((y1 - y0, x1 - x0), np.float32)
    map_y = np.empty((y1 - y0, x1 - x0), np.float32)
    for row in range(y1 - y0):
        y = np.float32(y0 + row)
        py = y - centre[1]
        for col in range(x1 - x0):
            x = np.float32(x0 + col)
            px = x - centre[0]
            weight = zero
            for i in range(len(ring)):
                if not abs(det[i]) > tiny:
                    continue
                on_a = (px * b[i, 1] - py * b[i, 0]) / det[i]
                on_b = (a[i, 0] * py - a[i, 1] * px) / det[i]
                centre_w = one - on_a - on_b
                if on_a >= slack and on_b >= slack and centre_w >= slack:
                    weight = max(weight, min(max(centre_w, zero), one))
            map_x[row, col] = x + weight * move[0]
            map_y[row, col] = y + weight * move[1]
    return map_x, map_y


def move_iris(image: np.ndarray, contour: np.ndarray, iris: np.ndarray, to: np.ndarray) -> None:
    """Move what lies at `iris` inside the polygon `contour` (K, 2) of `image` to `to`, in place:
    each triangle of the fan from `to` to the contour takes the pixels of its twin from `iris`
    (a pixel moves by the move times its weight on the fan's centre). The contour stays where it
    is; nothing outside it changes."""
    x0, y0 = np.floor(contour.min(0)).astype(int) - 1
    x1, y1 = np.ceil(contour.max(0)).astype(int) + 2
    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    map_x, map_y = _fan_maps(int(x0), int(y0), int(x1), int(y1), to.astype(np.float32),
                             np.ascontiguousarray(contour, dtype=np.float32), (iris - to).astype(np.float32))
    image[y0:y1, x0:x1] = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def carried(point: np.ndarray, points: np.ndarray, moved: np.ndarray, contour: np.ndarray
            ) -> np.ndarray | None:
    """(2,) where `point`, inside the opening `contour` of the mesh `points`, lands when that
    mesh is warped onto `moved`: the warp draws each opening as a fan from its first point
    (face_topology.opening_triangles), and the point keeps its place in its triangle. None for a
    point outside the opening."""
    ring, onto = points[contour, :2].astype(np.float64), moved[contour, :2].astype(np.float64)
    first, a, b = ring[0], ring[1:-1] - ring[0], ring[2:] - ring[0]
    on_a, on_b, ok = _fan_coordinates(a, b, point[:2] - first, 1e-9)
    inside = np.flatnonzero(ok & (on_a >= -1e-6) & (on_b >= -1e-6) & (on_a + on_b <= 1.0 + 1e-6))
    if not len(inside):
        return None
    i = int(inside[0])
    landed = onto[0] + on_a[i] * (onto[i + 1] - onto[0]) + on_b[i] * (onto[i + 2] - onto[0])
    return landed.astype(np.float32)


def follow(image: np.ndarray, target: np.ndarray, moved: np.ndarray,
           textures: list[tuple[np.ndarray, np.ndarray, float]]) -> None:
    """Move the irises of a swapped face to the target's, in place. `image` holds the source's
    eyes warped onto `moved` (the swap's mesh in the image's pixels) from `textures`, each its mesh,
    where its irises lie in its eyes (2, 2) and its weight in the mix; `target` is the frame's
    478-point mesh (without irises nothing moves). An iris moves at most MOST of its eye's span
    each way, and not at all where it would leave its opening."""
    wanted = irises(target)
    if wanted is None:
        return
    for eye, contour in enumerate(contours()):
        landed = [(carried(from_eye(points, places[eye], eye), points, moved, contour), k)
                  for points, places, k in textures]
        if any(at is None for at, _ in landed):
            continue
        at = sum(p * np.float32(k) for p, k in landed)
        here = in_eye(moved, at, eye)
        to = from_eye(moved, here + np.clip(wanted[eye] - here, -MOST, MOST), eye)
        if float(np.hypot(*(to - at))) < 0.25:
            continue  # under a quarter of a pixel: the eye as warped
        ring = moved[contour, :2].astype(np.float32)
        # the move's end well inside the opening; its start may lie on the contour (an iris seen
        # at an eye's corner)
        if (cv2.pointPolygonTest(ring, (float(at[0]), float(at[1])), True) >= 0.0
                and cv2.pointPolygonTest(ring, (float(to[0]), float(to[1])), True) >= 1.0):
            move_iris(image, ring, at, to)
