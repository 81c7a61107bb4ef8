"""One long stream against the server at its defaults, sampled as it goes: what only shows over time.

    python -m bench.long_run [--transport webrtc|fallback|ws] [--minutes 60] [--every 5] [--size 640x480]
                             [--engine-processes]

Starts `server.py` in its own process at its defaults (`--db :memory:` aside: what `make run`
starts), uploads the astronaut as the source and streams a moving face for `--minutes`:
- webrtc: one aiortc client publishing a 30 frames/s camera over /offer and reading the swapped
  video back (each frame's number in its pixels, so the camera-to-screen delay is exact);
- fallback: one Socket.IO client sending JPEG frames at 30 frames/s, twice what the server
  accepts from a user by default, the answers matched to their sends by the same numbers;
- ws: the same over the plain /ws WebSocket (JSON `{"event", "data"}` messages).

Every `--every` minutes it prints a row: frames back a second, their delay (webrtc) or round trip
(fallback, ws), the share of the engine's frames swapped and failed, the engine's mean time a
frame (the server's /metrics: its worker's wall time around each swap, the trip to an engine
process included) and the CPU time of it (the engine's thread, or its process, with its detector's
and hand models' threads: the rest is waiting for a core, the GIL or the trip), the server's CPU,
RSS, file descriptors and threads.
`--engine-processes` starts the server with `--engine-processes 1`: the CPU and RSS columns then
add those of the processes it starts (an engine process per worker, and multiprocessing's resource
tracker; RSS counts the libraries they share in each). A stream that loses its source, freezes or
leaks shows there. At the end, the tracebacks and ERROR lines in the server's log. The client
shares the machine's cores with the server: on two cores it took 81% of one while the server took
86% (top, 2026-12-07).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
import tempfile
import time
from dataclasses import dataclass, field

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bench.fallback import read_jpeg_stamp, stamped_urls
from bench.soak import tracebacks
from bench.table import frame_size, pct
from testing.clients import SioUser, WsUser
from testing.faces import faces, video
from testing.rtc_client import FaceCamera, offer
from testing.server_process import figures, free_port, running, tree_cpu_seconds

COUNTERS = ("faceswap_frames_total", "faceswap_swaps_total", "faceswap_errors_total",
            "faceswap_processing_seconds_sum", "faceswap_processing_seconds_count",
            "faceswap_worker_cpu_seconds_total")
CYCLE = 600  # fallback frames encoded once and sent in turn (20 s at 30/s: no number is in flight twice)


@dataclass
class Interval:
    """What one interval's client saw: frames back, and their delays (ms)."""

    frames: int = 0
    delays: list[float] = field(default_factory=list)
    dropped: int = 0  # fallback: frames the server answered `frame_dropped`


def read_counters(text: str) -> dict[str, float]:
    """COUNTERS' values in a Prometheus text page, summed over their labels (0 where one is missing)."""
    found = dict.fromkeys(COUNTERS, 0.0)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in found:
                found[sample.name] += sample.value
    return found


async def counters(http: aiohttp.ClientSession, base: str) -> dict[str, float]:
    async with http.get(base + "/metrics") as r:
        return read_counters(await r.text())


class WebRtcClient:
    def __init__(self, frames: list) -> None:
        self.camera = FaceCamera(frames, fps=30, stamped=True)
        self.seen = 0

    async def start(self, base: str) -> None:
        # its frames' numbers are read as they come; an hour's frames are not kept
        self.client = await offer(base, self.camera, read_stamps=True, keep=1)

    def take(self) -> Interval:
        stamps = self.client.received.stamps
        new, self.seen = stamps[self.seen:], len(stamps)
        return Interval(len(new), self.camera.delays_ms(new))

    def state(self) -> str:
        return self.client.pc.connectionState

    async def stop(self) -> None:
        await self.client.close()


class StampedSender:
    """Stamped JPEG frames sent at 30 a second by one of the project's test clients (Socket.IO or
    /ws), their answers counted and matched to their sends as they come."""

    def __init__(self, frames: list, user: SioUser | WsUser) -> None:
        self.urls = stamped_urls(frames, CYCLE)
        self.sent_at: dict[int, float] = {}
        self.now = Interval()
        self.user = user
        user.put = self._heard  # counted, not queued: an hour's answers are gigabytes of JPEG

    def _heard(self, event: str, data: dict) -> None:
        now = time.perf_counter()
        if event == "frame_dropped":
            self.now.dropped += 1
        elif event == "processed_frame" and data.get("success") and data.get("processed"):
            self.now.frames += 1
            n = read_jpeg_stamp(base64.b64decode(data["processed"].split(",", 1)[1]))
            if n in self.sent_at:
                self.now.delays.append((now - self.sent_at[n]) * 1000)

    async def start(self, base: str) -> None:
        await self.user.connect(base)
        self.sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        t0, n = time.perf_counter(), 0
        while True:
            await asyncio.sleep(max(0.0, t0 + n / 30 - time.perf_counter()))
            self.sent_at[n % CYCLE] = time.perf_counter()
            await self.user.send(self.urls[n % CYCLE])
            n += 1

    def take(self) -> Interval:
        taken, self.now = self.now, Interval()
        return taken

    def state(self) -> str:
        return "connected" if self.user.connected else "disconnected"

    async def stop(self) -> None:
        self.sender.cancel()
        await self.user.close()


