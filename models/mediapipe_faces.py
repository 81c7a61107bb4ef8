"""mediapipe 0.10.21's legacy face detection and face mesh, wrapped for this server.

FaceMesh on a whole frame misses small faces (its detector sees the frame at 128x128) and, when
it loses a face, may keep a mesh on a wall. So faces are found by the full-range detector, and
each face's mesh runs in a padded square crop around it, where the face is large. In video, one
tracking-mode FaceMesh per face follows that face from crop to crop; the detector runs only every
few frames, to pick up new faces.

All objects here are single-threaded: mediapipe graphs must be used from one thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import cv2
import mediapipe as mp
import numpy as np

from models import edge_hold, edge_strips, mediapipe_patch
from models import face_topology as ft
from models import tiles as tiling
from models.beside import Beside
from models.engine import DetectedFace
from models.smoothing import LandmarkFilter, PoseShapeFilter

CROP_SIZE = 256  # px of the square crop a mesh runs on (FaceMesh itself works at 192)
CROP_PAD = 1.7  # crop side / face size
# px, the face's outline's larger side: below it a "face" is a texture (a capacitor on a circuit
# board, found in a tile of models/tiles.py and meshed, 16 x 19 px), and too small to swap anyway
# (faces at 6% of a 640x480 frame's height, bench.finding's smallest, measured 29-41 px, but for
# one mesh gone wrong at 18)
MIN_FACE = 24
_EMPTY = np.zeros((CROP_SIZE, CROP_SIZE, 3), np.uint8)  # RGB: a picture with no face

# every graph here is read through `process`: its outputs made cheaply, on the caller's thread
mediapipe_patch.install()


def _rgb(bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def video_mesh(tracking: float = 0.5) -> mp.solutions.face_mesh.FaceMesh:
    """A tracking-mode FaceMesh for one face: it reads each picture placed by its last reading
    while it is `tracking` sure of a face there, and finds the face afresh otherwise."""
    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=False, max_num_faces=1, refine_landmarks=True,
        min_detection_confidence=0.5, min_tracking_confidence=tracking)


def crop_square(
    image: np.ndarray, cx: float, cy: float, side: float, size: int, border: int = cv2.BORDER_CONSTANT
) -> tuple[np.ndarray, np.ndarray]:
    """A size x size crop of the square (cx, cy, side), padded outside the image by `border` (an
    OpenCV border mode: black unless told).

    Returns the crop and the 2x3 matrix mapping image pixels to crop pixels.
    """
    s = size / max(side, 1.0)
    m = np.array([[s, 0, size / 2 - s * cx], [0, s, size / 2 - s * cy]], dtype=np.float64)
    crop = cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=border)
    return crop, m


# One landmark as FaceMesh's result serializes it: a length-delimited record (tag 0x0a, length 15)
# holding x, y and z as little-endian 32-bit floats, each behind its own field tag (0x0d, 0x15, 0x1d)
_RECORD = 17
_TAGS_AT = np.array([0, 1, 2, 7, 12])
_TAGS = np.array([0x0A, 15, 0x0D, 0x15, 0x1D], np.uint8)
_FLOATS_AT = np.array([3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16])


def landmark_array(landmarks) -> np.ndarray:
    """(N, 3) float32 x, y, z of a mediapipe NormalizedLandmarkList. Read from its serialized bytes
    where every landmark is a bare x, y, z record, as FaceMesh's are: reading 478 points attribute
    by attribute took 0.16-0.3 ms a frame; otherwise (visibility or presence set, a field left
    out) point by point."""
    data = landmarks.SerializeToString()
    if data and len(data) % _RECORD == 0:
        records = np.frombuffer(data, np.uint8).reshape(-1, _RECORD)
        if np.array_equal(records[:, _TAGS_AT], np.broadcast_to(_TAGS, (len(records), len(_TAGS)))):
            return np.ascontiguousarray(records[:, _FLOATS_AT]).view("<f4").astype(np.float32, copy=False)
    return np.array([(p.x, p.y, p.z) for p in landmarks.landmark], dtype=np.float32).reshape(-1, 3)


def _landmarks_to_image(landmarks, m: np.ndarray, size: int) -> np.ndarray:
    """(N, 3) float32 landmarks in image pixels from a FaceMesh result on a crop."""
    pts = landmark_array(landmarks) * size
    s, tx, ty = m[0, 0], m[0, 2], m[1, 2]
    pts[:, 0] = (pts[:, 0] - tx) / s
    pts[:, 1] = (pts[:, 1] - ty) / s
    pts[:, 2] = pts[:, 2] / s
    return pts


def plausible(pts: np.ndarray, side: float) -> bool:
    """Reject meshes that are not a face: wrong size for their crop, smaller than MIN_FACE, or
    not face-shaped."""
    oval = pts[ft.face_oval(), :2]
    width, height = np.ptp(oval, axis=0)
    size = max(width, height)
    if not (0.2 * side <= size <= 1.0 * side) or size < MIN_FACE or width < 8 or height < 8:
        return False
    eyes = ft.keypoints4(pts)
    eye_dist = float(np.linalg.norm(eyes[0] - eyes[1]))
    return 0.15 <= eye_dist / max(width, 1.0) <= 0.8 and 0.6 <= height / max(width, 1.0) <= 2.5


def box_area(box: Sequence[float]) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def _area(face: DetectedFace) -> float:
    return box_area(face.box)


class FaceDetector:
    """Full-range BlazeFace: finds faces down to about 5 % of the frame width. With `close_up`,
    the short-range model instead: faces that fill much of the picture (within about 2 m)."""

    def __init__(self, min_score: float = 0.5, close_up: bool = False) -> None:
        self._fd = mp.solutions.face_detection.FaceDetection(
            model_selection=0 if close_up else 1, min_detection_confidence=min_score
        )

    def detect(self, bgr: np.ndarray) -> list[DetectedFace]:
        h, w = bgr.shape[:2]
        res = self._fd.process(_rgb(bgr))
        faces = []
        for det in res.detections or []:
            b = det.location_data.relative_bounding_box
            x1, y1 = max(0.0, b.xmin * w), max(0.0, b.ymin * h)
            x2, y2 = min(float(w), (b.xmin + b.width) * w), min(float(h), (b.ymin + b.height) * h)
            if x2 - x1 < 4 or y2 - y1 < 4:
                continue
            kp = det.location_data.relative_keypoints
            # mediapipe's order: person's right eye, left eye, nose tip, mouth centre, ...
            keypoints = tuple((kp[i].x * w, kp[i].y * h) for i in range(4))
            faces.append(DetectedFace((x1, y1, x2, y2), float(det.score[0]), keypoints))
        faces.sort(key=_area, reverse=True)
        return faces

    def close(self) -> None:
        self._fd.close()


class FaceFinder:
    """Both BlazeFace models: `detect` asks the full-range one and, where it finds no face, the
    short-range one. The full-range model missed a face filling a third of the frame's height in
    half its frames (bench.quality's `Tom_Hanks_54745.png` target), and a stream started
    unswapped; a close-up photo of him it finds at no size. With `tiled`, the full-range one
    also looks at parts of the frame (models/tiles.py), where a small face is larger to it."""

    def __init__(self, min_score: float = 0.5, tiled: bool = True) -> None:
        self.full = FaceDetector(min_score)
        self.close_up = FaceDetector(min_score, close_up=True)
        self.tiled = tiled

    def detect(self, bgr: np.ndarray, whole: bool = True,
               tiles: Iterable[int] | None = None, edges: Iterable[str] = ()) -> list[DetectedFace]:
        """Faces in `bgr`, largest first: with `whole`, in the whole frame (the short-range
        model where the full-range finds none), and in the frame's `tiles` (indexes into
        `models.tiles.tiles`; None: all of them; none unless `tiled`), by the full-range model,
        where a face is larger to it. A tile's find is kept where it is not cut by the tile's
        edge and no find before holds its centre. At each of the frame's `edges` ("left",
        "right", "top", "bottom"), the short-range model looks for faces part out of the frame
        (models/edge_strips.py)."""
        found = (self.full.detect(bgr) or self.close_up.detect(bgr)) if whole else []
        h, w = bgr.shape[:2]
        deep = edge_strips.depth(w, h)
        for edge in edges:
            # the short-range model (edge_strips.py: it found faces coming in sooner than the
            # full-range one, and hair beside its reflection less, for a third of its time)
            finds = self.close_up.detect(edge_strips.mirrored(bgr, edge, deep))
            found = edge_strips.merged(found, edge_strips.entering(finds, edge, deep, w, h), edge, w, h)
        if not self.tiled:
            return found
        corners = tiling.tiles(w, h)
        for index in range(len(corners)) if tiles is None else tiles:
            x1, y1, x2, y2 = corners[index]
            for face in self.full.detect(bgr[y1:y2, x1:x2]):
                moved = replace(face.moved(x1, y1), in_tile=True)
                if not tiling.cut_by(moved.box, corners[index], w, h) and tiling.is_new(
                        moved.box, [f.box for f in found]):
                    found.append(moved)
        return sorted(found, key=_area, reverse=True)

    def close(self) -> None:
        self.full.close()
        self.close_up.close()


FOLLOW_PASSES = 3  # how many times StillMesher.followed reads the photo (the first as `mesh` does)


class StillMesher:
    """Mesh landmarks of one face in a still image, inside a crop around its detection box."""

    def __init__(self, crop_size: int = 384) -> None:
        self.crop_size = crop_size
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.5
        )
        self._following: mp.solutions.face_mesh.FaceMesh | None = None  # made on first use

    def _crop(self, bgr: np.ndarray, box: tuple[float, float, float, float],
              prepare: Callable[[np.ndarray], np.ndarray] | None) -> tuple[np.ndarray, np.ndarray, float]:
        x1, y1, x2, y2 = box
        side = max(x2 - x1, y2 - y1) * CROP_PAD
        crop, m = crop_square(bgr, (x1 + x2) / 2, (y1 + y2) / 2, side, self.crop_size)
        return (crop if prepare is None else prepare(crop)), m, side

    def mesh(self, bgr: np.ndarray, box: tuple[float, float, float, float],
             prepare: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray | None:
        """The face's landmarks in `bgr`'s pixels (None where none is found); `prepare`, if given,
        is applied to the crop the model reads (crop_size square: its cost does not grow with the
        photo)."""
        crop, m, side = self._crop(bgr, box, prepare)
        res = self._mesh.process(_rgb(crop))
        if not res.multi_face_landmarks:
            return None
        pts = _landmarks_to_image(res.multi_face_landmarks[0], m, self.crop_size)
        return pts if plausible(pts, side) else None

    def followed(self, bgr: np.ndarray, box: tuple[float, float, float, float],
                 prepare: Callable[[np.ndarray], np.ndarray] | None = None,
                 passes: int = FOLLOW_PASSES) -> np.ndarray | None:
        """The landmarks as a video's FaceMesh reads them once it follows the face (as `mesh`,
        None where the last pass finds none): the same crop read `passes` times, each pass's
        region of interest placed and turned by the landmarks before it. A still reading places
        it by the detector's box and eyes alone; on a laughing, rolled face it put the lower
        lip's edge a third of the lip's height too high, where the frames' FaceMesh did not."""
        if self._following is None:
            self._following = video_mesh()
        crop, m, side = self._crop(bgr, box, prepare)
        rgb = _rgb(crop)
        res = None
        for _ in range(passes):
            res = self._following.process(rgb)
            if not res.multi_face_landmarks:
                break
        # forgotten, so the next photo is read from its own detection (see FaceTracker._drop)
        self._following.process(_EMPTY)
        if res is None or not res.multi_face_landmarks:
            return None
        pts = _landmarks_to_image(res.multi_face_landmarks[0], m, self.crop_size)
        return pts if plausible(pts, side) else None

    def close(self) -> None:
        self._mesh.close()
        if self._following is not None:
            self._following.close()


