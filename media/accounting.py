"""Where every frame's fate is counted: per session, in total, and in Prometheus.

The worker reports frames the engine processed; the swap track, the worker and the Face Swap Live
events report frames dropped before the engine, each with a `DropReason`; the frame path reports
frames sent on unswapped with a `PassReason`. Nothing else counts frames.
"""

from __future__ import annotations

import threading
from enum import Enum

from media.stats import SessionStats
from metrics import Metrics


class DropReason(Enum):
    """Why a frame never reached the engine (and no answer or output came of it)."""

    SUPERSEDED = "superseded"  # a newer frame of the same publisher took its place
    RATE_LIMIT = "rate_limit"  # over --max-fps (fallback path)
    BUSY = "busy"  # too many frames of one user already decoding or waiting (fallback path)


class PassReason(Enum):
    """Why a frame went on unswapped (the original picture is shown or answered)."""

    NO_SOURCE = "no_source"
    NO_FACE = "no_face"
    BAD_FRAME = "bad_frame"  # empty or too small for the engine
    REJECTED = "rejected"  # not an acceptable image (fallback path)
    ENGINE_ERROR = "engine_error"


class Accounting:
    """Thread-safe: the worker thread reports processed frames, the event loop everything else."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self.metrics = metrics
        self.totals = SessionStats()  # all sessions together, for /status
        self._sessions: dict[str, SessionStats] = {}
        self._lock = threading.Lock()

    def session(self, session_id: str) -> SessionStats:
        with self._lock:
            return self._sessions.setdefault(session_id, SessionStats())

    def find(self, session_id: str) -> SessionStats | None:
        """A session's figures if it has any (never creates one)."""
        with self._lock:
            return self._sessions.get(session_id)

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def processed(self, session_id: str, ms: float, swapped: bool, error: bool, worker: int = 0,
                  cpu_ms: float = 0.0) -> None:
        for stats in (self.session(session_id), self.totals):
            stats.record(ms, swapped=swapped, error=error)
        if self.metrics is not None:
            self.metrics.frame_done(ms, swapped, error, worker, cpu_ms)

    def dropped(self, session_id: str, reason: DropReason) -> None:
        self.session(session_id).record_drop()
        self.totals.record_drop()
        if self.metrics is not None:
            self.metrics.dropped.labels(reason.value).inc()

    def encoded(self, codec: str) -> None:
        """A shared encoder encoded a frame (once for all of its viewers)."""
        if self.metrics is not None:
            self.metrics.video_encodes.labels(codec).inc()

    def passed(self, reason: PassReason, transport: str | None = None) -> None:
        if self.metrics is None:
            return
        self.metrics.passed.labels(reason.value).inc()
        if reason is PassReason.REJECTED and transport is not None:
            self.metrics.rejected.labels(transport).inc()
