"""What about a source photo limits the swap, said to the person who uploaded it.

A photo the engine accepts can still carry little of the person: bench.quality retrieves 98% of
the outputs of frontal, side-lit and small photos, 67% of turned ones and 69% of tight greyscale
crops (docs/mesh-engine.md), and every miss on its held-out faces is a photo whose far half the engine
mirrors. The upload's answer says which of these a photo is, and what would do better, instead of
leaving the user to wonder why the likeness is weak. A small face is not among them: enlarged at
upload, faces 80 px wide were retrieved as often as large ones.
"""

from __future__ import annotations

from dataclasses import dataclass

# Under this share of the face outside the photo, a crop is not worth a word: the mask's feather
# at the photo's edge hides a sliver.
OUTSIDE_WORTH_SAYING = 0.03
# Over this share of the face blown out to white, a photo is overexposed: bench.quality's source
# photos have at most 0.3% so, in every form (a highlight); one stop over (its `bright` form),
# 4-74% of the 15 faces, 50% the median.
BLOWN_WORTH_SAYING = 0.05


@dataclass(frozen=True)
class SourceLook:
    """What the engine saw in one source photo."""

    far_share: float | None  # a mirrored face's far half, over its near half's area; None if not mirrored
    outside: float  # the share of the face's area that lies outside the photo
    grey: bool  # a greyscale photo
    dark: bool = False  # an underexposed photo, brightened at upload
    washed_out: bool = False  # a faded or hazy photo, its blacks taken down at upload
    hand: float = 0.0  # the share of the face's area a hand in front of it covers
    # dark glasses over the eyes, and how they were swapped ("worn" or "cut": mesh_engine.DARK_GLASSES)
    dark_glasses: str = ""
    blown: float = 0.0  # the share of the face's area blown out to white (every channel at the top)
    turned: int = 0  # degrees a photo on its side or upside down was turned clockwise at upload
    # a grainy photo's noise over the face (grey levels, models/denoise.py), cleaned at upload; 0 if clean
    grain: float = 0.0
    blocky: bool = False  # a hard-compressed photo: JPEG's blocks show over the face (models/compression.py)
    shadow: bool = False  # a hard shadow's edge down the face, taken off at upload (models/photo_shadow.py)
    red_eyes: bool = False  # a flash's red or pink pupils, made dark at upload (models/red_eye.py)


def source_notes(look: SourceLook) -> tuple[str, ...]:
    """Sentences for the user, most harmful first; none for a photo that limits nothing."""
    notes = []
    if look.far_share is not None:
        notes.append(f"The face is turned away from the camera (its far side shows {look.far_share:.0%} of "
                     "the near side's area): that side is drawn from a mirror of the near one. A photo "
                     "facing the camera gives a closer likeness.")
    if look.outside >= OUTSIDE_WORTH_SAYING:
        notes.append(f"{look.outside:.0%} of the face lies outside the photo (a tight crop): there the "
                     "face it is swapped onto shows through. A photo of the whole head gives a closer "
                     "likeness.")
    if look.hand >= OUTSIDE_WORTH_SAYING:
        notes.append(f"A hand covers {look.hand:.0%} of the face: there the face it is swapped onto shows "
                     "through. A photo with nothing in front of the face gives a closer likeness.")
    if look.dark_glasses == "worn":
        notes.append("The eyes are behind dark glasses: the swap wears them, over the eyes of the face it "
                     "is swapped onto. A photo without them gives a closer likeness, and eyes that move.")
    elif look.dark_glasses:
        notes.append("The eyes are behind dark glasses: there the face it is swapped onto shows through, "
                     "its own eyes with it. A photo without them gives a closer likeness.")
    if look.blown >= BLOWN_WORTH_SAYING:
        notes.append(f"The photo is overexposed: {look.blown:.0%} of the face is blown out to white, and "
                     "its detail there is lost, so the swap shows it smooth. A photo with less light on "
                     "the face gives a closer likeness.")
    if look.dark:
        notes.append("The photo is underexposed: the face was brightened, but detail lost in its "
                     "shadows does not come back. A better-lit photo gives a closer likeness.")
    if look.washed_out:
        notes.append("The photo is washed out (faded or hazy): its contrast was stretched, but detail "
                     "it lost does not come back. A clearer photo gives a closer likeness.")
    if look.grain:
        notes.append(f"The photo is grainy (noise of about {look.grain:.0f} levels over the face): it was "
                     "cleaned, but detail lost in the grain does not come back. A sharper, better-lit "
                     "photo gives a closer likeness.")
    if look.blocky:
        notes.append("The photo is heavily compressed (its JPEG blocks show over the face): detail lost "
                     "to compression does not come back. A less compressed copy of the photo gives a "
                     "closer likeness.")
    if look.shadow:
        notes.append("A hard shadow falls across the face: it was lightened to match the lit side, but "
                     "detail lost in it does not come back. A photo in even light gives a closer likeness.")
    if look.red_eyes:
        notes.append("A flash lit the pupils red: they were made dark. A photo without flash (or with "
                     "red-eye reduction) keeps the eyes as they are.")
    if look.turned:
        way = "upside down" if look.turned == 180 else "on its side"
        notes.append(f"The photo was {way}: it was turned the right way up before the face was read. "
                     "Upload it the right way up (or with its camera's orientation tag) to be sure.")
    if look.grey:
        notes.append("The photo is greyscale: the swapped face keeps its light and detail and takes its "
                     "colour from the face it is swapped onto.")
    return tuple(notes)
