"""The `inswapper` engine: insightface's models on onnxruntime (CUDA first, CPU as fallback).

- identity: ArcFace (`buffalo_l/w600k_r50.onnx`), loaded by insightface's model zoo;
- detection: SCRFD (`buffalo_l/det_10g.onnx`) at one input size, 640 (insightface 2.1's FaceAnalysis
  defaults to two sizes and detects twice); when that file is absent, mediapipe's face mesh gives
  the five alignment points (tracked per stream, as in the mesh engine);
- swap: `inswapper_128.onnx` (or `inswapper_128_fp16.onnx`), also through the model zoo, kept out of
  the FaceAnalysis folder (a swapper in there breaks that loader);
- paste-back: `models/paste_back.py`, inside the face's box only.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort
from insightface.app.common import Face
from insightface.model_zoo import get_model
from insightface.model_zoo.arcface_onnx import ArcFaceONNX
from insightface.model_zoo.inswapper import INSwapper
from insightface.utils import face_align

from models import face_topology as ft
from models import orientation
from models.engine import (
    Box,
    DetectedFace,
    NoFaceError,
    PixelBox,
    SourceAssigner,
    SourceFace,
    SwapResult,
    check_frame,
    nearest_first,
    swap_tracked,
)
from models.mediapipe_faces import FaceFinder, FaceTracker, StillMesher, iou
from models.occlusion import FaceView, make_occluder
from models.paste_back import PasteBack
from models.upright_frames import UprightFrames
from models.weights import InswapperFiles

log = logging.getLogger(__name__)

DET_SIZE = 640


class ModelFileError(RuntimeError):
    """A model file is missing, corrupt or not the model it should be; the message names the file."""


@dataclass(frozen=True)
class FivePointFace:
    """A face in a video frame with the five ArcFace alignment points."""

    box: Box
    kps: np.ndarray  # (5, 2): eyes, nose tip, mouth corners
    track_id: int


def choose_providers(force_cpu: bool) -> list[str]:
    """CUDA first when this onnxruntime has it (and CPU is not forced), CPU always last."""
    available = ort.get_available_providers()
    wanted = [] if force_cpu else [p for p in ("CUDAExecutionProvider",) if p in available]
    return [*wanted, "CPUExecutionProvider"]


def session_options() -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL  # one frame at a time: lowest latency
    opts.log_severity_level = 3
    return opts


def identity_latent(normed_embedding: np.ndarray, emap: np.ndarray) -> np.ndarray:
    """What inswapper takes as `source`: the unit ArcFace embedding times emap, renormalised (1 x 512)."""
    latent = normed_embedding.reshape(1, -1).astype(np.float32) @ emap
    return (latent / np.linalg.norm(latent)).astype(np.float32)


def _load(path: str, role: str, kind: type, providers: list[str]) -> object:
    if not os.path.isfile(path):
        raise ModelFileError(f"{role} model {path} is missing")
    try:
        model = get_model(path, providers=providers, sess_options=session_options())
    except Exception as exc:  # onnx/onnxruntime raise many kinds for a broken file
        raise ModelFileError(f"{role} model {path} cannot be loaded: {type(exc).__name__}: {exc}") from None
    if not isinstance(model, kind):
        got = type(model).__name__ if model is not None else "an unrecognised model"
        raise ModelFileError(f"{role} model {path} has the wrong inputs or outputs: expected a "
                             f"{kind.__name__}, insightface sees {got}")
    return model


@dataclass
class InswapperSource:
    latent: np.ndarray  # 1 x 512, what the swapper takes
    embedding: np.ndarray  # unit ArcFace embedding


class InswapperStream:
    def __init__(self, engine: InswapperEngine) -> None:
        self.engine = engine
        self.tracker = (FaceTracker(engine.mp_faces, engine.max_faces, engine.detect_interval)
                        if engine.mp_faces is not None else None)
        # mediapipe's alignment: the frames turned so the face followed is the right way up (a
        # camera upside down), as the mesh engine's are; SCRFD's frames are taken as they come
        self.upright = (UprightFrames(self.tracker, engine.still.mesh)
                        if self.tracker is not None and engine.still is not None else None)
        self.assigner = SourceAssigner()
        self.occluder = make_occluder(engine.occlusion)
        self._boxes: dict[int, Box] = {}  # SCRFD: last box per face id
        self._next_id = 0

    def _faces(self, frame: np.ndarray, t: float) -> tuple[np.ndarray, list[FivePointFace]]:
        """The frame, turned where its face is read turned, and its faces (`t`: the frame's time, s)."""
        if self.upright is None:
            return frame, self._match(self.engine.scrfd_faces(frame))
        frame, tracked = self.upright.faces(frame, t)
        return frame, [FivePointFace(f.box, ft.keypoints5(f.points), f.track_id) for f in tracked]

    def _match(self, found: list[tuple[Box, np.ndarray]]) -> list[FivePointFace]:
        """SCRFD detects every frame and lists faces by score: give each the id of the previous
        frame's box it overlaps most, so the order of detection never decides who gets which source."""
        free = dict(self._boxes)
        faces = []
        for box, kps in found:
            best = max(free, key=lambda i: iou(free[i], box), default=None)
            if best is None or iou(free[best], box) < 0.3:
                best, self._next_id = self._next_id, self._next_id + 1
            else:
                del free[best]
            faces.append(FivePointFace(box, kps, best))
        self._boxes = {face.track_id: face.box for face in faces}
        return faces

    def swap(self, frame: np.ndarray, sources: list[SourceFace], taken_at: float | None = None) -> SwapResult:
        # the detector's boxes are matched frame to frame, not smoothed; the frame's time smooths a
        # turned frame's FaceMesh landmarks (upright) and the hands' (models/occlusion.py)
        t0 = time.perf_counter()
        bad = check_frame(frame)
        if bad:
            return SwapResult(frame, 0, 0, bad)
        timings: dict[str, float] = {}
        came = frame
        now = time.monotonic() if taken_at is None else taken_at
        beside = self._cpu_beside()
        if sources:
            self.occluder.look(frame, self._turn)  # the hand models read the frame beside the detector
        frame, faces = self._faces(frame, now)
        timings["detect"] = (time.perf_counter() - t0) * 1000
        if sources:
            t = time.perf_counter()
            # read again: the faces may have been read in the frame turned another way (upright)
            self.occluder.update(frame, [FaceView(f.track_id, f.box, f.kps) for f in faces], now, self._turn)
            timings["occlusion"] = (time.perf_counter() - t) * 1000

        def swap_one(out: np.ndarray, face: FivePointFace, source: Any) -> PixelBox | None:
            return self.engine.swap_face(out, face.kps, source, timings,
                                         lambda box: self.occluder.mask(box, face.track_id))

        result = swap_tracked(frame, sources, faces, self.assigner, swap_one, timings)
        if self.upright is not None:
            result = self.upright.turned_back(result, came)
        timings["total"] = (time.perf_counter() - t0) * 1000
        return replace(result, beside_cpu_ms=1000 * (self._cpu_beside() - beside))

    def _cpu_beside(self) -> float:
        """CPU seconds the stream's detector and hand models have taken on threads of their own."""
        return (0.0 if self.tracker is None else self.tracker.cpu_beside) + self.occluder.cpu_beside

    @property
    def _turn(self) -> int:
        """Degrees clockwise the stream's frames are turned to read their faces (upright_frames.py)."""
        return 0 if self.upright is None else self.upright.turn

    def close(self) -> None:
        if self.tracker is not None:
            self.tracker.close()
        self.occluder.close()


class InswapperEngine:
    name = "inswapper"

    def __init__(self, files: InswapperFiles, force_cpu: bool = False, max_faces: int = 4,
                 keep_mouth: bool = False, color_correction: bool = True, detect_interval: int = 10,
                 occlusion: str = "off") -> None:
        self.max_faces = max_faces
        self.occlusion = occlusion
        self.detect_interval = detect_interval
        self.providers = choose_providers(force_cpu)
        self.identity: ArcFaceONNX = _load(  # type: ignore[assignment]
            files.identity, "identity", ArcFaceONNX, self.providers)
        self.swapper: INSwapper = _load(files.swapper, "swapper", INSwapper, self.providers)  # type: ignore[assignment]
        self.scrfd = None
        self.mp_faces: FaceFinder | None = None
        self.still: StillMesher | None = None
        if files.detector:
            self.scrfd = _load(files.detector, "detector", object, self.providers)
            if not hasattr(self.scrfd, "detect"):
                raise ModelFileError(f"detector model {files.detector} is not a face detector")
            self.scrfd.prepare(0, input_size=(DET_SIZE, DET_SIZE), det_thresh=0.5)  # one size only
        else:
            self.mp_faces, self.still = FaceFinder(), StillMesher()
        # what onnxruntime actually runs, which is not what was asked for when CUDA fails to load
        self.provider = self.swapper.session.get_providers()[0]
        self.model_files = [p for p in (files.identity, files.swapper, files.detector) if p]
        self.paste = PasteBack(128, color_correction=color_correction, keep_mouth=keep_mouth)
        self._swapper_outputs = [o.name for o in self.swapper.session.get_outputs()]
        self._warm_up()
        log.info("inswapper engine: providers asked %s, running on %s; alignment by %s",
                 self.providers, self.provider, "SCRFD" if self.scrfd else "mediapipe landmarks")

    def _warm_up(self) -> None:
        # the first run of a session allocates and (on CUDA) compiles: do it now, not on frame one
        self.identity.get_feat(np.zeros((112, 112, 3), np.uint8))
        blank = np.zeros((1, 3, 128, 128), np.float32)
        latent = np.zeros((1, 512), np.float32)
        names = self.swapper.input_names
        self.swapper.session.run(self._swapper_outputs, {names[0]: blank, names[1]: latent})

    # -- faces in stills ------------------------------------------------------------------------
    def scrfd_faces(self, image: np.ndarray) -> list[tuple[Box, np.ndarray]]:
        assert self.scrfd is not None
        bboxes, kpss = self.scrfd.detect(image, max_num=self.max_faces, metric="default")
        return [(tuple(float(v) for v in b[:4]), k.astype(np.float32))
                for b, k in zip(bboxes, kpss, strict=True)]

    def _still_faces(self, image: np.ndarray, limit: int) -> list[tuple[DetectedFace, np.ndarray]]:
        if self.scrfd is not None:
            found = []
            for box, kps in self.scrfd_faces(image)[:limit]:
                mouth = (kps[3] + kps[4]) / 2
                kp4 = tuple((float(x), float(y)) for x, y in (*kps[:3], mouth))
                found.append((DetectedFace(box, 1.0, kp4), kps))
            return found
        return [(det, ft.keypoints5(pts)) for det, pts in self._meshed(image, limit)]

    def _meshed(self, image: np.ndarray, limit: int) -> list[tuple[DetectedFace, np.ndarray]]:
        """The faces mediapipe finds in `image` whose mesh it reads: each with its mesh."""
        assert self.mp_faces is not None and self.still is not None
        found = []
        for det in self.mp_faces.detect(image)[:limit]:
            pts = self.still.mesh(image, det.box)
            if pts is None:
                continue
            kp4 = tuple((float(x), float(y)) for x, y in ft.keypoints4(pts))
            found.append((DetectedFace(det.box, det.score, kp4), pts))
        return found

    def detect(self, image: np.ndarray, max_faces: int = 10) -> list[DetectedFace]:
        if check_frame(image, min_side=16):
            return []
        upright, turned, found = self._upright(image, None, max_faces)
        faces = [d for d, _ in found]
        if not turned:
            return faces
        h, w = upright.shape[:2]
        return [orientation.turn_face(d, -turned, w, h) for d in faces]

    def prepare_source(self, image: np.ndarray, near: tuple[float, float] | None = None) -> SourceFace:
        if check_frame(image, min_side=16):
            raise NoFaceError("No face detected")
        upright, turned, faces = self._upright(image, near, 10)
        if turned and near is not None:
            near = orientation.turn_point(near, turned, image.shape[1], image.shape[0])
        if not faces:
            raise NoFaceError("No face detected")
        det, kps = nearest_first(faces, near, lambda f: f[0].box)[0]
        embedding = self.identity.get(upright, Face(kps=kps))
        normed = embedding / np.linalg.norm(embedding)
        latent = identity_latent(normed, self.swapper.emap)
        h, w = upright.shape[:2]
        box = orientation.turn_box(det.box, -turned, w, h)  # in the photo as it came
        return SourceFace(self.name, box, InswapperSource(latent, normed))

    def _upright(self, image: np.ndarray, near: tuple[float, float] | None, limit: int
                 ) -> tuple[np.ndarray, int, list[tuple[DetectedFace, np.ndarray]]]:
        """The photo turned the right way up, by how many degrees clockwise, and its faces there
        (_still_faces), as the mesh engine reads it (models/orientation.py). Upside down, ArcFace was
        given the face aligned on its features read in the wrong places. Only where mediapipe
        aligns (no SCRFD file): its mesh says which way up a face is."""
        if self.still is None:
            return image, 0, self._still_faces(image, limit)
        h, w = image.shape[:2]
        seen: dict[int, list[tuple[DetectedFace, np.ndarray]]] = {}  # each way's faces, read once

        def find(photo: np.ndarray, degrees: int) -> orientation.Found | None:
            seen[degrees] = faces = self._meshed(photo, limit)
            if not faces:
                return None
            moved = None if near is None else orientation.turn_point(near, degrees, w, h)
            det, pts = nearest_first(faces, moved, lambda f: f[0].box)[0]
            return det.box, pts

        upright, _, turned = orientation.right_way_up(self.still.mesh, image, find(image, 0), find)
        return upright, turned, [(det, ft.keypoints5(pts)) for det, pts in seen[turned]]

    def combine_sources(self, faces: list[SourceFace]) -> SourceFace:
        """Several photos of one person: the mean of their identity embeddings, which averages out
        what one photo's pose and light put into it (as FaceFusion does with several sources)."""
        if len(faces) == 1:
            return faces[0]
        mean = np.mean([f.data.embedding for f in faces], axis=0)
        normed = mean / np.linalg.norm(mean)
        return SourceFace(self.name, faces[0].box,
                          InswapperSource(identity_latent(normed, self.swapper.emap), normed))

    # -- one face of a frame ------------------------------------------------------------------
    def swap_face(self, out: np.ndarray, kps: np.ndarray, source: InswapperSource, timings: dict[str, float],
                  occluded: Callable[[PixelBox], np.ndarray | None] | None = None) -> PixelBox | None:
        t = time.perf_counter()
        aligned, matrix = face_align.norm_crop2(out, kps, 128)
        blob = cv2.dnn.blobFromImage(aligned, 1.0 / 255.0, (128, 128), (0, 0, 0), swapRB=True)
        names = self.swapper.input_names
        feeds = {names[0]: blob, names[1]: source.latent}
        pred = self.swapper.session.run(self._swapper_outputs, feeds)[0]
        fake = np.clip(pred[0].transpose(1, 2, 0) * 255, 0, 255).astype(np.uint8)[:, :, ::-1]
        t2 = time.perf_counter()
        timings["swap"] = timings.get("swap", 0.0) + (t2 - t) * 1000
        done = self.paste.paste(out, np.ascontiguousarray(fake), aligned, matrix, occluded)
        timings["paste"] = timings.get("paste", 0.0) + (time.perf_counter() - t2) * 1000
        return done

    def open_stream(self) -> InswapperStream:
        return InswapperStream(self)

    def close(self) -> None:
        if self.mp_faces is not None:
            self.mp_faces.close()
        if self.still is not None:
            self.still.close()
