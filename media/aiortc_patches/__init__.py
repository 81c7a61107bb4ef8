"""The places this server reaches into aiortc 1.16, which has no API for them, one module each.

They change module globals, so they are process-wide: `server.main()` applies them once at start-up
(and bench.webrtc's server process, which runs the app its own way). An app built by `create_app`
alone, as in tests, runs on aiortc's defaults unless the caller applies them.
"""

from __future__ import annotations

from media.aiortc_patches import encoders, jitter
from media.aiortc_patches.bitrate import configure_video_bitrate


def apply(video_bitrate: int) -> None:
    """Every process-wide aiortc patch: the video bitrate target, the marker-bit jitter buffer, and
    x264's speed preset. (dtls_role.py is applied per connection, where offers are answered.)"""
    configure_video_bitrate(video_bitrate)
    jitter.install()
    encoders.install()
