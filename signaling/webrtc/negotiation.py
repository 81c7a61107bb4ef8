"""Offer/answer for the three WebRTC endpoints, apart from HTTP: roles, checks, tokens, codecs.

The HTTP views (endpoints.py) turn a request into an `OfferRequest`; everything here is testable
without a server.
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass
from enum import Enum

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from media.aiortc_patches.dtls_role import answer_as_dtls_server
from media.channels import Transport

log = logging.getLogger(__name__)

MAX_SDP_BYTES = 64 * 1024


class Role(Enum):
    OFFER = "offer"  # camera in, swapped video back on the same connection
    WHIP = "whip"  # camera in
    WHEP = "whep"  # swapped video out

    @property
    def publishes(self) -> bool:
        return self is not Role.WHEP

    @property
    def receives(self) -> bool:
        return self is not Role.WHIP

    @property
    def transport(self) -> Transport:
        return Transport(self.value)


class SignalingError(Exception):
    """An offer cannot be answered; `status` is the HTTP status, `reason` what the client is told."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class OfferRequest:
    role: Role
    channel: str
    sdp: str
    token: str | None  # the bearer token presented, if any
    address: str = ""  # the client's address, for the per-address limits


SDP_LINE = re.compile(r"^[a-z]=")
M_LINE = re.compile(r"^m=(\S+) (\d{1,5})(?:/\d+)? (\S+)((?: \S+)+)$")
RTPMAP = re.compile(r"^a=rtpmap:(\d{1,3}) [^/\s]+/\d+(?:/\d+)?$")
SETUP_VALUES = ("actpass", "active", "passive")
# What aiortc 1.16 raises for an offer it parsed but cannot answer; anything else is our bug.
OFFER_FAULTS = (ValueError, AttributeError, KeyError, IndexError, TypeError)


def check_offer_sdp(sdp: object) -> str:
    """The offer's SDP if it is plausibly one with video; SignalingError(400) saying why not."""
    if not isinstance(sdp, str) or not sdp.strip():
        raise SignalingError(400, "the offer has no SDP")
    if len(sdp) > MAX_SDP_BYTES:
        raise SignalingError(413, f"the SDP is larger than {MAX_SDP_BYTES} bytes")
    if not sdp.lstrip().startswith("v=0"):
        raise SignalingError(400, "malformed SDP: it must start with v=0")
    if "\nm=video " not in sdp.replace("\r\n", "\n"):
        raise SignalingError(400, "the offer has no video (m=video) section")
    problem = sdp_problem(sdp)
    if problem is not None:
        raise SignalingError(400, f"malformed SDP offer: {problem}")
    return sdp


def sdp_problem(sdp: str) -> str | None:
    """What is wrong with an offer's SDP, in the terms of RFC 8866 and WebRTC, or None.

    Catches what aiortc's parser would otherwise fail on with a Python error, so the client is told
    which line is wrong rather than a traceback's last words.
    """
    lines = sdp.replace("\r\n", "\n").split("\n")
    session, media = True, 0
    found = {"ice-ufrag": False, "ice-pwd": False, "fingerprint": False}
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        if any(ord(c) < 32 and c != "\t" for c in line):
            return f"line {number} contains control characters"
        if not SDP_LINE.match(line):
            return f"line {number} is not of the form <letter>=<value>"
        if line.startswith("m="):
            session, media = False, media + 1
            if not M_LINE.match(line):
                return f"line {number}: an m= line is 'm=<media> <port> <protocol> <formats>'"
            if line.startswith("m=video ") and not all(f.isdigit() for f in line.split()[3:]):
                return f"line {number}: video formats must be RTP payload type numbers"
        elif line.startswith("a=rtpmap:") and not RTPMAP.match(line):
            return f"line {number}: a=rtpmap is 'a=rtpmap:<payload type> <codec>/<clock rate>'"
        elif line.startswith("a=setup:") and line[8:] not in SETUP_VALUES:
            return f"line {number}: a=setup must be one of {', '.join(SETUP_VALUES)}"
        for key in found:
            if line.startswith(f"a={key}:") and line[len(key) + 3:].strip():
                found[key] = True
        if session and line.startswith("m="):
            session = False
    if media == 0:
        return "the offer has no media sections"
    missing = [f"a={k}" for k, present in found.items() if not present]
    if missing:
        return f"the offer lacks {', '.join(missing)} (ICE credentials and a DTLS fingerprint are required)"
    return None


def bearer(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value (tokens are printable ASCII;
    anything else is kept as given, and matches no token)."""
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def check_token(expected: str | None, given: str | None) -> None:
    """A channel with a token (or a server with a stream token) needs it as a bearer token."""
    if not expected:
        return
    if given is None:
        raise SignalingError(401, "this channel needs Authorization: Bearer <token>")
    if not given.isascii() or not hmac.compare_digest(given.encode(), expected.encode()):
        raise SignalingError(403, "the token does not open this channel")


# What --video-codec auto prefers: H.264 at x264's ultrafast preset costs 3.1 ms of CPU a 720p frame
# against VP8's 7.6 ms, at the same quality (media/aiortc_patches/encoders.py, bench.codecs).
CHEAPEST_CODEC = "h264"


def prefer_codec(pc: RTCPeerConnection, codec: str) -> None:
    """Put `codec` (h264 or vp8; auto: the cheaper one) first for the offer's video; `offer` keeps the
    offerer's order.

    aiortc settles the codecs while it applies the remote offer, reusing a video transceiver
    that exists already: so one is made beforehand, carrying the preference. Call it before
    setRemoteDescription. The answer's direction still follows the offer's.
    """
    if codec == "offer":
        return
    if codec == "auto":
        codec = CHEAPEST_CODEC
    caps = RTCRtpSender.getCapabilities("video").codecs
    first = [c for c in caps if c.mimeType.lower() == f"video/{codec}"]
    rest = [c for c in caps if c not in first]
    pc.addTransceiver("video", direction="sendrecv").setCodecPreferences(first + rest)


async def negotiate(pc: RTCPeerConnection, sdp: str, codec: str,
                    outgoing: MediaStreamTrack | None = None) -> str:
    """Apply the offer, add `outgoing` (if any) and return the answer's SDP."""
    prefer_codec(pc, codec)
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
    except Exception as exc:  # aiortc's SDP parser raises assorted errors for input it cannot use
        log.info("unusable SDP offer: %s: %s", type(exc).__name__, exc)
        raise SignalingError(400, "the SDP offer could not be used: check its media sections, codecs, "
                                  "ICE credentials and DTLS fingerprint") from None
    answer_as_dtls_server(pc)
    if outgoing is not None:
        pc.addTrack(outgoing)
    try:
        await pc.setLocalDescription(await pc.createAnswer())
    except OFFER_FAULTS as exc:  # an offer aiortc accepted but cannot answer (odd bundles, mids)
        log.info("cannot answer an SDP offer: %s: %s", type(exc).__name__, exc)
        raise SignalingError(400, "the SDP offer could not be answered: check its media sections, "
                                  "mids and BUNDLE group") from None
    return pc.localDescription.sdp


def sends_video(pc: RTCPeerConnection) -> bool:
    return any(t.sender.track for t in pc.getTransceivers() if t.kind == "video")
