"""WebRTC signaling (API.md section 3): /offer, WHIP ingest, WHEP playback, the OBS player page.

    POST /offer               JSON {"sdp", "type": "offer"[, "channel"]} -> {"sdp", "type": "answer", "pc_id"}
                              camera in, swapped video back on the same connection
    POST /whip/{channel}      application/sdp offer -> 201 + Location + SDP answer (RFC 9725 ingest)
    POST /whep/{channel}      application/sdp offer -> 201 + Location + SDP answer (playback)
    DELETE /whip|whep/{channel}/{id}   ends that session
    GET /player?channel=...   a WHEP player page for an OBS Browser Source
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
from typing import Any

from aiohttp import web
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.channels import DEFAULT_CHANNEL, Channel, NoPublisher
from signaling.context import CTX, Context
from signaling.http_api import WEB_DIR
from signaling.peers import Peer, TooManyPeers

log = logging.getLogger(__name__)

MAX_SDP_BYTES = 64 * 1024
SDP_TYPE = "application/sdp"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, DELETE, OPTIONS, PATCH",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match",
    "Access-Control-Expose-Headers": "Location, Accept-Post, Link",
}


class SignalingError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_offer_sdp(sdp: object) -> str:
    """The offer's SDP if it is plausibly one with video; SignalingError(400) saying why not."""
    if not isinstance(sdp, str) or not sdp.strip():
        raise SignalingError(400, "the offer has no SDP")
    if len(sdp) > MAX_SDP_BYTES:
        raise SignalingError(413, f"the SDP is larger than {MAX_SDP_BYTES} bytes")
    if not sdp.lstrip().startswith("v=0"):
        raise SignalingError(400, "malformed SDP: it must start with v=0")
    if "\nm=video " not in sdp.replace("\r\n", "\n"):
        raise SignalingError(400, "the offer has no video (m=video) section")
    return sdp


def bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[7:].strip() if auth[:7].lower() == "bearer " else None


def authorize(ctx: Context, channel: Channel, request: web.Request) -> None:
    """Channels with a token (and every channel when a stream token is set) need it as a bearer."""
    expected = channel.token or ctx.settings.stream_token or None
    if expected is None:
        return
    given = bearer(request)
    if given is None:
        raise SignalingError(401, "this channel needs Authorization: Bearer <token>")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise SignalingError(403, "the token does not open this channel")


def channel_for(ctx: Context, name: str, create: bool) -> Channel:
    channel = ctx.channels.get(name)
    if channel is None and create:
        try:
            channel = ctx.channels.get_or_create(name)
        except ValueError as exc:
            raise SignalingError(400, str(exc)) from None
        except OverflowError as exc:
            raise SignalingError(503, str(exc)) from None
    if channel is None:
        raise SignalingError(404, f"no channel {name!r}")
    return channel


def new_peer_connection(ctx: Context) -> RTCPeerConnection:
    servers = [RTCIceServer(urls=u.strip()) for u in ctx.settings.stun.split(",") if u.strip()]
    return RTCPeerConnection(RTCConfiguration(iceServers=servers))


def prefer_codec(pc: RTCPeerConnection, codec: str) -> None:
    """Put `codec` (h264 or vp8) first for the offer's video; `auto` keeps the offerer's order.

    aiortc settles the codecs while it applies the remote offer, reusing a video transceiver
    that exists already: so one is made beforehand, carrying the preference. Call it before
    setRemoteDescription. The answer's direction still follows the offer's.
    """
    if codec == "auto":
        return
    caps = RTCRtpSender.getCapabilities("video").codecs
    first = [c for c in caps if c.mimeType.lower() == f"video/{codec}"]
    rest = [c for c in caps if c not in first]
    pc.addTransceiver("video", direction="sendrecv").setCodecPreferences(first + rest)


