"""bench/quality.py's choices that are pure code (its figures need dlib, a benchmark-only install)."""

from __future__ import annotations

import numpy as np

from bench.quality import flicker_sources


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
