"""The face mesh's left-right symmetry: a turned source's hidden half filled from its seen one, a
frontal source's light made even between its halves (even_light), and a frame's light that differs
between them read at each mesh point (side_light), to be put back on the swap.

mediapipe's 468 points come in mirror pairs (the person's left and right eye corner, ...) plus
points on the face's midline. The pairs are not in mediapipe's Python package; they are derived
from the model itself (`python -m models.symmetry`): a face's mesh, and the mesh of the same photo
flipped left to right and flipped back, put each point where its mirror partner is. The table is
kept in `mesh_mirror.json`.

A source photo of a turned head shows its far half narrowed: a few pixels per triangle which the
swap stretches back across a frontal target, a smear of the far cheek, eye and jaw. When the far
half is much smaller than the near one, the source is redrawn once, at upload, on a symmetric
layout (the near half and its reflection): the near half keeps its own pixels,
the far half from the near half in the flipped photo, blended softly across the midline. Light
differences between the halves do not matter: the engine relights
the face with the target's light every frame.

The photo's own texture is kept too: a target turned the same way shows the far half as narrowly
as the photo does, and there the real half is right and its mirror is not (own_weight).
"""

from __future__ import annotations

import json
import os
from functools import cache

import cv2
import numpy as np

from models import color
from models import face_topology as ft
from models.fields import blur_within, enlarge, shrink, shrunk_shape
from models.mask import EDGE_RING
from models.raster import label_triangles
from models.shape import fit_affine
from models.warp import doubled_areas, sampling_maps, triangle_affines

MIRROR_FILE = os.path.join(os.path.dirname(__file__), "mesh_mirror.json")
# The far half's area over the near half's at or above which a source is left as it is. Real
# photos turned a little (t1.jpg's woman on the right at 0.56; opencv-doc's man with a goatee at
# 0.57) lost likeness when mirrored: a real far half, narrowed, is still that person's, and its
# mirror is not (bench.quality at 0.7 and at 0.5, mean dlib distance to the source: wheel faces
# 0.553 -> 0.546, held out 0.532 -> 0.516). Photos turned further (Hanks at 0.45, t1.jpg's man
# second from the right at 0.47) gained from it. Only the simulated three-quarter view of the
# astronaut (a frontal photo's half squeezed, at 0.62) was retrieved with the mirror and not
# without (wheel faces' retrieval 87% -> 84%; held out 80% -> 81%).
FRONTAL = 0.5
# A turned source keeps its own far half for a target that shows that half about as little: up
# to OWN_FULL more of it (as a share of the near half's area) wholly, fading to the mirrored
# half by OWN_NONE. Swapped onto itself, the mirror had cost a turned photo most of its identity
# (bench.quality, self-swap: dlib distance 0.49 for t1-2, 0.19 with its own half).
OWN_FULL = 0.1
OWN_NONE = 0.3
NOSE_CARRY = 0.12  # of the face's width: how far from the axis the near half follows the nose's move
# Midline points on the face's surface (forehead, between the brows, lips, chin); the nose's
# midline stands out of it and would tilt the axis of a turned head.
AXIS_POINTS = (10, 151, 9, 8, 168, 0, 13, 14, 17, 18, 200, 199, 175, 152)
# A face turned toward profile shows the photo's background in the curve under its nose tip, inside
# the mesh's near half (clean_nose): in the nose's region, grown by NOSE_REACH of the face's width,
# pixels brighter than the face's median and more than NOSE_BACKGROUND robust spreads from its
# colour in a or b are filled from around them, over INPAINT_REACH of the face's width.
NOSE_REACH = 0.04
NOSE_BACKGROUND = 2.0
INPAINT_REACH = 0.02
# Below the lips the profile's edge runs down the chin, and the photo's background shows between
# it and the mesh's axis; mirrored, it was a grey stripe down the chin of every target (the fifth
# person of t1.jpg). Within CHIN_REACH of the face's width either side of the axis, pixels nearer
# the background beside the photo's chin (the ring outside its outline that mask.edge_intrusions
# judges the background by, EDGE_RING, within BACKGROUND_NEAR of the chin) than the chin's skin
# (within CHIN_SKIN of the axis), and within BACKGROUND_LIKE LAB levels of it, are filled from
# around them, where they reach the chin's outline. At 25 too little of his stripe was taken to
# reach the outline, at 35 all of it; a dark beard is further than 40 from all but a dark
# background.
CHIN_REACH = 0.04
CHIN_SKIN = 0.15
BACKGROUND_NEAR = 0.25
BACKGROUND_LIKE = 40.0
# even_light: the light made even between the face's halves at scales coarser than EVEN_SCALE of
# its width, for faces whose far half's area is EVEN_FROM of the near half's or more (fully from
# EVEN_FULL). For every face, a turned photo onto its own frames came back further from itself
# (bench.quality's self-swap: wheel faces 0.104 -> 0.174, t1.jpg's turned second person 0.143 ->
# 0.218); from the front only, 0.112
EVEN_SCALE = 0.05
EVEN_FROM, EVEN_FULL = 0.7, 0.9
EVEN_SEEN = 0.5  # the share of a blur on the face's own pixels from which a pixel moves wholly


