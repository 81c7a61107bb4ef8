"""Polynomial surfaces in x and y, fitted by least squares: the relight's light (models/relight.py)
and the quadratic under a shadow's edge (models/shadow_edge.py).

The light's robust fit (huber_fit) takes its sums and its medians from compiled loops: in numpy,
its four solves and twelve medians were some forty calls, 0.45-0.55 ms of a 640x480 frame, most
of it the calls' own cost.
"""

from __future__ import annotations

import numpy as np

from models.compiled import compiled
from models.order import median_in_place


def terms(xs: np.ndarray, ys: np.ndarray, degree: int = 2) -> np.ndarray:
    """The polynomial's terms at (xs, ys): six to the second degree, ten to the third."""
    parts = [np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys]
    if degree >= 3:
        parts += [xs * xs * xs, xs * xs * ys, xs * ys * ys, ys * ys * ys]
    return np.stack(parts, axis=-1)


# of the normal matrix's trace, added to its diagonal (gram, _normal6): a small ridge that keeps
# samples on a line (no surface to fit across it) solvable
RIDGE = 1e-9


def gram(weighted: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """The normal equations' matrix `weighted`' `basis` (a 6 x 6 or 10 x 10 solve, a third of the
    time lstsq's SVD of the samples took), with a small ridge that keeps samples on a line (no
    surface to fit across it) solvable."""
    matrix = weighted.T @ basis
    matrix += np.eye(len(matrix)) * (RIDGE * np.trace(matrix))
    return matrix


def solve(basis: np.ndarray, values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Least-squares coefficients of `basis` (n, c) for `values` (n,) or (n, k), each sample
    weighted by `weights` (n,) if given: float32."""
    weighted = basis if weights is None else basis * weights[:, None]
    return np.linalg.solve(gram(weighted, basis), weighted.T @ values).astype(np.float32)


# The second degree's six terms only: the sums are kept in locals, where a loop over a matrix's
# cells took five times as long (numba, ad hoc). The 6 x 6 solve stays numpy's (LAPACK): compiled
# by numba too, it took the kernels' first compile from a few seconds to over ten
@compiled("UniTuple(float64[:, ::1], 2)(float64[:, ::1], float64[:, ::1], float64[::1])")
def _normal6(basis: np.ndarray, values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """gram's matrix (ridge included) and the right-hand side (6, k) of solve's normal equations
    for a (n, 6) `basis`, `values` (n, k) and `weights` (n,)."""
    k = values.shape[1]
    rhs = np.zeros((6, k))
    g00 = g01 = g02 = g03 = g04 = g05 = g11 = g12 = g13 = g14 = g15 = 0.0
    g22 = g23 = g24 = g25 = g33 = g34 = g35 = g44 = g45 = g55 = 0.0
    for i in range(basis.shape[0]):
        b0, b1, b2, b3, b4, b5 = basis[i, 0], basis[i, 1], basis[i, 2], basis[i, 3], basis[i, 4], basis[i, 5]
        w = weights[i]
        w0, w1, w2, w3, w4, w5 = b0 * w, b1 * w, b2 * w, b3 * w, b4 * w, b5 * w
        g00 += w0 * b0
        g01 += w0 * b1
        g02 += w0 * b2
        g03 += w0 * b3
        g04 += w0 * b4
        g05 += w0 * b5
        g11 += w1 * b1
        g12 += w1 * b2
        g13 += w1 * b3
        g14 += w1 * b4
        g15 += w1 * b5
        g22 += w2 * b2
        g23 += w2 * b3
        g24 += w2 * b4
        g25 += w2 * b5
        g33 += w3 * b3
        g34 += w3 * b4
        g35 += w3 * b5
        g44 += w4 * b4
        g45 += w4 * b5
        g55 += w5 * b5
        for j in range(k):
            v = values[i, j]
            rhs[0, j] += w0 * v
            rhs[1, j] += w1 * v
            rhs[2, j] += w2 * v
            rhs[3, j] += w3 * v
            rhs[4, j] += w4 * v
            rhs[5, j] += w5 * v
    ridge = RIDGE * (g00 + g11 + g22 + g33 + g44 + g55)  # as gram's
    matrix = np.empty((6, 6))
    upper = (g00 + ridge, g01, g02, g03, g04, g05, g11 + ridge, g12, g13, g14, g15,
             g22 + ridge, g23, g24, g25, g33 + ridge, g34, g35, g44 + ridge, g45, g55 + ridge)
    at = 0
    for a in range(6):
        for b in range(a, 6):
            matrix[a, b] = matrix[b, a] = upper[at]
            at += 1
    return matrix, rhs


@compiled("void(float64[:, ::1], float64[:, ::1], float32[:, ::1], float64, float64[::1])")
def _reweigh(basis: np.ndarray, values: np.ndarray, coef: np.ndarray, huber: float,
             weights: np.ndarray) -> None:
    """`weights` (n,): 1 over how many `huber` robust spreads each sample lies off the farthest of
    the surfaces `coef` (6, k), at least 1."""
    n, k = values.shape
    residual = np.empty(n)
    scratch = np.empty(n)
    weights[:] = 1.0  # the samples' farness first, at least 1
    for j in range(k):
        c0, c1, c2 = np.float64(coef[0, j]), np.float64(coef[1, j]), np.float64(coef[2, j])
        c3, c4, c5 = np.float64(coef[3, j]), np.float64(coef[4, j]), np.float64(coef[5, j])
        for i in range(n):
            residual[i] = values[i, j] - (basis[i, 0] * c0 + basis[i, 1] * c1 + basis[i, 2] * c2
                                          + basis[i, 3] * c3 + basis[i, 4] * c4 + basis[i, 5] * c5)
        scratch[:] = residual
        middle = median_in_place(scratch)
        for i in range(n):
            scratch[i] = abs(residual[i] - middle)
        spread = 1.4826 * median_in_place(scratch) + 1e-6
        for i in range(n):
            weights[i] = max(weights[i], abs(residual[i]) / (huber * spread))
    for i in range(n):
        weights[i] = 1.0 / weights[i]


def huber_fit(basis: np.ndarray, values: np.ndarray, rounds: int, huber: float) -> np.ndarray:
    """float32 coefficients (6, k) of second-degree surfaces (`basis`: terms, float64 (n, 6))
    fitted to `values` (float64 (n, k)), refitted `rounds` times with each sample weighed down
    where it lies more than `huber` robust spreads (1.4826 median absolute deviations) off any of
    the surfaces."""
    if basis.ndim != 2 or basis.shape[1] != 6 or values.ndim != 2 or len(values) != len(basis):
        # the loops read six terms a sample without checking an index
        raise ValueError(f"huber_fit takes (n, 6) terms and (n, k) values, not {basis.shape} "
                         f"and {values.shape}")
    basis, values = np.ascontiguousarray(basis, np.float64), np.ascontiguousarray(values, np.float64)
    weights = np.ones(len(values))
    coef = np.linalg.solve(*_normal6(basis, values, weights)).astype(np.float32)
    for _ in range(rounds):
        _reweigh(basis, values, coef, huber, weights)
        coef = np.linalg.solve(*_normal6(basis, values, weights)).astype(np.float32)
    return coef
