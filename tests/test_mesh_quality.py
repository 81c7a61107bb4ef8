"""The mesh engine on sources nobody tuned it to: side light, tight greyscale crops, turned faces;
real faces, real mediapipe models. Each test names the failure it guards against; the judge is a
separate FaceMesh (tests/face_checks.py), never the engine's own landmarks. Identity figures over
every face the wheels carry come from bench.quality (dlib), not from here."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import cv2
import numpy as np
import pytest

from bench.quality import LIGHTS, shadowed, source_form, target_clip
from bench.realism import (
    WHITE,
    greyed_share,
    harsh_share,
    off_colour_share,
    patchy_share,
    straight_cut,
    stray_pixels,
    tone_shift,
)
from models import face_topology as ft
from models import symmetry
from models.beard import FaceFrame
from models.color import largest_difference
from models.engine import SourceFace
from models.mask import edge_intrusions, face_alpha
from models.mediapipe_faces import FaceFinder, FaceTracker
from models.mesh_engine import MeshEngine
from models.mesh_source import MeshSource
from models.orientation import turn, turn_box
from models.select import load_engine
from models.shape import (
    OUTLINE,
    fit_affine,
    mouth_opening,
    reshape,
    rigid_groups,
    shape_weights,
    with_mouth_of,
    with_ring,
)
from models.warp import doubled_areas
from testing.faces import (
    ASTRONAUT_BOX,
    ASTRONAUT_DLIB_BOX,
    LENA_DLIB_BOX,
    T1_DLIB_BOXES,
    T1_FACE_BOXES,
    crop_face,
    faces,
    hanks,
    place,
    turned,
    video,
)
from testing.images import grainy, recompressed
from tests.browser import ARTIFACTS
from tests.face_checks import lower_face_parts, play, play_all, save_around, save_sheet

T = TypeVar("T")

pytestmark = [pytest.mark.slow, pytest.mark.parallel]


@pytest.fixture(scope="module")
def target(t1_face):
    """An evenly lit man, frontal, at webcam size."""
    return place(t1_face, (640, 480), 1.6)


def inside_outline(shape: tuple[int, int], mesh: np.ndarray, inset: int) -> np.ndarray:
    """bool: the pixels inside the mesh's outline, `inset` px in."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(mesh[ft.face_oval()]).astype(np.int32)], 255)
    return cv2.erode(mask, np.ones((inset, inset), np.uint8)) > 0


