"""A source photo's face made ready for frames, once, at upload: cropped and scaled to a working
size, its texture (a turned face's far half filled in), its mask and what the mask leaves out (hair,
background, dark glasses), and its colour statistics. MeshEngine.prepare_source reads the photo
and calls these; MeshStream draws every frame from the MeshSource they make."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import cv2
import numpy as np

from models import color, denoise, gaze, orientation
from models import face_topology as ft
from models.beard import find_beard
from models.dark_glasses import dark_glasses as find_dark_glasses
from models.engine import NoFaceError
from models.mask import above_brows, edge_intrusions, face_alpha, forehead_hair, temples
from models.raster import label_triangles
from models.shadow_edge import shows_edge
from models.shape import group_carry, shape_weights
from models.side_hair import hair_edges, paint_over_hair, side_hair
from models.skin_colour import even_skin_colour
from models.source_notes import SourceLook
from models.symmetry import (
    FRONTAL,
    even_light,
    evened_share,
    face_mask,
    far_side,
    fill_hidden_half,
    front_view,
)
from models.teeth import shows_teeth
from models.under_lip import unfold_under_lip

MESH_POINTS = ft.MESH_POINTS
BLOWN = 250  # each of B, G and R at or above which a source photo's pixel holds no detail (a JPEG's 255)
SOURCE_FACE_WIDTH = 320  # px: larger sources are scaled down once, at upload
# px: smaller sources are enlarged once, at upload, by bicubic interpolation. Drawn from a small
# texture, the face was enlarged by every frame's bilinear warp, softer (bench.quality on the wheel
# faces: 84% / 89% / 0.555 without; 87% / 91% / 0.552 at 140 px, 85% / 90% / 0.552 at 160, 86% / 91%
# / 0.550 at 200). The colour transfer runs on the texture every frame: 140 px costs less than 200
# (at 200 the colour stage took 1.3 ms a frame instead of 0.4)
SOURCE_MIN_FACE_WIDTH = 140
SOURCE_LOOK_AGAIN = 256  # px: the larger side of a source photo the detector missed, looked at again
# of the face's width: the feather where a tight crop's photo ends. The mask's own (6%) faded out
# 4-22% of what an ID photo shows (the strip above the brows, the lower lip, the cheeks at its
# sides), and the target's face showed there (bench.quality, tight-grey: 40% retrieved -> 60%)
CROP_FEATHER = 0.015


@dataclass(frozen=True)
class MeshSource:
    bgr: np.ndarray  # the source face's texture
    lab: np.ndarray  # the same in LAB, for per-frame colour transfer on this small image
    lab_stats: tuple[np.ndarray, np.ndarray]  # LAB mean and std inside the mask
    alpha: np.ndarray  # the swap mask, in texture pixels
    points: np.ndarray  # (468, 2) float32 in texture pixels
    triangles: np.ndarray  # (T, 3) the mesh triangles the mask leaves visible
    grey: bool = False  # a greyscale photo: frames keep the target's colour, take the source's light
    shape_weights: np.ndarray | None = None  # (468,) how far each point may take the source's shape
    carry: np.ndarray | None = None  # (3, 468) how far each point follows the eyes' and mouth's moves
    view: SourceView | None = None  # the photo's face as cropped, before filling: for combining photos
    above: np.ndarray | None = None  # uint8: the forehead above the brows (mesh_engine.FOREHEADS "brows")
    temples: np.ndarray | None = None  # uint8: the temples, held to agreement after the relight
    # a turned photo's own texture, kept beside the one with its far half mirrored: for targets
    # that turn the same way (models/symmetry.py: own_weight); and its turn (far side, share)
    own: MeshSource | None = None
    turn: tuple[int, float] | None = None
    # (468, 2) a mirrored texture's face shape, seen from the front (symmetry.seen_from_front), for
    # the shape's fit; None elsewhere: a photo's own points are its shape, a symmetric layout's not
    shape: np.ndarray | None = None
    look: SourceLook | None = None  # what the engine saw in the photo (models/source_notes.py)
    # (2, 2) where the irises lie in the texture's eyes (gaze.in_eye), when its eyes are kept: the
    # target's own eyes show through its openings otherwise
    irises: np.ndarray | None = None
    evened: float = 0.0  # how far the texture's light was made even between its halves (symmetry.even_light)
    # uint8: where the texture may show at all, whatever the outline's fade: the photo's own pixels
    # (not beyond its edge, no hand in front), less the hair and background cut at upload; None
    # where all of it may. What raises the mask over a target's beard stays inside it
    shown: np.ndarray | None = None
    # uint8: dark glasses the texture wears over its eyes (mesh_engine.DARK_GLASSES "worn"), drawn in
    # their own colour and light, not the target's skin's
    lenses: np.ndarray | None = None
    # the texture shows a hard shadow's edge of its own (shadow_edge.shows_edge): the frame's is not put on
    own_edge: bool = False
    # the photo's mouth shows its teeth (models/teeth.py): the frames cut a wider band along the
    # target's lip line (mask.MOUTH_LINE), so the teeth squashed there do not show
    teeth: bool = False
    # (468,) float32 the depth of each point of the shape the fit takes (smaller is nearer): the
    # photo's as FaceMesh read it, or a mirrored texture's front view's (symmetry.front_view); for
    # a turned target's shape fit (shape.in_depth). None where the photo's depth was not read
    depth: np.ndarray | None = None


Found = orientation.Found  # a source photo's face: its box and mesh


class SourceView(NamedTuple):
    """A source photo's face as cropped and scaled, before anything is filled in."""

    image: np.ndarray  # BGR
    inside: np.ndarray  # uint8: 255 where the crop holds the photo's own pixels
    points: np.ndarray  # (468, 2) float32 mesh in the crop's pixels
    # (468,) float32 each point's depth as FaceMesh read it, in the crop's pixels: with `points`,
    # the face's 3D shape (symmetry.seen_from_front)
    depth: np.ndarray | None = None
    irises: np.ndarray | None = None  # (2, 2) where the irises lie in their eyes (gaze.irises)
    # dark glasses over the eyes, to be worn (mesh_engine.DARK_GLASSES): found on each texture
    lensed: bool = False

    @property
    def photo(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The crop, where it holds the photo's own pixels, and its flat mesh."""
        return self.image, self.inside, self.points


class LookedAgain(NamedTuple):
    """A tight crop (an ID photo without chin or forehead gives the detector no context), made
    ready to be looked at again: scaled to SOURCE_LOOK_AGAIN on its larger side, with a margin of
    repeated edge pixels half as wide."""

    image: np.ndarray
    scale: float
    pad: int

    @classmethod
    def of(cls, photo: np.ndarray) -> LookedAgain:
        scale = SOURCE_LOOK_AGAIN / max(photo.shape[:2])
        big = cv2.resize(photo, None, fx=scale, fy=scale,
                         interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
        pad = max(big.shape[:2]) // 2
        return cls(cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_REPLICATE), scale, pad)

    def into(self, point: tuple[float, float]) -> tuple[float, float]:
        """A point of the photo, in the image looked at."""
        return point[0] * self.scale + self.pad, point[1] * self.scale + self.pad

    def back(self, point: tuple[float, float]) -> tuple[float, float]:
        """A point of the image looked at, in the photo."""
        return (point[0] - self.pad) / self.scale, (point[1] - self.pad) / self.scale

    def back_box(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        x0, y0 = self.back(box[:2])
        x1, y1 = self.back(box[2:])
        return x0, y0, x1, y1

    def back_points(self, pts: np.ndarray) -> np.ndarray:
        """A mesh (N, 2 or 3) read in the image looked at, in the photo (its depth scaled too)."""
        return np.column_stack([pts[:, :2] - self.pad, pts[:, 2:]]) / self.scale


def crop_view(image: np.ndarray, pts: np.ndarray, coverage: bool = True, enlarge: bool = True) -> SourceView:
    """The face cropped with a margin and scaled to a working size (with `enlarge`, a small face
    enlarged to SOURCE_MIN_FACE_WIDTH). `pts` is the mesh in the photo's pixels, (N, 2), or (N, 3)
    with each point's depth. With `coverage`, a mesh that reaches outside the photo (a
    tight crop) gets repeated edge pixels there, marked not inside. Irises after the mesh's 468
    points are kept as their places in the eyes."""
    h, w = image.shape[:2]
    irises = gaze.irises(pts[:, :2])
    pts = pts[:MESH_POINTS]
    pts, depth = pts[:, :2], (pts[:, 2] if pts.shape[1] > 2 else None)
    lo, hi = pts.min(0), pts.max(0)
    margin = (hi - lo) * 0.1 + 4
    x0, y0 = np.floor(lo - margin).astype(int)
    x1, y1 = np.ceil(hi + margin).astype(int)
    if not coverage:
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    # the photo's own pixels, and repeated edge pixels wherever the crop leaves the photo
    left, top, right, bottom = max(0, -x0), max(0, -y0), max(0, x1 - w), max(0, y1 - h)
    inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
    inside[top : inside.shape[0] - bottom, left : inside.shape[1] - right] = 255
    crop = image[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]
    crop = cv2.copyMakeBorder(crop, top, bottom, left, right, cv2.BORDER_REPLICATE)
    local = pts - np.array([x0, y0], np.float32)
    face_w = ft.face_width(local)
    scale = min(1.0, SOURCE_FACE_WIDTH / face_w)
    if enlarge and face_w < SOURCE_MIN_FACE_WIDTH:
        scale = SOURCE_MIN_FACE_WIDTH / face_w
    if scale != 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale,
                          interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        inside = cv2.resize(inside, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_AREA)
        local = local * scale
    if depth is not None:
        depth = (depth * scale).astype(np.float32)
    return SourceView(np.ascontiguousarray(crop), inside, local.astype(np.float32), depth, irises)


def photo_levels(image: np.ndarray, pts: np.ndarray) -> color.Levels | None:
    """color.levels for a photo, by its levels around the face (the mesh's box with the crop's
    margin): a window or a lamp elsewhere in the picture says nothing of the face."""
    h, w = image.shape[:2]
    lo, hi = pts[:, :2].min(0), pts[:, :2].max(0)
    margin = (hi - lo) * 0.1
    x0, y0 = np.clip(np.floor(lo - margin).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(hi + margin).astype(int), [x0 + 1, y0 + 1], [w, h])
    blue, green, red = cv2.split(image[y0:y1, x0:x1])
    darkest = cv2.min(cv2.min(blue, green), red)
    brightest = cv2.max(cv2.max(blue, green), red)
    return color.levels(float(np.percentile(darkest, 0.5)), float(np.percentile(brightest, 99.5)))


def face_in_photo(image: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The photo's pixels around the face (its mesh `pts`' box, at the photo's own resolution) and
    the face inside its outline there (bool); None for a face under 3 px."""
    h, w = image.shape[:2]
    mesh = pts[:MESH_POINTS, :2]
    x0, y0 = np.clip(np.floor(mesh.min(0)).astype(int), 0, [w, h])
    x1, y1 = np.clip(np.ceil(mesh.max(0)).astype(int) + 1, 0, [w, h])
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    return image[y0:y1, x0:x1], face_mask(mesh - np.float32([x0, y0]), (x1 - x0, y1 - y0)) > 0


def photo_grain(face: tuple[np.ndarray, np.ndarray], pts: np.ndarray, view: SourceView) -> float:
    """A photo's noise over its face (`face`: face_in_photo's; denoise.noise_level) as `view`'s
    texture carries it: read at the photo's own resolution, less what scaling the texture down
    averages away. A small photo enlarged at upload has its grain spread into blotches the noise
    operator reads as a fifth of it (the astronaut's 93 px face, with noise of 16 levels: 2.2 in
    the enlarged crop, 11.1 in the photo)."""
    shrunk = ft.face_width(view.points) / ft.face_width(pts[:MESH_POINTS, :2])
    return denoise.noise_level(*face) * min(1.0, shrunk)


def face_area(view: SourceView) -> np.ndarray:
    """bool over `view`'s crop: the face, inside the mesh's outline."""
    return face_mask(view.points, (view.image.shape[1], view.image.shape[0])) > 0


def outside_share(view: SourceView) -> float:
    """The share of the face's area (inside the mesh's outline) that lies outside the photo."""
    face = face_area(view)
    return float((view.inside[face] < 128).mean()) if face.any() else 0.0


def blown_share(view: SourceView) -> float:
    """The share of the face's area (inside the mesh's outline, in the photo) blown out to white:
    each of B, G and R at BLOWN or more, where the photo holds no detail."""
    face = face_area(view) & (view.inside >= 128)
    return float((view.image.min(2)[face] >= BLOWN).mean()) if face.any() else 0.0


class Cuts(NamedTuple):
    """What a source texture's mask leaves out, set once per engine (see mesh_engine.MeshEngine)."""

    coverage: bool = True  # the parts of the crop outside the photo
    wide_openings: bool = False  # eyes and mouth cut wide in the source's pixels (as before)
    from_brows: bool = True  # the forehead judged from the brows up (mesh_engine.FOREHEADS "brows")
    temples: bool = True  # the temples held to agreement with the target
    hair: bool = True  # a fringe over the brows
    edges: bool = True  # background or hair inside the outline at the sides (mask.edge_intrusions)
    eyes: bool = True  # the source's open eyes kept, looking where the target's look (models/gaze.py)
    even_light: bool = True  # the photo's light made even between the face's halves (symmetry.even_light)
    beards: bool = True  # a bearded photo's beard left out of its skin's statistics (models/beard.py)
    under_lip: bool = True  # the mesh under the lower lip spread onto skin that shows (models/under_lip.py)
    skin_colour: bool = True  # the photo's broad skin colour made even (models/skin_colour.py)
    # hair over the cheeks, found by its edge (mesh_engine.SIDE_HAIR, models/side_hair.py)
    side_hair: str = "paint"


