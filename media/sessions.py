"""Every connection of every transport is a member of a channel, joined and left here.

Socket.IO, /ws, /offer, WHIP and WHEP connections join a channel when they start and leave it when
they end; a live API session opens its own channel. The channel decides (single user, who is idle,
whether anyone receives); this module carries the decisions out: it closes members that were taken
over or went idle through the close callback their transport gave, and forgets source faces nobody
has used for `session_timeout`. `reap(now)` is the only place time passes; the app calls it
periodically, tests call it with the times they want.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from media.channels import (
    TAKEN_OVER,
    Channel,
    Member,
    Refused,
    SingleUser,
    Transport,
    check_channel_name,
)
from media.rate import AddressLimiter
from media.sources import SourceSlot

log = logging.getLogger(__name__)

Closer = Callable[[str], Awaitable[None]]  # close this connection, telling the client why
CHANNEL_CLOSED = "This channel has closed"
TOO_MANY_CONNECTS = "Too many connection attempts from your address; try again in a few seconds"


class NoSuchChannel(LookupError):
    pass


class TooManyChannels(RuntimeError):
    pass


class ReservedChannel(PermissionError):
    """The name belongs to live API sessions: only an open session's channel may be joined."""


# Channels of live API sessions are named ch_<hex>. The prefix is never given to an ad-hoc channel,
# so a session's channel cannot be taken over by a stranger once the session has ended, whether the
# server restarted meanwhile or not, and an old player_url token finds nothing to open.
SESSION_CHANNEL_PREFIX = "ch_"


@dataclass(frozen=True)
class SessionPolicy:
    single_user: SingleUser = SingleUser.TAKEOVER
    idle_timeout: float = 60.0  # a publisher sending nothing this long is disconnected
    session_timeout: float = 300.0  # uploaded faces nobody uses this long are forgotten
    media_timeout: float = 10.0  # a WebRTC publisher whose video stops this long has vanished
    max_channels: int = 64
    connects_per_10s: int = 20  # connection attempts from one address, every transport together
    takeover_grace: float = 2.0  # see Channel.takeover_grace


