"""Colour transfer and a greyscale source's colouring: pure array code, no models."""

from __future__ import annotations

import cv2
import numpy as np

from models import color
from models.relight import colour_by_lightness


def lab_image(light: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.clip(np.stack([light, a, b], axis=-1) + 0.5, 0, 255).astype(np.uint8)


def test_a_greyscale_target_turns_every_colour_grey():
    skin = (np.array([180.0, 140.0, 150.0]), np.array([20.0, 8.0, 10.0]))
    grey = (np.array([120.0, 128.0, 128.0]), np.array([40.0, 1.0, 1.0]))
    lut = color.transfer_lut(skin, grey)
    assert (lut[:, 0, 1:] == 128).all()  # a and b: every input to grey
    assert lut[100, 0, 0] != lut[200, 0, 0]  # lightness still varies


def test_a_coloured_target_keeps_at_least_most_of_the_sources_colour_spread():
    skin = (np.array([180.0, 140.0, 150.0]), np.array([20.0, 8.0, 10.0]))
    pale = (np.array([170.0, 135.0, 140.0]), np.array([20.0, 2.0, 2.0]))
    lut = color.transfer_lut(skin, pale).astype(int)
    assert lut[150, 0, 1] - lut[130, 0, 1] == 14  # the clamp's 0.7 of 20: only a grey target gets 0


def test_a_grey_face_takes_the_targets_colour_as_a_line_in_lightness():
    h, w = 60, 80
    light = np.tile(np.linspace(90, 210, w, dtype=np.float32), (h, 1))
    # the target's skin: redder and yellower where darker; its pixels in a different light
    target = lab_image(light, 190 - 0.25 * light, 200 - 0.2 * light)
    core = np.ones((h, w), bool)
    # the source's face is dark where the target is light
    source_light = target[:, ::-1, 0].copy()
    ab = colour_by_lightness(target, source_light, core).astype(np.float32)
    np.testing.assert_allclose(ab[..., 0], 190 - 0.25 * source_light, atol=1.5)
    np.testing.assert_allclose(ab[..., 1], 200 - 0.2 * source_light, atol=1.5)


def test_a_grey_face_darker_than_any_skin_takes_the_colour_of_the_darkest_skin():
    h, w = 40, 40
    light = np.tile(np.linspace(120, 200, w, dtype=np.float32), (h, 1))
    target = lab_image(light, 190 - 0.25 * light, 200 - 0.2 * light)
    pupil = np.full((h, w), 10, np.uint8)
    ab = colour_by_lightness(target, pupil, np.ones((h, w), bool)).astype(np.float32)
    assert abs(ab[..., 0].mean() - (190 - 0.25 * 120)) < 1.5  # not 190 - 0.25 * 10


def test_the_targets_lips_keep_their_red_beyond_the_line():
    h, w = 80, 80
    light = np.full((h, w), 170, np.float32)
    a = np.full((h, w), 145, np.float32)
    a[50:60, 25:55] = 170  # the lips
    target = lab_image(light, a, np.full((h, w), 150, np.float32))
    ab = colour_by_lightness(target, target[:, :, 0], np.ones((h, w), bool))
    assert ab[55, 40, 0] > ab[10, 40, 0] + 10
    assert cv2.absdiff(ab[10, 40], ab[10, 10]).max() <= 1  # the skin away from them is even
