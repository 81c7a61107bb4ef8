"""models/surfaces.py: the light's robust fit, compiled, is the numpy fit it replaced, and a patch
that is no light (a beard, a brow) does not pull it."""

from __future__ import annotations

import numpy as np
import pytest

from models.order import median
from models.relight import LIGHT_HUBER, LIGHT_ROUNDS
from models.surfaces import huber_fit, solve, terms


def numpy_huber_fit(basis: np.ndarray, values: np.ndarray, rounds: int, huber: float) -> np.ndarray:
    """The fit as numpy did it before it was compiled (models/relight.py until 2026-12-07)."""
    coef = solve(basis, values)
    for _ in range(rounds):
        far = np.ones(len(values))
        for row in (values - basis @ coef).T:
            spread = 1.4826 * median(np.abs(row - median(row))) + 1e-6
            np.maximum(far, np.abs(row) / (huber * spread), out=far)
        coef = solve(basis, values, 1.0 / far)
    return coef


def face_samples(rng: np.random.Generator, n: int, beard: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lightness samples of a face lit from its left (camera noise on a ramp), with a goatee
    (`beard`: a disc 80 levels darker at its chin, 8% of it) in a 200 x 250 box; their xs, ys;
    and the light alone."""
    xs = rng.uniform(0, 200, n).astype(np.float32)
    ys = rng.uniform(0, 250, n).astype(np.float32)
    light = 170.0 - 0.25 * xs + 0.05 * ys
    chin = (xs - 100.0) ** 2 + (ys - 215.0) ** 2 < 35.0**2
    values = light + rng.normal(0, 3, n) - 80.0 * (chin & beard)
    return np.clip(values, 0, 255).astype(np.uint8), np.stack([xs, ys]), light


def fit(values: np.ndarray, at: np.ndarray, how=huber_fit) -> np.ndarray:
    basis = terms(at[0] / 250.0, at[1] / 250.0).astype(np.float64)
    return how(basis, np.ascontiguousarray(values, np.float64), LIGHT_ROUNDS, LIGHT_HUBER)


def test_the_compiled_fit_is_the_numpy_one() -> None:
    rng = np.random.default_rng(3)
    for n in (24, 25, 400, 1643, 3000):
        for beard in (False, True):
            face, at, _ = face_samples(rng, n, beard)
            target, _, _ = face_samples(rng, n, False)
            values = np.stack([face, target], axis=1)
            mine, numpys = fit(values, at), fit(values, at, numpy_huber_fit)
            assert mine.shape == numpys.shape == (6, 2)
            # the sums run in another order than BLAS's: equal to float32's last bits
            np.testing.assert_allclose(mine, numpys, rtol=1e-5, atol=1e-4)


def test_a_dark_beard_does_not_pull_the_light_down() -> None:
    rng = np.random.default_rng(4)
    values, at, light = face_samples(rng, 3000, True)
    basis = terms(at[0] / 250.0, at[1] / 250.0).astype(np.float64)
    robust = basis @ fit(values[:, None], at)[:, 0]
    plain = basis @ solve(basis, values.astype(np.float64))
    skin = (at[0] - 100.0) ** 2 + (at[1] - 215.0) ** 2 >= 35.0**2
    off, plain_off = np.abs(robust - light)[skin].mean(), np.abs(plain - light)[skin].mean()
    assert off < 2.5, off
    assert plain_off > 3 * off, plain_off  # what a least-squares fit leaves on the skin


def test_terms_of_another_degree_are_refused_not_read_past() -> None:
    rng = np.random.default_rng(5)
    values, at, _ = face_samples(rng, 100, False)
    cubic = terms(at[0] / 250.0, at[1] / 250.0, 3).astype(np.float64)[:, :5]
    with pytest.raises(ValueError, match="6"):
        huber_fit(cubic, values[:, None].astype(np.float64), LIGHT_ROUNDS, LIGHT_HUBER)
