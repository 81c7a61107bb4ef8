"""Every RTCPeerConnection the server holds: capped, and closed and forgotten on every way out.

A connection is closed when its state turns `failed` or `closed`, when it is not `connected`
within the connect timeout, when its channel lets go of it (taken over, idle, channel closed), and
on shutdown. Closing runs the connection's `on_close` callbacks once.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection

from signaling.webrtc.negotiation import Role

log = logging.getLogger(__name__)

OnClose = Callable[[], Awaitable[None] | None]


class TooManyPeers(RuntimeError):
    pass


@dataclass
class RtcPeer:
    id: str
    pc: RTCPeerConnection
    role: Role
    channel: str
    on_close: list[OnClose] = field(default_factory=list)


class PeerRegistry:
    def __init__(self, max_peers: int, connect_timeout: float) -> None:
        self.max_peers = max_peers
        self.connect_timeout = connect_timeout
        self._peers: dict[str, RtcPeer] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._peers)

    def __iter__(self) -> Iterator[RtcPeer]:
        return iter(list(self._peers.values()))

    def get(self, peer_id: str) -> RtcPeer | None:
        return self._peers.get(peer_id)

    def add(self, pc: RTCPeerConnection, role: Role, channel: str) -> RtcPeer:
        """Register a new connection; raises TooManyPeers at the cap (the caller closes `pc`)."""
        if len(self._peers) >= self.max_peers:
            raise TooManyPeers(f"the server holds its maximum of {self.max_peers} WebRTC connections")
        peer = RtcPeer(uuid.uuid4().hex, pc, role, channel)
        self._peers[peer.id] = peer

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            state = pc.connectionState
            log.info("%s peer %s (channel %s): %s", role.value, peer.id[:8], channel, state)
            if state in ("failed", "closed"):
                await self.close(peer.id)

        self._timers[peer.id] = asyncio.get_running_loop().create_task(self._connect_deadline(peer))
        return peer

    async def _connect_deadline(self, peer: RtcPeer) -> None:
        await asyncio.sleep(self.connect_timeout)
        if peer.pc.connectionState != "connected" and peer.id in self._peers:
            log.info("%s peer %s not connected after %g s: closing",
                     peer.role.value, peer.id[:8], self.connect_timeout)
            await self.close(peer.id)

    async def close(self, peer_id: str) -> bool:
        """Close and forget a connection (idempotent); runs its on_close callbacks once."""
        peer = self._peers.pop(peer_id, None)
        if peer is None:
            return False
        timer = self._timers.pop(peer_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        for callback in peer.on_close:
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("clean-up of peer %s failed", peer_id[:8])
        await peer.pc.close()
        return True

    async def close_all(self) -> None:
        for peer_id in list(self._peers):
            await self.close(peer_id)
