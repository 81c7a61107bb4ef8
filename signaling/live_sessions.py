"""Live face-swap sessions of the Live Face Swap API, each bound to a WebRTC channel of this server.

A session's source faces are prepared off the request path: `faceswap_status` is 1 while that runs,
2 when the channel is ready, 3 after close (or expiry), 4 on failure with the reason in `msg`. The
channel's token (`front_rtc_token`) opens that channel's /offer, WHIP and WHEP endpoints and nothing
else. Records live in the store; live media cannot survive a restart, so sessions that were live
read status 4, "server restarted", afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from media.channels import Channel
from media.codec import ImageRejected, decode_upload, split_data_url
from media.worker import WorkerBusy
from models.engine import NoFaceError, SourceFace
from signaling.api_auth import PARAM_ERROR, TOO_MANY_SESSIONS
from signaling.context import Context
from signaling.safe_fetch import FetchRefused, SafeFetcher
from signaling.store import SessionRecord, Store

log = logging.getLogger(__name__)

QUEUEING, READY, ENDED, FAILED = 1, 2, 3, 4
LIVE = (QUEUEING, READY)
MAX_SOURCES = 4


class SessionError(ValueError):
    """A request about a session cannot be served; `code` is the business code to answer with."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


@dataclass
class _Live:
    record: SessionRecord
    channel: Channel
    sources: list[SourceFace] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