@cache
def _table() -> dict[str, list[int]]:
    with open(MIRROR_FILE) as f:
        return json.load(f)


@cache
def mirror() -> np.ndarray:
    """(468,) int32: each point's mirror partner (itself on the midline)."""
    return np.array(_table()["mirror"], np.int32)


@cache
def sides() -> np.ndarray:
    """(468,) int8: +1 on the person's left half (the larger x in an upright, unmirrored photo),
    -1 on the right, 0 on the midline."""
    return np.array(_table()["side"], np.int8)


def derive(meshes: list[np.ndarray], flipped: list[np.ndarray], widths: list[int]
           ) -> tuple[list[int], list[int]]:
    """Mirror pairs and sides from meshes of frontal photos and of the same photos flipped.

    meshes[k], flipped[k]: (468, 2) points of photo k and of photo k flipped left to right
    (in the flipped photo's pixels); widths[k]: photo k's width."""
    from scipy.optimize import linear_sum_assignment

    cost = np.zeros((ft.MESH_POINTS, ft.MESH_POINTS), np.float64)
    for pts, flip, w in zip(meshes, flipped, widths, strict=True):
        back = flip[:ft.MESH_POINTS, :2].astype(np.float64).copy()
        back[:, 0] = w - 1 - back[:, 0]  # point i of the flipped photo is point mirror(i) here
        pts = pts[:ft.MESH_POINTS, :2].astype(np.float64)
        cost += np.linalg.norm(back[:, None] - pts[None], axis=2) / np.ptp(pts[:, 0])
    _, partner = linear_sum_assignment(cost)
    if not (partner[partner] == np.arange(ft.MESH_POINTS)).all():
        raise ValueError("the meshes do not give a consistent pairing; use more or more frontal photos")
    x = np.mean([pts[:ft.MESH_POINTS, 0] for pts in meshes], axis=0)
    side = np.sign(x - x[partner]).astype(int)
    side[partner == np.arange(ft.MESH_POINTS)] = 0
    return partner.tolist(), side.tolist()