def row(minute: float, span: float, got: Interval, share: tuple[float, float], engine: tuple[float, float],
        cpu: float, own: dict[str, float], state: str) -> str:
    """`engine`: the engine's mean wall and CPU ms a frame over the interval."""
    times = f"{pct(got.delays, 50):.0f} / {pct(got.delays, 95):.0f}"
    return (f"{minute:>5.1f}{got.frames / span:>8.1f}{times:>24}{got.dropped / span:>11.1f}"
            f"{share[0]:>9.1%}{share[1]:>8.1%}{engine[0]:>11.1f}{engine[1]:>9.1f}{100 * cpu / span:>5.0f}%"
            f"{own['tree_rss_mb']:>6.0f}MB{own['fds']:>5.0f}{own['threads']:>9.0f}  {state}")


async def run(transport: str, minutes: float, every: float, size: tuple[int, int], log_path: str,
              engine_processes: bool = False) -> None:
    from media.aiortc_patches import jitter

    jitter.install()  # the client stands in for a browser, which hands a frame on at its marker bit
    port = free_port()
    head = faces()["t1-centre"]
    frames = video(head, size, 60, size[1] * 0.8 / head.shape[0])
    users = {"fallback": SioUser, "ws": WsUser}
    client = WebRtcClient(frames) if transport == "webrtc" else StampedSender(frames, users[transport]())
    command = (sys.executable, "server.py", "--port", str(port), "--db", ":memory:", "--log-level", "info",
               *(("--engine-processes", "1") if engine_processes else ()))
    delay = "delay" if transport == "webrtc" else "round trip"
    where = "with its engines in processes" if engine_processes else "at its defaults"
    print(f"{transport}, {size[0]}x{size[1]}, {minutes:g} min against server.py {where}; log {log_path}\n")
    print(f"{'min':>5}{'back/s':>8}{delay + ' p50/p95 ms':>24}{'dropped/s':>11}{'swapped':>9}{'failed':>8}"
          f"{'engine ms':>11}{'its CPU':>9}{'CPU':>6}{'RSS':>8}{'fds':>5}{'threads':>9}  state")
    async with running(*command, port=port, source=faces()["astronaut"], log_path=log_path) as (base, pid):
        async with aiohttp.ClientSession() as http:
            await client.start(base)
            t0 = last = time.monotonic()
            cpu_last, seen = tree_cpu_seconds(pid), await counters(http, base)
            while last - t0 < minutes * 60 - 1:
                await asyncio.sleep(min(every * 60, t0 + minutes * 60 - last))
                now, got, cpu = time.monotonic(), client.take(), tree_cpu_seconds(pid)
                count = await counters(http, base)
                moved = [count[name] - seen[name] for name in COUNTERS]
                done, swaps, errors, seconds, timed, engine_cpu = moved
                share = (swaps / max(done, 1), errors / max(done, 1))
                engine = ((1000 * seconds / timed, 1000 * engine_cpu / timed) if timed
                          else (float("nan"), float("nan")))
                own, state = figures(pid), client.state()
                print(row((now - t0) / 60, now - last, got, share, engine, cpu - cpu_last, own, state),
                      flush=True)
                last, cpu_last, seen = now, cpu, count
            await client.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transport", choices=("webrtc", "fallback", "ws"), default="webrtc")
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--every", type=float, default=5.0, help="minutes between rows")
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--engine-processes", action="store_true", help="the server's --engine-processes 1")
    args = ap.parse_args()
    if args.minutes <= 0 or args.every <= 0:
        ap.error("--minutes and --every must be positive")
    with tempfile.NamedTemporaryFile(prefix="long-run-", suffix=".log", delete=False) as log:
        log_path = log.name
    asyncio.run(run(args.transport, args.minutes, args.every, frame_size(args.size, ap), log_path,
                    args.engine_processes))
    print(f"\ntracebacks and ERROR lines in the server's log: {tracebacks(log_path)}")


if __name__ == "__main__":
    main()
