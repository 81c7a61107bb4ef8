"""A long run of hostile input and connection churn against the server in its own process.

    python -m bench.soak [--inputs 10000] [--cycles 1000] [--concurrency 8]

Phase 1 sends `--inputs` generated malformed requests and events (testing/hostile.py: every route
of the three dialects, /ws and Socket.IO), some at once. Phase 2 makes `--cycles` WebRTC connections
over /offer that connect, receive a swapped frame and hang up. For each phase it prints the answers
that would be defects (5xx other than capacity refusals, Python exception text, answers over 1 s),
the server's RSS cold (before the phase), warm (after a warm-up of 200 inputs or 30 cycles, which
load codecs and the engine's per-stream graphs once), at its peak and after, and its file
descriptors and threads; growth is counted from warm. It also counts tracebacks and ERROR lines in
the log. The server runs with a high --connect-rate and --takeover-grace 0: this measures defects
and leaks, not the fair-use limits. `fail` counts clients that could not finish (each with its
error, up to five, below the table). The Face Swap Live dialect is single-user: a /ws or Socket.IO
client is taken over and hung up on when another connects, so with `--concurrency` over 1 a few
/ws clients fail mid-send ("Cannot write to closing transport"); with `--concurrency 1`, none
(3,000 inputs, 2026-12-05).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field

import aiohttp
import numpy as np
import socketio

from testing import hostile
from testing.faces import camera_frame, faces
from testing.rtc_client import FaceCamera, offer, sample_offer_sdp, wait_connected
from testing.server_process import figures, free_port, running


@dataclass
class Phase:
    name: str
    count: int = 0
    fivexx: int = 0
    capacity: int = 0
    exception_text: int = 0
    slow: int = 0
    failures: int = 0
    cold: dict[str, float] = field(default_factory=dict)
    before: dict[str, float] = field(default_factory=dict)  # after the warm-up
    after: dict[str, float] = field(default_factory=dict)
    peak_rss: float = 0.0
    examples: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(what[:200])


async def watch_rss(pid: int, phase: Phase, stop: asyncio.Event) -> None:
    while not stop.is_set():
        phase.peak_rss = max(phase.peak_rss, figures(pid)["rss_mb"])
        await asyncio.sleep(0.2)


async def settle(pid: int) -> dict[str, float]:
    await asyncio.sleep(3.0)  # connections close, buffers are freed
    return figures(pid)


async def one_input(http: aiohttp.ClientSession, base: str, token: str, sdp: str, rng: random.Random,
                    phase: Phase) -> None:
    pick = rng.random()
    if pick < 0.9:
        case = hostile.http_case(rng, token, sdp)
        started = time.monotonic()
        try:
            async with http.request(case.method, base + case.path, headers=case.headers, data=case.body,
                                    allow_redirects=False) as r:
                body = await r.read()
                status = r.status
        except aiohttp.ClientError as exc:
            phase.failures += 1
            phase.note(f"client error {exc} for {case.describe()}")
            return
        seconds = time.monotonic() - started
        problems = hostile.problems(case, status, body, seconds)
        phase.capacity += status == 503
        phase.fivexx += any(p.startswith("answered 5") for p in problems)
        phase.exception_text += any(p.startswith("exception text") for p in problems)
        phase.slow += any(p.startswith("took") for p in problems)
        if problems:
            phase.note(f"{problems} for {case.describe()}")
    elif pick < 0.95:
        messages = hostile.ws_messages(rng)
        try:
            async with http.ws_connect(base + "/ws") as ws:
                for message in messages:
                    await (ws.send_str(message) if isinstance(message, str) else ws.send_bytes(message))
                for _ in messages:
                    msg = await ws.receive(timeout=2.0)
                    if msg.type is aiohttp.WSMsgType.TEXT and hostile.EXCEPTION_TEXT.search(msg.data):
                        phase.exception_text += 1
                        phase.note(f"/ws answered {msg.data[:150]}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            phase.failures += 1
            phase.note(f"/ws failed: {type(exc).__name__} {exc} after {messages!r:.80}")
    else:
        client = socketio.AsyncClient(reconnection=False)
        replies: list[str] = []
        client.on("*", lambda event, data: replies.append(json.dumps(data, default=str)))
        try:
            await client.connect(base, transports=["websocket"])
            for event, data in hostile.sio_events(rng):
                await client.emit(event, data)
            await asyncio.sleep(0.2)
            await client.disconnect()
        except (socketio.exceptions.ConnectionError, TimeoutError) as exc:
            phase.failures += 1
            phase.note(f"socket.io failed: {type(exc).__name__} {exc}")
        for reply in replies:
            if hostile.EXCEPTION_TEXT.search(reply):
                phase.exception_text += 1
                phase.note(f"socket.io answered {reply[:150]}")
    phase.count += 1


async def inputs_phase(base: str, pid: int, n: int, concurrency: int, sdp: str, token: str) -> Phase:
    phase = Phase(f"{n} hostile inputs")
    phase.cold = await settle(pid)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        async def run(numbers: range, into: Phase) -> None:
            queue = iter(numbers)

            async def worker() -> None:
                for i in queue:
                    await one_input(http, base, token, sdp, random.Random(i), into)

            await asyncio.gather(*(worker() for _ in range(concurrency)))

        await run(range(-200, 0), Phase("warm-up"))
        phase.before = await settle(pid)
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch_rss(pid, phase, stop))
        await run(range(n), phase)
    stop.set()
    await watcher
    phase.after = await settle(pid)
    return phase


async def cycles_phase(base: str, pid: int, n: int, concurrency: int) -> Phase:
    phase = Phase(f"{n} WebRTC connection cycles")
    phase.cold = await settle(pid)
    frame = camera_frame()
    await run_cycles(base, range(-30, 0), concurrency, frame, Phase("warm-up"))
    phase.before = await settle(pid)
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_rss(pid, phase, stop))
    await run_cycles(base, range(n), concurrency, frame, phase)
    stop.set()
    await watcher
    phase.after = await settle(pid)
    return phase


async def run_cycles(base: str, numbers: range, concurrency: int, frame: np.ndarray, phase: Phase) -> None:
    queue = iter(numbers)

    async def worker() -> None:
        for i in queue:
            try:
                client = await offer(base, FaceCamera([frame], fps=15), channel=f"soak{i % 16}")
            except AssertionError as exc:  # a refusal (503/429): counted, not a defect
                phase.capacity += "503" in str(exc) or "429" in str(exc)
                phase.fivexx += "/offer answered 5" in str(exc) and "503" not in str(exc)
                phase.note(str(exc))
                continue
            try:
                await wait_connected(client.pc)
                await client.received.next_image(within=10)
            except (AssertionError, TimeoutError) as exc:
                phase.failures += 1
                phase.note(f"cycle {i}: {exc}")
            finally:
                await client.close()
            phase.count += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def tracebacks(log_path: str) -> int:
    with open(log_path, errors="replace") as f:
        text = f.read()
    return text.count("Traceback") + sum(1 for line in text.splitlines() if " ERROR " in line)


async def main(args: argparse.Namespace) -> None:
    from media.aiortc_patches import jitter

    jitter.install()
    port = free_port()
    log_path = tempfile.mktemp(prefix="soak-", suffix=".log")
    command = (sys.executable, "server.py", "--port", str(port), "--db", ":memory:", "--clients",
               "tester:s3cret", "--connect-rate", "1000000", "--takeover-grace", "0", "--max-fps", "0",
               "--max-peers", "64", "--max-peers-per-address", "64")
    phases = []
    async with running(*command, port=port, source=faces()["astronaut"], log_path=log_path) as (base, pid):
        async with aiohttp.ClientSession() as http, http.post(
                f"{base}{hostile.API}/getToken", json={"clientId": "tester", "clientSecret": "s3cret"}) as r:
            token = (await r.json())["token"]
        sdp = await sample_offer_sdp()
        if args.inputs:
            phases.append(await inputs_phase(base, pid, args.inputs, args.concurrency, sdp, token))
        if args.cycles:
            # three at a time: the server lets one address set up at most three connections at once
            phases.append(await cycles_phase(base, pid, args.cycles, min(args.concurrency, 3)))
        logged = tracebacks(log_path)
    print(f"soak against server.py (pid {pid}); log {log_path}\n")
    head = (f"{'phase':<30}{'done':>6}{'5xx':>5}{'exc text':>9}{'>1 s':>6}{'503':>5}{'fail':>5}"
            f"{'RSS cold':>10}{'warm':>8}{'peak':>8}{'after':>8}{'growth':>8}{'fds':>10}{'threads':>10}")
    print(head)
    print("-" * len(head))
    for p in phases:
        growth = p.after["rss_mb"] - p.before["rss_mb"]
        print(f"{p.name:<30}{p.count:>6}{p.fivexx:>5}{p.exception_text:>9}{p.slow:>6}{p.capacity:>5}"
              f"{p.failures:>5}{p.cold['rss_mb']:>8.0f}MB{p.before['rss_mb']:>6.0f}MB{p.peak_rss:>6.0f}MB"
              f"{p.after['rss_mb']:>6.0f}MB{growth:>+6.0f}MB"
              f"{int(p.before['fds']):>5}->{int(p.after['fds']):<4}"
              f"{int(p.before['threads']):>5}->{int(p.after['threads']):<4}")
    print(f"\ntracebacks and ERROR lines in the server's log: {logged}")
    for p in phases:
        for example in p.examples:
            print(f"  {p.name}: {example}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=10_000)
    ap.add_argument("--cycles", type=int, default=1_000)
    ap.add_argument("--concurrency", type=int, default=8)
    asyncio.run(main(ap.parse_args()))
