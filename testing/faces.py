"""Real face photos that ship inside installed wheels (and a few in Debian's opencv-doc), and
synthetic camera video made from them."""

from __future__ import annotations

import os

import cv2
import numpy as np

_INSIGHTFACE_DATA = os.path.join("insightface", "data", "images", "t1.jpg")

# Debian's opencv-doc (.ci/run installs it): photographs in its tutorials
OPENCV_DOC = "/usr/share/doc/opencv-doc/opencv4/html"
# ... and in its samples (opencv_doc_photo takes a path there whole)
OPENCV_DATA = "/usr/share/doc/opencv-doc/examples/data"
SMILE = ("227943776_1.jpg", (0, 0, 1, 1))  # a smiling man, teeth showing, his head a little turned
GOATEE = ("230501201_1.jpg", (0, 0, 1, 1))  # a man with a goatee, outdoors
# a woman's face from the Yale face database (the first of its LBP tutorial's pictures): a tight
# greyscale crop, her fringe down over her brows
YALE = ("lbp_yale.jpg", (0, 0, 0.25, 0.5))
# a man with thin metal-rimmed glasses (the first of three panels), and his lower rims in it (x0,
# y0, x1, y1): the left lens' and the right lens' (found by the darkest row per column)
GLASSES = ("example.jpg", (0, 0, 1 / 3, 1))
GLASSES_LOWER_RIMS = ((60, 315, 125, 340), (250, 325, 315, 345))
# and its top rims (just under the brows: the darkest pixel of each column is the rim) and inner
# rims (beside the nose: the darkest of each row), (x0, y0, x1, y1) in the photo
GLASSES_TOP_RIMS = ((70, 255, 120, 268), (232, 256, 305, 270))
GLASSES_INNER_RIMS = ((158, 285, 176, 312), (205, 285, 226, 318))
# between the lenses: the bridge's dark top edge, and under it the crease of his nose (skin)
GLASSES_BRIDGE = (180, 271, 204, 280)
GLASSES_NOSE_CREASE = (180, 285, 204, 297)
# the arm of his right nose pad, a thin dark line beside the nose just inside the lens' inner rim
# (the darkest pixel of each row)
GLASSES_PAD_ARM = (204, 288, 213, 306)

# `make bench-deps` fetches these: photographs of two men in face_recognition's test images (its
# source package on PyPI), for bench.quality's --faces press
PRESS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache", "press")
PRESS_SIDE = 1200  # px: the photos' longest side once read (obama3.jpg is 2333 px tall)
# ... and group photographs from two npm packages' demos, for bench.quality's --faces social (read
# at most PRESS_SIDE long too: @vladmandic/face-api's are 1920 px wide)
SOCIAL = os.path.join(os.path.dirname(PRESS), "social")

ASTRONAUT_BOX = (174, 68, 278, 172)  # her face in skimage.data.astronaut()
# Three faces of t1.jpg (1280x886) that mediapipe's full-range detector finds, as (x1, y1, x2, y2).
T1_FACE_BOXES = {"left": (63, 290, 161, 388), "centre": (457, 293, 572, 409), "right": (728, 364, 836, 472)}
# The boxes dlib gives the people of t1.jpg (bench.quality's t1-1 to t1-6), the astronaut and the
# soft photo of a woman in a hat (opencv-doc's blurred.png): bench.quality frames its sources by them
T1_DLIB_BOXES = {"first": (65, 284, 169, 388), "second": (275, 179, 362, 266),
                 "centre": (452, 300, 577, 424), "right": (734, 365, 837, 469), "turned": (883, 89, 987, 192),
                 "flash-lit": (1114, 284, 1217, 388)}
ASTRONAUT_DLIB_BOX = (179, 83, 266, 170)
LENA_DLIB_BOX = (218, 236, 373, 391)


def t1_path() -> str:
    """insightface's t1.jpg (six people), found without importing insightface (slow to import)."""
    import importlib.util

    spec = importlib.util.find_spec("insightface")
    assert spec is not None and spec.submodule_search_locations, "insightface is not installed"
    return os.path.join(os.path.dirname(next(iter(spec.submodule_search_locations))), _INSIGHTFACE_DATA)


def astronaut() -> np.ndarray:
    """skimage's astronaut, BGR 512x512, one frontal face."""
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def t1() -> np.ndarray:
    """insightface's t1.jpg, BGR 1280x886, six people."""
    img = cv2.imread(t1_path())
    assert img is not None, t1_path()
    return img


def hanks() -> np.ndarray:
    """insightface's Tom_Hanks_54745.png beside t1.jpg: BGR 112x112, a greyscale close-up, the
    face filling it."""
    path = os.path.join(os.path.dirname(t1_path()), "Tom_Hanks_54745.png")
    img = cv2.imread(path)
    assert img is not None, path
    return img


