"""Piecewise-affine warp: pure geometry, no models."""

from __future__ import annotations

import cv2
import numpy as np

from models.raster import label_triangles
from models.warp import (
    believable_move,
    displacement,
    drawing_order,
    fold_edges,
    mesh_maps,
    mesh_maps_many,
    sampling_maps,
    smooth_move,
    soften_folds,
    triangle_affines,
    warp,
)

GRID = np.array([[x, y] for y in (10, 60, 110) for x in (10, 60, 110)], np.float32)
TRIS = np.array([[0, 1, 4], [0, 3, 4], [1, 2, 5], [1, 4, 5], [3, 4, 7], [3, 6, 7], [4, 5, 8], [4, 7, 8]])


def texture() -> np.ndarray:
    rng = np.random.default_rng(3)
    return cv2.GaussianBlur(rng.integers(0, 255, (120, 120, 3), dtype=np.uint8), (0, 0), 2)


def test_affines_map_destination_vertices_onto_source_vertices():
    rng = np.random.default_rng(0)
    dst, src = rng.uniform(0, 100, (50, 3, 2)), rng.uniform(0, 100, (50, 3, 2))
    a = triangle_affines(dst, src)
    mapped = np.einsum("tij,tkj->tki", a, np.concatenate([dst, np.ones((50, 3, 1))], axis=2))
    assert np.abs(mapped - src).max() < 0.01


def test_degenerate_triangle_gives_finite_map():
    dst = np.array([[[0, 0], [10, 0], [20, 0]]], np.float32)  # a closed eye: zero area
    assert np.isfinite(triangle_affines(dst, dst)).all()


def test_identity_mesh_returns_the_same_pixels():
    img = texture()
    out = warp(img, GRID, GRID, TRIS, (10, 10, 110, 110))
    assert np.abs(out[2:-2, 2:-2].astype(int) - img[12:108, 12:108].astype(int)).max() <= 1


def test_affine_mesh_matches_a_global_affine_warp():
    img = texture()
    m = cv2.getRotationMatrix2D((60, 60), 12, 0.8)
    dst = (np.concatenate([GRID, np.ones((9, 1), np.float32)], 1) @ m.T).astype(np.float32)
    out = warp(img, GRID, dst, TRIS, (0, 0, 120, 120))
    expected = cv2.warpAffine(img, m, (120, 120))
    inside = np.zeros((120, 120), np.uint8)
    cv2.fillConvexPoly(inside, np.round(dst[[0, 2, 8, 6]]).astype(np.int32), 1)
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8)).astype(bool)
    assert np.abs(out.astype(int) - expected.astype(int))[inside].mean() < 2.0


def test_pixels_outside_the_mesh_stay_empty():
    img = np.full((120, 120, 3), 255, np.uint8)
    out = warp(img, GRID, GRID * 0.5, TRIS, (0, 0, 120, 120))
    assert out[80:, 80:].max() == 0 and out[20, 20].min() == 255


def test_label_marks_each_pixel_with_its_triangle():
    label = label_triangles(GRID[TRIS], (0, 0, 120, 120))
    assert label[0, 0] == 0
    assert label[30, 50] == 1  # inside triangle 0 (upper right half of the first cell)
    maps = sampling_maps(triangle_affines(GRID[TRIS], GRID[TRIS]), label, (0, 0, 120, 120))
    assert abs(maps[0][30, 50] - 50) < 1e-3 and abs(maps[1][30, 50] - 30) < 1e-3
    assert maps[0][0, 0] < 0