def face_and_thirds(image: np.ndarray, measure, inset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The face in `image` inside its outline (`inset` px in), and its left and right thirds."""
    mesh = measure.landmarks(image)
    oval = mesh[ft.face_oval()]
    inner = inside_outline(image.shape[:2], mesh, inset)
    x0, x1 = oval[:, 0].min(), oval[:, 0].max()
    cols = np.arange(image.shape[1])[None, :]
    third = 0.4 * (x1 - x0)
    return inner, inner & (cols < x0 + third), inner & (cols > x1 - third)


@pytest.fixture(scope="module")
def inner_face(target, measure):
    """The target's face inside its outline (25 px in), and its left and right thirds."""
    return face_and_thirds(target, measure, 25)


@pytest.fixture(scope="module")
def before():
    """The engine as it was: no relighting, no coverage fixes, the target's shape, no mirror fill."""
    engine = MeshEngine(relight=False, coverage=False, shape=0, fill_hidden=False, even_light=False)
    yield engine
    engine.close()


def swapped(engine, frame: np.ndarray, source_image: np.ndarray, n: int = 4) -> np.ndarray:
    return play(engine, [frame] * n, engine.prepare_source(source_image))


def swapped_with(frame: np.ndarray, source_image: np.ndarray, **settings) -> np.ndarray:
    """`frame` swapped by a fresh engine with `settings` (closed after)."""
    engine = MeshEngine(**settings)
    try:
        return swapped(engine, frame, source_image)
    finally:
        engine.close()


def swapped_by(frame: np.ndarray, source_image: np.ndarray, *settings: dict) -> list[np.ndarray]:
    """`frame` swapped by an unshaped engine with each of `settings` in turn."""
    return [swapped_with(frame, source_image, shape=0, **kwargs) for kwargs in settings]


def each_engine(measured: Callable[[MeshEngine], T], *settings: dict) -> list[T]:
    """`measured` on a fresh engine with each of `settings` in turn (each closed after)."""
    found = []
    for kwargs in settings:
        engine = MeshEngine(**kwargs)
        try:
            found.append(measured(engine))
        finally:
            engine.close()
    return found


def lightness(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[:, :, 0].astype(np.float32)


def side_lit(image: np.ndarray) -> np.ndarray:
    """Lit hard from the image's left (the astronaut already is, a little)."""
    light = np.linspace(1.2, 0.45, image.shape[1], dtype=np.float32)[None, :, None]
    return np.clip(image * light, 0, 255).astype(np.uint8)


def tight_grey(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """An ID-photo crop: 112 px wide, chin and forehead cut off, greyscale."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    crop = image[y0 + int(0.12 * bh) : y1 - int(0.08 * bh), x0 + int(0.02 * bw) : x1 - int(0.02 * bw)]
    crop = cv2.resize(crop, (112, round(112 * crop.shape[0] / crop.shape[1])), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


def test_a_side_lit_source_leaves_no_one_sided_gradient_on_an_evenly_lit_target(mesh_engine, before, target,
                                                                                  inner_face, astronaut):
    _, left, right = inner_face

    def gradient(image: np.ndarray) -> float:
        light = lightness(image)
        return float(light[right].mean() - light[left].mean())

    def carried(engine) -> float:
        """Half the difference between the swaps of the photo lit from its left and from its
        right: the gradient the source's light brings (the face's own shape, and where the
        source's shape puts the target's cheeks, are the same in both)."""
        from_right = np.ascontiguousarray(side_lit(astronaut[:, ::-1])[:, ::-1])
        return (gradient(swapped(engine, target, side_lit(astronaut)))
                - gradient(swapped(engine, target, from_right))) / 2

    # measured: the engine before -8.7, now -0.9
    old, new = carried(before), carried(mesh_engine)
    assert abs(old) > 6, "the scene tests nothing: the old engine kept no side light"
    assert abs(new) < 2.5, (old, new)


def test_an_evenly_lit_source_takes_a_side_lit_targets_light(mesh_engine, before, target, inner_face,
                                                             astronaut):
    """A lamp beside the screen: the target's frames lit from one side, the swap lit as they are."""
    face, left, right = inner_face
    cols = np.nonzero(face.any(0))[0]
    centre, width = cols.mean(), np.ptp(cols)

    def lamp(frame: np.ndarray, side: int) -> np.ndarray:
        """`frame` from full light on `side` (-1: the image's left) to 0.4 of it on the other, the
        edge as wide as the face and across it."""
        ramp = np.clip(side * (np.arange(frame.shape[1]) - centre) / width + 0.5, 0.0, 1.0)
        return np.clip(frame * (0.4 + 0.6 * ramp)[None, :, None] + 0.5, 0, 255).astype(np.uint8)

    def gradient(image: np.ndarray) -> float:
        light = lightness(image)
        return float(light[right].mean() - light[left].mean())

    def across(images: list[np.ndarray]) -> float:
        """Half the difference between the images under the lamp on the left and on the right: the
        light's own gradient, whatever the face's shape and the source's own light put there."""
        return (gradient(images[0]) - gradient(images[1])) / 2

    frames = [lamp(target, -1), lamp(target, 1)]
    lit = across(frames)
    old, new = (across([swapped(engine, f, astronaut) for f in frames]) for engine in (before, mesh_engine))
    # measured (8-bit LAB lightness): the target -54.5; the engine before -13.0, now -56.2
    assert abs(old - lit) > 0.5 * abs(lit), "the scene tests nothing: the old engine kept the photo's light"
    assert abs(new - lit) < 0.1 * abs(lit), (lit, old, new)


def test_a_hard_shadow_down_the_targets_face_is_put_on_the_swap(mesh_engine, target, inner_face, astronaut):
    """A lamp close beside the screen: a shadow's sharp edge down the middle of the target's face.
    The relight's smooth surfaces made it a soft ramp across the swap, the edge stopping at the
    swap's outline (models/shadow_edge.py)."""
    face, _, _ = inner_face
    cols = np.nonzero(face.any(0))[0]
    centre, width = cols.mean(), np.ptp(cols)
    x = np.arange(target.shape[1])
    shade = 1.0 - 0.6 * np.clip((x - centre) / 4.0 + 0.5, 0.0, 1.0)  # a 4 px edge, 0.4 of the light past it
    frame = np.clip(target * shade[None, :, None] + 0.5, 0, 255).astype(np.uint8)
    near = face & ((x > centre - 0.15 * width) & (x < centre - 0.05 * width))[None, :]
    far = face & ((x > centre + 0.05 * width) & (x < centre + 0.15 * width))[None, :]

    def step(image: np.ndarray) -> float:
        """How much less light a tenth of the face's width past the edge than before it: the mean
        log(L + 41) (8-bit LAB; L + 41 goes as the cube root of the light) there less before."""
        light = np.log(lightness(image) + 41.0)
        return float(light[far].mean() - light[near].mean())

    def shadowed_less_even(swap: Callable[[np.ndarray], np.ndarray]) -> float:
        """The step the shadow adds: beside a face's middle the faces' own noses differ."""
        return step(swap(frame)) - step(swap(target))

    lit = shadowed_less_even(lambda image: image)
    new = shadowed_less_even(lambda image: swapped(mesh_engine, image, astronaut, n=10))  # followed
    old = shadowed_less_even(lambda image: swapped_with(image, astronaut, shadow_edges=False))
    # measured: the target -0.643; the swap without the edge (shadow_edges=False) -0.381, with it -0.648
    print(f"the target {lit:.3f}; the swap without the edge {old:.3f}, with it {new:.3f}")
    assert abs(old - lit) > 0.35 * abs(lit), "the scene tests nothing: the smooth surfaces carried the edge"
    assert abs(new - lit) < 0.15 * abs(lit), (lit, old, new)


def test_a_face_in_even_light_is_swapped_the_same_with_the_shadow_edges_looked_for(mesh_engine, target,
                                                                                   astronaut, t1_face):
    """No edge is found on a face no hard shadow crosses: its own lines (brows, eyes, lips) run
    across it, a shadow's down it."""
    frames = [target, place(astronaut, (640, 480), 0.9)]
    for frame, source in zip(frames, (astronaut, t1_face), strict=True):
        not_looked_for = swapped_with(frame, source, shadow_edges=False)
        assert np.array_equal(swapped(mesh_engine, frame, source), not_looked_for)


def beside_the_nose(measure, image: np.ndarray
                    ) -> tuple[float, float, np.ndarray, Callable[[np.ndarray], float]]:
    """The face in `image`: its nose tip's column, its width, its inside (25 px in from the
    outline), and a measure of any image of it: the mean lightness right of the nose less left of
    it, in strips from 8% to 30% of the face's width out."""
    mesh = measure.landmarks(image)
    width, nose = float(np.ptp(mesh[ft.face_oval(), 0])), float(mesh[ft.NOSE_TIP, 0])
    inner = inside_outline(image.shape[:2], mesh, 25)
    cols = np.arange(image.shape[1])[None, :]
    left = inner & (cols > nose - 0.3 * width) & (cols < nose - 0.08 * width)
    right = inner & (cols < nose + 0.3 * width) & (cols > nose + 0.08 * width)

    def across(other: np.ndarray) -> float:
        light = lightness(other)
        return float(light[right].mean() - light[left].mean())

    return nose, width, inner, across


def test_a_shadow_down_the_sources_nose_does_not_darken_half_of_an_evenly_lit_target(target, measure,
                                                                                       astronaut):
    """A light from one side leaves the far half of a face in shadow, its edge down the nose:
    sharper than the smooth surface the relight swaps, so the target's cheek beside its nose went
    dark (a grey patch on an evenly lit face). The source's light is made even between its halves
    at upload (symmetry.even_light)."""
    _, _, inner, across = beside_the_nose(measure, target)
    x0, _, x1, _ = ASTRONAUT_BOX
    middle, edge = (x0 + x1) // 2, 0.1 * (x1 - x0)
    on_right = shadowed(astronaut, middle, edge)
    mirrored = shadowed(astronaut[:, ::-1], astronaut.shape[1] - 1 - middle, edge)
    on_left = np.ascontiguousarray(mirrored[:, ::-1])

    def swaps(engine) -> tuple[np.ndarray, np.ndarray]:
        return swapped(engine, target, on_right), swapped(engine, target, on_left)

    as_it_is, even = each_engine(swaps, {"even_light": False}, {})
    save_around("photo-shadow.png", inner, (20, 20), photo_as_it_is=as_it_is[0], made_even=even[0])
    # half the difference between the swaps of the photo shadowed on its right and on its left,
    # right of the target's nose less left of it: what the shadow brings. Measured: -20.0 levels
    # with the photo's light as it is, 0.7 made even
    old, new = ((across(a) - across(b)) / 2 for a, b in (as_it_is, even))
    assert old < -8, f"the scene tests nothing: the shadow reached the swap by only {old:.1f} levels"
    assert abs(new) < 3, (old, new)


def test_a_shadow_down_the_targets_nose_falls_on_the_swap_too(target, measure, astronaut):
    """The frame's light that differs between the face's halves is put back on the swap of an
    evened photo (symmetry.side_light): the relight's smooth surfaces blurred a shadow's edge down
    the target's nose into a gradient, and the forehead's shadow line (the target's own pixels
    above the mask) broke off where the swap began."""
    nose, width, inner, across = beside_the_nose(measure, target)
    in_shadow = shadowed(target, nose, 0.1 * width)
    # (a hard shadow's edge is put on the swap by models/shadow_edge.py too: off in the first)
    without, put_back = each_engine(lambda engine: swapped(engine, in_shadow, astronaut),
                                    {"target_light": False, "shadow_edges": False}, {})
    save_around("target-shadow.png", inner, (20, 20), frame=in_shadow, without_its_light=without,
                with_it=put_back)
    # how much less of the shadow's step the swaps show than the frame. Measured: the frame's step
    # -89.3 levels; the swap's -66.1 without the side light put back, -82.2 with it; by default,
    # with the shadow's edge followed instead (models/shadow_edge.py), -83.5
    old, new = (abs(across(image) - across(in_shadow)) for image in (without, put_back))
    print(f"the frame {across(in_shadow):.1f}; without {across(without):.1f}, with {across(put_back):.1f}")
    assert old > 15, f"the scene tests nothing: the swap showed the shadow but for {old:.1f} levels"
    assert new < 0.5 * old and new < 12, (old, new)


def test_a_tight_greyscale_source_is_taken_and_covers_the_face_in_the_targets_colour(mesh_engine, before,
                                                                                      target, inner_face,
                                                                                      astronaut):
    inner, _, _ = inner_face
    source = tight_grey(astronaut, ASTRONAUT_BOX)
    with pytest.raises(Exception, match="No face"):
        before.prepare_source(source)  # what users got: "No face detected"
    out = swapped(mesh_engine, target, source)
    untouched = (np.abs(out.astype(int) - target.astype(int)).max(axis=2) <= 3)[inner].mean()
    assert untouched < 0.15, f"{untouched:.0%} of the face was left uncovered"

    def chroma(image: np.ndarray) -> float:
        lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
        return float(np.hypot(lab[..., 1] - 128, lab[..., 2] - 128)[inner].mean())

    # a grey face painted in one flat tone, or pale patches, would lose most of the skin's colour
    assert abs(chroma(out) - chroma(target)) < 6, (chroma(out), chroma(target))


def test_a_tight_crop_keeps_the_face_up_to_near_the_photos_edge(mesh_engine, astronaut):
    """The mask fades out where an ID photo ends over 1.5% of the face's width, not over the mask's
    own 6%: what the photo shows near its edge (the strip above the brows, the lower lip) is the
    source's, not the target's."""
    source = mesh_engine.prepare_source(tight_grey(astronaut, ASTRONAUT_BOX)).data
    whole = face_alpha(source.alpha.shape, source.points)
    photo = (source.view.inside == 255).astype(np.uint8)
    assert source.view.inside.shape == source.alpha.shape and not photo.all()
    from_edge = cv2.distanceTransform(photo, cv2.DIST_L2, 3) / ft.face_width(source.points)
    near_edge = (whole > 250) & (photo > 0) & (from_edge >= 0.02) & (from_edge < 0.04)
    assert near_edge.sum() > 30, "the crop cuts no face: the scene tests nothing"
    # measured: 232 now; the mask's own feather left 128
    assert source.alpha[near_edge].mean() > 200, source.alpha[near_edge].mean()


def correlation_of_colour_with_light(image: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Per LAB channel a and b, its correlation with lightness inside `region`."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)[region]
    return np.array([np.corrcoef(lab[:, 0], lab[:, c])[0, 1] for c in (1, 2)])


def test_a_greyscale_sources_shadows_take_the_targets_shadow_colour_not_grey_patches(mesh_engine, measure,
                                                                                      target, inner_face,
                                                                                      astronaut_face):
    """Skin is redder and yellower where it is darker. The target's colour taken pixel by pixel put
    its highlights' near-grey on the source's shadows (grey-green patches on the cheeks); taken as
    a line in lightness, the swapped face's colour follows its own light as the target's does."""
    inner, _, _ = inner_face
    grey = cv2.cvtColor(cv2.cvtColor(astronaut_face, cv2.COLOR_BGR2GRAY),
                        cv2.COLOR_GRAY2BGR)
    out = swapped(mesh_engine, target, grey)
    assert largest_difference(out, target)[inner].mean() > 10, "nothing was swapped"
    # on the skin between the features: lips, brows and eyes are other colours at other lightnesses,
    # and where the swap puts its mouth moved the figure more than its skin's colour did
    skin, _ = skin_between_features(target, measure)
    want, got = correlation_of_colour_with_light(target, skin), correlation_of_colour_with_light(out, skin)
    # measured: the target -0.94 / -0.84; now -0.91 / -0.79. The target's a and b put pixel by pixel
    # on this swap's lightness: -0.72 / -0.69 (over the whole inner face, features and all, the
    # same three measured -0.83 / -0.74, -0.76 / -0.65 and -0.65 / -0.64)
    assert want.max() < -0.5, f"the target's skin shows no link of colour to light: {want}"
    assert (got < want + 0.08).all(), (got, want)


def test_a_greyscale_sources_eye_sockets_are_not_tinted_with_the_targets_lips_red(measure, t1, monkeypatch):
    """Tom_Hanks_54745.png (a greyscale photo) onto t1.jpg's pale second person: his face takes
    her colour as a line in lightness, and his eye sockets and brows' shadows, darker than most of
    her skin, took the colour of her darkest pixels in the mask (her lips, her brows): red-brown
    patches, as if painted. Below her skin's GREY_LINE_FROM percentile they take that skin's
    colour now (relight.colour_by_lightness)."""
    from models import relight

    clip = target_clip(t1, T1_DLIB_BOXES["second"], 6)
    mesh = measure.landmarks(clip[-1])
    width = ft.face_width(mesh)
    shape = clip[-1].shape[:2]
    # the skin with the brows and the sockets around the eyes: the eyes and lips left out
    features = _within(shape, [cv2.convexHull(mesh[g]) for g in rigid_groups()], round(0.04 * width))
    region = inside_outline(shape, mesh, round(0.05 * width)) & ~features
    swapped = []

    def patches(engine: MeshEngine) -> float:
        swapped.append(play(engine, clip, engine.prepare_source(hanks())))
        return patchy_share(swapped[-1], clip[-1], region, width)

    line_from = relight.GREY_LINE_FROM
    monkeypatch.setattr(relight, "GREY_LINE_FROM", 0.0)
    [before] = each_engine(patches, {})
    monkeypatch.setattr(relight, "GREY_LINE_FROM", line_from)
    [now] = each_engine(patches, {})
    save_around("grey-sockets.png", region, (30, 30), frame=clip[-1], before=swapped[0], now=swapped[1])
    # measured: 7.6% of her skin in colour patches before, 6.4% now
    assert before > 0.05, "the scene tests nothing: the darkest pixels' colour left no patch"
    assert now < 0.9 * before, (before, now)


def test_a_greyscale_frame_gets_a_grey_face(mesh_engine, target, inner_face, astronaut_face):
    """A greyscale camera (or filter): the swapped face is grey too. Its colours kept at the
    transfer's floor of 70% around a grey mean showed as hues: a cyan cheek, an orange jaw."""
    inner, _, _ = inner_face
    grey_target = cv2.cvtColor(cv2.cvtColor(target, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    out = swapped(mesh_engine, grey_target, astronaut_face)
    assert largest_difference(out, grey_target)[inner].mean() > 10, "nothing was swapped"
    lab = cv2.cvtColor(out, cv2.COLOR_BGR2LAB).astype(np.float32)
    chroma = np.hypot(lab[..., 1] - 128, lab[..., 2] - 128)[inner]
    # measured: at most 1.4 now (rounding); before, up to 12, and 17% of the face 4 or more
    assert chroma.max() < 4, f"{(chroma >= 4).mean():.0%} of the face is coloured, up to {chroma.max():.0f}"


def band(image: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The detail of a grey image (a band-pass) inside `region`."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return (cv2.GaussianBlur(grey, (0, 0), 1) - cv2.GaussianBlur(grey, (0, 0), 4))[region]


def likeness(image: np.ndarray, truth: np.ndarray, region: np.ndarray) -> float:
    return float(np.corrcoef(band(image, region), band(truth, region))[0, 1])


def apart(image: np.ndarray, truth: np.ndarray, region: np.ndarray) -> float:
    """Mean difference in levels (B, G and R) between `image` and `truth` over `region`."""
    return float(np.abs(image.astype(np.float32) - truth.astype(np.float32))[region].mean())


@pytest.fixture(scope="module")
def frontal_swap(mesh_engine, target, astronaut_face):
    """The astronaut's frontal photo swapped on: what a turned photo of her should come to."""
    face = astronaut_face
    return face, swapped(mesh_engine, target, face)


@pytest.fixture(scope="module")
def squeezed_engine():
    """An engine that mirrors the far half of the squeezed photos below. Half of the astronaut's
    frontal photo squeezed to 45% of its width (the only turned photo with a frontal one to judge it
    by) reads to FaceMesh as a far half at 0.58 of the near one's area: the mesh does not follow
    the squeeze. Real photos are mirrored under 0.5 (symmetry.FRONTAL), so the mirror fill itself is
    tested on the squeezed photo with the threshold raised to 0.7, where it was before. A squeeze
    is no turn in depth: the 3D mesh FaceMesh reads of it is a face with one half narrow, which the
    shape seen from the front (symmetry.seen_from_front, for real turned photos) would carry onto
    the target; these tests judge the filled texture, so the shape is the layout's, as before."""
    engine = MeshEngine(mirror_below=0.7, shape_from_front=False)
    yield engine
    engine.close()


@pytest.mark.parametrize("kind, scale, offset, said", [("underexposed", 0.25, 0.0, "underexposed"),
                                                      ("washed-out", 0.5, 100.0, "washed out")])
def test_an_underexposed_or_washed_out_photo_is_swapped_as_the_same_photo_taken_well(
        mesh_engine, target, inner_face, frontal_swap, kind, scale, offset, said):
    """Two stops under (each of B, G and R at a quarter), the astronaut's detail lay in the lowest
    levels and her colour so faint that the photo counted as greyscale; at half the contrast with
    its blacks at 100 (a faded print, haze), it had lost its depth. The swaps came out faint. Set
    right at upload (color.levels), and its mesh read from the photo as set, the swap is as the
    one from her photo as taken. Measured, mean difference over the face and likeness of detail:
    two stops under 1.9 and 0.995, left as it was 14.3 and 0.70 (with the mesh read in the dark
    photo, 6.2 and 0.85); washed out 2.7 and 0.988, left 7.9 and 0.955."""
    face, well_taken = frontal_swap
    photo = (face.astype(np.float32) * scale + offset + 0.5).astype(np.uint8)
    region, _, _ = inner_face
    set_right = swapped(mesh_engine, target, photo)
    left = swapped_with(target, photo, levels=False)
    save_sheet(f"{kind}.png", {"set right at upload": set_right, "left as it was": left,
                                "photo as taken": well_taken})
    assert apart(set_right, well_taken, region) < 4.0
    assert apart(set_right, well_taken, region) < 0.4 * apart(left, well_taken, region)
    assert likeness(set_right, well_taken, region) > max(0.95, likeness(left, well_taken, region))
    notes = mesh_engine.prepare_source(photo).notes
    assert any(said in n for n in notes) and not any("greyscale" in n for n in notes)


def test_a_grainy_photo_is_swapped_as_the_same_photo_taken_clean(mesh_engine, target, inner_face,
                                                                 frontal_swap):
    """Noise of 16 levels on each of B, G and R (a dim room's high ISO; bench.quality's `noisy`
    form) went onto the target with the face (dlib read the wheel faces' swaps 0.550 from their
    owners, against 0.521 from the photos as taken). Cleaned at
    upload (models/denoise.py), with its mesh read from the face cleaned, the swap comes near the
    one from the photo without the noise. The astronaut's face is 93 px wide here: enlarged at
    upload, its grain had spread into blotches a noise estimate in the enlarged crop missed."""
    face, clean = frontal_swap
    photo = grainy(face, 16.0)
    region, _, _ = inner_face
    cleaned_swap = swapped(mesh_engine, target, photo)
    left = swapped_with(target, photo, denoise=False)
    save_sheet("grainy.png", {"cleaned at upload": cleaned_swap, "left as it was": left,
                              "the photo without the noise": clean})
    # measured: 4.8 levels apart over the face, 10.3 left as it was
    assert apart(cleaned_swap, clean, region) < 0.6 * apart(left, clean, region)
    notes = mesh_engine.prepare_source(photo).notes
    assert any(n.startswith("The photo is grainy") for n in notes), notes
    assert not any("grainy" in n for n in mesh_engine.prepare_source(face).notes)


def test_a_hard_shadow_down_the_photos_face_is_taken_off_and_told(mesh_engine, target, inner_face,
                                                                  frontal_swap, measure):
    """A lamp close beside the camera: the photo's face in shadow past a sharp edge down its
    middle (bench.quality's `hard-shadowed` form). The halves' evening and the relight are smooth,
    and every swap showed the edge: a line down the face, one side lighter (dlib read the wheel
    faces' swaps 0.615 from their owners, against 0.537 with it taken off at upload,
    models/photo_shadow.py)."""
    face, clean = frontal_swap
    centre = float(measure.landmarks(face)[ft.face_oval(), 0].mean())
    photo = shadowed(face, centre, 3.0)  # a 3 px edge, 0.45 of the light past it
    region, _, _ = inner_face
    lifted = swapped(mesh_engine, target, photo)
    left = swapped_with(target, photo, photo_shadow=False)
    save_sheet("photo-hard-shadow.png", {"taken off at upload": lifted, "left on": left,
                                    "the photo without the shadow": clean})
    print(f"apart from the photo's without the shadow: left on {apart(left, clean, region):.1f}, "
          f"taken off {apart(lifted, clean, region):.1f}")
    assert apart(lifted, clean, region) < 0.6 * apart(left, clean, region)
    notes = mesh_engine.prepare_source(photo).notes
    assert any(n.startswith("A hard shadow falls across the face") for n in notes), notes
    assert not any("shadow" in n for n in mesh_engine.prepare_source(face).notes)


def test_a_photo_in_even_light_is_prepared_the_same_with_its_own_shadow_looked_for(mesh_engine,
                                                                                  astronaut_face, t1_face):
    """No edge is found on a photo no hard shadow crosses, and its texture is left to the byte."""
    for photo in (astronaut_face, t1_face):
        left, = each_engine(lambda engine, photo=photo: engine.prepare_source(photo).data.bgr,
                            {"photo_shadow": False})
        assert np.array_equal(mesh_engine.prepare_source(photo).data.bgr, left)


def test_a_hard_compressed_photo_is_told_and_one_saved_well_is_not(mesh_engine, frontal_swap):
    """Saved as a JPEG at quality 10 (bench.quality's `jpeg` form: 83% retrieved on the wheel faces,
    against 94% as taken), the astronaut's photo loses its detail to 8 px blocks; nothing brings it
    back, but the upload's answer says so. At quality 90 it says nothing."""
    face, _ = frontal_swap

    def told(quality: int) -> bool:
        notes = mesh_engine.prepare_source(recompressed(face, quality)).notes
        return any(n.startswith("The photo is heavily compressed") for n in notes)

    assert told(10) and not told(90)


def test_an_overexposed_photo_is_told_how_much_of_its_face_is_blown_out(mesh_engine, frontal_swap):
    """One stop over (each of B, G and R doubled), most of the astronaut's face is white: no detail
    is left there to carry, and the swap shows it smooth. Nothing brings it back, but the upload's
    answer says so, with the share, where before it said nothing. Measured: 63% (bench.quality's
    `bright` form of her); as taken, 0%."""
    face, _ = frontal_swap
    over = np.clip(face.astype(np.float32) * 2.0 + 0.5, 0, 255).astype(np.uint8)
    said = [n for n in mesh_engine.prepare_source(over).notes if n.startswith("The photo is overexposed")]
    assert len(said) == 1, mesh_engine.prepare_source(over).notes
    share = int(re.search(r"(\d+)% of the face is blown out", said[0]).group(1))
    assert 40 <= share <= 85, said[0]
    assert not any("overexposed" in n for n in mesh_engine.prepare_source(face).notes)


@pytest.mark.parametrize("degrees, said", [(180, "upside down"), (90, "on its side"), (270, "on its side")])
def test_a_photo_upside_down_or_on_its_side_is_swapped_as_the_same_photo_the_right_way_up(
        mesh_engine, target, inner_face, frontal_swap, degrees, said):
    """Upside down (turned half round, no EXIF orientation to undo it), the astronaut's photo was read
    by FaceMesh as an upright face with her eyes on her mouth: the swap was a mask of misplaced
    parts, and the upload's answer said nothing. On her side it was read, less well. Read steadier
    and upright turned (models/orientation.py), the photo is turned the right way up at upload.
    Measured, mean difference over the face from the swap of her photo the right way up: 0.00
    turned every way (a quarter turn loses nothing: the same photo, the same swap); read as it came,
    33.3 upside down, 13.0 and 8.0 on her side (turned 90 degrees clockwise, and anticlockwise)."""
    face, right_way_up = frontal_swap
    photo = turn(face, degrees)
    region, _, _ = inner_face
    turned = swapped(mesh_engine, target, photo)
    as_it_came = swapped_with(target, photo, upright=False)
    save_sheet(f"turned-{degrees}.png", {"turned at upload": turned, "read as it came": as_it_came,
                                         "photo the right way up": right_way_up})
    assert apart(as_it_came, right_way_up, region) > 5.0, \
        "the photo was read right as it came: the test tests nothing"
    assert apart(turned, right_way_up, region) < 0.5
    prepared = mesh_engine.prepare_source(photo)
    assert any(n.startswith(f"The photo was {said}") for n in prepared.notes), prepared.notes
    # the box is the face's in the photo as uploaded
    upright = mesh_engine.prepare_source(face)
    h, w = face.shape[:2]
    expected = turn_box(upright.box, degrees, w, h)
    assert np.allclose(prepared.box, expected, atol=0.05 * w), (prepared.box, expected)
    assert upright.data.look.turned == 0


def test_a_turned_sources_filled_texture_has_no_dark_dash_beside_the_nose(mesh_engine, t1):
    """Redrawn on a symmetric layout, a turned face's nostrils are seen edge-on: thin triangles
    stretched into lines and dots, which every frame's swap enlarges. The texture is despeckled once,
    at upload. (The man second from the right in t1.jpg, turned as bench.quality turns him.)"""
    source = mesh_engine.prepare_source(source_form(t1, (883, 89, 987, 192), "turned")).data
    assert not np.allclose(source.points, source.view.points), "the source was not redrawn: it tests nothing"
    rows, cols = np.mgrid[0 : source.alpha.shape[0], 0 : source.alpha.shape[1]]
    nose_x, nose_y = source.points[4]
    near_nose = np.hypot(cols - nose_x, rows - nose_y) < 0.2 * ft.face_width(source.points)
    grey = cv2.cvtColor(source.bgr, cv2.COLOR_BGR2GRAY)
    dark = (cv2.medianBlur(grey, 5).astype(int) - grey > 60) & (source.alpha > 40) & near_nose
    # measured: none now; 6 before (a dash of four pixels and a dot)
    assert dark.sum() == 0, np.argwhere(dark).tolist()


def test_a_turned_sources_hidden_half_is_not_stretched_across_the_target(squeezed_engine, target, inner_face,
                                                                          frontal_swap):
    """A head turned away shows its far half narrowed; stretched back over a frontal target, that
    half is a smear. Judged against the swap of the same person's frontal photo: the detail on the
    target's far third should be the same detail."""
    _, near, far = inner_face
    face, truth = frontal_swap
    stretched = MeshEngine(fill_hidden=False)
    try:
        source = turned(face, far=0.45, tilt=0)  # her left half (the image's right) narrowed
        old, new = swapped(stretched, target, source), swapped(squeezed_engine, target, source)
    finally:
        stretched.close()
    crop = (slice(100, 380), slice(180, 460))
    tile = cv2.resize(source, (280, round(280 * source.shape[0] / source.shape[1])))[:280]
    save_sheet("hidden-half.png", {
        "turned source": cv2.copyMakeBorder(tile, 0, 280 - tile.shape[0], 0, 0, cv2.BORDER_CONSTANT),
        "stretched": old[crop], "mirror fill": new[crop], "frontal source": truth[crop]})
    # measured: the far third 0.46 stretched, 0.75 filled from the near half; the near third 0.85
    assert likeness(old, truth, far) < 0.6, "the scene tests nothing: the stretched half kept its detail"
    assert likeness(new, truth, far) > 0.68, (likeness(new, truth, far), likeness(new, truth, near))


def lips_painted(source: SourceFace) -> SourceFace:
    """`source` with its textures' lips (between their outer and inner lines on their own mesh)
    painted pure green: where a frame draws them shows."""

    def painted(texture: MeshSource) -> MeshSource:
        lips = np.zeros(texture.bgr.shape[:2], np.uint8)
        cv2.fillPoly(lips, [np.round(texture.points[ft.outer_lips()]).astype(np.int32)], 255)
        cv2.fillPoly(lips, [np.round(texture.points[ft.inner_lips()]).astype(np.int32)], 0)
        bgr = texture.bgr.copy()
        bgr[lips > 0] = (0, 255, 0)
        return replace(texture, bgr=bgr, lab=cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB))

    own = source.data.own
    return replace(source, data=replace(painted(source.data), own=None if own is None else painted(own)))


def test_a_photo_seen_from_above_does_not_draw_its_lower_lip_down_the_targets_chin(measure, t1):
    """A face seen from above hides the crease under its lower lip, and FaceMesh lays the crease's
    points on the lip (t1.jpg's man at the centre, turned as bench.quality turns him: 4.6 px above
    the lip's edge). The photo's triangles there folded over, and a frame that shows its chin drew
    the lip down over them: a lower lip twice its depth, dark red down the chin (the social set's
    `s3-3` turned onto the laughing `s4-3`). The photo's lips are painted green to see where frames
    draw them, without the relight, which would tint the paint."""
    clip = target_clip(t1, T1_DLIB_BOXES["first"], 6)

    def share_down_the_chin(engine: MeshEngine) -> tuple[float, np.ndarray, np.ndarray]:
        source = lips_painted(engine.prepare_source(source_form(t1, T1_DLIB_BOXES["centre"], "turned")))
        drawn = below = 0
        for result, frame in zip(play_all(engine, clip, source)[4:], clip[4:], strict=True):
            face = FaceFrame(frame.shape[:2], measure.landmarks(frame))
            image = result.image.astype(np.int16)
            green = image[:, :, 1] - np.maximum(image[:, :, 0], image[:, :, 2]) > 60
            # more than 15% of the lip's height above the chin under the target's own lower lip
            down = face.height < 0.85 * float(face.height_of(ft.LOWER_LIP_BOTTOM))
            drawn += int(green.sum())
            below += int((green & down).sum())
        return below / drawn, result.image, (face.oval > 0) & down

    unlit = {"relight": False}
    (folded, as_read, chin), (spread, spread_out, _) = each_engine(share_down_the_chin,
                                                                   {**unlit, "under_lip": False}, unlit)
    save_around("lip-down-the-chin.png", chin, (40, 10), target=clip[-1], mesh_as_read=as_read,
                spread=spread_out)
    # measured: 0.46 folded (905 and 981 px of 2037 and 2075), 0.012 spread (10 and 14 of 1001 and 1011)
    assert folded > 0.3, f"the lip kept off the chin as FaceMesh read it ({folded:.2f}): it tests nothing"
    assert spread < 0.1, spread


def test_a_turned_photo_swapped_onto_itself_comes_back_as_it_was(mesh_engine, measure, t1):
    """A frame turned as the source photo is shows the far half as narrowly as the photo does:
    there the photo's own half is right, and its mirror is another face. (The woman second from
    the left in t1.jpg, her head turned and tilted: swapped onto herself, the mirrored texture had
    cost her most of her identity, dlib distance 0.49 against 0.19; bench.quality.)"""
    face = crop_face(t1, (275, 179, 362, 266), 0.8)
    frame = place(face, (640, 480), 2.0)
    _, *thirds = face_and_thirds(frame, measure, 15)
    out = swapped(mesh_engine, frame, face)
    # measured: 0.96 and 0.98 now; 0.64 and 0.63 with the mirrored texture
    assert min(likeness(out, frame, third) for third in thirds) > 0.85


def oval_aspect(points: np.ndarray) -> float:
    """The face's outline, its height over its width."""
    oval = points[ft.face_oval()]
    return float(np.ptp(oval[:, 1]) / np.ptp(oval[:, 0]))


def chin_midline_darkness(image: np.ndarray, measure) -> float:
    """How much darker the chin's midline is than the chin beside it (6% of the face's width
    either side), in LAB lightness: medians over the middle of the way from the lower lip down."""
    mesh = measure.landmarks(image)
    width = float(np.ptp(mesh[ft.face_oval(), 0]))
    lip, chin = mesh[ft.LOWER_LIP_BOTTOM, :2], mesh[ft.CHIN, :2]
    down = chin - lip
    across = np.array([-down[1], down[0]]) / np.linalg.norm(down) * 0.06 * width
    lightness = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[..., 0].astype(np.float32)

    def sample(points: np.ndarray) -> float:
        xs, ys = np.round(points).astype(int).T
        return float(np.median(lightness[ys, xs]))

    midline = lip + np.linspace(0.2, 0.8, 13)[:, None] * down
    return min(sample(midline + across), sample(midline - across)) - sample(midline)


@pytest.mark.slow
def test_a_turned_targets_nose_stays_on_its_own_with_the_sources_depth(mesh_engine, measure, t1, astronaut):
    """A flat fit of the source's shape cannot turn a face (models/shape.py): on the turned woman
    of t1.jpg the astronaut's nose was drawn nearer her face's middle, over her near cheek, and
    its shading lay there as a dark band. With the photo's depth (`--shape-fit depth`) it stays on
    her own nose. Judged by where a separate FaceMesh reads the nose in the output."""
    frame = place(crop_face(t1, T1_DLIB_BOXES["second"], 0.8), (640, 480), 2.0)
    own = measure.landmarks(frame)
    width = ft.face_width(own)
    nose = [1, 4, 5, 195]  # its tip, and up its ridge

    def off(out: np.ndarray) -> float:
        return float(np.linalg.norm(measure.landmarks(out)[nose] - own[nose], axis=1).max()) / width

    flat, deep = swapped(mesh_engine, frame, astronaut), swapped_with(frame, astronaut, shape_depth=True)
    crop = (slice(60, 420), slice(140, 500))
    save_sheet("turned-nose.png", {"target": frame[crop], "flat fit": flat[crop], "with depth": deep[crop]})
    # measured: 0.073 of her face's width off with the flat fit, 0.037 with the depth (the engine's
    # own mesh: 0.091 and 0.023)
    assert off(flat) > 0.05, "the flat fit kept the nose in place: the scene tests nothing"
    assert off(deep) < 0.6 * off(flat)


def test_the_servers_shape_fit_reaches_the_mesh_engine():
    for depth in (False, True):
        engine = load_engine("mesh", shape_depth=depth)
        try:
            assert isinstance(engine, MeshEngine) and engine.shape_depth is depth
            assert engine.shape_fit == ("depth" if depth else "flat")  # as /status names it
        finally:
            engine.close()


def test_a_cheek_moved_past_the_ring_is_not_cut_off_along_a_straight_line(mesh_engine, t1):
    """Where a head is turned, its far cheek's mesh points lie outside the face's oval, near the
    ring the background between is stretched to (models/shape.py), and a source's wider cheek
    moves them past it. The texture's box ended at the ring's, and the swap stopped dead along a
    line: the first woman's photo, turned, onto the flash-lit woman's frames."""
    source = source_form(t1, T1_DLIB_BOXES["first"], "turned")
    clip = target_clip(t1, T1_DLIB_BOXES["flash-lit"], 5)
    out = play(mesh_engine, clip, mesh_engine.prepare_source(source))
    assert largest_difference(out, clip[-1]).max() > 100, "nothing was swapped"
    # measured: 25 px along one line, each changed beside one left as it was, before; none now
    assert straight_cut(out, clip[-1]) < 5


def test_a_profiles_background_does_not_run_down_the_swapped_chin(mesh_engine, measure, t1, t1_face,
                                                                   monkeypatch):
    """The fifth person of t1.jpg, seen nearly in profile, shows the wall behind him between his
    chin's edge and the mesh's midline; mirrored onto a frontal man it was a grey stripe down his
    chin, like a goatee. It is filled from the chin around it (symmetry.clean_chin)."""
    source, frame = crop_face(t1, T1_DLIB_BOXES["turned"], 0.8), place(t1_face, (640, 480), 2.0)
    after = swapped(mesh_engine, frame, source)
    with monkeypatch.context() as patch:
        patch.setattr(symmetry, "clean_chin", lambda image, layout, background: image)
        before = swapped_with(frame, source)
    # measured: 22 levels darker before, 2 now; the man's own chin -1 (lighter)
    assert chin_midline_darkness(before, measure) > 15, "the scene tests nothing"
    assert chin_midline_darkness(after, measure) < 10
    crop = (slice(60, 420), slice(140, 500))
    save_sheet("chin.png", {"source": cv2.resize(source, (360, 360)), "target": frame[crop],
                            "background on the chin": before[crop], "filled": after[crop]})


@pytest.mark.parametrize("name, box", [("second", T1_DLIB_BOXES["second"]),
                                       ("fifth", T1_DLIB_BOXES["turned"])])
def test_a_turned_photo_gives_a_frontal_target_its_shape_not_a_rounder_one(mesh_engine, measure, t1, t1_face,
                                                                           name, box):
    """A photo turned far enough to be mirrored (symmetry.fill_hidden_half) is redrawn on a
    symmetric layout: its near half and that half's reflection. A near half seen at an angle is
    wider than half a face, so read as the source's shape, the layout made every face it was
    swapped onto rounder (a balloon of a face: the second and fifth people of t1.jpg onto the man
    at its centre). The shape is read from the photo's 3D mesh turned to the front instead."""
    source, frame = crop_face(t1, box, 0.8), place(t1_face, (640, 480), 2.0)
    outs = [swapped_with(frame, source, shape_from_front=False), swapped(mesh_engine, frame, source)]
    own = oval_aspect(measure.landmarks(frame))
    layout, front = (oval_aspect(measure.landmarks(out)) / own for out in outs)
    crop = (slice(60, 420), slice(140, 500))
    save_sheet(f"turned-shape-{name}.png", {
        "source": cv2.resize(source, (360, 360)), "target": frame[crop],
        "shape from the layout": outs[0][crop], "from the front": outs[1][crop]})
    # measured: 0.94 and 0.93 from the layout, 1.00 from the front; frontal photos give 0.97-1.03
    # (ad hoc: the astronaut's onto him, and every unmirrored bench.quality source onto six targets)
    assert layout < 0.96, f"the scene tests nothing: the layout gave {layout:.3f}"
    assert front > 0.97, (front, layout)


def test_a_target_turning_between_the_photos_pose_and_frontal_gets_both_textures_mixed(
        mesh_engine, measure, t1):
    """Between the photo's own pose and a frontal one the own texture gives way to the mirrored one
    gradually (symmetry.own_weight): a head turning toward the camera does not jump from one face
    to the other. The photo's recorded turn is moved so the same frame falls where each applies."""
    face = crop_face(t1, (275, 179, 362, 266), 0.8)
    frame = place(face, (640, 480), 2.0)
    source = mesh_engine.prepare_source(face)
    far, _ = source.data.turn
    seen = symmetry.side_share(measure.landmarks(frame)[: ft.MESH_POINTS], far)

    def swapped_as_if(share: float) -> np.ndarray:
        posed = replace(source, data=replace(source.data, turn=(far, share)))
        return play(mesh_engine, [frame] * 4, posed).astype(np.float32)

    own = swapped_as_if(seen)
    mirrored = swapped_as_if(seen - 2 * symmetry.OWN_NONE)
    mixed = swapped_as_if(seen - (symmetry.OWN_FULL + symmetry.OWN_NONE) / 2)
    apart = np.abs(own - mirrored).mean()
    assert apart > 1.0, "the two textures look alike here: the test tells nothing"
    # measured: the two 2.1 apart (a mean over the frame); the mix 1.0 from the own, 1.3 from the
    # mirrored (a switch at the zone's middle would put it 0 from one and 2.1 from the other)
    assert np.abs(mixed - own).mean() < 0.8 * apart
    assert np.abs(mixed - mirrored).mean() < 0.8 * apart


def test_two_photos_turned_opposite_ways_give_each_half_its_own_detail(squeezed_engine, target, inner_face,
                                                                       frontal_swap):
    _, near, far = inner_face
    face, truth = frontal_swap
    engine = squeezed_engine
    to_left = engine.prepare_source(turned(face, far=0.45, tilt=0))
    to_right = engine.prepare_source(cv2.flip(turned(cv2.flip(face, 1), far=0.45, tilt=0), 1))

    def worse_third(source) -> float:
        out = play(engine, [target] * 4, source)
        return min(likeness(out, truth, near), likeness(out, truth, far))

    # measured: one photo alone 0.77 (one half is its mirror's); the two together 0.82. (0.70 and
    # 0.79 before the photo's shading was scaled to the target's darker light, color.exposure_gain:
    # the mirrored half, fainter, is nearer the truth too; 0.85 together when the forehead faded
    # from a fixed height: the brows, now the source's at full strength, are where a turned
    # photo's far half differs most from the frontal one's)
    alone = max(worse_third(to_left), worse_third(to_right))
    both = worse_third(engine.combine_sources([to_left, to_right]))
    assert both > 0.75 and both > alone + 0.03, (both, alone)


def test_a_smiling_sources_jaw_closes_to_a_closed_mouths_and_nothing_above_its_lips_moves(measure,
                                                                                          astronaut_face, t1):
    # the astronaut's teeth showing; t1.jpg's first woman's lips closed
    smiling = measure.landmarks(astronaut_face)[: ft.MESH_POINTS, :2]
    closed = measure.landmarks(crop_face(t1, T1_FACE_BOXES["left"], 0.8))[: ft.MESH_POINTS, :2]
    shut = with_mouth_of(smiling, closed)
    # measured: the astronaut's mouth open by 0.179 of the eyes' height above it, the woman's by
    # 0.006; the astronaut's now 0.006
    assert mouth_opening(smiling)[0] > 0.15
    assert abs(mouth_opening(shut)[0] - mouth_opening(closed)[0]) < 0.005
    _, down, height = mouth_opening(smiling)
    above = (smiling - smiling[ft.UPPER_INNER_LIP]) @ down < 0  # the brows, eyes, nose and upper lip
    assert np.abs(shut - smiling)[above].max() < 1e-3
    # the chin comes up with the lower lip, nearly the whole way
    chin_up = float((smiling[ft.CHIN] - shut[ft.CHIN]) @ down)
    lip_up = float((smiling[ft.LOWER_INNER_LIP] - shut[ft.LOWER_INNER_LIP]) @ down)
    assert 0.8 * lip_up < chin_up <= lip_up + 1e-3 and lip_up > 0.1 * height


def test_a_closed_mouthed_source_leaves_a_smiling_targets_chin_where_it_was(measure, astronaut_face, t1):
    target = place(astronaut_face, (640, 480), 1.0)  # she smiles, teeth showing
    source = crop_face(t1, T1_FACE_BOXES["left"], 0.8)  # t1.jpg's first woman, lips closed

    def chin(image: np.ndarray) -> float:
        """The chin below the upper lip's inner edge, in the eyes' height above that edge."""
        points = measure.landmarks(image)[:, :2]
        _, down, height = mouth_opening(points)
        return float((points[ft.CHIN] - points[ft.UPPER_INNER_LIP]) @ down) / height

    own = chin(target)
    now, before = (chin(swapped_with(target, source, jaw=jaw)) for jaw in (True, False))
    # measured: the astronaut's chin 0.829 below her upper lip; swapped, 0.829 (with the source's
    # shape read as its photo's mouth is, 0.784: a closed jaw pulled hers up under her smile)
    assert abs(now - own) < 0.015, (own, now)
    assert before < own - 0.03, (own, before)


def test_the_outline_takes_the_sources_shape_and_the_background_follows_without_a_tear(
        mesh_engine, target, measure, astronaut_face):
    source = astronaut_face
    fixed = MeshEngine(outline=0.0)
    try:
        old, new = swapped(fixed, target, source), swapped(mesh_engine, target, source)
    finally:
        fixed.close()
    mesh = measure.landmarks(target)
    seen = measure.landmarks(source)
    m = fit_affine(seen, mesh)  # her face brought onto his pose: where her outline would lie
    wanted = (seen @ m[:, :2].T + m[:, 2])[ft.face_oval()]

    def off(image: np.ndarray) -> float:
        return float(np.linalg.norm(measure.landmarks(image)[ft.face_oval()] - wanted, axis=1).mean())

    # measured: his outline 13.0 px from hers, 10.8 with the outline fixed, 8.4 moving
    assert off(new) < 0.85 * off(old), (off(new), off(old), off(target))
    # no tear: on the ring, where moved pixels meet unmoved ones, and in the band inside it (where a
    # face outline moved without its background would leave a second jaw line), no edges the
    # target lacks. measured: 35.4 on the ring for the target and 36.1 swapped; 42.9 / 42.2 in the band
    ring = np.round(with_ring(mesh)[468:]).astype(np.int32)
    line = np.zeros(target.shape[:2], np.uint8)
    cv2.polylines(line, [ring], True, 255, 3)
    band = np.zeros(target.shape[:2], np.uint8)
    cv2.fillPoly(band, [ring], 255)
    face = np.zeros(target.shape[:2], np.uint8)
    cv2.fillPoly(face, [np.round(mesh[ft.face_oval()]).astype(np.int32)], 255)
    band[cv2.erode(face, np.ones((9, 9), np.uint8)) > 0] = 0

    def edges(image: np.ndarray, where: np.ndarray) -> float:
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
        gradient = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
        return float(gradient[where > 0].mean())

    assert edges(new, line) < edges(target, line) * 1.1, (edges(new, line), edges(target, line))
    assert edges(new, band) < edges(old, band) * 1.1, (edges(new, band), edges(old, band))


@pytest.mark.parametrize("box", [(179, 83, 266, 170), (275, 179, 362, 266), (883, 89, 987, 192)],
                         ids=["astronaut", "t1-second", "t1-fifth"])
def test_an_id_photo_crop_the_full_range_detector_misses_is_still_taken(mesh_engine, astronaut, t1, box):
    # measured: these three crops were refused "No face detected" until the short-range model
    # (made for close-up faces) looked at them too
    photo = astronaut if box[0] == 179 else t1
    source = mesh_engine.prepare_source(tight_grey(photo, box))
    x0, y0, x1, y1 = source.box
    assert x1 - x0 > 40 and y1 - y0 > 40, source.box


@pytest.mark.parametrize("box", [(179, 83, 266, 170), (883, 89, 987, 192)], ids=["astronaut", "t1-fifth"])
def test_detect_finds_the_face_of_an_id_photo_crop_an_upload_takes(mesh_engine, astronaut, t1, box):
    """The hosted API's /detect found no face in these crops, which an upload takes (looked at again
    with a margin): a client that asks /detect first gave up on them."""
    photo = tight_grey(astronaut if box[0] == 179 else t1, box)
    assert not MeshEngine(coverage=False).detect(photo), "the detector finds it as it is: this tests nothing"
    faces = mesh_engine.detect(photo)
    assert len(faces) == 1
    # measured: the upload's box to the pixel
    assert np.allclose(faces[0].box, mesh_engine.prepare_source(photo).box, atol=2), faces[0].box


def test_no_stray_pixels_outside_the_face_or_specks_inside(mesh_engine, before, target, measure, inner_face,
                                                           astronaut_face):
    inner, _, _ = inner_face
    source = turned(astronaut_face)
    # the face and the band the outline may move in: the ring of fixed points outside it
    ring = with_ring(measure.landmarks(target))[468:]
    face = np.zeros(target.shape[:2], np.uint8)
    cv2.fillPoly(face, [np.round(ring).astype(np.int32)], 255)
    grow = int(0.03 * np.ptp(ring[:, 0]))  # the judge's mesh and the engine's differ a little
    near_face = cv2.dilate(face, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)) > 0

    def strays(out: np.ndarray) -> tuple[int, int]:
        changed = np.abs(out.astype(int) - target.astype(int)).max(axis=2) > 8
        specks = cv2.absdiff(out, cv2.medianBlur(out, 3)).max(axis=2) > 40
        return int((changed & ~near_face).sum()), int((specks & inner).sum())

    # measured: specks 11 before, 0 now (edge-on triangles, holes in the mesh, folds at the nose)
    old_out, old_specks = strays(swapped(before, target, source))
    new_out, new_specks = strays(swapped(mesh_engine, target, source))
    assert new_out == 0, f"{new_out} pixels changed away from the face (before: {old_out})"
    assert new_specks <= old_specks // 2, f"{new_specks} specks inside the face (before: {old_specks})"


def test_a_track_lost_in_a_jump_is_found_again_in_the_same_frame(astronaut):
    engine = MeshEngine(detect_interval=30)
    source = engine.prepare_source(astronaut)
    stream = engine.open_stream()
    head = faces()["t1-centre"]  # tight: no neighbour comes into view
    still = video(head, (640, 480), 60, 1.2)[:6]
    jumped = [place(head, (640, 480), 1.2, 0, (470, 250))] * 3  # the face leaps 150 px in a frame
    try:
        swaps = [stream.swap(frame, [source]).faces_swapped for frame in still + jumped]
    finally:
        stream.close()
        engine.close()
    assert swaps == [1] * len(swaps), swaps


def judged_frames(engine, t1: np.ndarray, source: str, kind: str, target: str
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The t1 person `source` in form `kind` swapped onto a clip of the t1 person `target` (boxes
    from T1_DLIB_BOXES), as bench.quality does: the last two frames, swapped and as they were."""
    clip = target_clip(t1, T1_DLIB_BOXES[target], 6)
    swapped = play_all(engine, clip, engine.prepare_source(source_form(t1, T1_DLIB_BOXES[source], kind)))
    return [(result.image, frame) for result, frame in zip(swapped[4:], clip[4:], strict=True)]


def test_the_targets_own_pixels_are_never_moved_from_across_the_frame(mesh_engine, t1):
    """A tight greyscale source on a man in a red shirt: the source's outline moves the target's
    own pixels (models/shape.py), and the maps of a few pixels at the edge of his cheek took them
    from his shirt, 200-270 px away: dark red specks."""
    specks = 0
    for out, frame in judged_frames(mesh_engine, t1, "centre", "tight-grey", "right"):
        lab = cv2.cvtColor(out, cv2.COLOR_BGR2LAB).astype(np.int16)
        changed = largest_difference(out, frame) > 20
        shirt = (lab[:, :, 0] < 110) & (lab[:, :, 1] > 160)  # dark red
        specks += int((shirt & changed)[:, :300].sum())  # left of his eyes: his cheek's edge
    # measured: 26 without the reach, 1 now (53 and 4 on the maps' old 2 px grid)
    assert specks < 12, specks


def stair_corners(out: np.ndarray, frame: np.ndarray) -> int:
    """Pixels where the swap's lightness turns a sharp corner (the mixed difference of a 2 x 2
    block over 30 levels) that the frame has not: the steps of an edge drawn pixel by pixel."""
    def corners(image: np.ndarray) -> np.ndarray:
        g = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.int16)
        return np.abs(g[:-1, :-1] - g[1:, :-1] - g[:-1, 1:] + g[1:, 1:]) > 30
    changed = (largest_difference(out, frame) > 8)[:-1, :-1]
    return int((corners(out) & ~corners(frame) & changed).sum())


def test_a_fold_in_a_turned_heads_mesh_is_not_drawn_as_a_staircase(t1):
    """On a man turned far to one side (t1.jpg's fifth person) one triangle of the swap's mesh
    covers another where his far cheek folds behind his nose and lips. Each pixel takes one
    triangle or the other, and the edge between came out as stairs; the pixels on either side of
    such a fold take their neighbours' mean (warp.fold_edges, soften_folds)."""
    clip = target_clip(t1, T1_DLIB_BOXES["turned"], 6)
    source = source_form(t1, T1_DLIB_BOXES["right"], "plain")
    steps = {}
    for soft in (False, True):
        engine = MeshEngine(soft_folds=soft)
        try:
            out = play_all(engine, clip, engine.prepare_source(source))[-1].image
        finally:
            engine.close()
        steps[soft] = stair_corners(out, clip[-1])
    # measured: 15 pixel-sharp, 2 softened
    assert steps[False] >= 8, f"the scene tests nothing: {steps}"
    assert steps[True] <= steps[False] // 3, steps


def test_a_turned_heads_profile_is_swapped_without_stairs_or_specks(mesh_engine, t1):
    """A frontal man swapped onto a man turned far to one side (t1.jpg's fifth person). Along his
    profile the swap's edge came out in stairs and blocks of the maps' coarse grid; and where his
    far cheek's triangles overlap his nose and lips, those drawn over them cut notches into the
    profile, and his own nose tip and lips showed beside the swapped ones."""
    specks = 0
    for out, frame in judged_frames(mesh_engine, t1, "right", "plain", "turned"):
        specks += stray_pixels(out, frame)  # pixels far from their 3 x 3 median that the photo has not
    # measured: 41 on a 2 px grid (warp.MAX_GRID 160), 19 on a 1 px grid with the triangles in
    # index order, 3 drawn far to near (warp.drawing_order)
    assert specks < 10, specks


def test_a_720p_face_is_swapped_without_the_stairs_of_a_coarse_grid(mesh_engine, t1):
    """t1.jpg's second and fifth people onto the sixth, her face 35% of a 1280x720 frame's height
    (a box of 330-420 px): where the sampling maps were worked out on a 2 px grid (warp.MAX_GRID
    320), the swap's edge beside her hair came out in stairs, pixels far from their 3 x 3 median."""
    box = T1_DLIB_BOXES["flash-lit"]
    clip = target_clip(t1, box, 6, size=(1280, 720))
    specks = 0
    for source in ("second", "turned"):
        swapped = play_all(mesh_engine, clip,
                           mesh_engine.prepare_source(source_form(t1, T1_DLIB_BOXES[source], "plain")))
        specks += sum(stray_pixels(result.image, frame) for result, frame in zip(swapped[4:], clip[4:],
                                                                                   strict=True))
    # measured: 29 on the 2 px grid, 0 on one px to a cell
    assert specks < 8, specks


def test_a_profile_sources_background_under_the_nose_is_not_pasted_at_the_targets_nostrils(
        mesh_engine, measure, t1):
    """t1.jpg's fifth person, nearly in profile, onto the third: the wall behind his profile shows
    in the curve under his nose tip, inside the mesh; his far half redrawn from his near one
    (models/symmetry.py), that was a white ring at the nostrils of every target."""
    white = 0
    for out, frame in judged_frames(mesh_engine, t1, "turned", "plain", "centre"):
        mesh = measure.landmarks(frame)
        tip, width = mesh[ft.NOSE_TIP], ft.face_width(mesh)
        ys, xs = np.mgrid[0 : out.shape[0], 0 : out.shape[1]]
        near = np.hypot(xs - tip[0], ys - tip[1]) < 0.15 * width
        lab = cv2.cvtColor(out, cv2.COLOR_BGR2LAB).astype(np.int16)
        pale = (lab[:, :, 0] > 200) & (np.hypot(lab[:, :, 1] - 128, lab[:, :, 2] - 128) < 12)
        white += int((near & pale & (largest_difference(out, frame) > 20)).sum())
    # measured: 18 with the background left in, 0 filled from around it
    assert white < 5, white


def test_a_warm_sources_brows_and_lashes_are_not_tinted_blue_on_a_paler_target(mesh_engine, t1):
    """t1.jpg's third person, photographed in warm light, onto the paler fifth: the colour
    transfer shifted every colour of the source as it shifted the skin, and his grey and brown
    brows, lashes and hair went blue-grey around the eyes (models/color.py: _chroma_map)."""
    blue = 0
    for out, frame in judged_frames(mesh_engine, t1, "centre", "plain", "turned"):
        b, target_b = (cv2.cvtColor(im, cv2.COLOR_BGR2LAB)[:, :, 2].astype(np.int16) for im in (out, frame))
        blue += int(((largest_difference(out, frame) > 10) & (b < 124) & (target_b >= 128)).sum())
    # measured: 78 with every colour shifted alike, 0 with grey held grey
    assert blue < 20, blue


def skin_between_features(image: np.ndarray, measure) -> tuple[np.ndarray, float]:
    """The face in `image` well inside its outline, without the eyes, brows and lips (each with a
    margin); and the face's width."""
    mesh = measure.landmarks(image)
    width = ft.face_width(mesh)
    groups = [*rigid_groups(), list(ft.LEFT_BROW), list(ft.RIGHT_BROW)]
    features = _within(image.shape[:2], [cv2.convexHull(mesh[g]) for g in groups], round(0.06 * width))
    return inside_outline(image.shape[:2], mesh, round(0.12 * width)) & ~features, width


def grey_share(out: np.ndarray, frame: np.ndarray, measure) -> float:
    """The share of the target's skin where the swap's broad colour (a and b, blurred over 5% of
    the face's width) has under half the target's strength there: a grey patch."""
    return greyed_share(out, frame, *skin_between_features(frame, measure))


def test_a_flash_lit_sources_bleached_centre_takes_the_targets_skin_colour(mesh_engine, measure, t1,
                                                                             astronaut):
    """t1.jpg's sixth person, lit by a flash: the centre of her face is bleached almost white, its
    edges are warm. Onto the astronaut, the relight took away the flash's light but not its colour
    (models/relight.py): a grey-green mask with orange cheeks."""
    clip = target_clip(astronaut, ASTRONAUT_DLIB_BOX, 6)
    source = source_form(t1, T1_DLIB_BOXES["flash-lit"], "plain")
    # the photo's colour as taken: evened at upload (models/skin_colour.py), the flash's bleached
    # centre is gone before any frame's light
    old, surfaces = each_engine(lambda engine: grey_share(play(engine, clip, engine.prepare_source(source)),
                                                          clip[-1], measure),
                                {"relight_colour": False, "skin_colour": False}, {"skin_colour": False})
    new = grey_share(play(mesh_engine, clip, mesh_engine.prepare_source(source)), clip[-1], measure)
    # measured: 0.148 with the light alone swapped (or no relight), 0.0 with its colour, and 0.0
    # with the photo's colour evened as well
    assert old > 0.06, "the scene tests nothing: the light alone left no grey patch"
    assert surfaces < 0.02 and new < 0.02, (surfaces, new)


def off_colour_before_and_now(measure, t1: np.ndarray, astronaut: np.ndarray, target: str, before: dict,
                              sheet: str) -> tuple[float, float]:
    """The astronaut onto a clip of the t1 person `target`: the share of his skin (the tests' own
    FaceMesh) off his colour at its lightness (the bench's measure), by an engine with `before`'s
    settings and by the engine as it is; both swaps saved side by side as test-artifacts/`sheet`."""
    clip = target_clip(t1, T1_DLIB_BOXES[target], 6)
    source = source_form(astronaut, ASTRONAUT_DLIB_BOX, "plain")
    region, width = skin_between_features(clip[-1], measure)
    swapped = []

    def off(engine: MeshEngine) -> float:
        swapped.append(play(engine, clip, engine.prepare_source(source)))
        return off_colour_share(swapped[-1], clip[-1], region, width)

    then, now = each_engine(off, before, {})
    save_around(sheet, region, (40, 30), frame=clip[-1], before=swapped[0], now=swapped[1])
    return then, now


def test_a_targets_near_white_nose_leaves_no_grey_patch_on_the_swaps_darker_nose(measure, t1, astronaut):
    """The astronaut onto t1.jpg's fourth person, laughing, his nose lit near white: the swap's
    colour over an area was the target's as it is, and on the swap's darker nose its near grey
    was a grey-green patch. It is the target's colour at the swap's lightness now
    (relight.at_lightness); judged by the bench's measure, on the tests' own FaceMesh skin."""
    before, after = off_colour_before_and_now(measure, t1, astronaut, "right", {"colour_lightness": False},
                                              "grey-nose.png")
    # measured: 4.1% of his skin before (the nose's shaded side), 0.4% now
    assert before > 0.02, "the scene tests nothing: the target's colour taken as it is left no grey"
    assert after < 0.4 * before, (before, after)


def test_a_sources_shadow_on_a_targets_near_white_cheek_takes_his_shadows_colour_not_grey(
        measure, t1, astronaut):
    """The astronaut onto t1.jpg's second person, his far cheek lit near white: where her own
    shadow lies on it the swap took the near grey of his highlight, a grey band down the cheek. It
    takes the colour his skin has at that lightness now (relight.LINE_LOW); judged by the bench's
    measure, on the tests' own FaceMesh skin."""
    before, after = off_colour_before_and_now(measure, t1, astronaut, "second", {"shadow_colour": False},
                                              "grey-shadow.png")
    # measured: 2.9% of his skin before, 0.2% now
    assert before > 0.015, "the scene tests nothing: the highlight's colour left no grey"
    assert after < 0.3 * before, (before, after)


def test_a_sources_near_grey_highlights_leave_no_mint_spots_on_a_warm_targets_cheeks(measure, t1, astronaut):
    """t1.jpg's flash-lit sixth person, turned, onto the astronaut: her photo's sheen on the
    cheeks and nose is a level or two green of grey, and the relight held such pixels on their
    side of grey, so they stayed grey on the astronaut's warm skin: mint spots. They take the
    target's colour now; judged by the bench's measure, on the tests' own FaceMesh skin."""
    clip = target_clip(astronaut, ASTRONAUT_DLIB_BOX, 6)
    source = source_form(t1, T1_DLIB_BOXES["flash-lit"], "turned")
    region, width = skin_between_features(clip[-1], measure)
    (out,) = each_engine(lambda engine: play(engine, clip, engine.prepare_source(source)), {})
    save_around("mint-spots.png", region, (40, 30), frame=clip[-1], now=out)
    patches = patchy_share(out, clip[-1], region, width)
    # measured: 1.9% of her skin in patches with the old hold, 0.0% now
    assert patches < 0.005, patches


def test_a_side_lit_sources_highlights_are_not_blown_out_white_on_a_brighter_target(measure, lena, astronaut):
    """A woman lit from the side (opencv-doc's soft photo): her nose ridge and a hat's brim are
    her brightest skin. Onto the astronaut, lit more brightly, they kept their height over the
    skin and went past white: a flat white stripe down the nose (models/relight.py: roll_off)."""
    clip = target_clip(astronaut, ASTRONAUT_DLIB_BOX, 6)
    source = source_form(lena, LENA_DLIB_BOX, "plain")
    def whites(image: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[:, :, 0] >= WHITE

    # the face, less the few pixels of the target's own that are white already
    inner = inside_outline(clip[-1].shape[:2], measure.landmarks(clip[-1]), 5) & ~whites(clip[-1])

    def white(out: np.ndarray) -> int:
        return int((whites(out) & inner).sum())

    # her shape read from her mirrored layout, as when this was found: there her nose ridge lies on
    # the astronaut's brightest skin (read from the front, the ridge lies beside it, and only 6
    # pixels reach white without the roll-off); and the colour by smooth surfaces alone, as then
    # (the target's colour over smaller areas gives the ridge more colour, which keeps it off
    # white: 17 px without the roll-off), her fine shading as sharp as her photo shows it (softened
    # toward the target's, the ridge is lower: 3 px)
    old, new = each_engine(lambda engine: white(play(engine, clip, engine.prepare_source(source))),
                           {"highlights": False, "shape_from_front": False, "colour_area": False,
                            "shading": False, "skin_colour": False},
                           {"shape_from_front": False})
    # measured: 151 px held at white by the addition, 3 with the roll-off; 27 and 3 since the
    # texture's colour stays in LAB up to the relight (no round trip through BGR, whose clipping
    # took the tint out of near-white highlights: more of them reached white)
    assert old > 20, "the scene tests nothing: no highlight reached white"
    assert new <= 5, new


def test_a_mesh_dropped_while_it_follows_a_face_forgets_it_before_it_follows_another():
    """A track is dropped while its mesh still follows a face (the mesh turned implausible, or a
    second track converged on the same face). Its mesh is kept for the next track: that track
    must see what a new mesh sees, not the old face's place (the mesh is made to forget it with
    a picture without a face, where a restart had cost the next face's first frame 13-20 ms)."""
    head = faces()["t1-centre"]
    here, there = place(head, (640, 480), 1.2), place(head, (640, 480), 1.0, 10, (420, 260))
    used, new = FaceTracker(FaceFinder()), FaceTracker(FaceFinder())
    try:
        for i in range(3):
            (followed,) = used.update(here, i / 30)
        used._drop(followed.track_id)  # as _dedupe or an implausible mesh drops it
        (again,) = used.update(there, 3 / 30)
        (first,) = new.update(there, 0.0)
    finally:
        used.close()
        new.close()
    assert np.array_equal(again.points, first.points)


def test_the_detector_reads_a_frame_beside_the_faces_followed_and_its_finds_are_followed_at_once():
    """A frame's look for new faces runs on the tracker's own thread while the faces it follows
    are read on the caller's (where there is a second core; else on the caller's); a face it finds
    is followed in that same frame, and the thread ends with the tracker."""
    head = faces()["t1-centre"]
    one = place(head, (640, 480), 0.8, 0, (200, 240))
    beside = place(head, (640, 480), 0.8, 0, (460, 240))
    two = np.where(beside != 128, beside, one)  # a second person steps in beside the first
    callers: set[int] = set()

    class Finder(FaceFinder):
        def detect(self, *args, **kwargs):
            callers.add(threading.get_ident())
            return super().detect(*args, **kwargs)

    for beside in (True, False):
        callers.clear()
        tracker = FaceTracker(Finder(), detect_interval=2, beside=beside)
        before = set(threading.enumerate())
        try:
            counts = [len(tracker.update(frame, i / 30)) for i, frame in enumerate([one, one, two])]
            started = set(threading.enumerate()) - before
        finally:
            tracker.close()
        assert counts == [1, 1, 2], counts  # the third frame's look (every second) found the second face
        if beside:
            assert callers and threading.get_ident() not in callers
            assert started and not any(thread.is_alive() for thread in started)
        else:  # one core: the caller's thread, as before
            assert callers == {threading.get_ident()} and not started


def test_the_swap_stays_on_a_swaying_head_instead_of_trailing_it(mesh_engine, t1_face):
    """The man's own photo swapped onto him: where the swap lands off his face, it shows as a
    difference. On a head swaying before a webcam it differs little more than on a still one
    (landmarks smoothed as one filter over every point trailed the sway: 2.9 times the still's)."""
    source = mesh_engine.prepare_source(t1_face)
    sway = video(t1_face, (640, 480), 60, 1.6)[:12]

    def difference(frames: list[np.ndarray]) -> float:
        outs = [result.image for result in play_all(mesh_engine, frames, source)]
        return float(np.mean([np.abs(o.astype(np.int16) - f).mean() for o, f in zip(outs[4:], frames[4:],
                                                                                      strict=True)]))

    moving, still = difference(sway), difference([sway[0]] * len(sway))
    assert moving < 1.6 * still, f"{moving:.3f} on the swaying head, {still:.3f} on the still one"


def _within(shape: tuple[int, int], polygons: list[np.ndarray], grow: int) -> np.ndarray:
    """Pixels inside the polygons, grown (or shrunk, grow < 0) by `grow` px."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(p).astype(np.int32) for p in polygons], 255)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(grow) + 1, 2 * abs(grow) + 1))
    return (cv2.dilate(mask, kernel) if grow >= 0 else cv2.erode(mask, kernel)) > 0


@pytest.fixture(scope="module")
def unshaped():
    """The engine with the target's shape kept (eyes and mouth stay where they were) and the
    source's eyes left out (tests/test_gaze.py has them), and the same with the openings cut
    wide, as before."""
    engines = MeshEngine(shape=0, eyes=False), MeshEngine(shape=0, openings="wide")
    yield engines
    for engine in engines:
        engine.close()


def test_without_the_sources_eyes_the_lids_are_the_sources_and_the_eyes_inside_them_the_targets(
        unshaped, target, measure, astronaut_face):
    exact, wide = unshaped
    source = astronaut_face
    mesh = measure.landmarks(target)
    eyes = [mesh[ft.left_eye()], mesh[ft.right_eye()]]
    width = float(np.ptp(mesh[ft.face_oval(), 0]))
    opening = _within(target.shape[:2], eyes, -2)
    size = target.shape[:2]
    lids = _within(size, eyes, round(0.04 * width)) & ~_within(size, eyes, round(0.01 * width))

    def change(out: np.ndarray, where: np.ndarray) -> float:
        return float(np.abs(out.astype(int) - target.astype(int)).max(axis=2)[where].mean())

    new, old = swapped(exact, target, source), swapped(wide, target, source)
    # measured: the eyes 2.4 (wide: 5.4); the lids 31.6 (wide: 22.0, the target's lashes showed)
    assert change(new, opening) < 4, "the target's eyes (its gaze, its blinks) were painted over"
    assert change(new, lids) > change(old, lids) + 5, (change(new, lids), change(old, lids))


def test_an_open_mouth_shows_its_own_teeth_under_a_closed_mouthed_source(unshaped, measure,
                                                                         astronaut_face, t1):
    exact, wide = unshaped
    target = place(astronaut_face, (640, 480), 1.0)  # she smiles, teeth showing
    source = crop_face(t1, T1_FACE_BOXES["left"], 0.8)  # lips closed
    teeth = _within(target.shape[:2], [measure.landmarks(target)[ft.inner_lips()]], -2)

    def change(out: np.ndarray) -> float:
        return float(np.abs(out.astype(int) - target.astype(int)).max(axis=2)[teeth].mean())

    # measured: 0.0; cut wide in the source's pixels, 67.5 (the source's closed lips stretched over
    # the target's open mouth: a grey smear where the teeth were)
    new, old = change(swapped(exact, target, source)), change(swapped(wide, target, source))
    assert new < 3 and old > 30, (new, old)


def test_the_sources_brows_arrive_whole_and_its_fringe_stays_off_the_targets_forehead(target, measure,
                                                                                        astronaut_face):
    # the astronaut's fringe comes down almost to her brows; the target's forehead is bare
    source = astronaut_face
    mesh = measure.landmarks(target)
    points = mesh[ft.brows()]
    left = points[:, 0] < mesh[ft.NOSE_TIP, 0]
    brows = [cv2.convexHull(points[side])[:, 0] for side in (left, ~left)]
    brow_area = _within(target.shape[:2], brows, 1)
    top, brow_top = mesh[ft.FOREHEAD_TOP, 1], points[:, 1].min()
    inner = sorted(mesh[[107, 336], 0])  # the brows' inner ends
    forehead = np.zeros(target.shape[:2], bool)  # the middle of the forehead, between brows and top
    forehead[round(top + 0.3 * (brow_top - top)) : round(brow_top - 0.2 * (brow_top - top)),
             round(inner[0]) : round(inner[1])] = True

    def change(out: np.ndarray, where: np.ndarray) -> float:
        return float(np.abs(out.astype(int) - target.astype(int)).max(axis=2)[where].mean())

    new, old = swapped_by(target, source, {}, {"forehead": "fixed"})
    # measured: the brows changed by 45 (fixed fade: 28, half the target's brows showed through);
    # the forehead by 0.0 (fixed fade: 25, a band of the source's fringe)
    brows_now, brows_fixed = change(new, brow_area), change(old, brow_area)
    forehead_now, forehead_fixed = change(new, forehead), change(old, forehead)
    assert brows_now > brows_fixed + 10, (brows_now, brows_fixed)
    assert forehead_now < 3 and forehead_fixed > 10, (forehead_now, forehead_fixed)


def _temple(image: np.ndarray, mesh: np.ndarray, width: float) -> np.ndarray:
    """The face's temple on the image's left: inside the outline, within `width` of its left
    edge, from the brows' top down to the eye's outer corner."""
    oval = _within(image.shape[:2], [mesh[ft.face_oval()]], 0)
    left = mesh[ft.face_oval(), 0].min()
    rows = np.arange(image.shape[0])[:, None]
    cols = np.arange(image.shape[1])[None, :]
    top, low = mesh[ft.brows(), 1].min(), mesh[33, 1]  # 33: the left eye's outer corner
    return oval & (cols < left + width) & (rows > top) & (rows < low)


def test_a_sources_side_hair_at_the_temple_is_not_pasted_onto_the_targets_bare_temple(target, measure,
                                                                                        astronaut_face):
    # a sideburn or side fringe lies inside the mesh's outline, beside the brow: painted here in
    # dark hair's colour onto the astronaut's left temple
    source = astronaut_face.copy()
    mesh = measure.landmarks(source)
    hair = _temple(source, mesh, 0.1 * ft.face_width(mesh))
    source[hair] = (28, 32, 40)
    tmesh = measure.landmarks(target)
    temple = _temple(target, tmesh, 0.08 * ft.face_width(tmesh))

    def darkened(out: np.ndarray) -> float:
        return float((lightness(target) - lightness(out))[temple].mean())

    new, old = swapped_by(target, source, {}, {"temples": False, "edges": False})
    cv2.imwrite(str(ARTIFACTS / "temple_hair.png"), np.hstack([target, new, old]))
    # measured: 0.0 (without the temples' agreement and the edge cut: 37.7, the source's hair
    # across the temple; with the edge cut alone, 25.7: it takes what reaches the outline)
    assert darkened(new) < 10 and darkened(old) > 30, (darkened(new), darkened(old))


def test_background_inside_a_turned_sources_outline_is_not_pasted_down_the_targets_cheek(
        mesh_engine, measure, smiling_man, goatee_man):
    # the smiling man a little turned (too little for the mirror fill): the mesh's outline reaches
    # past his far cheek into the dark background, which was a grey stripe down the target's cheek.
    # Both as bench.quality makes them, where the stripe was seen (its held-out faces)
    def box(photo: np.ndarray) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = (int(v) for v in mesh_engine.detect(photo)[0].box)
        return x0, y0, x1, y1

    source = source_form(smiling_man, box(smiling_man), "turned")
    target = target_clip(goatee_man, box(goatee_man), 1)[0]
    _, _, far_third = face_and_thirds(target, measure, 10)

    def darkened(out: np.ndarray) -> float:
        """The share of the far third made much darker than the target's own."""
        return float(((lightness(target) - lightness(out))[far_third] > 40).mean())

    # the edge cut's own doing: the hair over the cheeks (models/side_hair.py) left in, as it was
    # when this was measured; painted over as it is now, the stripe is gone either way (below)
    new, old = (swapped_with(target, source, side_hair="kept", **kw) for kw in ({}, {"edges": False}))
    now = swapped_with(target, source)
    cv2.imwrite(str(ARTIFACTS / "edges.png"), np.hstack([target, new, old, now]))
    # measured: 7.7% (without the edge cut: 14.4%); as the engine is now, 3.4%
    assert darkened(new) < 0.10 and darkened(new) < 0.6 * darkened(old), (darkened(new), darkened(old))
    assert darkened(now) < 0.10, darkened(now)


def test_the_edge_cut_leaves_a_face_whose_outline_lies_on_skin_and_a_beard_alone(
        smiling_man, glasses_man, goatee_man):
    uncut = MeshEngine(edges=False)  # its sources keep the photo's crop as it is
    try:
        views = [uncut.prepare_source(photo).data.view for photo in (smiling_man, glasses_man, goatee_man)]
    finally:
        uncut.close()
    for view in views[:2]:  # frontal enough: their outlines lie on their skin
        assert edge_intrusions(*view.photo) is None
    # the goatee man's outline passes his left cheek's edge (the green behind him is cut there),
    # but his goatee, below his mouth's corners, stays his
    found = edge_intrusions(*views[2].photo)
    assert found is not None and cv2.countNonZero(found) > 0
    points = views[2].points
    corners = points[list(ft.MOUTH_CORNERS)]
    x0, x1 = int(corners[:, 0].min()), int(corners[:, 0].max())
    beard = found[int(corners[:, 1].max()) : int(points[ft.CHIN][1]), x0:x1]
    assert cv2.countNonZero(beard) == 0


def test_the_edge_cut_takes_with_it_what_it_parts_from_the_face(t1):
    # the fourth man of t1.jpg, turned as bench.quality turns him: the cut takes a dark strip
    # along his ear's inner edge, and the ear's light rim beyond it was left inside the mask, an
    # island of his ear in a ring of the target's skin (on t1.jpg's turned man, a dark crescent
    # and a pale shape on the near cheek). So too two small islands of the first two people's
    # plain photos
    uncut = MeshEngine(edges=False)  # its sources keep the photo's crop as it is
    try:
        views = [uncut.prepare_source(source_form(t1, T1_DLIB_BOXES[who], kind)).data.view
                 for who, kind in (("right", "turned"), ("first", "plain"), ("second", "plain"))]
    finally:
        uncut.close()
    for view in views:
        image, inside, points = view.photo
        cut = edge_intrusions(image, inside, points)
        assert cut is not None
        oval = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(oval, [np.round(points[ft.face_oval(), :2]).astype(np.int32)], 255)
        kept = cv2.bitwise_and(oval, cv2.compare(cut, 128, cv2.CMP_LT))
        # measured: one piece each (before: the face and an island of 50, 13 and 6 px)
        assert cv2.connectedComponents(kept, connectivity=8)[0] - 1 == 1


def test_a_fringe_over_the_sources_brows_is_not_pasted_across_the_targets_bare_forehead(target, measure,
                                                                                         yale):
    # a real photo: the Yale face database's woman, her fringe down over her brows (opencv-doc)
    mesh = measure.landmarks(target)
    face_w = ft.face_width(mesh)
    # the target's brows and the skin around them
    band = _within(target.shape[:2], [mesh[list(brow)] for brow in (ft.LEFT_BROW, ft.RIGHT_BROW)],
                   round(0.05 * face_w))

    def change(out: np.ndarray) -> float:
        return float(np.abs(lightness(target) - lightness(out))[band].mean())

    new, old = swapped_by(target, yale, {}, {"hair": False})
    cv2.imwrite(str(ARTIFACTS / "fringe.png"), np.hstack([target, new, old]))
    # measured: 12.9 (the target's own brows show, the swap's light around them); without the
    # hair cut out, 46.5: her fringe's strands as a band across his brows, pale streaks above
    assert change(new) < 20 and change(old) > 35, (change(new), change(old))


def test_a_tilted_targets_bright_forehead_shows_no_line_where_the_swap_fades_out(measure, t1, astronaut):
    # t1.jpg's first woman, her head tilted, her forehead lit brighter toward her hair than the
    # relight's surfaces bend: the swap's forehead came out darker, and the mask's fade across it
    # showed as a slanting line (bench.quality's astronaut -> t1-1; models/seam.py)
    frame = target_clip(t1, T1_DLIB_BOXES["first"], 1)[0]
    source = source_form(astronaut, ASTRONAUT_DLIB_BOX, "plain")
    new, old = (swapped_with(frame, source, forehead_edge=on) for on in (True, False))
    mesh = measure.landmarks(frame)
    face = FaceFrame(frame.shape[:2], mesh)  # heights along her tilted face's chin-to-forehead axis
    above_brows = face.height > face.height_of(ft.brows()).max()
    forehead = _within(frame.shape[:2], [mesh[ft.face_oval()]], -3) & above_brows
    lower = (face.oval > 0) & (face.height < face.height_of(ft.NOSE_TIP))

    def off(out: np.ndarray) -> float:
        return float(np.abs(lightness(out) - lightness(frame))[forehead].mean())

    cv2.imwrite(str(ARTIFACTS / "forehead-edge.png"), np.hstack([frame, new, old]))
    # measured: 2.4 levels off the frame's forehead, 4.1 before
    assert off(new) < 0.75 * off(old), (off(new), off(old))
    # below the nose's tip, where the likeness is, the swap is as it was
    assert np.array_equal(new[lower], old[lower])


def test_the_sources_mouth_folds_no_skin_around_the_targets_lips(measure, astronaut, frame):
    # the astronaut smiles (a wider mouth, the chin lower) onto a closed mouth: left to the
    # source's expression while the lips moved as one piece, the skin under the lower lip and at
    # the mouth's corners was squeezed past nothing and folded (a bright dash of the source's chin)
    source = measure.landmarks(astronaut)[:468, :2].astype(np.float32)
    target = measure.landmarks(frame)[:468, :2].astype(np.float32)
    moved = reshape(source, target, np.maximum(shape_weights(source), OUTLINE))
    tris = ft.triangles()
    around = np.isin(tris, rigid_groups()[2]).any(1)
    before, after = doubled_areas(target[tris]), doubled_areas(moved[tris])
    judged = around & (np.abs(before) > 0.1 * np.median(np.abs(before)))  # not those seen edge-on
    # measured: the smallest kept 0.57 of its area (before the skin followed the lips: -1.48)
    assert (after[judged] / before[judged]).min() > 0.3


def test_a_small_source_is_not_softened_by_being_enlarged_every_frame(target, inner_face, astronaut_face):
    # the astronaut's face 80 px wide (a small upload, a face far from the camera) onto a face
    # more than twice that size: drawn straight from the small texture, every frame's bilinear
    # warp enlarged it; enlarged once at upload by bicubic interpolation, the swap keeps more detail
    face = astronaut_face
    small = cv2.resize(face, None, fx=80 / 104, fy=80 / 104, interpolation=cv2.INTER_AREA)
    inner, _, _ = inner_face

    def detail(out: np.ndarray) -> float:
        return float(np.abs(cv2.Laplacian(lightness(out), cv2.CV_32F))[inner].mean())

    # the texture's own detail: the shading's and grain's steps (models/relight.py) bring any swap's
    # fine detail toward the target's, whichever texture it came from (with them: 3.16 against
    # 3.12, the target's colour at the swap's lightness moving it by 0.01-0.02)
    texture_only = {"shading": False, "grain": False}
    enlarged, drawn = swapped_by(target, small, texture_only, {"enlarge": False, **texture_only})
    # measured: 3.43 against 3.27 (mean |Laplacian| of L in the face)
    assert detail(enlarged) > 1.03 * detail(drawn), (detail(enlarged), detail(drawn))


def cheek_band(shape: tuple[int, int], mesh: np.ndarray) -> np.ndarray:
    """bool: inside the mesh's outline, from the eyes' lowest point down to the nose's tip: the
    cheeks and the nose, where neither a beard nor the lips are."""
    rows = np.arange(shape[0])[:, None]
    eyes = mesh[np.concatenate([ft.left_eye(), ft.right_eye()]), 1].max()
    return inside_outline(shape, mesh, 5) & (rows > eyes) & (rows < mesh[ft.NOSE_TIP, 1])


def test_the_swaps_cheeks_take_the_targets_skin_tone_where_it_differs_above_and_below(measure, t1, astronaut):
    """The target's broad colour is laid on the swap as surfaces fitted over the face
    (models/relight.py). Many faces are paler above the nose than below it (the lips, a flushed
    chin, stubble); quadratic surfaces could not follow that, and the swap's cheeks kept the
    whole face's redder mean: a pink face on an orange-tan man, a grey one on a warm woman."""
    photos = {"astronaut": (astronaut, ASTRONAUT_DLIB_BOX)} | {n: (t1, b) for n, b in T1_DLIB_BOXES.items()}
    pairs = [("astronaut", "centre"), ("first", "right"), ("flash-lit", "astronaut"), ("second", "centre")]
    clips = {target: target_clip(*photos[target], 6) for _, target in pairs}
    bands = {target: cheek_band(clip[-1].shape[:2], measure.landmarks(clip[-1]))
             for target, clip in clips.items()}

    def shifts(engine: MeshEngine) -> list[float]:
        """Per pair, how far the swap's cheeks are from the target's tone (CIE a*, b*)."""
        found = []
        for source, target in pairs:
            out = play(engine, clips[target], engine.prepare_source(source_form(*photos[source], "plain")))
            found.append(tone_shift(out, clips[target][-1], bands[target]))
        return found

    # the surfaces alone: the colour over smaller areas (test below) would take the tone either way,
    # and so would the photo's broad colour evened at upload (models/skin_colour.py)
    # The hair over the first woman's cheek is left in too (models/side_hair.py): painted over,
    # her swap onto the man on the right came out nearer his tone with either surfaces (4.4 and
    # 4.2), where this test looks for the difference between them
    before, after = each_engine(shifts, {"colour_degree": 2, "colour_area": False, "skin_colour": False,
                                         "side_hair": "kept"},
                                {"colour_area": False, "skin_colour": False, "side_hair": "kept"})
    # measured (2026-12-06): 4.9, 6.8, 3.8, 4.2 with quadratic surfaces; 4.5, 5.9, 2.6, 3.4 with
    # cubic ones (earlier 5.2, 6.2, 4.2, 3.7 and 4.6, 5.5, 3.1, 3.1)
    assert all(a < b - 0.3 for a, b in zip(after, before, strict=True)), (before, after)


def test_a_flash_lit_source_leaves_no_colour_patches_on_a_warm_targets_cheeks(measure, t1):
    """A flash bleaches a face's centre unevenly. The relight's smooth colour surfaces follow the
    bleached centre and warm edges, not the patches between: on a warm, evenly coloured target
    they were mint patches on the cheeks. The colour over areas 3% of the face wide is now the
    target's (relight.colour_of_area); finer colour (lips, brows, lids) stays the source's."""
    pairs = [("flash-lit", "centre"), ("flash-lit", "right"), ("second", "centre")]
    clips = {target: target_clip(t1, T1_DLIB_BOXES[target], 6) for _, target in pairs}
    meshes = {target: measure.landmarks(clip[-1]) for target, clip in clips.items()}

    def patches(engine: MeshEngine) -> list[float]:
        """Per pair, the share of the target's cheeks in colour patches its own do not have."""
        found = []
        for source, target in pairs:
            frame, mesh = clips[target][-1], meshes[target]
            source_face = engine.prepare_source(source_form(t1, T1_DLIB_BOXES[source], "plain"))
            out = play(engine, clips[target], source_face)
            width = float(np.ptp(mesh[ft.face_oval(), 0]))
            found.append(patchy_share(out, frame, cheek_band(frame.shape[:2], mesh), width))
        return found

    # the photo's colour as taken: evened at upload (models/skin_colour.py), the flash's patches
    # are gone before any frame's colour
    before, after = each_engine(patches, {"colour_area": False, "skin_colour": False}, {"skin_colour": False})
    # measured: 0.198, 0.182, 0.245 with the surfaces alone; 0.104, 0.089, 0.064 now
    assert all(a < 0.7 * b for a, b in zip(after, before, strict=True)), (before, after)


def cheek_detail(image: np.ndarray, band: np.ndarray, width: float, finer_than: float) -> float:
    """The root mean square of the lightness less its blur over `finer_than` of the face's
    `width`, over the cheeks' `band`: 5%, the fine shading (creases, folds); 1%, the grain."""
    lightness = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[:, :, 0].astype(np.float32)
    fine = lightness - cv2.GaussianBlur(lightness, (0, 0), finer_than * width)
    return float(np.sqrt(np.mean(fine[band] ** 2)))


def test_a_sources_creases_are_softened_on_a_flat_lit_target_and_kept_on_a_shaded_one(measure, t1, astronaut):
    """A source's fine shading (creases, folds, a cheek's own shadow) is as sharp as its photo
    shows it. On a pale target lit flat (the second person of t1.jpg) the swap looked cut from
    metal: dark creases on skin the target's camera shows smooth. It is now scaled down toward
    the target's own (relight.soften_shading); on a target whose skin shows shading, it stays."""
    photos = {"astronaut": (astronaut, ASTRONAUT_DLIB_BOX)} | {n: (t1, b) for n, b in T1_DLIB_BOXES.items()}
    flat = [("astronaut", "second"), ("centre", "second")]
    shaded = [("astronaut", "centre"), ("first", "astronaut")]
    clips = {target: target_clip(*photos[target], 6) for _, target in flat + shaded}
    cheeks = {}
    for target, clip in clips.items():
        mesh = measure.landmarks(clip[-1])
        cheeks[target] = (cheek_band(clip[-1].shape[:2], mesh), float(np.ptp(mesh[ft.face_oval(), 0])))

    def measured(engine: MeshEngine) -> tuple[list[float], list[float]]:
        """The share of the flat target's cheeks shaded harsher than its own, per pair of `flat`;
        the swap's fine shading on the shaded targets' cheeks, per pair of `shaded`."""
        out = {(source, target): play(engine, clips[target],
                                      engine.prepare_source(source_form(*photos[source], "plain")))
               for source, target in flat + shaded}
        return ([harsh_share(out[pair], clips[pair[1]][-1], *cheeks[pair[1]]) for pair in flat],
                [cheek_detail(out[pair], *cheeks[pair[1]], 0.05) for pair in shaded])

    before, after = each_engine(measured, {"shading": False}, {})
    (harsh_before, shading_before), (harsh_after, shading_after) = before, after
    # measured: 0.196 and 0.159 of the flat target's cheeks shaded harsher before, 0.135 and 0.072
    # now; the shaded targets' cheeks keep 0.94 and 0.93 of the swap's shading
    softened = [a / b for b, a in zip(harsh_before, harsh_after, strict=True)]
    kept = [a / b for b, a in zip(shading_before, shading_after, strict=True)]
    assert max(softened) < 0.75 and min(kept) > 0.9, (harsh_before, harsh_after, shading_before,
                                                      shading_after)


def test_a_sharp_photos_grain_fades_to_a_soft_frames_and_stays_on_a_sharp_one(measure, goatee_man,
                                                                               glasses_man, astronaut):
    """A sharp, high-resolution photo (the man with a goatee, his face 320 px wide) on a softer
    frame (the astronaut's portrait) stood out as pasted on: pores and stubble sharper than any
    skin around them. The swap's grain is now scaled toward the frame's (relight.match_grain); on
    a frame as sharp (the man with glasses), it stays."""
    frames = {"soft": target_clip(astronaut, ASTRONAUT_DLIB_BOX, 6),
              "sharp": [place(glasses_man, (640, 480), 0.9)] * 4}
    cheeks = {}
    for name, clip in frames.items():
        mesh = measure.landmarks(clip[-1])
        cheeks[name] = (cheek_band(clip[-1].shape[:2], mesh), float(np.ptp(mesh[ft.face_oval(), 0])))

    swapped = []

    def grains(engine: MeshEngine) -> dict[str, float]:
        source = engine.prepare_source(goatee_man)
        out = {name: play(engine, clip, source) for name, clip in frames.items()}
        swapped.append(out["soft"])
        return {name: cheek_detail(image, *cheeks[name], 0.01) for name, image in out.items()}

    before, after = each_engine(grains, {"grain": False}, {})
    save_around("grain.png", cheeks["soft"][0], (60, 20), frame=frames["soft"][-1], sharp=swapped[0],
                now=swapped[1])
    own = cheek_detail(frames["soft"][-1], *cheeks["soft"], 0.01)
    # measured: the soft frame's cheeks 2.80, the swap's 3.56 before and 2.84 now; on the sharp
    # frame 8.24 and 8.16
    assert before["soft"] > 1.2 * own, "the scene tests nothing: the swap was no sharper than the frame"
    assert after["soft"] < 1.1 * own, (own, before, after)
    assert after["sharp"] > 0.97 * before["sharp"], (before, after)


def dimmed(image: np.ndarray) -> np.ndarray:
    """`image` as a webcam in a dim room shows it (bench.quality's `dim` light, without its noise):
    a third of the light, through the camera's tone curve."""
    dim = LIGHTS["dim"]
    assert dim is not None
    return np.clip(dim.on(image) + 0.5, 0, 255).astype(np.uint8)


def test_a_lit_photo_on_a_dim_webcams_face_keeps_its_shading_as_faint_as_the_camera_shows_it(
        target, inner_face, t1_face):
    """The man's own photo, well lit, onto his own face in a dim room: the swap should look like
    the frame. Shifted down to the frame's mean with the photo's contrast, his sockets, nostrils
    and jaw's shadow came out far darker than the camera shows them."""
    frame = dimmed(target)
    inner, _, _ = inner_face
    seen = lightness(frame)[inner]

    def measured(image: np.ndarray) -> tuple[float, float]:
        """The spread of the face's lightness over the frame's, and its mean difference from it."""
        light = lightness(image)[inner]
        return float(light.std() / seen.std()), float(np.abs(light - seen).mean())

    shifted, scaled = (measured(swapped_with(frame, t1_face, **settings))
                       for settings in ({"exposure": False}, {}))
    print(f"spread over the frame's, mean difference: shifted {shifted}, scaled {scaled}")
    assert shifted[0] > 1.2, "the scene tests nothing: the shifted light kept the shading faint"
    assert 0.85 < scaled[0] < 1.1 and scaled[1] < 0.75 * shifted[1], (shifted, scaled)


def chin_darkness(image: np.ndarray, where: dict[str, np.ndarray]) -> float:
    """The chin's darkest tenth over the cheeks' mean lightness (`where`: lower_face_parts)."""
    light = lightness(image)
    return float(np.percentile(light[where["chin"]], 10) / light[where["cheeks"]].mean())


def test_a_targets_goatee_leaves_no_grey_ghost_on_the_swaps_chin(measure, goatee_man, astronaut):
    """The astronaut onto opencv-doc's man with a goatee: his beard counted as skin in what the
    swap's colour and light are taken from, and where the mask fades over his chin it showed
    through, a grey ghost of the goatee on her chin. It is left out and covered now
    (models/beard.py)."""
    frame = place(goatee_man, (640, 480), 0.6)
    where = lower_face_parts(frame, measure.landmarks(frame))
    as_skin, left_out = each_engine(lambda engine: swapped(engine, frame, astronaut), {"beards": False}, {})
    save_around("beard.png", where["chin"] | where["cheeks"], (30, 30), frame=frame, beard_as_skin=as_skin,
                beard_left_out=left_out)

    # measured: the frame 0.19 (the goatee), the swap 0.24 with it as skin and 0.49 left out
    old, new = chin_darkness(as_skin, where), chin_darkness(left_out, where)
    assert old < 0.3, f"the scene tests nothing: the swap's chin with the beard as skin was at {old:.2f}"
    assert new > 0.4, (old, new)


def test_a_tight_crop_paints_no_chin_it_lacks_over_a_targets_beard(measure, goatee_man, astronaut):
    """A tight greyscale crop cut under the lips onto the man with a goatee. The cover raised the
    mask over his chin (models/beard.py) where the crop has no chin at all: a pale, stepped smear
    with the crop's edge a dotted dark line across it. Where the photo holds nothing the beard is
    his again; with the whole photo the cover still hides it."""
    frame = place(goatee_man, (640, 480), 0.6)
    where = lower_face_parts(frame, measure.landmarks(frame))
    tight = swapped_with(frame, tight_grey(astronaut, ASTRONAUT_BOX))
    save_around("beard-tight-crop.png", where["chin"] | where["cheeks"], (30, 30), frame=frame,
                tight_crop=tight)

    # measured: the frame 0.19; the tight crop's swap 0.62 with the cover over all of the chin,
    # 0.19 held to what the crop holds (the whole photo: 0.49, test above)
    own, swap = chin_darkness(frame, where), chin_darkness(tight, where)
    assert swap < own + 0.1, f"the chin the crop lacks was painted over: {own:.2f} -> {swap:.2f}"
