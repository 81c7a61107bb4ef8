"""A GStreamer `webrtcbin` WHIP publisher or WHEP viewer: a real non-browser client for the tests.

Runs under Debian's own python3 with python3-gst-1.0 (not the project's venv), so it imports only
the standard library and GStreamer:

    /usr/bin/python3 testing/gst_client.py whip URL --image face.jpg --codec vp8|h264 --seconds 5
    /usr/bin/python3 testing/gst_client.py whep URL --out frame.bgr --seconds 5

Like simple-whip-client and gst-plugins-rs' whipclientsink, it offers `a=setup:actpass` with an RSA
certificate (webrtcbin's default) and sends every ICE candidate in the offer (no trickle). It
prints one JSON object per line on stdout: {"event": "answered" | "connected" | "frames" | "error",
...}; a viewer writes the last frame it decoded to --out as raw BGR, its size in the "frames" event.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import urllib.error
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

ENCODERS = {
    "vp8": ("vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! "
            "application/x-rtp,media=video,encoding-name=VP8,payload=96"),
    "h264": ("x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! "
             "video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 pt=102 ! "
             "application/x-rtp,media=video,encoding-name=H264,payload=102"),
}


def say(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


class Client:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.loop = GLib.MainLoop()
        self.frames = 0
        self.sent_offer = False
        if args.mode == "whip":
            source = (f"filesrc location={args.image} ! decodebin ! videoconvert ! imagefreeze ! "
                      f"videoscale ! videorate ! video/x-raw,framerate=15/1 ! videoconvert ! queue ! "
                      f"{ENCODERS[args.codec]} ! rtc.")
            self.pipe = Gst.parse_launch(f"webrtcbin name=rtc bundle-policy=max-bundle {source}")
            self.rtc = self.pipe.get_by_name("rtc")
        else:
            self.pipe = Gst.Pipeline.new("viewer")
            self.rtc = Gst.ElementFactory.make("webrtcbin", "rtc")
            self.rtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
            self.pipe.add(self.rtc)
        if args.mode == "whep":
            caps = Gst.Caps.from_string("application/x-rtp,media=video,encoding-name=VP8,payload=96,"
                                        "clock-rate=90000")
            self.rtc.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY, caps)
            self.rtc.connect("pad-added", self.on_pad)
        self.rtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.rtc.connect("notify::ice-gathering-state", self.on_gathering)
        self.rtc.connect("notify::connection-state", self.on_connection)

    # -- offer, gathered in full, then POSTed ------------------------------------------------------
    def on_negotiation_needed(self, rtc: Gst.Element) -> None:
        promise = Gst.Promise.new_with_change_func(self.on_offer, rtc, None)
        rtc.emit("create-offer", None, promise)

    def on_offer(self, promise: Gst.Promise, rtc: Gst.Element, _: object) -> None:
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply is not None and reply.has_field("offer") else None
        if offer is None:
            say("error", reason=f"webrtcbin made no offer: {reply.to_string() if reply else 'no reply'}")
            GLib.idle_add(self.loop.quit)
            return
        rtc.emit("set-local-description", offer, Gst.Promise.new())

    def on_gathering(self, rtc: Gst.Element, _: object) -> None:
        complete = rtc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE
        if complete and not self.sent_offer:
            self.sent_offer = True
            sdp = rtc.get_property("local-description").sdp.as_text()
            threading.Thread(target=self.post, args=(sdp,), daemon=True).start()

    def post(self, sdp: str) -> None:
        headers = {"Content-Type": "application/sdp"}
        if self.args.token:
            headers["Authorization"] = f"Bearer {self.args.token}"
        request = urllib.request.Request(self.args.url, sdp.encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                answer = r.read().decode()
                status = r.status
        except urllib.error.HTTPError as exc:
            say("error", status=exc.code, reason=exc.read().decode().strip())
            GLib.idle_add(self.loop.quit)
            return
        say("answered", status=status, setup=[ln for ln in answer.splitlines() if ln.startswith("a=setup")])
        GLib.idle_add(self.apply_answer, answer)

    def apply_answer(self, text: str) -> bool:
        _, message = GstSdp.SDPMessage.new_from_text(text)
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, message)
        self.rtc.emit("set-remote-description", answer, Gst.Promise.new())
        return False

    def on_connection(self, rtc: Gst.Element, _: object) -> None:
        state = rtc.get_property("connection-state")
        if state == GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
            say("connected")
        elif state == GstWebRTC.WebRTCPeerConnectionState.FAILED:
            say("error", reason="connection failed")
            GLib.idle_add(self.loop.quit)

    # -- a viewer decodes what it receives ---------------------------------------------------------
    def on_pad(self, rtc: Gst.Element, pad: Gst.Pad) -> None:
        if pad.direction != Gst.PadDirection.SRC:
            return
        decode = Gst.ElementFactory.make("decodebin")
        decode.connect("pad-added", self.on_decoded)
        self.pipe.add(decode)
        decode.sync_state_with_parent()
        pad.link(decode.get_static_pad("sink"))

    def on_decoded(self, decode: Gst.Element, pad: Gst.Pad) -> None:
        sink = Gst.parse_bin_from_description(
            "queue ! videoconvert ! video/x-raw,format=BGR ! appsink name=out emit-signals=true "
            "max-buffers=1 drop=true sync=false", True)
        self.pipe.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))
        sink.get_by_name("out").connect("new-sample", self.on_sample)

    def on_sample(self, appsink: Gst.Element) -> Gst.FlowReturn:
        sample = appsink.emit("pull-sample")
        self.frames += 1
        if self.args.out:
            structure = sample.get_caps().get_structure(0)
            width, height = structure.get_value("width"), structure.get_value("height")
            buffer = sample.get_buffer()
            ok, info = buffer.map(Gst.MapFlags.READ)
            if ok:
                with open(self.args.out, "wb") as f:
                    f.write(bytes(info.data))
                buffer.unmap(info)
                self.size = (width, height)
        return Gst.FlowReturn.OK

    def run(self) -> int:
        self.size = (0, 0)
        self.pipe.set_state(Gst.State.PLAYING)
        GLib.timeout_add(int(self.args.seconds * 1000), self.loop.quit)
        self.loop.run()
        say("frames", count=self.frames, width=self.size[0], height=self.size[1])
        self.pipe.set_state(Gst.State.NULL)
        return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["whip", "whep"])
    ap.add_argument("url")
    ap.add_argument("--image", help="whip: the picture to publish (looped at 15 fps)")
    ap.add_argument("--codec", choices=sorted(ENCODERS), default="vp8")
    ap.add_argument("--out", help="whep: where to write the last decoded frame (raw BGR)")
    ap.add_argument("--token", default="")
    ap.add_argument("--seconds", type=float, default=5.0)
    Gst.init(None)
    return Client(ap.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
