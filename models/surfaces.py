"""Polynomial surfaces in x and y, fitted by least squares: the relight's light (models/relight.py)
and the quadratic under a shadow's edge (models/shadow_edge.py)."""

from __future__ import annotations

import numpy as np


def terms(xs: np.ndarray, ys: np.ndarray, degree: int = 2) -> np.ndarray:
    """The polynomial's terms at (xs, ys): six to the second degree, ten to the third."""
    parts = [np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys]
    if degree >= 3:
        parts += [xs * xs * xs, xs * xs * ys, xs * ys * ys, ys * ys * ys]
    return np.stack(parts, axis=-1)


def gram(weighted: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """The normal equations' matrix `weighted`' `basis` (a 6 x 6 or 10 x 10 solve, a third of the
    time lstsq's SVD of the samples took), with a small ridge that keeps samples on a line (no
    surface to fit across it) solvable."""
    matrix = weighted.T @ basis
    matrix += np.eye(len(matrix)) * (1e-9 * np.trace(matrix))
    return matrix


def solve(basis: np.ndarray, values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Least-squares coefficients of `basis` (n, c) for `values` (n,) or (n, k), each sample
    weighted by `weights` (n,) if given: float32."""
    weighted = basis if weights is None else basis * weights[:, None]
    return np.linalg.solve(gram(weighted, basis), weighted.T @ values).astype(np.float32)
