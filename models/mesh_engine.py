"""The embedded default engine: mediapipe face mesh + piecewise-affine texture swap, CPU only.

Per frame and face: landmarks (tracked, smoothed) -> one remap of the source's texture and alpha
onto the target's mesh -> LAB colour transfer into the target's skin tone -> feathered blend.
Everything per source (crop, mask, holes) is done once in prepare_source.
"""

from __future__ import annotations

import glob
import os
import time
from dataclasses import dataclass

import cv2
import mediapipe as mp
import numpy as np

from models import color
from models import face_topology as ft
from models.engine import (
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
from models.mask import face_alpha
from models.mediapipe_faces import FaceDetector, FaceTracker, StillMesher, TrackedFace
from models.occlusion import FaceView, hold_out, make_occluder
from models.warp import label_triangles, mesh_maps, remap

MESH_POINTS = 468  # the tessellated points; 468..477 are irises
SOURCE_FACE_WIDTH = 320  # px: larger sources are scaled down once, at upload


@dataclass(frozen=True)
class MeshSource:
    bgr: np.ndarray  # the source face's texture
    lab: np.ndarray  # the same in LAB, for per-frame colour transfer on this small image
    lab_stats: tuple[np.ndarray, np.ndarray]  # LAB mean and std inside the mask
    alpha: np.ndarray  # the swap mask, in texture pixels
    points: np.ndarray  # (468, 2) float32 in texture pixels
    triangles: np.ndarray  # (T, 3) the mesh triangles the mask leaves visible


def _timed(timings: dict[str, float], key: str, start: float) -> float:
    now = time.perf_counter()
    timings[key] = timings.get(key, 0.0) + (now - start) * 1000
    return now


class MeshStream:
    """Per-video-stream state: the face tracker and the face-to-source assignment."""

    def __init__(self, engine: MeshEngine) -> None:
        self.engine = engine
        self.tracker = FaceTracker(engine.detector, engine.max_faces, engine.detect_interval)
        self.assigner = SourceAssigner()
        self.occluder = make_occluder(engine.occlusion)

    def swap(self, frame: np.ndarray, sources: list[SourceFace]) -> SwapResult:
        t0 = time.perf_counter()
        bad = check_frame(frame)
        if bad:
            return SwapResult(frame, 0, 0, bad)
        timings: dict[str, float] = {}
        faces = self.tracker.update(frame)
        t = _timed(timings, "landmarks", t0)
        if sources:
            self.occluder.update(frame, [FaceView(f.track_id, f.box, ft.keypoints5(f.points)) for f in faces])
            _timed(timings, "occlusion", t)

        def swap_one(out: np.ndarray, face: TrackedFace, src: MeshSource) -> PixelBox | None:
            return self._swap_one(out, face, src, timings)

        result = swap_tracked(frame, sources, faces, self.assigner, swap_one, timings)
        _timed(timings, "total", t0)
        return result

    def _swap_one(self, out: np.ndarray, face: TrackedFace, src: MeshSource,
                  timings: dict[str, float]) -> PixelBox | None:
        t = time.perf_counter()
        h, w = out.shape[:2]
        dst = face.points[:MESH_POINTS]
        oval = dst[ft.face_oval()]
        x0, y0 = np.floor(oval.min(0)).astype(int) - 2
        x1, y1 = np.ceil(oval.max(0)).astype(int) + 2
        box = (max(0, x0), max(0, y0), min(w, x1), min(h, y1))
        if box[2] - box[0] < 4 or box[3] - box[1] < 4:
            return None
        map_x, map_y = mesh_maps(src.points, dst, src.triangles, box)
        alpha = hold_out(remap(src.alpha, map_x, map_y), self.occluder.mask(box, face.track_id))
        t = _timed(timings, "warp", t)

        region = out[box[1] : box[3], box[0] : box[2]]
        texture = src.bgr
        if self.engine.color_strength > 0:
            # Target statistics from every other pixel; the transfer itself runs on the small
            # source texture, which the same maps then warp: cost independent of face size.
            dst_stats = color.lab_stats(np.ascontiguousarray(region[::2, ::2]), color.core(alpha[::2, ::2]))
            if dst_stats is not None:
                lut = color.transfer_lut(src.lab_stats, dst_stats, self.engine.color_strength)
                texture = color.apply_lut(src.lab, lut)
        t = _timed(timings, "colour", t)

        face_bgr = remap(texture, map_x, map_y)
        t = _timed(timings, "warp", t)

        a = alpha.astype(np.float32) * (1.0 / 255.0)
        region[:] = cv2.blendLinear(face_bgr, region, a, 1.0 - a)
        _timed(timings, "blend", t)
        return box

    def close(self) -> None:
        self.tracker.close()
        self.occluder.close()


class MeshEngine:
    """mediapipe FaceMesh engine: works offline on any CPU, models ship inside the wheel."""

    name = "mesh"
    provider = "mediapipe-cpu"

    def __init__(self, max_faces: int = 4, detect_interval: int = 10, color_strength: float = 1.0,
                 occlusion: str = "off") -> None:
        self.max_faces = max_faces
        self.occlusion = occlusion
        self.detect_interval = detect_interval
        self.color_strength = color_strength
        self.detector = FaceDetector()
        self.still = StillMesher()
        root = os.path.dirname(mp.__file__)
        self.model_files = sorted(
            os.path.relpath(p, root)
            for p in glob.glob(os.path.join(root, "modules", "face_*", "*.tflite"))
            if "full_range" in p or "face_landmark_with_attention" in p or "short_range" in p
        )

    def detect(self, image: np.ndarray, max_faces: int = 10) -> list[DetectedFace]:
        if check_frame(image, min_side=16):
            return []
        faces = []
        for det in self.detector.detect(image)[:max_faces]:
            pts = self.still.mesh(image, det.box)
            if pts is None:
                faces.append(det)
                continue
            kp = tuple((float(x), float(y)) for x, y in ft.keypoints4(pts))
            faces.append(DetectedFace(det.box, det.score, kp))
        return faces

    def prepare_source(self, image: np.ndarray, near: tuple[float, float] | None = None) -> SourceFace:
        if check_frame(image, min_side=16):
            raise NoFaceError("No face detected")
        dets = self.detector.detect(image)
        if not dets:
            raise NoFaceError("No face detected")
        dets = nearest_first(dets, near, lambda d: d.box)
        pts = self.still.mesh(image, dets[0].box)
        if pts is None:
            raise NoFaceError("No face detected")
        return SourceFace(self.name, dets[0].box, _make_source(image, pts[:MESH_POINTS, :2]))

    def open_stream(self) -> MeshStream:
        return MeshStream(self)

    def close(self) -> None:
        self.detector.close()
        self.still.close()


def _make_source(image: np.ndarray, pts: np.ndarray) -> MeshSource:
    """Crop the face with a margin, scale it to a working size, draw its mask."""
    h, w = image.shape[:2]
    lo, hi = pts.min(0), pts.max(0)
    margin = (hi - lo) * 0.1 + 4
    x0, y0 = np.maximum(np.floor(lo - margin), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(hi + margin), [w, h]).astype(int)
    crop = image[y0:y1, x0:x1]
    local = pts - np.array([x0, y0], np.float32)
    scale = min(1.0, SOURCE_FACE_WIDTH / max(float(np.ptp(local[:, 0])), 1.0))
    if scale < 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        local = local * scale
    crop = np.ascontiguousarray(crop)
    alpha = face_alpha(crop.shape[:2], local)
    points = local.astype(np.float32)
    stats = color.lab_stats(crop, color.core(alpha))
    if stats is None:
        raise NoFaceError("No face detected")  # a mesh with no usable skin: too small to use
    lab = cv2.cvtColor(crop, cv2.COLOR_BGR2LAB)
    return MeshSource(crop, lab, stats, alpha, points, _visible_triangles(points, alpha))


def _visible_triangles(points: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Triangles with any visible alpha: the rest (eye and mouth interiors, the top of the
    forehead) would be rasterised every frame for nothing."""
    tris = ft.triangles()
    h, w = alpha.shape
    label = label_triangles(points[tris], (0, 0, w, h))
    peak = np.zeros(len(tris) + 1, np.uint8)
    np.maximum.at(peak, label.ravel(), alpha.ravel())
    return tris[peak[1:] > 2]
