"""The source's face shape on the target's pose and expression.

The mesh engine paints the source's texture on the target's mesh, so the face keeps the target's
geometry: nose width, eye spacing, face proportions, much of what a recognizer (or a person) sees.
Here the source's mesh is brought onto the target's by the affine map that fits them best (pose,
scale, the foreshortening of a turned head); what is left between the two is the difference in
shape and expression. The target's mesh moves part of the way toward the source's, by these
rules:
- the face's outline moves less (OUTLINE of the rest; weights fall toward it), and a ring of fixed
  points outside it (RING) takes up the difference: the target's pixels between the outline and the
  ring are stretched or squeezed to follow, so the frame never tears where the face meets the
  background (the jaw line and the face's width carry much of what a recognizer sees);
- each eye and the mouth move as one piece and take the source's size along their length (a
  uniform scale about their centre), never changing form: blinks, gaze and speech stay the
  target's (bench.quality: 72% -> 75% retrieval against moving them only); where that squeezes
  the skin around them, the skin follows their move, fading over CARRY of the face's width;
- a photo's open mouth is expression, not shape: before the fit, the source's jaw is opened or
  closed as far as the target's (with_mouth_of; the lower lip and chin move along the face, fading
  toward the jaw's angles). Without it a speaking or laughing photo dropped every target's chin,
  and a closed-mouthed one pulled a talking target's jaw shut (bench.quality, the press photos,
  where Obama speaking is judged by his portrait: 83% / 93% / 0.590 -> 92% / 95% / 0.567; held out
  87% / 89% / 0.507 -> 88% / 91% / 0.508; the wheels' faces, each judged by the very photo it came
  from, open mouth and all, 85% / 92% / 0.547 -> 84% / 91% / 0.550);
- `strength` says how far (0: the target's shape, 1: the source's).
The affine map is flat: it cannot turn a face. On a turned target a frontal source's nose, lips and
brows, which stand out of the face toward the camera, are fitted where a flat face would have them,
nearer the face's middle than the target's own: the nose was drawn 9-14% of the face's width off
the target's nose, and the source's nose shading lay as a dark band across the near cheek
(bench.quality's astronaut onto the turned woman and man of `t1.jpg`). With the source's depth
(`depth`), the points move instead toward where an affine camera of its 3D mesh, fitted to the
target's points, shows them, each by how far it stands out of the face (protrusion): the nose
stays on the target's own (0.6-2.4% of the face's width off). dlib reads the flat fit as more like
the source (docs/mesh-engine.md), so the depth is an option (MeshEngine(shape_depth=True),
the server's `--shape-fit depth`).
The target's own pixels are warped to the new mesh too (the eyes and mouth show through the mask).
"""

from __future__ import annotations

from functools import cache

import cv2
import mediapipe as mp
import numpy as np

from models import face_topology as ft
from models.order import median
from models.warp import doubled_areas

STRENGTH = 0.7
MAX_GROUP_SCALE = 1.25  # an eye or the mouth grows or shrinks at most this much toward the source's
OUTLINE = 0.75  # how much of STRENGTH the face's outline takes (bench.quality: 0, 0.5, 0.75, 1 measured)
FADE = 0.2  # the weight reaches 1 this far inside the outline, as a fraction of the face's width
CARRY = 0.05  # of the face's width: how far around an eye or the mouth the skin follows its move
SQUEEZE_FULL = 0.2  # a triangle's area, of its own: the skin follows the group fully at this
SQUEEZE_NONE = 0.5  # and not at all from this
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


def jaw_weights(points: np.ndarray, opening: tuple[float, np.ndarray, float] | None = None) -> np.ndarray:
    """float32 (N,): how far each point of the mesh `points` moves with the jaw as the mouth
    opens, as a share of the lower lip's move: 0 above the upper lip's inner edge, rising to 1 at
    the lower lip's, and falling off across the face toward the jaw's angles. `opening` is the
    mesh's mouth_opening, if the caller has it already."""
    p = points[: ft.MESH_POINTS, :2].astype(np.float32)
    gap, down, height = mouth_opening(p) if opening is None else opening
    upper, lower = p[ft.UPPER_INNER_LIP], p[ft.LOWER_INNER_LIP]
    across = np.array([-down[1], down[0]], np.float32)
    half_width = ft.face_width(p) / 2
    ramp = max(gap * height, 0.04 * half_width)  # a closed mouth: over its lips' own height
    below = np.clip(((p - upper) @ down) / ramp, 0.0, 1.0)
    side = ((p - (upper + lower) / 2) @ across) / half_width
    return (below * np.clip(1.0 - side * side, 0.0, 1.0)).astype(np.float32)