def seen_from_front(points: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """(468, 2) float32: the face's shape seen from the front (front_view's x and y)."""
    return np.ascontiguousarray(front_view(points, depth)[:, :2])


def front_view(points: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """(468, 3) float32: the face's 3D mesh seen from the front: x, y and depth (smaller is
    nearer). `points` (468, 2) and `depth` (468,), in the same pixels, are its 3D mesh as FaceMesh
    reads it; it is turned to face the camera, upright (whichever way the photo's head is turned,
    tilted or rolled), and made symmetric. A turned photo's symmetric layout (symmetric_layout) is
    where its texture is drawn, not its shape: its near half, seen at an angle, is wider than half
    a face, and a face read from it was rounder than the person's. The left-right axis joins each
    point to its mirror partner; the up axis runs from the chin to the top of the forehead. FaceMesh
    guesses the far half's depth, so each half is averaged with the other's reflection: a poor
    guess counts half (a photo squeezed flat, which has no depth to read, gives both halves their
    mean width instead of one narrow one)."""
    mesh = np.column_stack([points[: ft.MESH_POINTS, :2], depth[: ft.MESH_POINTS]]).astype(np.float64)
    left = sides() == 1
    across = (mesh[left] - mesh[mirror()[left]]).mean(0)
    across /= np.linalg.norm(across)
    up = mesh[ft.FOREHEAD_TOP] - mesh[ft.CHIN]
    up -= (up @ across) * across
    up /= np.linalg.norm(up)
    toward = np.cross(across, up)
    if toward[2] < 0:  # along the depth as FaceMesh gives it, whichever way the axes turned
        toward = -toward
    centred = mesh - mesh.mean(0)
    seen = np.column_stack([centred @ across, -(centred @ up), centred @ toward])
    reflected = seen[mirror()] * np.array([-1.0, 1.0, 1.0])  # centred: the midline is x = 0
    front = (seen + reflected) / 2
    front[:, :2] += mesh[:, :2].mean(0)
    return front.astype(np.float32)


def _axis(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A point on the face's midline and the line's unit direction (chin to forehead)."""
    line = points[list(AXIS_POINTS)].astype(np.float32)
    vx, vy, x, y = cv2.fitLine(line, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    direction = np.array([vx, vy], np.float32)
    if direction @ (points[ft.FOREHEAD_TOP] - points[ft.CHIN]) < 0:
        direction = -direction
    return np.array([x, y], np.float32), direction


def reflect(points: np.ndarray, origin: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """`points` mirrored about the line through `origin` along the unit `direction`."""
    rel = points - origin
    along = (rel @ direction)[:, None] * direction
    return (origin + 2 * along - rel).astype(np.float32)


def _areas(points: np.ndarray) -> np.ndarray:
    return np.abs(doubled_areas(points[ft.triangles()])) / 2


@cache
def _triangle_sides() -> np.ndarray:
    return np.sign(sides()[ft.triangles()].sum(1))


@cache
def _layout_triangles() -> np.ndarray:
    """The triangles a face is redrawn by: the mesh's and those closing its eyes and mouth. Left
    out, the openings were holes in the mesh, drawn by the whole face's affine fit from the photo:
    the far eye came from the narrowed real one and the near one shifted off its own outline,
    ghost eyes once the source's eyes were kept (models/gaze.py)."""
    return np.concatenate([ft.triangles(), ft.opening_triangles()])


@cache
def _layout_sides() -> np.ndarray:
    return np.sign(sides()[_layout_triangles()].sum(1))


def side_share(points: np.ndarray, side: int) -> float:
    """The area of the face's `side` half (+1, -1) in a photo over its other half's."""
    areas = _areas(points[:ft.MESH_POINTS])
    return float(areas[_triangle_sides() == side].sum() / max(areas[_triangle_sides() == -side].sum(), 1e-6))


def far_side(points: np.ndarray) -> tuple[int, float]:
    """The side (+1, -1) that shows less of the face, and its area over the other side's."""
    left = side_share(points, 1)
    return (1, left) if left <= 1.0 else (-1, 1.0 / left)


def own_weight(source_share: float, target_share: float) -> float:
    """How much of a turned source's own texture a frame uses (the rest is the texture with its far
    half mirrored): 1 while the target shows the source's far half (`target_share`, its area over
    the near half's, as side_share) at most OWN_FULL more than the source photo did
    (`source_share`), 0 from OWN_NONE more; linear between, so a turning head changes smoothly."""
    return float(np.clip((source_share + OWN_NONE - target_share) / (OWN_NONE - OWN_FULL), 0.0, 1.0))


def symmetric_layout(points: np.ndarray, far: int) -> np.ndarray:
    """The near half of `points` as it is, the far half its reflection, the midline on the axis.

    On a turned head the nose stands out of the face toward the far side: its midline points are
    moved back onto the axis, and the near half's points beside them move with them (by the move
    of the nearest midline point, fading over NOSE_CARRY of the face's width from the axis).
    Left where they were, the nose's near flank folded over the axis, and its reflection with it:
    a hard line down the bridge of the nose."""
    origin, direction = _axis(points)
    s = sides()
    mid, near = s == 0, s == -far
    layout = points.astype(np.float32).copy()
    onto_axis = (reflect(points[mirror()], origin, direction)[mid] - points[mid]) / 2
    layout[mid] += onto_axis
    normal = np.array([-direction[1], direction[0]], np.float32)
    across = np.abs((points[near] - origin) @ normal)  # each near point's distance from the axis
    nearest = np.argmin(np.linalg.norm(points[near][:, None] - points[mid][None], axis=2), axis=1)
    carry = np.exp(-((across / (NOSE_CARRY * ft.face_width(points))) ** 2))
    layout[near] += carry[:, None] * onto_axis[nearest]
    layout[s == far] = reflect(layout[mirror()], origin, direction)[s == far]
    return layout


def _warp_to(image: np.ndarray, inside: np.ndarray, pts: np.ndarray, layout: np.ndarray,
             size: tuple[int, int], label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`image` and its `inside` mask warped so `pts` land on `layout` (canvas `size`): triangle by
    triangle inside the mesh, one affine fit of the whole face outside it (the image's edge
    pixels repeated; the mask 0 beyond its own)."""
    w, h = size
    fit = fit_affine(layout, pts)
    tris = _layout_triangles()
    map_x, map_y = sampling_maps(triangle_affines(layout[tris], pts[tris]), label, (0, 0, w, h))
    mesh = label > 0
    out = []
    for picture, border in ((image, cv2.BORDER_REPLICATE), (inside, cv2.BORDER_CONSTANT)):
        whole = cv2.warpAffine(picture, fit, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=border)
        whole[mesh] = cv2.remap(picture, map_x, map_y, cv2.INTER_LINEAR, borderMode=border)[mesh]
        out.append(whole)
    return out[0], out[1]


def face_mask(points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 mask of the face's outline in an image of `size` (w, h)."""
    mask = np.zeros((size[1], size[0]), np.uint8)
    cv2.fillPoly(mask, [np.round(points[ft.face_oval()]).astype(np.int32)], 255)
    return mask


def clean_nose(image: np.ndarray, layout: np.ndarray) -> np.ndarray:
    """A redrawn face (`image`, its mesh `layout`) with what is not skin under its nose filled
    from around it. Seen toward profile (the fifth person of `t1.jpg`), the photo's background
    shows in the curve between the nose tip and the lip, inside the near half's mesh; mirrored,
    it was a white ring at the nostrils of every target. Only what is brighter than the face and
    unlike its colour is taken: the nostrils' own dark red stays (taken as well, a photo turned
    less, t1.jpg's second person, lost its likeness on one target of three)."""
    h, w = image.shape[:2]
    width = ft.face_width(layout)
    nose = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(nose, cv2.convexHull(np.round(layout[ft.nose()]).astype(np.int32)), 255)
    grow = max(1, round(NOSE_REACH * width))
    nose = cv2.dilate(nose, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    skin = lab[(face_mask(layout, (w, h)) > 0) & (nose == 0)]
    if len(skin) < 50:
        return image
    median = np.median(skin, axis=0)
    spread = 1.4826 * np.median(np.abs(skin - median), axis=0) + 1.0  # a robust spread, and noise
    unlike = (np.abs(lab[:, :, 1:] - median[1:]) / spread[1:]).max(axis=2) > NOSE_BACKGROUND
    background = (nose > 0) & unlike & (lab[:, :, 0] > median[0])
    if not background.any():
        return image
    holes = cv2.dilate(background.astype(np.uint8) * 255, np.ones((3, 3), np.uint8))
    return cv2.inpaint(image, holes, max(2, round(INPAINT_REACH * width)), cv2.INPAINT_TELEA)


def background_beside_chin(image: np.ndarray, inside: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The median LAB colour of the photo just outside its face's outline around the chin, or None
    where the photo shows too little there."""
    h, w = image.shape[:2]
    width = ft.face_width(points)
    outward = cv2.distanceTransform(cv2.bitwise_not(face_mask(points, (w, h))), cv2.DIST_L2, 3)
    ys, xs = np.mgrid[0:h, 0:w]
    chin = points[ft.CHIN]
    ring = ((outward > EDGE_RING[0] * width) & (outward < EDGE_RING[1] * width) & (inside > 200)
            & (np.hypot(xs - chin[0], ys - chin[1]) < BACKGROUND_NEAR * width))
    if ring.sum() < 20:
        return None
    return np.median(cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[ring].astype(np.float32), axis=0)


def clean_chin(image: np.ndarray, layout: np.ndarray, background: np.ndarray) -> np.ndarray:
    """A redrawn face (`image`, its mesh `layout`) with the photo's `background` (LAB) filled from
    around it where it runs down the chin along the axis and reaches the chin's outline. A real
    dark chin (a shadow, a goatee) is nearer the chin's skin, or is filled from its own sides."""
    h, w = image.shape[:2]
    width = ft.face_width(layout)
    origin, direction = _axis(layout)
    normal = np.array([-direction[1], direction[0]], np.float32)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    across = np.abs((xs - origin[0]) * normal[0] + (ys - origin[1]) * normal[1])
    along = (xs - origin[0]) * direction[0] + (ys - origin[1]) * direction[1]
    lip = float((layout[ft.LOWER_LIP_BOTTOM] - origin) @ direction)
    chin_end = float((layout[ft.CHIN] - origin) @ direction) - CHIN_REACH * width
    face = face_mask(layout, (w, h)) > 0
    below_lips = (along < lip) & (along > chin_end)
    skin = face & below_lips & (across < CHIN_SKIN * width)
    if skin.sum() < 50:
        return image
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    chin = np.median(lab[skin], axis=0)
    band = below_lips & (across < CHIN_REACH * width) & face
    off_background = np.linalg.norm(lab - background, axis=2)
    nearer_background = off_background < np.linalg.norm(lab - chin, axis=2)
    found = (band & (off_background < BACKGROUND_LIKE) & nearer_background).astype(np.uint8)
    # only what reaches the chin's outline: the background comes in from beyond the profile
    inward = cv2.distanceTransform(face.astype(np.uint8), cv2.DIST_L2, 3)
    count, parts = cv2.connectedComponents(found, connectivity=8)
    kept = np.zeros(count, bool)
    kept[np.unique(parts[(found > 0) & (inward <= max(2.0, INPAINT_REACH * width))])] = True
    kept[0] = False
    holes = kept[parts]
    if not holes.any():
        return image
    holes = cv2.dilate(holes.astype(np.uint8) * 255, np.ones((3, 3), np.uint8))
    return cv2.inpaint(image, holes, max(2, round(INPAINT_REACH * width)), cv2.INPAINT_TELEA)


def fill_hidden_half(image: np.ndarray, inside: np.ndarray, points: np.ndarray,
                     other: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                     frontal: float = FRONTAL) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A turned face redrawn on a symmetric layout, its far half taken from its mirror.

    image: the source crop (BGR); inside: uint8, 255 where the crop holds the photo's own pixels;
    points: (468, 2) mesh in crop pixels. `other`, the same three for another photo of the same
    person, gives the far half instead of the mirror (it should show that half; its colour is
    matched to this photo's). Returns the new (image, inside, points), or None when the face is
    frontal enough to use as it is (its far half at `frontal` of the near half's area or more)."""
    points = points[:ft.MESH_POINTS, :2].astype(np.float32)
    far, ratio = far_side(points)
    if ratio >= frontal:
        return None
    layout = symmetric_layout(points, far)
    # the canvas holds the layout with the crop's margin; every point keeps its place if it can
    lo, hi = layout.min(0), layout.max(0)
    margin = (hi - lo) * 0.1 + 4
    shift = np.floor(np.minimum(lo - margin, 0)).astype(np.float32)
    layout = layout - shift
    w = int(np.ceil(max(hi[0] - shift[0] + margin[0], image.shape[1])))
    h = int(np.ceil(max(hi[1] - shift[1] + margin[1], image.shape[0])))

    tris = _layout_triangles()
    label = label_triangles(layout[tris], (0, 0, w, h))
    own, own_in = _warp_to(image, inside, points, layout, (w, h), label)
    if other is None:
        flipped_pts = points[mirror()].copy()
        flipped_pts[:, 0] = image.shape[1] - 1 - flipped_pts[:, 0]
        partner, partner_in = _warp_to(cv2.flip(image, 1), cv2.flip(inside, 1), flipped_pts, layout, (w, h),
                                       label)
    else:
        other_image, other_inside, other_points = other
        seen = other_points[:ft.MESH_POINTS, :2].astype(np.float32)
        partner, partner_in = _warp_to(other_image, other_inside, seen, layout, (w, h), label)
        # two photos of one person, taken in different light, meet without a seam in colour
        partner = color.match_colour(partner, own, face_mask(layout, (w, h)))

    # the far half entirely from its mirror: choosing triangle by triangle, or mixing the two,
    # leaves a patchwork (an eye corner's dark pixels on a cheek) or blurs both
    weight = np.concatenate([[1.0], (_layout_sides() != far).astype(np.float32)]).astype(np.float32)[label]
    soft = max(1.0, 0.02 * float(np.ptp(layout[:, 0])))
    weight = cv2.GaussianBlur(weight, (0, 0), soft)
    blended = own * weight[..., None] + partner * (1 - weight[..., None])
    blended = clean_nose(np.clip(blended + 0.5, 0, 255).astype(np.uint8), layout)
    if (background := background_beside_chin(image, inside, points)) is not None:
        blended = clean_chin(blended, layout, background)
    covered = own_in * weight + partner_in * (1 - weight)
    # the nostrils, in the mirror and where the nose's move carried the near half, are seen
    # edge-on: thin triangles stretched into lines and dots (a dark dash beside the nose), which
    # every frame's swap would enlarge
    return color.despeck(blended), np.clip(covered + 0.5, 0, 255).astype(np.uint8), layout


def even_light(image: np.ndarray, inside: np.ndarray, points: np.ndarray) -> np.ndarray:
    """A source photo (BGR; `inside`, uint8, 255 where the crop holds the photo's own face, not
    a repeated edge or a hand in front of it; its mesh `points` in its pixels) with the light made
    even between the face's halves at scales coarser than EVEN_SCALE of its width: each pixel's
    lightness, blurred inside the mesh, less half its difference from its mirror partner's.

    A light from one side leaves the far half in shadow, its edge down the nose, sharper than the
    surfaces the relight swaps; on an evenly lit target that half of the swap was dark (a grey
    patch beside the nose). Finer detail (pores, creases, the features) and what both halves share
    stay as they are. Only for faces seen from the front (the far half's area EVEN_FROM to
    EVEN_FULL of the near half's, fading in): on a turned head the halves differ by how they face
    the camera too."""
    points = points[:ft.MESH_POINTS, :2].astype(np.float32)
    strength = evened_share(points)
    if strength == 0:
        return image
    h, w = image.shape[:2]
    tris = _layout_triangles()
    label = label_triangles(points[tris], (0, 0, w, h))
    # each pixel's mirror partner: the triangle's mirror image, the same affine way
    map_x, map_y = sampling_maps(triangle_affines(points[tris], points[mirror()][tris]), label, (0, 0, w, h))
    mesh = (label > 0).astype(np.float32)
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    lightness = lab[:, :, 0].astype(np.float32)
    sigma = EVEN_SCALE * ft.face_width(points)
    # blurred over the face's own pixels only: the background beyond the outline, a hand in front
    # of the face or a tight crop's repeated edge are no light on it
    weight = mesh * (inside.astype(np.float32) * (1.0 / 255.0))
    low, seen = blur_within(lightness, weight, sigma)
    # how much each blur saw: where either pixel's neighbourhood is mostly hidden, it moves less
    sure = np.clip(seen / EVEN_SEEN, 0.0, 1.0)
    partner, partner_sure = (cv2.remap(field, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                             for field in (low, sure))
    # faded in from the mesh's edge, where a partner's blur reaches past the other outline
    inner = cv2.GaussianBlur(cv2.erode(mesh, np.ones((3, 3), np.uint8)), (0, 0), sigma) * mesh
    shift = (partner - low) * (0.5 * strength) * inner * sure * partner_sure
    lab[:, :, 0] = np.clip(lightness + shift + 0.5, 0, 255).astype(np.uint8)
    # written back only inside the mesh: the round trip through LAB moves other pixels a level
    out = image.copy()
    np.copyto(out, cv2.cvtColor(lab, cv2.COLOR_LAB2BGR), where=(mesh > 0)[:, :, None])
    return out


def evened_share(points: np.ndarray) -> float:
    """How far even_light evens a face of mesh `points` (0..1): by how frontal it is."""
    return float(np.clip((far_side(points)[1] - EVEN_FROM) / (EVEN_FULL - EVEN_FROM), 0.0, 1.0))


def _on_grid(points: np.ndarray, factor: int) -> np.ndarray:
    """The mesh's `points` on a grid shrunk by `factor` (fields.shrink's: each cell's centre)."""
    return (points[:ft.MESH_POINTS, :2].astype(np.float32) + 0.5) / factor - 0.5


def side_light(image: np.ndarray, points: np.ndarray, factor: int = 4) -> np.ndarray:
    """(468,) float32: at each of the mesh `points` (in `image`'s pixels), half the difference
    between the face's lightness there, blurred over EVEN_SCALE of its width inside its outline,
    and at its mirror partner: what even_light takes out of a photo, read from a frame (worked
    out at 1/`factor` of its size; the blur is smooth)."""
    small = shrink(image, factor)
    lightness = cv2.cvtColor(small, cv2.COLOR_BGR2LAB)[:, :, 0].astype(np.float32)
    pts = _on_grid(points, factor)
    mask = face_mask(pts, (small.shape[1], small.shape[0])).astype(np.float32) * (1.0 / 255.0)
    sigma = max(0.5, EVEN_SCALE * ft.face_width(pts))
    low, _ = blur_within(lightness, mask, sigma)
    at = cv2.remap(low, pts[None, :, 0].copy(), pts[None, :, 1].copy(), cv2.INTER_LINEAR,
                   borderMode=cv2.BORDER_REPLICATE)[0]
    return ((at - at[mirror()]) / 2).astype(np.float32)


def spread(values: np.ndarray, points: np.ndarray, size: tuple[int, int], factor: int = 4) -> np.ndarray:
    """float32 (h, w) of `size` (w, h): `values` (468,), one at each of the mesh `points`, spread
    between them smoothly (their mean weighted by a blur over EVEN_SCALE of the face's width)."""
    w, h = size
    sh, sw = shrunk_shape((h, w), factor)  # the field enlarge takes back to `size`
    pts = _on_grid(points, factor)
    ix = np.clip(np.round(pts[:, 0]).astype(int), 0, sw - 1)
    iy = np.clip(np.round(pts[:, 1]).astype(int), 0, sh - 1)
    total = np.zeros((sh, sw), np.float32)
    count = np.zeros((sh, sw), np.float32)
    np.add.at(total, (iy, ix), values.astype(np.float32))
    np.add.at(count, (iy, ix), 1.0)
    sigma = max(0.5, EVEN_SCALE * ft.face_width(pts))
    field = cv2.GaussianBlur(total, (0, 0), sigma) / np.maximum(cv2.GaussianBlur(count, (0, 0), sigma), 1e-4)
    return enlarge(field, factor, (w, h))


def _write_table() -> None:
    """Derive the table from the faces the wheels carry (a developer's step, not run by the server)."""
    from models.mediapipe_faces import FaceDetector, StillMesher
    from testing.faces import T1_FACE_BOXES, astronaut, crop_face, t1

    detector, mesher = FaceDetector(), StillMesher()

    def mesh(image: np.ndarray) -> np.ndarray:
        found = detector.detect(image)
        pts = mesher.mesh(image, found[0].box) if found else None
        if pts is None:
            raise RuntimeError("no face in a reference photo")
        return pts

    photos = [astronaut()] + [crop_face(t1(), box) for box in T1_FACE_BOXES.values()]
    meshes = [mesh(p) for p in photos]
    flipped = [mesh(cv2.flip(p, 1)) for p in photos]
    partner, side = derive(meshes, flipped, [p.shape[1] for p in photos])
    with open(MIRROR_FILE, "w") as f:
        json.dump({"mirror": partner, "side": side}, f, separators=(",", ":"))
    midline = sum(s == 0 for s in side)
    print(f"{MIRROR_FILE}: {midline} midline points, {ft.MESH_POINTS - midline} paired")


if __name__ == "__main__":
    _write_table()
