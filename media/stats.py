"""Per-session frame statistics: counts, a sliding window of processing times, and fps."""

from __future__ import annotations

import threading
import time
from collections import deque


class SessionStats:
    """Written by the frame worker thread, read by request handlers: guarded by a lock."""

    def __init__(self, window: int = 30, fps_window_s: float = 2.0) -> None:
        self._lock = threading.Lock()
        self.frame_count = 0  # frames processed (swapped or not)
        self.swap_count = 0  # frames with at least one face swapped
        self.error_count = 0  # frames the engine failed on
        self.dropped = 0  # frames replaced by a newer one before processing, or over the rate limit
        self._times: deque[float] = deque(maxlen=window)
        self._latencies: deque[float] = deque(maxlen=window)  # a frame's time inside the server
        self._done_at: deque[float] = deque(maxlen=240)
        self._fps_window_s = fps_window_s

    def record(self, processing_ms: float, swapped: bool, error: bool) -> None:
        with self._lock:
            self.frame_count += 1
            self.swap_count += int(swapped)
            self.error_count += int(error)
            self._times.append(processing_ms)
            self._done_at.append(time.monotonic())

    def record_latency(self, ms: float) -> None:
        with self._lock:
            self._latencies.append(ms)

    @property
    def latency_ms(self) -> float:
        """Median ms from a frame's arrival (decoded) to its swapped copy leaving, last `window` frames."""
        with self._lock:
            values = sorted(self._latencies)
        return values[len(values) // 2] if values else 0.0

    def record_drop(self, n: int = 1) -> None:
        with self._lock:
            self.dropped += n

    @property
    def avg_processing_time(self) -> float:
        """Mean ms over the last `window` frames."""
        with self._lock:
            return sum(self._times) / len(self._times) if self._times else 0.0

    @property
    def fps(self) -> float:
        """Frames completed per second over the last couple of seconds."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._done_at if now - t <= self._fps_window_s]
        if len(recent) < 2:
            return 0.0
        span = max(now - recent[0], 1e-3)
        return len(recent) / span

    def snapshot(self) -> dict[str, float | int]:
        return {
            "frame_count": self.frame_count,
            "swap_count": self.swap_count,
            "error_count": self.error_count,
            "dropped": self.dropped,
            "avg_processing_time": round(self.avg_processing_time, 2),
            "latency_ms": round(self.latency_ms, 2),
            "fps": round(self.fps, 2),
        }
