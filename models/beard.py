"""Hair on the lower face (a beard, a goatee, a moustache): not skin, and not light.

The swap takes its colour and its light from the target's skin: the mean and contrast of its
colour (models/color.py), the surfaces of its light, its colour over areas, its shading and grain
(models/relight.py). A target's dark goatee counted as skin in all of them, and the surfaces dipped
around the mouth: on the held-out man with a goatee, down the middle of the face below the mouth,
the relight took the astronaut's swap from 162-187 to 77-130 in lightness. And the swap's mask
fades out toward the outline, so where the goatee lay in the fade it showed through: a grey chin
with a ghost of his goatee on it (test-artifacts/beard.png).

Hair is told from skin by how dark it is beside the skin above it: below the nose's base, inside
the outline, a pixel darker than HAIR_DARK of the cheeks' median on its side of the face. On that
side alone, so that a face lit from one side keeps its shadowed half (the shade falls on the cheek
and the jaw alike); and below the nose only, so that brows, eyes and nostrils stay as the source's
statistics count them. The lips are lighter than that (the goatee man's L 140 against cheeks of
180-214, his goatee 45-118).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import cv2
import numpy as np

from models import face_topology as ft
from models.mask import across_of, cheek_rows, disc, face_axes, height_of
from models.order import median

# lightness (LAB L, 0-255) under this share of the cheeks' median on the same side is hair, not
# skin (the same line as a fringe over the brows: mask.FRINGE_DARK)
HAIR_DARK = 0.6
NOSE_BASE = 2  # the mesh point under the nose, on the midline
NOSE_WINGS = (64, 294)  # the nostrils' outer corners: the cheeks are read outside them
# a face is bearded (bearded) where hair covers this share of its chin or more, the chin judged
# BEARD_CLEAR of the face's width clear of its outline: the held-out man with a goatee 37%, the man
# with glasses 11%, the smiling man's stubble 1%; every other bench face 0-3% (the lips' line, a
# shadow under the lip), the same as frames and as photos. A bearded track stays so down to half
# of it (BeardWatch.share): the man with glasses lies near the line. On a face that is not bearded
# nothing changes: on the clean-shaven ones the few dark pixels left out of its statistics (the
# lips' line, a collar or the background inside the jaw's outline) moved the wheel faces' photos as
# taken further from themselves (bench.quality, plain form: 0.520 -> 0.522, and 0.532 with the
# photo's own left out too); judged on the whole chin, a collar made the centre man of t1.jpg
# bearded in every frame of bench.engine's clip
BEARD_SHARE = 0.1
BEARD_CLEAR = 0.05
# a beard is covered (chin_cover) under the lower lip, this much wider than the mouth each way (a
# share of its width): the chin; at the jaw's sides a dark pixel inside the outline is as often the
# background (the wheel faces' Tom Hanks, t1.jpg's first woman)
CHIN_WIDER = 0.25
# the cover is the chin's hair closed over gaps this wide (a share of the face's width): a full
# beard of dark and lighter strands was read in pieces, and covered in pieces, a pale crescent of
# the swap's chin under a grey ghost of the beard (the social set's tr-1, ad hoc)
COVER_CLOSE = 0.08
# and it fades out over this share of the face's width toward the outline: cut there, the swap's
# chin ended in the half-size grid's steps against a beard that runs on under the jaw
COVER_EDGE = 0.02
# a track found clean-shaven is looked at again this many frames later (BeardWatch): a look costs
# 0.5 ms a frame at 640x480 (the colour stage, the engine with and without it in turn, ad hoc)
LOOK_EVERY = 15


class FaceFrame:
    """The face of the mesh `points` (468+ x 2) over an (h, w) image: each pixel's height on the
    chin (0) to forehead-top (1) axis and its place across it, in the same units, and the uint8
    mask (255) inside its outline."""

    def __init__(self, shape: tuple[int, int], points: np.ndarray) -> None:
        h, w = shape
        self.p = p = points[: ft.MESH_POINTS, :2].astype(np.float32)
        self.height, self.across = face_axes(shape, p)
        self.oval = np.zeros((h, w), np.uint8)
        cv2.fillPoly(self.oval, [np.round(p[ft.face_oval()]).astype(np.int32)], 255)

    def height_of(self, i: np.ndarray | int) -> np.ndarray:
        return height_of(self.p, i)

    def across_of(self, i: int) -> float:
        return across_of(self.p, self.p[i])


def facial_hair(lightness: np.ndarray, face: FaceFrame) -> np.ndarray:
    """bool (h, w): the hair on the lower `face` in `lightness` (uint8 LAB L over the same
    pixels): below the nose's base and inside the outline, darker than HAIR_DARK of the median of
    the cheeks on the same side (between the eyes' lowest point and the nose's tip, outside the
    nostrils). Nothing on a side whose cheeks show fewer than 16 pixels."""
    inside = face.oval > 0
    height, across = face.height, face.across
    cheeks = cheek_rows(height, face.p)
    lower = inside & (height < float(face.height_of(NOSE_BASE)))
    mid = face.across_of(NOSE_BASE)
    wings = sorted(face.across_of(i) for i in NOSE_WINGS)
    hair = np.zeros(lightness.shape, bool)
    for on_side, outside_nose in ((across < mid, across < wings[0]), (across >= mid, across > wings[1])):
        cheek = lightness[inside & cheeks & outside_nose]
        if len(cheek) < 16:
            continue
        hair |= lower & on_side & (lightness < HAIR_DARK * median(cheek))
    return hair


def chin_cover(hair: np.ndarray, face: FaceFrame, clear: int = 2, blur: float = 1.0) -> np.ndarray | None:
    """uint8 (h, w): 255 over `hair` (facial_hair) under the `face`'s lower lip and CHIN_WIDER
    wider than its mouth each way, closed over its gaps (COVER_CLOSE), blurred by `blur` px and
    fading out toward the outline (COVER_EDGE) to 0 at `clear` pixels inside it; 0 elsewhere; None
    where there is no such hair. The swap's mask is raised to it: the mask fades out over the
    chin, and a beard in the fade showed through the swap, a grey ghost of itself. Not at the
    jaw's sides, where a dark pixel inside the outline is as often the background, nor in the
    mouth, which stays the target's."""
    chin = _chin(face)
    found = hair & chin
    if not found.any():
        return None
    width = ft.face_width(face.p)
    size = max(3, round(COVER_CLOSE * width)) | 1
    edge = max(COVER_EDGE * width, 1.0)
    # worked on the hair's box, grown by what reaches into it (the closing, the fade from the
    # outline, the blur): over the face's whole box the closing cost a bearded frame 0.5 ms
    x, y, w, h = cv2.boundingRect(found.view(np.uint8))
    grow = size + int(np.ceil(edge + clear + 3 * blur)) + 1
    part = slice(max(y - grow, 0), y + h + grow), slice(max(x - grow, 0), x + w + grow)
    closed = cv2.morphologyEx(found[part].view(np.uint8) * np.uint8(255), cv2.MORPH_CLOSE,
                              disc(size // 2))
    closed = cv2.bitwise_and(closed, chin[part].view(np.uint8) * np.uint8(255))
    covered = cv2.GaussianBlur(closed, (0, 0), blur)
    # beyond `clear` of the outline the swap's texture is not the face
    inside = cv2.distanceTransform(face.oval[part], cv2.DIST_L2, 3)
    fade = np.clip((inside - clear) / edge, 0.0, 1.0)
    out = np.zeros(hair.shape, np.uint8)
    out[part] = cv2.multiply(covered, fade, dtype=cv2.CV_8U)
    return out


def _chin(face: FaceFrame) -> np.ndarray:
    """bool: the `face`'s chin, under its lower lip and CHIN_WIDER wider than its mouth each way,
    inside its outline."""
    left, right = sorted(face.across_of(i) for i in ft.MOUTH_CORNERS)
    wider = CHIN_WIDER * (right - left)
    chin = (face.across > left - wider) & (face.across < right + wider) & (face.oval > 0)
    return chin & (face.height < float(face.height_of(ft.LOWER_LIP_BOTTOM)))


def bearded(hair: np.ndarray, face: FaceFrame, share: float = BEARD_SHARE) -> bool:
    """Whether `hair` (facial_hair) covers `share` of the `face`'s chin or more, its chin
    judged clear of the outline by BEARD_CLEAR of the face's width: there a collar, the shadow
    under the jaw or the background lie inside the outline of many a clean-shaven face."""
    reach = max(1, round(BEARD_CLEAR * ft.face_width(face.p)))
    inner = cv2.erode(face.oval, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0
    chin = _chin(face) & inner
    return bool((hair & chin).sum() >= share * max(int(chin.sum()), 1))


class Beard(NamedTuple):
    hair: np.ndarray  # bool (h, w): facial_hair
    cover: np.ndarray | None  # uint8 (h, w): chin_cover, None where it covers nothing


def find_beard(image: np.ndarray, points: np.ndarray, share: float = BEARD_SHARE) -> Beard | None:
    """facial_hair and chin_cover over `image` (BGR) of the face `points` (468+ x 2), read on
    every other pixel each way (a quarter of the work) and enlarged; None for a face that is not
    `bearded` (hair on `share` of its chin)."""
    h, w = image.shape[:2]
    half = np.ascontiguousarray(image[::2, ::2])
    # a half-size pixel i is the full-size pixel 2i: the mesh's coordinates halve
    face = FaceFrame(half.shape[:2], points[: ft.MESH_POINTS, :2].astype(np.float32) / 2)
    hair = facial_hair(cv2.extractChannel(cv2.cvtColor(half, cv2.COLOR_BGR2LAB), 0), face)
    if not bearded(hair, face, share):
        return None
    size = (w, h)
    full = cv2.resize(hair.view(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    cover = chin_cover(hair, face, 1, 0.5)  # two full-size pixels clear, a pixel's blur
    return Beard(full, None if cover is None else cv2.resize(cover, size, interpolation=cv2.INTER_LINEAR))



@dataclass
class BeardWatch:
    """Per track: whether to look for a beard in this frame. A track is looked at on its first
    frame; found bearded, on every frame (the beard moves with the face), and clean-shaven, again
    every LOOK_EVERY frames (a face turning toward the camera may show one)."""

    frames: dict[int, int] = field(default_factory=dict)
    bearded: dict[int, bool] = field(default_factory=dict)

    def due(self, track_id: int) -> bool:
        """Whether to look in this frame of the track (call once per frame)."""
        seen = self.frames.get(track_id, 0)
        self.frames[track_id] = seen + 1
        return self.bearded.get(track_id, False) or seen % LOOK_EVERY == 0

    def share(self, track_id: int) -> float:
        """The share of its chin a beard must cover to be found on the track: half for one found
        bearded already, so that a beard near the line is not found and lost frame by frame."""
        return BEARD_SHARE / 2 if self.bearded.get(track_id, False) else BEARD_SHARE

    def update(self, track_id: int, found: bool) -> None:
        self.bearded[track_id] = found

    def keep_only(self, track_ids: set[int]) -> None:
        """Forget the tracks that are gone."""
        for gone in set(self.frames) - track_ids:
            self.frames.pop(gone, None)
            self.bearded.pop(gone, None)
