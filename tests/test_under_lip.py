"""The mesh under a photo's lower lip, spread onto the skin that shows (models/under_lip.py): on the
astronaut's mesh, read by a separate FaceMesh, folded as a face seen from above is read."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.under_lip import BETWEEN_EYES, COLUMNS, FOLDED_SPREAD, SPREAD, unfold_under_lip

pytestmark = pytest.mark.parallel

LIP, CREASE = 17, 18


@pytest.fixture(scope="module")
def level(measure, astronaut_face) -> np.ndarray:
    return measure.landmarks(astronaut_face)


def along(points: np.ndarray, i: int, start: int = LIP) -> float:
    """How far point i lies below point `start`, down the face (from between the eyes to the chin)."""
    down = points[152] - points[BETWEEN_EYES]
    return float((points[i] - points[start]) @ down / np.linalg.norm(down))


def folded(points: np.ndarray) -> np.ndarray:
    """`points` with the crease under the lip's middle and the point below it raised above the lip's
    edge, as FaceMesh read the social set's `s5-5` turned (17 at 175.9 px, 18 at 167.5, 200 at 172.0)."""
    out = points.copy()
    up = (points[BETWEEN_EYES] - points[152]) / np.linalg.norm(points[BETWEEN_EYES] - points[152])
    for i, rise in ((CREASE, 1.5), (200, 1.1)):
        out[i] = points[i] + up * (along(points, i) + rise * 5)
    return out


def test_a_face_seen_level_keeps_its_mesh(level):
    assert along(level, CREASE) > 0, "the astronaut is read folded: it tests nothing"
    assert np.array_equal(unfold_under_lip(level), level)


def test_a_crease_read_above_the_lip_is_put_back_below_it_and_the_column_runs_down(level):
    bent = folded(level)
    assert along(bent, CREASE) < 0 and along(bent, 200) < 0, "not folded: it tests nothing"
    spread = unfold_under_lip(bent)
    for column, _ in COLUMNS:
        depths = [along(spread, i, column[0]) for i in column]
        assert all(b > a for a, b in itertools.pairwise(depths)), (column, depths)
    (middle, level_shares), *_ = COLUMNS
    assert middle[:3] == (LIP, CREASE, 200)
    reach = along(spread, 152)
    # a point above the lip's edge: the column is laid where a face seen level has it
    assert along(spread, CREASE) == pytest.approx(FOLDED_SPREAD * level_shares[0] * reach, abs=0.01)
    assert along(spread, 200) == pytest.approx(FOLDED_SPREAD * level_shares[1] * reach, abs=0.01)


def test_a_crease_read_close_under_the_lip_is_spread_less_far(level):
    """Not folded, only nearer the lip than a face seen level has it: spread to SPREAD of the
    level place, not all of it (a face seen level is read anywhere from 0.05 to 0.30 of the way)."""
    close = level.copy()
    (_, level_shares), *_ = COLUMNS
    up = (level[BETWEEN_EYES] - level[152]) / np.linalg.norm(level[BETWEEN_EYES] - level[152])
    reach = along(level, 152)
    close[CREASE] = level[CREASE] + up * (along(level, CREASE) - 0.05 * reach)  # 0.05 of the way down
    spread = unfold_under_lip(close)
    assert along(spread, CREASE) == pytest.approx(SPREAD * level_shares[0] * reach, abs=0.01)
    assert np.array_equal(np.delete(spread, CREASE, 0), np.delete(close, CREASE, 0))


def test_only_the_folded_columns_points_move_and_only_down_the_face(level):
    bent = folded(level)
    spread = unfold_under_lip(bent)
    moved = np.flatnonzero(np.abs(spread - bent).max(1) > 1e-6)
    (middle, _), *_ = COLUMNS
    assert set(moved) <= set(middle[1:-1]) and {CREASE, 200} <= set(moved), moved
    down = level[152] - level[BETWEEN_EYES]
    for i in moved:
        step = spread[i] - bent[i]
        assert abs(np.cross(step, down)) < 1e-3 * np.linalg.norm(step) * np.linalg.norm(down)
        assert step @ down > 0
