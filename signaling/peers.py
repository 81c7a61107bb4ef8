"""Every RTCPeerConnection the server holds: capped, and closed and forgotten on every way out.

A connection is closed when its state turns `failed` or `closed`, when it is not `connected`
within the connect timeout, when its session or channel ends, and on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection

log = logging.getLogger(__name__)

OnClose = Callable[[], Awaitable[None] | None]


class TooManyPeers(RuntimeError):
    pass


@dataclass
class Peer:
    id: str
    pc: RTCPeerConnection
    kind: str  # "offer", "whip" or "whep"
    channel: str
    created_at: float = field(default_factory=time.monotonic)
    on_close: list[OnClose] = field(default_factory=list)
    closing: bool = False


class PeerRegistry:
    def __init__(self, max_peers: int, connect_timeout: float) -> None:
        self.max_peers = max_peers
        self.connect_timeout = connect_timeout
        self._peers: dict[str, Peer] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Future[int]] = set()

    def __len__(self) -> int:
        return len(self._peers)

    def __contains__(self, peer_id: object) -> bool:
        return peer_id in self._peers

    def get(self, peer_id: str) -> Peer | None:
        return self._peers.get(peer_id)

    def count(self, kind: str | None = None) -> int:
        return sum(1 for p in self._peers.values() if kind in (None, p.kind))

    def add(self, pc: RTCPeerConnection, kind: str, channel: str) -> Peer:
        """Register a new connection; raises TooManyPeers at the cap (the caller closes `pc`)."""
        if len(self._peers) >= self.max_peers:
            raise TooManyPeers(f"the server holds its maximum of {self.max_peers} WebRTC connections")
        peer = Peer(uuid.uuid4().hex, pc, kind, channel)
        self._peers[peer.id] = peer

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            state = pc.connectionState
            log.info("%s peer %s (channel %s): %s", kind, peer.id[:8], channel, state)
            if state in ("failed", "closed"):
                await self.close(peer.id)

        self._timers[peer.id] = asyncio.ensure_future(self._connect_deadline(peer))
        return peer

    async def _connect_deadline(self, peer: Peer) -> None:
        await asyncio.sleep(self.connect_timeout)
        if peer.pc.connectionState != "connected" and peer.id in self._peers:
            log.info("%s peer %s not connected after %g s: closing",
                     peer.kind, peer.id[:8], self.connect_timeout)
            await self.close(peer.id)

    async def close(self, peer_id: str) -> bool:
        """Close and forget a connection (idempotent); runs its on_close callbacks once."""
        peer = self._peers.pop(peer_id, None)
        if peer is None or peer.closing:
            return False
        peer.closing = True
        timer = self._timers.pop(peer_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        for callback in peer.on_close:
            try:
                result = callback()
                if result is not None:
                    await result
            except Exception:
                log.exception("clean-up of peer %s failed", peer_id[:8])
        with contextlib.suppress(Exception):
            await peer.pc.close()
        return True

    async def close_channel(self, channel: str, kinds: tuple[str, ...] | None = None) -> int:
        ids = [p.id for p in self._peers.values()
               if p.channel == channel and (kinds is None or p.kind in kinds)]
        for peer_id in ids:
            await self.close(peer_id)
        return len(ids)

    def close_channel_soon(self, channel: str, kinds: tuple[str, ...] | None = None) -> None:
        """close_channel from synchronous code (aiortc event handlers)."""
        task = asyncio.ensure_future(self.close_channel(channel, kinds))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close_all(self) -> None:
        for peer_id in list(self._peers):
            await self.close(peer_id)
