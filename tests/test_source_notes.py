"""The sentences an upload's answer gives about what in the photo limits the swap: pure logic."""

from __future__ import annotations

from models.source_notes import BLOWN_WORTH_SAYING, OUTSIDE_WORTH_SAYING, SourceLook, source_notes


def test_a_frontal_whole_colour_photo_gets_no_notes():
    assert source_notes(SourceLook(far_share=None, outside=0.0, grey=False)) == ()


def test_a_sliver_of_face_outside_the_photo_is_not_worth_a_word():
    assert source_notes(SourceLook(far_share=None, outside=OUTSIDE_WORTH_SAYING / 2, grey=False)) == ()


def test_each_limit_is_said_with_its_figure_and_the_mirror_first():
    notes = source_notes(SourceLook(far_share=0.3, outside=0.27, grey=True))
    assert len(notes) == 3
    assert "turned away" in notes[0] and "30%" in notes[0] and "mirror" in notes[0]
    assert notes[1].startswith("27% of the face lies outside the photo")
    assert "greyscale" in notes[2]


def test_an_underexposed_photo_is_said_to_be_brightened_before_any_greyscale():
    notes = source_notes(SourceLook(far_share=None, outside=0.0, grey=True, dark=True))
    assert notes[0].startswith("The photo is underexposed") and "brightened" in notes[0]
    assert "greyscale" in notes[1]


def test_a_washed_out_photo_is_said_to_have_had_its_contrast_stretched():
    notes = source_notes(SourceLook(far_share=None, outside=0.0, grey=False, washed_out=True))
    assert len(notes) == 1 and notes[0].startswith("The photo is washed out") and "stretched" in notes[0]


def test_a_hand_in_front_of_the_face_is_said_with_its_share():
    notes = source_notes(SourceLook(far_share=None, outside=0.0, grey=False, hand=0.28))
    assert len(notes) == 1 and notes[0].startswith("A hand covers 28% of the face")
    sliver = SourceLook(far_share=None, outside=0.0, grey=False, hand=OUTSIDE_WORTH_SAYING / 2)
    assert source_notes(sliver) == ()


def test_an_overexposed_photo_is_said_with_the_share_blown_out_and_a_highlight_is_not():
    notes = source_notes(SourceLook(far_share=None, outside=0.0, grey=False, blown=0.63))
    assert len(notes) == 1 and notes[0].startswith("The photo is overexposed: 63% of the face is blown out")
    highlight = SourceLook(far_share=None, outside=0.0, grey=False, blown=BLOWN_WORTH_SAYING / 2)
    assert source_notes(highlight) == ()


def test_a_photo_turned_the_right_way_up_is_said_to_have_been_upside_down_or_on_its_side():
    notes = source_notes(SourceLook(far_share=None, outside=0.0, grey=False, turned=180))
    assert len(notes) == 1 and notes[0].startswith("The photo was upside down") and "right way up" in notes[0]
    notes = source_notes(SourceLook(far_share=None, outside=0.0, grey=False, turned=90))
    assert len(notes) == 1 and notes[0].startswith("The photo was on its side")


def test_a_grainy_photo_is_said_to_have_been_cleaned_with_its_noise():
    notes = source_notes(SourceLook(far_share=None, outside=0.0, grey=False, grain=10.6))
    assert len(notes) == 1 and notes[0].startswith("The photo is grainy (noise of about 11 levels")
    assert "cleaned" in notes[0]


def test_a_hard_compressed_photo_is_said_to_have_lost_detail_to_its_blocks():
    notes = source_notes(SourceLook(far_share=None, outside=0.0, grey=False, blocky=True))
    assert len(notes) == 1 and notes[0].startswith("The photo is heavily compressed") and "JPEG" in notes[0]


def test_dark_glasses_are_said_to_be_worn_or_to_let_the_targets_own_eyes_show():
    worn = source_notes(SourceLook(far_share=None, outside=0.0, grey=False, dark_glasses="worn"))
    assert len(worn) == 1 and worn[0].startswith("The eyes are behind dark glasses: the swap wears them")
    cut = source_notes(SourceLook(far_share=None, outside=0.0, grey=False, dark_glasses="cut"))
    assert len(cut) == 1 and cut[0].startswith("The eyes are behind dark glasses")
    assert "its own eyes" in cut[0]


def test_a_hard_shadow_taken_off_the_photo_is_said_to_have_been_lightened():
    notes = source_notes(SourceLook(far_share=None, outside=0.0, grey=False, shadow=True))
    assert len(notes) == 1 and notes[0].startswith("A hard shadow falls across the face")
    assert "lightened" in notes[0]


def test_red_eyes_made_dark_are_said_to_have_been():
    notes = source_notes(SourceLook(far_share=None, outside=0.0, grey=False, red_eyes=True))
    assert len(notes) == 1 and notes[0].startswith("A flash lit the pupils red: they were made dark")
