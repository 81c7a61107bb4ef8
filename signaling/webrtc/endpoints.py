"""The WebRTC dialect's HTTP views (API.md section 3): /offer, WHIP ingest, WHEP playback.

    POST /offer               JSON {"sdp", "type": "offer"[, "channel_id"]}
                              -> {"sdp", "type": "answer", "pc_id"}: camera in, swapped video back
    POST /whip/{channel}      application/sdp offer -> 201 + Location + SDP answer (RFC 9725 ingest)
    POST /whep/{channel}      application/sdp offer -> 201 + Location + SDP answer (playback)
    DELETE /whip|whep/{channel}/{id}   ends that session

Each view turns its request into an `OfferRequest` and hands it to `RtcConnector` (connect.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from media.channels import DEFAULT_CHANNEL, BadChannelName, check_channel_name
from media.stats import SessionStats
from signaling.json_body import BadBody, read_json
from signaling.webrtc.connect import RtcConnector
from signaling.webrtc.negotiation import (
    MAX_SDP_BYTES,
    OfferRequest,
    Role,
    SignalingError,
    bearer,
    check_offer_sdp,
    check_token,
)
from signaling.webrtc.peers import PeerRegistry

SDP_TYPE = "application/sdp"
# RFC 9725: PATCH is how a client trickles candidates; it is not advertised while unsupported (answers
# carry every candidate), or browser clients that see it trickle and offer none.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match",
    "Access-Control-Expose-Headers": "Location, Accept-Post, Link",
}


def token_of(request: web.Request) -> str | None:
    return bearer(request.headers.get("Authorization", ""))


class OfferEndpoint:
    """POST /offer, the shape of aiortc's own server example, so its clients work; and (ours)
    GET /offer/{pc_id}/stats, the server's side of that connection's delay."""

    def __init__(self, connector: RtcConnector, peers: PeerRegistry) -> None:
        self.connector = connector
        self.peers = peers

    async def stats(self, request: web.Request) -> web.Response:
        peer = self.peers.get(request.match_info["pc_id"])
        if peer is None or peer.role is not Role.OFFER:
            return web.json_response({"error": "no such connection"}, status=404)
        found = self.connector.accounting.find(peer.id)
        snap = (found or SessionStats()).snapshot()
        return web.json_response({
            "server_delay_ms": snap["latency_ms"],  # frame in (decoded) -> swapped frame out to the encoder
            "processing_ms": snap["avg_processing_time"],  # the engine's share of it
            "encode_ms": self.connector.encode_ms(peer.channel),  # measured; null when not known
            "fps": snap["fps"],
            "dropped": snap["dropped"],
        })

    async def post(self, request: web.Request) -> web.Response:
        try:
            offer = await self._parse(request)
            peer, answer = await self.connector.open(offer)
        except SignalingError as exc:
            return web.json_response({"error": exc.reason}, status=exc.status)
        return web.json_response({"sdp": answer, "type": "answer", "pc_id": peer.id})

    async def _parse(self, request: web.Request) -> OfferRequest:
        try:
            params: Any = await read_json(request, MAX_SDP_BYTES * 2)
        except BadBody as exc:
            raise SignalingError(exc.status, f'{exc}: expected {{"sdp": ..., "type": "offer"}}') from None
        if not isinstance(params, dict) or params.get("type") != "offer":
            raise SignalingError(400, 'expected JSON {"sdp": ..., "type": "offer"}')
        channel = params.get("channel_id") or params.get("channel") or DEFAULT_CHANNEL
        if not isinstance(channel, str):
            raise SignalingError(400, "channel must be a string")
        try:
            check_channel_name(channel)
        except BadChannelName as exc:
            raise SignalingError(400, str(exc)) from None
        sdp = check_offer_sdp(params.get("sdp"))
        return OfferRequest(Role.OFFER, channel, sdp, token_of(request), request.remote or "")


class SdpEndpoint:
    """WHIP (RFC 9725) or its playback twin WHEP: SDP in the body, 201 with a Location to DELETE."""

    def __init__(self, role: Role, connector: RtcConnector, peers: PeerRegistry) -> None:
        self.role = role
        self.connector = connector
        self.peers = peers

    @staticmethod
    def error(exc: SignalingError) -> web.Response:
        headers = dict(CORS)
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="faceswap"'
        return web.Response(status=exc.status, text=exc.reason + "\n", headers=headers)

    async def post(self, request: web.Request) -> web.Response:
        try:
            if request.content_type != SDP_TYPE:
                raise SignalingError(415, f"send the offer as Content-Type: {SDP_TYPE}")
            if request.content_length is not None and request.content_length > MAX_SDP_BYTES:
                raise SignalingError(413, f"the SDP is larger than {MAX_SDP_BYTES} bytes")
            sdp = check_offer_sdp((await request.read()).decode("utf-8", "replace"))
            offer = OfferRequest(self.role, request.match_info["channel"], sdp, token_of(request),
                                 request.remote or "")
            peer, answer = await self.connector.open(offer)
        except SignalingError as exc:
            return self.error(exc)
        location = f"/{self.role.value}/{peer.channel}/{peer.id}"
        headers = {**CORS, "Location": location, "Content-Type": SDP_TYPE}  # the type has no charset
        return web.Response(status=201, body=answer.encode(), headers=headers)

    async def delete(self, request: web.Request) -> web.Response:
        peer = self.peers.get(request.match_info["resource"])
        if peer is None or peer.role is not self.role or peer.channel != request.match_info["channel"]:
            return self.error(SignalingError(404, "no such session"))
        channel = self.connector.sessions.channel(peer.channel)
        try:
            check_token((channel.token if channel else None) or self.connector.settings.stream_token or None,
                        token_of(request))
        except SignalingError as exc:
            return self.error(exc)
        await self.peers.close(peer.id)
        return web.Response(status=200, headers=CORS)

    async def options(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers={**CORS, "Accept-Post": SDP_TYPE})

    async def patch(self, request: web.Request) -> web.Response:
        # trickle ICE and ICE restarts are not supported: the answer already carries every candidate
        return web.Response(status=405, text="trickle ICE is not supported\n",
                            headers={**CORS, "Allow": "DELETE, OPTIONS"})


def error_shape(path: str) -> Callable[[int, str], web.Response] | None:
    """This dialect's answer to an HTTP error (unknown route, server fault) on one of its paths."""
    if path == "/offer" or path.startswith("/offer/"):
        return lambda status, msg: web.json_response({"error": msg}, status=status)
    if path.startswith(("/whip/", "/whep/")):
        return lambda status, msg: SdpEndpoint.error(SignalingError(status, msg))
    return None


def add_routes(app: web.Application, connector: RtcConnector, peers: PeerRegistry) -> None:
    offer = OfferEndpoint(connector, peers)
    app.router.add_post("/offer", offer.post)
    app.router.add_get("/offer/{pc_id}/stats", offer.stats)
    for role in (Role.WHIP, Role.WHEP):
        endpoint = SdpEndpoint(role, connector, peers)
        base = f"/{role.value}/{{channel}}"
        app.router.add_post(base, endpoint.post)
        app.router.add_route("OPTIONS", base, endpoint.options)
        app.router.add_delete(base + "/{resource}", endpoint.delete)
        app.router.add_route("PATCH", base + "/{resource}", endpoint.patch)
        app.router.add_route("OPTIONS", base + "/{resource}", endpoint.options)
