"""The Live Face Swap API routes (API.md section 2), answered in the hosted service's shapes.

Every answer is HTTP 200 with a business `code` (1000 success) and `msg`, as the hosted service
answers, except /detect, which carries `error_code` (0 success) and `error_msg`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from media.codec import ImageRejected, Still, decode_upload, split_data_url
from media.engine_host import EngineHost
from media.worker import WorkerBusy
from models.engine import DetectedFace
from signaling.live_face_swap_api.auth import ApiAuth
from signaling.live_face_swap_api.codes import ApiCode, ApiError
from signaling.live_face_swap_api.fetch import FetchRefused, SafeFetcher
from signaling.live_face_swap_api.requests import parse_session_id, parse_source_images, read_body
from signaling.live_face_swap_api.sessions import LiveSessions
from signaling.live_face_swap_api.store import SessionRecord

log = logging.getLogger(__name__)

PREFIX = "/api/open/v3"


@dataclass(frozen=True)
class ImageLimits:
    max_upload_bytes: int
    max_upload_pixels: int
    images_per_client: int


def reply(code: ApiCode, msg: str, status: int = 200, **extra: Any) -> web.Response:
    return web.json_response({"code": int(code), "msg": msg, **extra}, status=status)


def error_shape(path: str) -> Callable[[int, str], web.Response] | None:
    """This dialect's answer to an HTTP error (unknown route, server fault) on one of its paths."""
    def code(status: int) -> ApiCode:
        return ApiCode.INTERNAL if status >= 500 else ApiCode.PARAM_ERROR

    if path == "/detect":
        return lambda status, msg: web.json_response({"error_code": int(code(status)), "error_msg": msg},
                                                     status=status)
    if path.startswith(PREFIX + "/"):
        return lambda status, msg: reply(code(status), msg, status)
    return None


def session_data(request: web.Request, record: SessionRecord) -> dict[str, Any]:
    base = str(request.url.origin())
    channel = record.channel_id
    return {
        "_id": record.id,
        "faceswap_status": int(record.status),
        "msg": record.msg,
        "channel_id": channel,
        "front_user_id": record.front_user_id,
        "front_rtc_token": record.front_rtc_token,
        "sourceImage": record.source_images,
        "offer_url": f"{base}/offer",
        "whip_url": f"{base}/whip/{channel}",
        "whep_url": f"{base}/whep/{channel}",
        "player_url": f"{base}/player?channel={channel}&token={record.front_rtc_token}",
        "created_at": int(record.created_at * 1000),
        "expires_at": int(record.expires_at * 1000),
    }


def detect_reply(code: int, msg: str, faces: Sequence[DetectedFace] = (),
                 seconds: float = 0.0) -> web.Response:
    landmarks = [[[round(x), round(y)] for x, y in f.keypoints] + [[0, 0], [0, 0]] for f in faces]
    return web.json_response({
        "error_code": code,
        "error_msg": msg,
        "landmarks": landmarks,
        "landmarks_str": [":".join(f"{x},{y}" for x, y in pts[:4]) for pts in landmarks],
        "region": [[round(v) for v in f.box] for f in faces],
        "seconds": round(seconds, 4),
        "trx_id": secrets.token_hex(12),
    })


def in_upload_pixels(face: DetectedFace, still: Still) -> DetectedFace:
    """A face found in the decoded (possibly reduced) image, in the pixels of the upload itself."""
    x1, y1 = still.to_upload(face.box[0], face.box[1])
    x2, y2 = still.to_upload(face.box[2], face.box[3])
    points = tuple(still.to_upload(x, y) for x, y in face.keypoints)
    return DetectedFace((x1, y1, x2, y2), face.score, points)


SessionOp = Callable[[str, dict[str, Any]], Awaitable[SessionRecord]]


