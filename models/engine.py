"""The interface every face-swap engine implements.

An engine prepares source faces from still images (once per upload) and opens one stream per
video source. A stream owns whatever state tracking needs between frames and is used from one
thread only: the frame worker's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np

# Why a frame came back unswapped. Stable strings: clients show them.
NO_FACE = "No face detected in frame"
NO_SOURCE = "No source face loaded"
BAD_FRAME = "Frame is empty or too small"


class NoFaceError(ValueError):
    """The image holds no usable face; the message says why."""


@dataclass(frozen=True)
class DetectedFace:
    """A face found in a still image, in image pixels."""

    box: tuple[float, float, float, float]  # x1, y1, x2, y2
    score: float
    # eye on the image's left, eye on the image's right, nose tip, mouth centre
    keypoints: tuple[tuple[float, float], ...]
    # found in a part of the image (models/tiles.py), where textures are taken for faces more
    # often: kept only where a mesh is read on it
    in_tile: bool = False
    # found part out of the frame, in its edge mirrored (models/edge_strips.py): the box runs on
    # past the edge, and there are no keypoints
    beyond_edge: bool = False

    def moved(self, dx: float, dy: float) -> DetectedFace:
        """The same face in an image whose origin is (-dx, -dy) of this one's: a crop's find in
        the whole frame."""
        x1, y1, x2, y2 = self.box
        return DetectedFace((x1 + dx, y1 + dy, x2 + dx, y2 + dy), self.score,
                            tuple((x + dx, y + dy) for x, y in self.keypoints), self.in_tile,
                            self.beyond_edge)


@dataclass(frozen=True)
class SourceFace:
    """A face prepared once from an uploaded image and reused for every frame."""

    engine: str
    box: tuple[float, float, float, float]
    data: Any  # engine-specific, opaque to callers
    # what about the photo limits the swap, in sentences for the person who uploaded it
    notes: tuple[str, ...] = ()


@dataclass
class SwapResult:
    image: np.ndarray
    faces_found: int
    faces_swapped: int
    reason: str | None = None  # set when nothing was swapped
    timings_ms: dict[str, float] = field(default_factory=dict)
    # (face box, index of the source it received) for each face swapped, left to right
    assigned: list[tuple[tuple[float, float, float, float], int]] = field(default_factory=list)
    # (x0, y0, x1, y1) pixel boxes the swap wrote: `image` equals the input everywhere else
    regions: list[tuple[int, int, int, int]] = field(default_factory=list)
    # CPU time (ms) the engine's thread spent on the frame, set where the engine ran in a process of
    # its own (media/engine_process.py); None: the thread that called swap() measures it
    cpu_ms: float | None = None
    # CPU time (ms) the swap spent on threads of its own beside the caller's (the face detector,
    # the hand models: models/beside.py), which the caller's thread clock does not see
    beside_cpu_ms: float = 0.0

    @property
    def swapped(self) -> bool:
        return self.faces_swapped > 0


class SourceAssigner:
    """Which source face each tracked face gets, stable for as long as the face is tracked.

    Faces come left to right. A face keeps its source while its track lives; a new face takes the
    first source no other face holds, or (more faces than sources) wraps around.
    """

    def __init__(self) -> None:
        self._assigned: dict[int, int] = {}

    def assign(self, track_ids: list[int], n_sources: int) -> list[int]:
        live = set(track_ids)
        self._assigned = {k: v for k, v in self._assigned.items() if k in live and v < n_sources}
        for track in track_ids:
            if track not in self._assigned:
                held = set(self._assigned.values())
                free = [i for i in range(n_sources) if i not in held]
                self._assigned[track] = free[0] if free else len(self._assigned) % n_sources
        return [self._assigned[t] for t in track_ids]


Box = tuple[float, float, float, float]


class Located(Protocol):
    """A face found in a video frame, with the id of the track that follows it."""

    @property
    def box(self) -> Box: ...

    @property
    def track_id(self) -> int: ...


F = TypeVar("F", bound=Located)


PixelBox = tuple[int, int, int, int]


def swap_tracked(frame: np.ndarray, sources: Sequence[SourceFace], faces: Sequence[F],
                 assigner: SourceAssigner, swap_one: Callable[[np.ndarray, F, Any], PixelBox | None],
                 timings: dict[str, float]) -> SwapResult:
    """The per-frame loop every engine's stream shares: faces found, each face given its source
    (stable while tracked), each swapped in place on a copy by `swap_one(out, face, source.data)`,
    which returns the pixel box it wrote (None when it could not swap that face)."""
    if not faces:
        return SwapResult(frame, 0, 0, NO_FACE, timings)
    if not sources:
        return SwapResult(frame, len(faces), 0, NO_SOURCE, timings)
    faces = sorted(faces, key=lambda f: f.box[0])  # left to right
    out = frame.copy()
    picks = assigner.assign([f.track_id for f in faces], len(sources))
    assigned, regions = [], []
    for face, index in zip(faces, picks, strict=True):
        region = swap_one(out, face, sources[index].data)
        if region is not None:
            assigned.append((face.box, index))
            regions.append(region)
    return SwapResult(out, len(faces), len(assigned), None if assigned else NO_FACE, timings, assigned,
                      regions)


def nearest_first(faces: list[Any], near: tuple[float, float] | None, box: Callable[[Any], Box]) -> list[Any]:
    """`faces` ordered by the distance of their box centre to `near` (unchanged without one)."""
    if near is None:
        return faces

    def distance(face: Any) -> float:
        x1, y1, x2, y2 = box(face)
        return float(np.hypot((x1 + x2) / 2 - near[0], (y1 + y2) / 2 - near[1]))

    return sorted(faces, key=distance)


class Stream(Protocol):
    def swap(self, frame: np.ndarray, sources: list[SourceFace], taken_at: float | None = None) -> SwapResult:
        """Swap every face in a BGR frame; never raises for a frame without faces. `taken_at`:
        when the frame arrived (time.monotonic() seconds; None: now). A stream that smooths
        landmarks over time uses it, so a frame's wait for the engine does not count as motion."""
        ...

    def close(self) -> None: ...


class Engine(Protocol):
    name: str
    provider: str  # execution provider, e.g. "CPUExecutionProvider" or "mediapipe-cpu"
    model_files: list[str]
    occlusion: str  # what is kept in front of faces: "off", "hands" or "auto" (models/occlusion.py)

    def detect(self, image: np.ndarray, max_faces: int = 10) -> list[DetectedFace]:
        """Faces in a still BGR image, largest first."""
        ...

    def prepare_source(
        self, image: np.ndarray, near: tuple[float, float] | None = None
    ) -> SourceFace:
        """Prepare the largest face (or the one nearest to `near`); raises NoFaceError."""
        ...

    def combine_sources(self, faces: list[SourceFace]) -> SourceFace:
        """Several prepared photos of one person as one source face."""
        ...

    def open_stream(self) -> Stream: ...

    def close(self) -> None: ...


def check_frame(frame: np.ndarray, min_side: int = 32) -> str | None:
    """Why a frame cannot be processed at all, or None."""
    if frame.ndim != 3 or frame.shape[2] != 3 or min(frame.shape[:2]) < min_side:
        return BAD_FRAME
    return None
