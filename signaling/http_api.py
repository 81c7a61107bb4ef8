"""The Face Swap Live HTTP routes (API.md section 1): demo page, upload, status, metrics."""

from __future__ import annotations

import asyncio
import logging
import os

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from media.codec import ImageRejected, decode_upload
from media.metrics import CONTENT_TYPE
from media.worker import WorkerBusy
from models.engine import NoFaceError
from signaling.context import CTX
from signaling.fallback import SOURCE_READY

log = logging.getLogger(__name__)

WEB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")
UPLOAD_FIELD = "image"
_CHUNK = 64 * 1024


def fail(status: int, message: str) -> web.Response:
    return web.json_response({"success": False, "message": message}, status=status)


class _TooLarge(Exception):
    pass


async def _read_capped(part: BodyPartReader, cap: int, budget: list[int]) -> bytes:
    """A part's bytes; _TooLarge past `cap` or past the request's remaining `budget`."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        budget[0] -= len(chunk)
        if size > cap or budget[0] < 0:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_image_field(request: web.Request) -> bytes | web.Response:
    s = request.app[CTX].settings
    if request.content_length is not None and request.content_length > s.max_request_bytes:
        return fail(413, f"Request body is larger than {s.max_request_bytes // 2**20} MB")
    if request.content_type != "multipart/form-data":
        return fail(400, f"Expected multipart/form-data with an '{UPLOAD_FIELD}' file field")
    budget = [s.max_request_bytes]
    image: bytes | None = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                return fail(400, "Nested multipart bodies are not supported")
            if part.name == UPLOAD_FIELD and image is None:
                try:
                    image = await _read_capped(part, s.max_upload_bytes, budget)
                except _TooLarge:
                    if budget[0] < 0:
                        raise
                    return fail(413, f"Image file is larger than {s.max_upload_bytes // 2**20} MB")
            else:
                await _read_capped(part, s.max_request_bytes, budget)  # skipped, still counted
    except _TooLarge:
        return fail(413, f"Request body is larger than {s.max_request_bytes // 2**20} MB")
    except (ValueError, AssertionError, RuntimeError, HttpProcessingError) as exc:  # multipart parser
        return fail(400, f"Malformed multipart body: {exc}")
    if image is None:
        return fail(400, f"No '{UPLOAD_FIELD}' file field in the form")
    return image


async def upload_source(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    data = await _read_image_field(request)
    if isinstance(data, web.Response):
        ctx.metrics.uploads.labels("refused").inc()
        return data
    loop = asyncio.get_running_loop()
    try:
        image = await loop.run_in_executor(
            ctx.codec_pool, decode_upload, data, ctx.settings.max_upload_pixels
        )
        face = await ctx.worker.call(lambda: ctx.engine.prepare_source(image))
    except ImageRejected as exc:
        ctx.metrics.uploads.labels("refused").inc()
        return fail(400, str(exc))
    except NoFaceError:
        ctx.metrics.uploads.labels("no_face").inc()
        log.info("upload of %d bytes: no face", len(data))
        return fail(400, "No face detected")
    except WorkerBusy as exc:
        return fail(503, str(exc))
    ctx.sources.set([face])
    ctx.metrics.uploads.labels("ok").inc()
    h, w = image.shape[:2]
    log.info("source face ready from a %dx%d upload (face box %s)", w, h, [round(v) for v in face.box])
    if ctx.hub is not None:
        await ctx.hub.notify_active(SOURCE_READY)
    return web.json_response({"success": True, "message": SOURCE_READY})


async def status(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    snap = ctx.worker.totals.snapshot()  # all users since start, as the seed's /status
    hub = ctx.hub
    return web.json_response({
        "frame_count": snap["frame_count"],
        "swap_count": snap["swap_count"],
        "error_count": snap["error_count"],
        "avg_processing_time": snap["avg_processing_time"],
        "source_face_loaded": ctx.sources.loaded,
        "models_loaded": ctx.models_loaded,
        "fps": snap["fps"],
        "dropped_frames": snap["dropped"],
        "engine": ctx.engine.name,
        "provider": ctx.engine.provider,
        "uptime_s": round(ctx.uptime_s, 1),
        "sessions": hub.count() if hub else 0,
        "active_user": bool(hub and hub.active_peer),
        "max_fps": ctx.settings.max_fps,
        "webrtc_peers": len(ctx.peers),
        "channels_live": ctx.channels.live(),
        "live_sessions": ctx.live_sessions(),
    })


async def metrics(request: web.Request) -> web.Response:
    body = request.app[CTX].metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(os.path.join(WEB_DIR, "index.html"))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_post("/upload_source", upload_source)
    app.router.add_get("/status", status)
    app.router.add_get("/metrics", metrics)
    app.router.add_static("/static/", WEB_DIR, show_index=False)
