"""Entry point: `python server.py [flags]` or `make run`. The app itself is built in app.py."""

from __future__ import annotations

import logging
import os
import ssl
import sys
from collections.abc import Sequence

from settings import Settings, parse_settings

# numpy's OpenBLAS starts a thread per core that spins after every call. The engine's solves are
# tiny and its parallelism is the worker pool (one engine thread per core), so those threads only
# burned the cores the workers, decoders and encoders need: server CPU per 640x480 frame was 57 ms
# with them and 26 ms without (bench.webrtc). Read when numpy loads, so set before anything imports
# it (testing/server_process.py hands the same to the servers benchmarks start); a value the user
# set is kept.
PROCESS_ENV = {"OPENBLAS_NUM_THREADS": "1"}
for _name, _value in PROCESS_ENV.items():
    os.environ.setdefault(_name, _value)

log = logging.getLogger("faceswap")


class StartupError(Exception):
    """The server cannot start; the message says which setting and why."""


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.ssl_cert:
        return None
    for flag, path in (("--ssl-cert", settings.ssl_cert), ("--ssl-key", settings.ssl_key)):
        if not os.path.isfile(path):
            raise StartupError(f"{flag} {path} does not exist")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.ssl_cert, settings.ssl_key)
    except (OSError, ssl.SSLError) as exc:
        raise StartupError(f"--ssl-cert {settings.ssl_cert} / --ssl-key {settings.ssl_key} cannot be "
                           f"used: {exc}") from None
    return context


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def exposure_warnings(settings: Settings) -> list[str]:
    """What an operator exposing the server beyond this machine should hear at start-up."""
    if settings.host in LOOPBACK or settings.host.startswith("127."):
        return []
    warnings = []
    if not settings.stream_token:
        warnings.append(f"listening on {settings.host} with open WebRTC endpoints: anyone who reaches this "
                        "port may publish (/offer, WHIP) and watch (WHEP); set --stream-token")
    if not settings.ssl_cert:
        warnings.append("no TLS: tokens and video travel in the clear; use --ssl-cert/--ssl-key or a "
                        "TLS-terminating reverse proxy")
    return warnings


class MalformedHttp(logging.Filter):
    """aiohttp logs a request its HTTP parser refused (and answered 400) at ERROR with a traceback:
    that is the client's fault, one line at INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        from aiohttp.http_exceptions import HttpProcessingError

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg, record.args = f"{record.getMessage()}: {type(exc).__name__}: {exc.message}", ()
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def configure_process(settings: Settings) -> None:
    """What is process-wide rather than per app, applied once: the allocator, logging, aiortc's
    globals, Prometheus."""
    from media import heap

    heap.tame()  # before anything starts a thread
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.server").addFilter(MalformedHttp())
    from prometheus_client import disable_created_metrics

    from media import aiortc_patches

    aiortc_patches.apply(settings.video_bitrate)
    disable_created_metrics()  # `*_created` samples double the page and tell a scraper nothing here


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_settings(argv)  # --help and bad flags end here, before anything heavy is imported
    configure_process(settings)
    for warning in exposure_warnings(settings):
        log.warning(warning)
    from aiohttp import web

    from app import configured_clients, create_app
    from models.select import EngineUnavailable

    try:
        configured_clients(settings)  # a missing --clients-file or a bad entry, before the engine loads
        ssl_context = tls_context(settings)
    except OSError as exc:
        log.error("cannot start: --clients-file %s cannot be read: %s", settings.clients_file, exc.strerror)
        return 2
    except (ValueError, StartupError) as exc:
        log.error("cannot start: %s", exc)
        return 2
    try:
        app = create_app(settings)
    except OSError as exc:  # the only file create_app touches: the folder of --db
        log.error("cannot start: --db %s cannot be created: %s", settings.db, exc.strerror or exc)
        return 2

    async def announce(app: web.Application) -> None:
        scheme = "https" if ssl_context else "http"
        log.info("listening on %s://%s:%d (single user: %s, max %g fps per fallback user)",
                 scheme, settings.host, settings.port, settings.single_user, settings.max_fps)

    app.on_startup.append(announce)
    try:
        # keepalive_timeout also closes a connection that never completes its first request's
        # headers (aiohttp starts the timer when the connection opens): half-sent headers cannot
        # hold a connection longer than this
        web.run_app(app, host=settings.host, port=settings.port, ssl_context=ssl_context,
                    print=None, handle_signals=True, shutdown_timeout=5.0, keepalive_timeout=15.0)
    except EngineUnavailable as exc:
        log.error("cannot start: %s", exc)
        return 2
    except OSError as exc:  # the socket: address in use, no permission, unknown host
        log.error("cannot listen on %s:%d: %s", settings.host, settings.port, exc.strerror or exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
