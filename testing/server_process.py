"""The server in its own process, as users run it: its CPU, memory, file descriptors and threads
can be read from /proc, and its log kept."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator

import aiohttp
import cv2
import numpy as np

from server import PROCESS_ENV


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """A process and every process it started that still runs (a server's engine processes,
    --engine-processes 1)."""
    found = [pid]
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    found += tree(int(child))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """cpu_seconds of a process and of every process it started that still runs."""
    total = 0.0
    for member in tree(pid):
        with contextlib.suppress(OSError):  # gone since
            total += cpu_seconds(member)
    return total


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":", 1) for line in f if ":" in line)


def _rss_mb(status: dict[str, str]) -> float:
    return int(status["VmRSS"].split()[0]) / 1024


def figures(pid: int) -> dict[str, float]:
    """RSS (MB), open file descriptors and threads of a running process; `tree_rss_mb` adds the RSS
    of the processes it started (each counts the libraries they share)."""
    status = _status(pid)
    rss_mb = tree_rss_mb = _rss_mb(status)
    for child in tree(pid)[1:]:
        with contextlib.suppress(OSError, KeyError):  # gone since
            tree_rss_mb += _rss_mb(_status(child))
    return {
        "rss_mb": rss_mb,
        "tree_rss_mb": tree_rss_mb,
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(status["Threads"]),
    }


@contextlib.asynccontextmanager
async def running(*command: str, port: int, source: np.ndarray | None = None,
                  log_path: str | None = None) -> AsyncIterator[tuple[str, int]]:
    """Start `command` (which must listen on `port`), wait for /status, upload `source` if given;
    yields (base URL, pid) and stops the process afterwards. Its log goes to `log_path`."""
    log = open(log_path, "wb") if log_path else None  # noqa: ASYNC230 - a local file, opened once
    proc = await asyncio.create_subprocess_exec(
        *command, env={**PROCESS_ENV, **os.environ}, stdout=asyncio.subprocess.DEVNULL,
        stderr=log if log is not None else asyncio.subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(base + "/status") as r:
                        if r.status == 200:
                            break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"the server did not start: {' '.join(command)}")
            if source is not None:
                form = aiohttp.FormData()
                form.add_field("image", cv2.imencode(".jpg", source)[1].tobytes(),
                               filename="source.jpg", content_type="image/jpeg")
                async with http.post(base + "/upload_source", data=form) as r:
                    if r.status != 200:
                        raise RuntimeError(f"upload failed: {await r.text()}")
        yield base, proc.pid
    finally:
        if proc.returncode is None:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 15)
        if log is not None:
            log.close()