def test_coarse_maps_match_full_resolution_maps_inside_the_mesh():
    from models.warp import mesh_maps

    rng = np.random.default_rng(5)
    dst = GRID + rng.uniform(-8, 8, GRID.shape).astype(np.float32)
    box = (0, 0, 120, 120)
    fine_x, fine_y = mesh_maps(GRID, dst, TRIS, box, max_side=1000)
    coarse_x, coarse_y = mesh_maps(GRID, dst, TRIS, box, max_side=60)  # a 2 px grid
    assert coarse_x.shape == fine_x.shape == (120, 120)
    inside = cv2.erode((fine_x >= 0).astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    assert inside.sum() > 5000
    err = np.hypot(coarse_x - fine_x, coarse_y - fine_y)[inside]
    assert err.max() < 1.0, err.max()


def test_coarse_maps_sample_nothing_outside_the_mesh_or_inside_its_holes():
    """A coarse map must not send pixels beyond the mesh edge somewhere onto the source face."""
    xs = np.linspace(10, 110, 5, dtype=np.float32)
    grid = np.array([[x, y] for y in xs for x in xs], np.float32)
    tris = []
    for j in range(4):
        for i in range(4):
            if (i, j) in ((1, 1), (2, 2)):
                continue  # holes, like the eyes and the inner mouth
            a, b, c, d = j * 5 + i, j * 5 + i + 1, (j + 1) * 5 + i, (j + 1) * 5 + i + 1
            tris += [[a, b, d], [a, c, d]]
    tris = np.array(tris)
    rng = np.random.default_rng(7)
    dst = grid * 1.35 + 6 + rng.uniform(-3, 3, grid.shape).astype(np.float32)
    box = (0, 0, 170, 170)
    # white exactly where the source mesh is (like the alpha mask), black in its holes and around it
    white = (label_triangles(grid[tris], (0, 0, 120, 120)) > 0).astype(np.uint8) * 255
    for max_side in (60, 45, 30):  # 3, 4 and 6 px grids
        out = warp(white, grid, dst, tris, box, max_side=max_side)
        covered = label_triangles(dst[tris], box) > 0
        step = -(-170 // max_side)
        near = cv2.dilate(covered.astype(np.uint8), np.ones((2 * step + 1,) * 2, np.uint8)) > 0
        assert out[~near].max() == 0, max_side
        assert out[cv2.erode(covered.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0].min() == 255


def test_coarse_maps_do_not_blend_across_a_fold_in_the_mesh():
    """Where the target mesh folds over itself (nostrils of a turned head), neighbouring cells map to
    distant source points; blending them would sample somewhere else entirely."""
    from models.warp import mesh_maps

    xs = np.linspace(10, 110, 6, dtype=np.float32)
    grid = np.array([[x, y] for y in xs for x in xs], np.float32)
    tris = []
    for j in range(5):
        for i in range(5):
            a, b, c, d = j * 6 + i, j * 6 + i + 1, (j + 1) * 6 + i, (j + 1) * 6 + i + 1
            tris += [[a, b, d], [a, c, d]]
    tris = np.array(tris)
    dst = grid * 1.5 + 5
    dst[14] = dst[15] + (3, 2)  # vertex 14 pushed past its neighbour: the triangles around it fold
    box = (0, 0, 180, 180)
    fine_x, fine_y = mesh_maps(grid, dst, np.array(tris), box, max_side=10_000)
    step_x, step_y = mesh_maps(grid, dst, np.array(tris), box, max_side=60)  # a 3 px grid
    # Near the fold the exact map jumps, so a 3 px grid may take a neighbouring pixel's source point;
    # what it must not do is invent one: every coarse sample is close to the exact sample of some
    # pixel within a cell of it.
    best = np.full(fine_x.shape, np.inf, np.float32)
    r = 4
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            fx = np.roll(fine_x, (dy, dx), axis=(0, 1))
            fy = np.roll(fine_y, (dy, dx), axis=(0, 1))
            ok = fx >= 0
            best = np.where(ok, np.minimum(best, np.hypot(step_x - fx, step_y - fy)), best)
    inside = (fine_x >= 0) & (step_x >= 0)
    assert best[inside].max() < 3.5, best[inside].max()  # blending across the fold gave 8.4


def test_where_the_mesh_folds_the_triangles_facing_the_camera_are_drawn_over_those_turned_away():
    # a square in two triangles; the second one's free corner pulled across the shared edge, as a
    # turned head's far cheek folds behind the near one: it now lies over the first, turned over
    src = np.array([[0, 0], [100, 0], [0, 100], [100, 100]], np.float32)
    dst = src.copy()
    dst[3] = (20, 20)
    tris = np.array([[0, 1, 2], [1, 3, 2]])  # index order draws the turned-over one last
    map_x, map_y = mesh_maps(src, dst, tris, (0, 0, 100, 100), max_side=200)
    # (30, 30) is covered by both; the first triangle is the identity there
    assert abs(map_x[30, 30] - 30) < 0.01 and abs(map_y[30, 30] - 30) < 0.01
    assert drawing_order(tris, src, dst).tolist() == [[1, 3, 2], [0, 1, 2]]


def test_where_triangles_facing_the_camera_overlap_the_nearer_one_is_drawn_over_the_farther():
    # two triangles from two places in the source, both facing the camera, overlapping on the
    # target: a nose (points 3-5, near) over the far cheek beside it (points 0-2, far), the cheek
    # later in index order, as on a head turned toward profile
    src = np.array([[0, 0], [40, 0], [0, 40], [60, 0], [100, 0], [60, 40]], np.float32)
    dst = np.array([[10, 10], [50, 10], [10, 50], [0, 0], [40, 0], [0, 40]], np.float32)
    tris = np.array([[3, 4, 5], [0, 1, 2]])
    depth = np.array([30, 30, 30, -20, -20, -20], np.float32)
    # (20, 20) is covered by both: the cheek's map takes it from (10, 10), the nose's from (80, 20)
    in_index_order = mesh_maps(src, dst, tris, (0, 0, 60, 60), max_side=200)
    nearest_last = mesh_maps(src, dst, tris, (0, 0, 60, 60), max_side=200, depth=depth)
    assert abs(in_index_order[0][20, 20] - 10) < 0.01
    assert abs(nearest_last[0][20, 20] - 80) < 0.01 and abs(nearest_last[1][20, 20] - 20) < 0.01
    # points past the depth's end (the ring around a face) count as farthest: drawn first
    assert drawing_order(tris, src, dst, depth[:3]).tolist() == [[3, 4, 5], [0, 1, 2]]


def test_a_smoothed_move_does_not_tear_where_the_maps_jump_and_leaves_still_pixels_alone():
    # the left half of a box taken from 3 px to its right, the right half from 3 px to its left:
    # a fold's jump, where the moved pixels come apart in blocks
    h, w = 40, 60
    xs = np.arange(100, 100 + w, dtype=np.float32)[None, :].repeat(h, 0)
    ys = np.arange(50, 50 + h, dtype=np.float32)[:, None].repeat(w, 1)
    map_x = np.where(xs < 130, xs + 3, xs - 3).astype(np.float32)
    moving = np.zeros((h // 2, w // 2), np.uint8)  # once per 2 x 2 cell, as the maps are given
    moving[:, 5:25] = 1
    cells = (map_x[::2, ::2] + 0.5, ys[::2, ::2] + 0.5)  # at each cell's centre
    new_x, new_y = smooth_move(*displacement(*cells, (100, 50), cell=2), (100, 50), moving, 2.0, (w, h))
    assert new_x.shape == (h, w)
    steps = np.abs(np.diff(new_x - xs, axis=1))
    assert steps.max() < 1.5, steps.max()  # unsmoothed: 6 px in one step
    assert abs((new_x - xs)[20, 20] - 3) < 0.1 and abs((new_x - xs)[20, 40] + 3) < 0.1  # the move stays
    assert np.abs(new_x - xs)[:, :2].max() < 0.01 and np.abs(new_y - ys).max() < 0.01  # still pixels stay


def test_a_move_from_outside_the_mesh_or_from_far_away_is_not_believed():
    h, w, origin = 20, 30, (100, 50)
    xs = np.arange(origin[0], origin[0] + w, dtype=np.float32)[None, :].repeat(h, 0)
    ys = np.arange(origin[1], origin[1] + h, dtype=np.float32)[:, None].repeat(w, 1)
    map_x, map_y = xs + 3.0, ys - 4.0  # every pixel taken from 5 px away
    map_x[2, 2] = -10.0  # outside the mesh
    map_x[5, 7] += 250.0  # a fold's stray map: from across the frame
    map_y[9, 9] += 16.0  # 12.4 px away in all
    ok = believable_move(map_x, *displacement(map_x, map_y, origin), reach=10.0)
    assert not ok[2, 2] and not ok[5, 7] and not ok[9, 9]
    assert ok.sum() == h * w - 3


def test_maps_taken_once_per_cell_hold_the_full_maps_at_each_cells_centre():
    rng = np.random.default_rng(7)
    dst = GRID + rng.uniform(-8, 8, GRID.shape).astype(np.float32)
    src = GRID * np.float32(0.9) + np.float32(4)
    box = (3, 2, 118, 117)  # odd sides: the last cells are cut
    for max_side in (1000, 40):  # every pixel, and a 3 px grid enlarged
        (full_x, _), (half_x, half_y) = mesh_maps_many([src, src], dst, TRIS, box, max_side, halved=(1,))
        assert half_x.shape == (58, 58) and full_x.shape == (115, 115)
        # inside the mesh the map is affine per triangle: its value at a cell's centre is the mean
        # of the cell's four pixels
        inside = cv2.erode((full_x >= 0).astype(np.uint8), np.ones((9, 9), np.uint8))[:-1:2, :-1:2] > 0
        assert inside.sum() > 2000
        mean_x = (full_x[:-1:2, :-1:2] + full_x[1::2, :-1:2] + full_x[:-1:2, 1::2] + full_x[1::2, 1::2]) / 4
        assert np.abs(half_x[:-1, :-1][inside] - mean_x[inside]).max() < 1.0
        dx, _ = displacement(half_x, half_y, box[:2], cell=2)
        centres = box[0] + 0.5 + 2 * np.arange(57)
        assert np.abs(dx[:-1, :-1][inside] - (mean_x - centres)[inside]).max() < 1.0
        # outside the mesh the cells say so, as the full maps do
        assert half_x[0, 0] < -5 and full_x[0, 0] < -5
        if max_side < 115:
            # enlarged from a coarser grid: a cell with any pixel outside is outside, not a mean
            # of the outside marker and coordinates
            cells = full_x[:114, :114].reshape(57, 2, 57, 2) < -5
            assert (half_x[:57, :57][cells.any(axis=(1, 3))] == -10).all()


def test_maps_within_a_box_are_those_of_the_whole_box_there():
    rng = np.random.default_rng(8)
    dst = GRID + rng.uniform(-8, 8, GRID.shape).astype(np.float32)
    box, within = (0, 0, 120, 120), (20, 30, 100, 90)
    for max_side in (1000, 40):
        whole_x, whole_y = mesh_maps(GRID, dst, TRIS, box, max_side)
        part_x, part_y = mesh_maps_many([GRID], dst, TRIS, box, max_side, within=within)[0]
        assert np.array_equal(part_x, whole_x[30:90, 20:100])
        assert np.array_equal(part_y, whole_y[30:90, 20:100])


def nose_over_cheek() -> tuple[np.ndarray, np.ndarray]:
    """The maps of a near triangle (a nose, from the source's x 60-100) drawn over a far one (the
    cheek behind it, from x 0-40) where they overlap, as on a head turned toward profile."""
    src = np.array([[0, 0], [40, 0], [0, 40], [60, 0], [100, 0], [60, 40]], np.float32)
    dst = np.array([[10, 10], [50, 10], [10, 50], [0, 0], [40, 0], [0, 40]], np.float32)
    depth = np.array([30, 30, 30, -20, -20, -20], np.float32)
    return mesh_maps(src, dst, np.array([[3, 4, 5], [0, 1, 2]]), (0, 0, 60, 60), max_side=200, depth=depth)


def test_a_fold_is_found_along_the_near_triangles_edge_over_the_far_one_and_nowhere_else():
    map_x, map_y = nose_over_cheek()
    edges = fold_edges(map_x, map_y, step=1.0)
    ys, xs = np.nonzero(edges)
    assert len(xs) > 20, "no fold found"
    # the nose's long edge (x + y = 40), where the cheek shows past it: on both sides of it, within
    # the cheek's triangle; not the mesh's outline, where the maps meet the outside's marker
    assert np.all(np.abs(xs + ys - 39.5) <= 1.5), sorted(set((xs + ys).tolist()))
    assert np.all((xs >= 9) & (ys >= 9))
    # the same pixels where the source is laid out four times finer (a larger texture): the jump
    # scales with the texture's step
    assert np.array_equal(fold_edges(map_x * 4, map_y * 4, step=4.0), edges)


def test_a_smooth_warp_has_no_fold():
    src = GRID
    dst = GRID * 1.3 + np.float32([4, -2])
    map_x, map_y = mesh_maps(src, dst, TRIS, (0, 0, 150, 150), max_side=400)
    assert not fold_edges(map_x, map_y, step=1 / 1.3).any()


def test_a_softened_fold_takes_its_neighbours_mean_from_inside_the_mesh_only():
    map_x, map_y = nose_over_cheek()
    image = texture()[:60, :60].copy()
    image[map_x < 0] = 0  # the warp's black beyond the mesh
    edges = fold_edges(map_x, map_y, step=1.0)
    out = soften_folds(image, edges, map_x)
    assert np.array_equal(out[edges == 0], image[edges == 0])
    inside = map_x > -5
    for y, x in zip(*np.nonzero(edges), strict=True):
        ys, xs = slice(max(y - 1, 0), y + 2), slice(max(x - 1, 0), x + 2)
        mean = image[ys, xs][inside[ys, xs]].astype(np.float64).mean(0)
        assert np.abs(out[y, x] - mean).max() <= 1.0, (y, x)
