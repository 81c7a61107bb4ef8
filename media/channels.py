"""Channels: one published camera, swapped once, relayed to every viewer of the channel.

A channel's publisher is the camera of an /offer connection or of a WHIP ingest. Its FaceSwapTrack
runs the engine once per frame whatever the number of viewers; aiortc's MediaRelay hands the newest
swapped frame to each of them (unbuffered: a slow viewer skips frames, it never queues them).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRelay

from media.swap_track import FaceSwapTrack
from models.engine import SourceFace

log = logging.getLogger(__name__)

CHANNEL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEFAULT_CHANNEL = "default"


class NoPublisher(LookupError):
    """Nobody is publishing on the channel (yet)."""


@dataclass
class Channel:
    name: str
    sources: Callable[[], list[SourceFace]]
    token: str | None = None  # a bearer token that WHIP/WHEP/offer on this channel must present
    publisher: FaceSwapTrack | None = None
    publisher_peer: str | None = None
    relay: MediaRelay = field(default_factory=MediaRelay)

    def publish(self, track: FaceSwapTrack, peer_id: str) -> FaceSwapTrack | None:
        """Make `track` the channel's output; returns the track it replaces (the caller stops it)."""
        old = self.publisher
        self.publisher, self.publisher_peer = track, peer_id
        return old

    def unpublish(self, peer_id: str) -> FaceSwapTrack | None:
        if self.publisher_peer != peer_id:
            return None
        old, self.publisher, self.publisher_peer = self.publisher, None, None
        return old

    def subscribe(self) -> MediaStreamTrack:
        if self.publisher is None or self.publisher.readyState != "live":
            raise NoPublisher(f"nobody is publishing on channel {self.name!r}")
        return self.relay.subscribe(self.publisher, buffered=False)


class Channels:
    """Channels by name, created on first use, each with a bounded name."""

    def __init__(self, default_sources: Callable[[], list[SourceFace]], max_channels: int = 64) -> None:
        self._default_sources = default_sources
        self._channels: dict[str, Channel] = {}
        self.max_channels = max_channels

    def get(self, name: str) -> Channel | None:
        return self._channels.get(name)

    def get_or_create(self, name: str) -> Channel:
        if not CHANNEL_NAME.match(name):
            raise ValueError("channel names are 1-64 letters, digits, '-' or '_'")
        channel = self._channels.get(name)
        if channel is None:
            if len(self._channels) >= self.max_channels:
                self._forget_idle()
            if len(self._channels) >= self.max_channels:
                raise OverflowError(f"too many channels (limit {self.max_channels})")
            channel = self._channels[name] = Channel(name, self._default_sources)
        return channel

    def add(self, channel: Channel) -> None:
        """Register a channel made elsewhere (API sessions bring their own sources and token)."""
        self._channels[channel.name] = channel

    def remove(self, name: str) -> Channel | None:
        return self._channels.pop(name, None)

    def _forget_idle(self) -> None:
        for name, channel in list(self._channels.items()):
            if channel.publisher is None and channel.token is None:
                del self._channels[name]

    def __len__(self) -> int:
        return len(self._channels)

    def live(self) -> int:
        return sum(1 for c in self._channels.values() if c.publisher is not None)
