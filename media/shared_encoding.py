"""One encode per channel and codec, whatever the number of viewers.

A channel's swapped track is read by one `SharedEncoder` per codec its viewers negotiated (VP8
viewers share one, H.264 viewers another). Each viewer's connection gets a `SharedEncodingTrack`,
which its RTCRtpSender sends as it is (media/aiortc_patches/shared_sender.py), so the sender only
packetises: sequence numbers, SSRC and retransmissions stay per viewer. The rules (bounded queues,
keyframes, the common bitrate) are in media/fanout.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiortc import MediaStreamTrack, rtcrtpsender
from aiortc.codecs import h264, vpx
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.aiortc_patches.shared_sender import PreEncodedTrack
from media.fanout import BitrateVotes, EncodedFrame, KeyframeGate, ViewerQueue
from media.keyframes import is_keyframe

log = logging.getLogger(__name__)

Subscribe = Callable[[], MediaStreamTrack]  # a new reader of the channel's swapped frames


def _bitrate_limits(mime_type: str) -> tuple[int, int, int]:
    """aiortc's start, floor and ceiling for the codec, as media/aiortc_patches/bitrate.py set them."""
    module: Any = h264 if mime_type == "video/h264" else vpx
    return module.DEFAULT_BITRATE, module.MIN_BITRATE, module.MAX_BITRATE


def _timed_encode(encoder: Any, frame: Any, force_keyframe: bool) -> tuple[list[bytes], int, float]:
    started = time.perf_counter()
    payloads, timestamp = encoder.encode(frame, force_keyframe)
    return payloads, timestamp, 1000 * (time.perf_counter() - started)


