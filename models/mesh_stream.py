"""The mesh engine's stream: each video frame's faces followed and swapped (MeshStream).

Per frame and face: the source's shape brought onto the target (models/shape.py), its texture and
mask warped onto the moved mesh by one remap each, its colour and light made the target's
(models/color.py, models/relight.py), its eyes given their colour and the target's gaze, what
stands in front of the face held out, then one blend. The engine (models/mesh_engine.py) holds the
settings and reads the photos; a photo's texture and masks are made once (models/mesh_source.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

import cv2
import numpy as np

from models import color, eye_colour, gaze, target_hair
from models import face_topology as ft
from models.beard import BeardWatch, find_beard
from models.engine import PixelBox, SourceAssigner, SourceFace, SwapResult, check_frame, swap_tracked
from models.glasses import GlassesVote, LensMemory, frames, in_box, look, score
from models.mask import (
    LIP_SEAM,
    MOUTH_LINE,
    TEMPLE_BLUR,
    Opening,
    cut_eyes,
    cut_mouth,
    eye_openings,
    forehead_agreement,
)
from models.mediapipe_faces import FaceTracker, TrackedFace
from models.mesh_source import MeshSource
from models.occlusion import FaceView, hold_out, make_occluder
from models.raster import INSIDE_ABOVE
from models.relight import COLOUR_AREA, HeldLight, LightMemory, relight
from models.seam import match_forehead_edge
from models.shadow_edge import Edge, EdgeMemory
from models.shape import reshape, ring_triangles, with_ring
from models.side_hair import hair_edges
from models.smoothing import SMOOTHINGS
from models.symmetry import evened_share, own_weight, side_light, side_share, spread
from models.upright_frames import UprightFrames
from models.warp import (
    believable_move,
    box_around,
    displacement,
    fold_edges,
    mesh_maps_many,
    mixed_remap,
    part_of,
    smooth_move,
    soften_folds,
)

if TYPE_CHECKING:
    from models.mesh_engine import MeshEngine

MESH_POINTS = ft.MESH_POINTS
_SPECK = np.ones((3, 3), np.uint8)
# How far past the mesh the mask's feather reaches, in face widths (models/mask.py: its edge is
# eroded by half a feather of 6% and blurred by a quarter; 4% past it the mask is under 1/255).
FEATHER_REACH = 0.04
EDGE_FADE = 0.015  # of the face's width: how far inside the mesh's own edge the mask reaches 0
MOVE_BLUR = 0.015  # of the face's width: the blur of the target's own pixels' move (warp.smooth_move)
# of the face's width: the farthest the target's own pixels are moved (warp.believable_move).
# Over bench.quality's 1020 frames, 99.9% of a frame's pixels moved under 0.073 face widths (the
# median frame); its farthest pixel, 0.16 (median) and 8.7 or more in 1% of frames: a few pixels
# at the mesh's thin edges, passed this reach in 42% of the frames
MOVE_REACH = 0.25


def _too_small(box: PixelBox) -> bool:
    """Whether a face's pixel box is too small to swap in: under 4 px, or empty (the face beyond
    the frame, where its clipped box comes out inverted)."""
    return box[2] - box[0] < 4 or box[3] - box[1] < 4


def _face_box(points: np.ndarray, w: int, h: int) -> PixelBox:
    """The pixel box a face's texture is written in: every mesh point (where a turned head's mesh
    folds, its far cheek lies outside the oval) and the mask's feather beyond them. A box around
    the oval alone cut the feather: a straight seam down a turned face's cheek."""
    pad = FEATHER_REACH * ft.face_width(points)
    return box_around(np.stack([points.min(0) - pad, points.max(0) + pad]), w, h)


def _timed(timings: dict[str, float], key: str, start: float) -> float:
    now = time.perf_counter()
    timings[key] = timings.get(key, 0.0) + (now - start) * 1000
    return now


def _layers(src: MeshSource, dst: np.ndarray) -> list[tuple[MeshSource, float]]:
    """The textures a frame's face is drawn from, with their weights: a turned source's mirrored
    texture, its own, or both (models/symmetry.py: own_weight)."""
    if src.own is None or src.turn is None:
        return [(src, 1.0)]
    far, share = src.turn
    k = own_weight(share, side_share(dst, far))
    if k >= 1.0:
        return [(src.own, 1.0)]
    if k <= 0.0:
        return [(src, 1.0)]
    return [(src.own, k), (src, 1.0 - k)]


