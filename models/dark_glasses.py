"""Dark glasses on a source photo, found at upload.

Swapped on as skin, a photo's sunglasses went onto every face as light brown goggles (their dark
relit to the target's skin) with the target's own eyes cut through them where the photo's eye
openings were: neither face. Dark lenses hide the photo's eyes, so nothing of them can follow the
target's. The engine either wears the glasses as the photo does, over the target's eyes and in
their own colour (`MeshEngine(dark_glasses="worn")`, the default), or leaves them out of the mask
as it does a hand in front of the photo, and the target's own eyes show there ("cut").

Found without a model, from the photo's mesh: an eye is behind a dark lens when no white shows in
its opening (its median lightness is under DARK of the skin's median, the skin taken between the
nose's tip and the mouth's corners on the eye's side of the nose, below any lens) and the lids and
skin around it are as dark. An open eye shows its white; a shut one, its lid; heavy make-up darkens
the lids but not the white. Both eyes must be so. The lenses are the dark pixels joined to the eyes
within REACH of them (and the frame between them), closed over a lens's reflections.

Misses: lenses light enough to show the eyes (those are swapped on, as clear glasses are), a face
turned so far that one eye hides, lenses as light as the skin, a reflection over more than half of
an eye, and, among several photos of one person, glasses that only some of them wear (the texture
whose far half comes from another photo wears one lens, and is not found to wear any).
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from models import face_topology as ft
from models.mask import across_of, disc, face_axes, height_of
from models.symmetry import face_mask

# of the skin's median lightness (on the eye's side): a lens is darker, an eye's white or a lid is
# not. Over bench.quality's 15 faces in nine forms (plain, turned, side-lit, shadowed, dark, bright,
# faded, tight-grey, small), every face had an eye whose opening or ring read 0.59 or more (the man
# with glasses two stops under: his rims and deep-set eyes), and no single eye under 0.46; with
# dark lenses drawn on (testing.images.sunglasses), both eyes of every face read 0.35 or less. The
# skin is read on the eye's side: over both halves, one eye of Lena's shadowed photo read 0.33, a
# lens, and only her other eye kept the photo from being taken for dark glasses
DARK = 0.45
# percentile of an eye opening's lightness that must be under the line: the median, as a lens's
# reflection may light a good part of what lies over a small eye (at the 75th, a drawn lens over
# t1.jpg's man, 100 px wide, was missed: 71 against a line of 55). The ring does most of the telling:
# the darkest real eye's median read 0.20 of its skin (the man with glasses two stops under)
SEEN = 50.0
AROUND = (0.1, 0.6)  # eye half widths: the ring around the opening (lids, the skin under the eye)
REACH = 2.6  # eye half widths from each eye's centre: as far as a lens is cut
GROW = 0.02  # of the face's width: the cut grown past the lenses' dark edge, and blurred as much
MIN_SKIN = 50  # pixels of skin below the eyes to judge by


class DarkGlasses(NamedTuple):
    """Dark glasses found on a photo: uint8 (h, w) masks, 255 wholly."""

    cover: np.ndarray  # the lenses grown past their dark edge and feathered: what is held out
    glass: np.ndarray  # the lenses as found, their edge softened a pixel: what is worn


def dark_glasses(image: np.ndarray, inside: np.ndarray, pts: np.ndarray) -> DarkGlasses | None:
    """The dark glasses over the source photo's eyes; None where either eye shows. `image` is BGR,
    `inside` 255 where it holds the photo's own pixels, `pts` the face's mesh in its pixels."""
    h, w = image.shape[:2]
    p = pts[: ft.MESH_POINTS, :2].astype(np.float32)
    light = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[..., 0]
    photo = inside > 200
    oval = face_mask(p, (w, h)) > 0
    height, across = face_axes((h, w), p)
    # the skin between the nose's tip and the mouth's corners, on each eye's side of the nose (a
    # side light leaves one eye in shadow, and its cheek with it): a large lens reaches the cheeks
    # under the eyes, where the skin is judged elsewhere (mask.cheek_rows)
    below = (height < height_of(p, [ft.NOSE_TIP])[0]) & (height > height_of(p, list(ft.MOUTH_CORNERS)).max())
    below &= oval & photo
    middle = across_of(p, p[ft.NOSE_TIP])
    near = np.zeros((h, w), np.uint8)
    openings = np.zeros((h, w), np.uint8)
    lines = []
    for contour in (ft.left_eye(), ft.right_eye()):
        eye = p[contour]
        centre = eye.mean(0)
        skin = below & ((across < middle) == (across_of(p, centre) < middle))
        if skin.sum() < MIN_SKIN:
            # a turned face's far side shows little cheek: judged by both (t1.jpg's second person
            # with lenses drawn on: 32 px on her far side)
            skin = below
        if skin.sum() < MIN_SKIN:
            return None
        line = DARK * float(np.median(light[skin]))
        half = 0.5 * float(np.max(np.linalg.norm(eye[:, None] - eye[None], axis=2)))
        opening = np.zeros((h, w), np.uint8)
        cv2.fillPoly(opening, [np.round(eye).astype(np.int32)], 255)
        seen = (opening > 0) & photo
        if half < 2 or seen.sum() < 8 or np.percentile(light[seen], SEEN) >= line:
            return None
        ring = (cv2.dilate(opening, disc(max(1, round(AROUND[1] * half)))) > 0) & photo
        ring &= cv2.dilate(opening, disc(max(1, round(AROUND[0] * half)))) == 0
        if not ring.any() or np.median(light[ring]) >= line:
            return None
        cv2.circle(near, (round(float(centre[0])), round(float(centre[1]))), round(REACH * half), 255, -1)
        openings |= opening
        lines.append(line)
    line = max(lines)
    dark = ((light < line) & photo & (near > 0)).astype(np.uint8)
    # the dark that joins the eyes' openings: not a brow or a fringe apart from the lenses
    count, parts = cv2.connectedComponents(dark, connectivity=8)
    kept = np.zeros(count, bool)
    kept[np.unique(parts[(openings > 0) & (dark > 0)])] = True
    kept[0] = False
    lenses = kept[parts].astype(np.uint8) * 255
    grow = max(1, round(GROW * ft.face_width(p)))
    # a lens's reflections, light spots inside it, are lens too
    lenses = cv2.morphologyEx(lenses, cv2.MORPH_CLOSE, disc(2 * grow))
    cover = cv2.GaussianBlur(cv2.dilate(lenses, disc(grow)), (0, 0), max(0.5, grow / 2.0))
    return DarkGlasses(cover, cv2.GaussianBlur(lenses, (0, 0), 0.7))
