"""Whether an encoded video frame is a keyframe, read from its RTP payloads (pure; no I/O).

A viewer that joins a shared encode midway, or falls behind and skips frames, can only start again
at a keyframe: the fan-out needs to know which frames are. aiortc's encoders return RTP payloads
and no flag, and a keyframe is not only one that was asked for (an H.264 encoder restarts with one
when the bitrate changes), so the payloads are read: VP8's payload header (RFC 7741) and H.264's
NAL unit types (RFC 6184: single NAL units, STAP-A aggregates, FU-A fragments).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

H264_IDR = 5
H264_STAP_A = 24
H264_FU_A = 28


def is_keyframe(mime_type: str, payloads: Sequence[bytes]) -> bool:
    """True when the frame whose RTP payloads these are can be decoded on its own."""
    kind = mime_type.lower()
    if not payloads:
        return False
    if kind == "video/vp8":
        return vp8_is_keyframe(payloads[0])
    if kind == "video/h264":
        return any(nal_type == H264_IDR for payload in payloads for nal_type in h264_nal_types(payload))
    return False


def vp8_is_keyframe(payload: bytes) -> bool:
    """The first packet of a VP8 frame: its descriptor, then the frame tag whose P bit is 0 on keyframes."""
    if len(payload) < 1:
        return False
    first = payload[0]
    start_of_partition, partition = first & 0x10, first & 0x07
    if not start_of_partition or partition != 0:
        return False
    at = 1
    if first & 0x80:  # X: an extension byte follows
        if len(payload) <= at:
            return False
        extension = payload[at]
        at += 1
        if extension & 0x80:  # I: a picture id, 15 bits when its first bit is set
            if len(payload) <= at:
                return False
            at += 2 if payload[at] & 0x80 else 1
        if extension & 0x40:  # L: TL0PICIDX
            at += 1
        if extension & 0x30:  # T or K: one byte for both
            at += 1
    return len(payload) > at and payload[at] & 0x01 == 0


def h264_nal_types(payload: bytes) -> Iterator[int]:
    """The NAL unit types an H.264 RTP payload carries (a fragment's only at its start)."""
    if not payload:
        return
    nal_type = payload[0] & 0x1F
    if nal_type == H264_STAP_A:
        at = 1
        while at + 2 < len(payload):
            size = int.from_bytes(payload[at : at + 2], "big")
            if size == 0 or at + 2 + size > len(payload):
                return
            yield payload[at + 2] & 0x1F
            at += 2 + size
    elif nal_type == H264_FU_A:
        if len(payload) > 1 and payload[1] & 0x80:  # S: the fragment that starts the unit
            yield payload[1] & 0x1F
    else:
        yield nal_type
