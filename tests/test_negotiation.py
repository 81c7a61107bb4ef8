"""The pure parts of WebRTC signaling: roles, SDP checks, bearer tokens. No server, no peers."""

from __future__ import annotations

import pytest

from media.channels import Transport
from signaling.webrtc.negotiation import (
    MAX_SDP_BYTES,
    Role,
    SignalingError,
    bearer,
    check_offer_sdp,
    check_token,
)

VIDEO_OFFER = ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
               "a=rtpmap:96 VP8/90000\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
               "a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\n")


def test_roles_say_who_publishes_and_who_receives():
    assert (Role.OFFER.publishes, Role.OFFER.receives) == (True, True)
    assert (Role.WHIP.publishes, Role.WHIP.receives) == (True, False)
    assert (Role.WHEP.publishes, Role.WHEP.receives) == (False, True)
    assert Role.WHEP.transport is Transport.WHEP


@pytest.mark.parametrize("sdp, status, why", [
    (None, 400, "no SDP"),
    ("   ", 400, "no SDP"),
    ("hello", 400, "v=0"),
    ("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", 400, "no video"),
    ("v=0\r\n" + "a=x\r\n" * (MAX_SDP_BYTES // 5), 413, "larger"),
])
def test_offers_that_cannot_be_used_are_refused_with_the_reason(sdp, status, why):
    with pytest.raises(SignalingError) as caught:
        check_offer_sdp(sdp)
    assert caught.value.status == status and why in caught.value.reason


def test_a_plausible_video_offer_passes():
    assert check_offer_sdp(VIDEO_OFFER) == VIDEO_OFFER


@pytest.mark.parametrize("header, token", [
    ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), ("", None),
])
def test_bearer_tokens_are_read_from_the_header(header, token):
    assert bearer(header) == token


def test_a_channel_token_is_required_and_compared():
    check_token(None, None)  # an open channel
    with pytest.raises(SignalingError) as missing:
        check_token("s3cret", None)
    assert missing.value.status == 401
    with pytest.raises(SignalingError) as wrong:
        check_token("s3cret", "guess")
    assert wrong.value.status == 403
    check_token("s3cret", "s3cret")


@pytest.mark.parametrize("line, why", [
    ("m=video 0\x00 UDP/TLS/RTP/SAVPF 96", "control characters"),
    ("m=video nine UDP/TLS/RTP/SAVPF 96", "m= line"),
    ("m=video 9 UDP/TLS/RTP/SAVPF vp8", "payload type numbers"),
    ("a=rtpmap:x VP8/90000", "a=rtpmap"),
    ("a=setup:sometimes", "a=setup"),
    ("hello", "<letter>=<value>"),
])
def test_sdp_faults_are_described_by_line_in_the_clients_terms(line, why):
    lines = VIDEO_OFFER.split("\r\n")
    lines.insert(5, line)
    with pytest.raises(SignalingError) as caught:
        check_offer_sdp("\r\n".join(lines))
    assert why in caught.value.reason and "line 6" in caught.value.reason, caught.value.reason


def test_an_offer_without_ice_credentials_or_fingerprint_says_so():
    bare = "v=0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    with pytest.raises(SignalingError, match="a=ice-ufrag, a=ice-pwd, a=fingerprint"):
        check_offer_sdp(bare)