async def answer(ctx: Context, pc: RTCPeerConnection, sdp: str) -> str:
    try:
        prefer_codec(pc, ctx.settings.video_codec)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
    except SignalingError:
        raise
    except Exception as exc:  # aiortc raises assorted errors for SDP it cannot use
        raise SignalingError(400, f"malformed or unusable SDP offer: {exc}") from None
    return pc.localDescription.sdp


async def open_peer(ctx: Context, kind: str, channel: Channel) -> Peer:
    pc = new_peer_connection(ctx)
    try:
        return ctx.peers.add(pc, kind, channel.name)
    except TooManyPeers as exc:
        await pc.close()
        raise SignalingError(503, str(exc)) from None


async def discard(track: MediaStreamTrack) -> None:
    with contextlib.suppress(MediaStreamError):
        while True:
            await track.recv()


def publish_camera(ctx: Context, peer: Peer, channel: Channel, send_back: bool) -> None:
    """When the peer's camera track arrives, swap it and make it the channel's output."""

    @peer.pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        if track.kind != "video":
            # Audio is not relayed, but aiortc queues every decoded frame of a received track
            # without bound: read and discard it (OBS's WHIP output always sends audio).
            drain = asyncio.ensure_future(discard(track))
            peer.on_close.append(drain.cancel)
            return
        swap = ctx.make_track(track, ctx.worker, f"rtc-{peer.id[:12]}", channel.sources, ctx.codec_pool)
        old = channel.publish(swap, peer.id)
        if old is not None:
            log.info("channel %s: a new publisher replaces the previous one", channel.name)
            old.stop()
            hang_up_viewers()
        if send_back:
            peer.pc.addTrack(channel.relay.subscribe(swap, buffered=False))

    def hang_up_viewers() -> None:
        # Their video came from the publisher's track, which has ended: close them, so players
        # (the OBS player page) reconnect and pick up whoever publishes next.
        ctx.peers.close_channel_soon(channel.name, kinds=("whep",))

    def unpublish() -> None:
        track = channel.unpublish(peer.id)
        if track is not None:
            track.stop()
            hang_up_viewers()

    peer.on_close.append(unpublish)


async def _negotiate(ctx: Context, kind: str, channel: Channel, sdp: str) -> tuple[Peer, str]:
    peer = await open_peer(ctx, kind, channel)
    try:
        if kind in ("offer", "whip"):
            publish_camera(ctx, peer, channel, send_back=kind == "offer")
            local = await answer(ctx, peer.pc, sdp)
        else:
            try:
                track = channel.subscribe()
            except NoPublisher as exc:
                raise SignalingError(404, str(exc)) from None
            peer.on_close.append(track.stop)
            local = await _answer_with_track(ctx, peer.pc, sdp, track)
        sending = any(t.sender.track for t in peer.pc.getTransceivers() if t.kind == "video")
        if kind == "offer" and not sending:
            raise SignalingError(400, "the offer does not let the server send video back (use sendrecv)")
    except BaseException:
        await ctx.peers.close(peer.id)
        raise
    log.info("%s peer %s on channel %s: answered", kind, peer.id[:8], channel.name)
    return peer, local


async def _answer_with_track(ctx: Context, pc: RTCPeerConnection, sdp: str, track: MediaStreamTrack) -> str:
    prefer_codec(pc, ctx.settings.video_codec)
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
    except Exception as exc:
        raise SignalingError(400, f"malformed or unusable SDP offer: {exc}") from None
    pc.addTrack(track)
    try:
        await pc.setLocalDescription(await pc.createAnswer())
    except Exception as exc:
        raise SignalingError(400, f"cannot answer this offer: {exc}") from None
    return pc.localDescription.sdp


