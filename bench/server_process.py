"""The server under test in its own process, so its CPU time can be read from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator

import aiohttp
import cv2
import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def running(*command: str, port: int, source: np.ndarray) -> AsyncIterator[tuple[str, int]]:
    """Start `command` (which must listen on `port`), wait for /status, upload `source`;
    yields (base URL, pid) and stops the process afterwards."""
    proc = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
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
            form = aiohttp.FormData()
            form.add_field("image", cv2.imencode(".jpg", source)[1].tobytes(),
                           filename="source.jpg", content_type="image/jpeg")
            async with http.post(base + "/upload_source", data=form) as r:
                if r.status != 200:
                    raise RuntimeError(f"upload failed: {await r.text()}")
        yield base, proc.pid
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 15)