def _mixed_points(weighted: list[tuple[np.ndarray, float]]) -> np.ndarray:
    if len(weighted) == 1:
        return weighted[0][0]
    return sum(p * np.float32(k) for p, k in weighted).astype(np.float32)


def _warped_masks(layers: list[tuple[MeshSource, float]], maps: list[tuple[np.ndarray, np.ndarray]],
                  weights: list[float], above: bool, temples: bool) -> list[np.ndarray]:
    """Each layer's mask, and with `above` and `temples` its forehead's and its temples' (as
    _warped), warped together: one remap of their channels at once took 0.16 ms over a 640x480
    face's box, one alone 0.125 (ad hoc, one core). Returned in that order."""
    planes = [[s.alpha, *([s.above] if above else []), *([s.temples] if temples else [])] for s, _ in layers]
    if len(planes[0]) == 1:
        return [mixed_remap([p[0] for p in planes], maps, weights)]
    # three channels padded to four: OpenCV's remap of four took less than of three (0.16 against 0.18 ms)
    stacked = [cv2.merge(p + p[:1] if len(p) == 3 else p) for p in planes]
    return list(cv2.split(mixed_remap(stacked, maps, weights))[: len(planes[0])])


def _wear(face: np.ndarray, photo: np.ndarray, lenses: np.ndarray) -> np.ndarray:
    """The swapped `face` with the dark glasses (`lenses`, uint8) in the photo's own colour and
    light (`photo`: its texture warped as `face` is, before the colour transfer and the relight):
    taken for skin, they came out a translucent brown over the target's eyes."""
    keep = lenses.astype(np.float32) * np.float32(1.0 / 255.0)
    return cv2.blendLinear(photo, face, keep, 1.0 - keep)


def _chroma_share(source: tuple[np.ndarray, np.ndarray], target: tuple[np.ndarray, np.ndarray]) -> float:
    """The target skin's chroma over the source skin's (lab_stats), at most 1: a greyscale frame's
    swap keeps no colour, its eyes neither (a brown iris went pink on a grey face)."""
    chroma = [float(np.hypot(*(stats[0][1:] - color.NEUTRAL))) for stats in (source, target)]
    return float(np.clip(chroma[1] / max(chroma[0], 1.0), 0.0, 1.0))


def _beard_cover(cover: np.ndarray, layers: list[tuple[MeshSource, float]],
                 maps: list[tuple[np.ndarray, np.ndarray]], weights: list[float],
                 occluded: np.ndarray | None) -> np.ndarray:
    """The chin's `cover` (beard.chin_cover) where the swap may show: not past what each texture
    holds of its photo (MeshSource.shown), nor over what stands in front of the face. Over a tight
    crop cut under the lips it raised the mask where the texture has no chin: a pale smear with a
    black dash (the crop's edge) on the held-out man with a goatee; and over a hand on his chin."""
    if any(s.shown is not None for s, _ in layers):
        texture = [np.full(s.alpha.shape, 255, np.uint8) if s.shown is None else s.shown for s, _ in layers]
        cover = cv2.min(cover, mixed_remap(texture, maps, weights))
    return hold_out(cover, occluded)


def _without_eyes(alpha: np.ndarray, openings: list[Opening] | None) -> np.ndarray:
    """`alpha` less the source's eyes' `openings` (if they are kept): the colour and the light are
    the skin's, and an eye's white and iris are not skin."""
    return alpha if openings is None else cut_eyes(alpha.copy(), openings, 1.0)


def _skin(alpha: np.ndarray, openings: list[Opening] | None, hair: np.ndarray | None) -> np.ndarray:
    """The swap mask where the target's skin is: without the eyes (_without_eyes) or the beard
    (`hair`, bool: beard.facial_hair)."""
    skin = _without_eyes(alpha, openings)
    if hair is None or not hair.any():
        return skin
    skin = skin.copy() if skin is alpha else skin
    skin[hair] = 0
    return skin


class _Placed(NamedTuple):
    """Where a frame's face is drawn: the box of the pixels changed, the box the texture goes in,
    each layer's sampling maps over it, what stands in front of the face there, and the face's
    mesh after the source's shape moved it."""

    changed: PixelBox
    box: PixelBox
    maps: list[tuple[np.ndarray, np.ndarray]]
    occluded: np.ndarray | None
    moved: np.ndarray


