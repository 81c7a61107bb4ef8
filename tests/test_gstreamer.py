"""A real non-browser client: GStreamer's webrtcbin (Debian's packages, Debian's python3) publishes
over WHIP in VP8 and H.264 and watches over WHEP. webrtcbin offers `a=setup:actpass` with an RSA
certificate, which aiortc could not serve as a DTLS client ("no shared cipher")."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from testing.clients import base_of, get_json, upload
from testing.images import jpeg
from testing.waits import eventually
from tests.face_checks import assert_swapped

pytestmark = pytest.mark.slow

DEBIAN_PYTHON = "/usr/bin/python3"
CLIENT = Path(__file__).resolve().parent.parent / "testing" / "gst_client.py"
PROBE = "import gi; gi.require_version('GstWebRTC', '1.0'); from gi.repository import GstWebRTC"


def require_gstreamer() -> None:
    """CI must have it (.ci/run installs it); elsewhere the test is skipped."""
    found = shutil.which(DEBIAN_PYTHON) and subprocess.run(
        [DEBIAN_PYTHON, "-c", PROBE], capture_output=True).returncode == 0
    if found:
        return
    if os.environ.get("CI"):
        pytest.fail("GStreamer's webrtcbin is missing: .ci/run installs gstreamer1.0-plugins-bad, "
                    "-good, -ugly, -nice, gstreamer1.0-libav and python3-gst-1.0")
    pytest.skip("needs Debian's gstreamer1.0-plugins-bad, -nice and python3-gst-1.0")


async def start_client(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        DEBIAN_PYTHON, str(CLIENT), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)


async def events_of(proc: asyncio.subprocess.Process, within: float = 30.0) -> list[dict]:
    out, _ = await asyncio.wait_for(proc.communicate(), within)
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


@pytest.mark.parametrize("codec", ["vp8", "h264"])
async def test_a_webrtcbin_publisher_and_viewer_get_the_swapped_video(serve, astronaut, frame, measure, codec,
                                                                      tmp_path):
    require_gstreamer()
    base = base_of(await serve())
    await upload(base, jpeg(astronaut))
    picture = tmp_path / "camera.png"
    cv2.imwrite(str(picture), frame)
    publisher = await start_client("whip", f"{base}/whip/gst", "--image", str(picture), "--codec", codec,
                                   "--seconds", "9")

    async def publishing() -> bool:
        return (await get_json(base, "/status"))["channels_live"] == 1

    try:
        await eventually(publishing, 10, "the webrtcbin publisher to connect")
        out = tmp_path / "seen.bgr"
        viewer = await events_of(await start_client("whep", f"{base}/whep/gst", "--out", str(out),
                                                    "--seconds", "4"))
    finally:
        if publisher.returncode is None:
            publisher.terminate()
        published = await events_of(publisher)
    assert {"event": "answered", "status": 201, "setup": ["a=setup:passive"]} in published, published
    assert {"event": "connected"} in published and {"event": "connected"} in viewer, (published, viewer)
    (frames,) = [e for e in viewer if e["event"] == "frames"]
    assert frames["count"] >= 20, frames  # 4 s of a 15 fps camera, less the connection set-up
    seen = np.frombuffer(out.read_bytes(), np.uint8).reshape(frames["height"], frames["width"], 3)
    # two lossy encodes lie between the camera and what the viewer decoded
    assert_swapped(measure, seen, frame, astronaut, identity_margin=0.1, background_tol=12)
