"""Slow clients cannot hold the server: a body sent too slowly is answered 408 and closed, on every
dialect, in that dialect's shape."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

pytestmark = pytest.mark.slow


async def half_a_body(port: int, path: str, content_type: str) -> tuple[float, bytes, float]:
    """POST announcing 1000 bytes, send 10, then wait: (when the answer came, the answer, when the
    server closed the connection)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write((f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                  "Content-Length: 1000\r\n\r\n0123456789").encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    answered = time.monotonic() - started
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    body = await reader.readexactly(length)
    await asyncio.wait_for(reader.read(), 10)  # the server closes after its lingering time
    closed = time.monotonic() - started
    writer.close()
    return answered, head + body, closed


@pytest.mark.parametrize("path, content_type, shape", [
    ("/upload_source", "multipart/form-data; boundary=x", b'"success": false'),
    ("/api/open/v3/getToken", "application/json", b'"code": 1003'),
    ("/offer", "application/json", b'"error"'),
    ("/whip/cam", "application/sdp", b"took longer"),
])
async def test_a_body_sent_too_slowly_is_answered_408_and_closed(serve, path, content_type, shape):
    server = await serve(request_timeout=0.5)
    answered, answer, closed = await half_a_body(server.port, path, content_type)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert shape in answer and b"Traceback" not in answer, answer
    if shape.startswith(b'"'):
        json.loads(answer.split(b"\r\n\r\n", 1)[1])  # the dialect's JSON, whole
    assert answered < 1.5 and closed < answered + 3.0, (answered, closed)
