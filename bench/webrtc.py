"""End-to-end WebRTC figures: real aiortc clients over loopback against the real server.

    python -m bench.webrtc [--sessions 1,2] [--seconds 10] [--size 640x480,1280x720] [--fps 30]

For each size and session count, the server runs twice in its own process (so server CPU can be
read from /proc): once with FaceSwapTrack (ours) and once with NaiveTrack (the engine inline in
`recv()`, nothing dropped: aiortc's example pattern). Each client publishes a 30 fps camera of a
moving face over /offer and reads the swapped video back. Every camera frame carries its number in
its pixels, so the delay of each received frame is exact: camera send -> server decode -> swap ->
encode -> client decode. The client process shares the machine's two cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass

import numpy as np

from bench.table import pct
from testing.faces import faces, video
from testing.rtc_client import FaceCamera, offer
from testing.server_process import cpu_seconds, free_port, running


@dataclass
class Row:
    track: str
    size: str
    sessions: int
    session: int
    fps: float
    p50: float
    p95: float
    last: float  # median delay over the final second: does it grow?
    dropped: int
    cpu: float


def server(track: str):
    port = free_port()
    return running(sys.executable, "-m", "bench.webrtc", "--serve", track, "--port", str(port),
                   port=port, source=faces()["astronaut"])


async def measure(track: str, size: tuple[int, int], sessions: int, seconds: float, fps: float,
                  frames: list[np.ndarray]) -> list[Row]:
    async with server(track) as (base, pid):
        cameras = [FaceCamera(frames, fps=fps, stamped=True) for _ in range(sessions)]
        clients = [await offer(base, cam, channel=f"bench{i}", read_stamps=True)
                   for i, cam in enumerate(cameras)]
        await asyncio.sleep(1.0)  # connect, first keyframes
        for c in clients:
            c.received.stamps.clear()
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        sent0 = [cam.sent for cam in cameras]
        await asyncio.sleep(seconds)
        cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0) * 100
        rows = []
        for i, (cam, c) in enumerate(zip(cameras, clients, strict=True)):
            stamps = [(n, t) for n, t in c.received.stamps if t <= t0 + seconds]
            delays = [(t - cam.sent_at[n]) * 1000 for n, t in stamps if n in cam.sent_at]
            final = [(t - cam.sent_at[n]) * 1000 for n, t in stamps
                     if n in cam.sent_at and t > t0 + seconds - 1]
            sent = cam.sent - sent0[i]
            rows.append(Row(track, f"{size[0]}x{size[1]}", sessions, i + 1, len(stamps) / seconds,
                            pct(delays, 50), pct(delays, 95), pct(final, 50),
                            max(0, sent - len(stamps)), cpu))
        for c in clients:
            await c.close()
    return rows


def serve(track: str, port: int) -> None:
    """The server process of one run (`--serve ours|naive`)."""
    from aiohttp import web

    from app import create_app
    from bench.naive_track import NaiveTrack
    from media.swap_track import FaceSwapTrack
    from server import configure_process
    from settings import Settings

    settings = Settings(port=port, log_level="warning", max_peers=32, db=":memory:")
    configure_process(settings)
    app = create_app(settings, track_factory=NaiveTrack if track == "naive" else FaceSwapTrack)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


async def main(args: argparse.Namespace) -> None:
    from media.aiortc_patches import jitter

    jitter.install()  # the clients stand in for browsers, which hand a frame on at its marker bit
    head = faces()["t1-centre"]
    rows: list[Row] = []
    for size_text in args.size.split(","):
        w, h = (int(v) for v in size_text.split("x"))
        frames = video(head, (w, h), 60, h * 0.8 / head.shape[0])
        for sessions in (int(s) for s in args.sessions.split(",")):
            for track in ("ours", "naive"):
                rows += await measure(track, (w, h), sessions, args.seconds, args.fps, frames)
    print(f"WebRTC over loopback, {args.fps:g} fps cameras, {args.seconds:g} s per run "
          f"(after 1 s to connect); delay = camera frame sent -> same frame received, ms\n")
    cols = (f"{'track':<7}{'size':<10}{'sessions':>9}{'#':>3}{'fps in':>8}{'delay p50':>11}{'p95':>8}"
            f"{'last 1 s':>10}{'dropped':>9}{'server cpu':>12}")
    print(cols)
    print("-" * len(cols))
    for r in rows:
        print(f"{r.track:<7}{r.size:<10}{r.sessions:>9}{r.session:>3}{r.fps:>8.1f}{r.p50:>11.0f}"
              f"{r.p95:>8.0f}{r.last:>10.0f}{r.dropped:>9}{r.cpu:>11.0f}%")
    print("\nfps in = swapped frames received per second; dropped = camera frames that never came back;"
          "\nlast 1 s = median delay over the run's final second (growing delay shows here).")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", default="1")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--serve", choices=["ours", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parsed = ap.parse_args()
    if parsed.serve:
        serve(parsed.serve, parsed.port)
    else:
        asyncio.run(main(parsed))
