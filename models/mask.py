"""The swap's alpha mask: drawn once per source face in the source's own pixels, and the mouth's
opening cut out of it per frame in the target's.

Drawn in source space and warped with the texture, the mask lands on each target through the same
mesh, so it costs nothing per frame. The eye openings are cut at the lid line with a narrow
feather: the lids and lashes are the source's (a recognizer reads them: bench.quality), the eyes
themselves the target's, so its gaze and blinks stay. The mouth is cut in the target's pixels, at
its own lip line: a smiling source's teeth squashed onto a closed mouth would otherwise show as a
dotted line between the lips.

The brows are the source's at full strength (a recognizer reads them as much as the eyes:
bench.quality); above them the mask fades out toward the mesh's top edge, and there, per frame,
the source is only taken where it looks like the target (forehead_agreement): skin over skin, not
the source's fringe over the target's forehead, nor the source's forehead over the target's fringe.
The temples are held to the same test (temples()): a source's side hair lies inside the mesh there.
"""

from __future__ import annotations

import cv2
import numpy as np

from models import color
from models import face_topology as ft
from models.fields import blur_smooth

# Forehead fade, as fractions of the chin-to-forehead-top axis: full strength up to BROW_MARGIN
# above the brows' highest point, nothing at FADE_TO. The mesh's top edge sits on or above the
# hairline, so a hard cut there pastes a band of the source's hair across the target's forehead.
# (FADE_FROM, the start of the fixed fade used before, cut the brows to half strength.)
BROW_MARGIN = 0.02
FADE_FROM = 0.70
FADE_TO = 0.97
FOREHEAD_RAMP = 0.05  # of the axis: the agreement test comes in over this, from the brows' top
# Above the brows the source shows where it differs from the target by at most AGREE (the largest
# of the B, G, R differences, blurred), fading out by DISAGREE.
AGREE = 35.0
DISAGREE = 70.0
AGREEMENT_BLUR = 0.08  # of the face's width
# The temples (temples()): held to the same agreement, after the relight (a side-lit source's dark
# half would disagree before it), within TEMPLE_IN of the outline and fading out by TEMPLE_OUT;
# the brows and eyes, grown by TEMPLE_CLEAR, stay the source's. The blur is narrower than the
# forehead's: a sideburn's dark stripe, averaged with the skin beside it, agreed. (Each a fraction
# of the face's width; bench.quality's figures moved by at most one output over 0.12-0.15 / 0.18-
# 0.22 and a blur of 0.03-0.08.)
TEMPLE_IN = 0.12
TEMPLE_OUT = 0.18
TEMPLE_CLEAR = 0.02
TEMPLE_BLUR = 0.03
# A fringe down to the brows (forehead_hair): a strip of the brow's shape, FRINGE_ABOVE of the
# face's width above it, clear of it by FRINGE_GAP (the mesh's brow outline is not exact) is looked
# at in the source photo; where more than FRINGE_SHARE of it is darker than FRINGE_DARK of the
# skin's lightness (L: hair, not a shadow; a side-lit forehead was 0.8 of the cheeks'), the brow
# lies under hair.
FRINGE_ABOVE = 0.07
FRINGE_GAP = 0.03
FRINGE_DARK = 0.6
FRINGE_SHARE = 0.5
HAIR_GROW = 0.02
# Background or hair inside the outline at the sides (edge_intrusions), in the source photo:
# within EDGE_BAND of the outline, from the mouth's corners up to the brows, pixels further than
# NOT_SKIN (Mahalanobis, LAB) from the cheeks' skin and within SIMILAR (LAB) of the photo just
# outside the outline (EDGE_RING), itself not skin; cut with what they reach from the outline,
# grown by EDGE_GROW. (Fractions of the face's width.)
EDGE_BAND = 0.12
EDGE_RING = (0.02, 0.06)
NOT_SKIN = 4.0
SIMILAR = 25.0
EDGE_GROW = 0.015
# Edges of the openings, as fractions of the face's width: the blur (sigma) of the eyes' and the
# mouth's, and the band along the target's lip line that stays the target's: MOUTH_LINE under a
# photo whose mouth shows its teeth (a closed mouth's opening is a line, and the teeth squashed
# onto it showed as a dotted white line between the lips), LIP_SEAM under any other (its own lips
# meet in a lip line). At MOUTH_LINE for every photo the inner halves of the swap's lips were the
# target's own, and a recognizer saw them (bench.quality, wheel faces and held out:
# 83% / 90% / 0.552 and 87% / 91% / 0.510 -> 85% / 92% / 0.550 and 87% / 91% / 0.508). At 0.0075
# and 0.01 the swap's lip line shook more on a still face (the flicker row's measure, social set:
# 0.432 -> 0.436 at 0.01; 0.433 here)
EYE_FEATHER = 0.01
MOUTH_FEATHER = 0.01
MOUTH_LINE = 0.03
LIP_SEAM = 0.015
# The wide holes used before (`openings="wide"`): eyes and mouth cut in source space, grown by
# this much, then blurred with the outer edge (the target's lids, lashes and lips showed).
WIDE_GROW = 0.02


