"""The Face Swap Live events (API.md section 1), independent of the transport that carries them.

Socket.IO (`signaling/socketio_transport.py`) and the plain WebSocket (`signaling/ws_transport.py`)
each wrap a connection as a `Peer` and hand every event to one `FallbackHub`: the single-user
policy, the rate limit, the timeouts and the frame round trip live here once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from media.codec import ImageRejected, decode_frame, encode_jpeg, split_data_url, to_data_url
from media.rate import RateLimiter
from media.worker import Status
from models.engine import NO_SOURCE
from signaling.context import Context

log = logging.getLogger(__name__)

# Frames of one user being decoded or waiting for the engine; more are dropped (counted), so a
# client that ignores answers cannot pile up work.
MAX_IN_FLIGHT = 3

SOURCE_READY = "Source face ready!"
SOURCE_CLEARED = "Source cleared"
NOT_ACTIVE = "Not the active user"
BUSY = "Another user is active"
FULL = "Too many connections"
TAKEN_OVER = "Another user connected; this session was taken over"
PROCESSING_FAILED = "Processing error"


class Peer(Protocol):
    """One client connection, whatever carries it."""

    id: str  # unique across transports
    transport: str  # "socketio" or "ws"

    async def emit(self, event: str, data: dict[str, Any]) -> None: ...

    async def close(self) -> None:
        """Disconnect the client; the transport then calls `FallbackHub.disconnect`."""
        ...


class Refused(Exception):
    """A connection is refused; the message is shown to the client."""


@dataclass
class _Client:
    peer: Peer
    limiter: RateLimiter
    connected_at: float
    last_active: float
    in_flight: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class FallbackHub:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self._clients: dict[str, _Client] = {}
        self._active: str | None = None  # the single user's peer id
        self._alone_since = time.monotonic()  # when the last user left (session timeout)
        self._reaper: asyncio.Task[None] | None = None

    # -- connections -------------------------------------------------------------------------
    @property
    def active_peer(self) -> Peer | None:
        client = self._clients.get(self._active) if self._active else None
        return client.peer if client else None

    def count(self, transport: str | None = None) -> int:
        return sum(1 for c in self._clients.values() if transport in (None, c.peer.transport))

    async def connect(self, peer: Peer) -> None:
        """Admit `peer` as the active user, or raise Refused (single-user policy, connection cap)."""
        previous = self.active_peer
        if previous is not None and self.settings.single_user == "reject":
            log.info("refused %s %s: %s", peer.transport, peer.id, BUSY)
            raise Refused(BUSY)
        if previous is None and len(self._clients) >= self.settings.max_clients:
            raise Refused(FULL)
        now = time.monotonic()
        self._clients[peer.id] = _Client(peer, RateLimiter(self.settings.max_fps), now, now)
        self._active = peer.id
        log.info("%s user %s connected", peer.transport, peer.id)
        if previous is not None:
            log.info("%s user %s took over from %s", peer.transport, peer.id, previous.id)
            await self._send(previous, "status_update", {"message": TAKEN_OVER})
            await self._drop(previous)

    async def disconnect(self, peer: Peer) -> None:
        """Forget `peer` (idempotent): its frames, its engine stream, its slot."""
        client = self._clients.pop(peer.id, None)
        if client is None:
            return
        for task in client.tasks:
            task.cancel()
        self.ctx.worker.close_session(peer.id)
        if self._active == peer.id:
            self._active = None
        if not self._clients:
            self._alone_since = time.monotonic()
        log.info("%s user %s disconnected after %.0f s", peer.transport, peer.id,
                 time.monotonic() - client.connected_at)

    async def close_all(self) -> None:
        for client in list(self._clients.values()):
            await self._drop(client.peer)

    async def _drop(self, peer: Peer) -> None:
        with contextlib.suppress(Exception):
            await peer.close()
        await self.disconnect(peer)

    # -- events ------------------------------------------------------------------------------
    async def handle(self, peer: Peer, event: str, data: Any) -> None:
        """Dispatch one client event. Frames run as their own tasks so a newer one can overtake."""
        client = self._clients.get(peer.id)
        if client is None:
            return
        client.last_active = time.monotonic()
        if event == "process_frame":
            self._start_frame(client, data)
        elif event == "clear_source":
            self.ctx.sources.clear()
            log.info("source face cleared by %s", peer.id)
            await self._send(peer, "status_update", {"message": SOURCE_CLEARED})
        else:
            await self._send(peer, "error", {"message": f"Unknown event {event!r}"})

    def _start_frame(self, client: _Client, data: Any) -> None:
        if client.peer.id != self._active:
            task = asyncio.ensure_future(self._fail(client.peer, NOT_ACTIVE, None))
        elif not client.limiter.allow():
            self.ctx.worker.record_drop(client.peer.id, "rate_limit")
            return
        elif client.in_flight >= MAX_IN_FLIGHT:
            self.ctx.worker.record_drop(client.peer.id, "busy")
            return
        else:
            task = asyncio.ensure_future(self._process_frame(client, data))
        client.tasks.add(task)
        task.add_done_callback(client.tasks.discard)

    async def _process_frame(self, client: _Client, data: Any) -> None:
        peer, loop, s = client.peer, asyncio.get_running_loop(), self.settings
        client.in_flight += 1
        try:
            raw = data.get("frame") if isinstance(data, dict) else None
            try:
                frame = await loop.run_in_executor(self.ctx.codec_pool, _decode, raw, s)
            except ImageRejected as exc:
                self.ctx.metrics.rejected.labels(peer.transport).inc()
                await self._fail(peer, str(exc), None)
                return
            sources = self.ctx.sources.faces
            outcome = await self.ctx.worker.process(peer.id, frame, sources)
            if outcome.status is Status.DROPPED:
                return  # a newer frame of this user took its place: no answer, as for the rate limit
            if outcome.status is Status.ERROR or outcome.result is None:
                await self._fail(peer, PROCESSING_FAILED, raw)
                return
            result = outcome.result
            if not result.swapped:
                await self._fail(peer, result.reason or NO_SOURCE, raw)
                return
            jpeg = await loop.run_in_executor(self.ctx.codec_pool, encode_jpeg, result.image, s.jpeg_quality)
            await self._send(peer, "processed_frame", {
                "success": True, "processed": to_data_url(jpeg), "stats": self._stats(peer.id),
            })
        finally:
            client.in_flight -= 1

    async def _fail(self, peer: Peer, reason: str, original: str | None) -> None:
        await self._send(peer, "processed_frame", {
            "success": False, "error": reason, "processed": original, "stats": self._stats(peer.id),
        })

    def _stats(self, peer_id: str) -> dict[str, float | int]:
        snap = self.ctx.worker.stats(peer_id).snapshot()
        return {k: snap[k] for k in ("frame_count", "swap_count", "avg_processing_time", "fps", "dropped")}

    async def _send(self, peer: Peer, event: str, data: dict[str, Any]) -> None:
        try:
            await peer.emit(event, data)
        except Exception as exc:  # the client went away mid-answer; its disconnect cleans up
            log.debug("could not send %s to %s: %s", event, peer.id, exc)

    async def notify_active(self, message: str) -> None:
        peer = self.active_peer
        if peer is not None:
            await self._send(peer, "status_update", {"message": message})

    # -- timeouts ----------------------------------------------------------------------------
    def start(self) -> None:
        self._reaper = asyncio.create_task(self._reap_forever(), name="fallback-reaper")

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        await self.close_all()

    async def _reap_forever(self) -> None:
        period = min(max(min(self.settings.idle_timeout, self.settings.session_timeout) / 4, 0.05), 5.0)
        while True:
            await asyncio.sleep(period)
            try:
                await self.reap()
            except Exception:
                log.exception("timeout clean-up failed")

    async def reap(self) -> None:
        """Disconnect idle users; forget the source face when nobody has used it for a session."""
        now = time.monotonic()
        idle_limit = self.settings.idle_timeout
        for client in list(self._clients.values()):
            if now - client.last_active > idle_limit:
                log.info("%s user %s idle for %.0f s: disconnecting", client.peer.transport,
                         client.peer.id, now - client.last_active)
                await self._send(client.peer, "status_update",
                                 {"message": f"Disconnected after {idle_limit:g} s without activity"})
                await self._drop(client.peer)
        sources = self.ctx.sources
        if not self._clients and sources.loaded:
            unused = now - max(self._alone_since, sources.changed_at)
            if unused > self.settings.session_timeout:
                sources.clear()
                log.info("source face forgotten: no user for %.0f s", unused)


def _decode(raw: object, s: Any) -> Any:
    return decode_frame(split_data_url(raw, s.max_message_bytes), s.max_frame_pixels)
