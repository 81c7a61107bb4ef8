"""Senders that send frames encoded elsewhere: the one place that reaches into aiortc's RTCRtpSender
for the shared encode (media/shared_encoding.py).

aiortc 1.16 gives every RTCRtpSender its own encoder: twenty viewers of one picture are twenty
encodes of it. It has no API to hand a sender frames that are already encoded for its codec (its
`pack` path takes container packets and re-splits them per sender). The sender does everything
else a viewer needs on its own: sequence numbers, SSRC, timestamps offset by its own origin, RTX
history, RTCP. So the hook is three methods of RTCRtpSender, changed only for senders whose track
is a `PreEncodedTrack`; every other sender runs aiortc's code unchanged:

- `_next_encoded_frame`: take the next frame from the track's shared encoder instead of encoding;
- `_send_keyframe` (a PLI or FIR from this viewer): ask the shared encoder for a keyframe;
- `_handle_rtcp_packet`: pass this viewer's REMB estimate to the shared encoder, since the sender
  has no encoder of its own to set it on.
"""

from __future__ import annotations

from typing import Any

from aiortc import MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import RTCEncodedFrame, RTCRtpSender
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, unpack_remb_fci

from media.fanout import EncodedFrame


class PreEncodedTrack(MediaStreamTrack):
    """A video track whose frames arrive encoded for the sender's codec."""

    kind = "video"

    async def next_encoded(self, codec: RTCRtpCodecParameters) -> EncodedFrame:
        """The next frame to send (MediaStreamError when the track has ended)."""
        raise NotImplementedError

    def request_keyframe(self) -> None:
        raise NotImplementedError

    def report_bitrate(self, bps: int) -> None:
        raise NotImplementedError


_ORIGINAL: dict[str, Any] = {}


async def _next_encoded_frame(self: RTCRtpSender, codec: RTCRtpCodecParameters) -> RTCEncodedFrame | None:
    track = self.track
    if not isinstance(track, PreEncodedTrack):
        return await _ORIGINAL["_next_encoded_frame"](self, codec)
    frame = await track.next_encoded(codec)
    if not self._enabled:
        return None
    return RTCEncodedFrame(list(frame.payloads), frame.timestamp, None)


def _send_keyframe(self: RTCRtpSender) -> None:
    _ORIGINAL["_send_keyframe"](self)
    if isinstance(self.track, PreEncodedTrack):
        self.track.request_keyframe()


async def _handle_rtcp_packet(self: RTCRtpSender, packet: Any) -> None:
    await _ORIGINAL["_handle_rtcp_packet"](self, packet)
    track = self.track
    remb = isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP
    if isinstance(track, PreEncodedTrack) and remb:
        try:
            bitrate, ssrcs = unpack_remb_fci(packet.fci)
        except ValueError:
            return
        if self._ssrc in ssrcs:
            track.report_bitrate(bitrate)


def install() -> None:
    """Make RTCRtpSender send a PreEncodedTrack's frames as they are (idempotent)."""
    if _ORIGINAL:
        return
    replacements = {"_next_encoded_frame": _next_encoded_frame, "_send_keyframe": _send_keyframe,
                    "_handle_rtcp_packet": _handle_rtcp_packet}
    for name, replacement in replacements.items():
        _ORIGINAL[name] = getattr(RTCRtpSender, name)
        setattr(RTCRtpSender, name, replacement)