def mouth_opening(points: np.ndarray) -> tuple[float, np.ndarray, float]:
    """How far a mesh's mouth is open: the gap between the lips' inner edges at the middle, as a
    share of the face's height from the eyes to the upper lip; with the face's downward direction
    (unit, image pixels) and that height (px)."""
    p = points[: ft.MESH_POINTS, :2].astype(np.float32)
    left, right = p[ft.left_eye()], p[ft.right_eye()]
    eyes = (np.add.reduce(left, 0) / len(left) + np.add.reduce(right, 0) / len(right)) / 2  # their means
    down = p[ft.UPPER_INNER_LIP] - eyes
    height = max(float(np.linalg.norm(down)), 1e-6)
    down = down / height
    return float((p[ft.LOWER_INNER_LIP] - p[ft.UPPER_INNER_LIP]) @ down) / height, down, height


def lip_reading(points: np.ndarray) -> np.ndarray:
    """How open the mouth is (mouth_opening) and how thick the lower lip, at the middle, both as
    shares of the face's height from the eyes to the upper lip."""
    opening, down, height = mouth_opening(points)
    p = points[:, :2].astype(np.float32)
    return np.array([opening, float((p[ft.LOWER_LIP_BOTTOM] - p[ft.LOWER_INNER_LIP]) @ down) / height])


