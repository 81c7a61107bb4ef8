"""Swap quality on every face the installed wheels carry, judged by a recognizer the engine does not use.

    make bench-deps   # dlib-bin and face-recognition-models, for this benchmark only
    python -m bench.quality [--configs before,after] [--server] [--faces held-out|press|social]
                            [--light dim|warm|side|shadow] [--size 1280x720]

Identities: skimage's astronaut, the six people of insightface's t1.jpg and Tom_Hanks_54745.png
beside it (8 in all; dlib finds the faces). Each identity is a source in five forms: as photographed
(`plain`), turned (a simulated three-quarter view: the face's far half narrowed, then tilted; FaceMesh
does not follow the squeeze, and reads most such halves at 0.52-0.62 of the near half's area),
`side-lit` (dark on one side), `tight-grey` (a 112 px greyscale crop without chin and forehead, as an
ID photo) and `small` (the face 80 px wide). Each is swapped onto three other identities' frontal
faces, moving gently in a 640x480 frame; the last two frames of each clip are judged.

Judge: dlib's ResNet face descriptor (the `face_recognition` models), never the engine's own
landmarks. Figures, as face-swap papers report them:
- retrieval: the output's nearest identity of the 8 is the source;
- nearer: the output is nearer the source than the target it was made from;
- distance: mean descriptor distance to the source (dlib's same-person threshold is 0.6);
- flicker: frame-to-frame change in the face of a still, noisy target, over the input's own, with
  a greyscale source (the last identity, as the row has always been measured) and, in a second
  row, the last colour source that is not one of the three targets (a colour source's colour
  takes another path).
And what a person sees wrong in the judged frames (bench/realism.py): stray pixels, pixels held
at white, the swap cut off along a straight line, the target's skin (found by dlib's 68
landmarks) greyed by the swap, the skin's tone off the target's, its lightness off the target's
(the upper face's median L*), its light across the face (the step between the halves) off the
target's, colour patches the target's skin
has not, shading harsher than the target's, grain sharper than the target's, colours the
target's skin shows at no such lightness, and
around the eyes (the irises, lids, sockets and brows), colours its face shows at no such lightness.

`--configs` compares engine settings in one run (`before` is every improvement off; see CONFIGS).
`--sources s5-3,s5-4` takes only those of the set's sources (onto the same targets as in a whole run;
its sheets, named for them, e.g. quality-social-s5-3-s5-4.png, show the first in every form): a quick
look at a few people's pairs.
`--light dim` darkens the targets' frames as a webcam's in a dim room (gamma 1.4, gain 0.3, noise of
6 levels); its sheets are named `-dim`. `--light warm` tints them as a warm lamp does, `--light
side` lights them from the frame's left, the right at 0.4 of it, `--light shadow` the same with a
hard edge, 20 px wide, down the face (LIGHTS).
`--size 1280x720` makes the targets' frames that size instead, the face still 35% of the height (a
720p face's box is 330-420 px: the warp's grid and the light's samples work on it differently);
its sheets are named `-1280x720`.
`--server` sends the frames through a real server instead (upload over /upload_source, frames over
/ws). Contact sheets are saved to test-artifacts/: quality.png (the first source in every form),
quality-sources.png (every source as photographed) and quality-textures.png (what the engine made
of each photo at upload: its texture, that texture under its mask, and a turned photo's own beside
its mirrored one; where hair, a hand or the background went into the mask, or a mirror copied it
across, shows there). The other sets' sheets are named as their `-sources` sheet is.
`--faces held-out` takes its sources from photographs of five other people in Debian's opencv-doc
(two men, one smiling, one with a goatee; a man with glasses; a soft photo of a woman turned and
lit from the side; a tight greyscale crop), which the engine was never tuned on; their targets and
the gallery include the faces above (13 identities). Its sheets are quality-held-out.png and
quality-held-out-sources.png.
`--faces press` takes its sources from face_recognition's test photographs (`make bench-deps` fetches
its source package from PyPI): Biden, and Obama speaking, judged against his official portrait, the
one source whose gallery photo is another photograph. Obama's is the darkest skin of the sets, and
he is Biden's first target. Its sheets are quality-press.png and quality-press-sources.png.
`--faces social` takes its sources from group photographs in two npm packages' demos (`make
bench-deps` fetches them with npm): 21 people, most of them young women at parties, with heads
tilted and turned, make-up and hair across the face, in mixed light (SOCIAL_FACES); each is also a
target of the others, and the gallery holds all 29 identities. Its sheets are quality-social.png and
quality-social-sources.png.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from bench import realism
from bench.table import frame_size
from models import color
from testing.faces import (
    GLASSES,
    GOATEE,
    OPENCV_DOC,
    PRESS,
    SMILE,
    SOCIAL,
    YALE,
    astronaut,
    crop_face,
    hanks,
    opencv_doc_photo,
    press_photo,
    t1,
    turned,
    video,
)
from testing.images import grainy, recompressed, sunglasses
from testing.occluders import hand_cutout, put_over

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
KINDS = ("plain", "turned", "side-lit", "tight-grey", "small")
# forms run only when asked for (--kinds): the figures above stay comparable across runs
MORE_KINDS = ("dark", "faded", "bright", "hand", "upside-down", "on-its-side", "noisy", "jpeg", "shadowed",
              "hard-shadowed", "sunglasses")
TARGETS_PER_SOURCE = 3
CLIP = 6  # frames per clip; the last two are judged
FLICKER_TARGETS = 3  # the first identities, each a still noisy frame the flicker rows swap onto
# engine keyword arguments per configuration: `before` turns off what issue 13 added (all but the
# drawing order of folded triangles, models/warp.py, which has no switch)
# each later improvement off, with all that came after it (the configs "no-..." below)
# background or hair inside the outline left in the source's mask
_NO_EDGES = {"edges": False, "side_hair": "kept", "target_hair": False}
_NO_POSE = {"smoothing": "points", **_NO_EDGES}  # the landmarks smoothed as one filter over every point
_NO_ENLARGE = {"enlarge": False, **_NO_POSE}
_NO_GLASSES = {"glasses": False, **_NO_ENLARGE}
_NO_HAIR = {"hair": False, **_NO_GLASSES}
_NO_TEMPLES = {"temples": False, **_NO_HAIR}
_FIXED = {"forehead": "fixed", **_NO_TEMPLES}
_EARLIER = {"openings": "wide", **_FIXED}  # the mask before
WORST = 8  # pairs listed with the most skin in each of SHARES
# the shares of the target's skin (or eyes) a person sees wrong (bench/realism.py), each a row of
# the table and a list of the worst pairs: Outcome's field, the row's words, the list's
SHARES = (("patchy", "skin in colour patches the target has not", "skin in colour patches"),
          ("harsh", "skin shaded harsher than the target's (creases)",
           "skin shaded harsher than the target's"),
          ("sharp", "skin sharper than the target's (grain, focus)", "skin sharper than the target's"),
          ("off", "skin off the target's colour at its lightness",
           "skin off the target's colour at its lightness"),
          # the source's irises, lids and sockets in colours the target's face shows at no such
          # lightness (in a dim frame, blue irises and red sockets on a face it shows nearly grey)
          ("eyes_off", "eyes and brows off the face's colours",
           "around the eyes off the face's colours at its lightness"))
CONFIGS: dict[str, dict] = {
    "before": {"relight": False, "coverage": False, "shape": 0, "fill_hidden": False, "even_light": False,
               **_EARLIER},
    "coverage": {"relight": False, "shape": 0, "fill_hidden": False, **_EARLIER},
    "relight": {"shape": 0, "fill_hidden": False, **_EARLIER},
    "shape": {"fill_hidden": False, "outline": 0.0, **_EARLIER},
    "mirror": {"outline": 0.0, **_EARLIER},
    "wide": _EARLIER,
    "fixed": _FIXED,  # the forehead, from the brows up, as it was before
    "no-mirror": {"fill_hidden": False},  # everything but the mirrored fill of a turned source
    "mirror-0.7": {"mirror_below": 0.7},  # turned sources mirrored as before: far half under 70%
    "light-only": {"relight_colour": False},  # the relight swaps lightness alone, not broad colour
    "clipped": {"highlights": False},  # highlights brighter than the target's skin added, held at white
    "layout-shape": {"shape_from_front": False},  # a mirrored source's shape read from its symmetric layout
    "quadratic-colour": {"colour_degree": 2},  # the light's colour by quadratic surfaces, as its lightness
    "smooth-colour": {"colour_area": False},  # the light's colour by its smooth surfaces alone
    # the photo's light made even, the frame's side light not put back
    "photo-light-even": {"target_light": False},
    "uneven": {"even_light": False},  # the photo's light as it is, not made even between the face's halves
    # the target's beard counted as skin, and showing through where the mask fades over the chin
    "beard-as-skin": {"beards": False},
    "harsh": {"shading": False},  # the source's fine shading as sharp as its photo shows it
    "light-every-frame": {"hold_light": False},  # the light fitted on every frame, not held between fits
    "sharp": {"grain": False},  # the source's grain and focus as sharp as its photo, on any frame
    # the target's colour over an area as it is, its highlights' near grey on the swap's mid-tones
    "grey-highlights": {"colour_lightness": False},
    # the swap's shadows on the target's light skin given the colour of that light skin, near grey
    "grey-shadows": {"shadow_colour": False},
    "grainy": {"denoise": False},  # a grainy photo's texture kept as it is, its grain with it
    "target-eyes": {"eyes": False},  # the target's own eyes in the openings, whatever the source's
    "source-jaw": {"jaw": False},  # the source's shape read with its mouth as open as its photo's
    "levels-kept": {"levels": False},  # an underexposed or washed-out source left as photographed
    "hands-kept": {"source_hands": False},  # a hand in front of the source's face left in its mask
    # dark glasses over the source's eyes swapped on as skin, the target's eyes cut through them
    "lenses-pasted": {"dark_glasses": "off"},
    "lenses-cut": {"dark_glasses": "cut"},  # ... left out, the target's own eyes showing there
    "upright-kept": {"upright": False},  # a source upside down or on its side read as it came
    # the meshes under the lower lip as FaceMesh reads them, folded over where the crease is hidden
    "folded-lip": {"under_lip": False},
    "own-eye-colour": {"eye_hue": False},  # the source eyes' own colour kept whatever its hue
    "photo-colour": {"skin_colour": False},  # the photo's broad skin colour kept, two lights' patches and all
    # the mouth cut 3% of the face wide along the target's lip line, whatever the photo's mouth shows
    "wide-lip-line": {"lip_seam": False},
    "side-hair-kept": {"side_hair": "kept"},  # hair over a photo's cheeks left in its mask
    "side-hair-cut": {"side_hair": "cut"},  # ... cut from it, the target's own cheek there
    "target-hair-under": {"target_hair": False},  # the target's own hair over its cheeks swapped over
    "no-temples": _NO_TEMPLES,  # everything but the temples, and what came after them
    "no-hair": _NO_HAIR,  # ... but the fringe's cut, and after
    "no-glasses": _NO_GLASSES,  # ... but the target's glasses, and after
    "no-enlarge": _NO_ENLARGE,  # ... but a small source enlarged once at upload, and after
    "no-pose": _NO_POSE,  # ... but the landmarks' pose smoothed apart from their shape, and after
    "no-edges": _NO_EDGES,  # everything but the background and hair cut from inside the outline
    # the photo's mesh read again as the frames' is (a FaceMesh that follows it) wherever it lies
    # in the photo, or never
    "follow-photo": {"follow_photo": "always"},
    "still-photo": {"follow_photo": "off"},
    "shifted": {"exposure": False},  # a photo's lightness and colour shifted to a darker frame's, unscaled
    "no-shadow-edges": {"shadow_edges": False},  # a hard shadow's edge on the target not put on the swap
    "no-photo-shadow": {"photo_shadow": False},  # a hard shadow's edge on the source photo left on it
    # the swap's forehead left as relit where the mask fades out over it, a step to the target's there
    "forehead-step": {"forehead_edge": False},
    "red-eyes-kept": {"red_eyes": False},  # a flash's red pupils on the photo left as they are
    # the shape's fit with the source's depth (`--shape-fit depth`): a turned target's nose on its own
    "shape-depth": {"shape_depth": True},
    # a fold's edge in the warped face (a turned head's nose over its far cheek) left pixel-sharp
    "hard-folds": {"soft_folds": False},
    "after": {},
}


# -- the judge -------------------------------------------------------------------------------
class Judge:
    """dlib's HOG detector, 5-point aligner and ResNet descriptor."""

    def __init__(self) -> None:
        try:
            import dlib
            import face_recognition_models as models
        except ImportError:
            sys.exit("bench.quality needs dlib-bin and face-recognition-models: run `make bench-deps`")
        self.dlib = dlib
        self.detector, self.aligner = _five_points()
        self.net = dlib.face_recognition_model_v1(models.face_recognition_model_location())
        self.marker = None  # the 68-point predictor, loaded when first needed

    def boxes(self, bgr: np.ndarray, upsample: int = 1) -> list[tuple[int, int, int, int]]:
        found = self.detector(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), upsample)
        return [(r.left(), r.top(), r.right(), r.bottom()) for r in found]

    def _nearest(self, bgr: np.ndarray) -> tuple[np.ndarray, object] | None:
        """The RGB image and dlib's rectangle of the face nearest its centre (None if there is none)."""
        boxes = self.boxes(bgr)
        if not boxes:
            return None
        h, w = bgr.shape[:2]
        cx, cy = w / 2, h / 2
        x0, y0, x1, y1 = min(boxes, key=lambda b: np.hypot((b[0] + b[2]) / 2 - cx, (b[1] + b[3]) / 2 - cy))
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self.dlib.rectangle(x0, y0, x1, y1)

    def descriptor(self, bgr: np.ndarray) -> np.ndarray | None:
        """The descriptor of the face nearest the image's centre."""
        if (found := self._nearest(bgr)) is None:
            return None
        rgb, rect = found
        return np.array(self.net.compute_face_descriptor(rgb, self.aligner(rgb, rect)))

    def landmarks(self, bgr: np.ndarray) -> np.ndarray | None:
        """dlib's 68 landmarks (68, 2) of the face nearest the image's centre (bench.realism)."""
        if (found := self._nearest(bgr)) is None:
            return None
        if self.marker is None:
            import face_recognition_models as models

            self.marker = self.dlib.shape_predictor(models.pose_predictor_model_location())
        shape = self.marker(*found)
        return np.array([(p.x, p.y) for p in shape.parts()], np.float32)


