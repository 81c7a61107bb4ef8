"""A video's frames turned so that the face they follow is the right way up.

A camera mounted upside down, a phone held on its side, a person lying down: mediapipe's models
read a face upside down as an upright one with its features in the wrong places (the eyes on the
mouth), and the swap kept the person's own identity (the source's face further from dlib's reading
of the output than the person's own). So a stream's frames are turned by a quarter turn before the
face tracker sees them, and the swap turned back: everything after the tracker (the shape, the
light, the glasses) sees a face within 60 degrees of upright, as in a photo taken the right way up.

Which quarter turn: when a face is first found, its reading is checked by the rule photos are
turned by (`orientation.right_way_up`: how steadily it reads, which way it is rolled); while it
is followed, by its roll (`orientation.followed_turn`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from models import orientation
from models.engine import SwapResult
from models.mediapipe_faces import FaceTracker, TrackedFace, box_area
from models.orientation import Mesh

# a stream that shows no face looks for one in its frames turned, a quarter turn at a time: in its
# first faceless frame and every LOOK_SOON_EVERY-th after, up to LOOK_SOON, then every
# LOOK_LATER_EVERY-th. The detector misses some faces on their side or upside down (a close-up on
# its side, in bench.quality's clips, for its first 7 frames), and a face it never finds as the
# frames come would never be swapped. Each look costs a detection (an empty room's frame 6 ms at
# 640x480): often while a stream starts or a face has just gone, rarely after, so a camera left
# pointing at an empty room does not cost a face's share of the worker
LOOK_SOON = 30
LOOK_SOON_EVERY = 3
LOOK_LATER_EVERY = 10


def turn_to_try(faceless: int) -> int | None:
    """The quarter turn (degrees clockwise, on top of the stream's) to look for a face in, in the
    `faceless`-th frame in a row without one; None: not in this frame."""
    if faceless <= 0:
        return None
    if faceless <= LOOK_SOON:
        step, every, before = faceless - 1, LOOK_SOON_EVERY, 0
    else:
        step, every = faceless - LOOK_SOON - 1, LOOK_LATER_EVERY
        before = len(range(0, LOOK_SOON, LOOK_SOON_EVERY))  # the looks while it was soon
    if step % every:
        return None
    return orientation.TURNS[(before + step // every) % len(orientation.TURNS)]


# seconds: a face found this soon after a face was followed is taken the way up the frames are
# turned (a person who stepped away or was hidden by a hand; a camera is not turned over in that
# time), without reading which way up it is (bench.reacquire: 21.5 -> 50.2 ms for the frame a
# face comes back in, when it was read every time)
TRUSTED_FOR = 10.0


def trusted(now: float, followed_at: float | None) -> bool:
    """Whether a face found at `now` (seconds) is taken the way up the frames are turned, a face
    having last been followed in them at `followed_at` (None: never)."""
    return followed_at is not None and 0.0 <= now - followed_at <= TRUSTED_FOR


class UprightFrames:
    """The quarter turn one stream's frames take (`turn`), kept with its tracker's faces."""

    def __init__(self, tracker: FaceTracker, mesh: Mesh | None) -> None:
        """`mesh` reads a face's mesh in a still image (None: frames are never turned)."""
        self.tracker = tracker
        self.mesh = mesh
        self.turn = 0  # degrees clockwise
        self._checked: set[int] = set()  # the tracks whose way up was read
        self._faceless = 0  # frames in a row without a face
        self._followed_at: float | None = None  # when a face was last followed

    def faces(self, frame: np.ndarray, t: float) -> tuple[np.ndarray, list[TrackedFace]]:
        """The frame turned, and the tracker's faces in it."""
        turned = orientation.turn(frame, self.turn)
        faces = self.tracker.update(turned, t)
        if self.mesh is None:
            return turned, faces
        if not faces:
            self._faceless += 1
            extra = turn_to_try(self._faceless)
            if extra is None or trusted(t, self._followed_at):
                return turned, faces
            looked = (self.turn + extra) % 360
            other = orientation.turn(frame, looked)
            faces = self.tracker.update(other, t, tiles=False)
            if not faces:
                return turned, faces
            self.turn, turned = looked, other
        self._faceless = 0
        followed = [f for f in faces if f.track_id in self._checked]
        if followed or trusted(t, self._followed_at):
            # the face followed longest, as it is rolled now (someone lying down); a face found
            # beside it does not turn the frames from under it
            oldest = min(followed or faces, key=lambda f: f.track_id)
            turn = orientation.followed_turn(self.turn, orientation.roll(oldest.points))
        else:
            largest = max(faces, key=lambda f: box_area(f.box))
            turn = (self.turn + self._way_up(turned, largest.box)) % 360
        if turn != self.turn:
            self.turn = turn
            self.tracker.forget()
            turned = orientation.turn(frame, turn)
            faces = self.tracker.update(turned, t)
        self._checked = {f.track_id for f in faces}
        self._followed_at = t if faces else self._followed_at
        return turned, faces

    def _way_up(self, image: np.ndarray, box: orientation.Box) -> int:
        """Degrees clockwise `image` is to be turned for the face in `box` to be the right way up."""
        mesh = self.mesh
        assert mesh is not None
        h, w = image.shape[:2]

        def find(turned: np.ndarray, degrees: int) -> orientation.Found | None:
            turned_box = orientation.turn_box(box, degrees, w, h)
            points = mesh(turned, turned_box)
            return None if points is None else (turned_box, points)

        _, _, degrees = orientation.right_way_up(mesh, image, find(image, 0), find, orientation.FOLLOW_ROLL)
        return degrees

    def turned_back(self, result: SwapResult, frame: np.ndarray) -> SwapResult:
        """`result`, swapped on the frame as turned, on `frame` as it came."""
        if self.turn == 0:
            return result
        h, w = result.image.shape[:2]
        back = (360 - self.turn) % 360
        image = orientation.turn(result.image, back) if result.regions else frame

        def box(b: tuple[float, ...]) -> tuple[float, float, float, float]:
            return orientation.turn_box((b[0], b[1], b[2], b[3]), back, w, h)

        assigned = [(box(b), index) for b, index in result.assigned]
        regions = [tuple(round(v) for v in box(r)) for r in result.regions]
        return replace(result, image=image, assigned=assigned, regions=regions)  # type: ignore[arg-type]
