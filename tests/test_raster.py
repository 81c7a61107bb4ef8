"""The label raster (models/raster.py): pure geometry, compiled."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models.raster import affine_maps, affine_table, drawing_order, label_triangles
from models.warp import doubled_areas, triangle_affines

pytestmark = pytest.mark.parallel

ONE_PIXEL = np.ones((3, 3), np.uint8)


def opencv_filled(corners: np.ndarray, size: int) -> np.ndarray:
    """What OpenCV fills for one triangle, as the warp drew them before (a sixteenth of a pixel)."""
    out = np.zeros((size, size), np.uint8)
    cv2.fillConvexPoly(out, np.round(corners * 16).astype(np.int32), 1, cv2.LINE_8, 4)
    return out > 0


def test_covers_what_opencv_fills_to_within_a_pixel_at_the_edges():
    rng = np.random.default_rng(1)
    filled = differ = 0
    for _ in range(300):
        corners = rng.uniform(0, 60, (3, 2))
        ours = label_triangles(corners[None], (0, 0, 64, 64)) > 0
        theirs = opencv_filled(corners, 64)
        near_ours = cv2.dilate(ours.astype(np.uint8), ONE_PIXEL) > 0
        near_theirs = cv2.dilate(theirs.astype(np.uint8), ONE_PIXEL) > 0
        assert not (ours & ~near_theirs).any() and not (theirs & ~near_ours).any()
        filled += int(theirs.sum())
        differ += int((ours != theirs).sum())
    assert differ < 0.05 * filled  # edge pixels only: 2.7% over 2000 such triangles


def test_each_pixel_is_the_last_triangle_drawn_over_it():
    first = [[10, 10], [50, 10], [10, 50]]
    second = [[20, 20], [60, 20], [20, 60]]  # overlaps the first's lower right
    label = label_triangles(np.array([first, second], np.float32), (0, 0, 64, 64))
    assert label[15, 15] == 1 and label[25, 25] == 2 and label[55, 25] == 2 and label[5, 5] == 0
    swapped = label_triangles(np.array([second, first], np.float32), (0, 0, 64, 64))
    assert swapped[25, 25] == 2  # now the first, drawn last


def test_a_triangles_own_pixels_and_its_outermost_ones():
    label = label_triangles(np.array([[[2, 2], [8, 2], [2, 8]]], np.float32), (0, 0, 10, 10))
    assert label[2, 2] == 1 and label[2, 8] == 1 and label[8, 2] == 1  # its corners, on pixel centres
    assert label[5, 5] == 1  # on its long edge
    assert label[1, :].max() == 0 and label[:, 1].max() == 0 and label[6, 6] == 0


def test_the_box_moves_the_raster():
    corners = np.array([[[102, 52], [108, 52], [102, 58]]], np.float32)
    moved = label_triangles(corners, (100, 50, 110, 60))
    assert np.array_equal(moved, label_triangles(corners - np.float32([100, 50]), (0, 0, 10, 10)))


def test_triangles_without_area_or_with_no_number_cover_nothing():
    corners = np.array([
        [[0, 0], [10, 0], [20, 0]],  # a closed eye: a line
        [[0, 0], [np.nan, 5], [3, 3]],
        [[-1e300, -1e300], [1e300, 0], [0, 1e300]],  # its area beyond a float
        [[0, 0], [1e30, 5], [3, 9]],  # a corner far beyond the raster: drawn, held inside it
    ], np.float64)
    label = label_triangles(corners, (0, 0, 16, 16))
    assert set(np.unique(label)) <= {0, 4} and (label == 4).any()


def test_affine_maps_apply_each_pixels_triangle():
    rng = np.random.default_rng(2)
    table = rng.normal(0, 10, (5, 6)).astype(np.float32)
    label = rng.integers(0, 5, (7, 9)).astype(np.uint16)
    xs, ys = np.arange(30, 39, dtype=np.float32), np.arange(40, 47, dtype=np.float32)
    map_x, map_y = affine_maps(label, table, xs, ys)
    row = table[label]
    assert np.array_equal(map_x, row[..., 0] * xs[None, :] + row[..., 1] * ys[:, None] + row[..., 2])
    assert np.array_equal(map_y, row[..., 3] * xs[None, :] + row[..., 4] * ys[:, None] + row[..., 5])


def test_a_label_without_a_row_in_the_table_is_refused_not_read_past_its_end():
    label = np.full((3, 3), 7, np.uint16)
    with pytest.raises(ValueError, match="no row"):
        affine_maps(label, np.zeros((5, 6), np.float32), np.arange(3, dtype=np.float32),
                    np.arange(3, dtype=np.float32))


def random_meshes(count: int):
    """Random point sets, a moved copy of each (some corners piled on one point: triangles without
    area), triangles over them and depths rounded to tenths (ties)."""
    rng = np.random.default_rng(7)
    for _ in range(count):
        n = int(rng.integers(3, 60))
        src = (rng.normal(size=(n, 2)) * rng.choice([1.0, 100.0, 1e4])).astype(np.float32)
        dst = (src + rng.normal(size=(n, 2)) * rng.choice([1e-4, 0.1, 50.0])).astype(np.float32)
        if rng.random() < 0.3:
            dst[rng.integers(0, n, 4)] = dst[0]
        tris = rng.integers(0, n, size=(int(rng.integers(1, 200)), 3)).astype(np.int32)
        yield src, dst, tris, np.round(rng.normal(size=n), 1).astype(np.float32)


def test_the_drawing_order_is_numpys_turned_over_first_then_far_to_near():
    for src, dst, tris, far in random_meshes(500):
        facing = np.sign(doubled_areas(src[tris])) == np.sign(doubled_areas(dst[tris]))
        expected = np.lexsort((-far[tris].mean(1), facing))  # stable: ties in index order
        assert np.array_equal(drawing_order(tris, src, dst, far), expected)


def test_the_affine_table_is_numpys_maps_behind_an_outside_row():
    for src, dst, tris, _ in random_meshes(500):
        table = affine_table(dst[tris], src, tris)
        assert table[0].tolist() == [0, 0, -10, 0, 0, -10]
        assert np.array_equal(table[1:], triangle_affines(dst[tris], src[tris]).reshape(-1, 6))


def test_a_corner_past_the_points_is_refused_not_read():
    src = dst = np.zeros((3, 2), np.float32)
    tris = np.array([[0, 1, 3]], np.int32)
    with pytest.raises(ValueError, match="outside the 3 points"):
        drawing_order(tris, src, dst, np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="outside the 3 points"):
        affine_table(np.zeros((1, 3, 2), np.float32), src, tris)
