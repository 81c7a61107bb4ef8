"""Socket.IO at /socket.io/ (python-socketio's AsyncServer on the aiohttp app), handing events to the hub."""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp import web

from signaling.context import CTX
from signaling.fallback import FallbackHub, Refused

EVENTS = ("process_frame", "clear_source")


class SocketIOPeer:
    transport = "socketio"

    def __init__(self, sio: socketio.AsyncServer, sid: str) -> None:
        self.sio = sio
        self.sid = sid
        self.id = f"sio-{sid}"

    async def emit(self, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, to=self.sid)

    async def close(self) -> None:
        await self.sio.disconnect(self.sid)


def attach(app: web.Application, hub: FallbackHub) -> socketio.AsyncServer:
    s = app[CTX].settings
    origins: str | list[str] | None = None  # None: python-socketio allows the same origin only
    if s.cors_origins.strip() == "*":
        origins = "*"
    elif s.cors_origins.strip():
        origins = [o.strip() for o in s.cors_origins.split(",") if o.strip()]
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        max_http_buffer_size=s.max_message_bytes,  # also the WebSocket message cap in engine.io
        cors_allowed_origins=origins,
        logger=False,
        engineio_logger=False,
    )
    peers: dict[str, SocketIOPeer] = {}

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        peer = SocketIOPeer(sio, sid)
        try:
            await hub.connect(peer)
        except Refused as exc:
            raise socketio.exceptions.ConnectionRefusedError(str(exc)) from None
        peers[sid] = peer

    @sio.event
    async def disconnect(sid: str, reason: Any = None) -> None:
        peer = peers.pop(sid, None)
        if peer is not None:
            await hub.disconnect(peer)

    def on(event: str) -> None:
        async def handler(sid: str, data: Any = None) -> None:
            peer = peers.get(sid)
            if peer is not None:
                await hub.handle(peer, event, data)

        sio.on(event, handler)

    for event in EVENTS:
        on(event)
    sio.attach(app, socketio_path="socket.io")
    app[CTX].metrics.set_client_count("socketio", lambda: len(peers))
    return sio
