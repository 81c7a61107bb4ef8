"""Which way up a source photo is (models/orientation.py): the rule, on figures and a fake mesh."""

from __future__ import annotations

import numpy as np

from models import face_topology as ft
from models.orientation import (
    MARGIN,
    STEADY,
    UNSTEADY,
    half_turn_box,
    half_turn_point,
    unsteadiness,
    upside_down,
    worth_turning,
)

FACE = np.column_stack([np.linspace(100, 300, ft.MESH_POINTS), np.linspace(100, 340, ft.MESH_POINTS)])


def test_a_steady_reading_is_not_read_upside_down_too():
    assert not worth_turning(STEADY / 2)
    assert worth_turning(STEADY * 2)
    assert worth_turning(None)  # no face found: perhaps upside down


def test_a_photo_is_turned_only_when_turned_it_reads_far_steadier():
    assert upside_down(0.06, 0.004)
    assert not upside_down(0.012, 0.012 / MARGIN * 1.5)  # steadier, but not by the margin
    assert not upside_down(0.06, UNSTEADY * 1.5)  # no steadier than a misread face: left as it came
    assert not upside_down(0.06, float("inf"))


def test_a_photo_with_no_face_found_is_turned_when_turned_it_reads_steadily():
    assert upside_down(None, 0.004)
    assert not upside_down(None, UNSTEADY * 2)


def test_a_half_turn_twice_is_no_turn():
    box = (10.0, 20.0, 110.0, 150.0)
    turned = half_turn_box(box, 640, 480)
    assert turned == (530.0, 330.0, 630.0, 460.0)
    assert half_turn_box(turned, 640, 480) == box
    assert half_turn_point(half_turn_point((5.0, 7.0), 640, 480), 640, 480) == (5.0, 7.0)


def test_a_mesh_read_the_same_from_every_crop_is_steady_and_one_that_moves_is_not():
    image = np.zeros((480, 640, 3), np.uint8)
    box = (100.0, 100.0, 300.0, 340.0)
    assert unsteadiness(lambda _, __: FACE, image, box) < 1e-9

    def moving(_: np.ndarray, crop: tuple[float, float, float, float]) -> np.ndarray:
        # a misread face follows its crop about: its points move with the crop's centre
        return FACE + np.array([(crop[0] + crop[2]) / 2 - 200, (crop[1] + crop[3]) / 2 - 220])

    assert unsteadiness(moving, image, box) > UNSTEADY


def test_a_face_read_from_fewer_than_two_crops_is_unsteady_beyond_measure():
    image = np.zeros((480, 640, 3), np.uint8)
    box = (100.0, 100.0, 300.0, 340.0)
    assert unsteadiness(lambda _, __: None, image, box) == float("inf")
    assert unsteadiness(lambda _, __: None, image, box, read=FACE) == float("inf")
