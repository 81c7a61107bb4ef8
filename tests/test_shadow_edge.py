"""models/shadow_edge.py: a hard shadow's straight edge found in a face's lightness samples, and
followed per track from frame to frame (pure code, made-up samples)."""

from __future__ import annotations

import numpy as np

from models.shadow_edge import (
    EDGE_FADE,
    EDGE_FOLLOW,
    EDGE_LOOK_EVERY,
    EDGE_MIN_STEP,
    Edge,
    EdgeMemory,
    find_edge,
    runs_past,
)

SCALE = 240.0


def oval(inside: bool) -> tuple[np.ndarray, np.ndarray]:
    """Every third pixel of a 240 px box inside an oval face (or outside it): (xs, ys)."""
    ys, xs = np.mgrid[0:240:3, 0:240:3].astype(np.float32)
    face = ((xs - 120) / 90) ** 2 + ((ys - 120) / 110) ** 2 < 1
    keep = face if inside else ~face
    return xs[keep], ys[keep]


def face_samples(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The oval face lit by a smooth light (brighter on the left and at the centre), with a
    camera's noise: (lightness, xs, ys)."""
    xs, ys = oval(inside=True)
    light = 160 - 25 * xs / SCALE - 30 * ((ys - 120) / SCALE) ** 2
    return light + np.random.default_rng(seed).normal(0, 4, len(xs)), xs, ys


def test_finds_a_hard_shadow_edge_down_the_face_where_it_lies():
    light, xs, ys = face_samples()
    edge = find_edge(light - 70 * (xs > 140), xs, ys, SCALE)
    assert edge is not None
    # a step of 70 levels on skin at about 150: log(121 / 191) = -0.46 in log(L + 41)
    assert abs(edge.angle) < np.radians(5) and -0.6 < edge.step < -0.35, edge
    assert abs((edge.offset + 0.5) * SCALE - 140) < 8, edge  # where it crosses: from the box's centre


def test_finds_a_tilted_edge_at_its_angle():
    light, xs, ys = face_samples(1)
    angle = np.radians(20)
    across = xs * np.cos(angle) + ys * np.sin(angle)
    edge = find_edge(light + 60 * (across > np.median(across)), xs, ys, SCALE)
    assert edge is not None and abs(edge.angle - angle) <= np.radians(10) and edge.step > 0.18, edge


def test_a_smooth_side_light_is_left_to_the_quadratic():
    light, xs, ys = face_samples()
    assert find_edge(light, xs, ys, SCALE) is None
    assert find_edge(light - 60 * xs / SCALE, xs, ys, SCALE) is None  # a ramp is no edge


def test_the_faces_own_lines_across_it_are_no_shadow():
    """Brows, lids, the lips and a beard's edge run across a face: dark bands and a darker chin."""
    light, xs, ys = face_samples(2)
    for top, bottom, dark in ((60, 72, 60), (88, 96, 50), (160, 172, 45)):  # brows, eyes, lips
        light = light - dark * ((ys >= top) & (ys < bottom))
    # a beard from below the lips: a step across the face as hard as a shadow's (let in at every
    # angle, it is found, at 90 degrees)
    bearded = light - 60 * (ys > 160)
    assert find_edge(light, xs, ys, SCALE) is None
    assert find_edge(bearded, xs, ys, SCALE) is None


def test_a_small_step_is_no_shadow():
    light, xs, ys = face_samples(3)
    assert find_edge(light - 8 * (xs > 120), xs, ys, SCALE) is None  # log(183 / 191): -0.04


def test_an_edge_rises_over_frames_and_fades_when_no_longer_found():
    memory = EdgeMemory()
    found = Edge(-0.5, 0.0, 0.5, 0.02)
    first = memory.follow(1, found)
    second = memory.follow(1, found)
    assert first is not None and second is not None
    assert first.step == EDGE_FOLLOW * -0.5 and abs(second.step) > abs(first.step)  # no sudden shadow
    faded = memory.follow(1, None)
    assert faded is not None and faded.step == EDGE_FADE * second.step  # a missed frame: no flicker
    steps = []
    while (kept := memory.follow(1, None)) is not None:
        steps.append(kept.step)
    assert len(steps) < 10 and all(abs(s) >= EDGE_MIN_STEP / 2 for s in steps)  # gone, in a few frames
    assert memory.follow(1, None) is None


def test_an_edge_moves_part_of_the_way_and_one_at_another_angle_starts_afresh():
    memory = EdgeMemory()
    memory.follow(1, Edge(-0.5, 0.0, 0.5, 0.02))
    moved = memory.follow(1, Edge(-0.5, 0.0, 0.6, 0.02))
    assert moved is not None and 0.5 < moved.offset < 0.6
    turned = memory.follow(1, Edge(-0.5, np.radians(30), 0.4, 0.02))
    assert turned is not None and turned.angle == np.radians(30) and turned.step == EDGE_FOLLOW * -0.5
    lit_the_other_way = memory.follow(1, Edge(0.45, np.radians(30), 0.4, 0.02))
    assert lit_the_other_way is not None and lit_the_other_way.step == EDGE_FOLLOW * 0.45


def test_tracks_are_followed_apart_and_forgotten_when_gone():
    memory = EdgeMemory()
    memory.follow(1, Edge(-0.5, 0.0, 0.5, 0.02))
    memory.follow(2, Edge(0.4, 0.1, 0.4, 0.06))
    assert memory.follow(2, None).step == EDGE_FADE * EDGE_FOLLOW * 0.4
    memory.keep_only({2})
    assert memory.follow(1, None) is None and 2 in memory.kept


def test_a_face_without_an_edge_is_searched_every_few_frames_and_one_with_an_edge_every_frame():
    memory = EdgeMemory()
    looked = [memory.due(1) for _ in range(2 * EDGE_LOOK_EVERY)]
    assert looked == [i % EDGE_LOOK_EVERY == 0 for i in range(2 * EDGE_LOOK_EVERY)]  # the first frame too
    memory.follow(1, Edge(-0.5, 0.0, 0.5, 0.02))  # a shadow is found
    assert all(memory.due(1) for _ in range(2 * EDGE_LOOK_EVERY))  # followed on every frame
    while memory.follow(1, None) is not None:  # it goes: faded out, then dropped
        pass
    assert sum(memory.due(1) for _ in range(3 * EDGE_LOOK_EVERY)) == 3
    assert memory.due(2)  # a new face is searched on its first frame


def test_a_track_gone_and_back_is_searched_on_its_first_frame_again():
    memory = EdgeMemory()
    memory.due(1)
    memory.keep_only(set())
    assert memory.frames == {} and memory.due(1)


def test_the_edge_image_steps_across_its_line():
    edge = Edge(-0.5, 0.0, 0.0, 0.01)
    image = edge.image((100, 200))  # through the centre of a box 200 px large: column 100
    assert image.shape == (100, 200)
    assert abs(image[50, 60]) < 0.01 and abs(image[50, 140] + 0.5) < 0.01
    assert abs(image[50, 100] + 0.25) < 0.01


def beyond_the_face(seed: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The box outside the oval face: hair and background, at 120 with a camera's noise:
    (lightness, xs, ys)."""
    xs, ys = oval(inside=False)
    return 120 + np.random.default_rng(seed).normal(0, 4, len(xs)), xs, ys


def test_a_cast_shadow_runs_on_past_the_face_and_a_noses_shading_does_not():
    light, xs, ys = face_samples()
    edge = find_edge(light - 70 * (xs > 140), xs, ys, SCALE)
    assert edge is not None
    around, oxs, oys = beyond_the_face()
    cast = np.log(around + 41) + edge.at(oxs, oys, SCALE)  # the same shadow on the hair and background
    assert runs_past(edge, np.exp(cast) - 41, oxs, oys, SCALE)
    assert not runs_past(edge, around, oxs, oys, SCALE)  # lit alike either side: the face's own
    assert not runs_past(edge, around + 60 * (oxs > 140), oxs, oys, SCALE)  # lighter past it: a lit room
