"""Which way up a source photo or a video's frames are (models/orientation.py): the rules, on
figures and a fake mesh."""

from __future__ import annotations

import numpy as np
import pytest

from models import face_topology as ft
from models.orientation import (
    FOLLOW_ROLL,
    MARGIN,
    ROLL,
    STEADY,
    UNSTEADY,
    Reading,
    better,
    followed_turn,
    roll,
    turn,
    turn_box,
    turn_point,
    unsteadiness,
    worth_turning,
)
from testing.fakes import upright_face_mesh

FACE = np.column_stack([np.linspace(100, 300, ft.MESH_POINTS), np.linspace(100, 340, ft.MESH_POINTS)])
UPRIGHT = Reading(0.004, 5.0)


def test_a_steady_upright_reading_is_taken_as_it_is():
    assert not worth_turning(UPRIGHT)
    assert worth_turning(Reading(STEADY * 2, 0.0))  # unsteady: perhaps upside down
    assert worth_turning(Reading(0.004, ROLL + 30))  # on its side
    assert worth_turning(None)  # no face found


def test_a_turn_is_taken_only_when_its_face_reads_upright_and_far_steadier():
    unsteady = Reading(0.06, 2.0)  # upside down, read as upright
    assert better(unsteady, UPRIGHT)
    assert not better(Reading(0.012, 0.0), Reading(0.012 / MARGIN * 1.5, 0.0))  # steadier, not by the margin
    assert not better(unsteady, Reading(UNSTEADY * 1.5, 0.0))  # no steadier than a misread face
    assert not better(unsteady, Reading(float("inf"), 0.0))
    assert not better(unsteady, Reading(0.004, ROLL + 10))  # steady, but the face lies on its side there


def test_a_photo_on_its_side_or_with_no_face_takes_any_steady_upright_turn():
    on_its_side = Reading(0.01, 88.0)
    assert better(on_its_side, Reading(0.009, -2.0))  # not twice as steady, but upright
    assert better(None, UPRIGHT)
    assert not better(None, Reading(UNSTEADY * 2, 0.0))


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_a_point_and_a_box_turn_with_the_image(degrees):
    image = np.zeros((48, 64), np.uint8)
    image[10:14, 20:30] = 255
    turned = turn(image, degrees)
    ys, xs = np.nonzero(turned)
    box = turn_box((20.0, 10.0, 30.0, 14.0), degrees, 64, 48)
    assert box == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    back = turn_point(turn_point((5.0, 7.0), degrees, 64, 48), -degrees, *turned.shape[::-1])
    assert back == (5.0, 7.0)


@pytest.mark.parametrize("degrees, expected", [(0, 0.0), (30, 30.0), (90, 90.0), (270, -90.0)])
def test_roll_is_how_far_the_face_is_turned_clockwise(degrees, expected):
    a = np.radians(degrees)
    clockwise = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])  # in image rows and columns
    points = (upright_face_mesh((100.0, 110.0), 30.0) - 100) @ clockwise.T + 100
    assert roll(points) == pytest.approx(expected, abs=1e-3)


def test_an_upside_down_face_rolls_half_round():
    points = np.array([turn_point(tuple(p), 180, 200, 200) for p in upright_face_mesh((100.0, 110.0), 30.0)])
    assert abs(roll(points)) == pytest.approx(180.0, abs=1e-3)


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


def test_a_followed_face_turns_the_frames_only_once_it_lies_past_the_follow_roll():
    assert followed_turn(0, 40.0) == 0  # a tilted head: mediapipe reads it as it is
    assert followed_turn(0, -FOLLOW_ROLL) == 0
    assert followed_turn(0, FOLLOW_ROLL + 5) == 270  # rolled clockwise: turned back anticlockwise
    assert followed_turn(0, -(FOLLOW_ROLL + 5)) == 90
    assert followed_turn(0, 175.0) == 180
    assert followed_turn(270, -170.0) == 90  # on top of the turn the frames had


def test_a_quarter_turn_leaves_the_face_well_inside_the_follow_roll_so_noise_does_not_turn_it_back():
    turn = followed_turn(0, FOLLOW_ROLL + 1)
    # the face now reads rolled by the rest: within 30 degrees of upright
    rest = FOLLOW_ROLL + 1 - 90
    assert abs(rest) < FOLLOW_ROLL - 20
    assert followed_turn(turn, rest - 10) == turn and followed_turn(turn, rest + 10) == turn
