"""Shared fixtures: real face photos from installed wheels, one real engine, a real server."""

from __future__ import annotations

import os

import numpy as np
import pytest

from testing import faces


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # one of `make test`'s two workers, a core each: OpenCV's own threads would only fight the
        # other worker's for the two cores
        import cv2

        cv2.setNumThreads(1)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """skimage's astronaut, BGR 512x512, one frontal face."""
    return faces.astronaut()


@pytest.fixture(scope="session")
def astronaut_face(astronaut: np.ndarray) -> np.ndarray:
    """The astronaut's face with 0.8 face widths of room on each side: the source photo most tests
    upload. Read-only, as every test shares it: a test that draws on it works on a copy."""
    face = faces.crop_face(astronaut, faces.ASTRONAUT_BOX, 0.8)
    face.flags.writeable = False
    return face


@pytest.fixture(scope="session")
def astronaut_eyes(measure, astronaut_face: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The astronaut's face enlarged twice (her irises 10 px across, her eyes 40), and its 478
    points as the tests' own FaceMesh reads them. Read-only, as every test shares it."""
    import cv2

    face = cv2.resize(astronaut_face, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    face.flags.writeable = False
    return face, measure.with_irises(face)


@pytest.fixture(scope="session")
def t1() -> np.ndarray:
    """insightface's t1.jpg, BGR 1280x886, six people."""
    return faces.t1()


@pytest.fixture(scope="session")
def t1_face(t1: np.ndarray) -> np.ndarray:
    """The man in the centre of t1.jpg, cropped with room around the face."""
    return faces.crop_face(t1, faces.T1_FACE_BOXES["centre"])


@pytest.fixture(scope="session")
def frame(t1_face: np.ndarray) -> np.ndarray:
    """A 640x480 camera frame: the man from the centre of t1.jpg."""
    return faces.place(t1_face, (640, 480), 1.6)


def _opencv_doc(name: str, part: tuple[float, float, float, float], what: str) -> np.ndarray:
    """A photo from Debian's opencv-doc. CI must have it (.ci/run installs opencv-doc); elsewhere the
    test that needs it skips."""
    photo = faces.opencv_doc_photo(name, part)
    if photo is None:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing: .ci/run installs Debian's opencv-doc")
        pytest.skip(f"needs Debian's opencv-doc ({what})")
    return photo


@pytest.fixture(scope="session")
def yale() -> np.ndarray:
    """The Yale face database's woman from Debian's opencv-doc: a tight greyscale crop, her fringe
    down over her brows."""
    return _opencv_doc(*faces.YALE, "the Yale photo")


@pytest.fixture(scope="session")
def smiling_man() -> np.ndarray:
    """A smiling man, his head a little turned, from Debian's opencv-doc (faces.SMILE)."""
    return _opencv_doc(*faces.SMILE, "the photo of a smiling man")


@pytest.fixture(scope="session")
def goatee_man() -> np.ndarray:
    """A man with a goatee, outdoors against green, from Debian's opencv-doc (faces.GOATEE)."""
    return _opencv_doc(*faces.GOATEE, "the photo of a man with a goatee")


@pytest.fixture(scope="session")
def glasses_man() -> np.ndarray:
    """A man with thin metal-rimmed glasses, from Debian's opencv-doc (faces.GLASSES)."""
    return _opencv_doc(*faces.GLASSES, "the photo of a man with glasses")


@pytest.fixture(scope="session")
def lena() -> np.ndarray:
    """A soft photo of a woman in a hat, her face turned and lit from the side, from Debian's
    opencv-doc (the held-out faces' `lena` in bench.quality)."""
    return _opencv_doc("blurred.png", (0, 0, 1, 1), "the soft photo of a woman in a hat")


@pytest.fixture(scope="session")
def mesh_engine():
    from models.mesh_engine import MeshEngine

    engine = MeshEngine()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def measure():
    """A separate mediapipe FaceMesh that tests measure results with (never the engine's own)."""
    from tests.face_checks import FaceMeasure

    m = FaceMeasure()
    yield m
    m.close()


@pytest.fixture(scope="session", autouse=True)
def aiortc_as_in_production():
    """The process-wide aiortc patches server.main() applies, for every test's peers (the server's
    and the clients', which stand in for browsers)."""
    from media import aiortc_patches
    from media.aiortc_patches.bitrate import restore_video_bitrate
    from settings import Settings

    aiortc_patches.apply(Settings().video_bitrate)
    yield
    restore_video_bitrate()


# -- a real server on a real port, sharing the session's engine ------------------------------------
@pytest.fixture
async def serve(aiohttp_server, mesh_engine):
    """Start the real app on 127.0.0.1 with settings overrides; returns the TestServer."""
    from app import create_app
    from settings import Settings

    async def start(engine=None, extra_routes=None, **changes):
        changes.setdefault("db", ":memory:")
        changes.setdefault("clients", "tester:s3cret-value")
        app = create_app(Settings(**changes), engine=engine or mesh_engine)
        if extra_routes is not None:
            extra_routes(app.router)  # pages a browser test needs from the same origin
        return await aiohttp_server(app)

    return start


@pytest.fixture
def started():
    """start() what the test builds (a worker, a pool); stop() it after the test, whatever happens."""
    running: list = []

    def start(thing):
        thing.start()
        running.append(thing)
        return thing

    yield start
    for thing in running:
        thing.stop()
