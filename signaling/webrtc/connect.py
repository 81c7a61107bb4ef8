"""What happens when a WebRTC client connects to a channel, whatever endpoint it came through.

    /offer: joins as publisher and receiver; its camera is swapped and sent back on the same connection
    WHIP:   joins as publisher; its camera becomes the channel's swapped video
    WHEP:   joins as receiver of the channel's swapped video

The publisher's camera is wrapped in one swap track per channel; aiortc's MediaRelay hands its newest
frame to one shared encoder per codec (media/shared_encoding.py), whose output every receiver of
that codec sends: the engine runs once per camera frame and the encoder once per codec, however
many watch, and neither runs while nobody does.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

from aiortc import MediaStreamTrack, RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.contrib.media import MediaRelay
from aiortc.exceptions import InvalidStateError
from aiortc.mediastreams import MediaStreamError

from media.accounting import Accounting
from media.aiortc_patches import shared_sender
from media.channels import BadChannelName, Channel, Member, Refused, Transport
from media.engine_host import EngineHost
from media.pipeline import FramePath
from media.sessions import NoSuchChannel, ReservedChannel, Sessions, TooManyChannels
from media.shared_encoding import ChannelEncoders
from media.swap_track import FaceSwapTrack
from signaling.webrtc.negotiation import (
    OfferRequest,
    Role,
    SignalingError,
    check_token,
    negotiate,
    sends_video,
)
from signaling.webrtc.peers import PeerRegistry, RtcPeer, TooManyPeers, close_connection

log = logging.getLogger(__name__)

PUBLISHER_LEFT = "The publisher of this channel has left"

# What wraps a published camera: FaceSwapTrack, or (bench.webrtc) a naive track to compare.
TrackFactory = Callable[[MediaStreamTrack, FramePath, Executor | None], MediaStreamTrack]


@dataclass(frozen=True)
class RtcSettings:
    video_codec: str = "auto"
    stream_token: str = ""
    ice_servers: tuple[str, ...] = ()
    shared_encoding: bool = True  # False: each receiver's sender encodes on its own


@dataclass
class _Published:
    """A channel's current WebRTC camera: its swap track, the relay that fans it out and the encoders
    its receivers share."""

    peer_id: str
    track: MediaStreamTrack
    encoded: Callable[[str], None] | None = None
    shared: bool = True
    relay: MediaRelay = field(default_factory=MediaRelay)
    encoders: ChannelEncoders = field(init=False)

    def __post_init__(self) -> None:
        self.encoders = ChannelEncoders(lambda: self.relay.subscribe(self.track, buffered=False),
                                        self.encoded)

    def receiver_track(self) -> MediaStreamTrack:
        """What one receiving connection sends: its share of the encode (or, unshared, frames to encode)."""
        if self.shared:
            return self.encoders.viewer_track()
        return self.relay.subscribe(self.track, buffered=False)

    def stop(self) -> None:
        self.encoders.close()
        self.track.stop()


async def discard(track: MediaStreamTrack) -> None:
    with contextlib.suppress(MediaStreamError):
        while True:
            await track.recv()


class RtcConnector:
    def __init__(self, sessions: Sessions, peers: PeerRegistry, engine: EngineHost, accounting: Accounting,
                 pool: Executor, settings: RtcSettings, track_factory: TrackFactory = FaceSwapTrack) -> None:
        self.sessions = sessions
        self.peers = peers
        self.engine = engine
        self.accounting = accounting
        self.pool = pool
        self.settings = settings
        self.track_factory = track_factory
        self._published: dict[str, _Published] = {}
        shared_sender.install()  # only senders of shared-encoding tracks behave differently

    def encode_ms(self, channel: str) -> float | None:
        """The channel's measured milliseconds per encode, when its receivers share an encode."""
        published = self._published.get(channel)
        return published.encoders.encode_ms() if published is not None else None

    def encoders_status(self) -> dict[str, list[dict[str, object]]]:
        return {name: p.encoders.status() for name, p in self._published.items() if p.encoders.status()}

    def publishing(self, channel: str) -> bool:
        return channel in self._published

    def channel_for(self, request: OfferRequest) -> Channel:
        """The channel the request may join (publishers create it); SignalingError if none."""
        try:
            channel = self.sessions.channel_for(request.channel, create=request.role.publishes)
        except BadChannelName as exc:
            raise SignalingError(400, str(exc)) from None
        except NoSuchChannel as exc:
            raise SignalingError(404, str(exc)) from None
        except ReservedChannel as exc:
            raise SignalingError(403, str(exc)) from None
        except TooManyChannels as exc:
            raise SignalingError(503, str(exc)) from None
        check_token(channel.token or self.settings.stream_token or None, request.token)
        return channel

    async def open(self, request: OfferRequest) -> tuple[RtcPeer, str]:
        """Join the request's channel and answer its offer; SignalingError says why not."""
        role = request.role
        try:
            self.sessions.admit(request.address)
        except Refused as exc:
            raise SignalingError(429, str(exc)) from None
        channel = self.channel_for(request)
        published = self._published.get(channel.name)
        if role is Role.WHEP and (published is None or published.track.readyState != "live"):
            raise SignalingError(404, f"nobody is publishing on channel {channel.name!r}")
        try:
            self.peers.admit(request.address)  # before a connection object is even made
        except TooManyPeers as exc:
            raise SignalingError(exc.status, str(exc)) from None
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[RTCIceServer(urls=u)
                                                            for u in self.settings.ice_servers]))
        try:
            peer = self.peers.add(pc, role, channel.name, request.address)
        except TooManyPeers as exc:
            await close_connection(pc)
            raise SignalingError(exc.status, str(exc)) from None
        try:
            # a publisher whose camera stops sending has vanished (a crash, a pulled cable): it is
            # closed after the media timeout rather than when ICE consent finally fails (~35 s)
            media_timeout = self.sessions.policy.media_timeout if role.publishes else None
            member = Member(peer.id, role.transport, role.publishes, role.receives, idle_after=media_timeout)
            try:
                await self.sessions.join(channel, member, functools.partial(self._hang_up, peer.id))
            except Refused as exc:
                raise SignalingError(409, str(exc)) from None
            peer.on_close.append(functools.partial(self.sessions.leave, peer.id))
            outgoing = None
            if role.publishes:
                self._take_camera(peer, channel, send_back=role is Role.OFFER)
            else:
                assert published is not None
                outgoing = published.receiver_track()
                peer.on_close.append(outgoing.stop)
            try:
                answer = await negotiate(pc, request.sdp, self.settings.video_codec, outgoing)
            except InvalidStateError:
                if self.peers.get(peer.id) is not None:
                    raise
                answer = ""  # closed under us: answered below
            if self.peers.get(peer.id) is None:
                # the channel let go of this connection while it negotiated (its publisher changed
                # or left, the channel closed): nothing to connect to any more
                raise SignalingError(409, "the channel changed while connecting (its publisher left or was "
                                          "replaced); try again")
            if role is Role.OFFER and not sends_video(pc):
                raise SignalingError(400, "the offer does not let the server send video back (use sendrecv)")
        except BaseException:
            await self.peers.close(peer.id)
            raise
        log.info("%s peer %s on channel %s: answered", role.value, peer.id[:8], channel.name)
        return peer, answer

    async def _hang_up(self, peer_id: str, why: str) -> None:
        peer = self.peers.get(peer_id)
        if peer is not None:
            log.info("%s peer %s: %s", peer.role.value, peer_id[:8], why)
            await self.peers.close(peer_id)

    def _take_camera(self, peer: RtcPeer, channel: Channel, send_back: bool) -> None:
        """When the peer's camera track arrives, swap it and make it the channel's video."""
        sessions = self.sessions

        @peer.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind != "video":
                # Audio is not relayed, but aiortc queues every decoded frame of a received track
                # without bound: read and discard it (OBS's WHIP output always sends audio).
                drain = asyncio.get_running_loop().create_task(discard(track))

                def stop_draining() -> None:
                    drain.cancel()

                peer.on_close.append(stop_draining)
                return
            path = FramePath(peer.id, peer.role.value, self.engine.pool, self.accounting,
                             sources=lambda: channel.sources.faces,
                             wanted=lambda: channel.delivering,
                             active=functools.partial(sessions.touch, peer.id))
            swap = self.track_factory(track, path, self.pool)
            previous = self._published.get(channel.name)
            self._published[channel.name] = published = _Published(peer.id, swap, self.accounting.encoded,
                                                                   self.settings.shared_encoding)
            if previous is not None:  # not normally: the channel closed that publisher when this one joined
                previous.stop()
            if send_back:
                outgoing = published.receiver_track()
                peer.pc.addTrack(outgoing)
                peer.on_close.append(outgoing.stop)

        peer.on_close.append(functools.partial(self._unpublish, channel, peer.id))

    async def _unpublish(self, channel: Channel, peer_id: str) -> None:
        published = self._published.get(channel.name)
        if published is None or published.peer_id != peer_id:
            return
        del self._published[channel.name]
        published.stop()
        # The viewers' video came from that track, which has ended: hang them up, so players (the
        # OBS player page) reconnect and pick up whoever publishes next.
        await self.sessions.close_members(channel, Transport.WHEP, PUBLISHER_LEFT)
