"""Socket.IO at /socket.io/ (python-socketio's AsyncServer on the aiohttp app), handing events to the hub."""

from __future__ import annotations

import logging
from typing import Any

import socketio
from aiohttp import web

from media.channels import Refused, Transport
from signaling.face_swap_live.events import FaceSwapLiveEvents

EVENTS = ("process_frame", "clear_source")


class SocketIOClient:
    transport = Transport.SOCKETIO

    def __init__(self, sio: socketio.AsyncServer, sid: str, address: str) -> None:
        self.sio = sio
        self.sid = sid
        self.id = f"sio-{sid}"
        self.address = address

    async def emit(self, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, to=self.sid)

    async def close(self) -> None:
        await self.sio.disconnect(self.sid)


# python-socketio's messages (their format strings) an operator cannot read as they stand: an
# event from a connection whose namespace is gone names its session None
PLAIN_WORDS = {
    "%s is not connected to namespace %s": "an event from a connection no longer in the namespace (its "
                                           "user taken over or disconnected, the event sent before "
                                           "it heard): dropped",
}


class ClientFaults(logging.Filter):
    """python-socketio logs what a client gets wrong (a malformed packet, an unknown session, an
    event for a namespace it is not connected to) at WARNING or ERROR, often with a traceback: for
    us that is the client's fault, one line at INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            plain = PLAIN_WORDS.get(record.msg) if isinstance(record.msg, str) else None
            message = plain or record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                message = f"{message}: {type(exc).__name__}: {exc}"
            record.msg, record.args = f"client fault: {message}", ()
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def protocol_logger(name: str) -> logging.Logger:
    """A logger for python-socketio's own messages: its chatter hidden (WARNING), client faults as
    INFO lines (the filter runs after the level check)."""
    logger = logging.getLogger(f"signaling.socketio.{name}")
    logger.setLevel(logging.WARNING)
    if not any(isinstance(f, ClientFaults) for f in logger.filters):
        logger.addFilter(ClientFaults())
    return logger


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
        logger=protocol_logger("socketio"),
        engineio_logger=protocol_logger("engineio"),
    )
    clients: dict[str, SocketIOClient] = {}

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        request = environ.get("aiohttp.request")  # engine.io's REMOTE_ADDR is a placeholder
        client = SocketIOClient(sio, sid, (request.remote if request is not None else None) or "")
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
