"""A source photo's mesh read as the frames' is (StillMesher.followed; MeshEngine(follow_photo=...),
see docs/mesh-engine.md): real faces of t1.jpg, real mediapipe models. A still FaceMesh places its
region of interest by the detector's box and eyes; the frames' FaceMesh, once it follows a face, by
the landmarks before. On a smiling face, rolled, the two read the lips apart, and a photo swapped
onto frames of itself showed its lower lip twice: the frame's inside the mouth, the photo's below
it. By default ("lips") the photo is read again only where its two readings of the lips differ
by more than LIPS_DIFFER and it is not mirrored; "always" reads every photo again."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench.quality import source_form
from models import denoise
from models import face_topology as ft
from models.mediapipe_faces import FaceFinder, FaceTracker, StillMesher
from models.mesh_engine import FOLLOW_PHOTO, MeshEngine
from models.shape import lip_reading
from testing.faces import ASTRONAUT_BOX, T1_DLIB_BOXES, crop_face, place
from testing.images import grainy
from tests.face_checks import play, save_sheet

pytestmark = pytest.mark.parallel


def rolled(t1: np.ndarray, who: str, degrees: float) -> np.ndarray:
    face = crop_face(t1, T1_DLIB_BOXES[who], 0.8)
    return place(face, (face.shape[1], face.shape[0]), 1.0, degrees)


def in_frame(photo: np.ndarray) -> np.ndarray:
    return place(photo, (640, 480), 300 / photo.shape[0])


@pytest.fixture(scope="module")
def smiling_rolled(t1: np.ndarray) -> np.ndarray:
    """The smiling man right of centre in t1.jpg, rolled 25 degrees."""
    return rolled(t1, "right", 25)


def test_photo_is_read_as_its_frames_are(smiling_rolled: np.ndarray) -> None:
    finder = FaceFinder()
    box = finder.detect(smiling_rolled)[0].box
    still = StillMesher()
    read_still, followed = still.mesh(smiling_rolled, box), still.followed(smiling_rolled, box)
    tracker = FaceTracker(FaceFinder())
    frame = in_frame(smiling_rolled)
    for i in range(6):
        tracked = tracker.update(frame, i / 30)
    tracker.close()
    still.close()
    finder.close()
    assert read_still is not None and followed is not None and len(tracked) == 1
    frames = lip_reading(tracked[0].points)
    # measured: the still reading's lower lip is a quarter thinner than the frames' (0.10 of
    # the height against 0.13)
    assert np.abs(lip_reading(read_still) - frames).sum() > 0.03
    assert np.abs(lip_reading(followed) - frames).sum() < 0.02


@pytest.mark.slow
@pytest.mark.parametrize("who, degrees", [("right", 25), ("centre", -25)])
def test_a_smiling_photo_swapped_onto_its_own_frames_keeps_its_mouth(t1: np.ndarray, measure, who: str,
                                                                     degrees: float) -> None:
    photo = rolled(t1, who, degrees)
    frame = in_frame(photo)
    marks = measure.still.mesh(frame, measure.detector.detect(frame)[0].box)
    assert marks is not None
    # the mouth's corners, the upper lip's outer edge on the midline (FaceMesh's 0) and the lower's
    corners = marks[[*ft.MOUTH_CORNERS, 0, ft.LOWER_LIP_BOTTOM], :2]
    (x0, y0), (x1, y1) = corners.min(0), corners.max(0)
    w = x1 - x0
    # the mouth and, under it, as far down as the lower lip may have been drawn twice
    box = np.round([x0 - 0.1 * w, y0 - 0.1 * w, x1 + 0.1 * w, y1 + 0.4 * w]).astype(int)
    off = {}
    shown = {"frame": frame}
    for follow in (False, True):
        engine = MeshEngine(follow_photo="always" if follow else "off")
        try:
            out = play(engine, [frame] * 6, engine.prepare_source(photo))
        finally:
            engine.close()
        region = (slice(box[1], box[3]), slice(box[0], box[2]))
        off[follow] = float(np.abs(out[region].astype(np.float32) - frame[region]).mean())
        shown["photo read as frames" if follow else "photo read still"] = out
    around = (slice(max(0, box[1] - 120), box[3] + 40), slice(max(0, box[0] - 80), box[2] + 80))
    save_sheet(f"photo-mouth-{who}.png",
               {k: cv2.resize(v[around], None, fx=2, fy=2) for k, v in shown.items()})
    # measured, mean levels off the frame: 6.9 and 21.5 read still, 1.1 and 5.9 read as the
    # frames are
    assert off[True] < 8.0
    assert off[False] > 3 * off[True]


def test_each_photo_is_read_from_its_own_detection_not_the_photo_before(t1: np.ndarray,
                                                                        smiling_rolled: np.ndarray) -> None:
    other = rolled(t1, "centre", -25)
    finder = FaceFinder()
    box, other_box = finder.detect(smiling_rolled)[0].box, finder.detect(other)[0].box
    finder.close()
    fresh, after_another = StillMesher(), StillMesher()
    try:
        alone = fresh.followed(smiling_rolled, box)
        after_another.followed(other, other_box)
        second = after_another.followed(smiling_rolled, box)
    finally:
        fresh.close()
        after_another.close()
    # a video FaceMesh left following the first photo's face would place the second's region by it
    assert alone is not None and second is not None
    assert np.abs(alone[:, :2] - second[:, :2]).max() < 0.5


@pytest.mark.slow
@pytest.mark.parametrize("who, form, read_again", [
    # its two readings of the lips 0.11 apart (still against followed), seen from the front
    ("flash-lit", "turned", True),
    # 0.15 apart, but in profile: mirrored. Read again, the profile's background showed down the
    # swapped chin (tests/test_mesh_quality.py)
    ("turned", "plain", False),
    ("first", "plain", False),  # 0.006 apart
])
def test_by_default_a_photo_is_read_again_only_where_its_lips_are_read_apart(
        t1: np.ndarray, who: str, form: str, read_again: bool) -> None:
    photo = source_form(t1, T1_DLIB_BOXES[who], form)  # as bench.quality makes it
    engine = MeshEngine()
    points = {}
    try:
        assert engine.follow_photo == "lips"
        for mode in FOLLOW_PHOTO:
            engine.follow_photo = mode
            points[mode] = engine.prepare_source(photo).data.points
    finally:
        engine.close()
    # reading again moves the mesh wherever it is done
    assert not np.array_equal(points["always"], points["off"])
    assert np.array_equal(points["lips"], points["always" if read_again else "off"])


@pytest.mark.slow
def test_a_grainy_photo_is_read_as_the_frames_are_once_from_its_cleaned_face(astronaut: np.ndarray,
                                                                            monkeypatch) -> None:
    """Read again from the raw photo and then from the cleaned one, a grainy upload paid for the
    first reading (three FaceMesh passes) and threw it away."""
    engine = MeshEngine()
    real, prepared = engine.still.followed, []

    def counted(bgr, box, prepare=None, **kw):
        prepared.append(prepare)
        return real(bgr, box, prepare, **kw)

    monkeypatch.setattr(engine.still, "followed", counted)
    try:
        source = engine.prepare_source(grainy(crop_face(astronaut, ASTRONAUT_BOX, 0.8), 16))
    finally:
        engine.close()
    assert any("grainy" in note for note in source.notes), "the photo was not read as grainy"
    assert prepared == [denoise.cleaned]
