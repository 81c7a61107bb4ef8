"""A plain WebSocket at /ws carrying the same events as JSON `{"event": ..., "data": ...}`."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from signaling.context import CTX
from signaling.fallback import FallbackHub, Refused

log = logging.getLogger(__name__)

HEARTBEAT_S = 20.0


class WebSocketPeer:
    transport = "ws"

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.id = f"ws-{uuid.uuid4().hex[:12]}"
        self._send_lock = asyncio.Lock()  # answers come from several frame tasks at once

    async def emit(self, event: str, data: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_str(json.dumps({"event": event, "data": data}))

    async def close(self) -> None:
        await self.ws.close()


def _parse(text: str) -> tuple[str, Any] | str:
    """(event, data) from a message, or why it is not one."""
    try:
        msg = json.loads(text)
    except ValueError:
        return "Message is not JSON"
    if not isinstance(msg, dict) or not isinstance(msg.get("event"), str):
        return 'Message must be {"event": "...", "data": ...}'
    return msg["event"], msg.get("data")


def attach(app: web.Application, hub: FallbackHub) -> None:
    peers: set[WebSocketPeer] = set()

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        s = request.app[CTX].settings
        ws = web.WebSocketResponse(max_msg_size=s.max_message_bytes, heartbeat=HEARTBEAT_S)
        await ws.prepare(request)
        peer = WebSocketPeer(ws)
        try:
            await hub.connect(peer)
        except Refused as exc:
            await ws.send_str(json.dumps({"event": "connect_error", "data": {"message": str(exc)}}))
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=str(exc).encode())
            return ws
        peers.add(peer)
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    parsed = _parse(msg.data)
                    if isinstance(parsed, str):
                        await peer.emit("error", {"message": parsed})
                    else:
                        await hub.handle(peer, *parsed)
                elif msg.type is WSMsgType.BINARY:
                    await peer.emit("error", {"message": "Binary messages are not supported; send JSON text"})
                elif msg.type is WSMsgType.ERROR:
                    log.info("websocket %s closed with error: %s", peer.id, ws.exception())
        finally:
            peers.discard(peer)
            await hub.disconnect(peer)
        return ws

    app.router.add_get("/ws", ws_handler)
    app[CTX].metrics.set_client_count("ws", lambda: len(peers))
