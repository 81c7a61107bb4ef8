"""A source photo's own hard shadow taken off at upload (models/photo_shadow.py), on made-up photos:
a textured face in a room, a shadow's edge of known place, direction and depth laid across it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench.quality import shadowed
from models.photo_shadow import bridged, keeps_colour, photo_edge, refine, taken_off
from models.shadow_edge import Edge, find_edge

pytestmark = pytest.mark.parallel

H, W = 240, 200


@pytest.fixture(scope="module")
def photo() -> tuple[np.ndarray, np.ndarray]:
    """A warm, textured face (an ellipse) in front of a darker, textured room: BGR, and the face's
    uint8 mask."""
    rng = np.random.default_rng(3)
    face = np.zeros((H, W), np.uint8)
    cv2.ellipse(face, (W // 2, H // 2), (70, 95), 0, 0, 360, 255, -1)
    skin = np.float32([150, 170, 215])
    room = np.float32([90, 110, 120])
    base = np.where(face[:, :, None] > 0, skin, room)
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    light = 1.0 - 0.15 * ((xs - W / 2) ** 2 + (ys - H / 2) ** 2) / (W * W / 4)  # a bright centre
    detail = cv2.GaussianBlur(rng.normal(0, 12, (H, W, 3)).astype(np.float32), (0, 0), 2)
    image = base * light[:, :, None] + detail + rng.normal(0, 2, (H, W, 3))
    return np.clip(image + 0.5, 0, 255).astype(np.uint8), face


def shaded(image: np.ndarray, edge: Edge, where: np.ndarray | None = None) -> np.ndarray:
    """`image` with `edge`'s shadow laid on it, as a shadow scales light: L + 41, a - 128 and
    b - 128 of 8-bit LAB each scaled by exp(step) past the line (only inside `where`, if given)."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    gain = np.exp(edge.image(image.shape[:2]))
    if where is not None:
        gain = np.where(where > 0, gain, 1.0)
    lab[:, :, 0] = (lab[:, :, 0] + 41.0) * gain - 41.0
    lab[:, :, 1:] = 128.0 + (lab[:, :, 1:] - 128.0) * gain[:, :, None]
    return cv2.cvtColor(np.clip(lab + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)


def seam(image: np.ndarray, x: int) -> float:
    """The largest step in mean lightness from one column to the next within 12 px of column `x`,
    over the face's middle rows."""
    lightness = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[H // 2 - 40 : H // 2 + 40, x - 12 : x + 12, 0]
    return float(np.abs(np.diff(lightness.astype(np.float32).mean(0))).max())


def apart(one: np.ndarray, other: np.ndarray, region: np.ndarray) -> float:
    return float(np.abs(one.astype(np.float32) - other.astype(np.float32))[region > 0].mean())


# between the frames' grid lines (every 10 degrees, every 5% of the box): 4 degrees, 0.013
SHADOW = Edge(step=-0.6, angle=float(np.radians(4.0)), offset=0.013, width=0.004)


def test_a_shadow_across_the_photo_is_found_between_the_grids_lines(photo):
    image, face = photo
    lightness = cv2.cvtColor(shaded(image, SHADOW), cv2.COLOR_BGR2LAB)[:, :, 0]
    found = photo_edge(lightness, face, np.full_like(face, 255))
    assert found is not None
    # measured: -0.60 at 4.0 degrees, 0.0129
    assert abs(found.step - SHADOW.step) < 0.06, found
    assert abs(np.degrees(found.angle - SHADOW.angle)) < 0.6, found
    assert abs(found.offset - SHADOW.offset) < 0.003, found


@pytest.mark.slow
def test_refining_moves_the_frames_edge_onto_the_photos_line(photo):
    image, face = photo
    lightness = cv2.cvtColor(shaded(image, SHADOW), cv2.COLOR_BGR2LAB)[:, :, 0]
    ys, xs = np.nonzero(face)
    values, xs, ys = lightness[ys, xs], xs.astype(np.float32), ys.astype(np.float32)
    coarse = find_edge(values, xs, ys, float(max(H, W)))
    fine = refine(coarse, values, xs, ys, float(max(H, W)))
    assert abs(fine.offset - SHADOW.offset) < abs(coarse.offset - SHADOW.offset) or abs(
        np.degrees(fine.angle - SHADOW.angle)) < abs(np.degrees(coarse.angle - SHADOW.angle))
    assert abs(np.degrees(fine.angle - SHADOW.angle)) < 0.6 and abs(fine.offset - SHADOW.offset) < 0.003


def test_no_edge_is_taken_where_the_room_beyond_the_face_does_not_step_with_it(photo):
    """A line of light and shade on the face alone (a nose's lit and shaded flanks) is the face's
    own shape, not a shadow cast on it."""
    image, face = photo
    on_face_only = cv2.cvtColor(shaded(image, SHADOW, face), cv2.COLOR_BGR2LAB)[:, :, 0]
    assert photo_edge(on_face_only, face, np.full_like(face, 255)) is None


def test_a_dark_lock_of_hair_down_the_cheek_is_no_shadow(photo):
    """Past a line down the face, dark grey-green hair over the cheek, and the room darker too: in
    lightness a shadow's step, in colour not the skin's (the social set's lamp-lit `s6-2`)."""
    image, face = photo
    hair = image.copy()
    cols = np.arange(W)[None, :] > W / 2 + 2.6  # the line between the frames' grid lines
    hair[cols.repeat(H, 0)] = (image[cols.repeat(H, 0)] * np.float32([0.42, 0.4, 0.3])).astype(np.uint8)
    lab = cv2.cvtColor(hair, cv2.COLOR_BGR2LAB)
    found = photo_edge(lab[:, :, 0], face, np.full_like(face, 255))
    assert found is not None, "the scene tests nothing: no step in lightness found"
    assert not keeps_colour(found, lab, face > 0)
    shadow = cv2.cvtColor(shaded(image, SHADOW), cv2.COLOR_BGR2LAB)
    assert keeps_colour(photo_edge(shadow[:, :, 0], face, np.full_like(face, 255)), shadow, face > 0)


def test_a_greyscale_photos_shadow_keeps_its_colour(photo):
    """A greyscale photo's sides are both grey, a scan's faint cast aside (a level of blue on one
    side, of red on the other): measured against a colour of nearly nothing, that was a change."""
    image, face = photo
    grey = cv2.cvtColor(cv2.cvtColor(shaded(image, SHADOW), cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    past = (SHADOW.image((H, W)) < SHADOW.step / 2)[:, :, None]
    cast = np.where(past, np.float32([1, 0, -1]), np.float32([-1, 0, 1]))
    grey = np.clip(grey + cast, 0, 255).astype(np.uint8)
    lab = cv2.cvtColor(grey, cv2.COLOR_BGR2LAB)
    found = photo_edge(lab[:, :, 0], face, np.full_like(face, 255))
    assert found is not None and keeps_colour(found, lab, face > 0)


def test_a_photo_in_even_light_shows_no_edge(photo):
    image, face = photo
    assert photo_edge(cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[:, :, 0], face, np.full_like(face, 255)) is None


def test_the_shadow_taken_off_leaves_the_photo_as_it_was_lit(photo):
    image, face = photo
    dark = shaded(image, SHADOW)
    lightness = cv2.cvtColor(dark, cv2.COLOR_BGR2LAB)[:, :, 0]
    found = photo_edge(lightness, face, np.full_like(face, 255))
    lifted = taken_off(dark, found)
    # measured: 29.0 levels apart over the face in the shadow, 0.8 with it taken off
    print(f"{apart(dark, image, face):.1f} -> {apart(lifted, image, face):.1f}")
    assert apart(dark, image, face) > 10.0
    assert apart(lifted, image, face) < 2.5


def test_a_penumbra_unlike_the_fits_leaves_no_seam_where_the_halves_meet(photo):
    """A shadow's edge ramped straight over 4 px in B, G and R: lifted by the sigmoid, its middle
    too little and its ends too much, a dark line beside a light one down the face."""
    image, face = photo
    dark = shadowed(image, W / 2, 4.0)  # bench.quality's hard-shadowed form: 0.45 of B, G and R past it
    found = photo_edge(cv2.cvtColor(dark, cv2.COLOR_BGR2LAB)[:, :, 0], face, np.full_like(face, 255))
    lifted = taken_off(dark, found)
    # measured: the photo's own largest step 0.5 levels, in the shadow 26.2, taken off 0.7 (without
    # the strip bridged, 17.1)
    print(f"{seam(image, W // 2):.1f}, {seam(dark, W // 2):.1f} -> {seam(lifted, W // 2):.1f}")
    assert seam(lifted, W // 2) < seam(image, W // 2) + 1.0


def test_the_bridge_moves_only_the_strip_along_the_line(photo):
    image, _ = photo
    distance = np.broadcast_to(np.arange(W, dtype=np.float32) - W / 2, (H, W))  # upright, down the middle
    edge = Edge(step=-0.5, angle=0.0, offset=0.0, width=0.004)  # a strip 4.8 px each side
    out = bridged(image, edge, distance)
    far = np.abs(distance) >= 4.8
    assert np.array_equal(out[far], image[far])
    assert not np.array_equal(out, image)
