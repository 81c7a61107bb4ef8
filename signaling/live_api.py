"""The Live Face Swap API routes (API.md section 2), answered in the hosted service's shapes.

Every answer is HTTP 200 with a business `code` (1000 success) and `msg`, as the hosted service
answers, except /detect, which carries `error_code` (0 success) and `error_msg`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from typing import Any

from aiohttp import web

from media.codec import ImageRejected, decode_upload, split_data_url
from media.worker import WorkerBusy
from signaling.api_auth import OK, PARAM_ERROR, ApiAuth, Denied
from signaling.context import CTX
from signaling.live_sessions import LiveSessions, SessionError
from signaling.safe_fetch import FetchRefused, SafeFetcher
from signaling.store import SessionRecord

log = logging.getLogger(__name__)

PREFIX = "/api/open/v3"


class LiveApi:
    def __init__(self, auth: ApiAuth, sessions: LiveSessions, fetcher: SafeFetcher) -> None:
        self.auth = auth
        self.sessions = sessions
        self.fetcher = fetcher


API = web.AppKey("live_api", LiveApi)


def reply(code: int, msg: str, **extra: Any) -> web.Response:
    return web.json_response({"code": code, "msg": msg, **extra})


async def body_of(request: web.Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.text() or "null")
    except (ValueError, UnicodeDecodeError):
        raise Denied(PARAM_ERROR, "the body must be JSON") from None
    if not isinstance(data, dict):
        raise Denied(PARAM_ERROR, "the body must be a JSON object")
    return data


def session_data(request: web.Request, r: SessionRecord) -> dict[str, Any]:
    base = str(request.url.origin())
    return {
        "_id": r.id,
        "faceswap_status": r.status,
        "msg": r.msg,
        "channel_id": r.channel_id,
        "front_user_id": r.front_user_id,
        "front_rtc_token": r.front_rtc_token,
        "sourceImage": r.source_images,
        "offer_url": f"{base}/offer",
        "whip_url": f"{base}/whip/{r.channel_id}",
        "whep_url": f"{base}/whep/{r.channel_id}",
        "player_url": f"{base}/player?channel={r.channel_id}&token={r.front_rtc_token}",
        "created_at": int(r.created_at * 1000),
        "expires_at": int(r.expires_at * 1000),
    }


async def get_token(request: web.Request) -> web.Response:
    api = request.app[API]
    try:
        body = await body_of(request)
        client_id, secret = body.get("clientId"), body.get("clientSecret")
        if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id or not secret:
            raise Denied(PARAM_ERROR, "clientId and clientSecret are required strings")
        token, expires_at = await api.auth.issue_token(client_id, secret)
    except Denied as d:
        return reply(d.code, d.msg)
    return reply(OK, "OK", token=token, expire=int(expires_at * 1000))


def authed(handler: Any) -> Any:
    async def wrapped(request: web.Request) -> web.Response:
        api = request.app[API]
        try:
            client_id = await api.auth.authenticate(request)
            body = await body_of(request)
            return await handler(request, api, client_id, body)
        except Denied as d:
            return reply(d.code, d.msg)
        except SessionError as e:
            return reply(e.code, e.msg)

    wrapped.__name__ = handler.__name__
    return wrapped


@authed
async def create(request: web.Request, api: LiveApi, client_id: str, body: dict[str, Any]) -> web.Response:
    record = await api.sessions.create(client_id, body.get("sourceImage"))
    return reply(OK, "OK", data=session_data(request, record))


@authed
async def update(request: web.Request, api: LiveApi, client_id: str, body: dict[str, Any]) -> web.Response:
    record = await api.sessions.update(client_id, body.get("_id"), body.get("sourceImage"))
    return reply(OK, "OK", data=session_data(request, record))


@authed
async def close(request: web.Request, api: LiveApi, client_id: str, body: dict[str, Any]) -> web.Response:
    record = await api.sessions.close(client_id, body.get("_id"))
    return reply(OK, "OK", data=session_data(request, record))


@authed
async def info(request: web.Request, api: LiveApi, client_id: str, body: dict[str, Any]) -> web.Response:
    record = await api.sessions.info(client_id, body.get("_id"))
    return reply(OK, "OK", data=session_data(request, record))


async def upload_image(request: web.Request) -> web.Response:
    """Ours: keep an image for `sourceImage[].path` by id. JSON {"img": base64 or data URL}."""
    ctx, api = request.app[CTX], request.app[API]
    try:
        client_id = await api.auth.authenticate(request)
        body = await body_of(request)
        img = body.get("img")
        if not isinstance(img, str) or not img:
            raise Denied(PARAM_ERROR, "img (base64 or a data: URL) is required")
        data = split_data_url(img, ctx.settings.max_upload_bytes)
        await asyncio.get_running_loop().run_in_executor(
            ctx.codec_pool, decode_upload, data, ctx.settings.max_upload_pixels)  # judged now, not later
        if await api.sessions.store.count_images(client_id) >= ctx.settings.api_images_per_client:
            raise Denied(PARAM_ERROR, f"at most {ctx.settings.api_images_per_client} images per client")
        image_id = "img_" + secrets.token_hex(12)
        await api.sessions.store.put_image(image_id, client_id, data)
    except Denied as d:
        return reply(d.code, d.msg)
    except ImageRejected as exc:
        return reply(PARAM_ERROR, str(exc))
    return reply(OK, "OK", data={"id": image_id})


def detect_reply(code: int, msg: str, faces: list[Any] | None = None, seconds: float = 0.0) -> web.Response:
    faces = faces or []
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


async def detect(request: web.Request) -> web.Response:
    ctx, api = request.app[CTX], request.app[API]
    t0 = time.perf_counter()
    try:
        await api.auth.authenticate(request)
        body = await body_of(request)
        img, url = body.get("img"), body.get("image_url")
        if isinstance(img, str) and img:
            data = split_data_url(img, ctx.settings.max_upload_bytes)
        elif isinstance(url, str) and url:
            data = await api.fetcher.fetch(url)
        else:
            raise Denied(PARAM_ERROR, "give img (base64) or image_url")
        image = await asyncio.get_running_loop().run_in_executor(
            ctx.codec_pool, decode_upload, data, ctx.settings.max_upload_pixels)
        faces = await ctx.worker.call(lambda: ctx.engine.detect(image))
        faces = [f for f in faces if len(f.keypoints) == 4]
        if body.get("single_face"):
            faces = faces[:1]
    except Denied as d:
        return detect_reply(d.code, d.msg)
    except (ImageRejected, FetchRefused) as exc:
        return detect_reply(PARAM_ERROR, str(exc))
    except WorkerBusy as exc:
        return detect_reply(PARAM_ERROR, str(exc))
    return detect_reply(0, "SUCCESS", faces, time.perf_counter() - t0)


def add_routes(app: web.Application, api: LiveApi) -> None:
    app[API] = api
    app.router.add_post(f"{PREFIX}/getToken", get_token)
    app.router.add_post("/detect", detect)
    app.router.add_post(f"{PREFIX}/faceswap/live/create", create)
    app.router.add_post(f"{PREFIX}/faceswap/live/update", update)
    app.router.add_post(f"{PREFIX}/faceswap/live/close", close)
    app.router.add_post(f"{PREFIX}/faceswap/live/info", info)
    app.router.add_post(f"{PREFIX}/upload", upload_image)
