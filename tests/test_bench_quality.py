"""bench/quality.py's choices that are pure code (its figures need dlib, a benchmark-only install)."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from bench.quality import FRAME, Outcome, Scene, chosen, flicker_sources, furthest, middle
from bench.table import frame_size
from models.mediapipe_faces import FaceFinder
from testing.faces import ASTRONAUT_DLIB_BOX, astronaut


def photo(grey: bool) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """An 8 x 8 photo whose colour (or, greyscale, lightness) varies across it, as a face's does."""
    image = np.zeros((8, 8, 3), np.uint8)
    image[:] = (90, 90, 90) if grey else (90, 120, 160)
    image[:, :4] += np.uint8(30) if grey else np.array([40, 0, 0], np.uint8)
    return image, (0, 0, 8, 8)


def test_the_flicker_rows_swap_the_greyscale_photo_and_the_last_colour_one_not_a_target():
    ids = {name: photo(grey=name == "grey") for name in ("a", "b", "c", "d", "e", "grey")}
    assert flicker_sources(ids, ["a", "b", "c"]) == ["grey", "e"]
    # a colour photo that is a target would flicker against itself: the next one back is taken
    assert flicker_sources(ids, ["d", "e", "a"]) == ["grey", "c"]
    assert flicker_sources({n: photo(grey=True) for n in "xyz"}, ["x"]) == ["z"]  # no colour photo


def test_a_run_takes_only_the_sources_named_in_the_sets_order_and_says_which_names_it_lacks():
    sources = ["s1-1", "s5-3", "s5-4", "tr-1"]
    assert chosen(sources, None) == sources
    assert chosen(sources, "tr-1, s5-3") == ["s5-3", "tr-1"]  # the set's order: its sheets' rows
    with pytest.raises(ValueError, match="no such source astronaut; this set's are s1-1, s5-3"):
        chosen(sources, "s5-3,astronaut")
    with pytest.raises(ValueError, match="names none"):
        chosen(sources, " , ")


def test_the_targets_frames_size_is_read_as_width_by_height_within_bounds():
    ap = argparse.ArgumentParser()
    assert frame_size("1280x720", ap) == (1280, 720)
    assert frame_size("640X480", ap) == FRAME
    for bad in ("1280", "1280x", "x720", "-640x480", "1280x72", "8000x4000", "wide"):
        with pytest.raises(SystemExit):
            frame_size(bad, ap)


@pytest.mark.slow
def test_the_targets_face_keeps_its_share_of_the_frames_height_at_any_size():
    finder = FaceFinder()
    heights = {}
    for size in ((640, 480), (1280, 720)):
        frame = Scene(size=size).clip(astronaut(), ASTRONAUT_DLIB_BOX, 1)[0]
        assert frame.shape == (size[1], size[0], 3)
        box = finder.detect(frame)[0].box
        heights[size] = (box[3] - box[1]) / size[1]
    assert abs(heights[(1280, 720)] - heights[(640, 480)]) < 0.02, heights


def test_a_contact_sheet_shows_the_middle_square_of_a_frame_of_any_size():
    frame = np.arange(480 * 640 * 3, dtype=np.uint32).reshape(480, 640, 3).astype(np.uint8)
    assert (middle(frame) == frame[:, 80:560]).all()  # as the sheets always cropped 640x480
    wide = np.zeros((720, 1280, 3), np.uint8)
    wide[:, 280:1000] = 200  # the square across its middle
    shown = middle(wide)
    assert shown.shape == (480, 480, 3) and (shown == 200).all()


def test_the_furthest_pairs_come_first_either_way_and_a_pair_without_skin_measured_is_left_out():
    darker = Outcome("a", "plain", "b", level=[-8.0, -6.0])
    lighter = Outcome("b", "plain", "c", level=[3.0, float("nan")])  # dlib found no skin in one frame
    unmeasured = Outcome("c", "plain", "a", level=[float("nan")] * 2)
    ranked = furthest([lighter, unmeasured, darker], "level")
    assert [(o.source, value) for o, value in ranked] == [("a", -7.0), ("b", 3.0)]


@pytest.mark.slow
def test_the_textures_sheet_shows_a_turned_photos_own_texture_beside_its_mirror_and_grey_off_its_mask():
    from bench.quality import masked, padded, texture_row
    from models.mesh_engine import MeshEngine
    from testing.faces import T1_FACE_BOXES, crop_face, t1

    engine = MeshEngine()
    try:
        face = crop_face(astronaut(), ASTRONAUT_DLIB_BOX, 0.8)
        turned = crop_face(t1(), T1_FACE_BOXES["right"])  # his far half at 0.47 of the near: mirrored
        frontal, profile = (texture_row(engine, photo, "a") for photo in (face, turned))
        made = engine.prepare_source(face).data
    finally:
        engine.close()
    assert frontal.shape[1] == 3 * 360 and profile.shape[1] == 4 * 360  # the turned one: its own too
    under = masked(made)
    assert (under[made.alpha == 0] == 128).all()  # the target's own face shows there: grey
    inside = made.alpha == 255
    assert (under[inside] == made.bgr[inside]).all()
    rows = padded([frontal, profile])
    assert all(r.shape == profile.shape for r in rows) and (rows[0][:, 3 * 360:] == 128).all()