class SharedEncoder:
    """Encodes a channel's frames once for every viewer of one codec; runs while it has viewers."""

    def __init__(self, codec: RTCRtpCodecParameters, source: MediaStreamTrack,
                 on_encoded: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.codec = codec
        self.mime_type = codec.mimeType.lower()
        self._source = source
        self._on_encoded = on_encoded
        self._clock = clock
        self._viewers: dict[SharedEncodingTrack, ViewerQueue] = {}
        self._keyframes = KeyframeGate()
        self.votes = BitrateVotes(*_bitrate_limits(self.mime_type))
        self.frames = 0
        self.keyframes = 0
        self.forced_keyframes = 0  # keyframes made because a receiver needed one
        self.encode_ms = 0.0  # recent milliseconds per encode (a moving average)
        self.ended = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"encode {self.mime_type}")

    @property
    def viewers(self) -> int:
        return len(self._viewers)

    def attach(self, viewer: SharedEncodingTrack) -> ViewerQueue:
        queue = self._viewers[viewer] = ViewerQueue()
        self._keyframes.request()  # the newcomer can start only at a keyframe
        return queue

    def detach(self, viewer: SharedEncodingTrack) -> None:
        self._viewers.pop(viewer, None)
        self.votes.forget(viewer)

    def request_keyframe(self) -> None:
        self._keyframes.request()

    def skipped(self) -> int:
        return sum(queue.skipped for queue in self._viewers.values())

    def stop(self) -> None:
        self._task.cancel()

    async def _run(self) -> None:
        encoder = rtcrtpsender.get_encoder(self.codec)  # the factory media/aiortc_patches/encoders.py set
        loop = asyncio.get_running_loop()
        try:
            while True:
                frame = await self._source.recv()
                now = self._clock()
                encoder.target_bitrate = self.votes.target(now)
                force = self._keyframes.take(now)
                self.forced_keyframes += force
                payloads, timestamp, ms = await loop.run_in_executor(None, _timed_encode, encoder, frame,
                                                                     force)
                self.encode_ms = ms if not self.frames else 0.9 * self.encode_ms + 0.1 * ms
                if not payloads:
                    continue
                encoded = EncodedFrame(tuple(payloads), timestamp, is_keyframe(self.mime_type, payloads))
                self.frames += 1
                if encoded.keyframe:
                    self.keyframes += 1
                    self._keyframes.produced(now)
                if self._on_encoded is not None:
                    self._on_encoded(self.mime_type)
                for viewer, queue in list(self._viewers.items()):
                    if queue.push(encoded):
                        self._keyframes.request()
                    viewer.wake()
        except (MediaStreamError, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("shared %s encoder failed", self.mime_type)
        finally:
            self.ended = True
            self._source.stop()
            for viewer in list(self._viewers):
                viewer.wake()


class ChannelEncoders:
    """The shared encoders of one published track, one per codec, made as viewers need them."""

    def __init__(self, subscribe: Subscribe, on_encoded: Callable[[str], None] | None = None) -> None:
        self._subscribe = subscribe
        self._on_encoded = on_encoded
        self._encoders: dict[str, SharedEncoder] = {}
        self._closed = False

    def viewer_track(self) -> SharedEncodingTrack:
        """A track for one viewer's connection, served by the encoder of the codec it negotiates."""
        return SharedEncodingTrack(self)

    def join(self, viewer: SharedEncodingTrack,
             codec: RTCRtpCodecParameters) -> tuple[SharedEncoder, ViewerQueue]:
        if self._closed:
            raise MediaStreamError
        key = codec.mimeType.lower()
        encoder = self._encoders.get(key)
        if encoder is None or encoder.ended:
            encoder = self._encoders[key] = SharedEncoder(codec, self._subscribe(), self._on_encoded)
            log.info("shared %s encoder started", key)
        return encoder, encoder.attach(viewer)

    def leave(self, viewer: SharedEncodingTrack, encoder: SharedEncoder) -> None:
        encoder.detach(viewer)
        if encoder.viewers == 0 and self._encoders.get(encoder.mime_type) is encoder:
            # nobody watches in this codec: stop encoding (and reading the engine's output) for it
            del self._encoders[encoder.mime_type]
            encoder.stop()
            log.info("shared %s encoder stopped after %d frames", encoder.mime_type, encoder.frames)

    def close(self) -> None:
        self._closed = True
        for encoder in self._encoders.values():
            encoder.stop()
        self._encoders.clear()

    def status(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        return [{"codec": e.mime_type, "viewers": e.viewers, "frames": e.frames, "keyframes": e.keyframes,
                 "forced_keyframes": e.forced_keyframes, "skipped": e.skipped(),
                 "bitrate": e.votes.target(now), "encode_ms": round(e.encode_ms, 2)}
                for e in self._encoders.values()]

    def encode_ms(self) -> float | None:
        """Milliseconds per encode, averaged over this track's encoders (None before any)."""
        figures = [e.encode_ms for e in self._encoders.values() if e.frames]
        return sum(figures) / len(figures) if figures else None


class SharedEncodingTrack(PreEncodedTrack):
    """One viewer's share of a channel's encode."""

    def __init__(self, encoders: ChannelEncoders) -> None:
        super().__init__()
        self._encoders = encoders
        self._encoder: SharedEncoder | None = None
        self._queue: ViewerQueue | None = None
        self._ready = asyncio.Event()

    async def recv(self) -> Any:
        # Only a sender patched by media/aiortc_patches/shared_sender.py may carry this track.
        raise MediaStreamError("a shared-encoding track is sent by a patched RTCRtpSender only")

    async def next_encoded(self, codec: RTCRtpCodecParameters) -> EncodedFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._encoder is None:
            self._encoder, self._queue = self._encoders.join(self, codec)
        assert self._queue is not None
        while True:
            frame = self._queue.pop()
            if frame is not None:
                return frame
            if self._encoder.ended or self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()

    def wake(self) -> None:
        self._ready.set()

    def request_keyframe(self) -> None:
        if self._encoder is not None:
            self._encoder.request_keyframe()

    def report_bitrate(self, bps: int) -> None:
        if self._encoder is not None:
            self._encoder.votes.vote(self, bps, time.monotonic())

    def stop(self) -> None:
        super().stop()
        if self._encoder is not None:
            self._encoders.leave(self, self._encoder)
        self._ready.set()
