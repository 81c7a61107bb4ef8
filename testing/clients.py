"""Clients of the server as users run them: plain HTTP, Socket.IO, and the /ws WebSocket."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import socketio
from prometheus_client.parser import text_string_to_metric_families


def base_of(server: Any) -> str:
    """The base URL of an aiohttp test server."""
    return str(server.make_url("")).rstrip("/")


async def upload(base: str, body: bytes | list[bytes], filename: str = "face.jpg",
                 content_type: str = "image/jpeg") -> tuple[int, dict[str, Any]]:
    """POST /upload_source with one photo, or several (photos of one person) as repeated fields."""
    form = aiohttp.FormData()
    for i, photo in enumerate(body if isinstance(body, list) else [body]):
        name = f"{i}-{filename}" if i else filename
        form.add_field("image", photo, filename=name, content_type=content_type)
    async with aiohttp.ClientSession() as http, http.post(base + "/upload_source", data=form) as r:
        return r.status, await r.json()


async def get_json(base: str, path: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(base + path) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def metric(base: str, name: str, **labels: str) -> float:
    """One sample of /metrics, by name and labels."""
    async with aiohttp.ClientSession() as http, http.get(base + "/metrics") as r:
        text = await r.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    raise AssertionError(f"{name} {labels} not in /metrics")


class Recorder:
    """Queues of received events by name, shared by the Socket.IO and the WebSocket clients."""

    def __init__(self) -> None:
        self.queues: dict[str, asyncio.Queue[Any]] = {}
        self._arrived = asyncio.Event()

    def queue(self, event: str) -> asyncio.Queue[Any]:
        return self.queues.setdefault(event, asyncio.Queue())

    def put(self, event: str, data: Any) -> None:
        self.queue(event).put_nowait(data)
        self._arrived.set()

    async def next(self, event: str, within: float = 10.0) -> Any:
        return await asyncio.wait_for(self.queue(event).get(), within)

    async def next_of(self, *events: str, within: float = 10.0) -> tuple[str, Any]:
        """The next of any of `events` (whichever arrived first of those already queued)."""
        async def first() -> tuple[str, Any]:
            while True:
                for event in events:
                    if not self.queue(event).empty():
                        return event, self.queue(event).get_nowait()
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(first(), within)

    def pending(self, event: str) -> list[Any]:
        q, out = self.queue(event), []
        while not q.empty():
            out.append(q.get_nowait())
        return out


class SioUser(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.sio = socketio.AsyncClient(reconnection=False)
        self.disconnected = asyncio.Event()
        for event in ("processed_frame", "frame_dropped", "status_update", "error", "connect_error"):
            self.sio.on(event, lambda data, e=event: self.put(e, data))
        self.sio.on("disconnect", lambda *a: self.disconnected.set())

    async def connect(self, base: str, transports: tuple[str, ...] = ("websocket",)) -> SioUser:
        await self.sio.connect(base, transports=list(transports))
        return self

    async def send(self, frame: Any) -> None:
        await self.sio.emit("process_frame", {"frame": frame})

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    async def roundtrip(self, frame: Any, within: float = 10.0) -> dict[str, Any]:
        await self.send(frame)
        return await self.next("processed_frame", within)

    async def close(self) -> None:
        await self.sio.disconnect()


class WsUser(Recorder):
    """The plain /ws transport with aiohttp's WebSocket client."""

    def __init__(self) -> None:
        super().__init__()
        self.http = aiohttp.ClientSession()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    async def connect(self, base: str) -> WsUser:
        self.ws = await self.http.ws_connect(base + "/ws")
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                m = msg.json()
                self.put(m["event"], m["data"])
        self.closed.set()

    async def send_raw(self, text: str) -> None:
        assert self.ws is not None
        await self.ws.send_str(text)

    async def emit(self, event: str, data: Any = None) -> None:
        assert self.ws is not None
        await self.ws.send_json({"event": event, "data": data})

    async def send(self, frame: Any) -> None:
        await self.emit("process_frame", {"frame": frame})

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed

    async def roundtrip(self, frame: Any, within: float = 10.0) -> dict[str, Any]:
        await self.send(frame)
        return await self.next("processed_frame", within)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader
        await self.http.close()
