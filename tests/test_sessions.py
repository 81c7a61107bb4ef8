"""The session service with a fake clock and fake connections: takeover, reject, idle members,
source lifetime across transports, channels. No sockets, no sleeps."""

from __future__ import annotations

import pytest

from media.channels import TAKEN_OVER, Member, Refused, SingleUser, Transport
from media.sessions import NoSuchChannel, SessionPolicy, Sessions, TooManyChannels
from testing.fakes import FAKE_SOURCE, FakeClock


class Connection:
    """What a transport hands the session service: a way to close it, which records the reason."""

    def __init__(self, sessions: Sessions, member: Member) -> None:
        self.sessions = sessions
        self.member = member
        self.closed_with: str | None = None

    async def close(self, why: str) -> None:
        self.closed_with = why
        self.sessions.leave(self.member.id)  # as every transport does when its connection ends


def policy(**changes) -> SessionPolicy:
    base = {"single_user": SingleUser.TAKEOVER, "idle_timeout": 60.0, "session_timeout": 300.0}
    return SessionPolicy(**{**base, **changes})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def join(sessions: Sessions, channel: str, member_id: str, transport: Transport,
               publishes: bool = True, receives: bool = True) -> Connection:
    conn = Connection(sessions, Member(member_id, transport, publishes, receives))
    await sessions.join(sessions.channel_for(channel, create=True), conn.member, conn.close)
    return conn


async def test_a_webrtc_stream_longer_than_the_session_timeout_keeps_its_source(clock):
    """The five-minute bug: the source must outlive --session-timeout while someone streams."""
    sessions = Sessions(policy(session_timeout=300.0), clock)
    sessions.uploads.set([FAKE_SOURCE], clock())
    camera = await join(sessions, "default", "pc1", Transport.OFFER)
    for _ in range(60):  # an hour, a frame every few seconds and a reap every minute
        clock.advance(60)
        sessions.touch(camera.member.id)
        await sessions.reap()
    assert sessions.uploads.loaded and camera.closed_with is None


@pytest.mark.parametrize("transport", [Transport.SOCKETIO, Transport.WS, Transport.OFFER, Transport.WHIP])
async def test_the_source_is_forgotten_session_timeout_after_the_last_user_of_any_transport(clock, transport):
    sessions = Sessions(policy(session_timeout=300.0, idle_timeout=1e6), clock)
    sessions.uploads.set([FAKE_SOURCE], clock())
    user = await join(sessions, "default", "u1", transport)
    clock.advance(1000)
    await sessions.reap()
    assert sessions.uploads.loaded
    await user.close("bye")
    clock.advance(299)
    await sessions.reap()
    assert sessions.uploads.loaded
    clock.advance(2)
    await sessions.reap()
    assert not sessions.uploads.loaded


async def test_a_viewer_on_another_channel_keeps_the_uploaded_face_too(clock):
    """/whip/studio and the OBS player use the uploaded face as much as the demo page does."""
    sessions = Sessions(policy(session_timeout=10.0), clock)
    sessions.uploads.set([FAKE_SOURCE], clock())
    await join(sessions, "studio", "viewer", Transport.WHEP, publishes=False)
    clock.advance(100)
    await sessions.reap()
    assert sessions.uploads.loaded


async def test_takeover_across_transports_closes_the_old_publisher_with_a_reason(clock):
    sessions = Sessions(policy(), clock)
    socket_user = await join(sessions, "default", "sio-1", Transport.SOCKETIO)
    clock.advance(5)
    camera = await join(sessions, "default", "pc-1", Transport.OFFER)
    assert socket_user.closed_with == TAKEN_OVER
    assert camera.closed_with is None
    assert sessions.count() == 1 and sessions.publishing("default")


async def test_reject_refuses_a_webrtc_publisher_while_a_socket_user_is_active(clock):
    sessions = Sessions(policy(single_user=SingleUser.REJECT), clock)
    await join(sessions, "default", "sio-1", Transport.SOCKETIO)
    with pytest.raises(Refused):
        await join(sessions, "default", "pc-1", Transport.OFFER)
    assert sessions.count() == 1


