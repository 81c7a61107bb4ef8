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
    """No room for another connection; `status` is 503 (the server is full) or 429 (this address
    holds its share)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class PeerLimits:
    max_peers: int = 16
    per_address: int = 8  # connections from one address, connected or not
    pending_per_address: int = 3  # not yet connected, from one address
    # Connections not yet connected hold at most this share of all slots: offers that never
    # complete ICE (bogus, or from a client that vanished) cannot lock real users out.
    pending_share: float = 0.5


def refusal(limits: PeerLimits, peers: list[tuple[str, bool]], address: str) -> TooManyPeers | None:
    """Why a new connection from `address` is refused, given the (address, connected) of every
    connection held; None when it is admitted. Pure."""
    if len(peers) >= limits.max_peers:
        return TooManyPeers(503, f"the server holds its maximum of {limits.max_peers} WebRTC connections")
    mine = [connected for addr, connected in peers if addr == address]
    if len(mine) >= limits.per_address:
        return TooManyPeers(429, f"your address holds its maximum of {limits.per_address} WebRTC connections")
    if mine.count(False) >= limits.pending_per_address:
        return TooManyPeers(429, f"your address has {limits.pending_per_address} connections still being set "
                                 "up; wait for them to connect or fail")
    pending = sum(1 for _, connected in peers if not connected)
    if pending >= max(1, int(limits.max_peers * limits.pending_share)):
        return TooManyPeers(503, "too many connections are being set up; try again in a few seconds")
    return None


@dataclass
class RtcPeer:
    id: str
    pc: RTCPeerConnection
    role: Role
    channel: str
    address: str = ""
    on_close: list[OnClose] = field(default_factory=list)

    @property
    def connected(self) -> bool:
        return self.pc.connectionState == "connected"


async def close_connection(pc: RTCPeerConnection) -> None:
    """pc.close(), which in aiortc 1.16 fails on a connection whose offer left a transceiver without a
    transport (it has then nothing to stop there): what could be closed is, and that is all there is."""
    try:
        await pc.close()
    except AttributeError as exc:
        log.info("closing a half-negotiated connection: %s", exc)


class PeerRegistry:
    def __init__(self, limits: PeerLimits, connect_timeout: float) -> None:
        self.limits = limits
        self.connect_timeout = connect_timeout
        self._peers: dict[str, RtcPeer] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}
        self.closed_since_collect = 0  # see app.py's reaper: aiortc leaves cycles behind

    def __len__(self) -> int:
        return len(self._peers)

    def __iter__(self) -> Iterator[RtcPeer]:
        return iter(list(self._peers.values()))

    def get(self, peer_id: str) -> RtcPeer | None:
        return self._peers.get(peer_id)

    def admit(self, address: str) -> None:
        """Raise TooManyPeers if a new connection from `address` would not be admitted."""
        refused = refusal(self.limits, [(p.address, p.connected) for p in self._peers.values()], address)
        if refused is not None:
            raise refused

    def add(self, pc: RTCPeerConnection, role: Role, channel: str, address: str = "") -> RtcPeer:
        """Register a new connection; raises TooManyPeers past the limits (the caller closes `pc`)."""
        self.admit(address)
        peer = RtcPeer(uuid.uuid4().hex, pc, role, channel, address)
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
        await close_connection(peer.pc)
        self.closed_since_collect += 1
        return True

    async def close_all(self) -> None:
        for peer_id in list(self._peers):
            await self.close(peer_id)