class MeshStream:
    """Per-video-stream state: the face tracker and the face-to-source assignment."""

    def __init__(self, engine: MeshEngine) -> None:
        self.engine = engine
        self.tracker = FaceTracker(engine.faces, engine.max_faces, engine.detect_interval,
                                   SMOOTHINGS[engine.smoothing])
        self.assigner = SourceAssigner()
        self.occluder = make_occluder(engine.occlusion)
        self.glasses = GlassesVote() if engine.glasses else None
        self.beards = BeardWatch() if engine.beards else None
        self.lens_memory = LensMemory()
        self.edge_memory = EdgeMemory()
        self.light_memory = LightMemory()
        self.hair_watch = target_hair.HairWatch() if engine.target_hair else None
        # the frames turned so the face followed is the right way up (a camera upside down)
        self.upright = UprightFrames(self.tracker, engine.still.mesh if engine.upright_frames else None)
        # when each frame was taken, in seconds: the landmarks' smoothing depends on it (a
        # benchmark sets a clock of its own, so its figures do not depend on the machine's speed)
        self.clock: Callable[[], float] = time.monotonic

    def swap(self, frame: np.ndarray, sources: list[SourceFace], taken_at: float | None = None) -> SwapResult:
        t0 = time.perf_counter()
        bad = check_frame(frame)
        if bad:
            return SwapResult(frame, 0, 0, bad)
        timings: dict[str, float] = {}
        came = frame
        now = self.clock() if taken_at is None else taken_at
        beside = self._cpu_beside()
        if sources:
            # the hand models read the frame beside the face's landmarks (models/occlusion.py)
            self.occluder.look(frame, self.upright.turn)
        frame, faces = self.upright.faces(frame, now)
        t = _timed(timings, "landmarks", t0)
        if sources:
            # the hands smoothed by the frames' times, as the faces are: by the wall clock, a
            # loaded machine's late frames were smoothed less, and a still hand's edge flickered
            self.occluder.update(frame, [FaceView(f.track_id, f.box, ft.keypoints5(f.points)) for f in faces],
                                 now, self.upright.turn)
            followed = {f.track_id for f in faces}
            if self.glasses is not None:
                self.glasses.keep_only(followed)
                self.lens_memory.keep_only(followed)
            self.edge_memory.keep_only(followed)
            self.light_memory.keep_only(followed)
            if self.beards is not None:
                self.beards.keep_only(followed)
            if self.hair_watch is not None:
                self.hair_watch.keep_only(followed)
            _timed(timings, "occlusion", t)

        def swap_one(out: np.ndarray, face: TrackedFace, src: MeshSource) -> PixelBox | None:
            return self._swap_one(out, face, src, timings)

        result = swap_tracked(frame, sources, faces, self.assigner, swap_one, timings)
        result = self.upright.turned_back(result, came)
        _timed(timings, "total", t0)
        return replace(result, beside_cpu_ms=1000 * (self._cpu_beside() - beside))

    def _cpu_beside(self) -> float:
        """CPU seconds the stream's detector and hand models have taken on threads of their own."""
        return self.tracker.cpu_beside + self.occluder.cpu_beside

    def _swap_one(self, out: np.ndarray, face: TrackedFace, src: MeshSource,
                  timings: dict[str, float]) -> PixelBox | None:
        t = time.perf_counter()
        glasses = self._glasses(out, face)  # counted with what else stands in front of the face
        t = _timed(timings, "occlusion", t)
        h, w = out.shape[:2]
        dst = face.points[:MESH_POINTS]
        face_w = ft.face_width(dst)
        box = _face_box(dst, w, h)
        if _too_small(box):
            return None
        layers = _layers(src, dst)
        unmoved = self._hair_look(out, face.track_id, dst)
        t = _timed(timings, "occlusion", t)
        placed = self._placed(out, face, src, layers, glasses, box)
        if placed is None:
            return None
        t = _timed(timings, "shape", t)
        changed, box, maps, occluded, moved = placed
        region = out[box[1] : box[3], box[0] : box[2]]
        weights = [k for _, k in layers]
        alpha, above, side, eyes, openings = self._mask(src, layers, maps, box, moved, dst, occluded)
        t = _timed(timings, "warp", t)

        # the target's beard is no skin: left out of what the swap's colour and light are taken from
        local = moved[:MESH_POINTS] - np.float32(box[:2])  # the swap's mesh in the box
        beard = None
        if self.beards is not None and self.beards.due(face.track_id):
            beard = find_beard(region, local, self.beards.share(face.track_id))
            self.beards.update(face.track_id, beard is not None)
        hair = None if beard is None else beard.hair
        t = _timed(timings, "colour", t)
        if self.hair_watch is not None:
            alpha = _hold_hair(self.hair_watch, alpha, face.track_id, unmoved, moved, box, beard is None)
            t = _timed(timings, "occlusion", t)
        # nor are dark glasses the swap wears: they keep their own colour and light (_wear)
        lenses = None
        if any(s.lenses is not None for s, _ in layers):
            worn = [np.zeros_like(s.alpha) if s.lenses is None else s.lenses for s, _ in layers]
            lenses = mixed_remap(worn, maps, weights)
            hair = lenses > 127 if hair is None else hair | (lenses > 127)
        textures, in_lab, colourful = self._coloured(src, layers, region, box, alpha, openings, hair)
        t = _timed(timings, "colour", t)

        warped = mixed_remap(textures, maps, weights)
        if self.engine.coverage:
            warped = color.despeck(warped, in_lab)
        if self.engine.soft_folds:
            # every layer's maps cover the same triangles; its texture's pixels to the box's
            step = ft.face_width(layers[0][0].points) / max(face_w, 1.0)
            warped = soften_folds(warped, fold_edges(*maps[0], step), maps[0][0])
        relit = self.engine.relight or src.grey
        if in_lab and not relit:
            warped, in_lab = cv2.cvtColor(warped, cv2.COLOR_LAB2BGR), False
        t = _timed(timings, "warp", t)
        if above is not None:
            # before the light is fitted: its fit covers only what the swap shows (a source's
            # fringe, held out here, darkened the whole face's fit)
            alpha = forehead_agreement(alpha, above, warped, region, face_w, lab=in_lab)
            t = _timed(timings, "forehead", t)
        face_bgr = warped
        if relit:
            held = self.light_memory.of(face.track_id, id(src), local) if self.engine.hold_light else None
            offset = None
            if self.engine.target_light:
                offset = self._side_light(face.track_id, layers, dst, region, local, held)
            face_bgr = self._relit(src, layers, warped, region, _skin(alpha, openings, hair), face.track_id,
                                   face_w, offset, in_lab, held)
            t = _timed(timings, "relight", t)
        if lenses is not None:
            face_bgr = _wear(face_bgr, mixed_remap([s.bgr for s, _ in layers], maps, weights), lenses)
        if eyes is not None:
            self._eyes(src, layers, maps, face_bgr, region, eyes, face.points, colourful)
            t = _timed(timings, "eyes", t)
        if above is not None and self.engine.forehead_edge:
            # where the swap's forehead meets the target's (models/seam.py)
            face_bgr = match_forehead_edge(face_bgr, region, alpha, above, face_w)
            t = _timed(timings, "forehead", t)
        if side is not None:
            # after the light is fitted: a side-lit source's dark half disagreed with the target
            # before it (bench.quality: side-lit retrieval 96% -> 92%)
            alpha = forehead_agreement(alpha, side, face_bgr, region, face_w, TEMPLE_BLUR)
            t = _timed(timings, "forehead", t)

        if beard is not None and beard.cover is not None:
            # the mask fades out over the chin: where the target's beard lay in the fade, its grey
            # ghost showed through the swap's chin
            alpha = cv2.max(alpha, _beard_cover(beard.cover, layers, maps, weights, occluded))
        a = alpha.astype(np.float32) * (1.0 / 255.0)
        region[:] = cv2.blendLinear(face_bgr, region, a, 1.0 - a)
        _timed(timings, "blend", t)
        return changed

    def _hair_look(self, out: np.ndarray, track_id: int, dst: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray] | None:
        """The face and what lies past its outline, as the frame came, with its mesh there, where the
        track's hair is due a look (models/target_hair.py): in the frame moved to the swap's mesh, a
        look found hair on Hanks' dark cheek, where there is none (bench.quality, `t1-6`'s turned
        form onto him)."""
        if self.hair_watch is None or not self.hair_watch.due(track_id):
            return None
        h, w = out.shape[:2]
        ring = box_around(with_ring(dst), w, h)
        return out[ring[1] : ring[3], ring[0] : ring[2]].copy(), dst - np.float32(ring[:2])

    def _placed(self, out: np.ndarray, face: TrackedFace, src: MeshSource,
                layers: list[tuple[MeshSource, float]], glasses: tuple[np.ndarray, PixelBox] | None,
                box: PixelBox) -> _Placed | None:
        """Where the face is drawn, the target's own pixels first moved to the source's shape
        (with the outline: _reshape_with_outline); None, with nothing moved, where the moved face
        lies beyond the frame."""
        dst = face.points[:MESH_POINTS]
        if self.engine.shape > 0 and self.engine.outline > 0:
            return self._reshape_with_outline(out, face, layers, glasses)
        if self.engine.shape <= 0:
            _, occluded = self._in_front(box, face.track_id, glasses)
            maps = mesh_maps_many([s.points for s, _ in layers], dst, src.triangles, box, depth=face.depth)
            return _Placed(box, box, maps, occluded, dst)
        # The target's face takes the source's shape: its pixels move to the new mesh first (not
        # what stands in front of it: a hand stays where it is). One rasterisation of the new mesh
        # serves both this warp and the texture's.
        moved = _mixed_points(
            [(self._reshape(s, dst, s.shape_weights), k) for s, k in layers])
        *maps, (back_x, back_y) = mesh_maps_many([s.points for s, _ in layers] + [dst], moved,
                                                 src.triangles, box, depth=face.depth)
        face_w = ft.face_width(dst)
        moving = believable_move(back_x, *displacement(back_x, back_y, box[:2]), MOVE_REACH * face_w)
        hand, occluded = self._in_front(box, face.track_id, glasses, (back_x, back_y), moving)
        self._move_target(out, box, back_x, back_y, hand, moving)
        return _Placed(box, box, maps, occluded, moved)

    def _mask(self, src: MeshSource, layers: list[tuple[MeshSource, float]],
              maps: list[tuple[np.ndarray, np.ndarray]], box: PixelBox, moved: np.ndarray, dst: np.ndarray,
              occluded: np.ndarray | None
              ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None,
                         list[Opening] | None]:
        """The swap's mask over `box` (uint8): the layers' masks warped, their specks and the
        mesh's own edge taken off, what stands in front held out, the target's mouth and the eyes'
        openings cut. With it, the forehead's and the temples' held masks (None where the photo
        has none), and the swap's mesh in the box and its eyes' openings where the source's
        textures bring their eyes (models/gaze.py; else None)."""
        face_w = ft.face_width(dst)
        weights = [k for _, k in layers]
        alpha, *held = _warped_masks(layers, maps, weights, src.above is not None, src.temples is not None)
        above = held.pop(0) if src.above is not None else None
        side = held.pop(0) if src.temples is not None else None
        if self.engine.coverage:
            alpha = cv2.morphologyEx(cv2.morphologyEx(alpha, cv2.MORPH_OPEN, _SPECK), cv2.MORPH_CLOSE, _SPECK)
            # every layer's maps cover the same triangles
            alpha = _fade_at_mesh_edge(alpha, maps[0][0], face_w)
        alpha = hold_out(alpha, occluded)
        if self.engine.openings == "exact":
            seam = LIP_SEAM if self.engine.lip_seam and not any(s.teeth for s, _ in layers) else MOUTH_LINE
            alpha = cut_mouth(alpha, moved - np.float32(box[:2]), seam)
        eyes = openings = None
        if all(s.irises is not None for s, _ in layers):
            eyes = moved[:MESH_POINTS] - np.float32(box[:2])
            openings = eye_openings(alpha.shape, eyes)
            alpha = cut_eyes(alpha, openings, gaze.shut_share(dst))
        return alpha, above, side, eyes, openings

    def _coloured(self, src: MeshSource, layers: list[tuple[MeshSource, float]], region: np.ndarray,
                  box: PixelBox, alpha: np.ndarray, openings: list[Opening] | None, hair: np.ndarray | None
                  ) -> tuple[list[np.ndarray], bool, float]:
        """The layers' textures with their colour moved to the target's skin over `region` (the
        swap's mask `alpha` less the eyes' `openings` and a beard's or lenses' `hair`: _skin), in
        LAB, and left there for the relight, which works in LAB: converted to BGR once, after it (two
        conversions a frame fewer, 0.4 ms). Returned with whether they are in LAB, and how much of
        its own colour the source's eyes keep (eye_colour.own_colour)."""
        textures = [s.bgr for s, _ in layers]
        if self.engine.color_strength <= 0:
            return textures, False, 1.0
        # Target statistics from every other pixel; the transfer itself runs on the small source
        # texture, which the same maps then warp: cost independent of face size. The pixels are the
        # frame's even ones, whatever the box: the same face, the same figures.
        even = (slice(box[1] % 2, None, 2), slice(box[0] % 2, None, 2))
        skin = _skin(alpha, openings, hair)
        dst_stats = color.lab_stats(np.ascontiguousarray(region[even]), color.core(skin[even]))
        if dst_stats is None:
            return textures, False, 1.0
        strength, exposure = self.engine.color_strength, self.engine.exposure
        textures = [cv2.LUT(s.lab, color.transfer_lut(s.lab_stats, dst_stats, strength, exposure))
                    for s, _ in layers]
        return textures, True, _chroma_share(src.lab_stats, dst_stats)

    def _side_light(self, track_id: int, layers: list[tuple[MeshSource, float]], dst: np.ndarray,
                    region: np.ndarray, local: np.ndarray, held: HeldLight | None) -> np.ndarray | None:
        """The frame's own light between the face's halves, read at each point of the swap's mesh
        `local` (float32 over `region`), to put back where the photo's light was made even between
        its halves (symmetry.even_light), for a target seen from the front; None where there is
        none to put back. A shadow down the target's nose is sharper than the relight's surfaces;
        on a turned target its halves differ by its face as much as by its light, and the swap took
        its likeness (bench.quality, read on every target: turned 67% -> 56%). With `held` (the
        track's light, relight.LightMemory) it is read where the light is fitted and held
        between."""
        # the photo's share is set at upload; the target's (a few hundred triangles' areas) only
        # when the photo's is not nil
        share = sum(k * s.evened for s, k in layers)
        share = share * evened_share(dst) if share > 0 else 0.0
        if self.engine.shadow_edges and track_id in self.edge_memory.kept:
            # a hard shadow's edge is followed on this face: the difference between its halves is
            # that edge's, put on by the relight; read here as well, the swap's shadow went 11
            # levels deeper than the frame's (tests/test_mesh_quality.py, beside the nose)
            share = 0.0
        if held is not None and held.due:
            held.side = None  # read again below where it is put on, or held no longer
        if share <= 0:
            return None
        values = side_light(region, local) if held is None or held.side is None else held.side
        if held is not None:
            held.side = values
        return spread(values * share, local, (region.shape[1], region.shape[0]))

    def _relit(self, src: MeshSource, layers: list[tuple[MeshSource, float]], warped: np.ndarray,
               region: np.ndarray, skin: np.ndarray, track_id: int, face_w: float, offset: np.ndarray | None,
               lab: bool, held: HeldLight | None) -> np.ndarray:
        """The warped face (BGR, or LAB with `lab`) lit by the target's light over `region`, as the
        engine's settings say (models/relight.py), in BGR; a hard shadow's edge on the target
        followed on the swap (models/shadow_edge.py) where the photo has none of its own; with
        `held` (the track's, relight.LightMemory.of), the light held between fits."""
        engine = self.engine
        area = COLOUR_AREA * face_w if engine.colour_area else None
        edges = None
        if engine.shadow_edges and not any(s.own_edge for s, _ in layers) and self.edge_memory.due(track_id):
            def edges(found: Edge | None) -> Edge | None:
                return self.edge_memory.follow(track_id, found)
        return relight(warped, region, skin, engine.relight, src.grey, engine.relight_colour,
                       engine.highlights, engine.colour_degree, area, face_w if engine.shading else None,
                       face_w if engine.grain else None, engine.colour_lightness, offset,
                       engine.shadow_colour, edges, lab=lab, held=held)

    def _eyes(self, src: MeshSource, layers: list[tuple[MeshSource, float]],
              maps: list[tuple[np.ndarray, np.ndarray]], face_bgr: np.ndarray, region: np.ndarray,
              eyes: np.ndarray, points: np.ndarray, colourful: float) -> None:
        """The source's eyes in `face_bgr` (relit, in place; on the swap's mesh `eyes`) given their
        colour (models/eye_colour.py) and the target's gaze (models/gaze.py; the target's mesh
        `points`), from the target's own eyes in `region`, moved with its face (_move_target)."""
        weights = [k for _, k in layers]
        seen = eye_colour.target_eyes(region, eyes)
        if src.grey:
            if seen is not None:
                eye_colour.colour_as_target(face_bgr, eyes, *seen)
        else:
            skin_ab = sum(k * s.lab_stats[0][1:] for s, k in layers) if self.engine.eye_hue else None
            eye_colour.own_colour(face_bgr, [s.bgr for s, _ in layers], maps, weights, eyes,
                                  None if seen is None else seen[1], colourful, skin_ab)
        gaze.follow(face_bgr, points, eyes, [(s.points, s.irises, k) for s, k in layers])

    def _glasses(self, frame: np.ndarray, face: TrackedFace) -> tuple[np.ndarray, PixelBox] | None:
        """The target's glasses in this frame (their strength and its box), where its track is
        judged to wear them."""
        vote = self.glasses
        if vote is None:
            return None
        found = None
        if vote.due(face.track_id):
            found = look(frame, face.points[:MESH_POINTS])
            wearing = vote.update(face.track_id, 0.0 if found is None else score(found))
        else:
            wearing = vote.wears(face.track_id)
            if wearing:
                found = look(frame, face.points[:MESH_POINTS])
        if not wearing or found is None:
            return None
        held = frames(found, self.lens_memory.follow(face.track_id, [*found.lenses, found.bridge]))
        return None if held is None else (held, found.box)

    def _in_front(self, box: PixelBox, track_id: int, glasses: tuple[np.ndarray, PixelBox] | None,
                  back: tuple[np.ndarray, np.ndarray] | None = None, moving: np.ndarray | None = None
                  ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """What stands in front of the face over `box` (uint8, or None where nothing does): the
        occluder's find alone, and with the target's glasses. A hand stays where it is; glasses
        sit on the face, and with `back` (the maps its pixels move by to take the source's shape,
        where `moving` is set; everywhere without it) they move with it, as the frame's own rims
        do. Left where they were, the rims the move carried showed beside them, a second pair."""
        hand = self.occluder.mask(box, track_id)
        held = None if glasses is None else in_box(*glasses, box)
        if held is not None and back is not None:
            origin = np.float32(box[0]), np.float32(box[1])
            carried = cv2.remap(held, back[0] - origin[0], back[1] - origin[1], cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            held = carried if moving is None else np.where(moving, carried, held)
        if held is None or hand is None:
            return hand, hand if held is None else held
        return hand, np.maximum(hand, held)

    def _move_target(self, out: np.ndarray, box: PixelBox, back_x: np.ndarray, back_y: np.ndarray,
                     occluded: np.ndarray | None, moving: np.ndarray | None = None) -> None:
        """The target's pixels in `box` moved along the back maps, where `moving` is set (all of
        the box without it); what stands in front of the face (`occluded`) stays where it is."""
        warped = cv2.remap(out, back_x, back_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        region = out[box[1] : box[3], box[0] : box[2]]
        if moving is None and occluded is None:
            region[:] = warped
            return
        keep = moving if moving is not None else np.ones(back_x.shape, bool)
        if occluded is not None:
            keep = keep & (occluded < 128)
        # in place; numpy's masked copy took 2.1 ms on a 300 x 300 box, this 0.03
        cv2.copyTo(warped, keep.view(np.uint8), region)

    def _reshape(self, src: MeshSource, dst: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """`dst` moved toward the source's shape (models/shape.py) as the fit takes it: a mirrored
        source's read from its photo's 3D mesh turned to the front (MeshSource.shape), with its
        depth where the engine takes that in (MeshEngine.shape_depth)."""
        front = self.engine.shape_from_front and src.shape is not None
        # a mirrored texture's own points are its symmetric layout, whose depth was never read
        depth = src.depth if self.engine.shape_depth and (front or src.shape is None) else None
        return reshape(src.shape if front else src.points, dst, weights, self.engine.shape, src.carry,
                       self.engine.jaw, depth)

    def _reshape_with_outline(
        self, out: np.ndarray, face: TrackedFace, layers: list[tuple[MeshSource, float]],
        glasses: tuple[np.ndarray, PixelBox] | None,
    ) -> _Placed | None:
        """The source's shape, outline included (models/shape.py): the target's pixels between the
        outline and a fixed ring outside it are stretched or squeezed to follow, so the background
        never tears. Returns the box of changed pixels, the box the face's texture goes in, each
        layer's sampling maps over it, what stands in front of the face there and the face's mesh
        after the move; None, with nothing moved, where the moved face lies beyond the frame."""
        h, w = out.shape[:2]
        dst = face.points[:MESH_POINTS]
        ring_dst = with_ring(dst)
        moved = _mixed_points([(self._reshape(s, dst, np.maximum(s.shape_weights, self.engine.outline)), k)
                               for s, k in layers])
        moved = np.concatenate([moved, ring_dst[MESH_POINTS:]])
        # the texture goes where the moved face is (_face_box). On a turned head the far cheek's
        # points lie outside the oval, nearly at the ring, and the source's wider cheek took
        # them past it: a box around the ring alone cut the face there in a straight line
        # (bench.quality --faces social, s4-2 onto s5-2). Beyond the ring the target's pixels
        # do not move (within, below)
        inner = _face_box(moved[:MESH_POINTS], w, h)
        if _too_small(inner):
            # a face nearly all out of the frame (followed by its motion, edge_hold.py), moved to
            # a wider source's shape: its box was empty, a slice of it wrapped round to the far
            # side, and the frame failed
            return None
        ring_box = box_around(ring_dst, w, h)
        outer = (min(inner[0], ring_box[0]), min(inner[1], ring_box[1]),
                 max(inner[2], ring_box[2]), max(inner[3], ring_box[3]))
        tris = np.concatenate([layers[0][0].triangles, ring_triangles()])
        # the target's own pixels' move is blurred (smooth_move): its maps are taken once per 2 x 2
        # cell, a quarter of their work
        *maps, (back_x, back_y) = mesh_maps_many([with_ring(s.points) for s, _ in layers] + [ring_dst],
                                                 moved, tris, outer, depth=face.depth, halved=(len(layers),),
                                                 within=inner)
        # beyond the ring the maps are extrapolated (no longer the identity): leave it be
        within = np.zeros(back_x.shape, np.uint8)
        # the ring in cells (a cell's centre is at 2 c + 0.5 px), to a sixteenth of one
        cells = (ring_dst[MESH_POINTS:] - np.float32(outer[:2]) - np.float32(0.5)) * np.float32(8)
        cv2.fillPoly(within, [np.round(cells).astype(np.int32)], 1, cv2.LINE_8, 4)
        face_w = ft.face_width(dst)
        dx, dy = displacement(back_x, back_y, outer[:2], cell=2)
        cv2.bitwise_and(within, believable_move(back_x, dx, dy, MOVE_REACH * face_w).view(np.uint8), within)
        size = (outer[2] - outer[0], outer[3] - outer[1])
        back_x, back_y = smooth_move(dx, dy, outer[:2], within, MOVE_BLUR * face_w, size)
        hand, occluded = self._in_front(outer, face.track_id, glasses, (back_x, back_y))
        self._move_target(out, outer, back_x, back_y, hand)
        # the texture only where the moved face is (about 70% of the ring's box)
        return _Placed(outer, inner, maps, None if occluded is None else occluded[part_of(outer, inner)],
                       moved[:MESH_POINTS])

    def close(self) -> None:
        self.tracker.close()
        self.occluder.close()


def _hold_hair(watch: target_hair.HairWatch, alpha: np.ndarray, track_id: int,
               unmoved: tuple[np.ndarray, np.ndarray] | None, moved: np.ndarray, box: PixelBox,
               below_mouth: bool) -> np.ndarray:
    """`alpha` with the target's own hair over its cheeks held out, in front of the swap: looked for
    in `unmoved` (MeshStream._hair_look) where it is due, its cut drawn on the swap's mesh `moved`,
    where the target's pixels now are. Without `below_mouth` (a bearded face) only down to the
    mouth's corners. `watch` keeps each track's edges and cut."""
    if unmoved is not None:
        watch.update(track_id, hair_edges(*unmoved, below_mouth=below_mouth))
        drawn = target_hair.draw(watch.edges(track_id), moved, box)
        if drawn is None:
            watch.cuts.pop(track_id, None)
        else:
            watch.cuts[track_id] = drawn
    drawn = watch.cuts.get(track_id)
    return alpha if drawn is None else hold_out(alpha, target_hair.follow(drawn, moved, box))


def _fade_at_mesh_edge(alpha: np.ndarray, map_x: np.ndarray, face_w: float) -> np.ndarray:
    """`alpha` faded out toward the edge of the target's mesh (a face `face_w` px wide). On a
    frontal face the mask has faded long before it; on a turned one the far cheek's edge is where
    the mesh folds, the source's cheek arrives there at full strength, and the swap ended in a
    hard, jagged line against the background (and notches in that edge, which the mask's closing
    filled, took the texture's black)."""
    reach = max(1, round(EDGE_FADE * face_w))
    inside = cv2.compare(map_x, INSIDE_ABOVE, cv2.CMP_GT)
    square = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    inside = cv2.erode(inside, square, borderType=cv2.BORDER_REPLICATE)
    # a box filter as wide as the erosion: a linear ramp that reaches 0 at the mesh's edge
    inside = cv2.blur(inside, (2 * reach + 1, 2 * reach + 1), borderType=cv2.BORDER_REPLICATE)
    return cv2.multiply(alpha, inside, scale=1.0 / 255.0)
