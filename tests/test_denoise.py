"""A grainy source photo's noise, read over a real face, and cleaned only where it is grainy."""

from __future__ import annotations

import numpy as np
import pytest

from models.denoise import NOISY, cleaned, noise_level
from testing.faces import T1_DLIB_BOXES, crop_face
from testing.images import everywhere, grainy

pytestmark = pytest.mark.parallel

# cvtColor's grey: 0.299 R + 0.587 G + 0.114 B; noise of sigma on each channel is this much in grey
GREY_OF_CHANNEL_NOISE = float(np.sqrt(0.299**2 + 0.587**2 + 0.114**2))




@pytest.mark.parametrize("sigma", [8.0, 16.0])
def test_reads_the_noise_added_to_a_real_face(astronaut_face, sigma):
    # the face's own pores and edges add a little: measured 5.93 for 5.35 and 10.87 for 10.69
    expected = sigma * GREY_OF_CHANNEL_NOISE
    reading = noise_level(grainy(astronaut_face, sigma), everywhere(astronaut_face))
    assert 0.9 * expected < reading < 1.2 * expected


def test_photos_as_taken_are_not_grainy(astronaut_face, t1):
    # measured: 1.73 for the astronaut, 0.25-0.49 for t1.jpg's six; bench.quality's 15 faces as
    # photographed, as the engine reads them (mesh_source.photo_grain), at most 2.2 (Biden's photo)
    for photo in [astronaut_face, *(crop_face(t1, box, 0.8) for box in T1_DLIB_BOXES.values())]:
        assert noise_level(photo, everywhere(photo)) < NOISY


@pytest.mark.slow
def test_cleaning_takes_the_grain_out_and_leaves_the_face(astronaut_face):
    noisy = grainy(astronaut_face, 16.0)
    clean = cleaned(noisy)
    assert noise_level(clean, everywhere(clean)) < NOISY < noise_level(noisy, everywhere(noisy))
    apart = np.abs(clean.astype(np.float32) - astronaut_face.astype(np.float32)).mean()
    assert apart < 0.6 * np.abs(noisy.astype(np.float32) - astronaut_face.astype(np.float32)).mean()
