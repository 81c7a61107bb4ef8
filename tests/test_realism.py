"""bench/realism.py (what a person sees wrong in a swapped frame) and bench/ceiling.py's paste,
measured on made-up images."""

from __future__ import annotations

import cv2
import numpy as np

from bench import ceiling, realism


def skin_frame(h: int = 120, w: int = 160) -> np.ndarray:
    """A smooth warm gradient, as a lit cheek: no pixel stands alone."""
    light = np.tile(np.linspace(120, 200, w, dtype=np.float32), (h, 1))
    lab = np.stack([light, np.full((h, w), 150.0), np.full((h, w), 155.0)], axis=-1)
    return cv2.cvtColor(np.clip(lab + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)


def test_a_speck_the_swap_made_is_stray_and_one_the_target_has_is_not():
    frame = skin_frame()
    frame[10, 10] = 255  # the target's own speck
    out = frame.copy()
    out[60, 80] = (20, 20, 20)
    out[30, 40] = (255, 255, 255)
    assert realism.stray_pixels(out, frame) == 2
    assert realism.stray_pixels(frame, frame) == 0


def test_white_counts_only_where_the_swap_put_it():
    frame = skin_frame()
    frame[:, :10] = 255  # the target's own white (a window behind it)
    out = frame.copy()
    out[:, :20] = 255
    out[50:60, 100:110] = 255
    assert realism.held_at_white(out, frame) == 120 * 10 + 100


def test_a_change_clipped_by_a_box_is_a_straight_cut_and_a_feathered_one_is_not():
    frame = skin_frame()
    clipped = frame.copy()
    clipped[20:70, 30:90] = (60, 60, 60)  # stops dead along four lines: 50 px down each side
    assert realism.straight_cut(clipped, frame) == 60
    feathered = frame.astype(np.float32)
    alpha = np.zeros(frame.shape[:2], np.float32)
    alpha[20:70, 30:90] = 1.0
    alpha = cv2.GaussianBlur(alpha, (0, 0), 6)[..., None]
    feathered = np.round(feathered * (1 - alpha) + 60 * alpha).astype(np.uint8)
    assert realism.straight_cut(feathered, frame) == 0
    # the target's own straight edge (a picture pasted in a frame), moved two pixels by the swap
    pasted = frame.copy()
    pasted[:, 100:] = (30, 30, 30)
    moved = frame.copy()
    moved[:, 98:] = (30, 30, 30)
    assert realism.straight_cut(moved, pasted) == 0


def face_marks() -> np.ndarray:
    """dlib's 68 landmarks of a made-up face in a 200 x 200 image: a jaw as a half circle under
    the brows' line, eyes at (70, 80) and (130, 80), lips at (100, 125)."""
    marks = np.zeros((68, 2), np.float32)
    angle = np.linspace(np.pi, 2 * np.pi, 17)  # the jaw: a half circle under the brows' line
    marks[:17] = np.stack([100 - 60 * np.cos(angle), 80 - 70 * np.sin(angle)], axis=1)
    marks[17:27] = np.stack([np.linspace(45, 155, 10), np.full(10, 60)], axis=1)
    for first, cx in ((36, 70), (42, 130)):  # the eyes
        t = np.linspace(0, 2 * np.pi, 6, endpoint=False)
        marks[first:first + 6] = np.stack([cx + 12 * np.cos(t), 80 + 5 * np.sin(t)], axis=1)
    t = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    marks[48:60] = np.stack([100 + 20 * np.cos(t), 125 + 6 * np.sin(t)], axis=1)
    return marks


def test_skin_leaves_out_the_eyes_brows_and_lips():
    region, width = realism.skin((200, 200), face_marks())
    assert width == 120
    assert region[100, 60] and region[100, 140]  # the cheeks
    assert not region[80, 70] and not region[80, 130] and not region[125, 100]  # eyes, lips
    assert not region[60, 100] and not region[30, 100]  # the brows, and above them


def test_a_grey_patch_on_half_the_skin_is_half_greyed():
    frame = skin_frame()
    out = frame.copy()
    grey = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    out[:, 80:] = grey[:, 80:]
    region = np.zeros(frame.shape[:2], bool)
    region[20:100, 20:140] = True
    share = realism.greyed_share(out, frame, region, width=40)  # a blur of 2 px
    assert 0.45 < share < 0.55
    assert realism.greyed_share(frame, frame, region, width=40) == 0
    # a greyscale target under a camera's noise has no colour to lose, whatever the swap's noise
    rng = np.random.default_rng(0)
    noisy = np.clip(grey + rng.normal(0, 2, grey.shape) + 0.5, 0, 255).astype(np.uint8)
    assert realism.greyed_share(grey, noisy, region, width=40) == 0


def with_patch(image: np.ndarray, centre: tuple[int, int], radius: int, grey: bool) -> np.ndarray:
    """`image` with a round patch of its skin's lightness, grey (a and b neutral) or rose."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    spot = np.zeros(image.shape[:2], np.uint8)
    cv2.circle(spot, centre, radius, 255, -1)
    lab[spot > 0, 1:] = (128, 128) if grey else (165, 150)
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def test_a_grey_patch_on_a_warm_cheek_is_a_colour_patch_and_the_targets_own_blush_is_not():
    frame = skin_frame(200, 200)
    region = np.zeros(frame.shape[:2], bool)
    region[40:160, 40:160] = True
    patched = with_patch(frame, (70, 100), 12, grey=True)
    share = realism.patchy_share(patched, frame, region, width=120)
    # measured 0.076: the patch is 3% of the region, and the blur spreads it
    assert 0.02 < share < 0.08, share
    blushed = with_patch(frame, (130, 100), 12, grey=False)
    assert realism.patchy_share(blushed, blushed, region, width=120) == 0  # the target's own
    assert realism.patchy_share(frame, frame, region, width=120) == 0


def lab_stripe(image: np.ndarray, columns: slice, lab: tuple[float, float, float]) -> np.ndarray:
    """`image` with `columns` painted in one LAB colour."""
    out = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    out[:, columns] = lab
    return cv2.cvtColor(out, cv2.COLOR_LAB2BGR)


def test_grey_where_the_target_is_grey_only_near_white_is_off_colour_and_its_own_colours_are_not():
    region = np.zeros((200, 200), bool)
    region[40:160, 40:160] = True
    nose = slice(90, 110)  # 17% of the region
    frame = lab_stripe(skin_frame(200, 200), nose, (240, 130, 131))  # a highlight, near white and grey
    grey = lab_stripe(frame, nose, (170, 130, 131))  # the same grey, on a nose as light as the cheeks
    warm = lab_stripe(frame, nose, (170, 150, 155))  # the cheeks' own colour at that lightness
    share = realism.off_colour_share(grey, frame, region, width=120)
    # measured 0.18: the stripe, and its blur's edge
    assert 0.12 < share < 0.22, share
    assert realism.off_colour_share(warm, frame, region, width=120) == 0
    assert realism.off_colour_share(frame, frame, region, width=120) == 0


def with_creases(image: np.ndarray, rows: range) -> np.ndarray:
    """`image` with dark horizontal creases, 30 L deep, 2 px wide, 8 px apart over `rows`."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    for y in rows[::8]:
        lab[y : y + 2, :, 0] -= 30
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def test_creases_on_skin_the_target_shows_flat_are_harsh_and_the_targets_own_are_not():
    frame = skin_frame(200, 200)
    region = np.zeros(frame.shape[:2], bool)
    region[40:160, 40:160] = True
    creased = with_creases(frame, range(40, 100))  # the region's upper half
    share = realism.harsh_share(creased, frame, region, width=120)
    # measured 0.55: the creases cover half the region, and the blur reaches a little beyond
    assert 0.5 < share < 0.75, share
    assert realism.harsh_share(creased, creased, region, width=120) == 0  # the target's own
    assert realism.harsh_share(frame, frame, region, width=120) == 0


def test_grain_on_skin_the_target_shows_soft_is_sharper_and_grain_as_fine_as_the_targets_is_not():
    frame = skin_frame(200, 200)
    region = np.zeros(frame.shape[:2], bool)
    region[40:160, 40:160] = True
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, frame.shape[:2]).astype(np.float32)

    def with_grain(image: np.ndarray, rows: range, strength: float) -> np.ndarray:
        out = image.astype(np.float32)
        out[rows] += strength * noise[rows, :, None]
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    grainy = with_grain(frame, range(40, 100), 8.0)  # the region's upper half: pores, stubble
    share = realism.sharper_share(grainy, frame, region, width=120)
    # measured 0.59: the grain covers half the region, and the window reaches a little beyond
    assert 0.5 < share < 0.75, share
    assert realism.sharper_share(grainy, grainy, region, width=120) == 0  # the target's own
    as_grainy = with_grain(frame, range(0, 200), 8.0)
    assert realism.sharper_share(grainy, as_grainy, region, width=120) == 0


