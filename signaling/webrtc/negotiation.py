"""Offer/answer for the three WebRTC endpoints, apart from HTTP: roles, checks, tokens, codecs.

The HTTP views (endpoints.py) turn a request into an `OfferRequest`; everything here is testable
without a server.
"""

from __future__ import annotations

import hmac
import logging
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
    return sdp


def bearer(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value."""
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def check_token(expected: str | None, given: str | None) -> None:
    """A channel with a token (or a server with a stream token) needs it as a bearer token."""
    if not expected:
        return
    if given is None:
        raise SignalingError(401, "this channel needs Authorization: Bearer <token>")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise SignalingError(403, "the token does not open this channel")


def prefer_codec(pc: RTCPeerConnection, codec: str) -> None:
    """Put `codec` (h264 or vp8) first for the offer's video; `auto` keeps the offerer's order.

    aiortc settles the codecs while it applies the remote offer, reusing a video transceiver
    that exists already: so one is made beforehand, carrying the preference. Call it before
    setRemoteDescription. The answer's direction still follows the offer's.
    """
    if codec == "auto":
        return
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
        raise SignalingError(400, "malformed or unusable SDP offer") from None
    answer_as_dtls_server(pc)
    if outgoing is not None:
        pc.addTrack(outgoing)
    await pc.setLocalDescription(await pc.createAnswer())
    return pc.localDescription.sdp


def sends_video(pc: RTCPeerConnection) -> bool:
    return any(t.sender.track for t in pc.getTransceivers() if t.kind == "video")