# -- the faces -------------------------------------------------------------------------------
def identities(judge: Judge) -> dict[str, tuple[np.ndarray, tuple[int, int, int, int]]]:
    """name -> (photo, face box) for every identity the wheels carry."""
    out = {"astronaut": (astronaut(), judge.boxes(astronaut(), 0)[0])}
    group = t1()
    for i, box in enumerate(sorted(judge.boxes(group, 0))):  # left to right
        out[f"t1-{i + 1}"] = (group, box)
    photo = hanks()
    out["hanks"] = (photo, judge.boxes(photo, 1)[0])
    return out


# Photographs of people in Debian's opencv-doc (its tutorials' pictures), never used to tune the
# engine: a held-out check of what was tuned on the faces above (`--faces held-out`)
HELD_OUT = {  # name -> (file, the part of it that is one photo: x0, y0, x1, y1 as fractions)
    "smile": SMILE,  # a smiling man, teeth showing
    "goatee": GOATEE,  # a man with a goatee, outdoors
    "glasses": GLASSES,  # a man with glasses (the first of three panels)
    "lena": ("blurred.png", (0, 0, 1, 1)),  # a soft photo, the face turned and lit from the side
    "yale": YALE,  # a tight greyscale crop, a fringe over the brows (Yale face database)
}


