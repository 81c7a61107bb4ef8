"""The demo page in real headless Chromium: upload a face, start the fake camera, see swapped frames,
over WebRTC (the default) and over the WebSocket fallback."""

from __future__ import annotations

import cv2
import pytest

from testing.clients import base_of, get_json
from testing.faces import place
from tests.browser import ARTIFACTS, launch_args, require_chromium, write_y4m

pytestmark = pytest.mark.slow

# Mean absolute difference between the camera frame and the answer, in the face and in a corner,
# computed in the page from the <video> and the swapped <img> drawn at the same size.
COMPARE_JS = """(remoteId) => {
  const v = document.getElementById('local'), img = document.getElementById(remoteId);
  const w = 320, h = 240, grab = (el) => {
    const c = document.createElement('canvas'); c.width = w; c.height = h;
    const g = c.getContext('2d'); g.drawImage(el, 0, 0, w, h); return g.getImageData(0, 0, w, h).data;
  };
  const a = grab(v), b = grab(img);
  const diff = (x0, y0, x1, y1) => { let s = 0, n = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) { const i = (y * w + x) * 4;
      for (let k = 0; k < 3; k++) { s += Math.abs(a[i + k] - b[i + k]); n++; } }
    return s / n; };
  return { face: diff(130, 80, 190, 160), corner: diff(0, 0, 40, 40) };
}"""


@pytest.fixture(scope="module")
def camera(tmp_path_factory, t1_face):
    frame = place(t1_face, (640, 480), 1.6)
    return write_y4m(tmp_path_factory.mktemp("cam") / "t1.y4m", [frame] * 15)


async def run_demo(serve, astronaut, camera, tmp_path, path: str) -> tuple[dict, float, str, list[str]]:
    from playwright.async_api import async_playwright

    chromium = require_chromium()
    base = base_of(await serve())
    source = tmp_path / "astronaut.png"
    cv2.imwrite(str(source), astronaut)
    remote = "remote-video" if path == "webrtc" else "remote"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=launch_args(camera))
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(base + "/")
            await page.set_input_files("#source-file", str(source))
            await page.wait_for_function(
                "document.getElementById('source-verdict').textContent.includes('Source face ready')")
            if path == "ws":
                await page.check("#force-fallback")
            await page.click("#start")
            label = "WebRTC (live)" if path == "webrtc" else "WebSocket (live)"
            await page.wait_for_function(f"document.getElementById('path').textContent.includes('{label}')",
                                         timeout=20_000)
            if path == "webrtc":
                await page.wait_for_function("document.getElementById('remote-video').videoWidth > 0",
                                             timeout=20_000)
            else:
                await page.wait_for_function(
                    "document.getElementById('remote').src.startsWith('data:image/jpeg')"
                    " && document.getElementById('frame-note').textContent === ''", timeout=20_000)
            await page.wait_for_timeout(1500)  # let the tracker and the codecs settle
            seen = await page.evaluate(COMPARE_JS, remote)
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / f"demo-{path}.png"))
            error_line = "" if await page.is_hidden("#error") else (await page.text_content("#error") or "")
            fps = float(await page.text_content("#fps") or 0)
            await page.click("#stop")
        finally:
            await browser.close()
    status = await get_json(base, "/status")
    assert status["swap_count"] >= 5 and status["error_count"] == 0, status
    return seen, fps, error_line, errors


async def test_demo_page_swaps_the_camera_over_webrtc(serve, astronaut, camera, tmp_path):
    seen, fps, error_line, errors = await run_demo(serve, astronaut, camera, tmp_path, "webrtc")
    assert not errors and not error_line, (errors, error_line)
    assert seen["face"] > 8, seen  # the face on the remote video is not the camera's face
    assert seen["corner"] < 8, seen  # the background came back as it went (two video codecs apart)
    assert fps > 3


async def test_demo_page_swaps_the_camera_over_the_websocket_fallback(serve, astronaut, camera, tmp_path):
    seen, fps, error_line, errors = await run_demo(serve, astronaut, camera, tmp_path, "ws")
    assert not errors and not error_line, (errors, error_line)
    assert seen["face"] > 8, seen
    assert seen["corner"] < 6, seen
    assert fps > 3
