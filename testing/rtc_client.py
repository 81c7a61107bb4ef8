"""In-process aiortc clients for tests and benchmarks: a camera track made of test faces, and the
three ways to talk to the server (/offer, WHIP, WHEP)."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from dataclasses import dataclass, field

import aiohttp
import numpy as np
from aiortc import (
    AudioStreamTrack,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from testing.stamps import STAMP_BITS, read_stamp, stamp

VIDEO_CLOCK = 90_000


class FaceCamera(VideoStreamTrack):
    """Plays `frames` in a loop at `fps`; with `stamped`, each frame carries its number in its pixels
    and `sent_at[n]` is when frame n was handed to the encoder."""

    def __init__(self, frames: list[np.ndarray], fps: float = 30.0, stamped: bool = False) -> None:
        super().__init__()
        self.frames = frames
        self.fps = fps
        self.stamped = stamped
        self.sent_at: dict[int, float] = {}
        self.sent = 0  # frames handed to the encoder so far
        self._start: float | None = None

    async def recv(self) -> VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self.sent / self.fps
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        image = self.frames[self.sent % len(self.frames)]
        if self.stamped:
            image = stamp(image, self.sent % (1 << STAMP_BITS))
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = int(self.sent * VIDEO_CLOCK / self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self.sent_at[self.sent % (1 << STAMP_BITS)] = time.monotonic()
        self.sent += 1
        return frame

    def delays_ms(self, stamps: list[tuple[int, float]]) -> list[float]:
        """Camera-to-screen delay of each received stamped frame (Received.stamps, or a part of
        them), in arrival order."""
        return [(t - self.sent_at[n]) * 1000 for n, t in stamps if n in self.sent_at]


@dataclass
class Received:
    """Frames coming back, the newest `keep` kept (a decoded 640x480 frame is 460 kB: an hour's
    bench keeps one); pts and arrival time of each."""

    keep: int = 1000
    frames: asyncio.Queue[VideoFrame] = field(init=False)
    arrivals: list[tuple[int, float]] = field(default_factory=list)  # (pts, time)
    stamps: list[tuple[int, float]] = field(default_factory=list)  # (frame number, time) when read
    read_stamps: bool = False
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.frames = asyncio.Queue(maxsize=self.keep)

    def start(self, track) -> None:
        self.task = asyncio.ensure_future(self._run(track))

    async def _run(self, track) -> None:
        try:
            while True:
                frame = await track.recv()
                now = time.monotonic()
                self.arrivals.append((frame.pts, now))
                if self.read_stamps:
                    self.stamps.append((read_stamp(frame), now))
                if self.frames.full():
                    self.frames.get_nowait()
                self.frames.put_nowait(frame)
        except MediaStreamError:
            pass
        finally:
            self.ended.set()

    async def next_image(self, within: float = 15.0) -> np.ndarray:
        frame = await asyncio.wait_for(self.frames.get(), within)
        return frame.to_ndarray(format="bgr24")

    async def latest_image(self, within: float = 15.0) -> np.ndarray:
        frame = await asyncio.wait_for(self.frames.get(), within)
        while not self.frames.empty():
            frame = self.frames.get_nowait()
        return frame.to_ndarray(format="bgr24")


@dataclass
class Client:
    pc: RTCPeerConnection
    received: Received
    response_status: int = 0
    location: str | None = None
    pc_id: str | None = None
    content_type: str | None = None

    async def close(self) -> None:
        await self.pc.close()
        if self.received.task is not None:
            self.received.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.received.task


def only_codec(transceiver: RTCRtpTransceiver, codec: str) -> None:
    """Offer `codec` ("vp8", "h264") alone for this transceiver's video (with its retransmissions)."""
    wanted = {f"video/{codec.lower()}", "video/rtx"}
    transceiver.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("video").codecs
                                     if c.mimeType.lower() in wanted])


def _client(camera: VideoStreamTrack | None, direction: str, read_stamps: bool = False, audio: bool = False,
            codec: str | None = None, keep: int = 1000) -> tuple[RTCPeerConnection, Received]:
    pc = RTCPeerConnection()
    received = Received(read_stamps=read_stamps, keep=keep)
    if audio:
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    if camera is not None and direction == "sendrecv":
        pc.addTrack(camera)
    elif camera is not None:
        pc.addTransceiver(camera, direction="sendonly")
    else:
        transceiver = pc.addTransceiver("video", direction="recvonly")
        if codec is not None:
            only_codec(transceiver, codec)

    @pc.on("track")
    def on_track(track) -> None:
        if track.kind == "video":
            received.start(track)

    return pc, received


def http_from(source_address: str | None) -> aiohttp.ClientSession:
    """An HTTP session whose connections come from `source_address` (another loopback address lets
    one machine play several clients)."""
    if source_address is None:
        return aiohttp.ClientSession()
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source_address, 0)))


async def offer(base: str, camera: VideoStreamTrack, channel: str | None = None,
                headers: dict[str, str] | None = None, read_stamps: bool = False,
                source_address: str | None = None, keep: int = 1000) -> Client:
    """The /offer round trip of aiortc's own server example (`keep`: frames kept, Received)."""
    pc, received = _client(camera, "sendrecv", read_stamps, keep=keep)
    await pc.setLocalDescription(await pc.createOffer())
    body: dict[str, str] = {"sdp": pc.localDescription.sdp, "type": "offer"}
    if channel:
        body["channel"] = channel
    async with http_from(source_address) as http, http.post(base + "/offer", json=body, headers=headers) as r:
        data = await r.json()
        client = Client(pc, received, r.status)
        if r.status != 200:
            await pc.close()
            raise AssertionError(f"/offer answered {r.status}: {data}")
    client.pc_id = data["pc_id"]
    await pc.setRemoteDescription(RTCSessionDescription(sdp=data["sdp"], type=data["type"]))
    return client


async def sdp_post(base: str, kind: str, channel: str, camera: VideoStreamTrack | None,
                   token: str | None = None, audio: bool = False, codec: str | None = None) -> Client:
    """WHIP (camera given: send only) or WHEP (no camera: receive only; `codec`: offer only that one)."""
    pc, received = _client(camera, "sendonly" if camera is not None else "recvonly", audio=audio, codec=codec)
    await pc.setLocalDescription(await pc.createOffer())
    headers = {"Content-Type": "application/sdp"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as http, \
            http.post(f"{base}/{kind}/{channel}", data=pc.localDescription.sdp, headers=headers) as r:
        text = await r.text()
        client = Client(pc, received, r.status, r.headers.get("Location"),
                        content_type=r.headers.get("Content-Type"))
    if r.status != 201:
        await pc.close()
        client.location = text
        return client
    await pc.setRemoteDescription(RTCSessionDescription(sdp=text, type="answer"))
    return client


async def wait_connected(pc: RTCPeerConnection, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while pc.connectionState != "connected":
        if time.monotonic() > deadline:
            raise AssertionError(f"not connected: {pc.connectionState}")
        await asyncio.sleep(0.05)


async def sample_offer_sdp() -> str:
    """A real offer of an aiortc client with a camera, to mutate into malformed ones."""
    pc = RTCPeerConnection()
    pc.addTrack(FaceCamera([np.zeros((48, 64, 3), np.uint8)]))
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp
