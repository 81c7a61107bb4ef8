"""Socket.IO at /socket.io/ (python-socketio's AsyncServer on the aiohttp app), handing events to the hub."""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp import web

from media.channels import Refused, Transport
from signaling.face_swap_live.events import FaceSwapLiveEvents

EVENTS = ("process_frame", "clear_source")


class SocketIOClient:
    transport = Transport.SOCKETIO

    def __init__(self, sio: socketio.AsyncServer, sid: str) -> None:
        self.sio = sio
        self.sid = sid
        self.id = f"sio-{sid}"

    async def emit(self, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, to=self.sid)

    async def close(self) -> None:
        await self.sio.disconnect(self.sid)


def cors_setting(origins: tuple[str, ...]) -> str | list[str] | None:
    """python-socketio's form: None allows the same origin only, "*" any origin."""
    if not origins:
        return None
    return "*" if "*" in origins else list(origins)


def attach(app: web.Application, events: FaceSwapLiveEvents, max_message_bytes: int,
           cors_origins: tuple[str, ...]) -> socketio.AsyncServer:
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        max_http_buffer_size=max_message_bytes,  # also the WebSocket message cap in engine.io
        cors_allowed_origins=cors_setting(cors_origins),
        logger=False,
        engineio_logger=False,
    )
    clients: dict[str, SocketIOClient] = {}

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        client = SocketIOClient(sio, sid)
        try:
            await events.connect(client)
        except Refused as exc:
            raise socketio.exceptions.ConnectionRefusedError(str(exc)) from None
        clients[sid] = client

    @sio.event
    async def disconnect(sid: str, reason: Any = None) -> None:
        client = clients.pop(sid, None)
        if client is not None:
            await events.disconnect(client)

    def on(event: str) -> None:
        async def handler(sid: str, data: Any = None) -> None:
            client = clients.get(sid)
            if client is not None:
                await events.handle(client, event, data)

        sio.on(event, handler)

    for event in EVENTS:
        on(event)
    sio.attach(app, socketio_path="socket.io")
    return sio
