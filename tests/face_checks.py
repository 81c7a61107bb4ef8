"""Measurements a person would make on a swap, shared by the tests.

A swap is judged in a canonical frame: the output face and both inputs are warped by their own
landmarks onto one reference mesh, then compared by grey-level correlation inside the face
(eyes and mouth excluded: the mouth stays the target's on purpose, and the eyes do for a photo
whose eyes are shut or with `MeshEngine(eyes=False)`).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from models import face_topology as ft
from models.beard import NOSE_BASE, NOSE_WINGS, FaceFrame
from models.color import largest_difference
from models.mask import cheek_rows, face_alpha
from models.mediapipe_faces import FaceDetector, StillMesher
from models.warp import warp
from tests.browser import ARTIFACTS

CANON = 160


class FaceMeasure:
    def __init__(self) -> None:
        self.detector = FaceDetector()
        self.still = StillMesher()

    def _mesh(self, image: np.ndarray) -> np.ndarray:
        faces = self.detector.detect(image)
        assert faces, "no face found in a test image"
        pts = self.still.mesh(image, faces[0].box)
        assert pts is not None, "no mesh on a test image's face"
        return pts

    def landmarks(self, image: np.ndarray) -> np.ndarray:
        return self._mesh(image)[:468, :2]

    def with_irises(self, image: np.ndarray) -> np.ndarray:
        """The 478 points: the mesh's 468, then both irises' centre and rim."""
        pts = self._mesh(image)
        assert len(pts) == 478, "no irises on a test image's face"
        return pts[:, :2]

    def close(self) -> None:
        self.detector.close()
        self.still.close()


def canonical_mesh(reference: np.ndarray) -> np.ndarray:
    p = reference - reference.min(0)
    return (p / p.max() * CANON * 0.9 + CANON * 0.05).astype(np.float32)


def align(image: np.ndarray, pts: np.ndarray, canon: np.ndarray) -> np.ndarray:
    return warp(image, pts, canon, ft.triangles(), (0, 0, CANON, CANON))


def correlation(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    ga = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY).astype(np.float32)[mask]
    gb = cv2.cvtColor(b, cv2.COLOR_BGR2GRAY).astype(np.float32)[mask]
    return float(np.corrcoef(ga, gb)[0, 1])


def identity_scores(
    measure: FaceMeasure, output: np.ndarray, target: np.ndarray, source: np.ndarray
) -> tuple[float, float]:
    """(corr(output, source), corr(output, target)) of the face, in a canonical frame.

    The output keeps the target's geometry, so it is aligned with the target's landmarks.
    """
    lt, ls = measure.landmarks(target), measure.landmarks(source)
    canon = canonical_mesh(lt)
    inner = face_alpha((CANON, CANON), canon, wide_openings=True, from_brows=False) > 230
    out_c, tgt_c, src_c = align(output, lt, canon), align(target, lt, canon), align(source, ls, canon)
    return correlation(out_c, src_c, inner), correlation(out_c, tgt_c, inner)


def outside_face(measure: FaceMeasure, image: np.ndarray, margin: float = 0.15) -> np.ndarray:
    """Boolean mask of pixels well outside every face oval of `image` (by its first face)."""
    pts = measure.landmarks(image)
    oval = np.round(pts[ft.face_oval()]).astype(np.int32)
    inside = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(inside, [oval], 255)
    grow = int(np.ptp(oval[:, 0]) * margin) * 2 + 1
    inside = cv2.dilate(inside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    return inside == 0


def assert_swapped(measure: FaceMeasure, output: np.ndarray, target: np.ndarray, source: np.ndarray,
                   identity_margin: float = 0.15, background_tol: float = 3.0) -> None:
    """What a user checks: the face looks like the source more than like the target, the face
    changed a lot, and the background did not (within `background_tol`, e.g. codec noise)."""
    assert output.shape == target.shape
    to_source, to_target = identity_scores(measure, output, target, source)
    assert to_source > to_target + identity_margin, (to_source, to_target)
    far = outside_face(measure, target)
    diff = np.abs(output.astype(int) - target.astype(int)).max(axis=2)  # the most changed channel
    background, face = diff[far].mean(), diff[~far].mean()
    assert background < background_tol, f"the background changed ({background:.1f})"
    assert face > max(5.0, 3 * background), f"the face hardly changed ({face:.1f})"


def play_all(engine: Any, frames: list[np.ndarray], source: Any) -> list[Any]:
    """Each frame's SwapResult from a fresh stream of `engine`, the frames 1/15 s apart whatever this
    machine's speed: the landmarks' smoothing depends on the time between frames, and on a real
    clock two runs differed in thousands of pixels."""
    stream = engine.open_stream()
    stream.clock = iter(np.arange(len(frames)) / 15).__next__
    try:
        return [stream.swap(frame, [source]) for frame in frames]
    finally:
        stream.close()


def play(engine: Any, frames: list[np.ndarray], source: Any) -> np.ndarray:
    """What a fresh stream of `engine` shows after `frames` (one face, swapped in the last; see
    play_all)."""
    result = play_all(engine, frames, source)[-1]
    assert result.faces_swapped == 1
    return result.image


def swap_once(engine: Any, frame: np.ndarray, sources: list[Any]) -> Any:
    """One frame through a fresh stream of `engine`."""
    stream = engine.open_stream()
    try:
        return stream.swap(frame, sources)
    finally:
        stream.close()


def lower_face_parts(image: np.ndarray, mesh: np.ndarray) -> dict[str, np.ndarray]:
    """bool masks over `image` of where to look on the face of `mesh`: "chin" under the lower lip
    between the mouth's corners, "lower" all of it below the nose's base, "upper" all above, and
    "cheeks" beside the nose between the eyes' lowest point and its tip (beard.py's skin)."""
    p = mesh[: ft.MESH_POINTS, :2]
    face = FaceFrame(image.shape[:2], p)
    oval = face.oval > 0
    left, right = sorted(face.across_of(i) for i in ft.MOUTH_CORNERS)
    below_nose = face.height < float(face.height_of(NOSE_BASE))
    chin = oval & (face.height < float(face.height_of(ft.LOWER_LIP_BOTTOM)))
    wings = sorted(face.across_of(i) for i in NOSE_WINGS)
    cheeks = oval & cheek_rows(face.height, p) & ((face.across < wings[0]) | (face.across > wings[1]))
    return {"chin": chin & (face.across > left) & (face.across < right), "lower": oval & below_nose,
            "upper": oval & ~below_nose, "cheeks": cheeks}


def changed_at_left_edge(frame: np.ndarray, swapped: np.ndarray, centre: tuple[float, float],
                         width: float) -> float:
    """The share of the part in view of a face `width` wide centred at `centre`, cut by the frame's
    left edge (from a third of its width above the centre to half below), that the swap changed by
    more than 20 levels in a channel."""
    x, y = centre
    inside = (slice(int(y - width / 3), int(y + width / 2)), slice(0, int(x + width / 2)))
    return float((largest_difference(swapped[inside], frame[inside]) > 20).mean())


def left_edge_tiles(frames: list[np.ndarray], swapped: list[np.ndarray], path: list[tuple[float, float]],
                    width: float, outs: list[float], picks: list[int]) -> dict[str, np.ndarray]:
    """For `save_sheet`: frames `picks` of a face at the frame's left edge and their swaps, the
    rows around the face and the frame's first 200 columns, named by how far out it was."""
    tiles = {}
    for i in picks:
        rows = slice(int(path[i][1] - 0.8 * width), int(path[i][1] + 0.8 * width))
        tiles[f"{outs[i]:.0%} out"] = frames[i][rows, :200]
        tiles[f"{outs[i]:.0%} swapped"] = swapped[i][rows, :200]
    return tiles


def save_sheet(name: str, tiles: dict[str, np.ndarray]) -> None:
    """`tiles` side by side, each labelled, saved to test-artifacts/`name` for a person to look at."""
    sheet = np.hstack(list(tiles.values()))
    x = 0
    for label, tile in tiles.items():
        cv2.putText(sheet, label, (x + 6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1)
        x += tile.shape[1]
    ARTIFACTS.mkdir(exist_ok=True)
    cv2.imwrite(str(ARTIFACTS / name), sheet)


def save_around(name: str, region: np.ndarray, margin: tuple[int, int], **images: np.ndarray) -> None:
    """`images` cut around `region` (bool), `margin` (rows, columns) px wider, enlarged twice and
    labelled by their names: a sheet saved to test-artifacts/`name`."""
    ys, xs = np.nonzero(region)
    (dy, dx) = margin
    box = (slice(max(0, ys.min() - dy), ys.max() + dy), slice(max(0, xs.min() - dx), xs.max() + dx))
    save_sheet(name, {label: cv2.resize(image[box], None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
                      for label, image in images.items()})
