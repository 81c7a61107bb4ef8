"""A plain WebSocket at /ws carrying the same events as JSON `{"event": ..., "data": ...}`."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from media.channels import Refused, Transport
from signaling.face_swap_live.events import FaceSwapLiveEvents

log = logging.getLogger(__name__)

# aiohttp pings every HEARTBEAT_S and closes a connection whose pong does not come back: a client
# that vanished without a close frame is found within about that time, not at the idle timeout.
HEARTBEAT_S = 20.0
BINARY_REFUSED = "Binary messages are not supported; send JSON text"


class WebSocketClient:
    transport = Transport.WS

    def __init__(self, ws: web.WebSocketResponse, address: str) -> None:
        self.ws = ws
        self.id = f"ws-{uuid.uuid4().hex}"
        self.address = address
        self._send_lock = asyncio.Lock()  # answers come from several frame tasks at once

    async def emit(self, event: str, data: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_str(json.dumps({"event": event, "data": data}))

    async def close(self) -> None:
        await self.ws.close()

    async def reply(self, event: str, data: dict[str, Any]) -> None:
        """emit(), for answers to the client's own messages: one taken over or gone meanwhile is
        past answering, and that is not an error."""
        try:
            await self.emit(event, data)
        except ConnectionError as exc:
            log.debug("could not answer %s: %s", self.id[:11], exc)


def parse_message(text: str) -> tuple[str, Any] | str:
    """(event, data) from a message, or why it is not one."""
    try:
        msg = json.loads(text)
    except RecursionError:
        return "Message is nested too deeply"
    except ValueError:
        return "Message is not JSON"
    if not isinstance(msg, dict) or not isinstance(msg.get("event"), str):
        return 'Message must be {"event": "...", "data": ...}'
    return msg["event"], msg.get("data")


def attach(app: web.Application, events: FaceSwapLiveEvents, max_message_bytes: int) -> None:
    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=max_message_bytes, heartbeat=HEARTBEAT_S)
        await ws.prepare(request)
        client = WebSocketClient(ws, request.remote or "")
        try:
            await events.connect(client)
        except Refused as exc:
            await ws.send_str(json.dumps({"event": "connect_error", "data": {"message": str(exc)}}))
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=str(exc).encode())
            return ws
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    parsed = parse_message(msg.data)
                    if isinstance(parsed, str):
                        await client.reply("error", {"message": parsed})
                    else:
                        await events.handle(client, *parsed)
                elif msg.type is WSMsgType.BINARY:
                    await client.reply("error", {"message": BINARY_REFUSED})
                elif msg.type is WSMsgType.ERROR:
                    log.info("websocket %s closed with error: %s", client.id[:11], ws.exception())
        finally:
            await events.disconnect(client)
        return ws

    app.router.add_get("/ws", ws_handler)
