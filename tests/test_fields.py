"""Smooth fields blurred at a fraction of their size: pure array code, no models."""

from __future__ import annotations

import cv2
import numpy as np

from models.fields import blur_smooth, blur_within


def test_a_blur_done_small_matches_the_full_size_blur_of_a_smooth_field():
    rng = np.random.default_rng(0)
    field = cv2.GaussianBlur(rng.normal(0, 20, (123, 157)).astype(np.float32), (0, 0), 6)
    full = cv2.GaussianBlur(field, (0, 0), 12)
    for factor in (2, 4):
        small = blur_smooth(field, 12, factor)
        assert small.shape == field.shape
        inner = (slice(20, -20), slice(20, -20))  # the borders are treated alike, not the same
        assert np.abs(small - full)[inner].max() < 0.1 * np.abs(full).max(), factor


def test_an_odd_sized_field_keeps_its_size_and_a_constant_stays_constant():
    field = np.full((7, 5, 2), 3.0, np.float32)
    out = blur_smooth(field, 3.0, 4)
    assert out.shape == field.shape
    np.testing.assert_allclose(out, 3.0, atol=1e-5)


def test_a_ramp_stays_in_place_when_its_sides_are_not_whole_cells():
    # the shrunk grid's cells are enlarged back to where they were taken from: a grid stretched
    # over the field's size instead shifts a ramp by up to half a cell
    h, w = 131, 157
    ramp = np.tile(np.arange(w, dtype=np.float32), (h, 1))
    for factor in (2, 4):
        out = blur_smooth(ramp, 8.0, factor)
        inner = (slice(30, -30), slice(30, -30))
        assert np.abs(out - ramp)[inner].max() < 0.05, factor


def test_a_blur_within_a_face_is_not_pulled_toward_the_background_beside_it():
    # a face of lightness 150 on a black background: a plain blur darkens the face's edge, the blur
    # within the face keeps it at 150 and says how much of the face each blur saw
    lightness = np.zeros((80, 80), np.float32)
    weight = np.zeros((80, 80), np.float32)
    lightness[:, 40:] = 150.0
    weight[:, 40:] = 1.0
    mean, seen = blur_within(lightness, weight, 6.0)
    assert cv2.GaussianBlur(lightness, (0, 0), 6.0)[40, 41] < 100
    np.testing.assert_allclose(mean[:, 40:], 150.0, rtol=1e-4)
    assert abs(seen[40, 40] - 0.5) < 0.05 and seen[40, 79] > 0.95 and seen[40, 0] < 1e-3
    # where the blur saw no face at all the mean stays finite (0), several channels alike
    both, _ = blur_within(np.dstack([lightness, 2 * lightness]), weight, 6.0)
    assert np.isfinite(both).all() and both[40, 0].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(both[:, 40:, 1], 300.0, rtol=1e-4)
