"""The skin under a source photo's lower lip, laid out so no frame draws the lip over its chin.

A face seen from above (a selfie held high, a head bowed, the bench's turned forms) hides the
crease under its lower lip behind the lip. FaceMesh still places the crease's row of points, and it
places them where it sees them: on the lip or above its edge. The photo's triangles there fold
over (the social set's `s3-3` turned: the crease 1.3 px above the lip's edge; `s5-5`'s row below it
too), and a frame that shows its chin (a camera below the face, a laugh with the head back)
stretched the lip over them: a lower lip twice its depth, dark red or brown, down to the chin.

Here each column of points from the lower lip's edge to the jaw is spread out where its points lie
nearer the lip than SPREAD of where a face seen level has them: they move down the face, along the
column, onto skin that shows. A column with a point read above the lip's edge is folded, and
FaceMesh's places for its points are guesses: it is laid at least where a face seen level has them
(FOLDED_SPREAD). What lay hidden stays hidden, and the band under a frame's lip takes the skin
below the photo's lip instead of the lip. Of the bench's 36 photos as taken, 10 have a point moved
and 2 a column folded; of their turned forms, 25 and 13.

The frames' meshes are left as FaceMesh reads them. Spread the same way (at 0.75 of the level
place), a bowed target changed nothing measured: the photo's lip drawn outside the target's,
432 -> 444 px of 1788 (the astronaut onto the social set's bowed `s6-2`), 0 -> 19 (`s6-2` turned
onto `s6-3`).
"""

from __future__ import annotations

import numpy as np

from models.face_topology import CHIN

# Each column runs from a point of the lower lip's outer edge, through the crease under it, to the
# jaw (mediapipe's 468-point mesh: the midline and three columns on each side), with how far down
# the column its points between lie on a face seen level: the medians over the bench's 36 photos as
# taken (wheel faces, held out, press and social), the columns of each side taken together
COLUMNS = (
    ((17, 18, 200, 199, 175, 152), (0.20, 0.42, 0.67, 0.87)),
    ((84, 83, 201, 208, 171, 148), (0.20, 0.42, 0.67, 0.87)),
    ((314, 313, 421, 428, 396, 377), (0.20, 0.42, 0.67, 0.87)),
    ((181, 182, 194, 32, 140, 176), (0.19, 0.38, 0.61, 0.83)),
    ((405, 406, 418, 262, 369, 400), (0.19, 0.38, 0.61, 0.83)),
    ((91, 106, 204, 211, 170, 149), (0.17, 0.35, 0.54, 0.78)),
    ((321, 335, 424, 431, 395, 378), (0.17, 0.35, 0.54, 0.78)),
)
BETWEEN_EYES = 168  # the top of the nose's bridge: with the chin, the face's own down
SPREAD = 0.6  # of the level face's place down its column: the least a point lies below the lip
FOLDED_SPREAD = 1.0  # ... in a column with a point above the lip's edge


def unfold_under_lip(points: np.ndarray) -> np.ndarray:
    """`points` (468+, 2 or 3) with each column under the lower lip spread out (see the module);
    a copy, the points that need no move as they were."""
    out = points.copy()
    down = points[CHIN, :2] - points[BETWEEN_EYES, :2]
    length = float(np.linalg.norm(down))
    if length == 0:
        return out
    down = down / length
    for column, level in COLUMNS:
        along = (points[list(column), :2] - points[column[0], :2]) @ down
        reach = float(along[-1])
        if reach <= 0:  # the jaw above the lip: nothing here to go by
            continue
        # a point read above the lip's edge: the column's places under it are FaceMesh's guesses
        spread = FOLDED_SPREAD if (along[1:-1] <= 0).any() else SPREAD
        for i, share in enumerate(level, start=1):
            least = spread * share * reach
            if along[i] < least:
                out[column[i], :2] = points[column[i], :2] + (least - along[i]) * down
    return out
