"""Prometheus metrics of one server instance (own registry, so tests can run several apps)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import Info as InfoMetric

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self, drop_reasons: Iterable[str], pass_reasons: Iterable[str],
                 transports: Iterable[str]) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.frames = Counter("faceswap_frames", "Frames processed by the engine", registry=r)
        self.swaps = Counter("faceswap_swaps", "Frames with at least one face swapped", registry=r)
        self.errors = Counter("faceswap_errors", "Frames the engine failed on", registry=r)
        self.dropped = Counter(
            "faceswap_dropped_frames", "Frames dropped before processing", ["reason"], registry=r
        )
        self.passed = Counter(
            "faceswap_passed_through_frames", "Frames sent on unswapped", ["reason"], registry=r
        )
        self.rejected = Counter(
            "faceswap_rejected_frames", "Frames refused as bad input", ["transport"], registry=r
        )
        self.processing = Histogram(
            "faceswap_processing_seconds", "Engine time per frame", registry=r,
            buckets=(0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0),
        )
        self.clients = Gauge("faceswap_connected_clients", "Connected clients", ["transport"], registry=r)
        self.webrtc_peers = Gauge("faceswap_webrtc_peers", "WebRTC connections, connected or not yet",
                                  registry=r)
        self.uploads = Counter("faceswap_source_uploads", "Source uploads", ["result"], registry=r)
        self.info = InfoMetric("faceswap_engine", "The engine in use", registry=r)
        self.worker_frames = Counter("faceswap_worker_frames", "Frames processed, per engine worker",
                                     ["worker"], registry=r)
        self.worker_busy = Counter("faceswap_worker_busy_seconds", "Time spent in the engine, per worker "
                                   "(its rate is the worker's utilisation)", ["worker"], registry=r)
        self.worker_cpu = Counter("faceswap_worker_cpu_seconds", "CPU time of the engine's thread and of "
                                  "its detector's and hand models' threads, per worker (OpenCV's helper "
                                  "threads not counted; busy seconds less this is time the engine waited "
                                  "for a core or the GIL, less what those threads computed meanwhile)",
                                  ["worker"], registry=r)
        self.worker_sessions = Gauge("faceswap_worker_sessions", "Sessions pinned to each engine worker",
                                     ["worker"], registry=r)
        self.video_encodes = Counter("faceswap_video_encodes", "Frames encoded for WebRTC receivers, once "
                                     "per channel and codec however many receive them", ["codec"], registry=r)
        # every label present at 0 from the start, so a scraper sees the series before it moves
        for reason in drop_reasons:
            self.dropped.labels(reason)
        for reason in pass_reasons:
            self.passed.labels(reason)
        for transport in transports:
            self.clients.labels(transport)
            self.rejected.labels(transport)

    def frame_done(self, processing_ms: float, swapped: bool, error: bool, worker: int = 0,
                   cpu_ms: float = 0.0) -> None:
        self.frames.inc()
        self.swaps.inc(int(swapped))
        self.errors.inc(int(error))
        self.processing.observe(processing_ms / 1000)
        self.worker_frames.labels(str(worker)).inc()
        self.worker_busy.labels(str(worker)).inc(processing_ms / 1000)
        self.worker_cpu.labels(str(worker)).inc(cpu_ms / 1000)

    def count_clients(self, transport: str, count: Callable[[], int]) -> None:
        self.clients.labels(transport).set_function(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
