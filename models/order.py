"""Medians and percentiles of the small arrays a frame reads, as numpy's, at a fraction of the cost.

np.median and np.percentile spend 20-90 us a call on checks and dispatch before the work, which
on a few hundred to a few thousand values is a partition of a few us; the engine calls them about
twenty times a frame. These partition once and interpolate as numpy's default ("linear") method
does, to the same result. `median_in_place` is the same median for compiled loops (the light's
robust fit takes twelve a frame: models/surfaces.py).
"""

from __future__ import annotations

import numpy as np

from models.compiled import compiled


def median(values: np.ndarray) -> float:
    """np.median of a 1-D array (not empty): the middle value, or the mean of the middle two."""
    n = len(values)
    half = n // 2
    if n % 2:
        return float(np.partition(values, half)[half])
    low, high = np.partition(values, (half - 1, half))[half - 1 : half + 1]
    kind = _kind(values)
    return float((kind(low) + kind(high)) / kind(2))


def percentiles(values: np.ndarray, qs: tuple[float, ...]) -> tuple[float, ...]:
    """np.percentile(values, qs) of a 1-D array (not empty), `qs` in 0..100."""
    n = len(values)
    at = [q / 100 * (n - 1) for q in qs]
    below = [int(np.floor(a)) for a in at]
    above = [min(b + 1, n - 1) for b in below]
    part = np.partition(values, sorted(set(below + above)))
    kind = _kind(values)
    out = []
    for a, lo, hi in zip(at, below, above, strict=True):
        t = a - lo
        x, y = kind(part[lo]), kind(part[hi])
        step = float(y - x)  # in the values' own type, as numpy's lerp takes it
        # from the nearer end, so that t = 1 gives the upper value exactly
        out.append(float(y) - step * (1 - t) if t >= 0.5 else float(x) + step * t)
    return tuple(out)


def _kind(values: np.ndarray) -> type:
    """The float type numpy works a statistic of `values` in: their own, or float64 for integers."""
    return values.dtype.type if np.issubdtype(values.dtype, np.floating) else np.float64


@compiled("float64(float64[::1], int64)")
def _select(values: np.ndarray, k: int) -> float:
    """The k-th smallest of `values` (0-based), found by Hoare's selection, which reorders them:
    each pass splits the span holding k around the median of its ends and middle."""
    lo, hi = 0, values.shape[0] - 1
    while hi > lo:
        mid = (lo + hi) >> 1
        if values[mid] < values[lo]:
            values[mid], values[lo] = values[lo], values[mid]
        if values[hi] < values[lo]:
            values[hi], values[lo] = values[lo], values[hi]
        if values[hi] < values[mid]:
            values[hi], values[mid] = values[mid], values[hi]
        pivot = values[mid]
        i, j = lo, hi
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                values[i], values[j] = values[j], values[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break  # between the two halves: every value there is the pivot
    return values[k]


@compiled("float64(float64[::1])")
def median_in_place(values: np.ndarray) -> float:
    """np.median of `values` (NaN for none), in a compiled loop; reorders them."""
    n = values.shape[0]
    if n == 0:
        return np.nan
    half = n // 2
    if n % 2:
        return _select(values, half)
    low = _select(values, half - 1)
    # the selection left every value above the (half - 1)-th after it: the next is their least
    high = values[half]
    for i in range(half + 1, n):
        high = min(high, values[i])
    return (low + high) / 2.0
