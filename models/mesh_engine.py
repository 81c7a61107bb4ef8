"""The embedded default engine: mediapipe face mesh + piecewise-affine texture swap, CPU only.

Per frame and face: landmarks (tracked, smoothed) -> one remap of the source's texture and alpha
onto the target's mesh -> LAB colour transfer into the target's skin tone -> feathered blend.
This module holds the engine's settings and reads photos (prepare_source, detect); a photo's
texture and masks are made once (models/mesh_source.py), and each stream's frames are swapped by
a MeshStream (models/mesh_stream.py).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import cv2
import mediapipe as mp
import numpy as np

from models import compression, denoise, orientation
from models import face_topology as ft
from models import tiles as tiling
from models.dark_glasses import dark_glasses as find_dark_glasses
from models.engine import DetectedFace, NoFaceError, SourceFace, check_frame, nearest_first
from models.mask import disc
from models.mediapipe_faces import FaceDetector, FaceFinder, StillMesher, box_area
from models.mesh_source import (
    Cuts,
    Found,
    LookedAgain,
    MeshSource,
    SourceView,
    blown_share,
    crop_view,
    face_area,
    face_in_photo,
    make_source,
    outside_share,
    photo_grain,
    photo_levels,
)
from models.mesh_stream import MeshStream
from models.occlusion import HAND_MODEL_FILES, find_hands, hand_size, occlusion_mask
from models.photo_shadow import without_shadow
from models.red_eye import without_red_eyes
from models.relight import COLOUR_DEGREE, DEGREES
from models.shape import OUTLINE, STRENGTH, lip_reading
from models.smoothing import SMOOTHINGS
from models.source_notes import SourceLook, source_notes
from models.symmetry import FRONTAL, far_side, side_share

MESH_POINTS = ft.MESH_POINTS
SOURCE_HAND_GROW = 0.08  # of a hand's size: how far past its landmarks' shape a source photo's hand is cut
# the palm detector's score a source photo's hand must reach: at 0.5 it took a side-lit forehead
# for a palm (one photo in the bench's 75), at 0.9 none. (A live frame's hands are held to 0.5 and
# not taken wholly inside a face, occlusion.within_a_face: a tight photo's face box is all of it.)
SOURCE_PALM_SCORE = 0.9
# the most faces of a source photo meshed to find the one a point lies on (MeshEngine._find)
POINT_FACES = 10
# A still's faces are looked for again with its lightness's contrast evened (evened_contrast),
# limited at this: `t1.jpg`'s sixth person, lit by a flash, her face's centre bleached, is no face
# to the detector in the photo as it is, and one in the photo evened
EVEN_CLIP = 2.0
EVEN_SIDE = 2048  # px: a larger photo is shrunk to this longer side for that look
TIGHT_CROP_MAX = 1024  # px: photos up to this size that show no face may be a tight crop, looked at again
# How the target's eyes and mouth show through (models/mask.py): "exact" cuts the eye openings at
# the lid line and the mouth at the target's own lip line; "wide", the earlier way, cut both wide
# in the source's pixels (the target's lids, lashes and lips showed too).
OPENINGS = ("exact", "wide")
# The forehead (models/mask.py): "brows" keeps the source's brows at full strength and, above
# them, takes the source only where it agrees with the target; "fixed", the earlier way, faded
# from a fixed height through the brows, whatever was there (a fringe showed as a band).
FOREHEADS = ("brows", "fixed")
# Dark glasses over a source photo's eyes (models/dark_glasses.py): "worn", the swap wears them as
# the photo does, over the target's eyes, in their own colour; "cut", they are left out of the
# mask and the target's own eyes show there; "off", as before: swapped on as skin, the target's
# eyes cut through them (dark goggles, the target's eyes inside)
DARK_GLASSES = ("worn", "cut", "off")
# The photo's mesh read again as the frames' is (StillMesher.followed): "lips", only where the two
# readings of its lips differ by more than LIPS_DIFFER and the photo is not mirrored (a laughing,
# rolled photo's lower lip showed twice on its own frames); "always", wherever the mesh lies in
# the photo; "off", read still
FOLLOW_PHOTO = ("lips", "always", "off")
# Hair over a photo's cheeks (models/side_hair.py), found at upload by its edge: "paint", painted
# over in the colour of the skin beside it (the mask as it was); "cut", cut from the mask, the
# target's own cheek showing there; "kept", left in, a stripe down the target's cheek
SIDE_HAIR = ("paint", "cut", "kept")
# the sum of the two readings' differences in how open the mouth is and how thick the lower lip
# (shape.lip_reading). Over 136 bench photos 9 differ by more, 6 of them not mirrored
# (docs/mesh-engine.md); with it, the tests of the earlier fixes "always" undid pass
LIPS_DIFFER = 0.08


class MeshEngine:
    """mediapipe FaceMesh engine: works offline on any CPU, models ship inside the wheel."""

    name = "mesh"
    provider = "mediapipe-cpu"

    def __init__(self, max_faces: int = 4, detect_interval: int = 10, color_strength: float = 1.0,
                 occlusion: str = "off", relight: bool = True, relight_colour: bool = True,
                 highlights: bool = True, coverage: bool = True,
                 shape: float = STRENGTH, fill_hidden: bool = True, mirror_below: float = FRONTAL,
                 outline: float = OUTLINE,
                 openings: str = "exact", forehead: str = "brows", temples: bool = True,
                 hair: bool = True, glasses: bool = True, enlarge: bool = True, smoothing: str = "pose",
                 edges: bool = True, shape_from_front: bool = True, shape_depth: bool = False,
                 colour_degree: int = COLOUR_DEGREE, colour_area: bool = True, shading: bool = True,
                 grain: bool = True, colour_lightness: bool = True, eyes: bool = True,
                 jaw: bool = True, levels: bool = True, source_hands: bool = True,
                 upright: bool = True, upright_frames: bool = True, exposure: bool = True,
                 even_light: bool = True, target_light: bool = True, beards: bool = True,
                 shadow_colour: bool = True, denoise: bool = True, dark_glasses: str = "worn",
                 follow_photo: str = "lips", shadow_edges: bool = True, photo_shadow: bool = True,
                 tiles: bool = True, forehead_edge: bool = True, red_eyes: bool = True,
                 under_lip: bool = True, eye_hue: bool = True, skin_colour: bool = True,
                 lip_seam: bool = True, side_hair: str = "paint", target_hair: bool = True,
                 hold_light: bool = True, soft_folds: bool = True) -> None:
        if openings not in OPENINGS:
            raise ValueError(f"openings must be one of {OPENINGS}, not {openings!r}")
        if forehead not in FOREHEADS:
            raise ValueError(f"forehead must be one of {FOREHEADS}, not {forehead!r}")
        if colour_degree not in DEGREES:
            raise ValueError(f"colour_degree must be one of {DEGREES}, not {colour_degree!r}")
        if dark_glasses not in DARK_GLASSES:
            raise ValueError(f"dark_glasses must be one of {DARK_GLASSES}, not {dark_glasses!r}")
        if follow_photo not in FOLLOW_PHOTO:
            raise ValueError(f"follow_photo must be one of {FOLLOW_PHOTO}, not {follow_photo!r}")
        if side_hair not in SIDE_HAIR:
            raise ValueError(f"side_hair must be one of {SIDE_HAIR}, not {side_hair!r}")
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {tuple(SMOOTHINGS)}, not {smoothing!r}")
        # a track's light fitted again relight.FIT_EVERY frames after its last fit, or sooner where the
        # swap's mesh moved in its box, and held between (relight.LightMemory)
        self.hold_light = hold_light
        self.smoothing = smoothing  # how the landmarks are smoothed (models/smoothing.py)
        # a mirrored source's shape read from its photo's 3D mesh turned to the front, not from
        # its symmetric layout (MeshSource.shape)
        self.shape_from_front = shape_from_front
        # the shape's fit takes in the source's depth (shape.in_depth): a turned target's nose is
        # drawn on its own nose, not nearer the face's middle (off: dlib reads the flat fit as more
        # like the source)
        self.shape_depth = shape_depth
        # as the server's --shape-fit and /status name it
        self.shape_fit = "depth" if shape_depth else "flat"
        self.colour_degree = colour_degree  # the degree of the light's colour surfaces (relight.py)
        # the target's colour over areas COLOUR_AREA of the face wide, not only its smooth surfaces
        self.colour_area = colour_area
        # the swap's fine shading (creases, folds) no stronger than the target's skin shows
        self.shading = shading
        # and its grain and focus no sharper than the target's (a sharp photo on a soft frame)
        self.grain = grain
        # the target's colour over an area taken as it shows at the swap's lightness there (its
        # highlights' near grey not put on the swap's mid-tones)
        self.colour_lightness = colour_lightness
        # and in the swap's shadows on the target's light skin, the colour of its darker skin (not
        # the near grey of its highlights: relight.LINE_LOW)
        self.shadow_colour = shadow_colour
        # a hard shadow's straight edge down the target's face put on the swap where it runs on past
        # the face (models/shadow_edge.py)
        self.shadow_edges = shadow_edges
        # a hard shadow's edge down a source photo's face taken off at upload (models/photo_shadow.py)
        self.photo_shadow = photo_shadow
        # the source's eyes where its photo shows them open, their irises where the target's are
        # (models/gaze.py); the target's own eyes otherwise
        self.eyes = eyes
        # the source's mouth opened or closed as far as the target's before its shape is read: a
        # photo's open mouth is expression, not shape (models/shape.py)
        self.jaw = jaw
        self.forehead = forehead
        self.temples = temples
        self.even_light = even_light  # the photo's light even between the face's halves (symmetry.py)
        # the frame's light that differs between the face's halves put on an evened photo's swap
        self.target_light = target_light
        self.hair = hair
        # the swap's forehead brought to the target's where the mask fades out over it (seam.py)
        self.forehead_edge = forehead_edge
        self.red_eyes = red_eyes  # a flash's red pupils on a photo made dark at upload (models/red_eye.py)
        # the target's beard left out of the skin the swap's colour and light are taken from (beard.py)
        self.beards = beards
        # a photo's folded mesh under its lower lip spread onto the skin that shows (models/under_lip.py)
        self.under_lip = under_lip
        # the source's eyes keep their own colour only where it is unlike their skin's in hue
        # (eye_colour.EYE_HUE)
        self.eye_hue = eye_hue
        # the photo's broad skin colour made even at upload (models/skin_colour.py)
        self.skin_colour = skin_colour
        # under a photo whose mouth shows no teeth, the mouth's cut 1.5% of the face wide along the
        # target's lip line: the photo's lips whole (mask.LIP_SEAM); False: 3% for every photo
        self.lip_seam = lip_seam
        self.edges = edges  # background or hair inside the outline at the sides, cut at upload
        self.side_hair = side_hair  # hair over a photo's cheeks, found by its edge at upload (SIDE_HAIR)
        # the target's own hair over its cheeks kept in front of the swap (models/target_hair.py)
        self.target_hair = target_hair
        self.glasses = glasses  # the target's glasses kept in front of the swap (models/glasses.py)
        self.enlarge = enlarge  # a small source enlarged once at upload (SOURCE_MIN_FACE_WIDTH)
        self.levels = levels  # an underexposed or washed-out photo set right at upload (color.levels)
        self.denoise = denoise  # a grainy photo cleaned at upload (models/denoise.py)
        self.upright = upright  # a photo on its side or upside down turned at upload (orientation.py)
        # a video's frames turned so its face is the right way up (models/upright_frames.py)
        self.upright_frames = upright_frames
        self.max_faces = max_faces
        self.openings = openings
        self.outline = outline
        self.fill_hidden = fill_hidden
        # a source whose far half shows under this share of the near half's area has that half
        # mirrored (symmetry.FRONTAL)
        self.mirror_below = mirror_below
        self.shape = shape
        self.relight = relight
        self.relight_colour = relight_colour  # the light's broad colour swapped with it (models/relight.py)
        self.highlights = highlights  # lightness rolled off above the target's brightest skin (relight.py)
        self.coverage = coverage
        # a fold's staircase (where one triangle covers another) smoothed in the warped face
        # (warp.fold_edges)
        self.soft_folds = soft_folds
        self.occlusion = occlusion
        self.detect_interval = detect_interval
        self.color_strength = color_strength
        # a darker target's lightness and colour scaled from the source's as less light scales
        # them, not shifted (color.exposure_gain)
        self.exposure = exposure
        # small faces looked for in parts of the frame too (models/tiles.py)
        self.faces = FaceFinder(tiled=tiles)
        self.still = StillMesher()
        # a hand in front of the source photo's face is left out of its mask (_hand_over); the
        # model is loaded on the first upload, not by every engine a worker starts
        self.source_hands = source_hands
        self._hands: Any = None
        self.dark_glasses = dark_glasses  # dark glasses over the source photo's eyes (DARK_GLASSES)
        # the photo's mesh read at last as the frames' is, by a FaceMesh that follows the face
        # (StillMesher.followed), so the photo's lips and the frames' are read alike (FOLLOW_PHOTO).
        # Only where the lips are read apart by default: "always" brings the photo back nearer
        # itself on its own frames on every set, but moved the other figures both ways and undid
        # earlier fixes (docs/mesh-engine.md)
        self.follow_photo = follow_photo
        root = os.path.dirname(mp.__file__)
        self.model_files = sorted(
            os.path.relpath(p, root)
            for p in glob.glob(os.path.join(root, "modules", "face_*", "*.tflite"))
            if "full_range" in p or "face_landmark_with_attention" in p or "short_range" in p
        )
        if occlusion != "off" or source_hands:
            self.model_files += list(HAND_MODEL_FILES)

    def detect(self, image: np.ndarray, max_faces: int = 10) -> list[DetectedFace]:
        """The faces of a still photo. With `upright`, a photo on its side or upside down is read
        turned the right way up (as prepare_source reads it), and its faces given in the photo's
        pixels as it came, their eyes in the order of the face the right way up: upside down, the
        keypoints put the eyes on the mouth (47 of bench.quality's 75 photos in five forms), or no
        face was found (28). A tight crop is looked at again, as an upload's is. A face is given
        where a mesh is read on it, as an upload needs (_meshed), whether the whole photo, a part
        of it (models/tiles.py) or the photo with its contrast evened (a face a flash bleached:
        _also_evened) showed it."""
        if check_frame(image, min_side=16):
            return []
        seen = {0: self._detected(image, max_faces)}  # each way's faces, read once
        if not self.upright:
            return [face for face, _ in self._also_evened(image, seen[0], max_faces)]

        def find(turned: np.ndarray, degrees: int) -> Found | None:
            seen[degrees] = self._detected(turned, max_faces)
            return _largest(seen[degrees])

        upright, _, turned = orientation.right_way_up(self.still.mesh, image, _largest(seen[0]), find)
        h, w = upright.shape[:2]
        faces = self._also_evened(upright, seen[turned], max_faces)
        return [orientation.turn_face(face, -turned, w, h) if turned else face for face, _ in faces]

    def _detected(self, image: np.ndarray, max_faces: int) -> list[tuple[DetectedFace, np.ndarray]]:
        """The faces the detector finds in `image`, each with its mesh (_meshed); in a tight crop
        that shows none, looked at again as an upload's is (_find)."""
        found = self._meshed(image, max_faces)
        if found or not self._may_look_again(image):
            return found
        padded = LookedAgain.of(image)
        out = []
        for face, pts in self._meshed(padded.image, max_faces):
            keypoints = tuple(padded.back(point) for point in face.keypoints)
            face = DetectedFace(padded.back_box(face.box), face.score, keypoints)
            out.append((face, padded.back_points(pts)))
        return out

    def _meshed(self, image: np.ndarray, max_faces: int) -> list[tuple[DetectedFace, np.ndarray]]:
        """The faces the detector finds in `image` on which a mesh is read, each with its mesh: a
        find without one is no face an upload can take. Over 239 pictures (the bench's photos in
        twelve forms, 18 of opencv-doc's), the finds without a mesh that detect gave were an
        apple, the Windows logo, a hand over the Yale crop's chin and a box on the lower half of
        that crop behind drawn glasses, whose upload is refused."""
        out = []
        for det in self.faces.detect(image)[:max_faces]:
            pts = self.still.mesh(image, det.box)
            if pts is not None:
                out.append((_with_mesh_keypoints(det, pts), pts))
        return out

    def _also_evened(self, image: np.ndarray, found: list[tuple[DetectedFace, np.ndarray]],
                     max_faces: int) -> list[tuple[DetectedFace, np.ndarray]]:
        """`found` (a still's faces in `image`), and after them the faces the detector finds in
        the photo with its contrast evened (evened_contrast) where none was found, kept where a
        mesh is read on the photo as it is: 30-55 ms a photo of up to EVEN_SIDE px, one core."""
        out = list(found)
        known = [face.box for face, _ in found]
        if len(out) >= max_faces:
            return out
        # a large photo evened at EVEN_SIDE: the contrast's evening took 0.6 s of a 23 MP photo's
        # 2.6 s detect; its faces are meshed in the photo as it is
        scale = min(1.0, EVEN_SIDE / max(image.shape[:2]))
        small = image if scale == 1.0 else cv2.resize(image, None, fx=scale, fy=scale,
                                                      interpolation=cv2.INTER_AREA)
        for det in self.faces.detect(evened_contrast(small)):
            if len(out) >= max_faces:
                break
            det = det if scale == 1.0 else replace(det, box=tuple(v / scale for v in det.box))
            if not tiling.is_new(det.box, known):
                continue
            known.append(det.box)
            pts = self.still.mesh(image, det.box)
            if pts is not None:
                out.append((_with_mesh_keypoints(det, pts), pts))
        return out

    def _followed(self, image: np.ndarray, box: tuple[float, float, float, float], pts: np.ndarray,
                  prepare: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
        """`pts` read again as the frames' are (StillMesher.followed), where follow_photo says so,
        the whole mesh lies inside the photo and a face is found; else as they are. A tight crop
        read again measured worse (bench.quality's tight-grey form, retrieval 60% -> 56% on the
        wheel faces, 79% -> 72% on the social set) and is read as a still."""
        if self.follow_photo == "off":
            return pts
        h, w = image.shape[:2]
        xy = pts[:, :2]
        if (xy < 0).any() or (xy[:, 0] >= w).any() or (xy[:, 1] >= h).any():
            return pts
        lips_only = self.follow_photo == "lips"
        if lips_only and far_side(xy)[1] < self.mirror_below:
            # a profile's chin read again let its background down the swap's chin (tests)
            return pts
        again = self.still.followed(image, box, prepare)
        if again is None:
            return pts
        if lips_only and np.abs(lip_reading(again) - lip_reading(pts)).sum() <= LIPS_DIFFER:
            return pts
        return again[:, : pts.shape[1]]

    def _may_look_again(self, image: np.ndarray) -> bool:
        """Whether a photo in which no face was found may be a tight crop, to be looked at again."""
        return self.coverage and max(image.shape[:2]) <= TIGHT_CROP_MAX

    def prepare_source(self, image: np.ndarray, near: tuple[float, float] | None = None) -> SourceFace:
        if check_frame(image, min_side=16):
            raise NoFaceError("No face detected")
        found = self._find(image, near)
        turned = 0
        if self.upright:
            h, w = image.shape[:2]

            def find(turned: np.ndarray, degrees: int) -> Found | None:
                moved = None if near is None else orientation.turn_point(near, degrees, w, h)
                return self._find(turned, moved)

            image, found, turned = orientation.right_way_up(self.still.mesh, image, found, find)
        if found is None:
            raise NoFaceError("No face detected")
        box, pts = found
        set_to = photo_levels(image, pts) if self.levels else None
        if set_to is not None:
            # an underexposed or washed-out photo, stretched, and its mesh read again from it:
            # read in the dark photo, the landmarks lay elsewhere, and the swap of a photo two
            # stops under differed from the well-lit photo's by 6.2 levels over the face, against
            # 1.9 (tests)
            image = cv2.LUT(image, set_to.lut)
            lit = self.still.mesh(image, box)
            pts = pts if lit is None else lit[:, :3]
        view = crop_view(image, pts, self.coverage, self.enlarge)
        face = face_in_photo(image, pts)  # read at the photo's own resolution for its grain and blocks
        blocky = face is not None and compression.blockiness(*face) > compression.BLOCKY
        grain = photo_grain(face, pts, view) if self.denoise and face is not None else 0.0
        grainy = grain > denoise.NOISY
        if grainy:
            # the mesh read again from the face cleaned (in the model's own crop: its cost does
            # not grow with the photo), then the texture cropped from the photo and cleaned
            again = self.still.mesh(image, box, denoise.cleaned)
            if again is not None:
                pts = self._followed(image, box, again[:, :3], denoise.cleaned)
                view = crop_view(image, pts, self.coverage, self.enlarge)
            view = view._replace(image=denoise.cleaned(view.image))
        else:
            # followed after the grain is read, so a grainy photo is followed once, cleaned
            followed = self._followed(image, box, pts)
            if followed is not pts:
                pts = followed
                view = crop_view(image, pts, self.coverage, self.enlarge)
        outside = outside_share(view)
        hand = self._hand_over(image, pts, view) if self.source_hands else None
        if hand is not None:
            # held as the parts of a tight crop beyond the photo are: left out of the mask, the
            # target's own face shows there, and a turned photo's mirror does not copy it across
            view = view._replace(inside=cv2.min(view.inside, cv2.bitwise_not(hand)))
        shades = find_dark_glasses(*view.photo) if self.dark_glasses != "off" else None
        if shades is not None:
            # the eyes behind them are not the photo's to keep (models/gaze.py)
            view = view._replace(irises=None)
            if self.dark_glasses == "cut":  # held as a hand is
                view = view._replace(inside=cv2.min(view.inside, cv2.bitwise_not(shades.cover)))
            else:
                view = view._replace(lensed=True)
        edge = None
        if self.photo_shadow:
            # before the halves are evened and a turned face mirrored: both would carry the edge
            image_lifted, edge = without_shadow(*view.photo)
            view = view._replace(image=image_lifted)
        red_eyes = 0
        if self.red_eyes:
            image_dark_eyed, red_eyes = without_red_eyes(view.image, view.points, view.irises)
            view = view._replace(image=image_dark_eyed)
        source = self._make_source(view)
        source = replace(source, look=SourceLook(far_share=None if source.turn is None else source.turn[1],
                                                 outside=outside, grey=source.grey,
                                                 hand=0.0 if hand is None else outside_share(view) - outside,
                                                 dark_glasses="" if shades is None else self.dark_glasses,
                                                 dark=set_to is not None and not set_to.washed_out,
                                                 washed_out=set_to is not None and set_to.washed_out,
                                                 blown=blown_share(view), turned=turned,
                                                 grain=grain if grainy else 0.0,
                                                 blocky=blocky, shadow=edge is not None,
                                                 red_eyes=red_eyes > 0))
        if turned:  # the box in the photo as it came
            box = orientation.turn_box(box, -turned, image.shape[1], image.shape[0])
        return SourceFace(self.name, box, source, source_notes(source.look))

    def _find(self, image: np.ndarray, near: tuple[float, float] | None) -> Found | None:
        """The face nearest `near` in a source photo, its box and mesh; None where none is found.
        A point on a face picks that face, wherever it was found: `near` is taken from what detect
        gave (the hosted API's opts), and detect finds faces in the photo's tiles too."""
        found = self._source_mesh(image, near)
        if near is not None and (found is None or not _holds(found[0], near)):
            # `t1.jpg`'s second and fifth people, whom only a tile finds: their points, as detect
            # gave them, took the nearest face the whole photo's detector found, another person
            faces = self._also_evened(image, self._meshed(image, POINT_FACES), POINT_FACES)
            on_it = [(face.box, pts[:, :3]) for face, pts in faces if _holds(face.box, near)]
            if on_it:
                found = nearest_first(on_it, near, lambda f: f[0])[0]
        if found is None and self._may_look_again(image):
            padded = LookedAgain.of(image)
            moved = None if near is None else padded.into(near)
            # the full-range model misses some close-up faces (measured: 3 of 8 identities cropped
            # as ID photos); the short-range model, made for them, found all 8
            again = (self._source_mesh(padded.image, moved)
                     or self._source_mesh(padded.image, moved, self.faces.close_up))
            if again is not None:
                found = padded.back_box(again[0]), padded.back_points(again[1])
        if found is None and self.coverage:
            # a close-up the full-range model misses, the short-range one finds: a large selfie,
            # the face filling it, was refused (over TIGHT_CROP_MAX nothing above looks again)
            found = self._source_mesh(image, near, self.faces.close_up)
        if found is None and self.faces.tiled:
            # a small face in a large photo (the astronaut at a tenth of a 1920x1080 photo's
            # height, 108 px) the whole photo's detector misses: looked for in its tiles
            found = self._source_mesh_in_tiles(image, near)
        return found

    def combine_sources(self, faces: list[SourceFace]) -> SourceFace:
        """Several photos of one person as one source face: the most frontal photo, with the half
        it turns away taken from the photo that shows that half best (or its own mirror)."""
        if len(faces) == 1:
            return faces[0]
        views = [f.data.view for f in faces]
        turns = [far_side(v.points) for v in views]
        best = int(np.argmax([ratio for _, ratio in turns]))
        far, ratio = turns[best]
        if not self.fill_hidden or ratio >= self.mirror_below:
            return faces[best]
        shown = [side_share(v.points, far) if i != best else 0.0 for i, v in enumerate(views)]
        other = int(np.argmax(shown))
        if shown[other] < self.mirror_below:
            return faces[best]  # no photo shows the far half well: its mirror, as prepared already
        source = self._make_source(views[best], views[other])
        look = faces[best].data.look
        # the far half is another photo's, not a mirror: the turn costs little
        look = None if look is None else replace(look, far_share=None)
        source = replace(source, look=look)
        return SourceFace(self.name, faces[best].box, source, () if look is None else source_notes(look))

    def _make_source(self, view: SourceView, other: SourceView | None = None) -> MeshSource:
        cuts = Cuts(self.coverage, self.openings == "wide", self.forehead == "brows", self.temples, self.hair,
                    self.edges, self.eyes, self.even_light, self.beards, self.under_lip, self.skin_colour,
                    self.side_hair)
        return make_source(view, cuts, self.fill_hidden, other, self.mirror_below)

    def _source_mesh(self, image: np.ndarray, near: tuple[float, float] | None,
                     detector: FaceDetector | None = None) -> Found | None:
        dets = (detector or self.faces.full).detect(image)
        if not dets:
            return None
        det = nearest_first(dets, near, lambda d: d.box)[0]
        pts = self.still.mesh(image, det.box)
        return None if pts is None else (det.box, pts[:, :3])

    def _source_mesh_in_tiles(self, image: np.ndarray, near: tuple[float, float] | None) -> Found | None:
        """The face nearest `near` that the photo's tiles find and a mesh is read on (a tile takes
        textures for faces more often: models/tiles.py)."""
        for det in nearest_first(self.faces.detect(image, whole=False), near, lambda d: d.box):
            pts = self.still.mesh(image, det.box)
            if pts is not None:
                return det.box, pts[:, :3]
        return None

    def open_stream(self) -> MeshStream:
        return MeshStream(self)

    def close(self) -> None:
        self.faces.close()
        self.still.close()
        if self._hands is not None:
            self._hands.close()

    def _hand_over(self, image: np.ndarray, pts: np.ndarray, view: SourceView) -> np.ndarray | None:
        """uint8 over `view`'s crop: a hand in front of the source's face (occlusion.occlusion_mask),
        found by mediapipe's hand models in the whole photo (the crop around the face cuts a hand
        held up to it at the fingers, and the palm detector did not find it there); None where
        there is none. `pts` is the face's mesh in the photo, `view` the crop made from it."""
        if self._hands is None:
            self._hands = mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=2,
                                                   model_complexity=0,
                                                   min_detection_confidence=SOURCE_PALM_SCORE)
        found = find_hands(self._hands, image)
        if not found:
            return None
        # the photo's pixels to the crop's: the crop is the photo shifted and scaled (crop_view)
        photo, crop = pts[:MESH_POINTS, :2], view.points
        ratio = float(np.ptp(crop[:, 0]) / max(np.ptp(photo[:, 0]), 1e-6))
        shift = crop.mean(0) - photo.mean(0) * ratio
        hands = [points * ratio + shift for points in found]
        size = (view.image.shape[1], view.image.shape[0])
        mask = occlusion_mask(hands, (0, 0, *size))
        if mask is None:
            return None
        if not (mask[face_area(view)] > 127).any():
            return None
        # grown beyond what a live frame's hand is: a finger's edge left in the texture is drawn
        # on every frame (a dark line down the swapped chin)
        grow = max(1, round(SOURCE_HAND_GROW * max(hand_size(p) for p in hands)))
        return cv2.dilate(mask, disc(grow))


def evened_contrast(image: np.ndarray) -> np.ndarray:
    """`image` (BGR) with its lightness's contrast evened over an 8 x 8 grid of its parts (CLAHE,
    limited at EVEN_CLIP), its colour kept: a still's faces are looked for in it too (_also_evened)."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    lab[:, :, 0] = cv2.createCLAHE(EVEN_CLIP, (8, 8)).apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def _with_mesh_keypoints(det: DetectedFace, pts: np.ndarray) -> DetectedFace:
    """The detector's face `det` with its keypoints read off its mesh `pts`."""
    kp = tuple((float(x), float(y)) for x, y in ft.keypoints4(pts))
    return DetectedFace(det.box, det.score, kp)


def _holds(box: tuple[float, float, float, float], point: tuple[float, float]) -> bool:
    """Whether `point` lies in `box`."""
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _largest(detected: list[tuple[DetectedFace, np.ndarray]]) -> Found | None:
    """The largest of the faces `detected` (MeshEngine._detected, each meshed): its box and mesh."""
    return max(((face.box, pts) for face, pts in detected), key=lambda f: box_area(f[0]), default=None)
