"""A frame's masks (the swap's, the forehead's, the temples') warped at once, one remap of their
channels together (mesh_stream._warped_masks): the same pixels as each warped alone."""

from __future__ import annotations

import itertools

import numpy as np

from models.mesh_source import MeshSource
from models.mesh_stream import _warped_masks
from models.warp import mixed_remap


def texture(seed: int) -> MeshSource:
    rng = np.random.default_rng(seed)

    def plane() -> np.ndarray:
        return rng.integers(0, 256, (60, 50), dtype=np.uint8)

    colour = np.zeros((60, 50, 3), np.uint8)
    return MeshSource(bgr=colour, lab=colour, lab_stats=(np.zeros(3), np.ones(3)), alpha=plane(),
                      points=np.zeros((468, 2), np.float32), triangles=np.zeros((0, 3), np.int32),
                      above=plane(), temples=plane())


def maps(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:40, 0:45].astype(np.float32)
    return xs * 1.1 + rng.uniform(-1, 1, xs.shape).astype(np.float32), ys * 1.2 + 0.3


def test_masks_warped_together_are_each_warped_alone() -> None:
    one, other = texture(1), texture(2)
    for layers, above, temples in itertools.product(([(one, 1.0)], [(one, 0.3), (other, 0.7)]),
                                                    (False, True), (False, True)):
        weights = [k for _, k in layers]
        sampled = [maps(i) for i in range(len(layers))]
        got = _warped_masks(layers, sampled, weights, above, temples)
        names = ["alpha"] + ["above"] * above + ["temples"] * temples
        assert len(got) == len(names)
        for name, plane in zip(names, got, strict=True):
            alone = mixed_remap([getattr(s, name) for s, _ in layers], sampled, weights)
            assert np.array_equal(plane, alone), (name, len(layers), above, temples)