def make_source(view: SourceView, cuts: Cuts, fill_hidden: bool = True,
                 other: SourceView | None = None, mirror_below: float = FRONTAL) -> MeshSource:
    """A cropped face made ready for frames: its mask, colour statistics, visible triangles.

    With `cuts.coverage`, the parts of the crop outside the photo are left out of the mask,
    feathered: the target's own face shows through instead of smeared patches. A greyscale photo is
    marked so frames keep the target's colour (a grey face would otherwise be painted in one flat
    tone). With `fill_hidden`, a turned face is also redrawn on a symmetric layout, its hidden half
    from its seen one, or from `other`, a photo of the same person that shows that half
    (models/symmetry.py); the photo's own texture is kept beside it, for targets turned as it is."""
    seen = None if other is None else other.photo
    filled = fill_hidden_half(*view.photo, seen, mirror_below) if fill_hidden else None
    depth = None if view.depth is None else view.depth[: ft.MESH_POINTS].astype(np.float32)
    if filled is None:
        return replace(_textured(*view.photo, view, cuts, view.irises), depth=depth)
    mirrored = _textured(*filled, view, cuts, _filled_irises(view, other))
    if view.depth is not None:
        front = front_view(view.points, view.depth)
        mirrored = replace(mirrored, shape=np.ascontiguousarray(front[:, :2]), depth=front[:, 2].copy())
    if mirrored.lenses is not None:
        # dark glasses worn: the mirror's, whatever the target's turn. The photo's own texture has
        # its far lens narrowed on the outline, where the mask fades it: on a target turned as the
        # photo is, a grey ghost of a lens; mixed with the mirror, pieces of three lenses
        return replace(mirrored, turn=far_side(view.points))
    own = replace(_textured(*view.photo, view, cuts, view.irises), depth=depth)
    # one set of triangles for both: a frame mixing them warps both with the same maps
    tris = np.unique(np.concatenate([mirrored.triangles, own.triangles]), axis=0)
    return replace(mirrored, triangles=tris, own=replace(own, triangles=tris), turn=far_side(view.points))


