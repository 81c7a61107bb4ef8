"""Hair over a source photo's cheek, found by its edge (models/side_hair.py) and painted over in
the skin's colour (or cut from the photo's mask); a cheek without hair over it left as it was."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models import face_topology as ft
from models.mesh_engine import MeshEngine
from models.side_hair import REST, edge_path, hair_edges, paint_over_hair, side_hair
from testing.faces import T1_FACE_BOXES, camera_frame, crop_face, hanks
from tests.face_checks import play, save_sheet

pytestmark = pytest.mark.parallel

# t1.jpg's first woman, cropped by crop_face(t1, T1_FACE_BOXES["left"], 0.8): the crop starts at
# (0, 211) in t1.jpg. Boxes (x0, y0, x1, y1) in t1.jpg, read off the photo enlarged five times:
HAIR_ON_CHEEK = (150, 315, 158, 330)  # her orange strands over her cheek, beside her left eye
SKIN_BESIDE = (136, 318, 143, 330)  # the bare skin just inside them, at the same height
CHEEK = (118, 335, 132, 350)  # her cheek between the hair and her nose
CROP_ORIGIN = (0, 211)


def _in_crop(box: tuple[int, int, int, int]) -> tuple[slice, slice]:
    x0, y0, x1, y1 = box
    ox, oy = CROP_ORIGIN
    return slice(y0 - oy, y1 - oy), slice(x0 - ox, x1 - ox)


@pytest.fixture(scope="module")
def her(t1, measure) -> tuple[np.ndarray, np.ndarray]:
    """`t1.jpg`'s first woman (her long hair falls over her left cheek) and her landmarks, read by
    the tests' own FaceMesh."""
    photo = crop_face(t1, T1_FACE_BOXES["left"], 0.8)
    return photo, measure.landmarks(photo)


def test_edge_path_follows_the_strongest_edge_down_the_rows():
    rows, cols = 30, 40
    strength = np.zeros((rows, cols), np.float32)
    wanted = np.round(20 + 6 * np.sin(np.linspace(0, np.pi, rows))).astype(int)  # a column at a time
    strength[np.arange(rows), wanted] = 30.0
    assert np.array_equal(edge_path(strength, rest_from=35), wanted)


def test_edge_path_rests_on_the_outline_where_no_edge_is_strong_enough():
    strength = np.full((20, 40), REST - 1.0, np.float32)
    strength[:, 12] = REST - 0.5  # an edge, but a weak one
    assert (edge_path(strength, rest_from=30) >= 30).all()


def _path_score(gain: np.ndarray, path) -> float:
    """A path's sum down `gain` less BEND for each column it moves between rows."""
    from models.side_hair import BEND

    return float(gain[np.arange(len(path)), list(path)].sum() - BEND * np.abs(np.diff(path)).sum())


def test_edge_path_takes_a_path_no_other_beats():
    # every path through small strips (a column a row, moving two at most): the path found scores
    # the most, ties among equal sums aside
    import itertools

    rng = np.random.default_rng(11)
    for _ in range(40):
        rows, cols = int(rng.integers(2, 6)), int(rng.integers(1, 7))
        strength = rng.integers(0, 12, (rows, cols)).astype(np.float32)  # whole levels: ties too
        rest_from = int(rng.integers(0, cols + 1))
        gain = strength.copy()
        gain[:, rest_from:] = REST
        paths = [p for p in itertools.product(range(cols), repeat=rows)
                 if np.abs(np.diff(p)).max(initial=0) <= 2]
        found = edge_path(strength, rest_from)
        assert np.abs(np.diff(found)).max(initial=0) <= 2
        assert _path_score(gain, found) == max(_path_score(gain, p) for p in paths)


def test_edge_path_does_not_jump_to_an_edge_far_across_the_strip():
    strength = np.zeros((20, 40), np.float32)
    strength[:10, 10] = 30.0
    strength[10:, 30] = 30.0  # twenty columns across in one row: the path moves two a row at most
    path = edge_path(strength, rest_from=36)
    assert np.abs(np.diff(path)).max() <= 2


def test_finds_the_hair_over_a_cheek_and_not_the_cheek(her):
    photo, points = her
    cut = side_hair(photo, points)
    assert cut is not None
    # measured: 228 over her strands, 0 over her cheek
    assert cut[_in_crop(HAIR_ON_CHEEK)].mean() > 200
    assert cut[_in_crop(CHEEK)].mean() < 25
    # her eyes, nose and lips untouched
    features = np.concatenate([ft.left_eye(), ft.right_eye(), ft.nose(), ft.outer_lips()])
    xy = np.round(points[features]).astype(int)
    assert cut[xy[:, 1], xy[:, 0]].max() < 10


