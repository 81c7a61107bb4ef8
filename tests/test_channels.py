"""Channel policy and source lifetime as pure code: plain numbers for time, no I/O."""

from __future__ import annotations

import pytest

from media.channels import (
    ANOTHER_USER,
    JUST_TAKEN,
    BadChannelName,
    Channel,
    Member,
    Refused,
    SingleUser,
    Transport,
    check_channel_name,
)
from media.sources import SourceSlot
from testing.fakes import FAKE_SOURCE


def camera(member_id: str, transport: Transport = Transport.WHIP) -> Member:
    return Member(member_id, transport, publishes=True, receives=transport is Transport.OFFER)


def viewer(member_id: str) -> Member:
    return Member(member_id, Transport.WHEP, publishes=False, receives=True)


def channel(policy: SingleUser = SingleUser.TAKEOVER, forget_after: float | None = 300.0) -> Channel:
    return Channel("studio", SourceSlot(forget_after, now=0.0), policy)


# -- single user --------------------------------------------------------------------------------
def test_takeover_replaces_the_publisher_and_returns_it_to_be_closed():
    ch = channel(SingleUser.TAKEOVER)
    first, second = camera("a"), camera("b", Transport.SOCKETIO)
    assert ch.join(first, now=1.0) is None
    assert ch.join(second, now=5.0) is first
    assert ch.publisher == "b" and set(ch.members) == {"b"}


def test_a_publisher_holds_the_channel_a_moment_before_it_can_be_taken_over():
    """A reconnect storm (each client coming back as soon as it is taken over) cannot keep the
    channel changing hands: each publisher holds it for the grace period."""
    ch = channel(SingleUser.TAKEOVER)
    ch.join(camera("a"), now=10.0)
    with pytest.raises(Refused, match=JUST_TAKEN):
        ch.join(camera("b"), now=11.9)
    assert ch.join(camera("b"), now=12.1) is not None


def test_reject_refuses_a_second_publisher_until_the_first_leaves():
    ch = channel(SingleUser.REJECT)
    ch.join(camera("a"), now=1.0)
    with pytest.raises(Refused, match=ANOTHER_USER):
        ch.join(camera("b", Transport.OFFER), now=2.0)
    assert ch.publisher == "a"
    ch.leave("a", now=3.0)
    assert ch.join(camera("b", Transport.OFFER), now=4.0) is None
    assert ch.publisher == "b"


def test_viewers_are_never_refused_or_replaced_by_the_single_user_rule():
    ch = channel(SingleUser.REJECT)
    ch.join(camera("a"), now=1.0)
    for n in range(5):
        assert ch.join(viewer(f"v{n}"), now=1.0) is None
    assert ch.publisher == "a" and len(ch.members) == 6


def test_joining_twice_is_a_bug_not_a_takeover():
    ch = channel()
    ch.join(camera("a"), now=1.0)
    with pytest.raises(ValueError):
        ch.join(camera("a"), now=2.0)


# -- who gets frames ------------------------------------------------------------------------------
def test_a_channel_delivers_only_with_a_publisher_and_someone_receiving():
    ch = channel()
    ch.join(camera("whip"), now=0.0)
    assert not ch.delivering, "a WHIP camera nobody watches"
    ch.join(viewer("v"), now=1.0)
    assert ch.delivering
    ch.leave("v", now=2.0)
    assert not ch.delivering, "the last viewer left"
    ch.leave("whip", now=3.0)
    ch.join(viewer("v2"), now=4.0)
    assert not ch.delivering, "a viewer waiting for a publisher"


def test_an_offer_peer_receives_its_own_swapped_camera():
    ch = channel()
    ch.join(camera("me", Transport.OFFER), now=0.0)
    assert ch.delivering


# -- idle ----------------------------------------------------------------------------------------
def test_a_publisher_that_sends_nothing_for_the_idle_timeout_is_idle():
    ch = channel()
    ch.join(camera("a"), now=0.0)
    ch.join(viewer("v"), now=0.0)
    assert ch.idle(now=59.0, timeout=60.0) == []
    ch.touch("a", now=59.0)
    assert ch.idle(now=100.0, timeout=60.0) == []
    assert [m.id for m in ch.idle(now=119.5, timeout=60.0)] == ["a"], "viewers never go idle"


# -- source lifetime ----------------------------------------------------------------------------
def test_the_source_is_kept_while_anyone_holds_it_however_long():
    slot = SourceSlot(forget_after=300.0, now=0.0)
    slot.set([FAKE_SOURCE], now=0.0)
    slot.hold()
    assert not slot.expire(now=10_000.0)
    assert slot.loaded


def test_the_source_is_forgotten_session_timeout_after_the_last_holder_leaves():
    slot = SourceSlot(forget_after=300.0, now=0.0)
    slot.set([FAKE_SOURCE], now=0.0)
    slot.hold()
    slot.hold()
    slot.release(now=1000.0)
    assert not slot.expire(now=2000.0), "one holder is still there"
    slot.release(now=2000.0)
    assert not slot.expire(now=2299.0)
    assert slot.expire(now=2301.0)
    assert not slot.loaded


def test_an_upload_nobody_uses_is_forgotten_session_timeout_after_the_upload():
    slot = SourceSlot(forget_after=300.0, now=0.0)
    slot.set([FAKE_SOURCE], now=500.0)
    assert not slot.expire(now=799.0)
    assert slot.expire(now=801.0)


def test_a_slot_without_a_timeout_keeps_its_faces_until_cleared():
    slot = SourceSlot(forget_after=None, now=0.0)
    slot.set([FAKE_SOURCE], now=0.0)
    assert not slot.expire(now=1e9)
    slot.clear(now=1e9)
    assert not slot.loaded


def test_leaving_a_channel_releases_its_source():
    ch = channel(forget_after=10.0)
    ch.sources.set([FAKE_SOURCE], now=0.0)
    ch.join(camera("a"), now=0.0)
    ch.join(viewer("v"), now=0.0)
    assert ch.sources.holders == 2
    ch.join(camera("b"), now=5.0)  # takes over from "a": still two holders
    assert ch.sources.holders == 2
    ch.leave("b", now=6.0)
    ch.leave("v", now=7.0)
    assert ch.sources.holders == 0 and ch.sources.unused_for(now=9.0) == 2.0


def test_listeners_hear_every_change():
    slot = SourceSlot(forget_after=1.0, now=0.0)
    heard: list[int] = []
    slot.on_change(lambda faces: heard.append(len(faces)))
    slot.set([FAKE_SOURCE], now=0.0)
    slot.expire(now=5.0)
    assert heard == [1, 0]


@pytest.mark.parametrize("name", ["", "a/b", "../etc", "x" * 65, "sp ace", 7])
def test_channel_names_are_bounded_and_plain(name):
    with pytest.raises(BadChannelName):
        check_channel_name(name)
    assert check_channel_name("Studio_1-b") == "Studio_1-b"
