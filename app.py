"""The composition root: `create_app(settings)` builds every collaborator once and hands each route
module only what it needs. `server.py` runs it; tests and benchmarks build it directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import os
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from media.accounting import Accounting, DropReason, PassReason
from media.channels import DEFAULT_CHANNEL, SingleUser, Transport
from media.engine_host import EngineHost
from media.engine_process import ProcessEngine
from media.sessions import SessionPolicy, Sessions
from media.swap_track import FaceSwapTrack
from metrics import Metrics
from models.engine import Engine
from models.select import load_engine, resolve
from settings import Settings
from signaling import site
from signaling.face_swap_live import socketio_transport, ws_transport
from signaling.face_swap_live.events import FaceSwapLiveEvents, FrameLimits
from signaling.face_swap_live.routes import FaceSwapLiveRoutes, UploadLimits
from signaling.live_face_swap_api import routes as live_routes
from signaling.live_face_swap_api.auth import ApiAuth, parse_clients
from signaling.live_face_swap_api.fetch import SafeFetcher
from signaling.live_face_swap_api.routes import ImageLimits, LiveApiRoutes
from signaling.live_face_swap_api.sessions import LiveLimits, LiveSessions
from signaling.live_face_swap_api.store import SQLiteStore
from signaling.webrtc import endpoints
from signaling.webrtc.connect import RtcConnector, RtcSettings, TrackFactory
from signaling.webrtc.peers import PeerLimits, PeerRegistry

log = logging.getLogger("faceswap")

PEERS = web.AppKey("peers", PeerRegistry)  # the app's WebRTC connections, for diagnostics and tests

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SHUTTING_DOWN = "The server is shutting down"


ERROR_SHAPES = (live_routes.error_shape, endpoints.error_shape)


def error_response(path: str, status: int, message: str) -> web.Response:
    """An HTTP error in the shape of the dialect that owns `path` (Face Swap Live's by default)."""
    for shape in ERROR_SHAPES:
        answer = shape(path)
        if answer is not None:
            return answer(status, message)
    return web.json_response({"success": False, "message": message}, status=status)


def long_lived(request: web.Request) -> bool:
    """Connections that last as long as a user stays: WebSockets, and Socket.IO's WebSocket upgrades
    and long-poll GETs (its POSTs are ordinary requests)."""
    return request.path == "/ws" or (request.path.startswith("/socket.io/") and request.method == "GET")


def request_deadline(timeout: float) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """No request holds the server longer than `timeout`: a body sent a byte at a time, a client that
    never finishes, is answered 408 and its connection closed."""

    @web.middleware
    async def deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        if long_lived(request):
            return await handler(request)
        try:
            async with asyncio.timeout(timeout):
                return await handler(request)
        except TimeoutError:
            log.info("%s %s from %s took longer than %g s: answered 408", request.method, request.path,
                     request.remote, timeout)
            response = error_response(request.path, 408, f"The request took longer than {timeout:g} s")
            response.force_close()
            return response

    return deadline


@web.middleware
async def dialect_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as each dialect answers them, with a reason; never an HTML page or a stack trace."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        return error_response(request.path, exc.status, exc.reason)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(request.path, 500, "Internal server error")


def reap_period(*timeouts: float) -> float:
    """How often timeouts are checked: a quarter of the shortest, so one is acted on at most 25 %
    late, but no more often than every 50 ms (tests use tiny timeouts) and at least every 5 s."""
    return min(max(min(timeouts) / 4, 0.05), 5.0)


def configured_clients(settings: Settings) -> list[tuple[str, str]]:
    """The API clients from --clients and --clients-file (OSError if the file cannot be read)."""
    text = settings.clients
    if settings.clients_file:
        with open(settings.clients_file, encoding="utf-8") as f:
            text += "," + f.read()
    return parse_clients(text)


def worker_count(settings: Settings) -> int:
    """--workers, or with 0 the automatic choice: a mesh engine per core this process may use (the
    engine is CPU work); one inswapper engine, since one GPU runs one model at a time."""
    if settings.workers:
        return settings.workers
    if resolve(settings.engine, settings.weights_dir) == "inswapper":
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def create_app(settings: Settings, engine: Engine | None = None,
               track_factory: TrackFactory = FaceSwapTrack,
               engine_loader: Callable[[], Engine] | None = None) -> web.Application:
    """The whole server as an aiohttp app. Pass `engine` to share an already loaded one (tests; one
    worker); `track_factory` wraps each published WebRTC camera (bench.webrtc compares others);
    `engine_loader` builds each worker's engine instead of the settings' choice."""
    started = time.monotonic()
    metrics = Metrics([r.value for r in DropReason], [r.value for r in PassReason],
                      [t.value for t in Transport])
    accounting = Accounting(metrics)

    build = functools.partial(load_engine, settings.engine, settings.max_faces, settings.weights_dir,
                              settings.provider == "cpu", bool(settings.mouth_mask), settings.occlusion,
                              settings.shape_fit == "depth")

    def load() -> Engine:
        return ProcessEngine(build) if settings.engine_processes else build()

    host = EngineHost(accounting, engine_loader or load, worker_count(settings), shared=engine)
    # Live frames (WebRTC conversions, fallback decode/encode) and uploads (up to 40 MP decodes) get
    # separate threads, so a large upload never holds up a stream.
    frame_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="frames")
    upload_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uploads")

    policy = SessionPolicy(SingleUser(settings.single_user), settings.idle_timeout, settings.session_timeout,
                           settings.media_timeout, connects_per_10s=settings.connect_rate,
                           takeover_grace=settings.takeover_grace)
    sessions = Sessions(policy)
    peers = PeerRegistry(PeerLimits(settings.max_peers, settings.max_peers_per_address,
                                    min(3, settings.max_peers_per_address)), settings.connect_timeout)
    store = SQLiteStore(settings.db)
    fetcher = SafeFetcher(settings.fetch_allow_list, settings.max_upload_bytes, settings.fetch_timeout)
    auth = ApiAuth(store, settings.token_ttl, settings.api_rate)
    live = LiveSessions(sessions, host, store, fetcher, LiveLimits(
        settings.api_session_ttl, settings.api_max_sessions, settings.api_sessions_per_client,
        settings.max_upload_bytes, settings.max_upload_pixels), upload_pool)
    events = FaceSwapLiveEvents(sessions, host, accounting, FrameLimits(
        settings.max_fps, settings.max_message_bytes, settings.max_frame_pixels, settings.jpeg_quality),
        frame_pool)
    connector = RtcConnector(sessions, peers, host, accounting, frame_pool,
                             RtcSettings(settings.video_codec, settings.stream_token, settings.stun_urls,
                                         bool(settings.shared_encoding)),
                             track_factory)
    for transport in Transport:
        metrics.count_clients(transport.value, lambda t=transport: sessions.count(t))
    metrics.webrtc_peers.set_function(lambda: len(peers))

    def extra_status() -> dict[str, Any]:
        return {
            "uptime_s": round(time.monotonic() - started, 1),
            "sessions": sessions.count(),
            "active_user": sessions.publishing(DEFAULT_CHANNEL),
            "max_fps": settings.max_fps,
            "webrtc_peers": len(peers),
            "channels_live": sessions.live_channels(),
            "live_sessions": live.count(),
            "workers": host.pool.status(),
            "video_encoders": connector.encoders_status(),
        }

    # lingering_time: after answering a request whose body was not read to its end (a 408, a 413),
    # aiohttp reads and discards the rest for this long before closing (its default is 10 s)
    app = web.Application(client_max_size=settings.max_request_bytes,
                          middlewares=[dialect_errors, request_deadline(settings.request_timeout)],
                          handler_args={"lingering_time": 2.0})
    app[PEERS] = peers
    site.add_routes(app, metrics)
    FaceSwapLiveRoutes(UploadLimits(settings.max_request_bytes, settings.max_upload_bytes,
                                    settings.max_upload_pixels),
                       host, sessions, accounting, metrics, upload_pool, extra_status).add_routes(app)
    ws_transport.attach(app, events, settings.max_message_bytes)
    sio = socketio_transport.attach(app, events, settings.max_message_bytes, settings.cors_origin_list)
    endpoints.add_routes(app, connector, peers)
    LiveApiRoutes(auth, live, fetcher, host, ImageLimits(
        settings.max_upload_bytes, settings.max_upload_pixels, settings.api_images_per_client),
        upload_pool).add_routes(app)

    reaper: list[asyncio.Task[None]] = []

    async def reap_forever() -> None:
        period = reap_period(settings.idle_timeout, settings.session_timeout, settings.media_timeout,
                             settings.api_session_ttl)
        while True:
            await asyncio.sleep(period)
            try:
                await sessions.reap()
                await live.reap()
            except Exception:
                log.exception("timeout clean-up failed")
            if peers.closed_since_collect:
                # A closed aiortc connection leaves reference cycles that hold FFmpeg codec contexts,
                # each with its own threads and buffers; the server allocates too few Python objects
                # for the collector to reach them soon (bench.soak: +27 threads and +120 MB over 300
                # connections). A full collection after connections close frees them (~10 ms).
                peers.closed_since_collect = 0
                gc.collect()

    async def start(app: web.Application) -> None:
        loaded = await host.start()
        metrics.info.info({"engine": loaded.name, "provider": loaded.provider})
        pool = host.pool
        for worker in pool.workers:
            metrics.worker_sessions.labels(str(worker.index)).set_function(
                lambda w=worker: pool.sessions_on(w))
        auth.start(configured_clients(settings))
        await live.start()
        reaper.append(asyncio.get_running_loop().create_task(reap_forever(), name="reaper"))
        # Everything loaded so far (modules, the engine and its models) lives as long as the server:
        # out of the collector's sight, a full collection scans only what serving allocates. With
        # it in sight, each one held the event loop, and so every stream, for 40-110 ms at start-up
        # (200,000 objects) and 124-274 ms in the test suite's process; frozen, none took over 15 ms.
        # Collected first: garbage frozen is never freed (frozen without it, the memory test's
        # server settled 85 MB higher after each round of big uploads; collected first, it did not)
        gc.collect()
        gc.freeze()
        shape_fit = getattr(loaded, "shape_fit", None)  # the mesh engine's alone
        log.info("engine %s on %s (requested %s), %d worker(s)%s, occlusion %s%s; model files: %s",
                 loaded.name, loaded.provider, settings.engine, len(pool.workers),
                 ", each engine in a process of its own" if isinstance(loaded, ProcessEngine) else "",
                 loaded.occlusion, f", shape fit {shape_fit}" if shape_fit else "",
                 ", ".join(loaded.model_files) or "none")

    async def shutdown(app: web.Application) -> None:
        log.info("shutting down: closing %d connection(s)", sessions.count())
        for task in reaper:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await auth.stop()
        await live.stop()
        await sessions.close_all(SHUTTING_DOWN)
        await peers.close_all()  # any not yet in a channel
        await sio.shutdown()

    async def cleanup(app: web.Application) -> None:
        await host.stop()
        frame_pool.shutdown(wait=True)
        upload_pool.shutdown(wait=True)
        await store.close()

    app.on_startup.append(start)
    app.on_shutdown.append(shutdown)
    app.on_cleanup.append(cleanup)
    return app
