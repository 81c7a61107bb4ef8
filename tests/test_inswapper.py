"""The inswapper engine's wiring, with stand-in ONNX models (tests/standin_models.py).

The real insightface weights are not redistributable and cannot be downloaded here, so every test
in this file proves wiring (alignment, identity latent, paste-back geometry, providers, selection,
errors), not the quality of a swap. Alignment uses mediapipe's landmarks (no SCRFD file).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from insightface.app.common import Face
from insightface.utils import face_align

from bench.edge import leaving
from models import face_topology as ft
from models.engine import SourceFace
from models.inswapper_engine import InswapperEngine, choose_providers, identity_latent
from models.orientation import turn, turn_box
from models.paste_back import aligned_template
from models.select import EngineUnavailable, load_engine, resolve
from models.upright_frames import UprightFrames
from models.weights import InswapperFiles
from testing.faces import T1_DLIB_BOXES, place
from testing.standin_models import weights_dir
from tests.face_checks import swap_once

pytestmark = pytest.mark.slow

GREEN_BGR = np.array([0, 255, 0])


@pytest.fixture(scope="module")
def green_dir(tmp_path_factory):
    return weights_dir(str(tmp_path_factory.mktemp("w_green")), "constant", (0.0, 1.0, 0.0))


@pytest.fixture(scope="module")
def engine(green_dir):
    e = InswapperEngine(InswapperFiles.find(green_dir), color_correction=False)
    yield e
    e.close()


@pytest.fixture(scope="module")
def frame(t1_face):
    return place(t1_face, (640, 480), 1.6)


def test_five_mediapipe_points_align_to_the_arcface_template(engine, astronaut, t1_face):
    """Eyes, nose and mouth corners in the right order: the similarity fit leaves small residuals."""
    for image, angle in ((astronaut, 0.0), (place(t1_face, (640, 480), 1.4, 20.0), 20.0)):
        dets = engine.detect(image)
        assert dets, angle
        pts = engine.still.mesh(image, dets[0].box)
        kps = ft.keypoints5(pts)
        matrix = face_align.estimate_norm(kps, 128)
        mapped = np.c_[kps, np.ones(5)] @ matrix.T
        residual = np.linalg.norm(mapped - aligned_template(128), axis=1)
        # proportions differ from the template by a few px and a turned head moves the nose;
        # a swapped pair of points would be about 20 px off
        assert residual.max() < 14, (angle, residual)
        (le, re, nose, lm, rm) = mapped
        assert le[0] < nose[0] < re[0] and lm[0] < rm[0] and max(le[1], re[1]) < nose[1] < min(lm[1], rm[1])


def test_identity_latent_is_the_emap_product_renormalised(engine, astronaut):
    source = engine.prepare_source(astronaut)
    emb = source.data.embedding
    assert abs(np.linalg.norm(emb) - 1) < 1e-5
    expected = emb.reshape(1, -1) @ engine.swapper.emap
    expected /= np.linalg.norm(expected)
    assert np.allclose(source.data.latent, expected, atol=1e-5)
    assert np.allclose(identity_latent(emb, engine.swapper.emap), expected, atol=1e-5)


def test_photos_of_one_person_combine_to_their_mean_identity(engine, astronaut, t1_face):
    a, b = engine.prepare_source(astronaut), engine.prepare_source(t1_face)
    both = engine.combine_sources([a, b])
    mean = a.data.embedding + b.data.embedding
    assert np.allclose(both.data.embedding, mean / np.linalg.norm(mean), atol=1e-5)
    assert np.allclose(both.data.latent, identity_latent(both.data.embedding, engine.swapper.emap), atol=1e-5)
    assert engine.combine_sources([a]) is a


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_photo_on_its_side_or_upside_down_gives_the_identity_it_has_upright(engine, astronaut, degrees):
    """Upside down, the face was aligned for ArcFace on its features read in the wrong places; it is
    read turned the right way up, as the mesh engine reads it (models/orientation.py). With
    stand-in models the identity is whatever they compute from the aligned face: the same crop
    gives the same identity, another crop another."""
    upright = engine.prepare_source(astronaut)
    photo = turn(astronaut, degrees)
    turned = engine.prepare_source(photo)
    assert np.allclose(turned.data.embedding, upright.data.embedding, atol=1e-5)
    h, w = astronaut.shape[:2]
    assert np.allclose(turned.box, turn_box(upright.box, degrees, w, h), atol=0.01 * w)
    found = engine.detect(photo)
    assert len(found) == 1 and np.allclose(found[0].box, turned.box, atol=0.01 * w)
    if degrees == 180:  # aligned as it came, the face gives another identity
        (_, kps), = engine._still_faces(photo, 1)
        as_it_came = engine.identity.get(photo, Face(kps=kps))
        assert not np.allclose(as_it_came / np.linalg.norm(as_it_came), upright.data.embedding, atol=1e-3)


def test_the_swapper_receives_the_sources_latent(tmp_path, astronaut, frame):
    """A stand-in whose output colour is sigmoid(20 * latent[:3]) shows which latent reached it."""
    e = InswapperEngine(InswapperFiles.find(weights_dir(str(tmp_path), "latent")), color_correction=False)
    try:
        source = e.prepare_source(astronaut)
        result = swap_once(e, frame, [source])
        rgb = 255 / (1 + np.exp(-20 * source.data.latent[0, :3]))
        box = result.assigned[0][0]
        cx, cy = int((box[0] + box[2]) / 2), int((box[1] + box[3]) / 2)
        got = result.image[cy - 3 : cy + 3, cx - 3 : cx + 3].reshape(-1, 3).mean(0)
        assert np.allclose(got, rgb[::-1], atol=3), (got, rgb[::-1])
    finally:
        e.close()


def test_constant_face_lands_in_the_face_region_and_nowhere_else(engine, astronaut, frame):
    result = swap_once(engine, frame, [engine.prepare_source(astronaut)])
    assert result.faces_swapped == 1
    changed = np.abs(result.image.astype(int) - frame.astype(int)).max(axis=2) > 0
    ys, xs = np.nonzero(changed)
    det = engine.detect(frame)[0].box
    fx0, fy0, fx1, fy1 = det
    face_w = fx1 - fx0
    # everything that changed lies within a face-sized margin of the detected face ...
    assert xs.min() > fx0 - 0.6 * face_w and xs.max() < fx1 + 0.6 * face_w
    assert ys.min() > fy0 - 0.6 * face_w and ys.max() < fy1 + 0.6 * face_w
    # ... and the middle of the face is the swapper's colour, exactly
    cx, cy = int((fx0 + fx1) / 2), int((fy0 + fy1) / 2)
    core = result.image[cy - 10 : cy + 10, cx - 10 : cx + 10].reshape(-1, 3)
    assert np.abs(core - GREEN_BGR).max() <= 2
    # the changed area is about a face, not a frame, and inside the region the engine reports
    assert 0.3 * face_w**2 < changed.sum() < 3 * face_w**2
    for x0, y0, x1, y1 in result.regions:
        changed[y0:y1, x0:x1] = False
    assert not changed.any(), "pixels changed outside the reported regions"


def test_mouth_mask_keeps_the_targets_mouth(green_dir, astronaut, frame):
    e = InswapperEngine(InswapperFiles.find(green_dir), color_correction=False, keep_mouth=True)
    try:
        result = swap_once(e, frame, [e.prepare_source(astronaut)])
        det = e.detect(frame)[0]
        mx, my = (int(v) for v in det.keypoints[3])  # mouth centre
        lx, ly = (int(v) for v in det.keypoints[0])  # an eye: swapped
    finally:
        e.close()
    around = (slice(my - 2, my + 3), slice(mx - 4, mx + 5))
    mouth = np.abs(result.image[around].astype(int) - frame[around])
    assert mouth.mean() < 8, "the mouth was painted over"
    cheek = result.image[ly + 12, lx]
    assert np.abs(cheek.astype(int) - GREEN_BGR).max() < 40, cheek


def test_providers_prefer_cuda_and_report_what_actually_runs(engine):
    """The rule, on any machine: CUDA first when this onnxruntime has it, CPU always last; and the
    engine reports what onnxruntime actually runs (CPU when CUDA is listed but cannot load)."""
    import onnxruntime as ort

    cuda = [p for p in ("CUDAExecutionProvider",) if p in ort.get_available_providers()]
    asked = choose_providers(force_cpu=False)
    assert asked == [*cuda, "CPUExecutionProvider"]
    assert choose_providers(force_cpu=True) == ["CPUExecutionProvider"]
    assert engine.provider == engine.swapper.session.get_providers()[0]
    assert engine.provider in asked


def test_auto_picks_inswapper_only_when_its_files_are_present(tmp_path, green_dir):
    assert resolve("auto", str(tmp_path)) == "mesh"
    assert resolve("auto", green_dir) == "inswapper"
    with pytest.raises(EngineUnavailable, match=r"inswapper_128\.onnx"):
        load_engine("inswapper", weights_dir=str(tmp_path))


def test_a_corrupt_or_wrong_model_file_is_refused_with_its_name(tmp_path, green_dir):
    broken = tmp_path / "broken"
    shutil.copytree(green_dir, broken)
    (broken / "inswapper_128.onnx").write_bytes(b"this is not an onnx file")
    with pytest.raises(EngineUnavailable, match=r"inswapper_128\.onnx cannot be loaded"):
        load_engine("inswapper", weights_dir=str(broken))
    wrong = tmp_path / "wrong"
    shutil.copytree(green_dir, wrong)
    shutil.copy(wrong / "buffalo_l" / "w600k_r50.onnx", wrong / "inswapper_128.onnx")
    with pytest.raises(EngineUnavailable, match="wrong inputs or outputs"):
        load_engine("inswapper", weights_dir=str(wrong))


async def test_server_on_auto_runs_inswapper_and_says_so(aiohttp_server, engine, green_dir, astronaut, frame):
    from app import create_app
    from settings import Settings
    from testing.clients import WsUser, base_of, get_json, upload
    from testing.images import data_url, from_data_url, jpeg

    server = await aiohttp_server(create_app(Settings(engine="auto", weights_dir=green_dir, db=":memory:",
                                                      occlusion="auto")))
    base = base_of(server)
    status = await get_json(base, "/status")
    assert (status["engine"], status["models_loaded"], status["occlusion"]) == ("inswapper", True, "auto")
    assert status["shape_fit"] is None  # the mesh engine's option
    assert status["provider"] in choose_providers(force_cpu=False)
    assert (await upload(base, jpeg(astronaut)))[0] == 200
    user = await WsUser().connect(base)
    try:
        answer = await user.roundtrip(data_url(frame))
    finally:
        await user.close()
    assert answer["success"] is True, answer
    out = from_data_url(answer["processed"])
    # the server corrects colour into the target's skin tone: the stand-in's flat face arrives as
    # a flat patch of that tone where the eyes and nose were
    x1, y1, x2, y2 = (int(v) for v in engine.detect(frame)[0].box)
    inner = (slice(y1 + (y2 - y1) // 4, y2 - (y2 - y1) // 4), slice(x1 + (x2 - x1) // 4, x2 - (x2 - x1) // 4))
    texture_out, texture_in = (img[inner].reshape(-1, 3).std(0).max() for img in (out, frame))
    assert texture_out < 0.25 * texture_in, (texture_out, texture_in)
    corner = np.abs(out[:40, :40].astype(int) - frame[:40, :40].astype(int)).mean()
    assert corner < 3, "the background changed"


def test_scrfd_path_keeps_each_persons_source_when_detection_order_changes():
    """With SCRFD the detector runs every frame and lists faces by score: the order it gives must not
    decide who gets which source. (A stub engine stands in for SCRFD and the swapper.)"""
    from models.inswapper_engine import InswapperStream

    left, right = (100.0, 100.0, 200.0, 220.0), (400.0, 100.0, 500.0, 220.0)

    class StubEngine:
        mp_faces = None
        max_faces = 4
        detect_interval = 10
        occlusion = "off"

        def __init__(self) -> None:
            self.order = [left, right]

        def scrfd_faces(self, frame):
            return [(box, np.zeros((5, 2), np.float32)) for box in self.order]

        def swap_face(self, out, kps, source, timings, occluded=None):
            return (0, 0, 8, 8)

    engine = StubEngine()
    stream = InswapperStream(engine)
    frame = np.zeros((480, 640, 3), np.uint8)
    sources = [SourceFace("inswapper", (0, 0, 1, 1), "A"), SourceFace("inswapper", (0, 0, 1, 1), "B")]
    first = dict(stream.swap(frame, sources).assigned)
    engine.order = [right, left]  # the right face now scores higher
    second = dict(stream.swap(frame, sources).assigned)
    assert first == second == {left: 0, right: 1}


def _swapped_frames(engine, frames, source, turn_frames: bool = True) -> list:
    stream = engine.open_stream()
    if not turn_frames:
        stream.upright = UprightFrames(stream.tracker, None)  # never turns
    try:
        return [stream.swap(f, [source]) for f in frames]
    finally:
        stream.close()


def test_a_camera_upside_down_gets_the_swap_it_gets_the_right_way_up(engine, astronaut, frame):
    """Upside down, mediapipe misreads the face (the eyes on the mouth) and the swapper's face was
    pasted on features in the wrong places; the frames are turned the right way up, as the mesh
    engine's are (models/upright_frames.py)."""
    source = engine.prepare_source(astronaut)
    upright = _swapped_frames(engine, [frame] * 3, source)[-1]
    turned = _swapped_frames(engine, [turn(frame, 180)] * 3, source)
    assert [r.faces_swapped for r in turned] == [1] * 3
    changed = np.abs(upright.image.astype(int) - frame.astype(int)).max(axis=2) > 0
    back = turn(turned[-1].image, 180)
    # measured: 0.2 levels apart over what the swap changed; read as it came, 46.2
    assert np.abs(back.astype(int) - upright.image.astype(int))[changed].mean() < 2
    as_it_came = _swapped_frames(engine, [turn(frame, 180)] * 3, source, turn_frames=False)[-1]
    assert np.abs(turn(as_it_came.image, 180).astype(int) - upright.image.astype(int))[changed].mean() > 10


def test_a_face_leaving_the_frame_stays_swapped_on_the_mediapipe_path(engine, astronaut, t1):
    """The tracker follows a face two thirds out of the frame by its motion (models/edge_hold.py);
    the swapper's face is pasted on the part in view, as it is for the mesh engine."""
    _, _, width, path, frames = leaving(t1, T1_DLIB_BOXES["first"], 0.7)
    results = _swapped_frames(engine, frames, engine.prepare_source(astronaut))
    assert [r.faces_swapped for r in results] == [1] * len(frames)
    for (x, _), result in zip(path, results, strict=True):
        green = (np.abs(result.image.astype(int) - GREEN_BGR).max(axis=2) < 60).sum()
        # the face's part in view, at 35% of the frame's height: 7342-20663 px measured
        assert green > 0.1 * width * width * (1 - max(0.0, (width / 2 - x) / width)), x
