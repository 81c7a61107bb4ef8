"""The source's face shape on the target's pose and expression.

The mesh engine paints the source's texture on the target's mesh, so the face keeps the target's
geometry: nose width, eye spacing, face proportions, much of what a recognizer (or a person) sees.
Here the source's mesh is brought onto the target's by the affine map that fits them best (pose,
scale, the foreshortening of a turned head); what is left between the two is the difference in
shape and expression. The target's mesh moves part of the way toward the source's, with three
rules:
- the face's outline moves less (OUTLINE of the rest; weights fall toward it), and a ring of fixed
  points outside it (RING) takes up the difference: the target's pixels between the outline and the
  ring are stretched or squeezed to follow, so the frame never tears where the face meets the
  background (the jaw line and the face's width carry much of what a recognizer sees);
- each eye and the mouth move as one piece and take the source's size along their length (a
  uniform scale about their centre), never changing form: blinks, gaze and speech stay the
  target's (bench.quality: 72% -> 75% retrieval against moving them only);
- `strength` says how far (0: the target's shape, 1: the source's).
The target's own pixels are warped to the new mesh too (the eyes and mouth show through the mask).
"""

from __future__ import annotations

from functools import cache

import cv2
import mediapipe as mp
import numpy as np

from models import face_topology as ft

STRENGTH = 0.7
MAX_GROUP_SCALE = 1.25  # an eye or the mouth grows or shrinks at most this much toward the source's
OUTLINE = 0.75  # how much of STRENGTH the face's outline takes (bench.quality: 0, 0.5, 0.75, 1 measured)
FADE = 0.2  # the weight reaches 1 this far inside the outline, as a fraction of the face's width
RING = 0.2  # a fixed ring this far outside the outline (of its distance to the centre), inside
# what tests call "well outside the face" (15% of its width)


@cache
def rigid_groups() -> tuple[np.ndarray, ...]:
    """Index groups that keep their form: each eye with its iris, the lips."""
    fmc = mp.solutions.face_mesh_connections

    def points(*sets: frozenset) -> np.ndarray:
        return np.array(sorted({i for s in sets for edge in s for i in edge if i < ft.MESH_POINTS}), np.int32)

    return (points(fmc.FACEMESH_LEFT_EYE), points(fmc.FACEMESH_RIGHT_EYE), points(fmc.FACEMESH_LIPS))


def shape_weights(points: np.ndarray) -> np.ndarray:
    """float32 (N,) per mesh point: 0 on the face's outline, rising to 1 inside it."""
    oval = points[ft.face_oval()].astype(np.float32).reshape(-1, 1, 2)
    width = max(float(np.ptp(points[:, 0])), 1.0)
    inside = np.array([cv2.pointPolygonTest(oval, (float(x), float(y)), True)
                       for x, y in points[: ft.MESH_POINTS]], np.float32)
    weights = np.clip(inside / (FADE * width), 0.0, 1.0)
    weights[ft.face_oval()] = 0.0
    return weights


def fit_affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2 x 3 least-squares affine map taking the points `src` onto `dst`."""
    a = np.hstack([src, np.ones((len(src), 1), np.float32)])
    m, *_ = np.linalg.lstsq(a, dst, rcond=None)
    return m.T.astype(np.float32)


def reshape(src: np.ndarray, dst: np.ndarray, weights: np.ndarray, strength: float = STRENGTH) -> np.ndarray:
    """The target mesh `dst` (N x 2) moved toward the source mesh `src`'s shape."""
    m = fit_affine(src, dst)
    fitted = src @ m[:, :2].T + m[:, 2]
    delta = fitted - dst
    for group in rigid_groups():
        delta[group] = group_move(fitted[group], dst[group])
    return (dst + strength * weights[:, None] * delta).astype(np.float32)


def group_move(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """How each point of an eye or the lips moves: the whole group to the source's place and, about
    its centre, to the source's size along the group's length (a uniform scale: an open eye stays
    as open, a closed one closed)."""
    centre_s, centre_t = source.mean(0), target.mean(0)
    t = target - centre_t
    axis = np.linalg.svd(t, full_matrices=False)[2][0]  # the group's long direction
    scale = float(np.ptp((source - centre_s) @ axis)) / max(float(np.ptp(t @ axis)), 1e-3)
    scale = float(np.clip(scale, 1 / MAX_GROUP_SCALE, MAX_GROUP_SCALE))
    return (centre_s - centre_t) + (scale - 1.0) * t


@cache
def ring_triangles() -> np.ndarray:
    """(2K, 3) triangles of the band between the face's outline (K points) and a ring of K points
    outside it, numbered 468 + k in the order of ft.face_oval()."""
    oval = ft.face_oval()
    k = len(oval)
    ring = ft.MESH_POINTS + np.arange(k)
    nxt = (np.arange(k) + 1) % k
    return np.concatenate([np.stack([oval, oval[nxt], ring], 1),
                           np.stack([oval[nxt], ring[nxt], ring], 1)]).astype(np.int32)


def with_ring(points: np.ndarray) -> np.ndarray:
    """`points` (468 x 2) followed by the ring outside their outline (see ring_triangles)."""
    oval = points[ft.face_oval()]
    centre = oval.mean(0)
    return np.concatenate([points[:ft.MESH_POINTS], centre + (oval - centre) * (1 + RING)]).astype(np.float32)
