"""What stands in front of a face, so the swap leaves it there (occlusion), offline.

`hands`: mediapipe 0.10.21's hand models (palm detection, 21 landmarks), inside the wheel. A hand
becomes a filled shape (the palm's hull and a thick stroke per finger, slightly dilated and
feathered) that is taken out of the face's blend mask. The cost is paid when it can matter: with no
hand near a face the palm detector runs on every `CHECK_EVERY`-th frame only; while a hand is near
a face, the landmark model follows it every frame. Landmarks are smoothed like the face's (One-Euro),
so the shape's edge does not flicker. One hand per stream by default: mediapipe runs its palm
detector on every frame while it tracks fewer hands than it may (13 ms a frame instead of 5).

A stream may start a frame's look for hands before it reads the frame's faces (`Occlusion.look`):
where the process has a second core, the hand models then run on the occluder's own thread while
the face's landmarks are read on the caller's (models/beside.py), and `update` takes what they
found. The palm detector costs about 9 ms a look on this project's machine, so a frame it ran on
was that much dearer than the frames around it.

`auto`: hands, and anything else that covers a face the stream has seen uncovered
(models/colour_occlusion.py).

What `hands` misses, by construction: objects that are not hands (a cup, a microphone, hair), a
second hand, a hand the palm detector cannot see (mostly out of the frame, seen edge-on), and for up
to `CHECK_EVERY - 1` frames a hand that has just come near.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import cv2
import mediapipe as mp
import numpy as np

from models import mediapipe_patch, orientation
from models.beside import Beside
from models.colour_occlusion import ObjectOccluder
from models.engine import Box, PixelBox
from models.mask import disc
from models.smoothing import OneEuroFilter

mediapipe_patch.install()  # the hand graphs too: outputs made cheaply, on the caller's thread

MODES = ("off", "hands", "auto")
# what the hand models load, inside mediapipe's wheel (model complexity 0)
HAND_MODEL_FILES = ("modules/palm_detection/palm_detection_lite.tflite",
                    "modules/hand_landmark/hand_landmark_lite.tflite")
PALM = (0, 1, 2, 5, 9, 13, 17)
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
CHECK_EVERY = 5  # frames between two palm detections while no hand is near a face
NEAR = 0.5  # a hand counts when its box comes within this many face widths of the face's box
INPUT_WIDTH = 640  # larger frames are scaled down for the hand models, whose own inputs are 192-224 px


class HandSchedule:
    """When to run the hand models (pure): every frame while a hand is near a face, else every `every`."""

    def __init__(self, every: int = CHECK_EVERY) -> None:
        self.every = max(1, every)
        self._since = self.every  # the first frame is checked

    def due(self, tracking: bool) -> bool:
        if tracking or self._since + 1 >= self.every:
            self._since = 0
            return True
        self._since += 1
        return False


def hand_size(points: np.ndarray) -> float:
    """A hand's size in pixels: its palm's width or length, whichever the view shows larger."""
    width = float(np.linalg.norm(points[5] - points[17]))
    length = float(np.linalg.norm(points[0] - points[9]))
    return max(width, 0.8 * length, 1.0)


def draw_hand(mask: np.ndarray, points: np.ndarray, origin: tuple[int, int]) -> None:
    """Fill the hand's shape into `mask` (uint8, 255 = hand); `points` in frame pixels, `mask`'s
    top-left corner at `origin`."""
    size = hand_size(points)
    local = points - np.asarray(origin, np.float32)
    thickness = max(3, round(0.2 * size))
    fixed = np.round(local * 16).astype(np.int32)  # 4 fractional bits: sub-pixel shapes, no jumping edges
    cv2.fillConvexPoly(mask, cv2.convexHull(fixed[list(PALM)]), 255, cv2.LINE_AA, shift=4)
    for chain in FINGERS:
        line = fixed[list(chain)]
        cv2.polylines(mask, [line], False, 255, thickness, cv2.LINE_AA, shift=4)
        # the tip landmark sits inside the fingertip: round the stroke off a little beyond it
        tip, before = local[chain[-1]], local[chain[-2]]
        direction = (tip - before) / max(float(np.linalg.norm(tip - before)), 1e-3)
        end = np.round((tip + direction * 0.08 * size) * 16).astype(np.int32)
        cv2.line(mask, tuple(int(v) for v in fixed[chain[-1]]), tuple(int(v) for v in end), 255, thickness,
                 cv2.LINE_AA, shift=4)
        cv2.circle(mask, tuple(int(v) for v in end), int(thickness * 8), 255, -1, cv2.LINE_AA, shift=4)


def occlusion_mask(hands: list[np.ndarray], box: PixelBox) -> np.ndarray | None:
    """uint8 mask over `box` (255 where a hand covers the face, feathered); None when no hand does."""
    x0, y0, x1, y1 = box
    near = [p for p in hands if p[:, 0].max() >= x0 and p[:, 0].min() < x1 and p[:, 1].max() >= y0
            and p[:, 1].min() < y1]
    if not near:
        return None
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for points in near:
        draw_hand(mask, points, (x0, y0))
    if not mask.any():
        return None
    size = max(hand_size(p) for p in near)
    grow = max(1, round(0.05 * size))  # the model's landmarks sit inside the skin's outline
    mask = cv2.dilate(mask, disc(grow))
    k = 2 * max(1, grow // 2) + 1
    return cv2.GaussianBlur(mask, (k, k), 0)


@dataclass
class _Hand:
    points: np.ndarray
    filter: OneEuroFilter = field(default_factory=lambda: OneEuroFilter(min_cutoff=2.0, beta=0.08, jump=0.5))


def hand_input(frame: np.ndarray) -> np.ndarray:
    """What the hand models read of `frame` (BGR): RGB, a frame wider than INPUT_WIDTH scaled down
    to it (the same scale every frame, so a tracking model's own tracking carries on). A new
    array: the frame may be drawn on while the models read it."""
    h, w = frame.shape[:2]
    if w > INPUT_WIDTH:
        frame = cv2.resize(frame, (INPUT_WIDTH, round(h * INPUT_WIDTH / w)), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def hands_in(model: Any, rgb: np.ndarray, size: tuple[int, int]) -> list[np.ndarray]:
    """The hands mediapipe's `model` (mp.solutions.hands.Hands) finds in `rgb` (hand_input), as
    21 x 2 landmarks in the pixels of the frame it was made from, `size` (w, h)."""
    w, h = size
    found = model.process(rgb).multi_hand_landmarks or []
    return [np.array([(p.x * w, p.y * h) for p in hand.landmark], np.float32) for hand in found]


def find_hands(model: Any, frame: np.ndarray) -> list[np.ndarray]:
    """The hands `model` finds in `frame` (BGR), as 21 x 2 landmarks in the frame's pixels."""
    h, w = frame.shape[:2]
    return hands_in(model, hand_input(frame), (w, h))


def within_a_face(points: np.ndarray, boxes: list[Box]) -> bool:
    """Whether a hand's landmarks lie wholly inside one of the face `boxes`: a palm found there is
    the face itself. The palm detector took the mouth and nose of Tom_Hanks_54745.png for a palm in
    most frames (his swap lost a sixth of his face's box to his own face); a hand held in front of
    a face is as large as the face and reaches past it (the wrist below the chin, the fingers past
    the cheek). A higher score for the detector was not the way: at 0.8 it missed the hand beside
    the face of t1.jpg's centre man, and at 0.7 it kept the false palm."""
    hx0, hy0 = points.min(0)
    hx1, hy1 = points.max(0)
    return any(hx0 >= x0 and hy0 >= y0 and hx1 <= x1 and hy1 <= y1 for x0, y0, x1, y1 in boxes)


def _near(points: np.ndarray, boxes: list[Box]) -> bool:
    hx0, hy0 = points.min(0)
    hx1, hy1 = points.max(0)
    for x0, y0, x1, y1 in boxes:
        margin = NEAR * (x1 - x0)
        if hx1 >= x0 - margin and hx0 <= x1 + margin and hy1 >= y0 - margin and hy0 <= y1 + margin:
            return True
    return False


class HandOccluder:
    """Per video stream: the hands near its faces, found and followed through the frames."""

    def __init__(self, every: int = CHECK_EVERY, complexity: int = 0, max_hands: int = 1,
                 beside: bool | None = None) -> None:
        """`beside`: whether `look` runs the models on a thread of the occluder's own
        (models/beside.py; None: where there is a second core)."""
        self._model = mp.solutions.hands.Hands(
            static_image_mode=False, max_num_hands=max_hands, model_complexity=complexity,
            min_detection_confidence=0.5, min_tracking_confidence=0.5)
        self._schedule = HandSchedule(every)
        self._hands: list[_Hand] = []
        self.runs = 0  # frames the hand models ran on (what this costs)
        self._faces_before = False  # the last frame updated had faces
        self._beside = Beside("hands", beside)
        # this frame's look (look): its find (None: the models were not due) and the frame's turn
        self._look: tuple[Future[list[np.ndarray]] | None, int] | None = None

    @property
    def hands(self) -> list[np.ndarray]:
        return [hand.points for hand in self._hands]

    @property
    def cpu_beside(self) -> float:
        """CPU seconds the hand models took on the occluder's own thread (look)."""
        return self._beside.cpu_seconds

    def look(self, frame: np.ndarray, turn: int = 0) -> None:
        """Starts this frame's look for hands on the occluder's own thread, where the models are due,
        the last frame had faces and the occluder runs its models beside the caller (`beside`);
        `update` takes its find. `frame`: BGR as it came, its faces to be read in it turned `turn`
        degrees clockwise (models/upright_frames.py), and the hands are found there. Without a
        look, `update` runs the models itself."""
        self._settle()
        if not self._faces_before or not self._beside.threaded:
            return
        future = None
        if self._schedule.due(tracking=bool(self._hands)):
            h, w = frame.shape[:2]
            size = (w, h) if turn % 180 == 0 else (h, w)
            # turned after it is made smaller: a turned frame of its own cost a copy of it
            rgb = orientation.turn(hand_input(frame), turn)
            future = self._beside.submit(hands_in, self._model, rgb, size)
            self.runs += 1
        self._look = future, turn

    def _settle(self) -> list[np.ndarray] | None:
        """The find of a look not taken yet (None: there was no look, or its models were not due),
        waited for: the model is not read by two threads at once."""
        look, self._look = self._look, None
        if look is None or look[0] is None:
            return None
        return look[0].result()

    def update(self, frame: np.ndarray, face_boxes: list[Box], t: float | None = None,
               turn: int = 0) -> list[np.ndarray]:
        """The hands near any of `face_boxes` in this frame, in frame pixels (21 x 2 each). `turn`:
        the frame's, as `look` was told; a look at the frame turned another way is not taken."""
        look = self._look
        found = self._settle()
        self._faces_before = bool(face_boxes)
        if not face_boxes:
            self._hands = []
            return []
        if look is None:
            due = self._schedule.due(tracking=bool(self._hands))
        else:  # the look asked the schedule
            due = look[0] is not None
            if look[1] != turn:
                found = None  # found in the frame turned another way: the models read it again
        if not due:
            return self.hands
        if found is None:
            self.runs += 1
            found = find_hands(self._model, frame)
        t = time.monotonic() if t is None else t
        previous, self._hands = self._hands, []
        for points in found:
            if not _near(points, face_boxes) or within_a_face(points, face_boxes):
                continue
            # the same hand as before is the one whose wrist is nearest: its filter carries on
            match = min(previous, key=lambda old: float(np.linalg.norm(old.points[0] - points[0])),
                        default=None)
            hand = match if match is not None else _Hand(points)
            if match is not None:
                previous.remove(match)
            hand.points = hand.filter(points, t, hand_size(points))
            self._hands.append(hand)
        return self.hands

    def mask(self, box: PixelBox) -> np.ndarray | None:
        return occlusion_mask(self.hands, box) if self._hands else None

    def close(self) -> None:
        self._settle()
        self._beside.close()
        self._model.close()


class FaceView(NamedTuple):
    """What occlusion needs of a face in a frame."""

    track_id: int
    box: Box
    kps: np.ndarray  # the five ArcFace points (5 x 2)


class Occlusion:
    """Per video stream: what stands in front of each face, from the parts the mode asks for."""

    def __init__(self, hands: HandOccluder | None = None, objects: ObjectOccluder | None = None) -> None:
        self._hands = hands
        self._objects = objects

    @property
    def runs(self) -> int:
        """Frames the hand models ran on."""
        return self._hands.runs if self._hands else 0

    @property
    def hands(self) -> list[np.ndarray]:
        return self._hands.hands if self._hands else []

    @property
    def cpu_beside(self) -> float:
        """CPU seconds the hand models took on a thread of their own (HandOccluder.look)."""
        return self._hands.cpu_beside if self._hands else 0.0

    def look(self, frame: np.ndarray, turn: int = 0) -> None:
        """Starts this frame's look for hands beside the caller's work (HandOccluder.look)."""
        if self._hands:
            self._hands.look(frame, turn)

    def update(self, frame: np.ndarray, faces: list[FaceView], t: float | None = None, turn: int = 0) -> None:
        """`t`: the frame's time (s), by which the hands' landmarks are smoothed; the wall clock's
        now without it. `turn`: the frame's, as `look` was told."""
        if self._hands:
            self._hands.update(frame, [face.box for face in faces], t, turn)
        if self._objects:
            self._objects.update(frame, [(face.track_id, face.kps) for face in faces])

    def mask(self, box: PixelBox, track: int | None = None) -> np.ndarray | None:
        """uint8 mask over `box` (255 where something covers the face `track`); None when nothing does."""
        hand = self._hands.mask(box) if self._hands else None
        thing = self._objects.mask(track, box) if self._objects and track is not None else None
        if hand is None or thing is None:
            return hand if thing is None else thing
        return cv2.max(hand, thing)

    def close(self) -> None:
        if self._hands:
            self._hands.close()


def make_occluder(mode: str) -> Occlusion:
    """`off`: nothing; `hands`: hands; `auto`: hands, and anything else that covers a face the
    stream has seen uncovered (models/colour_occlusion.py)."""
    if mode not in MODES:
        raise ValueError(f"occlusion must be one of {', '.join(MODES)}")
    return Occlusion(HandOccluder() if mode in ("hands", "auto") else None,
                     ObjectOccluder() if mode == "auto" else None)


def hold_out(alpha: np.ndarray, occluded: np.ndarray | None) -> np.ndarray:
    """The blend mask `alpha` (uint8) with what stands in front of the face taken out."""
    if occluded is None:
        return alpha
    return cv2.multiply(alpha, cv2.bitwise_not(occluded), scale=1.0 / 255.0)