def test_paints_her_strands_over_in_the_skin_beside_them(her):
    photo, points = her
    painted = paint_over_hair(photo, points, hair_edges(photo, points))

    def read(image: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, float]:
        """The mean LAB colour over `box`, and its grain (mean absolute Laplacian of L)."""
        lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
        grain = np.abs(cv2.Laplacian(lab[:, :, 0], cv2.CV_32F))
        return lab[_in_crop(box)].reshape(-1, 3).mean(0), float(grain[_in_crop(box)].mean())

    skin, skin_grain = read(photo, SKIN_BESIDE)
    (hair, hair_grain), (now, now_grain) = read(photo, HAIR_ON_CHEEK), read(painted, HAIR_ON_CHEEK)
    # measured: 49.3 -> 26.2 LAB levels from the skin beside; grain 9.5 -> 1.4 (the skin's 1.4)
    assert np.linalg.norm(now - skin) < 0.6 * np.linalg.norm(hair - skin)
    assert hair_grain > 3 * skin_grain and now_grain < 1.5 * skin_grain
    assert np.array_equal(painted[_in_crop(SKIN_BESIDE)], photo[_in_crop(SKIN_BESIDE)])


@pytest.fixture(scope="module")
def engines():
    """The engine as it is (the hair painted over), with the hair cut from the mask, and with it
    left in."""
    made = MeshEngine(), MeshEngine(side_hair="cut"), MeshEngine(side_hair="kept")
    yield made
    for engine in made:
        engine.close()


@pytest.mark.parametrize("which", ["astronaut", "hanks", "goatee", "smile", "yale"])
def test_leaves_a_cheek_without_hair_over_it_as_it_was(which, engines, astronaut_face, goatee_man,
                                                       smiling_man, yale):
    # short or pulled-back hair; Hanks lit hard from one side (a shadow's edge down his cheek);
    # a beard's edge; the Yale crop's greyscale shading beside the nose
    photo = {"astronaut": astronaut_face, "hanks": hanks(), "goatee": goatee_man, "smile": smiling_man,
             "yale": yale}[which]
    painted, cut, kept = (engine.prepare_source(photo).data for engine in engines)
    for made in (painted, cut):
        assert np.array_equal(made.alpha, kept.alpha)
        assert np.array_equal(made.bgr, kept.bgr)


def _on_her_hairs_side(made, where: np.ndarray) -> float:
    """The share of the pixels `where` on her left, the image's right, past her left eye's inner
    corner: the side her hair falls over (her head is tilted, so the hair beside her temple lies
    further in than her eye's outer corner)."""
    _, xs = np.nonzero(where)
    return float((xs > made.points[ft.left_eye(), 0].min()).mean())


def test_the_engine_paints_over_her_hair_and_nothing_else(t1, engines):
    photo = crop_face(t1, T1_FACE_BOXES["left"], 0.8)
    painted, _, kept = (engine.prepare_source(photo).data for engine in engines)
    changed = np.abs(painted.bgr.astype(int) - kept.bgr.astype(int)).max(axis=2) > 12
    assert changed.sum() > 200
    assert _on_her_hairs_side(painted, changed) > 0.99
    # to look at: her swap onto the man at the centre of t1.jpg, each way
    frame = camera_frame()
    swaps = {label: play(engine, [frame] * 4, engine.prepare_source(photo))
             for label, engine in zip(("painted", "cut", "kept"), engines, strict=True)}
    tiles = {"photo": photo, "texture kept": kept.bgr, "painted": painted.bgr, "target": frame,
             **{f"swap, {k}": v for k, v in swaps.items()}}
    face = (slice(90, 390), slice(170, 470))  # the target's face in the 640x480 frame
    save_sheet("side-hair.png", {k: cv2.resize(v[face] if v.shape == frame.shape else v, (300, 300))
                                 for k, v in tiles.items()})


def test_the_engine_can_cut_her_hair_from_the_mask_instead(t1, engines):
    photo = crop_face(t1, T1_FACE_BOXES["left"], 0.8)
    _, cut, kept = (engine.prepare_source(photo).data for engine in engines)
    assert (cut.alpha <= kept.alpha).all()
    lower = kept.alpha.astype(int) - cut.alpha > 20
    assert lower.sum() > 200
    assert _on_her_hairs_side(cut, lower) > 0.99
    # measured: the mask there 183 -> 60 of 255 in the mean
    assert cut.alpha[lower].mean() < 0.4 * kept.alpha[lower].mean()