_EYES = np.concatenate([ft.left_eye(), ft.right_eye()])


def _chin_axis(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The mesh `pts`'s chin, the vector from it to the forehead's top, and that vector's squared
    length (the axis' unit; held above 0 for a mesh folded to a point)."""
    chin, up = pts[ft.CHIN, :2], pts[ft.FOREHEAD_TOP, :2] - pts[ft.CHIN, :2]
    return chin, up, max(float(up @ up), 1e-6)


def face_axes(shape: tuple[int, int], pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 (h, w) each: every pixel's height on the mesh `pts`'s chin (0) to forehead-top (1)
    axis, and its place across that axis in the same units (positive toward the image's left on
    an upright face)."""
    h, w = shape
    chin, up, scale = _chin_axis(pts)
    # each a sum of a row and a column: one pass over the image apiece
    dx = np.arange(w, dtype=np.float32) - chin[0]
    dy = np.arange(h, dtype=np.float32) - chin[1]
    height = ((dx * up[0])[None, :] + (dy * up[1])[:, None]) / scale
    return height, ((dx * up[1])[None, :] - (dy * up[0])[:, None]) / scale


def _heights(shape: tuple[int, int], pts: np.ndarray) -> tuple[np.ndarray, float]:
    """float32 (h, w): each pixel's height on the chin (0) to forehead-top (1) axis
    (face_axes); and the brows' highest point on it."""
    return face_axes(shape, pts)[0], float(height_of(pts, ft.brows()).max())


def disc(radius: int) -> np.ndarray:
    """A round structuring element `radius` px out from its centre pixel."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def height_of(pts: np.ndarray, which: np.ndarray | list[int] | int) -> np.ndarray:
    """The points `which` of the mesh `pts`: their heights on the chin-to-forehead-top axis."""
    chin, up, scale = _chin_axis(pts)
    return (pts[which, :2] - chin) @ up / scale


def across_at(pts: np.ndarray, which: np.ndarray | list[int] | int) -> np.ndarray:
    """The points `which` of the mesh `pts`: where they lie across its chin-to-forehead-top axis
    (face_axes' units)."""
    chin, up, scale = _chin_axis(pts)
    d = pts[which, :2] - chin
    return (d[..., 0] * up[1] - d[..., 1] * up[0]) / scale


def across_of(pts: np.ndarray, point: np.ndarray) -> float:
    """Where `point` lies across the mesh `pts`'s chin-to-forehead-top axis (face_axes' units)."""
    chin, up, scale = _chin_axis(pts)
    d = point[:2] - chin
    return float((d[0] * up[1] - d[1] * up[0]) / scale)


def _outline(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    """uint8 (h + 2, w + 2): 255 inside the face's outline, with a pixel of border all round (the
    outline may leave the image; distances measured in it then do not stop at the image's edge)."""
    h, w = shape
    oval = np.zeros((h + 2, w + 2), np.uint8)
    cv2.fillPoly(oval, [np.round(pts[ft.face_oval(), :2] + 1).astype(np.int32)], 255)
    return oval


def _distance(mask: np.ndarray) -> np.ndarray:
    """float32: each pixel's distance from the nearest zero of a bordered `mask` (_outline), the
    border dropped."""
    return cv2.distanceTransform(mask, cv2.DIST_L2, 3)[1:-1, 1:-1]


def cheek_rows(t: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """bool: the heights `t` (_heights, or beard.FaceFrame's) between the eyes' lowest point and
    the nose's tip on the mesh `pts`."""
    return (t < height_of(pts, _EYES).min()) & (t > height_of(pts, [ft.NOSE_TIP])[0])


def forehead_fade(shape: tuple[int, int], pts: np.ndarray, from_brows: bool = True) -> np.ndarray:
    """float32 (h, w): 1 up to the brows, falling to 0 toward the hairline; without
    `from_brows`, falling from the fixed FADE_FROM (through the brows)."""
    t, brows = _heights(shape, pts)
    start = min(brows + BROW_MARGIN, FADE_TO - 0.05) if from_brows else FADE_FROM
    return np.clip((FADE_TO - t) / (FADE_TO - start), 0.0, 1.0)


def above_brows(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    """uint8 (h, w): 255 on the forehead above the brows, 0 below them: where the source is
    taken only if it agrees with the target (forehead_agreement)."""
    t, brows = _heights(shape, pts)
    return (np.clip((t - brows) / FOREHEAD_RAMP, 0.0, 1.0) * 255).astype(np.uint8)


def temples(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    """uint8 (h, w): 255 along the outline from the eyes up to the brows (the temples), 0 on the
    brows, the eyes and inward of the band: where, per frame, the source is taken only if it
    agrees with the target after the relight (forehead_agreement). A source's side hair or
    sideburn lies inside the mesh there (and a turned photo's mirror brings its near side's hair
    across): it was pasted as a dark wedge beside the brow onto the target's temple."""
    h, w = shape
    p = pts[:, :2].astype(np.float32)
    face_w = ft.face_width(p)
    inward = _distance(_outline(shape, p))
    band = np.clip((TEMPLE_OUT * face_w - inward) / ((TEMPLE_OUT - TEMPLE_IN) * face_w), 0.0, 1.0)
    # from the eyes' lowest point to the brows' highest: above them the forehead has its own test
    t, brows = _heights(shape, p)
    band *= np.clip(np.minimum(t - height_of(p, _EYES).min(), brows - t) / FOREHEAD_RAMP + 1.0, 0.0, 1.0)
    clear = np.zeros((h, w), np.uint8)
    parts = [ft.LEFT_BROW, ft.RIGHT_BROW, ft.left_eye(), ft.right_eye()]
    cv2.fillPoly(clear, [np.round(p[list(i)]).astype(np.int32) for i in parts], 255)
    grow = max(1, round(TEMPLE_CLEAR * face_w))
    clear = cv2.dilate(clear, disc(grow))
    clear = cv2.GaussianBlur(clear, (0, 0), max(0.5, grow / 2.0))
    return (band * (255 - clear).astype(np.float32)).astype(np.uint8)


def forehead_hair(image: np.ndarray, inside: np.ndarray, pts: np.ndarray) -> np.ndarray | None:
    """uint8 (h, w): a fringe that comes down over the source photo's brows, to be cut out of its
    mask; None where the strip above both brows shows skin. `image` is BGR, `inside` 255 where
    it holds the photo's own pixels.

    The brows are the source's at full strength, and only the forehead above them is held to
    agreement with the target (forehead_agreement, blurred over much of the forehead). A fringe
    over the brows was pasted as a dark band cut straight along the brows' top, and above it the
    fringe's dark strands with light gaps half agreed, and showed as pale streaks. Here the hair
    (darker than FRINGE_DARK of the cheeks' lightness) from the brows up is grown over the gaps
    between strands (HAIR_GROW) and blurred; a brow with skin above it stays. Only for such a
    fringe: elsewhere hair on the forehead is left to the agreement, and cut here it took brows
    the mesh outlines narrowly, glasses' rims and a recognizer's reading of the face with it
    (bench.quality: 85% -> 83% retrieval)."""
    h, w = image.shape[:2]
    p = pts[:, :2].astype(np.float32)
    face_w = ft.face_width(p)
    light = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[..., 0]
    photo = inside > 200
    oval = _outline((h, w), p)[1:-1, 1:-1]
    # the skin: cheeks and nose, between the eyes' lowest point and the nose's tip
    t, _ = _heights((h, w), p)
    cheeks = (oval > 0) & photo & cheek_rows(t, p)
    if cheeks.sum() < 20:
        return None
    dark = light < FRINGE_DARK * float(np.median(light[cheeks]))
    up = p[ft.FOREHEAD_TOP] - p[ft.CHIN]
    up = up / max(float(np.linalg.norm(up)), 1e-6) * FRINGE_ABOVE * face_w
    shift = np.float32([[1, 0, up[0]], [0, 1, up[1]]])
    gap = max(1, round(FRINGE_GAP * face_w))
    clear = disc(gap)
    # the forehead: from the brows' lowest point up, less the brows grown by FRINGE_GAP
    looked = t > height_of(p, ft.brows()).min()
    fringe = False
    for brow in (ft.LEFT_BROW, ft.RIGHT_BROW):
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [np.round(p[list(brow)]).astype(np.int32)], 255)
        grown = cv2.dilate(mask, clear) > 0
        strip = (cv2.warpAffine(mask, shift, (w, h), flags=cv2.INTER_NEAREST) > 0) & ~grown
        seen = strip & (oval > 0) & photo
        # judged where the photo shows most of the strip (a tight crop may end at the brow)
        if seen.sum() < max(10, 0.3 * strip.sum()) or dark[seen].mean() <= FRINGE_SHARE:
            looked &= ~grown
        else:
            fringe = True
    if not fringe:
        return None
    hair = (dark & looked & (oval > 0)).astype(np.uint8) * 255
    if cv2.countNonZero(hair) < 0.001 * face_w * face_w:
        return None
    grow = max(1, round(HAIR_GROW * face_w))
    hair = cv2.dilate(hair, disc(grow))
    return cv2.GaussianBlur(hair, (0, 0), max(0.5, grow / 2.0))


def edge_intrusions(image: np.ndarray, inside: np.ndarray, pts: np.ndarray) -> np.ndarray | None:
    """uint8 (h, w): what lies inside the source photo's outline at the sides but belongs outside
    it (background, side hair, a hat's brim), to be cut out of its mask; None where there is none.
    `image` is BGR, `inside` 255 where it holds the photo's own pixels.

    The mesh's outline does not follow every face's edge: on a mildly turned head (too little for
    the mirror fill) it reached past the far cheek into the dark background, and long hair falls
    inside it. Pasted, that was a dark stripe down the target's cheek. A pixel is cut where it is
    not skin and looks like what lies just outside the outline, which is not skin either, and only
    with what it reaches from the outline itself: a beard or a shadow inside the face is skin's
    neighbour, not the background's, and below the mouth's corners (the jaw, a beard) nothing is
    looked at. What the cut parts from the rest of the face is cut with it."""
    h, w = image.shape[:2]
    p = pts[:, :2].astype(np.float32)
    face_w = ft.face_width(p)
    oval = _outline((h, w), p)
    inward, outward = _distance(oval), _distance(cv2.bitwise_not(oval))
    photo = inside > 200
    t, brows = _heights((h, w), p)
    cheeks = (inward > 0.08 * face_w) & photo & cheek_rows(t, p)
    ring = (outward >= EDGE_RING[0] * face_w) & (outward < EDGE_RING[1] * face_w) & photo
    if cheeks.sum() < 50 or ring.sum() < 20:
        return None
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    skin = lab[cheeks]
    mean = skin.mean(0)
    spread = np.linalg.inv(np.cov(skin.T) + np.eye(3) * 4.0)  # 2 levels of noise in each channel

    def not_skin(colours: np.ndarray) -> np.ndarray:
        d = colours - mean
        return np.einsum("...i,ij,...j->...", d, spread, d) > NOT_SKIN**2

    # what lies outside the outline nearest each pixel: the ring's pixels, in raster order, are
    # the labels' order
    _, nearest = cv2.distanceTransformWithLabels(np.where(ring, 0, 255).astype(np.uint8), cv2.DIST_L2, 3,
                                                 labelType=cv2.DIST_LABEL_PIXEL)
    band = (inward > 0) & (inward < EDGE_BAND * face_w) & photo & (t < brows)
    here = lab[band]  # judged only in the band: a fifth of the crop
    outside = lab[ring][np.clip(nearest[band] - 1, 0, int(ring.sum()) - 1)]
    near = np.linalg.norm(here - outside, axis=1)
    found = np.zeros((h, w), np.uint8)
    found[band] = (not_skin(here) & not_skin(outside) & (near < SIMILAR)
                   & (near < np.linalg.norm(here - mean, axis=1)))
    # only what reaches the outline above the mouth's corners
    count, parts = cv2.connectedComponents(found, connectivity=8)
    entry = (found > 0) & (inward <= 2.5) & (t > height_of(p, list(ft.MOUTH_CORNERS)).max())
    kept = np.zeros(count, bool)
    kept[np.unique(parts[entry])] = True
    kept[0] = False
    cut = kept[parts]
    if cut.sum() < 0.002 * face_w * face_w:
        return None
    grow = max(1, round(EDGE_GROW * face_w))
    cut = cv2.dilate(cut.astype(np.uint8) * 255, disc(grow))
    # what the cut parts from the face lies beyond it, toward the outline: an ear's light rim,
    # inside the dark strip cut along its edge, was left as a pale island in a ring of the
    # target's skin
    rest = cv2.bitwise_and(oval[1:-1, 1:-1], cv2.bitwise_not(cut))  # both 0 or 255
    count, parts, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=4)
    if count > 2:
        face = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        cut[(parts > 0) & (parts != face)] = 255
    return cv2.GaussianBlur(cut, (0, 0), max(0.5, grow / 2.0))


def forehead_agreement(alpha: np.ndarray, held: np.ndarray, face: np.ndarray, target: np.ndarray,
                       face_w: float, blur: float = AGREEMENT_BLUR, lab: bool = False) -> np.ndarray:
    """`alpha` (a frame's swap mask, uint8) kept where `held` is set (the forehead above the
    brows, or the temples; warped with it) only where the warped source `face` and the `target`
    (BGR, the same box; `face` in OpenCV's 8-bit LAB with `lab`) agree in colour; their difference
    is blurred by `blur` face widths."""
    x, y, w, h = cv2.boundingRect(held)  # the forehead: about a quarter of the face's box
    if w == 0 or h == 0:
        return alpha
    part = (slice(y, y + h), slice(x, x + w))
    seen = cv2.cvtColor(face[part], cv2.COLOR_LAB2BGR) if lab else face[part]
    diff = color.largest_difference(seen, target[part]).astype(np.float32)
    # a blur this wide is smooth: done at a quarter of the size, a sixteenth of the work
    diff = blur_smooth(diff, blur * face_w, 4, cv2.BORDER_REPLICATE)
    agree = np.clip((DISAGREE - diff) * (1.0 / (DISAGREE - AGREE)), 0.0, 1.0)
    keep = 1.0 - held[part].astype(np.float32) * (1.0 / 255.0) * (1.0 - agree)  # 1 where nothing is held
    alpha = alpha.copy()
    alpha[part] = (alpha[part] * keep).astype(np.uint8)
    return alpha


def face_alpha(shape: tuple[int, int], pts: np.ndarray, wide_openings: bool = False,
               from_brows: bool = True, eyes: bool = False) -> np.ndarray:
    """uint8 (h, w) alpha for a face with mesh landmarks `pts` (N x 2+) in that image: the eye
    openings cut at the lid line (the mouth is cut per frame: cut_mouth), or with
    `wide_openings`, eyes and mouth cut wide; with `eyes` (and not `wide_openings`) the eyes are
    kept (models/gaze.py); the forehead fades from the brows up (or, without `from_brows`, from a
    fixed height, through the brows)."""
    h, w = shape
    p = pts[:, :2].astype(np.float32)
    face_w = ft.face_width(p)
    feather = max(2, round(face_w * 0.06))

    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(p[ft.face_oval()]).astype(np.int32)], 255)
    # pull the edge in so the blurred border stays inside the face
    mask = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (feather, feather)))

    contours = [p[ft.left_eye()], p[ft.right_eye()]]
    if wide_openings:
        holes = np.zeros((h, w), np.uint8)
        cv2.fillPoly(holes, [np.round(c).astype(np.int32) for c in [*contours, p[ft.inner_lips()]]], 255)
        grow = max(1, round(face_w * WIDE_GROW))
        holes = cv2.dilate(holes, disc(grow))
        mask[holes > 0] = 0

    sigma = feather / 2.0
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma) * forehead_fade(shape, p, from_brows)
    if not wide_openings and not eyes:
        soft *= _kept_outside(shape, contours, face_w * EYE_FEATHER)
    return np.clip(soft, 0, 255).astype(np.uint8)


def _kept_outside(shape: tuple[int, int], polygons: list[np.ndarray], sigma: float,
                  line: int = 0) -> np.ndarray:
    """float32 (h, w): 0 inside the polygons (and within line / 2 px of their edge), rising to 1
    outside them over about 2 sigma."""
    inside = np.zeros(shape, np.float32)
    outlines = [np.round(poly * 16).astype(np.int32) for poly in polygons]
    cv2.fillPoly(inside, outlines, 1.0, shift=4)
    if line > 0:
        cv2.polylines(inside, outlines, True, 1.0, line, cv2.LINE_8, shift=4)
    return 1.0 - cv2.GaussianBlur(inside, (0, 0), max(0.5, sigma))


Opening = tuple[tuple[slice, slice], np.ndarray]  # a box of a mask, and what of it to keep there


def _opening(shape: tuple[int, int], polygon: np.ndarray, sigma: float, reach: int, line: int = 0
             ) -> Opening | None:
    """`polygon` (in a mask of `shape`) cut with a feather of `sigma` (and a line of `line` px along
    it), as the box `reach` px around it and the share of the mask to keep there (_kept_outside);
    None where the box is empty."""
    h, w = shape
    x0, y0 = np.floor(polygon.min(0)).astype(int) - reach
    x1, y1 = np.ceil(polygon.max(0)).astype(int) + reach
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    keep = _kept_outside((y1 - y0, x1 - x0), [polygon - np.float32([x0, y0])], sigma, line)
    return (slice(y0, y1), slice(x0, x1)), keep


def eye_openings(shape: tuple[int, int], pts: np.ndarray) -> list[Opening]:
    """The eye openings of the mesh `pts` in a mask of `shape`, feathered as a source's are
    (face_alpha): built once a frame for cut_eyes, which may cut them more than once."""
    sigma = max(0.5, ft.face_width(pts) * EYE_FEATHER)
    reach = int(np.ceil(3 * sigma)) + 1
    found = (_opening(shape, pts[contour, :2], sigma, reach) for contour in (ft.left_eye(), ft.right_eye()))
    return [o for o in found if o is not None]


def cut_eyes(alpha: np.ndarray, openings: list[Opening], share: float) -> np.ndarray:
    """`alpha` with `share` (0..1) of the eye `openings` (eye_openings) cut out: the target's own
    eyes show there."""
    if share <= 0.0:
        return alpha
    for box, keep in openings:
        alpha[box] = (alpha[box] * (1.0 - share * (1.0 - keep))).astype(np.uint8)
    return alpha


def cut_mouth(alpha: np.ndarray, pts: np.ndarray, line_width: float = MOUTH_LINE) -> np.ndarray:
    """`alpha` (a frame's swap mask) with the mouth opening of the mesh `pts` (in alpha's pixels)
    cut out, feathered, and a band `line_width` of the face's width along it: the target's own
    lips part, whatever the source's mouth does."""
    face_w = ft.face_width(pts)
    sigma = max(0.5, face_w * MOUTH_FEATHER)
    line = max(1, round(face_w * line_width))
    opening = _opening(alpha.shape, pts[ft.inner_lips(), :2], sigma, int(np.ceil(3 * sigma)) + line, line)
    if opening is not None:
        box, keep = opening
        alpha[box] = (alpha[box] * keep).astype(np.uint8)
    return alpha
