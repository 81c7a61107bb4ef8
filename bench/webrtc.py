"""End-to-end WebRTC figures: real aiortc clients over loopback against the real server.

    python -m bench.webrtc [--sessions 1,2] [--size 640x480,1280x720] [--tracks ours,naive,floor]
                           [--workers 1] [--engine-processes 0,1] [--slow-engine MS] [--seconds 10]
                           [--fps 30]
    python -m bench.webrtc --viewers 1,5,10,20 [--encode each,shared]     (bench/webrtc_viewers.py)

For each size, session count, worker count and track, the server runs in its own process (so its
CPU can be read from /proc) with one of three tracks wrapping each published camera:

- ours:  FaceSwapTrack (latest frame wins, the engine on worker threads);
- naive: the engine inline in `recv()`, nothing dropped (aiortc's example pattern);
- floor: each received frame handed straight back, no engine: what aiortc's decode + encode cost.

Each client publishes a 30 fps camera of a moving face over /offer and reads the swapped video back.
Every camera frame carries its number in its pixels, so the delay of each received frame is exact.
Cost is the server's CPU time per delivered frame; streams per core is how many 30 fps streams one
core could serve at that cost. `--slow-engine MS` adds MS of GIL-free waiting to every engine pass,
standing in for an engine slower than the machine (a GPU model, a bigger network).
`--engine-processes 1` runs each worker's engine in a process of its own (the server's flag); the
server's CPU then counts those processes too. The client
process shares the machine's cores with the server: compare rows taken in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np

from bench.table import pct
from bench.webrtc_viewers import ViewersRun, measure_viewers, print_viewers
from testing.faces import faces, video
from testing.rtc_client import FaceCamera, offer
from testing.server_process import free_port, running, tree_cpu_seconds


@dataclass
class Run:
    track: str
    size: str
    sessions: int
    workers: int
    processes: bool  # each worker's engine in a process of its own
    fps: list[float]  # per session, swapped frames received per second
    p50: float
    p95: float
    cpu_pct: float
    cpu_ms_per_frame: float

    @property
    def total_fps(self) -> float:
        return sum(self.fps)

    @property
    def streams_per_core(self) -> float:
        return 1000 / (self.cpu_ms_per_frame * 30) if self.cpu_ms_per_frame > 0 else float("nan")


def server(track: str, workers: int, slow_ms: float, shared_encoding: bool = True, processes: bool = False):
    port = free_port()
    return running(sys.executable, "-m", "bench.webrtc", "--serve", track, "--port", str(port),
                   "--workers", str(workers), "--slow-engine", str(slow_ms),
                   "--encode", "shared" if shared_encoding else "each",
                   "--engine-processes", str(int(processes)), port=port, source=faces()["astronaut"])


async def measure(track: str, size: tuple[int, int], sessions: int, workers: int, slow_ms: float,
                  seconds: float, fps: float, frames: list[np.ndarray], processes: bool = False) -> Run:
    async with server(track, workers, slow_ms, processes=processes) as (base, pid):
        cameras = [FaceCamera(frames, fps=fps, stamped=True) for _ in range(sessions)]
        clients = [await offer(base, cam, channel=f"bench{i}", read_stamps=True)
                   for i, cam in enumerate(cameras)]
        await asyncio.sleep(1.5)  # connect, first keyframes, the trackers settle
        for c in clients:
            c.received.stamps.clear()
        cpu0, t0 = tree_cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - t0
        cpu = tree_cpu_seconds(pid) - cpu0
        per_session, delays = [], []
        for cam, c in zip(cameras, clients, strict=True):
            stamps = [(n, t) for n, t in c.received.stamps if t <= t0 + elapsed]
            per_session.append(len(stamps) / elapsed)
            delays += [(t - cam.sent_at[n]) * 1000 for n, t in stamps if n in cam.sent_at]
        for c in clients:
            await c.close()
    delivered = sum(per_session) * elapsed
    cost = cpu * 1000 / delivered if delivered else float("nan")
    return Run(track, f"{size[0]}x{size[1]}", sessions, workers, processes, per_session, pct(delays, 50),
               pct(delays, 95), cpu / elapsed * 100, cost)


class SlowStream:
    """An engine stream that waits `delay` s (GIL free) on top of the real work of each frame."""

    def __init__(self, inner, delay: float) -> None:
        self.inner = inner
        self.delay = delay

    def swap(self, frame, sources, taken_at=None):
        time.sleep(self.delay)
        return self.inner.swap(frame, sources, taken_at)

    def close(self) -> None:
        self.inner.close()


def serve(track: str, port: int, workers: int, slow_ms: float, shared_encoding: bool, processes: bool = False
          ) -> None:
    """The server process of one run (`--serve ours|naive|floor`)."""
    import functools

    from aiohttp import web

    from app import create_app
    from bench.naive_track import EchoTrack, NaiveTrack
    from media.engine_process import ProcessEngine
    from media.swap_track import FaceSwapTrack
    from models.select import load_engine
    from server import configure_process
    from settings import Settings

    settings = Settings(port=port, log_level="warning", max_peers=32, max_peers_per_address=32, db=":memory:",
                        workers=workers, connect_rate=10_000, shared_encoding=int(shared_encoding))
    configure_process(settings)
    factory = {"ours": FaceSwapTrack, "naive": NaiveTrack, "floor": EchoTrack}[track]

    def load():
        if processes:
            return ProcessEngine(functools.partial(load_engine, "mesh"))
        engine = load_engine("mesh")
        if slow_ms > 0:
            opened = engine.open_stream
            engine.open_stream = lambda: SlowStream(opened(), slow_ms / 1000)
        return engine

    app = create_app(settings, track_factory=factory, engine_loader=load)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


async def viewers_axis(args: argparse.Namespace, head_face: np.ndarray) -> None:
    runs: list[ViewersRun] = []
    for size_text in args.size.split(","):
        w, h = (int(v) for v in size_text.split("x"))
        frames = video(head_face, (w, h), 60, h * 0.8 / head_face.shape[0])
        for viewers in (int(v) for v in args.viewers.split(",")):
            for encode in args.encode.split(","):
                async with server("ours", int(args.workers.split(",")[0]), args.slow_engine,
                                  encode == "shared") as (base, pid):
                    runs.append(await measure_viewers(base, pid, encode, (w, h), viewers, args.seconds,
                                                      args.fps, frames))
    print_viewers(runs, args.seconds, args.fps)


async def main(args: argparse.Namespace) -> None:
    from media.aiortc_patches import jitter

    jitter.install()  # the clients stand in for browsers, which hand a frame on at its marker bit
    head_face = faces()["t1-centre"]
    if args.viewers:
        await viewers_axis(args, head_face)
        return
    runs: list[Run] = []
    for size_text in args.size.split(","):
        w, h = (int(v) for v in size_text.split("x"))
        frames = video(head_face, (w, h), 60, h * 0.8 / head_face.shape[0])
        for sessions in (int(s) for s in args.sessions.split(",")):
            for workers in (int(n) for n in args.workers.split(",")):
                for processes in (v == "1" for v in args.engine_processes.split(",")):
                    for track in args.tracks.split(","):
                        runs.append(await measure(track, (w, h), sessions, workers, args.slow_engine,
                                                  args.seconds, args.fps, frames, processes))
    slow = f", engine slowed by {args.slow_engine:g} ms a frame" if args.slow_engine else ""
    print(f"WebRTC over loopback, {args.fps:g} fps cameras, {args.seconds:g} s per run{slow}; "
          f"delay = camera frame sent -> same frame received\n")
    cols = (f"{'track':<7}{'size':<10}{'sessions':>9}{'workers':>8}{'engines in':>11}{'fps each':>14}"
            f"{'total fps':>10}{'delay p50':>10}{'p95':>7}{'server cpu':>11}{'ms/frame':>10}"
            f"{'streams/core':>13}")
    print(cols)
    print("-" * len(cols))
    for r in runs:
        each = "/".join(f"{f:.1f}" for f in r.fps) if len(r.fps) <= 2 else \
            f"{min(r.fps):.1f}-{max(r.fps):.1f}"
        where = "processes" if r.processes else "threads"
        print(f"{r.track:<7}{r.size:<10}{r.sessions:>9}{r.workers:>8}{where:>11}{each:>14}{r.total_fps:>10.1f}"
              f"{r.p50:>8.0f}ms{r.p95:>5.0f}ms{r.cpu_pct:>10.0f}%{r.cpu_ms_per_frame:>10.1f}"
              f"{r.streams_per_core:>13.2f}")
    print("\nms/frame = server CPU time per swapped frame delivered; streams/core = 30 fps streams one core "
          "could\nserve at that cost. floor = aiortc decode + encode alone (no engine).")
    if len(runs) > 1:
        print(f"median delay across runs: {statistics.median(r.p50 for r in runs):.0f} ms")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", default="1")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--tracks", default="ours,naive,floor")
    ap.add_argument("--workers", default="1", help="comma-separated worker counts to compare")
    ap.add_argument("--engine-processes", default="0",
                    help="comma-separated 0 (engines in worker threads) and 1 (each in a process of its own)")
    ap.add_argument("--slow-engine", type=float, default=0.0, metavar="MS")
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--viewers", default="", help="comma-separated WHEP viewer counts of one publisher")
    ap.add_argument("--encode", default="each,shared", help="with --viewers: each, shared or both")
    ap.add_argument("--serve", choices=["ours", "naive", "floor"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parsed = ap.parse_args()
    if parsed.slow_engine and "1" in parsed.engine_processes.split(","):
        ap.error("--slow-engine slows engines in worker threads only: leave out --engine-processes 1")
    if parsed.serve:
        serve(parsed.serve, parsed.port, int(parsed.workers), parsed.slow_engine, parsed.encode != "each",
              parsed.engine_processes == "1")
    else:
        asyncio.run(main(parsed))