def upper_face_skin() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A skin frame, its upper face's skin (the cheeks, the nose, the forehead) and the frame with
    a dark beard below the nose."""
    frame = skin_frame(200, 200)
    marks = face_marks()
    marks[realism.NOSE_BOTTOM] = (100, 108)
    region, _ = realism.skin(frame.shape[:2], marks)
    bearded = frame.copy()
    bearded[130:, :] = (40, 45, 50)
    return frame, realism.upper(region, marks), bearded


def shifted_in_lab(frame: np.ndarray, shift: tuple[float, float, float]) -> np.ndarray:
    """`frame` (BGR) with CIE L*, a* and b* moved by `shift`."""
    lab = cv2.cvtColor(frame.astype(np.float32) / 255, cv2.COLOR_BGR2LAB) + np.float32(shift)
    return np.clip(cv2.cvtColor(lab, cv2.COLOR_LAB2BGR) * 255 + 0.5, 0, 255).astype(np.uint8)


def test_a_face_tinted_on_the_skin_the_target_shows_is_off_its_tone_and_a_beard_is_not_counted():
    frame, upper, bearded = upper_face_skin()
    assert upper[100, 60] and not upper[150, 100]  # a cheek counts, the chin (a beard) does not
    tinted = shifted_in_lab(frame, (0.0, 3.0, -4.0))
    assert 4.0 < realism.tone_shift(tinted, frame, upper) < 6.0  # 5: a* 3 and b* 4 apart
    assert realism.tone_shift(frame, bearded, upper) < 0.5
    assert realism.tone_shift(frame, frame, upper) == 0


def test_a_swap_darker_than_the_targets_skin_is_off_its_lightness_and_a_beard_is_not_counted():
    frame, upper, bearded = upper_face_skin()
    darker = shifted_in_lab(frame, (-8.0, 0.0, 0.0))
    assert -9.0 < realism.level_shift(darker, frame, upper) < -7.0  # 8 L* darker, signed
    assert 7.0 < realism.level_shift(frame, darker, upper) < 9.0
    assert abs(realism.level_shift(frame, bearded, upper)) < 0.5  # a dark chin is not the skin's level
    assert realism.level_shift(frame, frame, upper) == 0


def test_the_ceilings_paste_puts_the_source_inside_the_outline_and_keeps_the_targets_eyes():
    marks = face_marks()
    source = np.full((200, 200, 3), (60, 90, 160), np.uint8)  # the source's face, shifted by 10 px
    source[90:110, 55:85] = (20, 20, 20)  # an open dark eye of the source's, where the target's left is
    frame = np.full((200, 200, 3), (90, 120, 170), np.uint8)
    frame[78:83, 60:80] = (200, 200, 200)  # the target's left eye
    pasted = ceiling.paste(source, marks + np.float32([0, 10]), frame, marks)
    kept = ceiling.paste(source, marks + np.float32([0, 10]), frame, marks, keep=realism.EYES)
    assert (pasted[5, 5] == frame[5, 5]).all()  # outside the outline: the target's frame
    assert pasted[80, 70].max() < 100  # the source's eye, aligned onto the target's (10 px up)
    assert kept[80, 70].min() > 150  # the target's own eye put back


def test_the_ceiling_lists_the_pairs_where_the_engine_is_furthest_behind_the_paste_first():
    engine = [0.50, 0.70, 0.40, 0.55]
    pasted = [0.45, 0.50, 0.45, 0.40]  # the engine behind by 0.05, 0.20, ahead by 0.05, behind 0.15
    assert ceiling.behind(engine, pasted) == [1, 3, 0, 2]
    assert ceiling.behind(engine, pasted, n=2) == [1, 3]


def test_the_eyes_region_takes_the_lids_and_brows_and_its_colours_are_judged_against_the_whole_face():
    eyes, whole, width = realism.eyes_and_face((200, 200), face_marks())
    assert width == 120
    assert eyes[80, 70] and eyes[80, 130] and eyes[60, 100]  # the eyes, the brows' line
    assert eyes[88, 70]  # a lid under the eye
    assert not eyes[125, 100] and not eyes[110, 60]  # the lips, a cheek
    assert whole[80, 70] and whole[125, 100] and whole[110, 60]
    frame = skin_frame(200, 200)
    # a blue iris the target's face shows nowhere at its lightness is off; its skin's colour is not
    blue = lab_stripe(frame, slice(64, 76), (90, 128, 100))
    own = lab_stripe(frame, slice(64, 76), cv2.cvtColor(frame, cv2.COLOR_BGR2LAB)[110, 60].tolist())
    assert realism.off_colour_share(blue, frame, eyes, width, whole) > 0.05
    assert realism.off_colour_share(own, frame, eyes, width, whole) == 0


def test_a_swap_lit_evenly_on_a_target_lit_from_one_side_is_off_by_the_targets_step():
    lab = np.zeros((200, 200, 3), np.float32)
    lab[..., 0], lab[..., 1], lab[..., 2] = 60.0, 12.0, 16.0  # CIE L*, a*, b*: one warm, even skin
    even = np.clip(cv2.cvtColor(lab, cv2.COLOR_LAB2BGR) * 255 + 0.5, 0, 255).astype(np.uint8)
    lab[:, :100, 0] += 10.0  # the face's left (the image's) under a lamp
    lit = np.clip(cv2.cvtColor(lab, cv2.COLOR_LAB2BGR) * 255 + 0.5, 0, 255).astype(np.uint8)
    marks = face_marks()
    marks[realism.NOSE_TOP] = (100, 70)
    region, _ = realism.skin(lit.shape[:2], marks)
    assert abs(realism.light_across(even, lit, region, marks) + 10) < 1  # the lamp not taken
    assert abs(realism.light_across(lit, even, region, marks) - 10) < 1  # a photo's own lamp kept
    assert realism.light_across(lit, lit, region, marks) == 0
