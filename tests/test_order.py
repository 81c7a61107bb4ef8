"""models/order.py: the frame's medians and percentiles are numpy's, to the last bit."""

from __future__ import annotations

import numpy as np
import pytest

from models.order import median, median_in_place, percentiles

SIZES = (1, 2, 3, 4, 17, 300, 301, 3000)
TYPES = (np.float32, np.float64, np.uint8)


@pytest.mark.parametrize("dtype", TYPES)
def test_median_is_numpys_for_odd_and_even_counts(dtype) -> None:
    rng = np.random.default_rng(7)
    for n in SIZES:
        for _ in range(20):
            values = (rng.random(n) * 255).astype(dtype)
            assert median(values) == float(np.median(values)), (n, values[:4])


@pytest.mark.parametrize("dtype", TYPES)
def test_percentiles_are_numpys_at_the_ends_and_between(dtype) -> None:
    rng = np.random.default_rng(8)
    wanted = ((20.0, 80.0), (50.0, 98.0), (99.5,), (0.5,), (0.0, 100.0), (25.0,), (70.0, 95.0))
    for n in SIZES:
        for _ in range(20):
            values = (rng.random(n) * 255).astype(dtype)
            for qs in wanted:
                assert percentiles(values, qs) == tuple(float(v) for v in np.percentile(values, qs)), (n, qs)


def test_leaves_the_values_in_their_order() -> None:
    values = np.array([5.0, 1.0, 4.0, 2.0, 3.0], np.float32)
    median(values)
    percentiles(values, (10.0, 90.0))
    assert values.tolist() == [5.0, 1.0, 4.0, 2.0, 3.0]


def test_the_compiled_median_is_numpys_with_ties_and_for_none() -> None:
    rng = np.random.default_rng(9)
    for n in SIZES:
        for draw in range(20):
            # every other draw from five levels: many ties, as residuals of 8-bit values have
            values = rng.integers(0, 5, n).astype(np.float64) if draw % 2 else rng.normal(size=n)
            assert median_in_place(values.copy()) == float(np.median(values)), (n, values[:4])
    assert np.isnan(median_in_place(np.empty(0)))


def test_the_compiled_median_stays_in_its_array_whatever_the_values() -> None:
    """Its loops index without bounds checks: NaNs and infinities must not walk them out."""
    rng = np.random.default_rng(10)
    for n in SIZES:
        for fill in (np.nan, np.inf, -np.inf):
            values = rng.normal(size=n)
            values[rng.random(n) < 0.3] = fill
            before = np.sort(values.copy())
            median_in_place(values)
            # the same values, reordered: nothing written past them or lost
            np.testing.assert_array_equal(np.sort(values), before)
        assert np.isnan(median_in_place(np.full(n, np.nan)))