class LiveApiRoutes:
    def __init__(self, auth: ApiAuth, sessions: LiveSessions, fetcher: SafeFetcher, engine: EngineHost,
                 limits: ImageLimits, pool: Executor) -> None:
        self.auth = auth
        self.sessions = sessions
        self.fetcher = fetcher
        self.engine = engine
        self.limits = limits
        self.pool = pool

    async def get_token(self, request: web.Request) -> web.Response:
        try:
            body = await read_body(request)
            client_id, secret = body.get("clientId"), body.get("clientSecret")
            if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id or not secret:
                raise ApiError(ApiCode.PARAM_ERROR, "clientId and clientSecret are required strings")
            token, expires_at = await self.auth.issue_token(client_id, secret, request.remote or "")
        except ApiError as e:
            return reply(e.code, e.msg)
        return reply(ApiCode.OK, "OK", token=token, expire=int(expires_at * 1000))

    # -- live sessions: authenticated, one JSON body in, the session's data out ---------------
    async def _create(self, client_id: str, body: dict[str, Any]) -> SessionRecord:
        return await self.sessions.create(client_id, parse_source_images(body.get("sourceImage")))

    async def _update(self, client_id: str, body: dict[str, Any]) -> SessionRecord:
        session_id = parse_session_id(body.get("_id"))
        return await self.sessions.update(client_id, session_id, parse_source_images(body.get("sourceImage")))

    async def _close(self, client_id: str, body: dict[str, Any]) -> SessionRecord:
        return await self.sessions.close(client_id, parse_session_id(body.get("_id")))

    async def _info(self, client_id: str, body: dict[str, Any]) -> SessionRecord:
        return await self.sessions.info(client_id, parse_session_id(body.get("_id")))

    def session_route(self, op: SessionOp) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            try:
                client_id = await self.auth.authenticate(request.headers, request.remote or "")
                record = await op(client_id, await read_body(request))
            except ApiError as e:
                return reply(e.code, e.msg)
            return reply(ApiCode.OK, "OK", data=session_data(request, record))

        return handle

    # -- images ---------------------------------------------------------------------------------
    async def _decode(self, data: bytes) -> Still:
        return await asyncio.get_running_loop().run_in_executor(
            self.pool, decode_upload, data, self.limits.max_upload_pixels)

    async def upload_image(self, request: web.Request) -> web.Response:
        """Ours: keep an image for `sourceImage[].path` by id. JSON {"img": base64 or data URL}."""
        try:
            client_id = await self.auth.authenticate(request.headers, request.remote or "")
            img = (await read_body(request)).get("img")
            if not isinstance(img, str) or not img:
                raise ApiError(ApiCode.PARAM_ERROR, "img (base64 or a data: URL) is required")
            data = split_data_url(img, self.limits.max_upload_bytes)
            await self._decode(data)  # judged now, not when a session uses it
            store = self.sessions.store
            if await store.count_images(client_id) >= self.limits.images_per_client:
                limit = self.limits.images_per_client
                raise ApiError(ApiCode.PARAM_ERROR, f"at most {limit} images per client")
            image_id = "img_" + secrets.token_hex(12)
            await store.put_image(image_id, client_id, data)
        except ApiError as e:
            return reply(e.code, e.msg)
        except ImageRejected as exc:
            return reply(ApiCode.PARAM_ERROR, str(exc))
        return reply(ApiCode.OK, "OK", data={"id": image_id})

    async def detect(self, request: web.Request) -> web.Response:
        t0 = time.perf_counter()
        try:
            await self.auth.authenticate(request.headers, request.remote or "")
            body = await read_body(request)
            img, url = body.get("img"), body.get("image_url")
            if isinstance(img, str) and img:
                data = split_data_url(img, self.limits.max_upload_bytes)
            elif isinstance(url, str) and url:
                data = await self.fetcher.fetch(url)
            else:
                raise ApiError(ApiCode.PARAM_ERROR, "give img (base64) or image_url")
            still = await self._decode(data)
            found = await self.engine.pool.call(lambda engine: engine.detect(still.image))
            faces = [in_upload_pixels(f, still) for f in found if len(f.keypoints) == 4]
            if body.get("single_face"):
                faces = faces[:1]
        except ApiError as e:
            return detect_reply(e.code, e.msg)
        except (ImageRejected, FetchRefused) as exc:
            return detect_reply(ApiCode.PARAM_ERROR, str(exc))
        except WorkerBusy as exc:
            return detect_reply(ApiCode.BUSY, str(exc))
        return detect_reply(0, "SUCCESS", faces, time.perf_counter() - t0)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(f"{PREFIX}/getToken", self.get_token)
        app.router.add_post("/detect", self.detect)
        for name, op in (("create", self._create), ("update", self._update), ("close", self._close),
                         ("info", self._info)):
            app.router.add_post(f"{PREFIX}/faceswap/live/{name}", self.session_route(op))
        app.router.add_post(f"{PREFIX}/upload", self.upload_image)
