"""Fixed topology of mediapipe's 468-point face mesh: triangles and ordered contours.

Derived once from mediapipe's own connection sets, so the indices can never drift from the model.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import numpy as np
from mediapipe.python.solutions import face_mesh_connections as fmc

MESH_POINTS = 468  # the tessellated points; 468..477, with refine_landmarks, are the irises

# Landmarks used by name. "Left"/"right" are the person's own sides.
NOSE_TIP = 1
CHIN = 152
FOREHEAD_TOP = 10
UPPER_INNER_LIP = 13
LOWER_INNER_LIP = 14
LOWER_LIP_BOTTOM = 17  # the lower lip's outer edge, on the midline
LEFT_IRIS = 473  # present with refine_landmarks
RIGHT_IRIS = 468


def _adjacency(edges: frozenset[tuple[int, int]]) -> dict[int, set[int]]:
    adj: dict[int, set[int]] = defaultdict(set)
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    return adj


def _cycles(edges: frozenset[tuple[int, int]]) -> list[list[int]]:
    """Split a set of edges forming disjoint simple cycles into ordered vertex lists."""
    adj = _adjacency(edges)
    seen: set[int] = set()
    cycles = []
    for start in sorted(adj):
        if start in seen:
            continue
        cycle = [start]
        seen.add(start)
        prev, cur = -1, start
        while True:
            nxt = next((n for n in sorted(adj[cur]) if n != prev and n not in seen), None)
            if nxt is None:
                break
            cycle.append(nxt)
            seen.add(nxt)
            prev, cur = cur, nxt
        cycles.append(cycle)
    return cycles


@cache
def triangles() -> np.ndarray:
    """(T, 3) int32 vertex indices of the tessellation's triangles."""
    edges = fmc.FACEMESH_TESSELATION
    adj = _adjacency(edges)
    tris = set()
    for a, b in edges:
        for c in adj[a] & adj[b]:
            tris.add(tuple(sorted((a, b, c))))
    return np.array(sorted(tris), dtype=np.int32)


@cache
def face_oval() -> np.ndarray:
    return np.array(_cycles(fmc.FACEMESH_FACE_OVAL)[0], dtype=np.int32)


def face_width(points: np.ndarray) -> float:
    """The face's width in `points`' pixels: the x-extent of its outline. Feathers, blurs and
    margins are fractions of it, so they scale with the face."""
    xs = points[face_oval(), 0]
    return max(float(xs.max() - xs.min()), 1.0)  # np.ptp's, without its wrapper: a frame asks a dozen times


@cache
def left_eye() -> np.ndarray:
    return np.array(_cycles(fmc.FACEMESH_LEFT_EYE)[0], dtype=np.int32)


@cache
def right_eye() -> np.ndarray:
    return np.array(_cycles(fmc.FACEMESH_RIGHT_EYE)[0], dtype=np.int32)


# Each brow's outline: its upper edge from the tail in, its lower edge back out (mediapipe's
# eyebrow connections are these two open lines per brow). A convex hull of the brow's points
# also took in the skin above its tail and under its arch.
LEFT_BROW = (276, 283, 282, 295, 285, 336, 296, 334, 293, 300)
RIGHT_BROW = (46, 53, 52, 65, 55, 107, 66, 105, 63, 70)


@cache
def brows() -> np.ndarray:
    """Both eyebrows' points."""
    edges = fmc.FACEMESH_LEFT_EYEBROW | fmc.FACEMESH_RIGHT_EYEBROW
    return np.array(sorted({i for edge in edges for i in edge}), dtype=np.int32)


@cache
def nose() -> np.ndarray:
    """The nose's points, bridge to nostrils."""
    return np.array(sorted({i for edge in fmc.FACEMESH_NOSE for i in edge}), dtype=np.int32)


def _lip_line(through: int, name: str) -> np.ndarray:
    for cycle in _cycles(fmc.FACEMESH_LIPS):
        if through in cycle:
            return np.array(cycle, dtype=np.int32)
    raise RuntimeError(f"mediapipe's lip connections no longer contain the {name}")


@cache
def inner_lips() -> np.ndarray:
    """The inner lip line: the mouth opening."""
    return _lip_line(UPPER_INNER_LIP, "inner lip")


@cache
def outer_lips() -> np.ndarray:
    """The outer lip line: the mouth's edge."""
    return _lip_line(LOWER_LIP_BOTTOM, "outer lip")


@cache
def opening_triangles() -> np.ndarray:
    """Triangles that close the eye and mouth openings, which mediapipe's tessellation leaves
    open: fans over each contour (the contours are nearly convex)."""
    contours = (left_eye(), right_eye(), inner_lips())
    fans = [(c[0], c[i], c[i + 1]) for c in contours for i in range(1, len(c) - 1)]
    return np.array(fans, dtype=np.int32)


def keypoints4(points: np.ndarray) -> np.ndarray:
    """Eye on the image's left, eye on the image's right, nose tip, mouth centre (4 x 2).

    For an unmirrored photo the image's left eye is the person's right eye.
    """
    if len(points) > LEFT_IRIS:
        image_left, image_right = points[RIGHT_IRIS, :2], points[LEFT_IRIS, :2]
    else:
        image_left, image_right = points[right_eye(), :2].mean(0), points[left_eye(), :2].mean(0)
    mouth = (points[UPPER_INNER_LIP, :2] + points[LOWER_INNER_LIP, :2]) / 2
    return np.stack([image_left, image_right, points[NOSE_TIP, :2], mouth])


MOUTH_CORNERS = (61, 291)


def keypoints5(points: np.ndarray) -> np.ndarray:
    """ArcFace's five alignment points from a mesh (5 x 2): eye on the image's left, eye on the
    image's right, nose tip, mouth corner on the image's left, mouth corner on the image's right."""
    eyes_nose = keypoints4(points)[:3]
    corners = points[list(MOUTH_CORNERS), :2]
    corners = corners[np.argsort(corners[:, 0])]
    return np.concatenate([eyes_nose, corners]).astype(np.float32)