# -- /offer (aiortc's example shape) -------------------------------------------------------------
async def offer(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    try:
        if request.content_length is not None and request.content_length > MAX_SDP_BYTES * 2:
            raise SignalingError(413, "the offer is too large")
        try:
            params: Any = json.loads(await request.text())
        except ValueError:
            raise SignalingError(400, 'expected JSON {"sdp": ..., "type": "offer"}') from None
        if not isinstance(params, dict) or params.get("type") != "offer":
            raise SignalingError(400, 'expected JSON {"sdp": ..., "type": "offer"}')
        sdp = check_offer_sdp(params.get("sdp"))
        name = params.get("channel_id") or params.get("channel") or DEFAULT_CHANNEL
        if not isinstance(name, str):
            raise SignalingError(400, "channel must be a string")
        channel = channel_for(ctx, name, create=True)
        authorize(ctx, channel, request)
        peer, local = await _negotiate(ctx, "offer", channel, sdp)
    except SignalingError as exc:
        return web.json_response({"error": exc.reason}, status=exc.status)
    return web.json_response({"sdp": local, "type": "answer", "pc_id": peer.id})


# -- WHIP / WHEP (RFC 9725 and its playback twin) -----------------------------------------------
def _sdp_error(exc: SignalingError) -> web.Response:
    headers = dict(CORS)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="faceswap"'
    return web.Response(status=exc.status, text=exc.reason + "\n", headers=headers)


def sdp_endpoint(kind: str) -> tuple[Any, Any, Any, Any]:
    """POST, DELETE, OPTIONS and PATCH handlers of the WHIP or WHEP endpoint."""
    async def post(request: web.Request) -> web.Response:
        ctx = request.app[CTX]
        try:
            if request.content_type != SDP_TYPE:
                raise SignalingError(415, f"send the offer as Content-Type: {SDP_TYPE}")
            if request.content_length is not None and request.content_length > MAX_SDP_BYTES:
                raise SignalingError(413, f"the SDP is larger than {MAX_SDP_BYTES} bytes")
            sdp = check_offer_sdp((await request.read()).decode("utf-8", "replace"))
            channel = channel_for(ctx, request.match_info["channel"], create=kind == "whip")
            authorize(ctx, channel, request)
            peer, local = await _negotiate(ctx, kind, channel, sdp)
        except SignalingError as exc:
            return _sdp_error(exc)
        headers = {**CORS, "Location": f"/{kind}/{channel.name}/{peer.id}", "Content-Type": SDP_TYPE}
        return web.Response(status=201, text=local, headers=headers)

    async def delete(request: web.Request) -> web.Response:
        ctx = request.app[CTX]
        peer = ctx.peers.get(request.match_info["resource"])
        if peer is None or peer.kind != kind or peer.channel != request.match_info["channel"]:
            return _sdp_error(SignalingError(404, "no such session"))
        try:
            authorize(ctx, channel_for(ctx, peer.channel, create=False), request)
        except SignalingError as exc:
            return _sdp_error(exc)
        await ctx.peers.close(peer.id)
        return web.Response(status=200, headers=CORS)

    async def options(request: web.Request) -> web.Response:
        return web.Response(status=204, headers={**CORS, "Accept-Post": SDP_TYPE})

    async def patch(request: web.Request) -> web.Response:
        # trickle ICE and ICE restarts are not supported: the answer already carries every candidate
        return web.Response(status=405, text="trickle ICE is not supported\n",
                            headers={**CORS, "Allow": "DELETE, OPTIONS"})

    post.__name__, delete.__name__ = f"{kind}_post", f"{kind}_delete"
    return post, delete, options, patch


async def player(request: web.Request) -> web.FileResponse:
    return web.FileResponse(os.path.join(WEB_DIR, "player.html"))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/offer", offer)
    for kind in ("whip", "whep"):
        post, delete, options, patch = sdp_endpoint(kind)
        app.router.add_post(f"/{kind}/{{channel}}", post)
        app.router.add_route("OPTIONS", f"/{kind}/{{channel}}", options)
        app.router.add_delete(f"/{kind}/{{channel}}/{{resource}}", delete)
        app.router.add_route("PATCH", f"/{kind}/{{channel}}/{{resource}}", patch)
        app.router.add_route("OPTIONS", f"/{kind}/{{channel}}/{{resource}}", options)
    app.router.add_get("/player", player)