def parse_landmarks_str(text: str) -> tuple[float, float]:
    """The centre of the points of a `landmarks_str` ("x,y:x,y:..."), to pick the nearest face."""
    try:
        pts = [tuple(float(v) for v in p.split(",")) for p in text.split(":") if p.strip()]
    except ValueError:
        raise ValueError(f"opts {text[:40]!r} is not a landmarks_str like 'x,y:x,y:x,y:x,y'") from None
    pts = [p for p in pts if len(p) == 2 and p != (0.0, 0.0)]
    if not pts:
        raise ValueError(f"opts {text[:40]!r} has no points")
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def check_source_images(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise SessionError(PARAM_ERROR, "sourceImage must be a non-empty array of {path, opts}")
    if len(value) > MAX_SOURCES:
        raise SessionError(PARAM_ERROR, f"at most {MAX_SOURCES} source images")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not item["path"].strip():
            raise SessionError(PARAM_ERROR, f"sourceImage[{i}].path must be a non-empty string")
        opts = item.get("opts")
        if opts not in (None, "") and not isinstance(opts, str):
            raise SessionError(PARAM_ERROR, f"sourceImage[{i}].opts must be a landmarks_str")
        if opts:
            try:
                parse_landmarks_str(opts)
            except ValueError as exc:
                raise SessionError(PARAM_ERROR, f"sourceImage[{i}]: {exc}") from None
        out.append({"path": item["path"].strip(), "opts": opts or ""})
    return out


class LiveSessions:
    def __init__(self, ctx: Context, store: Store, fetcher: SafeFetcher) -> None:
        self.ctx = ctx
        self.store = store
        self.fetcher = fetcher
        self.s = ctx.settings
        self._live: dict[str, _Live] = {}
        self._reaper: asyncio.Task[None] | None = None

    # -- life cycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        for record in await self.store.sessions_with_status(LIVE):
            record.status, record.msg, record.updated_at = FAILED, "server restarted", time.time()
            await self.store.put_session(record)
        self._reaper = asyncio.create_task(self._reap_forever(), name="live-session-reaper")

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for live in list(self._live.values()):
            if live.task is not None:
                live.task.cancel()

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(min(5.0, max(0.05, self.s.api_session_ttl / 4)))
            now = time.time()
            for live in list(self._live.values()):
                if live.record.expires_at <= now:
                    log.info("live session %s expired", live.record.id)
                    await self._end(live, "expired")

    # -- API operations -----------------------------------------------------------------------
    async def create(self, client_id: str, source_images: Any) -> SessionRecord:
        images = check_source_images(source_images)
        if len(self._live) >= self.s.api_max_sessions:
            raise SessionError(TOO_MANY_SESSIONS,
                               f"the server holds its maximum of {self.s.api_max_sessions} live sessions")
        mine = sum(1 for v in self._live.values() if v.record.client_id == client_id)
        if mine >= self.s.api_sessions_per_client:
            raise SessionError(TOO_MANY_SESSIONS,
                               f"at most {self.s.api_sessions_per_client} live sessions per client")
        now = time.time()
        record = SessionRecord(
            id=secrets.token_hex(12), client_id=client_id, status=QUEUEING, msg="preparing source faces",
            channel_id="ch_" + secrets.token_hex(8), front_user_id=str(secrets.randbelow(10**9)),
            front_rtc_token=secrets.token_urlsafe(24), source_images=images, created_at=now,
            updated_at=now, expires_at=now + self.s.api_session_ttl,
        )
        live = _Live(record, Channel(record.channel_id, lambda: [], token=record.front_rtc_token))
        live.channel.sources = lambda: live.sources
        self._live[record.id] = live
        self.ctx.channels.add(live.channel)
        await self.store.put_session(record)
        live.task = asyncio.create_task(self._prepare(live, images))
        log.info("live session %s created for client %s (channel %s, %d source image(s))",
                 record.id, client_id, record.channel_id, len(images))
        return record

    async def update(self, client_id: str, session_id: Any, source_images: Any) -> SessionRecord:
        live = self._owned_live(client_id, session_id)
        images = check_source_images(source_images)
        if live.task is not None:
            live.task.cancel()
        record = live.record
        record.status, record.msg, record.source_images = QUEUEING, "preparing source faces", images
        record.updated_at = time.time()
        await self.store.put_session(record)
        live.task = asyncio.create_task(self._prepare(live, images))  # old faces stay until ready
        return record

    async def close(self, client_id: str, session_id: Any) -> SessionRecord:
        record = await self.info(client_id, session_id)
        live = self._live.get(record.id)
        if live is not None:
            await self._end(live, "closed")
        return await self.info(client_id, session_id)

    async def info(self, client_id: str, session_id: Any) -> SessionRecord:
        if not isinstance(session_id, str) or not session_id:
            raise SessionError(PARAM_ERROR, "_id must be a session id string")
        live = self._live.get(session_id)
        record = live.record if live else await self.store.get_session(session_id)
        if record is None or record.client_id != client_id:
            raise SessionError(PARAM_ERROR, f"no session {session_id!r}")
        return record

    def _owned_live(self, client_id: str, session_id: Any) -> _Live:
        live = self._live.get(session_id) if isinstance(session_id, str) else None
        if live is None or live.record.client_id != client_id:
            raise SessionError(PARAM_ERROR, f"no live session {session_id!r}")
        return live

    async def _end(self, live: _Live, why: str) -> None:
        self._live.pop(live.record.id, None)
        if live.task is not None:
            live.task.cancel()
        self.ctx.channels.remove(live.channel.name)
        closed = await self.ctx.peers.close_channel(live.channel.name)
        record = live.record
        record.status, record.msg, record.updated_at = ENDED, why, time.time()
        await self.store.put_session(record)
        log.info("live session %s %s; %d WebRTC connection(s) closed", record.id, why, closed)

    def count(self) -> int:
        return len(self._live)

    # -- source preparation -------------------------------------------------------------------
    async def _prepare(self, live: _Live, images: list[dict[str, Any]]) -> None:
        record = live.record
        try:
            faces = [await self._prepare_one(record.client_id, i, item) for i, item in enumerate(images)]
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            record.status, record.msg = FAILED, str(exc)
            log.info("live session %s failed: %s", record.id, exc)
        else:
            live.sources = faces
            record.status, record.msg = READY, "ready"
            log.info("live session %s ready with %d source face(s)", record.id, len(faces))
        record.updated_at = time.time()
        await self.store.put_session(record)

    async def _prepare_one(self, client_id: str, i: int, item: dict[str, Any]) -> SourceFace:
        path, opts = item["path"], item["opts"]
        try:
            data = await self._load(client_id, path)
            image = await asyncio.get_running_loop().run_in_executor(
                self.ctx.codec_pool, decode_upload, data, self.s.max_upload_pixels)
        except (FetchRefused, ImageRejected, ValueError) as exc:
            raise ValueError(f"sourceImage[{i}]: {exc}") from None
        near = parse_landmarks_str(opts) if opts else None
        try:
            return await self.ctx.worker.call(lambda: self.ctx.engine.prepare_source(image, near))
        except NoFaceError:
            raise ValueError(f"sourceImage[{i}]: No face detected") from None
        except WorkerBusy as exc:
            raise ValueError(f"sourceImage[{i}]: {exc}") from None

    async def _load(self, client_id: str, path: str) -> bytes:
        if path.startswith("data:"):
            return split_data_url(path, self.s.max_upload_bytes)
        if path.startswith(("http://", "https://")):
            return await self.fetcher.fetch(path)
        found = await self.store.get_image(path)
        if found is None or found[0] != client_id:
            raise ValueError("path is not an http(s) URL, a data: URI or the id of an image you uploaded")
        return found[1]