@dataclass
class _Track:
    mesh: mp.solutions.face_mesh.FaceMesh
    cx: float
    cy: float
    side: float
    filter: LandmarkFilter
    box: tuple[float, float, float, float] = (0, 0, 0, 0)
    last: np.ndarray | None = None  # (N, 3) the mesh taken in the frame before, unsmoothed
    grey: np.ndarray | None = None  # that frame in greyscale, where the face was at its edge
    held_since: float | None = None  # since when its mesh is the last one moved (models/edge_hold.py)
    # while it is: the frame in greyscale and the mesh where FaceMesh last read it (edge_hold.anchor,
    # edge_hold.likeness)
    seen: tuple[np.ndarray, np.ndarray] | None = None
    entering: bool = False  # found part out of the frame (models/edge_strips.py), not read yet


@dataclass
class TrackedFace:
    points: np.ndarray  # (N, 2) smoothed landmarks in frame pixels
    box: tuple[float, float, float, float]
    track_id: int
    # (N,) each landmark's depth in frame pixels as FaceMesh read it in this frame (smaller is
    # nearer the camera). Not smoothed: it only orders the mesh's triangles (warp.drawing_order)
    depth: np.ndarray | None = None


class FaceTracker:
    """Follows up to `max_faces` faces through a video stream. One per stream."""

    def __init__(
        self,
        finder: FaceFinder,
        max_faces: int = 4,
        detect_interval: int = 10,
        smoothing: Callable[[], LandmarkFilter] = PoseShapeFilter,
        follow_edges: bool = True,
        find_entering: bool = True,
        beside: bool | None = None,
    ) -> None:
        """`follow_edges`: a face leaving the frame is followed by its motion where FaceMesh can
        no longer read it (models/edge_hold.py). `find_entering`: each look at the whole frame
        also looks for a face part out of it at one of its sides, in turn (models/edge_strips.py).
        `beside`: whether the detector reads a frame on a thread of the tracker's own while the
        faces followed are read (models/beside.py; None: where there is a second core)."""
        self.finder = finder
        self.follow_edges = follow_edges
        self.find_entering = find_entering
        self.smoothing = smoothing  # a new landmark filter per track
        self.max_faces = max_faces
        self.detect_interval = max(1, detect_interval)
        self._tracks: dict[int, _Track] = {}
        self._pool: list[mp.solutions.face_mesh.FaceMesh] = []
        self._next_id = 0
        self._since_detect = 0
        self._sweep = tiling.TileSweep()  # where, besides the whole frame, a detection looks
        self._side = 0  # the frame's side whose edge the next look at the whole frame looks at too
        self._gate: mp.solutions.face_mesh.FaceMesh | None = None  # made on first use (_is_face)
        self._beside = Beside("faces", beside)  # the detector's looks (update)

    @property
    def cpu_beside(self) -> float:
        """CPU seconds the detector took on the tracker's own thread (update)."""
        return self._beside.cpu_seconds

    def _new_mesh(self) -> mp.solutions.face_mesh.FaceMesh:
        if self._pool:
            return self._pool.pop()  # it follows nothing (see _drop)
        return video_mesh()

    def _drop(self, track_id: int, following: bool = True) -> None:
        """Ends a track; its mesh is kept for the next. `following`: the mesh still follows a
        face (it was dropped as implausible, or as a second track on one face)."""
        mesh = self._tracks.pop(track_id).mesh
        if following:
            # made to forget it by a picture with no face (3-4 ms): a restart (reset) did the
            # same and cost the mesh's next frame, the one a face comes back in, 13-20 ms more
            mesh.process(_EMPTY)
        self._pool.append(mesh)

    def _maybe_detect(self, frame: np.ndarray, tiles: bool = True) -> None:
        look = self._look_due(tiles)
        if look is not None:
            self._start_tracks(self.finder.detect(frame, *look))

    def _look_due(self, tiles: bool = True) -> tuple[bool, tuple[int, ...], tuple[str, ...]] | None:
        """This frame's look for new faces, where one is due: FaceFinder.detect's `whole`, `tiles`
        and `edges`."""
        self._since_detect += 1
        if len(self._tracks) >= self.max_faces:
            return None
        whole = not self._tracks or self._since_detect >= self.detect_interval
        tile = self._sweep.tile(whole) if tiles else None
        if not whole and tile is None:
            return None
        if whole:
            self._since_detect = 0
        edges: tuple[str, ...] = ()
        if whole and self.find_entering:
            # one side a look, in turn: both at every look followed fewer faces there from the
            # stream's start (edge_strips.py; docs/mesh-engine.md)
            edges = (edge_strips.SIDES[self._side],)
            self._side = (self._side + 1) % len(edge_strips.SIDES)
        return whole, () if tile is None else (tile,), edges

    def _start_tracks(self, found: list[DetectedFace]) -> int:
        """Tracks for the faces `found` that no track follows yet; how many were started."""
        started = 0
        for face in found:
            if len(self._tracks) >= self.max_faces:
                break
            if not tiling.is_new(face.box, [t.box for t in self._tracks.values()]):
                continue
            x1, y1, x2, y2 = face.box
            side = max(x2 - x1, y2 - y1) * CROP_PAD
            self._tracks[self._next_id] = _Track(self._new_mesh(), (x1 + x2) / 2, (y1 + y2) / 2, side,
                                                 self.smoothing(), face.box, entering=face.beyond_edge)
            self._next_id += 1
            started += 1
        if started:
            self._sweep.found()
        return started

    def update(self, frame: np.ndarray, t: float | None = None, tiles: bool = True) -> list[TrackedFace]:
        """Landmarks of every tracked face in this frame, left to right. `tiles`: whether the
        frame's tiles take their turn (models/tiles.py). A look at the frame turned another way,
        to try it (upright_frames.py), leaves them: taking turns there, it left the frames
        themselves with the same two tiles of the four."""
        t = time.monotonic() if t is None else t
        look = self._look_due(tiles)
        # the detector reads the frame beside the faces followed, where a second core can take it
        finding = None if look is None else self._beside.submit(self.finder.detect, frame, *look)
        following = list(self._tracks)
        faces = self._follow(frame, following, t)
        started = 0
        if finding is not None:
            followed = set(self._tracks)
            started = self._start_tracks(finding.result())
            faces += self._follow(frame, [tid for tid in self._tracks if tid not in followed], t)
        if len(faces) < len(following) + started:
            # a track was lost (a fast move, a blur): look for its face again in this same frame,
            # instead of showing the real face for a frame until the next one
            self._since_detect = self.detect_interval
            known = set(self._tracks)
            self._maybe_detect(frame, tiles)
            faces += self._follow(frame, [tid for tid in self._tracks if tid not in known], t)
        faces = self._dedupe(faces)
        faces.sort(key=lambda f: f.box[0])
        return faces

    def _follow(self, frame: np.ndarray, track_ids: list[int], t: float) -> list[TrackedFace]:
        faces: list[TrackedFace] = []
        h, w = frame.shape[:2]
        grey: np.ndarray | None = None  # the frame's, made once, for the faces at its edge
        for tid in track_ids:
            track = self._tracks[tid]
            before, track.grey = track.grey, None
            if self.follow_edges and track.last is not None and edge_hold.near_edge(track.last, w, h):
                grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if grey is None else grey
                track.grey = grey
            crop, m = crop_square(frame, track.cx, track.cy, track.side, CROP_SIZE)
            rgb = _rgb(crop)
            if track.entering:
                track.entering = False
                # FaceMesh's own detector finds the part in view no more than ours does: it reads
                # the crop with the frame's edge mirrored first, and then, placed by what it read
                # there, the crop itself
                mirror, _ = crop_square(frame, track.cx, track.cy, track.side, CROP_SIZE, cv2.BORDER_REFLECT)
                mirror = _rgb(mirror)
                if not self._is_face(mirror, rgb):
                    self._drop(tid, following=False)
                    continue
                track.mesh.process(mirror)
            res = track.mesh.process(rgb)
            if not res.multi_face_landmarks and track.held_since is None:
                # once more (not while the face is followed by its motion, edge_hold.py): a mesh
                # that lost its face looks for it in the same crop afresh. On
                # t1.jpg sent as a still picture, frame after frame the same, the mesh lost the
                # turned woman in every frame after she was found (a tile found her again every
                # third): her crop moves a sixth of its side from the detector's box to her mesh's
                res = track.mesh.process(rgb)
            pts = (_landmarks_to_image(res.multi_face_landmarks[0], m, CROP_SIZE)
                   if res.multi_face_landmarks else None)
            read = pts is not None and plausible(pts, track.side)
            moved = None
            # (a frame of another size: a browser lowered its camera's resolution)
            if before is not None and track.grey is not None and before.shape == track.grey.shape and (
                    not read or edge_hold.out_fraction(pts, w, h) >= edge_hold.HOLD_FROM):
                moved = edge_hold.follow_motion(before, track.grey, track.last)
                if moved is not None and track.seen is not None:
                    # read again against the frame where FaceMesh last read it (no drift)
                    anchored = edge_hold.anchor(*track.seen, track.grey, moved)
                    moved = moved if anchored is None else anchored
                if read and moved is not None and edge_hold.narrowed(pts, moved, w, h):
                    read = False
            held_for = 0.0 if track.held_since is None else t - track.held_since
            look = None
            if not read and moved is not None and track.seen is not None and held_for >= edge_hold.MAX_HELD:
                look = edge_hold.likeness(*track.seen, track.grey, moved)
            choice = edge_hold.choose(read, None if moved is None else edge_hold.out_fraction(moved, w, h),
                                      held_for, look)
            if choice is edge_hold.Choice.DROP:
                self._drop(tid, following=pts is not None)
                continue
            if choice is edge_hold.Choice.HOLD:
                assert moved is not None and before is not None
                pts = moved
                if track.held_since is None:
                    track.held_since, track.seen = t, (before, track.last)
            else:
                track.held_since, track.seen = None, None
            assert pts is not None
            track.last = pts
            if self.follow_edges and track.grey is None and edge_hold.near_edge(pts, w, h):
                # a face taken at the edge in this frame, where its last mesh was not (a track's
                # first frame: one started part out of the frame, which FaceMesh loses in the next
                # as often as not): the next frame can follow its motion from this one
                grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if grey is None else grey
                track.grey = grey
            x1, y1 = pts[:, :2].min(0)
            x2, y2 = pts[:, :2].max(0)
            track.box = (float(x1), float(y1), float(x2), float(y2))
            track.cx, track.cy = (x1 + x2) / 2, (y1 + y2) / 2
            size = float(max(x2 - x1, y2 - y1))
            track.side = size * CROP_PAD
            faces.append(TrackedFace(track.filter(pts[:, :2], t, size), track.box, tid, pts[:, 2].copy()))
        return faces

    def _is_face(self, mirror: np.ndarray, crop: np.ndarray) -> bool:
        """Whether a face found at the frame's edge (its crop with the edge mirrored, and as it is;
        RGB) is one to a FaceMesh surer of it than a track's (edge_strips.SURE): hair beside its
        reflection, found by the full-range detector, read as a face at 0.5 but not 0.8; and the
        faces it refuses are those whose meshes lie furthest off."""
        if self._gate is None:
            self._gate = video_mesh(edge_strips.SURE)
        self._gate.process(mirror)
        sure = self._gate.process(crop).multi_face_landmarks is not None
        self._gate.process(_EMPTY)  # forgotten, so the next is read from its own detection
        return sure

    def forget(self) -> None:
        """Ends every track: the frames are to come turned, and no track's crop fits them."""
        for track_id in list(self._tracks):
            self._drop(track_id)
        self._since_detect = self.detect_interval

    def _dedupe(self, faces: list[TrackedFace]) -> list[TrackedFace]:
        """Two tracks that converged on one face: keep the older one."""
        kept: list[TrackedFace] = []
        for face in sorted(faces, key=lambda f: f.track_id):
            if any(iou(face.box, k.box) > 0.5 for k in kept):
                self._drop(face.track_id)
            else:
                kept.append(face)
        return kept

    def close(self) -> None:
        for mesh in [t.mesh for t in self._tracks.values()] + self._pool:
            mesh.close()
        if self._gate is not None:
            self._gate.close()
            self._gate = None
        self._beside.close()
        self._tracks.clear()
        self._pool.clear()


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0
