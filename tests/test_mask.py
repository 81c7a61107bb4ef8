"""The swap mask's forehead: pure array code, no models."""

from __future__ import annotations

import numpy as np

from models import face_topology as ft
from models.mask import FADE_FROM, FADE_TO, above_brows, forehead_agreement, forehead_fade


def upright_mesh(brows_at: float) -> np.ndarray:
    """A mesh 100 px from chin (y=100) to forehead top (y=0), the brows' top `brows_at` of the way up."""
    pts = np.zeros((ft.MESH_POINTS, 2), np.float32)
    pts[:, 0] = 50
    pts[:, 1] = 100
    pts[ft.FOREHEAD_TOP] = (50, 0)
    pts[ft.brows(), 1] = 100 * (1 - brows_at)
    return pts


def test_the_fade_leaves_the_brows_whole_and_reaches_nothing_at_the_top():
    pts = upright_mesh(0.80)
    fade = forehead_fade((101, 100), pts)[:, 50]  # by row: row 100 is the chin, row 0 the top
    assert fade[20] == 1.0  # the brows' top
    assert fade[round(100 * (1 - FADE_TO))] == 0.0
    # the fixed fade it replaced had the brows at half strength
    fixed = forehead_fade((101, 100), pts, from_brows=False)[:, 50]
    assert fixed[20] < 0.7 and fixed[round(100 * (1 - FADE_FROM))] == 1.0


def test_above_the_brows_the_source_is_kept_only_where_it_agrees_with_the_target():
    pts = upright_mesh(0.50)
    above = above_brows((101, 100), pts)
    assert above[60:].max() == 0 and above[:40].min() == 255  # 0 below the brows, 255 well above
    target = np.full((101, 100, 3), 120, np.uint8)
    face = target.copy()
    face[:, 50:] = 230  # the right half of the source is something else (a fringe over skin)
    face[:, :50] = 130  # the left half, the same skin in slightly other light
    alpha = np.full((101, 100), 255, np.uint8)
    kept = forehead_agreement(alpha, above, face, target, 100.0)
    assert kept[:30, :35].min() == 255  # above the brows, where they agree
    assert kept[:30, 65:].max() == 0  # above the brows, where they do not
    assert kept[70:].min() == 255  # below the brows everything, agreeing or not