def held_out(judge: Judge) -> dict[str, tuple[np.ndarray, tuple[int, int, int, int]]]:
    """name -> (photo, face box) for HELD_OUT; empty without Debian's opencv-doc."""
    out = {}
    for name, (file, part) in HELD_OUT.items():
        photo = opencv_doc_photo(file, part)
        if photo is None:
            return {}
        out[name] = (photo, judge.boxes(photo, 1)[0])
    return out


# Photographs of two men in face_recognition's test images (its source package on PyPI; `make
# bench-deps` fetches them), never used to tune the engine (`--faces press`): name -> (the source's
# photo, the gallery's). Obama's source is another photo than his gallery's: speaking, mouth open,
# lit from above, judged against his official portrait, as a user's upload would be judged against
# the person; Biden's face is small in a full-length photo. Biden comes first, so that Obama (the
# darker skin of the two sets) is his first target.
PRESS_FACES = {"biden": ("biden.jpg", "biden.jpg"), "obama": ("obama2.jpg", "obama.jpg")}


def press(judge: Judge) -> tuple[dict[str, tuple[np.ndarray, tuple[int, int, int, int]]],
                                 dict[str, tuple[np.ndarray, tuple[int, int, int, int]]]]:
    """name -> (photo, face box) for PRESS_FACES' sources, and the same for their gallery photos;
    both empty where the photos are not fetched."""
    sources, gallery = {}, {}
    for name, files in PRESS_FACES.items():
        for out, file in zip((sources, gallery), files, strict=True):
            photo = press_photo(file)
            boxes = [] if photo is None else judge.boxes(photo, 1)
            if not boxes:
                return {}, {}
            out[name] = (photo, max(boxes, key=lambda b: b[2] - b[0]))
    return sources, gallery


# Group photographs in two npm packages' demos (`make bench-deps` fetches them with npm), never used
# to tune the engine (`--faces social`): eighteen young women at parties in @vladmandic/face-api's
# six photos (heads tilted and turned, looking down, laughing, make-up, one made up as a clown, hair
# across the face, light from lamps and windows, several skin tones) and three men in tracking.js's
# (one bearded, in glasses), the faces 89-167 px wide once read. name -> (file, the face's centre as
# fractions of the photo's width and height: dlib's box there is the face). The second woman of
# sample3.jpg is left out: she looks like the third of sample1.jpg (s1-3) to my eye, and dlib reads
# the two 0.419 apart, under its same-person line; as two identities each would count the other.
SOCIAL_FACES = {
    "s1-1": ("sample1.jpg", (0.248, 0.392)), "s1-2": ("sample1.jpg", (0.486, 0.439)),
    "s1-3": ("sample1.jpg", (0.809, 0.262)), "s2-1": ("sample2.jpg", (0.803, 0.222)),
    "s3-1": ("sample3.jpg", (0.351, 0.353)), "s3-3": ("sample3.jpg", (0.828, 0.335)),
    "s4-1": ("sample4.jpg", (0.379, 0.146)), "s4-2": ("sample4.jpg", (0.545, 0.209)),
    "s4-3": ("sample4.jpg", (0.690, 0.203)), "s5-1": ("sample5.jpg", (0.248, 0.748)),
    "s5-2": ("sample5.jpg", (0.368, 0.387)), "s5-3": ("sample5.jpg", (0.454, 0.166)),
    "s5-4": ("sample5.jpg", (0.615, 0.240)), "s5-5": ("sample5.jpg", (0.777, 0.394)),
    "s6-1": ("sample6.jpg", (0.196, 0.423)), "s6-2": ("sample6.jpg", (0.390, 0.310)),
    "s6-3": ("sample6.jpg", (0.660, 0.310)), "s6-4": ("sample6.jpg", (0.816, 0.278)),
    "tr-1": ("faces.jpg", (0.150, 0.410)), "tr-2": ("faces.jpg", (0.460, 0.560)),
    "tr-3": ("faces.jpg", (0.830, 0.320)),
}


def social(judge: Judge) -> dict[str, tuple[np.ndarray, tuple[int, int, int, int]]]:
    """name -> (photo, face box) for SOCIAL_FACES; empty where the photos are not fetched."""
    out, photos = {}, {}
    for name, (file, (fx, fy)) in SOCIAL_FACES.items():
        if file not in photos:
            photo = press_photo(file, SOCIAL)
            if photo is None:
                return {}
            photos[file] = (photo, judge.boxes(photo, 1))
        photo, boxes = photos[file]
        x, y = fx * photo.shape[1], fy * photo.shape[0]
        found = [b for b in boxes if b[0] <= x <= b[2] and b[1] <= y <= b[3]]
        if not found:
            sys.exit(f"--faces social: dlib finds no face at {name}'s place in {file}")
        out[name] = (photo, found[0])
    return out


def shadowed(image: np.ndarray, x: float, width: float) -> np.ndarray:
    """`image` in a shadow right of column `x` (0.45 of the light), its edge `width` px wide."""
    ramp = np.clip((np.arange(image.shape[1]) - x) / width + 0.5, 0.0, 1.0)
    light = (1.0 - 0.55 * ramp).astype(np.float32)[None, :, None]
    return np.clip(image * light + 0.5, 0, 255).astype(np.uint8)


def frontal(photo: np.ndarray, box: tuple[int, int, int, int], pad: float = 0.8) -> np.ndarray:
    return crop_face(photo, box, pad)