class Sessions:
    def __init__(self, policy: SessionPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        # The uploaded face (POST /upload_source): the source of channel `default` and of every
        # channel that has none of its own (e.g. /whip/studio), kept while any of them is used.
        self.uploads = SourceSlot(policy.session_timeout, clock())
        self._channels: dict[str, Channel] = {}
        self._members: dict[str, tuple[Channel, Closer]] = {}
        self._connects = AddressLimiter(policy.connects_per_10s, 10.0)

    def now(self) -> float:
        return self._clock()

    def admit(self, address: str) -> None:
        """A connection attempt from `address`; Refused when it makes too many (every transport)."""
        if not self._connects.allow(address, self.now()):
            raise Refused(TOO_MANY_CONNECTS)

    # -- channels --------------------------------------------------------------------------------
    def channel(self, name: str) -> Channel | None:
        return self._channels.get(name)

    def channel_for(self, name: object, create: bool) -> Channel:
        """The channel called `name`; a new one sharing the uploaded face when `create`.

        Raises BadChannelName, NoSuchChannel, ReservedChannel or TooManyChannels.
        """
        name = check_channel_name(name)
        channel = self._channels.get(name)
        if channel is not None:
            return channel
        if not create:
            raise NoSuchChannel(f"no channel {name!r}")
        if name.startswith(SESSION_CHANNEL_PREFIX):
            raise ReservedChannel(f"channel {name!r} belongs to a live API session that is not open")
        self._forget_empty()
        if len(self._channels) >= self.policy.max_channels:
            raise TooManyChannels(f"too many channels (limit {self.policy.max_channels})")
        channel = self._channels[name] = Channel(name, self.uploads, self.policy.single_user,
                                                 self.policy.takeover_grace)
        return channel

    def open_channel(self, name: str, token: str) -> Channel:
        """A channel with its own source faces and token, kept until `close_channel` (API sessions)."""
        channel = Channel(name, SourceSlot(None, self.now()), self.policy.single_user,
                          self.policy.takeover_grace, token, pinned=True)
        self._channels[name] = channel
        return channel

    async def close_channel(self, name: str, reason: str = CHANNEL_CLOSED) -> int:
        """Remove a channel and close every connection on it; returns how many were closed."""
        channel = self._channels.pop(name, None)
        if channel is None:
            return 0
        ids = list(channel.members)
        for member_id in ids:
            await self._close(member_id, reason)
        return len(ids)

    def _forget_empty(self) -> None:
        for name, channel in list(self._channels.items()):
            if channel.empty and not channel.pinned:
                del self._channels[name]

    # -- members ---------------------------------------------------------------------------------
    async def join(self, channel: Channel, member: Member, close: Closer) -> None:
        """Make `member` part of `channel`. Raises Refused (single-user `reject`, or the channel has
        closed meanwhile); a publisher it takes over from is closed with a message saying so."""
        registered = self._channels.get(channel.name)
        if registered is not channel:
            if channel.pinned or registered is not None:
                raise Refused(CHANNEL_CLOSED)
            self._channels[channel.name] = channel  # an empty ad-hoc channel forgotten meanwhile
        replaced = channel.join(member, self.now())
        self._members[member.id] = (channel, close)
        log.info("%s %s joined channel %s%s", member.transport.value, member.id[:8], channel.name,
                 " as its publisher" if member.publishes else "")
        if replaced is not None:
            log.info("channel %s: %s %s takes over from %s %s", channel.name, member.transport.value,
                     member.id[:8], replaced.transport.value, replaced.id[:8])
            found = self._members.pop(replaced.id, None)
            if found is not None:
                await self._run_closer(replaced, TAKEN_OVER, found[1])

    def leave(self, member_id: str) -> None:
        """The connection has ended (idempotent)."""
        found = self._members.pop(member_id, None)
        if found is None:
            return
        channel = found[0]
        member = channel.leave(member_id, self.now())
        if member is not None:
            log.info("%s %s left channel %s", member.transport.value, member_id[:8], channel.name)

    def touch(self, member_id: str) -> None:
        """A frame or event arrived from this member."""
        found = self._members.get(member_id)
        if found is not None:
            found[0].touch(member_id, self.now())

    def channel_of(self, member_id: str) -> Channel | None:
        found = self._members.get(member_id)
        return found[0] if found else None

    async def _close(self, member_id: str, reason: str) -> None:
        found = self._members.get(member_id)
        if found is None:
            return
        member = found[0].members.get(member_id)
        self.leave(member_id)
        if member is not None:
            await self._run_closer(member, reason, found[1])

    async def _run_closer(self, member: Member, reason: str, close: Closer) -> None:
        try:
            await close(reason)
        except Exception:
            log.exception("closing %s %s failed", member.transport.value, member.id[:8])

    async def close_members(self, channel: Channel, transport: Transport, reason: str) -> int:
        ids = [m.id for m in channel.members.values() if m.transport is transport]
        for member_id in ids:
            await self._close(member_id, reason)
        return len(ids)

    async def close_all(self, reason: str) -> None:
        for member_id in list(self._members):
            await self._close(member_id, reason)

    # -- time ------------------------------------------------------------------------------------
    async def reap(self, now: float | None = None) -> None:
        """Disconnect idle publishers, forget channels nobody is on and faces nobody has used."""
        now = self.now() if now is None else now
        idle_limit = self.policy.idle_timeout
        for channel in list(self._channels.values()):
            for member in channel.idle(now, idle_limit):
                limit = member.idle_after or idle_limit
                log.info("%s %s idle for %.0f s: disconnecting", member.transport.value, member.id[:8],
                         now - member.last_active)
                await self._close(member.id, f"Disconnected after {limit:g} s without activity")
        self._forget_empty()
        slots = {id(c.sources): c.sources for c in self._channels.values()}
        slots[id(self.uploads)] = self.uploads
        for slot in slots.values():
            unused = slot.unused_for(now)
            if slot.expire(now):
                log.info("source face forgotten: nobody used it for %.0f s", unused)

    # -- figures ---------------------------------------------------------------------------------
    def count(self, transport: Transport | None = None) -> int:
        return sum(1 for c in self._channels.values() for m in c.members.values()
                   if transport in (None, m.transport))

    def publishing(self, name: str) -> bool:
        channel = self._channels.get(name)
        return channel is not None and channel.publisher is not None

    def live_channels(self) -> int:
        return sum(1 for c in self._channels.values() if c.publisher is not None)
