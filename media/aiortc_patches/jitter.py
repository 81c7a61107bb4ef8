"""A video jitter buffer that hands a frame on when its last packet arrives, not one frame later.

aiortc 1.16's JitterBuffer completes a frame only when the first packet of the *next* frame shows up
(it ignores the RTP marker bit, which senders set on a video frame's last packet). Every received
video frame therefore waits one frame interval, 33 ms at 30 fps, before it is decoded: once on the
server and once more in an aiortc client. Browsers use the marker bit.

`MarkerJitterBuffer` keeps aiortc's behaviour and adds the marker rule. `install()` makes aiortc's
receivers create it for video; RTCRtpReceiver builds its buffer from the `JitterBuffer` name in
`aiortc.rtcrtpreceiver`, so replacing that one name is the whole hook.
"""

from __future__ import annotations

from aiortc import rtcrtpreceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame


class MarkerJitterBuffer(JitterBuffer):
    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        frame = super()._remove_frame(sequence_number)
        if frame is not None or not self._is_video or self._origin is None:
            return frame
        # The oldest frame is complete once every packet up to one carrying the marker is here.
        timestamp = None
        for count in range(self.capacity):
            packet = self._packets[(self._origin + count) % self.capacity]
            if packet is None:
                return None
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                return None  # a gap in an older frame: aiortc's own rule deals with it
            if packet.marker:
                packets = [self._packets[(self._origin + i) % self.capacity] for i in range(count + 1)]
                self.remove(count + 1)
                return JitterFrame(data=b"".join(p._data for p in packets), timestamp=timestamp)  # type: ignore[union-attr]
        return None


def _video_aware(capacity: int, prefetch: int = 0, is_video: bool = False) -> JitterBuffer:
    cls = MarkerJitterBuffer if is_video else JitterBuffer
    return cls(capacity=capacity, prefetch=prefetch, is_video=is_video)


def install() -> None:
    """Use MarkerJitterBuffer for every video receiver created from now on (idempotent)."""
    rtcrtpreceiver.JitterBuffer = _video_aware  # type: ignore[assignment,misc]