def source_form(photo: np.ndarray, box: tuple[int, int, int, int], kind: str) -> np.ndarray:
    """The source photo in one of KINDS (or MORE_KINDS)."""
    if kind in ("shadowed", "hard-shadowed"):
        # a light from the photo's left, the face's right half in shadow, its edge down the middle
        # of the face's box (a tenth of its width wide; hard: a fiftieth, a lamp close by or the sun
        # through a window's frame); then cropped as photographed
        x0, _, x1, _ = box
        width = 0.1 if kind == "shadowed" else 0.02
        return source_form(shadowed(photo, (x0 + x1) / 2, width * (x1 - x0)), box, "plain")
    face = frontal(photo, box, 0.8)
    if face.shape[1] < 240:  # small faces are enlarged first, as a user's upload would be sharp
        grow = 240 / face.shape[1]
        face = cv2.resize(face, None, fx=grow, fy=grow, interpolation=cv2.INTER_CUBIC)
    w = face.shape[1]
    if kind == "plain":
        return face
    if kind == "turned":
        return turned(face)  # the face's far half narrowed to half its width, then tilted
    if kind == "side-lit":
        # the astronaut is already lit from the image's left: light every face from there, harder
        light = np.linspace(1.2, 0.45, w, dtype=np.float32)[None, :, None]
        return np.clip(face.astype(np.float32) * light, 0, 255).astype(np.uint8)
    if kind == "tight-grey":
        x0, y0, x1, y1 = box
        bw, bh = x1 - x0, y1 - y0
        # dlib's box may reach past the photo (a negative start would wrap around)
        tight = photo[max(0, y0 + int(0.12 * bh)) : y1 - int(0.08 * bh),
                      max(0, x0 + int(0.02 * bw)) : x1 - int(0.02 * bw)]
        size = (112, round(112 * tight.shape[0] / tight.shape[1]))
        tight = cv2.resize(tight, size, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(cv2.cvtColor(tight, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    if kind == "dark":
        # two stops under: each of B, G and R a quarter of the photo's (an unlit room's snapshot)
        return (face.astype(np.float32) * 0.25 + 0.5).astype(np.uint8)
    if kind == "faded":
        # an old print or a hazy lens: half the contrast, its blacks lifted to 100 of 255
        return (face.astype(np.float32) * 0.5 + 100.5).astype(np.uint8)
    if kind == "bright":
        # one stop over: each of B, G and R twice the photo's, the face's highlights blown out to
        # white (a flash too near, a face in the sun)
        return np.clip(face.astype(np.float32) * 2.0 + 0.5, 0, 255).astype(np.uint8)
    if kind == "upside-down":
        # turned half round, without the EXIF orientation decoding would apply (a scan, an edited copy)
        return cv2.rotate(face, cv2.ROTATE_180)
    if kind == "on-its-side":
        # a portrait photo stored on its side, its EXIF orientation lost (a forwarded copy)
        return cv2.rotate(face, cv2.ROTATE_90_CLOCKWISE)
    if kind == "noisy":
        # a dim room's high-ISO grain: noise of 16 levels on each of B, G and R (the same each run)
        return grainy(face, 16.0)
    if kind == "jpeg":
        # a copy compressed hard (a forwarded picture): JPEG at quality 10
        return recompressed(face, 10)
    if kind == "hand":
        # a hand held up over the mouth and chin (opencv-doc's photo, as the occlusion tests use it)
        return put_over(face, hand_cutout(), 0.25 * w / 271, 90, (0.48 * w, 0.75 * face.shape[0]))[0]
    if kind == "sunglasses":
        # dark glasses drawn over the eyes, where dlib's five points put them
        return sunglasses(face, _eye_centres(face))
    if kind == "small":
        scale = 80 / (box[2] - box[0]) * (w / frontal(photo, box, 0.8).shape[1])
        return cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    raise ValueError(kind)


@cache
def _five_points() -> tuple[object, object]:
    """dlib's HOG face detector and 5-point aligner, loaded once (the judge's, and the eyes the
    `sunglasses` form draws over)."""
    import dlib
    import face_recognition_models as models

    predictor = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
    return dlib.get_frontal_face_detector(), predictor


def _eye_centres(face: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """The centres of the eyes of the largest face dlib finds in `face` (its five points: each eye's
    two corners, then the nose); the engine's own mesh never places what it is judged on."""
    import dlib

    detector, predictor = _five_points()
    rgb = cv2.cvtColor(face, cv2.COLOR_BGR2RGB)
    found = max(detector(rgb, 1), key=lambda r: r.width() * r.height(), default=None)
    if found is None:
        h, w = face.shape[:2]
        found = dlib.rectangle(0, 0, w - 1, h - 1)
    parts = predictor(rgb, found).parts()
    one, other = (((parts[i].x + parts[i + 1].x) / 2, (parts[i].y + parts[i + 1].y) / 2) for i in (0, 2))
    return one, other


class Light(NamedTuple):
    """How a target's frames are lit: each of B, G and R as (v / 255) ** gamma * gain * tint, and
    the sensor's noise in levels (the same noise for every config)."""

    gamma: float
    gain: float
    noise: float
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    shade: float = 0.0  # the frame's right half at 1 - shade of the light (a lamp on the left)
    edge: float = 0.25  # of the frame's width: how wide the shade's edge is (the face is about 0.3)

    def on(self, frame: np.ndarray) -> np.ndarray:
        """`frame` (uint8 BGR) in this light, as float levels, before the sensor's noise."""
        lit = (frame / 255.0) ** self.gamma * self.gain * np.float32(self.tint) * 255
        if self.shade:
            # from full light to the shade across the middle of the frame, where the face sways
            x = (np.arange(frame.shape[1]) - frame.shape[1] / 2) / (self.edge * frame.shape[1])
            lit = lit * (1.0 - self.shade * np.clip(x + 0.5, 0.0, 1.0))[None, :, None]
        return lit


# how the targets' frames are lit (--light): as photographed; a webcam's in a dim room; a room lit by
# a warm lamp (a 3000 K bulb against daylight, in linear light about 0.55 of the blue and 0.8 of the
# green to the red, uncorrected by the camera's white balance); a lamp beside the screen (a soft edge
# across the face); a hard shadow's edge down the face (sun through a window's frame, a lamp close by)
LIGHTS: dict[str, Light | None] = {"as-taken": None, "dim": Light(1.4, 0.3, 6.0),
                                   "warm": Light(1.0, 1.0, 2.0, (0.55 ** (1 / 2.2), 0.8 ** (1 / 2.2), 1.0)),
                                   "side": Light(1.0, 1.0, 2.0, shade=0.6),
                                   "shadow": Light(1.0, 1.0, 2.0, shade=0.6, edge=0.03)}
SHEET_BRIGHTER = 3.0  # a dim light's contact sheets: target and outputs scaled up alike
FRAME = (640, 480)  # the targets' frames (w, h), unless --size says otherwise


@dataclass(frozen=True)
class Scene:
    """How the targets' frames are made: lit as LIGHTS[`light`] says, `size` (w, h)."""
    light: str = "as-taken"
    size: tuple[int, int] = FRAME

    def clip(self, photo: np.ndarray, box: tuple[int, int, int, int], n: int) -> list[np.ndarray]:
        return target_clip(photo, box, n, self.light, self.size)


def target_clip(photo: np.ndarray, box: tuple[int, int, int, int], n: int, light: str = "as-taken",
                size: tuple[int, int] = FRAME) -> list[np.ndarray]:
    """The identity's frontal face moving gently in a frame of `size` (w, h), 35 % of its height,
    lit as LIGHTS[`light`] says."""
    head = frontal(photo, box, 0.8)
    clip = video(head, size, 60, size[1] * 0.35 / (box[2] - box[0]))[:n]  # a tenth of a slow sway
    lighting = LIGHTS[light]
    if lighting is None:
        return clip
    rng = np.random.default_rng(0)
    lit = [lighting.on(f) + rng.normal(0, lighting.noise, f.shape) for f in clip]
    return [np.clip(f, 0, 255).astype(np.uint8) for f in lit]


# -- running ---------------------------------------------------------------------------------
@dataclass
class Outcome:
    source: str
    kind: str
    target: str
    descriptors: list[np.ndarray] = field(default_factory=list)
    swapped: int = 0
    image: np.ndarray | None = None
    # what a person sees wrong, over the judged frames (bench/realism.py)
    stray: int = 0
    white: int = 0
    cut: int = 0
    greyed: list[float] = field(default_factory=list)
    tone: list[float] = field(default_factory=list)
    light: list[float] = field(default_factory=list)  # |realism.light_across|
    level: list[float] = field(default_factory=list)  # realism.level_shift (signed)
    patchy: list[float] = field(default_factory=list)
    harsh: list[float] = field(default_factory=list)
    sharp: list[float] = field(default_factory=list)
    off: list[float] = field(default_factory=list)
    eyes_off: list[float] = field(default_factory=list)


def swap_clips_engine(engine, source_img: np.ndarray, clip: list[np.ndarray]) -> tuple[list[np.ndarray], int]:
    try:
        source = engine.prepare_source(source_img)
    except Exception as exc:  # a source the engine refuses counts as a failed swap, not a crash
        print(f"  source refused: {exc}")
        return list(clip), 0
    stream = engine.open_stream()
    ticks = itertools.count(0.0, 1 / 15)  # frames 1/15 s apart, however fast this machine is
    stream.clock = lambda: next(ticks)
    try:
        results = [stream.swap(frame, [source]) for frame in clip]
    finally:
        stream.close()
    return [r.image for r in results], sum(r.faces_swapped > 0 for r in results)


def swap_clips_server(base: str, source_img: np.ndarray, clip: list[np.ndarray]
                      ) -> tuple[list[np.ndarray], int]:
    from testing.clients import WsUser, upload
    from testing.images import data_url, from_data_url, jpeg

    async def run() -> tuple[list[np.ndarray], int]:
        status, _ = await upload(base, jpeg(source_img))
        if status != 200:
            return list(clip), 0
        user = await WsUser().connect(base)
        out, swapped = [], 0
        try:
            for frame in clip:
                answer = await user.roundtrip(data_url(frame))
                if answer.get("success"):
                    out.append(from_data_url(answer["processed"]))
                    swapped += 1
                else:
                    out.append(frame)
                await asyncio.sleep(1 / 14)  # under the server's --max-fps
        finally:
            await user.close()
        return out, swapped

    return asyncio.run(run())


def flicker(engine, judge_box, clip_frame: np.ndarray, source_img: np.ndarray, n: int = 20) -> float:
    """Mean frame-to-frame change inside the face box of the outputs over that of the inputs, for
    a still target with sensor noise."""
    rng = np.random.default_rng(0)
    frames = [np.clip(clip_frame + rng.normal(0, 3, clip_frame.shape), 0, 255).astype(np.uint8)
              for _ in range(n)]
    outs, _ = swap_clips_engine(engine, source_img, frames)
    x0, y0, x1, y1 = judge_box

    def change(seq: list[np.ndarray]) -> float:
        crops = [s[y0:y1, x0:x1].astype(np.float32) for s in seq[4:]]
        return float(np.mean([np.abs(b - a).mean() for a, b in itertools.pairwise(crops)]))

    return change(outs) / change(frames)


def evaluate(name: str, swap, judge: Judge, ids: dict, kinds: list[str], engine=None,
             sources: list[str] | None = None, scene: Scene = Scene()) -> tuple[list[Outcome], float]:
    """Each of `sources` (all identities without it) in each form onto the next
    TARGETS_PER_SOURCE identities."""
    names = list(ids)
    outcomes = []
    # per target, each judged frame's skin, the face's width and its landmarks
    skins: dict[str, list[tuple[np.ndarray, float, np.ndarray] | None]] = {}
    t = time.perf_counter()
    for src in sources or names:
        si = names.index(src)
        for kind in kinds:
            source_img = source_form(*ids[src], kind)
            for k in range(1, TARGETS_PER_SOURCE + 1):
                tgt = names[(si + k) % len(names)]
                clip = scene.clip(*ids[tgt], CLIP)
                outs, swapped = swap(source_img, clip)
                o = Outcome(src, kind, tgt, swapped=swapped, image=outs[-1])
                if tgt not in skins:
                    skins[tgt] = [None if (m := judge.landmarks(f)) is None
                                  else (*realism.skin(f.shape[:2], m), m) for f in clip[-2:]]
                for img, frame, region in zip(outs[-2:], clip[-2:], skins[tgt], strict=True):
                    d = judge.descriptor(img)
                    if d is not None:
                        o.descriptors.append(d)
                    o.stray += realism.stray_pixels(img, frame)
                    o.white += realism.held_at_white(img, frame)
                    o.cut += realism.straight_cut(img, frame)
                    if region is not None:
                        face, width, marks = region
                        o.greyed.append(realism.greyed_share(img, frame, face, width))
                        upper = realism.upper(face, marks)
                        o.tone.append(realism.tone_shift(img, frame, upper))
                        o.light.append(abs(realism.light_across(img, frame, face, marks)))
                        o.level.append(realism.level_shift(img, frame, upper))
                        o.patchy.append(realism.patchy_share(img, frame, face, width))
                        o.harsh.append(realism.harsh_share(img, frame, face, width))
                        o.sharp.append(realism.sharper_share(img, frame, face, width))
                        o.off.append(realism.off_colour_share(img, frame, face, width))
                        eyes, whole, _ = realism.eyes_and_face(frame.shape[:2], marks)
                        o.eyes_off.append(realism.off_colour_share(img, frame, eyes, width, whole))
                outcomes.append(o)
    print(f"[{name}] {len(outcomes)} pairs in {time.perf_counter() - t:.0f} s")
    flickers = {}
    if engine is not None:
        for src in flicker_sources(ids, names[:FLICKER_TARGETS]):
            ratios = []
            for tgt in names[:FLICKER_TARGETS]:
                still = scene.clip(*ids[tgt], 1)[0]
                # a face dlib does not find (a hard shadow down it) is measured where it finds one
                # with its image enlarged, or left out of the row
                boxes = judge.boxes(still) or judge.boxes(still, 2)
                if boxes:
                    ratios.append(flicker(engine, boxes[0], still, source_form(*ids[src], "plain")))
            flickers[src] = float(np.mean(ratios)) if ratios else float("nan")
    return outcomes, flickers


def flicker_sources(ids: dict, targets: list[str]) -> list[str]:
    """The photos the flicker rows swap on: the last identity (a greyscale photo in both sets, as
    the row has always been measured) and the last in colour that is not a target. A greyscale
    source's colour is the target's, by another path than a colour source's; greyscale as the
    engine judges it (color.is_grey)."""
    def grey(name: str) -> bool:
        photo = ids[name][0]
        return color.is_grey(color.lab_stats(photo, np.full(photo.shape[:2], 255, np.uint8)))

    names = list(ids)
    colour = next((n for n in reversed(names) if n not in targets and not grey(n)), None)
    return [names[-1]] + ([colour] if colour is not None and colour != names[-1] else [])


def self_swaps(swap, judge: Judge, ids: dict, gallery: dict[str, np.ndarray], kind: str = "plain",
               scene: Scene = Scene()) -> dict[str, tuple[float | None, float | None]]:
    """Each identity's photo (in form `kind`) swapped onto its own frames: the distance to itself
    measures what the engine loses of a face on its own. Per identity, the distance of the
    unswapped frame and of the swapped one (None where dlib finds no face)."""
    out = {}
    for name in ids:
        clip = scene.clip(*ids[name], CLIP)
        outs, _ = swap(source_form(*ids[name], kind), clip)
        dists = [judge.descriptor(img) for img in (clip[-1], outs[-1])]
        out[name] = tuple(None if d is None else float(np.linalg.norm(d - gallery[name])) for d in dists)
    return out


def source_distances(judge: Judge, ids: dict, kind: str, gallery: dict[str, np.ndarray]
                     ) -> list[float | None]:
    """Each identity's source photo in form `kind`, judged itself (small photos enlarged 2x so the
    detector can find them): None where dlib finds no face. A simulated turn or a tight crop
    changes what dlib reads before any swap."""
    out = []
    for name in ids:
        img = source_form(*ids[name], kind)
        if img.shape[1] < 200:
            img = cv2.resize(img, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        d = judge.descriptor(img)
        out.append(None if d is None else float(np.linalg.norm(d - gallery[name])))
    return out


def self_swap_mean(selves: dict[str, tuple[float | None, float | None]]) -> float:
    """Mean over the identities dlib reads in the unswapped frame; 1.0 where the swap lost the face."""
    judged = [1.0 if swapped is None else swapped for frame, swapped in selves.values() if frame is not None]
    return float(np.mean(judged)) if judged else float("nan")


def figures(outcomes: list[Outcome], gallery: dict[str, np.ndarray]) -> dict[str, float]:
    names = list(gallery)
    retrieved = nearer = total = 0
    dists = []
    for o in outcomes:
        for d in o.descriptors:
            total += 1
            dist = {n: float(np.linalg.norm(d - gallery[n])) for n in names}
            retrieved += min(dist, key=dist.get) == o.source
            nearer += dist[o.source] < dist[o.target]
            dists.append(dist[o.source])
        missing = 2 - len(o.descriptors)  # no face found in the output: a failure on every count
        total += missing
        dists += [1.0] * missing
    frames = sum(o.swapped for o in outcomes) / max(1, CLIP * len(outcomes))
    return {"retrieval": retrieved / total, "nearer": nearer / total, "distance": float(np.mean(dists)),
            "judged": total, "swapped": frames}


def furthest(outcomes: list[Outcome], key: str) -> list[tuple[Outcome, float]]:
    """Each pair's mean of its judged frames' `key` figures (those measured), furthest from 0 first."""
    measured = [(o, float(np.mean(found))) for o in outcomes
                if (found := [v for v in getattr(o, key) if np.isfinite(v)])]
    return sorted(measured, key=lambda pair: -abs(pair[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="before,after",
                    help=f"engine settings to compare: {', '.join(CONFIGS)}")
    ap.add_argument("--server", action="store_true", help="through a real server (/upload_source, /ws)")
    ap.add_argument("--light", choices=tuple(LIGHTS), default="as-taken",
                    help="the targets' frames as photographed, a webcam's in a dim room (dark, noisy), or "
                         "under a warm lamp")
    ap.add_argument("--size", default="x".join(map(str, FRAME)),
                    help="the targets' frames, WxH (the face 35%% of the height; e.g. 1280x720)")
    ap.add_argument("--kinds", default=",".join(KINDS),
                    help=f"source forms to use (a subset is quicker; also {', '.join(MORE_KINDS)})")
    ap.add_argument("--faces", choices=("wheels", "held-out", "press", "social"), default="wheels",
                    help="sources: the faces the wheels carry, or opencv-doc's photographs, or "
                         "face_recognition's, or the npm demos' group photos (make bench-deps), which "
                         "the engine was never tuned on (their targets and gallery include the wheels' "
                         "faces)")
    ap.add_argument("--sources", default=None,
                    help="only these of the set's sources, comma-separated names as the table prints them "
                         "(their targets as in a whole run)")
    args = ap.parse_args()
    kinds = args.kinds.split(",")
    scene = Scene(args.light, frame_size(args.size, ap))
    if unknown := set(kinds) - set(KINDS) - set(MORE_KINDS):
        ap.error(f"unknown source forms {sorted(unknown)}; choose from {', '.join(KINDS + MORE_KINDS)}")
    from models.mesh_engine import MeshEngine

    judge = Judge()
    ids = identities(judge)
    sources = list(ids)
    pictured = dict(ids)  # the photos the gallery holds: the sources' own but for press's Obama
    if args.faces != "wheels":
        # each other set's sources, the photos its gallery holds, and what is missing when it is empty
        load, missing = {
            "held-out": (lambda: (held_out(judge),) * 2, f"Debian's opencv-doc ({OPENCV_DOC})"),
            "press": (lambda: press(judge),
                      f"face_recognition's photographs in {PRESS}: run make bench-deps"),
            "social": (lambda: (social(judge),) * 2,
                       f"the npm demos' group photos in {SOCIAL}: run make bench-deps (it needs npm)"),
        }[args.faces]
        extra, pictured_extra = load()
        if not extra:
            sys.exit(f"--faces {args.faces} needs {missing}")
        ids |= extra
        pictured |= pictured_extra
        sources = list(extra)
    try:
        sources = chosen(sources, args.sources)
    except ValueError as exc:
        ap.error(str(exc))
    own = {n: ids[n] for n in sources}
    gallery = {n: judge.descriptor(frontal(*pictured[n], 0.8)) for n in ids}
    print(f"{len(ids)} identities: {', '.join(ids)}; sources {', '.join(sources)}; {len(kinds)} source "
          f"forms; {TARGETS_PER_SOURCE} targets each; {CLIP} frames a clip, 2 judged")
    results, selves = {}, {}
    configs = args.configs.split(",")
    last = configs[-1]
    for config in configs:
        engine = MeshEngine(**CONFIGS[config])
        if args.server:
            swap = server_swapper(engine)
        else:
            def swap(img, clip, engine=engine):
                return swap_clips_engine(engine, img, clip)
        outcomes, flick = evaluate(config, swap, judge, ids, kinds, engine, sources, scene)
        results[config] = (outcomes, flick)
        selves[config] = self_swaps(swap, judge, own, gallery, scene=scene)
        if config == last:  # every form onto its own frames; the plain one is done above
            forms = {k: selves[config] if k == "plain"
                     else self_swaps(swap, judge, own, gallery, k, scene) for k in kinds}
            by_form = {k: self_swap_mean(v) for k, v in forms.items()}
        engine.close()

    width = max(13, *(len(c) + 2 for c in results))  # columns as wide as the longest config name
    print(f"\n{'figure':<58}" + "".join(f"{c:>{width}}" for c in results))
    rows = [("outputs whose nearest identity is the source (retrieval)", "retrieval", "{:.0%}"),
            ("outputs nearer the source than the target", "nearer", "{:.0%}"),
            ("mean descriptor distance to the source", "distance", "{:.3f}"),
            ("frames in which the engine swapped a face", "swapped", "{:.0%}")]
    figs = {c: figures(o, gallery) for c, (o, _) in results.items()}
    for label, key, fmt in rows:
        print(f"{label:<58}" + "".join(f"{fmt.format(figs[c][key]):>{width}}" for c in results))
    flickered = list(results[last][1])
    for k, src in enumerate(flickered):
        label = ("flicker: output frame-to-frame change over the input" if k == 0
                 else f"flicker with a colour source ({src})")
        cells = [results[c][1].get(src, float("nan")) for c in results]
        print(f"{label:<58}" + "".join(f"{v:>{width}.2f}" for v in cells))
    print(f"{'self-swap: a photo onto its own frames, mean distance':<58}"
          + "".join(f"{self_swap_mean(selves[c]):>{width}.3f}" for c in results))
    print("\nwhat a person sees wrong, in the judged frames (bench/realism.py; skin by dlib's 68 landmarks)")
    print(f"{'stray pixels (far from their 3 x 3 median), all pairs':<58}"
          + "".join(f"{sum(o.stray for o in results[c][0]):>{width}}" for c in results))
    print(f"{'pixels held at white where the target is not, all pairs':<58}"
          + "".join(f"{sum(o.white for o in results[c][0]):>{width}}" for c in results))
    print(f"{'swap cut off along a straight line (px, longest), all pairs':<58}"
          + "".join(f"{sum(o.cut for o in results[c][0]):>{width}}" for c in results))
    greyed = {c: [g for o in results[c][0] for g in o.greyed] for c in results}
    print(f"{'skin greyed to under half the target colour, mean share':<58}"
          + "".join(f"{np.mean(greyed[c]) if greyed[c] else float('nan'):>{width}.2%}" for c in results))
    tones = {c: [v for o in results[c][0] for v in o.tone if np.isfinite(v)] for c in results}
    print(f"{'skin tone off the target (a/b of the upper face), mean':<58}"
          + "".join(f"{np.mean(tones[c]) if tones[c] else float('nan'):>{width}.2f}" for c in results))
    levels = {c: np.array([v for o in results[c][0] for v in o.level if np.isfinite(v)]) for c in results}
    nan = float("nan")
    print(f"{'skin lightness off the target (L* of the upper face), mean':<58}"
          + "".join(f"{np.abs(levels[c]).mean() if levels[c].size else nan:>{width}.2f}" for c in results))
    print(f"{'skin lighter than the target (the same, signed), mean':<58}"
          + "".join(f"{levels[c].mean() if levels[c].size else nan:>{width}.2f}" for c in results))
    lights = {c: [v for o in results[c][0] for v in o.light if np.isfinite(v)] for c in results}
    print(f"{'light across the face off the target (L* step), mean':<58}"
          + "".join(f"{np.mean(lights[c]) if lights[c] else float('nan'):>{width}.2f}" for c in results))
    for key, row, _ in SHARES:
        shares = {c: [v for o in results[c][0] for v in getattr(o, key) if np.isfinite(v)] for c in results}
        print(f"{row + ', mean share':<58}"
              + "".join(f"{np.mean(shares[c]) if shares[c] else float('nan'):>{width}.2%}" for c in results))
    print(f"\nretrieval by source form (of {TARGETS_PER_SOURCE * 2 * len(sources)} outputs each)")
    print(f"{'form':<14}" + "".join(f"{c:>{width}}" for c in results))
    for kind in kinds:
        cells = [figures([o for o in results[c][0] if o.kind == kind], gallery)["retrieval"] for c in results]
        print(f"{kind:<14}" + "".join(f"{v:>{width}.0%}" for v in cells))
    print("\nmean descriptor distance to the source by source form")
    print(f"{'form':<14}" + "".join(f"{c:>{width}}" for c in results))
    for kind in kinds:
        cells = [figures([o for o in results[c][0] if o.kind == kind], gallery)["distance"] for c in results]
        print(f"{kind:<14}" + "".join(f"{v:>{width}.3f}" for v in cells))
    print("\nthe source photos themselves, as dlib reads them (what a swap can carry at best):")
    for kind in kinds:
        dists = source_distances(judge, own, kind, gallery)
        read = [d for d in dists if d is not None]
        mean = f"mean distance to their identity {np.mean(read):.3f}" if read else "none read"
        print(f"  {kind:<12} {len(read)} of {len(dists)} read; {mean}; swapped onto its own frames "
              f"({last}) {by_form[kind]:.3f}")
    print(f"\nper source ({last}): the forms where fewer than half the outputs are retrieved")
    for src in sources:
        mine = [o for o in results[last][0] if o.source == src]
        weak = [k for k in kinds if figures([o for o in mine if o.kind == k], gallery)["retrieval"] < 0.5]
        print(f"  {src:<10} {', '.join(weak) or '-'}")
    print(f"\npairs not retrieved in both judged frames ({last}): source, form -> target, retrieved, dist.")
    for o in results[last][0]:
        got = figures([o], gallery)
        if got["retrieval"] < 1:
            pair = f"{o.source:<10} {o.kind:<11} -> {o.target:<10}"
            print(f"  {pair} {got['retrieval']:>4.0%}  {got['distance']:.3f}")
    for key, _, listed in SHARES:
        print(f"\nthe pairs with most {listed} ({last}): source, form -> target, mean share")
        worst = sorted((o for o in results[last][0] if getattr(o, key)),
                       key=lambda o: -float(np.mean(getattr(o, key))))
        for o in worst[:WORST]:
            print(f"  {o.source:<10} {o.kind:<11} -> {o.target:<10} {np.mean(getattr(o, key)):>6.1%}")
    furthest_rows = (("level", "skin is furthest from the target's lightness", "L* (negative: darker)"),
                     ("light", "light across the face is furthest from the target's", "L* step"))
    for key, what, unit in furthest_rows:
        print(f"\nthe pairs whose {what} ({last}): source, form -> target, {unit}")
        for o, value in furthest(results[last][0], key)[:WORST]:
            print(f"  {o.source:<10} {o.kind:<11} -> {o.target:<10} {value:>6.1f}")
    print(f"\nthe pairs cut off along the longest straight line ({last}): source, form -> target, px")
    for o in sorted((o for o in results[last][0] if o.cut), key=lambda o: -o.cut)[:WORST]:
        print(f"  {o.source:<10} {o.kind:<11} -> {o.target:<10} {o.cut:>6}")
    first = next(iter(results))
    if first != last:
        changed(results[first][0], results[last][0], first, last, gallery)
    print(f"\nself-swap distance by identity ({last}): the unswapped frame, the swapped one")
    for name, dists in selves[last].items():
        print(f"  {name:<10} " + "  ".join("no face" if d is None else f"{d:.3f}  " for d in dists))
    # stray pixels by target as well: the held-out table's count was four fifths one target's
    # (a glasses wearer's rims, models/glasses.py), which the total did not say
    print(f"\nby target ({last}): frames swapped; stray pixels, pixels held at white, straight cuts over"
          " its pairs")
    for tgt in dict.fromkeys(o.target for o in results[last][0]):
        mine = [o for o in results[last][0] if o.target == tgt]
        share = figures(mine, gallery)["swapped"]
        counts = (sum(o.stray for o in mine), sum(o.white for o in mine), sum(o.cut for o in mine))
        print(f"  {tgt:<10} {share:>5.0%}" + "".join(f" {n:>7}" for n in counts))
    name = "quality" if args.faces == "wheels" else f"quality-{args.faces}"
    name += "" if args.light == "as-taken" else f"-{args.light}"
    name += "" if scene.size == FRAME else f"-{scene.size[0]}x{scene.size[1]}"
    name += "" if args.sources is None else "-" + "-".join(sources)  # not over a whole run's sheets
    sheet(results, ids, kinds, sources[0], f"{name}.png", scene)
    if "plain" in kinds:
        sources_sheet(results, ids, sources, f"{name}-sources.png", scene)
        engine = MeshEngine(**CONFIGS[last])
        try:
            rows = [texture_row(engine, source_form(*ids[src], "plain"), src) for src in sources]
        finally:
            engine.close()
        save_sheet(padded(rows), f"{name}-textures.png",
                   f"what {last} made of each photo: photo, texture, under its mask, the photo's own "
                   "beside a mirrored one")


def chosen(sources: list[str], names: str | None) -> list[str]:
    """`sources` limited to the comma-separated `names` (all of them for None), in `sources`'
    order. ValueError naming those that are not among them."""
    if names is None:
        return sources
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    if not wanted:
        raise ValueError("--sources names none")
    if unknown := [n for n in wanted if n not in sources]:
        raise ValueError(f"--sources: no such source {', '.join(unknown)}; "
                         f"this set's are {', '.join(sources)}")
    return [n for n in sources if n in wanted]


def changed(before: list[Outcome], after: list[Outcome], first: str, last: str,
            gallery: dict[str, np.ndarray], by: float = 0.05) -> None:
    """The pairs whose outcome differs between two configurations: retrieved or nearer in a
    different number of judged frames, or a distance `by` or more apart."""
    print(f"\npairs that changed from {first} to {last}: retrieved, nearer, distance")
    for a, b in zip(before, after, strict=True):
        fa, fb = figures([a], gallery), figures([b], gallery)
        if (fa["retrieval"], fa["nearer"]) != (fb["retrieval"], fb["nearer"]) or \
                abs(fa["distance"] - fb["distance"]) >= by:
            print(f"  {a.source:<10} {a.kind:<11} -> {a.target:<10} "
                  f"{fa['retrieval']:>4.0%} {fa['nearer']:>4.0%} {fa['distance']:.3f}  ->  "
                  f"{fb['retrieval']:>4.0%} {fb['nearer']:>4.0%} {fb['distance']:.3f}")


def server_swapper(engine):
    """A real server on a free port, in a thread, serving `engine`; frames through /ws."""
    import socket
    import threading

    from aiohttp import web

    from app import create_app
    from settings import Settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ready = threading.Event()

    def serve() -> None:
        loop = asyncio.new_event_loop()
        runner = web.AppRunner(create_app(Settings(port=port, db=":memory:"), engine=engine))
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    ready.wait(30)
    base = f"http://127.0.0.1:{port}"
    return lambda img, clip: swap_clips_server(base, img, clip)


def sheet(results: dict, ids: dict, kinds: list[str], src: str, name: str, scene: Scene) -> None:
    """One row per source form (`src` onto the next identity): target, then each config."""
    rows = [sheet_row(results, ids, src, kind, kind, scene) for kind in kinds]
    save_sheet(rows, name, f"source, target, {', '.join(results)}{brightened(scene.light)}")


def sources_sheet(results: dict, ids: dict, sources: list[str], name: str, scene: Scene) -> None:
    """One row per source, as photographed, onto its first target: target, then each config.
    Where `sheet` shows one person in every form, this shows every person once (a flash-lit face, a
    profile, a hat brim: what the forms of one photo do not)."""
    rows = [sheet_row(results, ids, src, "plain", src, scene) for src in sources]
    save_sheet(rows, name,
               f"each source as photographed: source, target, {', '.join(results)}{brightened(scene.light)}")


def texture_row(engine, photo: np.ndarray, label: str) -> np.ndarray:
    """`photo` beside what `engine` made of it at upload: the texture frames are drawn from, that
    texture under its mask (grey where the mask leaves the target's own face), and for a turned
    photo whose far half is mirrored, the photo's own texture under its mask too. Where hair, a
    hand or the background went into the mask, or a mirror copied it across, shows here."""
    try:
        made = engine.prepare_source(photo).data
    except Exception as exc:  # a photo the engine refuses is said so, in place of its textures
        return thumbnail(photo, f"{label}: {exc}")
    tiles = [thumbnail(photo, label), thumbnail(made.bgr, "texture"), thumbnail(masked(made), "mask")]
    if made.own is not None:
        tiles.append(thumbnail(masked(made.own), "own, mask"))
    return np.hstack(tiles)


def masked(made) -> np.ndarray:
    """A texture (models.mesh_engine.MeshSource) over grey by its mask."""
    alpha = made.alpha.astype(np.float32)[:, :, None] * (1.0 / 255.0)
    return (made.bgr * alpha + 128.0 * (1.0 - alpha) + 0.5).astype(np.uint8)


def padded(rows: list[np.ndarray]) -> list[np.ndarray]:
    """`rows` made as wide as the widest, in grey on the right."""
    width = max(r.shape[1] for r in rows)
    return [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=128) for r in rows]


def brightened(light: str) -> str:
    return "" if not dark(light) else f"; frames brightened {SHEET_BRIGHTER:g} times"


def dark(light: str) -> bool:
    """Whether `light`'s frames are too dark for a person to see on a contact sheet as they are."""
    return LIGHTS[light] is not None and LIGHTS[light].gain < 0.5


def sheet_row(results: dict, ids: dict, src: str, kind: str, label: str, scene: Scene) -> np.ndarray:
    """`src` in form `kind` (labelled `label`), its first target's last frame, and each config's
    output of that pair."""
    picks = [next(o for o in results[c][0] if o.source == src and o.kind == kind) for c in results]
    frames = [scene.clip(*ids[picks[0].target], CLIP)[-1]] + [p.image for p in picks]
    if dark(scene.light):  # a dim frame brightened, so that a person can see what it holds
        frames = [cv2.convertScaleAbs(f, alpha=SHEET_BRIGHTER) for f in frames]
    return np.hstack([thumbnail(source_form(*ids[src], kind), label)] + [middle(f) for f in frames])


def middle(frame: np.ndarray) -> np.ndarray:
    """The square across the middle of `frame`, where the face sways, at 480 x 480 (a 640x480
    frame's columns 80-560 as they are)."""
    h, w = frame.shape[:2]
    x = max(0, (w - h) // 2)
    square = frame[:, x : x + h]
    return square if h == 480 else cv2.resize(square, (480, 480), interpolation=cv2.INTER_AREA)


def thumbnail(image: np.ndarray, label: str) -> np.ndarray:
    """`image` fitted into 300 px on a grey 360 x 480 tile, `label` written below it."""
    tile = np.full((480, 360, 3), 128, np.uint8)
    s = 300 / max(image.shape[:2])
    small = cv2.resize(image, None, fx=s, fy=s)
    tile[:small.shape[0], :small.shape[1]] = small
    cv2.putText(tile, label, (10, 460), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2)
    return tile


def save_sheet(rows: list[np.ndarray], name: str, what: str) -> None:
    """The rows, stacked and halved, as test-artifacts/`name`."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    cv2.imwrite(str(path), cv2.resize(np.vstack(rows), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA))
    print(f"\ncontact sheet ({what}): {path}")


if __name__ == "__main__":
    main()