async def test_idle_publishers_are_closed_and_active_ones_kept(clock):
    sessions = Sessions(policy(idle_timeout=60.0), clock)
    quiet = await join(sessions, "a", "quiet", Transport.WHIP, receives=False)
    busy = await join(sessions, "b", "busy", Transport.SOCKETIO)
    watcher = await join(sessions, "a", "watcher", Transport.WHEP, publishes=False)
    for _ in range(4):
        clock.advance(20)
        sessions.touch("busy")
        await sessions.reap()
    assert quiet.closed_with is not None and "60 s without activity" in quiet.closed_with
    assert busy.closed_with is None and watcher.closed_with is None
    assert sessions.count() == 2


async def test_empty_channels_are_forgotten_and_pinned_ones_kept(clock):
    sessions = Sessions(policy(), clock)
    user = await join(sessions, "adhoc", "u", Transport.WHIP)
    sessions.open_channel("api-ch", token="t")
    await user.close("bye")
    await sessions.reap()
    assert sessions.channel("adhoc") is None
    assert sessions.channel("api-ch") is not None
    with pytest.raises(NoSuchChannel):
        sessions.channel_for("adhoc", create=False)


async def test_closing_a_channel_closes_everyone_on_it(clock):
    sessions = Sessions(policy(), clock)
    ch = sessions.open_channel("api-ch", token="t")
    conns = []
    for i, (transport, publishes) in enumerate([(Transport.OFFER, True), (Transport.WHEP, False),
                                                (Transport.WHEP, False)]):
        conn = Connection(sessions, Member(f"m{i}", transport, publishes, True))
        await sessions.join(ch, conn.member, conn.close)
        conns.append(conn)
    assert await sessions.close_channel("api-ch", "session over") == 3
    assert [c.closed_with for c in conns] == ["session over"] * 3
    assert sessions.count() == 0
    with pytest.raises(Refused):  # a late joiner holding the old channel object
        await sessions.join(ch, Member("late", Transport.WHEP, False, True), Connection(sessions, None).close)


async def test_channels_are_capped(clock):
    sessions = Sessions(policy(max_channels=2), clock)
    await join(sessions, "one", "a", Transport.WHIP)
    await join(sessions, "two", "b", Transport.WHIP)
    with pytest.raises(TooManyChannels):
        sessions.channel_for("three", create=True)


async def test_shutdown_closes_every_member_once(clock):
    sessions = Sessions(policy(), clock)
    users = [await join(sessions, f"c{i}", f"u{i}", Transport.WHIP) for i in range(3)]
    await sessions.close_all("shutting down")
    assert [u.closed_with for u in users] == ["shutting down"] * 3
    await sessions.close_all("again")
    assert [u.closed_with for u in users] == ["shutting down"] * 3


async def test_a_member_with_its_own_limit_goes_idle_by_it(clock):
    """WebRTC publishers are idle after the media timeout, others after the idle timeout."""
    sessions = Sessions(policy(idle_timeout=60.0), clock)
    camera = Connection(sessions, Member("pc", Transport.WHIP, True, False, idle_after=10.0))
    await sessions.join(sessions.channel_for("a", create=True), camera.member, camera.close)
    socket_user = await join(sessions, "b", "sio", Transport.SOCKETIO)
    clock.advance(11)
    await sessions.reap()
    assert camera.closed_with is not None and "10 s" in camera.closed_with
    assert socket_user.closed_with is None


async def test_connection_attempts_from_one_address_are_rate_limited(clock):
    sessions = Sessions(policy(connects_per_10s=5), clock)
    for _ in range(5):
        sessions.admit("10.0.0.1")
    with pytest.raises(Refused, match="Too many connection attempts"):
        sessions.admit("10.0.0.1")
    sessions.admit("10.0.0.2")  # another address is not affected
    clock.advance(10.1)
    sessions.admit("10.0.0.1")
