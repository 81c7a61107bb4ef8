"""The video bitrate aiortc's encoders aim for: the one place that reaches into aiortc for it.

aiortc 1.16 starts VP8 at 500 kbps and clamps it to at most 1.5 Mbps (H.264: 1 / 3 Mbps), whatever
the receiver's bandwidth estimate (REMB) says: 720p30 of a face at 500 kbps is a smear. aiortc has
no API for this; its encoders read the module constants DEFAULT_BITRATE (the start value) and
MAX_BITRATE (the clamp for REMB updates) each time they are used, so setting those two constants is
the narrowest hook there is. Receivers can still lower the rate through REMB, down to MIN_BITRATE.
"""

from __future__ import annotations

from aiortc.codecs import h264, vpx

_ORIGINAL = {m: (m.DEFAULT_BITRATE, m.MAX_BITRATE) for m in (vpx, h264)}


def configure_video_bitrate(target_bps: int) -> None:
    """Start every new VP8/H.264 encoder at `target_bps` and let REMB raise it up to twice that."""
    for module, (_, original_max) in _ORIGINAL.items():
        module.DEFAULT_BITRATE = target_bps
        module.MAX_BITRATE = max(original_max, 2 * target_bps)


def restore_video_bitrate() -> None:
    """aiortc's own values again (tests that changed them put them back)."""
    for module, (default, maximum) in _ORIGINAL.items():
        module.DEFAULT_BITRATE = default
        module.MAX_BITRATE = maximum
