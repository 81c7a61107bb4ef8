"""The Face Swap Live events (API.md section 1), independent of the transport that carries them.

Socket.IO (`socketio_transport.py`) and the plain WebSocket (`ws_transport.py`) each wrap a
connection as an `EventClient` and hand every event here. A client is a member of the channel
`default`, which publishes its frames and receives the answers: the single-user rule, the idle
timeout and the source's lifetime are the channel's (media/sessions.py), as for WebRTC. What is
only this dialect's lives here: the per-user rate limit and the frame round trip as base64 JPEG.

Every frame gets exactly one answer: `processed_frame` (the seed's), or `frame_dropped` (ours) when
the server will not process it: over the rate limit, too many in flight, or overtaken by a newer
frame. The seed drops such frames silently; a client that waits for answers before sending more
would stall. Seed clients ignore an event they do not know; a frame's optional `id` is echoed in
both answers so a client can match them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Coroutine
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from media.accounting import Accounting, DropReason, PassReason
from media.channels import DEFAULT_CHANNEL, Member, Transport
from media.codec import decode_frame, encode_jpeg, split_data_url, to_data_url
from media.engine_host import EngineHost
from media.pipeline import FramePath, Overtaken, Verdict
from media.rate import RateLimiter
from media.sessions import Sessions
from models.engine import SourceFace

log = logging.getLogger(__name__)

# Frames of one user being decoded or waiting for the engine; more are dropped (counted), so a
# client that ignores answers cannot pile up work.
MAX_IN_FLIGHT = 3

FRAME_DROPPED = "frame_dropped"
DROP_MESSAGES = {
    DropReason.RATE_LIMIT: "over the frame rate limit",
    DropReason.BUSY: "too many frames in flight",
    DropReason.SUPERSEDED: "a newer frame took its place",
}

SOURCE_READY = "Source face ready!"
SOURCE_CLEARED = "Source cleared"


@dataclass(frozen=True)
class FrameLimits:
    max_fps: float  # per user; 0 = no limit
    max_message_bytes: int
    max_frame_pixels: int
    jpeg_quality: int


class EventClient(Protocol):
    """One client connection, whatever carries it."""

    id: str  # unique across transports
    transport: Transport
    address: str  # the client's, for the per-address limits

    async def emit(self, event: str, data: dict[str, Any]) -> None: ...

    async def close(self) -> None:
        """Disconnect the client; the transport then calls `FaceSwapLiveEvents.disconnect`."""
        ...


@dataclass
class _Client:
    conn: EventClient
    path: FramePath
    limiter: RateLimiter
    in_flight: int = 0
    received: int = 0  # frames received, numbered in order
    submitted: int = -1  # number of the newest frame handed to the engine
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class FaceSwapLiveEvents:
    def __init__(self, sessions: Sessions, engine: EngineHost, accounting: Accounting, limits: FrameLimits,
                 pool: Executor) -> None:
        self.sessions = sessions
        self.engine = engine
        self.accounting = accounting
        self.limits = limits
        self.pool = pool
        self._clients: dict[str, _Client] = {}
        sessions.uploads.on_change(self._sources_changed)

    def count(self) -> int:
        return len(self._clients)

    # -- connections -------------------------------------------------------------------------
    async def connect(self, conn: EventClient) -> None:
        """Join the channel `default` as its publisher; raises Refused (single-user `reject`, or too
        many attempts from the client's address)."""
        self.sessions.admit(conn.address)
        channel = self.sessions.channel_for(DEFAULT_CHANNEL, create=True)
        member = Member(conn.id, conn.transport, publishes=True, receives=True)
        await self.sessions.join(channel, member, functools.partial(self._kick, conn))
        path = FramePath(conn.id, conn.transport.value, self.engine.pool, self.accounting,
                         sources=lambda: channel.sources.faces)
        self._clients[conn.id] = _Client(conn, path, RateLimiter(self.limits.max_fps))

    async def disconnect(self, conn: EventClient) -> None:
        """Forget `conn` (idempotent): its frames, its engine stream, its place in the channel."""
        self.sessions.leave(conn.id)
        client = self._clients.pop(conn.id, None)
        if client is None:
            return
        for task in client.tasks:
            task.cancel()
        client.path.close()

    async def _kick(self, conn: EventClient, why: str) -> None:
        """The channel let go of this client (taken over, idle, shutdown): tell it, then hang up."""
        client = self._clients.pop(conn.id, None)
        if client is not None:
            for task in client.tasks:
                task.cancel()
            client.path.close()
        await self._send(conn, "status_update", {"message": why})
        await conn.close()

    # -- events ------------------------------------------------------------------------------
    async def handle(self, conn: EventClient, event: str, data: Any) -> None:
        """Dispatch one client event. Frames run as their own tasks so a newer one can overtake."""
        client = self._clients.get(conn.id)
        if client is None:
            return
        self.sessions.touch(conn.id)
        if event == "process_frame":
            self._start_frame(client, data)
        elif event == "clear_source":
            channel = self.sessions.channel_of(conn.id)
            if channel is not None:
                channel.sources.clear(self.sessions.now())
            log.info("source face cleared by %s %s", conn.transport.value, conn.id[:8])
            await self._send(conn, "status_update", {"message": SOURCE_CLEARED})
        else:
            await self._send(conn, "error", {"message": f"Unknown event {event!r}"})

    def _start_frame(self, client: _Client, data: Any) -> None:
        frame_id = frame_id_of(data)
        if not client.limiter.allow(self.sessions.now()):
            self._drop(client, DropReason.RATE_LIMIT, frame_id)
        elif client.in_flight >= MAX_IN_FLIGHT:
            self._drop(client, DropReason.BUSY, frame_id)
        else:
            self._spawn(client, self._process_frame(client, data, frame_id, client.received))
        client.received += 1

    def _spawn(self, client: _Client, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        client.tasks.add(task)
        task.add_done_callback(client.tasks.discard)

    def _drop(self, client: _Client, reason: DropReason, frame_id: Any) -> None:
        client.path.drop(reason)
        answer = {"reason": reason.value, "message": DROP_MESSAGES[reason]}
        if frame_id is not None:
            answer["id"] = frame_id
        self._spawn(client, self._send(client.conn, FRAME_DROPPED, answer))

    async def _process_frame(self, client: _Client, data: Any, frame_id: Any, number: int) -> None:
        loop = asyncio.get_running_loop()
        raw = data.get("frame") if isinstance(data, dict) else None
        extra = {} if frame_id is None else {"id": frame_id}
        client.in_flight += 1
        try:
            async def load() -> np.ndarray:
                image = await loop.run_in_executor(self.pool, self._decode, raw)
                if number < client.submitted:
                    raise Overtaken
                client.submitted = number
                return image

            result = await client.path.swap(load)
            if result.verdict is Verdict.DROPPED:  # a newer frame of this user took its place
                await self._send(client.conn, FRAME_DROPPED, {
                    "reason": DropReason.SUPERSEDED.value, "message": DROP_MESSAGES[DropReason.SUPERSEDED],
                    **extra})
                return
            if result.image is None:
                # the seed answers with the original frame, so a client can always show something
                usable = isinstance(raw, str) and result.reason is not PassReason.REJECTED
                await self._send(client.conn, "processed_frame", {
                    "success": False, "error": result.message, "processed": raw if usable else None,
                    "stats": self._stats(client), **extra})
                return
            jpeg = await loop.run_in_executor(self.pool, encode_jpeg, result.image, self.limits.jpeg_quality)
            await self._send(client.conn, "processed_frame", {
                "success": True, "processed": to_data_url(jpeg), "stats": self._stats(client), **extra,
            })
        except Exception:
            log.exception("frame of %s %s failed", client.conn.transport.value, client.conn.id[:8])
        finally:
            client.in_flight -= 1

    def _decode(self, raw: object) -> np.ndarray:
        return decode_frame(split_data_url(raw, self.limits.max_message_bytes), self.limits.max_frame_pixels)

    def _stats(self, client: _Client) -> dict[str, float | int]:
        snap = self.accounting.session(client.conn.id).snapshot()
        return {k: snap[k] for k in ("frame_count", "swap_count", "avg_processing_time", "fps", "dropped")}

    async def _send(self, conn: EventClient, event: str, data: dict[str, Any]) -> None:
        try:
            await conn.emit(event, data)
        except ConnectionError as exc:  # the client went away mid-answer; its disconnect cleans up
            log.debug("could not send %s to %s: %s", event, conn.id[:8], exc)

    # -- the uploaded face -------------------------------------------------------------------
    def _sources_changed(self, faces: tuple[SourceFace, ...]) -> None:
        if not faces:
            return
        for client in list(self._clients.values()):
            self._spawn(client, self._send(client.conn, "status_update", {"message": SOURCE_READY}))


def frame_id_of(data: Any) -> Any:
    """A client's frame id, echoed back: a short string or a number, else none."""
    frame_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(frame_id, bool) or not isinstance(frame_id, (int, float, str)):
        return None
    return frame_id if not isinstance(frame_id, str) or len(frame_id) <= 64 else None