def grace_hopper() -> np.ndarray:
    """matplotlib's sample photo of Grace Hopper, BGR 512x600: thick plastic-framed glasses."""
    import matplotlib

    path = os.path.join(matplotlib.get_data_path(), "sample_data", "grace_hopper.jpg")
    img = cv2.imread(path)
    assert img is not None, path
    return img


def opencv_doc_photo(name: str, part: tuple[float, float, float, float] = (0, 0, 1, 1)) -> np.ndarray | None:
    """A photograph of Debian's opencv-doc (BGR), or the `part` of it that is one photo (x0, y0,
    x1, y1 as fractions); None where opencv-doc is not installed."""
    photo = cv2.imread(name if os.path.isabs(name) else os.path.join(OPENCV_DOC, name))
    if photo is None:
        return None
    h, w = photo.shape[:2]
    x0, y0, x1, y1 = part
    return np.ascontiguousarray(photo[round(y0 * h) : round(y1 * h), round(x0 * w) : round(x1 * w)])


def press_photo(name: str, folder: str = PRESS) -> np.ndarray | None:
    """One of face_recognition's test photographs (BGR), or of the photos in `folder`, its longest
    side at most PRESS_SIDE; None where `make bench-deps` has not fetched them."""
    photo = cv2.imread(os.path.join(folder, name))
    if photo is None:
        return None
    scale = PRESS_SIDE / max(photo.shape[:2])
    return photo if scale >= 1 else cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def crop_face(image: np.ndarray, box: tuple[int, int, int, int], pad: float = 1.2) -> np.ndarray:
    """The face in `box` with `pad` face-widths of room on each side."""
    x1, y1, x2, y2 = box
    cx, cy, side = (x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, y2 - y1) * (1 + 2 * pad)
    h, w = image.shape[:2]
    a, b = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
    return image[b : min(h, int(cy + side / 2)), a : min(w, int(cx + side / 2))].copy()


def place(image: np.ndarray, size: tuple[int, int], scale: float = 1.0, angle: float = 0.0,
          centre: tuple[float, float] | None = None) -> np.ndarray:
    """`image` rotated by `angle` degrees and scaled, centred in a grey frame of `size` (w, h)."""
    w, h = size
    ih, iw = image.shape[:2]
    cx, cy = centre if centre is not None else (w / 2, h / 2)
    m = cv2.getRotationMatrix2D((iw / 2, ih / 2), angle, scale)
    m[0, 2] += cx - iw / 2
    m[1, 2] += cy - ih / 2
    return cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=(128, 128, 128))


def camera_frame(size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """A webcam-like frame: the man from the centre of t1.jpg, filling a good part of the picture."""
    return place(crop_face(t1(), T1_FACE_BOXES["centre"]), size, 1.6 * size[1] / 480)


def faces() -> dict[str, np.ndarray]:
    """The sources and targets the benchmarks use."""
    return {
        "astronaut": astronaut(),
        "t1-centre": crop_face(t1(), T1_FACE_BOXES["centre"], pad=0.5),  # tight: no neighbour in view
    }


def video(target: np.ndarray, size: tuple[int, int], n: int, base_scale: float) -> list[np.ndarray]:
    """`n` frames of `target` moving, turning and scaling gently, as a face in front of a webcam."""
    w, h = size
    frames = []
    for i in range(n):
        phase = i / n * 2 * np.pi
        centre = (w / 2 + 0.08 * w * np.sin(phase), h / 2 + 0.04 * h * np.cos(phase))
        scale = base_scale * (1 + 0.1 * np.sin(2 * phase))
        frames.append(place(target, size, scale, 8 * np.sin(phase), centre))
    return frames


def turned(image: np.ndarray, far: float = 0.5, tilt: float = 15.0) -> np.ndarray:
    """A three-quarter view, simulated from a frontal face centred in `image`: the image's right
    half (the face's far side) is narrowed to `far` of its width, as a head turned away shows it,
    then the head tilts by `tilt` degrees."""
    h, w = image.shape[:2]
    c = w / 2
    xs = np.arange(w, dtype=np.float32)
    # where each output column samples: the left half as it is, the right half stretched back
    source_x = np.where(xs <= c, xs, c + (xs - c) / far)
    map_x = np.repeat(source_x[None, :], h, axis=0)
    map_y = np.repeat(np.arange(h, dtype=np.float32)[:, None], w, axis=1)
    narrowed = cv2.remap(image, map_x, map_y, cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    return place(narrowed, (w, h), 1.0, tilt, (w / 2, h / 2))
