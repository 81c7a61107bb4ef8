"""numba's compiled kernels (models/compiled.py): kept between runs where they can be, and made
anyway where they cannot."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from models.compiled import compiled

pytestmark = pytest.mark.parallel


def test_a_kernel_whose_code_cannot_be_kept_is_compiled_all_the_same(caplog):
    # Source with no file behind it: numba finds nowhere to keep its compiled code, as on a
    # read-only install run by a user without a home, and refuses a cached function outright
    namespace: dict = {}
    exec(compile("def doubled(x):\n    return x * 2.0\n", "<nowhere>", "exec"), namespace)
    with caplog.at_level(logging.WARNING, logger="models.compiled"):
        doubled = compiled("float64(float64)")(namespace["doubled"])
    assert doubled(1.5) == 3.0
    assert "without a cache" in caplog.text


def test_a_kernel_is_compiled_on_import_for_its_signature_alone():
    from models import raster

    assert len(raster._draw.signatures) == 1
    with pytest.raises(TypeError):  # another type is refused, not compiled on a stream's frame
        raster._draw(np.zeros((4, 4), np.int32), np.zeros((1, 3, 2)), 0.0, 0.0)
