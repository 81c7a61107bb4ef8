"""Entry point: `python server.py [flags]` or `make run`; tests build the app with `create_app(settings)`."""

from __future__ import annotations

import asyncio
import logging
import ssl
import sys
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from media import jitter
from media.bitrate import configure_video_bitrate
from models.engine import Engine
from models.select import EngineUnavailable, load_engine
from settings import Settings, parse_settings
from signaling import http_api, live_api, socketio_transport, webrtc, ws_transport
from signaling.api_auth import ApiAuth, parse_clients
from signaling.context import CTX, Context
from signaling.fallback import FallbackHub
from signaling.live_sessions import LiveSessions
from signaling.safe_fetch import SafeFetcher
from signaling.store import SQLiteStore

log = logging.getLogger("faceswap")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as JSON with a reason, never an HTML page or a stack trace."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        return web.json_response({"success": False, "message": exc.reason}, status=exc.status)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return web.json_response({"success": False, "message": "Internal server error"}, status=500)


def create_app(settings: Settings, engine: Engine | None = None) -> web.Application:
    """The whole server as an aiohttp app. Pass `engine` to share an already loaded one (tests)."""
    ctx = Context(settings, engine)
    app = web.Application(client_max_size=settings.max_request_bytes, middlewares=[json_errors])
    app[CTX] = ctx
    hub = ctx.hub = FallbackHub(ctx)
    http_api.add_routes(app)
    ws_transport.attach(app, hub)
    sio = socketio_transport.attach(app, hub)
    webrtc.add_routes(app)
    store = SQLiteStore(settings.db)
    fetcher = SafeFetcher(settings.fetch_allow, settings.max_upload_bytes, settings.fetch_timeout)
    auth = ApiAuth(store, settings.token_ttl, settings.api_rate)
    sessions = LiveSessions(ctx, store, fetcher)
    ctx.live_sessions = sessions.count
    live_api.add_routes(app, live_api.LiveApi(auth, sessions, fetcher))

    async def start(app: web.Application) -> None:
        loaded = engine
        if loaded is None:
            loaded = await asyncio.get_running_loop().run_in_executor(
                None, lambda: load_engine(settings.engine, settings.max_faces, settings.weights_dir,
                                          settings.provider == "cpu", bool(settings.mouth_mask)))
        created = await auth.ensure_clients(configured_clients(settings))
        if created:
            # printed once, at the first start with no clients anywhere; only its hash is stored
            log.warning("created the Live Face Swap API client: clientId=%s clientSecret=%s "
                        "(shown once; keep it)", *created)
        await sessions.start()
        ctx.start_worker(loaded)
        configure_video_bitrate(settings.video_bitrate)
        jitter.install()
        hub.start()
        log.info(
            "engine %s on %s (requested %s); model files: %s", loaded.name, loaded.provider,
            settings.engine, ", ".join(loaded.model_files) or "none",
        )

    async def shutdown(app: web.Application) -> None:
        log.info("shutting down: closing %d socket and %d WebRTC connection(s)", hub.count(), len(ctx.peers))
        await sessions.stop()
        await ctx.peers.close_all()
        await hub.stop()
        await sio.shutdown()

    async def cleanup(app: web.Application) -> None:
        if ctx.models_loaded:
            await asyncio.get_running_loop().run_in_executor(None, ctx.worker.stop)
        ctx.codec_pool.shutdown(wait=True)
        await store.close()

    app.on_startup.append(start)
    app.on_shutdown.append(shutdown)
    app.on_cleanup.append(cleanup)
    return app


def configured_clients(settings: Settings) -> list[tuple[str, str]]:
    text = settings.clients
    if settings.clients_file:
        with open(settings.clients_file, encoding="utf-8") as f:
            text += "," + f.read()
    return parse_clients(text)


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.ssl_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.ssl_cert, settings.ssl_key)
    return context


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_settings(argv)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("aiohttp.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        app = create_app(settings)

        async def announce(app: web.Application) -> None:
            scheme = "https" if settings.ssl_cert else "http"
            log.info("listening on %s://%s:%d (single user: %s, max %g fps per user)",
                     scheme, settings.host, settings.port, settings.single_user, settings.max_fps)

        app.on_startup.append(announce)
        web.run_app(app, host=settings.host, port=settings.port, ssl_context=tls_context(settings),
                    print=None, handle_signals=True, shutdown_timeout=5.0)
    except EngineUnavailable as exc:
        log.error("cannot start: %s", exc)
        return 2
    except ValueError as exc:  # a bad --clients entry
        log.error("cannot start: %s", exc)
        return 2
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", settings.host, settings.port, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
