"""Live face-swap sessions of the Live Face Swap API, each with its own channel on this server.

A session opens a channel with its own source faces and token (`front_rtc_token`), which opens that
channel's /offer, WHIP and WHEP endpoints and nothing else. Its source faces are prepared off the
request path; `faceswap_status` follows lifecycle.py. Records live in the store; live media cannot
survive a restart, so sessions that were live read status 4, "server restarted", afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from media.channels import Channel
from media.codec import ImageRejected, decode_upload, split_data_url
from media.engine_host import EngineHost
from media.sessions import SESSION_CHANNEL_PREFIX, Sessions
from media.worker import WorkerBusy
from models.engine import NoFaceError, SourceFace
from signaling.live_face_swap_api.codes import ApiCode, ApiError
from signaling.live_face_swap_api.fetch import FetchRefused, SafeFetcher
from signaling.live_face_swap_api.lifecycle import SessionEvent, SessionStatus, expired, next_status
from signaling.live_face_swap_api.requests import SourceImage, group_by_person
from signaling.live_face_swap_api.store import SessionRecord, SQLiteStore

log = logging.getLogger(__name__)

SESSION_ENDED = "This live session has ended"
INTERNAL_ERROR = "internal error while preparing the source faces (see the server log)"


class PrepareFailed(ValueError):
    """A source image cannot be used; the message is shown to the client in `msg`."""


@dataclass(frozen=True)
class LiveLimits:
    session_ttl: float
    max_sessions: int
    sessions_per_client: int
    max_upload_bytes: int
    max_upload_pixels: int


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass
class LiveSession:
    """A session while it is open: its record, its channel, and the task preparing its faces."""

    record: SessionRecord
    channel: Channel
    task: asyncio.Task[None] | None = None


class LiveSessions:
    def __init__(self, sessions: Sessions, engine: EngineHost, store: SQLiteStore, fetcher: SafeFetcher,
                 limits: LiveLimits, pool: Executor, clock: Callable[[], float] = time.time) -> None:
        self.sessions = sessions
        self.engine = engine
        self.store = store
        self.fetcher = fetcher
        self.limits = limits
        self.pool = pool
        self._clock = clock  # wall time: records show created_at and expires_at to clients
        self._open: dict[str, LiveSession] = {}

    def count(self) -> int:
        return len(self._open)

    # -- life cycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        live = (SessionStatus.QUEUEING, SessionStatus.READY)
        for record in await self.store.sessions_with_status(live):
            await self._move(record, SessionEvent.SERVER_RESTARTED)

    async def stop(self) -> None:
        tasks = [s.task for s in self._open.values() if s.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def reap(self, now: float | None = None) -> None:
        """End the sessions whose time is up."""
        now = self._clock() if now is None else now
        for session in list(self._open.values()):
            if expired(session.record.expires_at, now):
                log.info("live session %s expired", session.record.id)
                await self._end(session, SessionEvent.EXPIRED)

    # -- API operations -----------------------------------------------------------------------
    async def create(self, client_id: str, images: list[SourceImage]) -> SessionRecord:
        limits = self.limits
        # a failed session keeps its record and channel until closed or expired, but not a place
        working = [s for s in self._open.values() if s.record.status is not SessionStatus.FAILED]
        if len(working) >= limits.max_sessions:
            raise ApiError(ApiCode.TOO_MANY_SESSIONS,
                           f"the server holds its maximum of {limits.max_sessions} live sessions")
        mine = sum(1 for s in working if s.record.client_id == client_id)
        if mine >= limits.sessions_per_client:
            raise ApiError(ApiCode.TOO_MANY_SESSIONS,
                           f"at most {limits.sessions_per_client} live sessions per client")
        now = self._clock()
        record = SessionRecord(
            id=secrets.token_hex(12), client_id=client_id, status=SessionStatus.QUEUEING,
            msg=SessionEvent.UPDATED.value, channel_id=SESSION_CHANNEL_PREFIX + secrets.token_hex(8),
            front_user_id=str(secrets.randbelow(10**9)), front_rtc_token=secrets.token_urlsafe(24),
            source_images=[i.as_json() for i in images], created_at=now, updated_at=now,
            expires_at=now + limits.session_ttl,
        )
        channel = self.sessions.open_channel(record.channel_id, record.front_rtc_token)
        session = self._open[record.id] = LiveSession(record, channel)
        await self.store.put_session(record)
        self._start_preparing(session, images)
        log.info("live session %s created for client %s (channel %s, %d source image(s))",
                 record.id, client_id, record.channel_id, len(images))
        return record

    async def update(self, client_id: str, session_id: str, images: list[SourceImage]) -> SessionRecord:
        session = self._open.get(session_id)
        if session is None or session.record.client_id != client_id:
            raise ApiError(ApiCode.PARAM_ERROR, f"no live session {session_id!r}")
        session.record.source_images = [i.as_json() for i in images]
        await self._move(session.record, SessionEvent.UPDATED)
        self._start_preparing(session, images)  # the old faces stay on until the new ones are ready
        return session.record

    async def close(self, client_id: str, session_id: str) -> SessionRecord:
        record = await self.info(client_id, session_id)
        session = self._open.get(record.id)
        if session is not None:
            await self._end(session, SessionEvent.CLOSED)
        return record

    async def info(self, client_id: str, session_id: str) -> SessionRecord:
        session = self._open.get(session_id)
        record = session.record if session else await self.store.get_session(session_id)
        if record is None or record.client_id != client_id:
            raise ApiError(ApiCode.PARAM_ERROR, f"no session {session_id!r}")
        return record

    async def _end(self, session: LiveSession, event: SessionEvent) -> None:
        self._open.pop(session.record.id, None)
        if session.task is not None:
            session.task.cancel()
            await asyncio.wait([session.task])
        closed = await self.sessions.close_channel(session.channel.name, SESSION_ENDED)
        await self._move(session.record, event)
        log.info("live session %s %s; %d connection(s) closed", session.record.id, event.value, closed)

    async def _move(self, record: SessionRecord, event: SessionEvent, msg: str | None = None) -> None:
        record.status = next_status(record.status, event)
        record.msg = msg or event.value
        record.updated_at = self._clock()
        await self.store.put_session(record)

    # -- source preparation -------------------------------------------------------------------
    def _start_preparing(self, session: LiveSession, images: list[SourceImage]) -> None:
        if session.task is not None:
            session.task.cancel()
        session.task = asyncio.get_running_loop().create_task(self._prepare(session, images))

    async def _prepare(self, session: LiveSession, images: list[SourceImage]) -> None:
        record = session.record
        try:
            photos = [await self._prepare_one(record.client_id, i, image) for i, image in enumerate(images)]
            faces = [await self._combine([photos[i] for i in group]) for group in group_by_person(images)]
        except PrepareFailed as exc:
            log.info("live session %s failed: %s", record.id, exc)
            await self._move(record, SessionEvent.PREPARE_FAILED, str(exc))
            return
        except Exception:
            log.exception("live session %s: preparing its source faces failed", record.id)
            await self._move(record, SessionEvent.PREPARE_FAILED, INTERNAL_ERROR)
            return
        session.channel.sources.set(faces, self.sessions.now())
        ready = f"ready: {plural(len(faces), 'source face')} from {plural(len(images), 'photo')}"
        # what about the photos limits the swap (models/source_notes.py), for the user to act on
        said = [f"source face {n}: {note}" for n, face in enumerate(faces, 1) for note in face.notes]
        if said:
            ready += "; " + " ".join(said)
        log.info("live session %s %s", record.id, ready)
        await self._move(record, SessionEvent.PREPARED, ready)

    async def _prepare_one(self, client_id: str, i: int, image: SourceImage) -> SourceFace:
        try:
            data = await self._load(client_id, image.path)
            still = await asyncio.get_running_loop().run_in_executor(
                self.pool, decode_upload, data, self.limits.max_upload_pixels)
        except (FetchRefused, ImageRejected, PrepareFailed) as exc:
            raise PrepareFailed(f"sourceImage[{i}]: {exc}") from None
        near = still.from_upload(*image.near) if image.near else None  # opts are in the upload's pixels
        try:
            return await self.engine.pool.call(lambda engine: engine.prepare_source(still.image, near))
        except NoFaceError:
            raise PrepareFailed(f"sourceImage[{i}]: No face detected") from None
        except WorkerBusy as exc:
            raise PrepareFailed(f"sourceImage[{i}]: {exc}") from None

    async def _combine(self, photos: list[SourceFace]) -> SourceFace:
        try:
            return await self.engine.combine_sources(photos)
        except WorkerBusy as exc:
            raise PrepareFailed(str(exc)) from None

    async def _load(self, client_id: str, path: str) -> bytes:
        if path.startswith("data:"):
            return split_data_url(path, self.limits.max_upload_bytes)
        if path.startswith(("http://", "https://")):
            return await self.fetcher.fetch(path)
        found = await self.store.get_image(path)
        if found is None or found[0] != client_id:
            raise PrepareFailed("path is not an http(s) URL, a data: URI or the id of an image you uploaded")
        return found[1]
