"""Fakes for what tests cannot or need not run for real: an engine with controllable speed and
failures, an event client that records what it is sent, a clock, and a made-up face mesh."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from media.channels import Transport
from models import face_topology as ft
from models.engine import DetectedFace, SourceFace, SwapResult

FAKE_SOURCE = SourceFace("fake", (0, 0, 1, 1), None)


def spin(seconds: float) -> float:
    """Computes for `seconds` of this thread's CPU clock; the CPU seconds it took."""
    started = time.thread_time()
    while time.thread_time() < started + seconds:
        pass
    return time.thread_time() - started


class FakeStream:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def swap(self, frame: np.ndarray, sources: list[SourceFace], taken_at: float | None = None) -> SwapResult:
        """Takes `delay` seconds asleep, then `work` seconds of CPU, and `beside` seconds of CPU on
        a thread of its own; with a source, inverts the picture's lower half (a visible "swap")."""
        self.engine.threads.add(threading.get_ident())
        self.engine.taken.append(taken_at)
        self.engine.seen.append(int(frame[0, 0, 0]))
        time.sleep(self.engine.delay)
        spin(self.engine.work)
        beside: list[float] = []
        if self.engine.beside:
            helper = threading.Thread(target=lambda: beside.append(spin(self.engine.beside)))
            helper.start()
            helper.join()
        if int(frame[0, 0, 0]) in self.engine.fail_on:
            raise ValueError("model blew up")
        if not sources:
            return SwapResult(frame, 1, 0, "No source face loaded")
        out = frame.copy()
        h, w = frame.shape[:2]
        out[h // 2 :] = 255 - out[h // 2 :]
        return SwapResult(out, 1, 1, regions=[(0, h // 2, w, h)], beside_cpu_ms=1000 * sum(beside))

    def close(self) -> None:
        self.engine.closed_streams += 1


class FakeEngine:
    """The Engine interface without a model: `seen` lists the first pixel of every frame it got."""

    name = "fake"
    provider = "none"
    occlusion = "off"
    model_files: tuple[str, ...] = ()

    def __init__(self, delay: float = 0.0, fail_on: tuple[int, ...] = (), work: float = 0.0,
                 beside: float = 0.0) -> None:
        self.delay = delay
        self.work = work  # CPU seconds a frame, spent computing (the thread's own CPU clock)
        self.beside = beside  # CPU seconds a frame, spent on a thread of the stream's own
        self.fail_on = set(fail_on)
        self.seen: list[int] = []
        self.taken: list[float | None] = []  # each frame's taken_at, as the stream was given it
        self.threads: set[int] = set()
        self.closed_streams = 0
        self.closed = False

    def detect(self, image: np.ndarray, max_faces: int = 10) -> list[DetectedFace]:
        return []

    def prepare_source(self, image: np.ndarray, near: tuple[float, float] | None = None) -> SourceFace:
        return FAKE_SOURCE

    def combine_sources(self, faces: list[SourceFace]) -> SourceFace:
        return faces[0]

    def open_stream(self) -> FakeStream:
        return FakeStream(self)

    def close(self) -> None:
        self.closed = True


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class RecordingClient:
    """An event client (Socket.IO or /ws connection) that records what the server sends it."""

    def __init__(self, client_id: str, transport: Transport = Transport.SOCKETIO,
                 address: str = "192.0.2.1") -> None:
        self.id = client_id
        self.transport = transport
        self.address = address
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.closed = False

    async def emit(self, event: str, data: dict[str, Any]) -> None:
        if self.closed:
            raise ConnectionResetError("closed")
        self.sent.append((event, data))

    async def close(self) -> None:
        self.closed = True

    def events(self, name: str) -> list[dict[str, Any]]:
        return [data for event, data in self.sent if event == name]


def upright_face_mesh(centre: tuple[float, float], size: float) -> np.ndarray:
    """FaceMesh's 468 points of a made-up upright face, all at `centre` but its eyes (one row,
    `size` apart, a third of it above the centre) and its inner lips (two thirds below)."""
    cx, cy = centre
    points = np.full((ft.MESH_POINTS, 2), centre, np.float32)
    points[ft.right_eye()] = (cx - size / 2, cy - size / 3)
    points[ft.left_eye()] = (cx + size / 2, cy - size / 3)
    points[[ft.UPPER_INNER_LIP, ft.LOWER_INNER_LIP]] = (cx, cy + 2 * size / 3)
    return points
