"""End-to-end figures of the base64 fallback path through a real Socket.IO client.

    python -m bench.fallback [--seconds 10] [--size 640x480]

Starts `server.py` in its own process (so the server and this client do not share a GIL), uploads
the astronaut as the source, and sends 640x480 JPEG frames of a moving face over Socket.IO. Each
mode gets a fresh server:

- `limit 15, send 30/s`: the seed's per-user limit, with a camera sending twice as fast;
- `no limit, window N`: `--max-fps 0`, the client keeps N frames in flight (N=1 is stop-and-wait).

Every frame carries its number in a strip of black/white blocks in its top-left corner, read back
from the answer, so round trips are matched to the right send even when frames are dropped. Server
CPU is the server process's user+system time over the run, in % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
import time
from dataclasses import dataclass, field

import aiohttp
import cv2
import numpy as np
import socketio

from bench.table import pct
from testing.faces import faces, video
from testing.server_process import cpu_seconds, free_port, running
from testing.stamps import STAMP_BITS, read_stamp_gray, stamp


def read_jpeg_stamp(jpeg: bytes) -> int:
    """The frame number of an answer, from a 1/8-scale decode (cheap: the client shares the CPU)."""
    return read_stamp_gray(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_8), 1 / 8)


def stamped_urls(frames: list[np.ndarray], count: int) -> list[str]:
    """Data URLs of `count` JPEG frames, frame n of them `frames[n % len(frames)]` stamped n."""
    urls = []
    for n in range(count):
        jpeg = cv2.imencode(".jpg", stamp(frames[n % len(frames)], n), [cv2.IMWRITE_JPEG_QUALITY, 80])[1]
        urls.append("data:image/jpeg;base64," + base64.b64encode(jpeg).decode())
    return urls


@dataclass
class Run:
    mode: str
    sent: int = 0
    answered: int = 0
    swapped: int = 0
    rtts: list[float] = field(default_factory=list)
    processing: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_dropped: int = 0
    cpu_pct: float = 0.0


def server(max_fps: float, source: np.ndarray):
    port = free_port()
    return running(sys.executable, "server.py", "--port", str(port), "--max-fps", str(max_fps),
                   "--log-level", "warning", "--db", ":memory:", port=port, source=source)


async def drive(base: str, pid: int, urls: list[str], seconds: float, window: int, send_fps: float,
                mode: str) -> Run:
    """Send `urls[n]` (frame n carries stamp n) for `seconds`, paced at `send_fps` or by `window`."""
    run = Run(mode)
    sent_at: dict[int, float] = {}
    slots = asyncio.Semaphore(window)
    sio = socketio.AsyncClient(reconnection=False)

    @sio.on("processed_frame")
    async def answered(data: dict) -> None:
        now = time.perf_counter()
        run.answered += 1
        if data.get("success"):
            run.swapped += 1
            run.processing.append(data["stats"]["avg_processing_time"])
        if data.get("processed"):
            n = read_jpeg_stamp(base64.b64decode(data["processed"].split(",", 1)[1]))
            # this answer also settles every older frame still waiting: the server dropped those
            for k in [k for k in sent_at if k <= n]:
                if k == n:
                    run.rtts.append((now - sent_at[k]) * 1000)
                del sent_at[k]
                slots.release()

    await sio.connect(base, transports=["websocket"])
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    interval = 1 / send_fps if send_fps > 0 else 0.0
    n = 0
    while time.perf_counter() - t0 < seconds and n < len(urls):
        if interval:
            await asyncio.sleep(max(0.0, t0 + n * interval - time.perf_counter()))
        else:
            try:
                await asyncio.wait_for(slots.acquire(), 2.0)
            except TimeoutError:  # nothing came back: give up on what is in flight
                for _ in range(len(sent_at)):
                    slots.release()
                sent_at.clear()
                continue
        sent_at[n] = time.perf_counter()
        await sio.emit("process_frame", {"frame": urls[n]})
        n += 1
        run.sent = n
    run.seconds = time.perf_counter() - t0
    run.cpu_pct = (cpu_seconds(pid) - cpu0) / run.seconds * 100
    await asyncio.sleep(0.5)  # the last answers
    await sio.disconnect()
    async with aiohttp.ClientSession() as http, http.get(base + "/status") as r:
        run.server_dropped = (await r.json())["dropped_frames"]
    return run


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", default="640x480")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    imgs = faces()
    head = imgs["t1-centre"]
    frames = video(head, (w, h), 60, h * 0.8 / head.shape[0])
    # Every frame number a run can reach (up to 120 fps), stamped and encoded before timing starts.
    urls = stamped_urls(frames, min(int(args.seconds * 120) + 10, 2**STAMP_BITS))
    modes = [("limit 15, send 30/s", 15.0, 30, 30.0)]
    modes += [(f"no limit, window {win}", 0.0, win, 0.0) for win in (1, 2, 3)]
    runs = []
    for mode, max_fps, window, send_fps in modes:
        async with server(max_fps, imgs["astronaut"]) as (base, pid):
            runs.append(await drive(base, pid, urls, args.seconds, window, send_fps, mode))

    print(f"fallback path, {w}x{h} JPEG q80 over Socket.IO (websocket), {args.seconds:g} s per mode\n")
    cols = f"{'mode':<24}{'sent':>6}{'answered':>10}{'swapped':>9}{'dropped':>9}{'fps out':>9}" \
           f"{'rtt p50':>9}{'rtt p95':>9}{'proc ms':>9}{'server cpu':>12}"
    print(cols)
    print("-" * len(cols))
    for r in runs:
        print(f"{r.mode:<24}{r.sent:>6}{r.answered:>10}{r.swapped:>9}{r.server_dropped:>9}"
              f"{r.answered / r.seconds:>9.1f}{pct(r.rtts, 50):>9.1f}{pct(r.rtts, 95):>9.1f}"
              f"{pct(r.processing, 50):>9.1f}{r.cpu_pct:>11.0f}%")
    print("\ndropped = frames the server counted as dropped (rate limit, or overtaken by a newer frame);"
          "\nrtt = send to answer of the same frame, ms; proc ms = median of the engine's 30-frame mean.")


if __name__ == "__main__":
    asyncio.run(main())
