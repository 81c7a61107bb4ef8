"""Shared fixtures: real face photos that ship inside installed wheels."""

from __future__ import annotations

import os

import cv2
import insightface
import numpy as np
import pytest
from skimage import data

T1_PATH = os.path.join(os.path.dirname(insightface.__file__), "data", "images", "t1.jpg")
# Three faces of t1.jpg (1280x886) that mediapipe's full-range detector finds, as (x1, y1, x2, y2).
T1_FACE_BOXES = {"left": (63, 290, 161, 388), "centre": (457, 293, 572, 409), "right": (728, 364, 836, 472)}


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """skimage's astronaut, BGR 512x512, one frontal face."""
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="session")
def t1() -> np.ndarray:
    """insightface's t1.jpg, BGR 1280x886, six people."""
    img = cv2.imread(T1_PATH)
    assert img is not None, T1_PATH
    return img


def crop_face(image: np.ndarray, box: tuple[int, int, int, int], pad: float = 1.2) -> np.ndarray:
    x1, y1, x2, y2 = box
    cx, cy, side = (x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, y2 - y1) * (1 + 2 * pad)
    h, w = image.shape[:2]
    a, b = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
    return image[b : min(h, int(cy + side / 2)), a : min(w, int(cx + side / 2))].copy()


@pytest.fixture(scope="session")
def t1_face(t1: np.ndarray) -> np.ndarray:
    """The man in the centre of t1.jpg, cropped with room around the face."""
    return crop_face(t1, T1_FACE_BOXES["centre"])


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


def swap_once(engine, frame: np.ndarray, sources: list) -> object:
    """One frame through a fresh stream of `engine`."""
    stream = engine.open_stream()
    try:
        return stream.swap(frame, sources)
    finally:
        stream.close()


def place(image: np.ndarray, size: tuple[int, int], scale: float = 1.0, angle: float = 0.0,
          centre: tuple[float, float] | None = None) -> np.ndarray:
    """`image` rotated by `angle` degrees and scaled, centred in a grey frame of `size` (w, h)."""
    w, h = size
    ih, iw = image.shape[:2]
    cx, cy = centre if centre is not None else (w / 2, h / 2)
    m = cv2.getRotationMatrix2D((iw / 2, ih / 2), angle, scale)
    m[0, 2] += cx - iw / 2
    m[1, 2] += cy - ih / 2
    return cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=(128, 128, 128))


# -- a real server on a real port, sharing the session's engine ------------------------------------
@pytest.fixture
async def serve(aiohttp_server, mesh_engine):
    """Start the real app on 127.0.0.1 with settings overrides; returns the TestServer."""
    from server import create_app
    from settings import Settings

    async def start(**changes):
        changes.setdefault("db", ":memory:")
        app = create_app(Settings(**changes), engine=mesh_engine)
        return await aiohttp_server(app)

    return start