def with_mouth_of(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """`src` (N x 2) with its mouth as open as `dst`'s: its jaw (jaw_weights) moved down the face
    by the difference of their mouth_opening, in `src`'s height."""
    p = src[:, :2].astype(np.float32)
    opening = own, down, height = mouth_opening(p)
    shift = (mouth_opening(dst)[0] - own) * height
    return (p + jaw_weights(p, opening)[:, None] * (shift * down)).astype(np.float32)


def fit_camera(src: np.ndarray, depth: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2 x 4 least-squares affine camera taking the 3D points (`src` N x 2, `depth` N) onto `dst`."""
    a = np.column_stack([src, depth, np.ones(len(src))]).astype(np.float64)
    m, *_ = np.linalg.lstsq(a, dst.astype(np.float64), rcond=None)
    return m.T.astype(np.float32)


def protrusion(depth: np.ndarray) -> np.ndarray:
    """float32 (N,), 0..1: how far each point of a mesh stands out of the face toward the camera
    (`depth`: smaller is nearer, as FaceMesh's), from 0 at its outline's mean depth (and behind
    it) to 1 at its nearest point."""
    rim = float(depth[ft.face_oval()].mean())
    return np.clip((rim - depth) / max(rim - float(depth.min()), 1e-6), 0.0, 1.0).astype(np.float32)


def in_depth(fitted: np.ndarray, src: np.ndarray, depth: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The flat fit's points `fitted` moved toward where an affine camera of the source's 3D mesh
    (`src`, `depth`), fitted to `dst`, puts them, each by its protrusion: on a turned target the
    nose goes where the target's is, while the outline (at the rim's depth) keeps the flat fit."""
    cam = fit_camera(src, depth, dst)
    seen = src @ cam[:, :2].T + np.outer(depth, cam[:, 2]) + cam[:, 3]
    return (fitted + protrusion(depth)[:, None] * (seen - fitted)).astype(np.float32)


def reshape(src: np.ndarray, dst: np.ndarray, weights: np.ndarray, strength: float = STRENGTH,
            carry: np.ndarray | None = None, jaw: bool = True, depth: np.ndarray | None = None
            ) -> np.ndarray:
    """The target mesh `dst` (N x 2) moved toward the source mesh `src`'s shape. `carry`, from
    group_carry (of either mesh: it is in face widths), is computed here without it. With `jaw`,
    the source's mouth is first opened or closed as far as the target's (with_mouth_of). With the
    source's `depth` (N,), the fit takes in a turned target's (in_depth)."""
    if jaw:
        src = with_mouth_of(src, dst)
    m = fit_affine(src, dst)
    fitted = src @ m[:, :2].T + m[:, 2]
    if depth is not None:
        fitted = in_depth(fitted, src, depth, dst)
    groups = rigid_groups()
    moves = np.stack([group_move(fitted[g], dst[g], dst) for g in groups])  # each group's, everywhere
    own = _own_group()

    def moved(k: np.ndarray) -> np.ndarray:  # k: (groups, N), how far each point follows each group
        total = k.sum(0)
        share = np.minimum(total, 1.0)[:, None]
        pulled = (k[:, :, None] * moves).sum(0) / np.maximum(total, 1e-6)[:, None]
        delta = (1.0 - share) * (fitted - dst) + share * pulled
        return (dst + strength * weights[:, None] * delta).astype(np.float32)

    plain = moved(own)
    # Where a group's move squeezes the skin around it (the rest follows the source's whole
    # expression: a smiling source's mouth, moved as one piece, squeezed the skin under a closed
    # lower lip into a row or two, a bright dash of the source's chin, and folded the mouth's
    # corners into specks), the skin follows the group: fully at SQUEEZE_FULL of a triangle's
    # area, not at all from SQUEEZE_NONE, smoothly between so a face in motion does not jump.
    tris, touching = _around_groups()
    before = doubled_areas(dst[tris])
    ratio = doubled_areas(plain[tris]) / np.where(before == 0, 1.0, before)
    judged = np.abs(before) > 0.1 * median(np.abs(before))  # not those seen edge-on
    spread = np.array([np.clip((SQUEEZE_NONE - ratio[near & judged].min(initial=1.0))
                               / (SQUEEZE_NONE - SQUEEZE_FULL), 0.0, 1.0)
                       for near in touching], np.float32)
    if not spread.any():
        return plain
    if carry is None:
        carry = group_carry(dst)
    return moved(own + spread[:, None] * (carry - own))


@cache
def _own_group() -> np.ndarray:
    """float32 (groups, 468): 1 on each rigid group's points."""
    out = np.zeros((len(rigid_groups()), ft.MESH_POINTS), np.float32)
    for k, group in enumerate(rigid_groups()):
        out[k, group] = 1.0
    return out


@cache
def _around_groups() -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """The triangles (of ft.triangles()) with a corner on an eye or the lips, and per group,
    which of them touch it."""
    tris = ft.triangles()
    touching = [np.isin(tris, group).any(1) for group in rigid_groups()]
    near = np.any(touching, axis=0)
    return tris[near], tuple(t[near] for t in touching)


def group_carry(points: np.ndarray) -> np.ndarray:
    """float32 (groups, N): how far each point of the mesh `points` follows each eye's and the
    mouth's move where it squeezes the skin (reshape): 1 on the group, falling off over CARRY of
    the face's width from it."""
    reach = CARRY * ft.face_width(points)
    out = []
    for group in rigid_groups():
        near = np.sqrt(((points[:, None, :2] - points[group][None, :, :2]) ** 2).sum(2).min(1))
        k = np.exp(-((near / reach) ** 2)).astype(np.float32)
        k[group] = 1.0
        out.append(k)
    return np.stack(out)


def group_move(source: np.ndarray, target: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
    """How each point of an eye or the lips moves: the whole group to the source's place and,
    about its centre, to the source's size along the group's length (a uniform scale: an open eye
    stays as open, a closed one closed). `points` (default: the group's own) are moved the same
    way."""
    # (np.mean's, np.ptp's and np.clip's own arithmetic, without their Python wrappers: a
    # frame calls this three times)
    centre_s, centre_t = np.add.reduce(source, 0) / len(source), np.add.reduce(target, 0) / len(target)
    t = target - centre_t
    axis = np.linalg.svd(t, full_matrices=False)[2][0]  # the group's long direction
    along_s, along_t = (source - centre_s) @ axis, t @ axis
    scale = float(along_s.max() - along_s.min()) / max(float(along_t.max() - along_t.min()), 1e-3)
    scale = min(max(scale, 1 / MAX_GROUP_SCALE), MAX_GROUP_SCALE)
    rel = (target if points is None else points) - centre_t
    return (centre_s - centre_t + (scale - 1.0) * rel).astype(np.float32)


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