def _filled_irises(view: SourceView, other: SourceView | None) -> np.ndarray | None:
    """Where the irises lie in the eyes of `view`'s texture with its far half filled: the near eye's
    as photographed, the far eye's from `other` (the photo that shows it) or, mirrored, the near
    one's again (gaze.in_eye's place is the same in a mirror)."""
    if view.irises is None:
        return None
    near = 0 if far_side(view.points)[0] == 1 else 1  # eye 1 is the person's left, side +1
    places = view.irises[[near, near]].copy()
    if other is not None:
        if other.irises is None:
            return None
        places[1 - near] = other.irises[1 - near]
    return places


def _textured(crop: np.ndarray, inside: np.ndarray, local: np.ndarray, view: SourceView, cuts: Cuts,
              irises: np.ndarray | None = None) -> MeshSource:
    """One texture of a source face (see make_source). Its eyes are kept where `irises` (their
    places in the eyes) are known and it shows both eyes open (models/gaze.py)."""
    crop = np.ascontiguousarray(crop)
    evened = evened_share(local) if cuts.even_light else 0.0
    if evened > 0:
        crop = even_light(crop, inside, local)
    seen = None
    if not inside.all():
        feather = max(3, round(ft.face_width(local) * CROP_FEATHER)) | 1
        inside = cv2.erode(inside, np.ones((feather, feather), np.uint8), borderType=cv2.BORDER_REPLICATE)
        seen = cv2.GaussianBlur(inside, (2 * feather + 1, 2 * feather + 1), 0)

    def mask(eyes: bool) -> np.ndarray:
        alpha = face_alpha(crop.shape[:2], local, cuts.wide_openings, cuts.from_brows, eyes)
        return alpha if seen is None else cv2.multiply(alpha, seen, scale=1.0 / 255.0)

    # dark glasses worn: over the eyes, whatever the target's eyes do (found again on this
    # texture: a turned photo's mirror wears both lenses)
    shades = find_dark_glasses(crop, inside, local) if view.lensed else None
    # what they leave of the face: they are not hair, a fringe or background to cut, nor skin to
    # hold to the target's brow and temples (forehead_agreement): held so, they faded out at the
    # temples
    free = None if shades is None else cv2.bitwise_not(shades.cover)
    alpha = mask(shades is not None)
    # the masks follow the photo's own mesh; what the frames draw from it does not fold under the lip
    points = (unfold_under_lip(local) if cuts.under_lip else local).astype(np.float32)
    # the skin's colour, without the eyes' whites and irises, or a beard: the rule a bearded
    # target's frames follow (left in, bench.quality held out: white pixels 9 -> 15, colour
    # patches 2.08% -> 2.19%); nor dark glasses
    skin = color.core(alpha)
    beard = find_beard(crop, local) if cuts.beards else None
    if beard is not None:
        skin[beard.hair] = 0
    # (a beard's edge on the cheek is no hair over it: with one, the cheeks are looked at only
    # down to the mouth's corners)
    hair = hair_edges(crop, local, below_mouth=beard is None) if cuts.side_hair != "kept" else []
    if hair and cuts.side_hair == "paint":
        crop = paint_over_hair(crop, local, hair)
    if free is not None:
        skin[free < 128] = 0
    stats = color.lab_stats(crop, skin)
    if stats is None:
        raise NoFaceError("No face detected")  # a mesh with no usable skin: too small to use
    grey = cuts.coverage and color.is_grey(stats)
    if cuts.skin_colour and not grey:
        crop = even_skin_colour(crop, skin, local, ft.face_width(local))
        stats = color.lab_stats(crop, skin) or stats
    lab = cv2.cvtColor(crop, cv2.COLOR_BGR2LAB)
    # eyes shut or cast down are lids
    if irises is not None and cuts.eyes and not cuts.wide_openings and gaze.eyes_open(points):
        alpha = mask(True)
    else:
        irises = None
    above = above_brows(crop.shape[:2], local) if cuts.from_brows else None
    shown = seen
    for cut in (forehead_hair(crop, inside, local) if cuts.hair else None,
                edge_intrusions(crop, inside, local) if cuts.edges else None,
                side_hair(crop, local, edges=hair) if hair and cuts.side_hair == "cut" else None):
        if cut is None:
            continue
        if free is not None:
            cut = cv2.min(cut, free)
        kept = cv2.bitwise_not(cut)
        alpha = cv2.multiply(alpha, kept, scale=1.0 / 255.0)
        shown = kept if shown is None else cv2.multiply(shown, kept, scale=1.0 / 255.0)
    side = temples(crop.shape[:2], local) if cuts.temples else None
    if free is not None:
        above, side = (None if part is None else cv2.min(part, free) for part in (above, side))
    return MeshSource(crop, lab, stats, alpha, points, visible_triangles(points, alpha), grey,
                      shape_weights(points), group_carry(points), view, above, temples=side, irises=irises,
                      evened=evened, shown=shown, lenses=None if shades is None else shades.glass,
                      own_edge=shows_edge(lab[:, :, 0], alpha), teeth=shows_teeth(lab, points))


def visible_triangles(points: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Triangles with any visible alpha, and those that close the eyes and the mouth: the rest
    (the top of the forehead) would be rasterised every frame for nothing. The eye and mouth
    openings stay: without them the pixels around a hole were marked outside the mesh in blocks
    of the coarse grid, cutting specks out of the mask's feathered edge (single pixels of the
    target's own face around the eyes and mouth)."""
    tris = ft.triangles()
    h, w = alpha.shape
    label = label_triangles(points[tris], (0, 0, w, h))
    peak = np.zeros(len(tris) + 1, np.uint8)
    np.maximum.at(peak, label.ravel(), alpha.ravel())
    # a triangle seen edge-on (the far cheek of a turned head) covers no pixel centre here, yet
    # may be large on a target: its corners and centre say whether it lies in the mask
    corners = np.concatenate([points[tris], points[tris].mean(1, keepdims=True)], axis=1)
    xs = np.clip(np.round(corners[..., 0]).astype(int), 0, w - 1)
    ys = np.clip(np.round(corners[..., 1]).astype(int), 0, h - 1)
    visible = (peak[1:] > 2) | (alpha[ys, xs].max(1) > 2)
    return np.concatenate([tris[visible], ft.opening_triangles()])
