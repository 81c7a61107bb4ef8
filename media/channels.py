"""Channels: the unit of a live swap, and the policy every transport follows on one.

A channel has source faces, at most one publisher (a camera: an /offer or WHIP connection, or a
Face Swap Live client sending frames), any number of members that receive its swapped video, and
a lifetime. The Face Swap Live dialect's single user and single source are the channel `default`.

Pure: no I/O, no clock. Methods that depend on time take `now`; what must happen as a result
(close a member that was taken over or went idle) is returned for the caller to carry out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from media.sources import SourceSlot

CHANNEL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEFAULT_CHANNEL = "default"

ANOTHER_USER = "Another user is active"
TAKEN_OVER = "Another user connected; this session was taken over"
JUST_TAKEN = "Another user took this channel a moment ago; try again in a few seconds"


class SingleUser(Enum):
    """What happens when a second publisher comes to a channel that has one."""

    TAKEOVER = "takeover"  # the newcomer wins, so a page reload works
    REJECT = "reject"  # the newcomer is refused until the first one leaves


class Transport(Enum):
    SOCKETIO = "socketio"
    WS = "ws"
    OFFER = "offer"
    WHIP = "whip"
    WHEP = "whep"


@dataclass
class Member:
    """One connection's place in a channel."""

    id: str
    transport: Transport
    publishes: bool  # sends camera frames
    receives: bool  # is sent the swapped video (or, on the fallback, the answers)
    idle_after: float | None = None  # its own idle limit, if not the channel's (WebRTC: no media)
    joined_at: float = 0.0
    last_active: float = 0.0  # when its last frame or event arrived


class Refused(Exception):
    """A member may not join; the message is shown to the client."""


class BadChannelName(ValueError):
    pass


@dataclass
class Channel:
    name: str
    sources: SourceSlot
    single_user: SingleUser = SingleUser.TAKEOVER
    # A publisher holds the channel at least this long before a newcomer can take it over: clients
    # that reconnect as soon as they are taken over cannot keep everyone from streaming.
    takeover_grace: float = 2.0
    token: str | None = None  # bearer token that WebRTC clients of this channel must present
    pinned: bool = False  # kept while empty (a live API session's channel); others go when empty
    members: dict[str, Member] = field(default_factory=dict)
    publisher: str | None = None  # member id

    def join(self, member: Member, now: float) -> Member | None:
        """Admit `member`; returns the publisher it replaces (the caller closes it).

        Raises Refused when it would publish on a channel that has a publisher and the policy is
        `reject`, or under `takeover` when that publisher joined less than `takeover_grace` ago.
        Members that only receive are never refused here (connection caps are elsewhere).
        """
        if member.id in self.members:
            raise ValueError(f"member {member.id} joined twice")
        replaced = None
        if member.publishes and self.publisher is not None:
            if self.single_user is SingleUser.REJECT:
                raise Refused(ANOTHER_USER)
            if now - self.members[self.publisher].joined_at < self.takeover_grace:
                raise Refused(JUST_TAKEN)
            replaced = self.leave(self.publisher, now)
        member.joined_at = member.last_active = now
        self.members[member.id] = member
        self.sources.hold()
        if member.publishes:
            self.publisher = member.id
        return replaced

    def leave(self, member_id: str, now: float) -> Member | None:
        """Forget a member (idempotent); returns it if it was here."""
        member = self.members.pop(member_id, None)
        if member is None:
            return None
        if self.publisher == member_id:
            self.publisher = None
        self.sources.release(now)
        return member

    def touch(self, member_id: str, now: float) -> None:
        member = self.members.get(member_id)
        if member is not None:
            member.last_active = now

    def idle(self, now: float, timeout: float) -> list[Member]:
        """Publishers that sent nothing for longer than their limit (`timeout` unless they have their
        own). Members that only receive are kept alive by their transport (ICE consent)."""
        return [m for m in self.members.values()
                if m.publishes and now - m.last_active > (m.idle_after or timeout)]

    @property
    def delivering(self) -> bool:
        """Whether the publisher's frames go anywhere: the engine works only for such a channel."""
        return self.publisher is not None and any(m.receives for m in self.members.values())

    @property
    def empty(self) -> bool:
        return not self.members


def check_channel_name(name: object) -> str:
    if not isinstance(name, str) or not CHANNEL_NAME.match(name):
        raise BadChannelName("channel names are 1-64 letters, digits, '-' or '_'")
    return name
