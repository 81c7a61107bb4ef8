"""The Face Swap Live HTTP routes (API.md section 1): upload the source face, read the status."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from media.accounting import Accounting
from media.codec import ImageRejected, decode_upload
from media.engine_host import EngineHost
from media.sessions import Sessions
from media.worker import WorkerBusy
from metrics import Metrics
from models.engine import NoFaceError, SourceFace
from signaling.face_swap_live.events import SOURCE_READY

log = logging.getLogger(__name__)

UPLOAD_FIELD = "image"
MAX_PHOTOS = 4  # `image` fields in one upload: photos of the one source person
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class UploadLimits:
    max_request_bytes: int
    max_upload_bytes: int
    max_upload_pixels: int


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


async def read_image_fields(request: web.Request, limits: UploadLimits) -> list[bytes] | web.Response:
    """The bytes of the form's image files (one or more photos of one person), or the error
    response to send instead."""
    mb = 2**20
    if request.content_length is not None and request.content_length > limits.max_request_bytes:
        return fail(413, f"Request body is larger than {limits.max_request_bytes // mb} MB")
    if request.content_type != "multipart/form-data":
        return fail(400, f"Expected multipart/form-data with an '{UPLOAD_FIELD}' file field")
    budget = [limits.max_request_bytes]
    images: list[bytes] = []
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                return fail(400, "Nested multipart bodies are not supported")
            if part.name == UPLOAD_FIELD:
                if len(images) == MAX_PHOTOS:
                    return fail(400, f"At most {MAX_PHOTOS} '{UPLOAD_FIELD}' files (photos of one person)")
                try:
                    images.append(await _read_capped(part, limits.max_upload_bytes, budget))
                except _TooLarge:
                    if budget[0] < 0:
                        raise
                    return fail(413, f"Image file is larger than {limits.max_upload_bytes // mb} MB")
            else:
                await _read_capped(part, limits.max_request_bytes, budget)  # skipped, still counted
    except _TooLarge:
        return fail(413, f"Request body is larger than {limits.max_request_bytes // mb} MB")
    except (ValueError, AssertionError, HttpProcessingError) as exc:  # what aiohttp's multipart parser raises
        return fail(400, f"Malformed multipart body: {exc}")
    if not images:
        return fail(400, f"No '{UPLOAD_FIELD}' file field in the form")
    return images


class FaceSwapLiveRoutes:
    def __init__(self, limits: UploadLimits, engine: EngineHost, sessions: Sessions, accounting: Accounting,
                 metrics: Metrics, pool: Executor, extra_status: Callable[[], dict[str, Any]]) -> None:
        self.limits = limits
        self.engine = engine
        self.sessions = sessions
        self.accounting = accounting
        self.metrics = metrics
        self.pool = pool
        self.extra_status = extra_status

    async def upload_source(self, request: web.Request) -> web.Response:
        files = await read_image_fields(request, self.limits)
        if isinstance(files, web.Response):
            self.metrics.uploads.labels("refused").inc()
            return files
        photos = []
        for n, data in enumerate(files, 1):
            # which photo, when there are several: "No face detected (image 2 of 3)"
            which = f" (image {n} of {len(files)})" if len(files) > 1 else ""
            try:
                photos.append(await self._prepare_photo(data))
            except ImageRejected as exc:
                self.metrics.uploads.labels("refused").inc()
                return fail(400, f"{exc}{which}")
            except NoFaceError:
                self.metrics.uploads.labels("no_face").inc()
                log.info("upload of %d bytes: no face", len(data))
                return fail(400, f"No face detected{which}")
            except WorkerBusy as exc:
                return fail(503, str(exc))
        try:
            face = await self.engine.combine_sources(photos)
        except WorkerBusy as exc:
            return fail(503, str(exc))
        self.sessions.uploads.set([face], self.sessions.now())
        self.metrics.uploads.labels("ok").inc()
        for note in face.notes:
            log.info("source photo: %s", note)
        # what about the photo limits the swap (models/source_notes.py), for the user to act on
        return web.json_response({"success": True, "message": SOURCE_READY, "notes": list(face.notes)})

    async def _prepare_photo(self, data: bytes) -> SourceFace:
        loop = asyncio.get_running_loop()
        still = await loop.run_in_executor(self.pool, decode_upload, data, self.limits.max_upload_pixels)
        face = await self.engine.pool.call(lambda engine: engine.prepare_source(still.image))
        h, w = still.image.shape[:2]
        log.info("source photo ready from a %d-byte upload decoded at %dx%d", len(data), w, h)
        return face

    async def status(self, request: web.Request) -> web.Response:
        snap = self.accounting.totals.snapshot()  # all users since start, as the seed's /status
        engine = self.engine.engine
        return web.json_response({
            "frame_count": snap["frame_count"],
            "swap_count": snap["swap_count"],
            "error_count": snap["error_count"],
            "avg_processing_time": snap["avg_processing_time"],
            "source_face_loaded": self.sessions.uploads.loaded,
            "models_loaded": self.engine.loaded,
            "fps": snap["fps"],
            "dropped_frames": snap["dropped"],
            "engine": engine.name,
            "provider": engine.provider,
            "occlusion": engine.occlusion,
            # how the photo's face shape is fitted to a turned head (--shape-fit): the mesh
            # engine's alone, None for another
            "shape_fit": getattr(engine, "shape_fit", None),
            **self.extra_status(),
        })

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/upload_source", self.upload_source)
        app.router.add_get("/status", self.status)
