"""bench.webrtc's viewers axis: one publisher, N WHEP viewers of its channel, each encode mode.

    python -m bench.webrtc --viewers 1,5,10,20 [--encode each,shared] [--size 640x480]

The publisher sends a 30 fps camera over /offer and reads its swapped video back (stamped frames:
its fps and delay are exact). The viewers are aiortc WHEP clients that receive, reassemble and
acknowledge every frame (RTCP, NACK, REMB: everything the server sees of a real player) but do not
decode: a remote player's decode costs the server nothing, and twenty decoders in the bench's own
process would take the cores the server is measured on. `each` is one encode per receiver
(aiortc's way, `--shared-encoding 0`), `shared` one per channel and codec (ours).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np

from bench.table import pct
from testing.rtc_client import Client, FaceCamera, offer, sdp_post, wait_connected
from testing.server_process import cpu_seconds, figures


@dataclass
class ViewersRun:
    encode: str
    size: str
    viewers: int
    publisher_fps: float
    delay_p50: float
    viewer_fps: list[float]
    cpu_pct: float
    rss_mb_per_viewer: float


class FrameCounter:
    """Counts the frames a viewer's receiver reassembles, and keeps them from its decoder."""

    def __init__(self, client: Client) -> None:
        receiver = next(t.receiver for t in client.pc.getTransceivers() if t.kind == "video")
        jitter = receiver._RTCRtpReceiver__jitter_buffer  # type: ignore[attr-defined]
        add = jitter.add
        self.frames = 0

        def counted(packet):
            pli, frame = add(packet)
            if frame is not None:
                self.frames += 1
            return pli, None

        jitter.add = counted


async def measure_viewers(base: str, pid: int, encode: str, size: tuple[int, int], viewers: int,
                          seconds: float, fps: float, frames: list[np.ndarray]) -> ViewersRun:
    camera = FaceCamera(frames, fps=fps, stamped=True)
    publisher = await offer(base, camera, channel="show", read_stamps=True)
    clients: list[Client] = []
    try:
        await wait_connected(publisher.pc)
        await asyncio.sleep(1.5)
        rss_alone = figures(pid)["rss_mb"]
        counters = []
        for _ in range(viewers):
            client = await sdp_post(base, "whep", "show", None)
            if client.response_status != 201:
                raise RuntimeError(f"WHEP answered {client.response_status}: {client.location}")
            clients.append(client)
            counters.append(FrameCounter(client))
        for client in clients:
            await wait_connected(client.pc, within=20)
        await asyncio.sleep(2.0)  # first keyframes, bitrate estimates settle
        publisher.received.stamps.clear()
        counted = [c.frames for c in counters]
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - t0
        cpu = cpu_seconds(pid) - cpu0
        rss = figures(pid)["rss_mb"]
        viewer_fps = [(c.frames - n) / elapsed for c, n in zip(counters, counted, strict=True)]
        stamps = [(n, t) for n, t in publisher.received.stamps if t <= t0 + elapsed]
        delays = [(t - camera.sent_at[n]) * 1000 for n, t in stamps if n in camera.sent_at]
    finally:
        for client in clients:
            await client.close()
        await publisher.close()
    return ViewersRun(encode, f"{size[0]}x{size[1]}", viewers, len(stamps) / elapsed, pct(delays, 50),
                      viewer_fps, cpu / elapsed * 100, (rss - rss_alone) / viewers)


def print_viewers(runs: list[ViewersRun], seconds: float, fps: float) -> None:
    print(f"One publisher (/offer, {fps:g} fps, its own swapped video back) and N WHEP viewers of its "
          f"channel, {seconds:g} s per run\n")
    cols = (f"{'encode':<8}{'size':<10}{'viewers':>8}{'publisher fps':>14}{'delay p50':>10}"
            f"{'viewer fps':>14}{'server cpu':>11}{'RSS/viewer':>12}")
    print(cols)
    print("-" * len(cols))
    for r in runs:
        each = f"{min(r.viewer_fps):.1f}-{max(r.viewer_fps):.1f}"
        print(f"{r.encode:<8}{r.size:<10}{r.viewers:>8}{r.publisher_fps:>14.1f}{r.delay_p50:>8.0f}ms"
              f"{each:>14}{r.cpu_pct:>10.0f}%{r.rss_mb_per_viewer:>9.1f} MB")
    print("\nencode: each = one encoder per receiving connection (aiortc's own way); shared = one per "
          "channel and codec.\nviewer fps: frames each viewer reassembled per second (lowest-highest).")
