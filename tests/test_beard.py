"""models/beard.py on real faces: a beard is told from skin, a shadow is not taken for one, and the
swap's mask covers a beard only where it fades under the mouth. Meshes from the tests' own
FaceMesh (tests/face_checks.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench.quality import shadowed
from models import face_topology as ft
from models.beard import COVER_EDGE, LOOK_EVERY, BeardWatch, FaceFrame, chin_cover, facial_hair, find_beard
from models.mask import face_alpha
from testing.faces import ASTRONAUT_BOX
from tests.face_checks import lower_face_parts

pytestmark = [pytest.mark.slow, pytest.mark.parallel]


def lightness(image: np.ndarray) -> np.ndarray:
    return cv2.extractChannel(cv2.cvtColor(image, cv2.COLOR_BGR2LAB), 0)


def hair_on(image: np.ndarray, measure) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    mesh = measure.landmarks(image)
    return facial_hair(lightness(image), FaceFrame(image.shape[:2], mesh)), lower_face_parts(image, mesh)


def test_a_goatee_is_hair_and_nothing_above_the_nose_is(goatee_man, measure) -> None:
    hair, where = hair_on(goatee_man, measure)
    # measured: 47% of his chin (the rest is the skin between the goatee's strands and its edge)
    assert hair[where["chin"]].mean() > 0.35, hair[where["chin"]].mean()
    assert not hair[where["upper"]].any()
    assert find_beard(goatee_man, measure.landmarks(goatee_man)) is not None


@pytest.mark.parametrize("light", ["as taken", "from one side", "a shadow down the nose"])
def test_a_clean_shaven_chin_is_skin_in_any_light(astronaut, measure, light) -> None:
    """A face lit from one side is as dark on its jaw as on its cheek on that side: the cheek it is
    judged against is its own side's. Measured: 2.4%, 1.2% and 2.4% of her chin, her lips' line."""
    x0, _, x1, _ = ASTRONAUT_BOX
    if light == "from one side":
        gradient = np.linspace(1.2, 0.45, astronaut.shape[1], dtype=np.float32)[None, :, None]
        astronaut = np.clip(astronaut * gradient, 0, 255).astype(np.uint8)
    elif light == "a shadow down the nose":
        astronaut = shadowed(astronaut, (x0 + x1) / 2, 0.1 * (x1 - x0))
    hair, where = hair_on(astronaut, measure)
    assert hair[where["chin"]].mean() < 0.06, hair[where["chin"]].mean()
    assert hair[where["lower"]].mean() < 0.06, hair[where["lower"]].mean()
    # and her face is not taken for a bearded one: nothing of what it is swapped with changes
    assert find_beard(astronaut, measure.landmarks(astronaut)) is None


def test_the_mask_covers_a_beard_on_the_chin_only(goatee_man, measure) -> None:
    mesh = measure.landmarks(goatee_man)
    face = FaceFrame(goatee_man.shape[:2], mesh)
    hair, where = facial_hair(lightness(goatee_man), face), lower_face_parts(goatee_man, mesh)
    alpha = face_alpha(goatee_man.shape[:2], mesh)
    cover = chin_cover(hair, face)
    assert cover is not None
    # the goatee where the mask fades is covered, but for the cover's own fade at the outline
    # (past its last pixels the swap's texture is not the face)
    inside = cv2.distanceTransform(face.oval, cv2.DIST_L2, 3)
    clear = inside > 2 + COVER_EDGE * ft.face_width(mesh)
    fading = where["chin"] & hair & (alpha < 128) & clear
    assert fading.sum() > 50, "the scene tests nothing: the mask does not fade over the goatee"
    assert (cover[fading] > 200).mean() > 0.8, (cover[fading] > 200).mean()
    # and it fades out to the outline, not in a step (inside the face, where the mask is full,
    # its blurred edge round the hair changes nothing)
    step = np.abs(np.diff(cover.astype(np.int16), axis=0))
    near = ~clear[1:] & (face.oval[1:] > 0)
    assert step[near].max() < 64, step[near].max()
    # and nothing else: not the lips or the mouth (their own), not beside the chin (a dark pixel
    # inside the jaw's outline is as often the background), not past the outline
    assert not cover[face.height > float(face.height_of(ft.LOWER_LIP_BOTTOM)) + 0.02].any()
    left, right = sorted(face.across_of(i) for i in ft.MOUTH_CORNERS)
    wider = 0.3 * (right - left)
    assert not cover[(face.across < left - wider) | (face.across > right + wider)].any()
    assert not cover[face.oval == 0].any()


def test_a_beard_read_in_pieces_is_covered_whole(goatee_man, measure) -> None:
    """A beard of dark and lighter strands is read as hair only where it is darkest: covered where
    it was read, the swap's chin showed pale pieces between grey ghosts of the beard."""
    mesh = measure.landmarks(goatee_man)
    face = FaceFrame(goatee_man.shape[:2], mesh)
    hair, where = facial_hair(lightness(goatee_man), face), lower_face_parts(goatee_man, mesh)
    beard = where["chin"] & hair
    # every other band of four rows of his goatee as light as his cheeks: it reads in stripes
    striped = goatee_man.copy()
    bands = (np.arange(goatee_man.shape[0]) // 4 % 2 == 0)[:, None]
    striped[beard & bands] = np.median(goatee_man[where["cheeks"]], axis=0).astype(np.uint8)
    pieces = facial_hair(lightness(striped), face)
    assert not (pieces & beard & bands).any(), "the scene tests nothing: the light bands read as hair"
    cover = chin_cover(pieces, face)
    clear = cv2.distanceTransform(face.oval, cv2.DIST_L2, 3) > 2 + COVER_EDGE * ft.face_width(mesh)
    fading = beard & (face_alpha(goatee_man.shape[:2], mesh) < 128) & clear
    assert fading.sum() > 50, "the scene tests nothing: the mask does not fade over the goatee"
    assert (cover[fading] > 200).mean() > 0.8, (cover[fading] > 200).mean()


def test_a_beard_read_on_every_other_pixel_is_the_beard_read_on_all(goatee_man, measure) -> None:
    mesh = measure.landmarks(goatee_man)
    hair = facial_hair(lightness(goatee_man), FaceFrame(goatee_man.shape[:2], mesh))
    found = find_beard(goatee_man, mesh)
    assert found.cover is not None
    # measured: 95% of either in both
    assert (found.hair & hair).sum() > 0.9 * max(found.hair.sum(), hair.sum())


def test_a_clean_shaven_track_is_looked_at_every_fifteenth_frame_and_a_bearded_one_on_every_frame() -> None:
    watch = BeardWatch()
    looked = [watch.due(1) for _ in range(2 * LOOK_EVERY)]
    assert looked == [i % LOOK_EVERY == 0 for i in range(2 * LOOK_EVERY)]
    watch.update(1, True)
    assert all(watch.due(1) for _ in range(5))
    assert watch.share(1) == watch.share(2) / 2  # found, it is kept down to half the line
    watch.update(1, False)  # turned away: the beard no longer found
    assert [watch.due(1) for _ in range(LOOK_EVERY)].count(True) == 1


def test_a_track_that_is_gone_is_forgotten_and_a_new_one_looked_at_at_once() -> None:
    watch = BeardWatch()
    watch.due(1)
    watch.update(1, True)
    watch.due(2)
    watch.keep_only({2})
    assert 1 not in watch.frames and 1 not in watch.bearded
    assert not watch.due(2)  # its second frame, clean-shaven
    assert watch.due(3)
