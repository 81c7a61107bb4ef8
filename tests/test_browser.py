"""The demo page in real headless Chromium with a fake camera that draws a frame counter into every
frame: the swap over WebRTC and over the WebSocket fallback, the fallback's pacing over a long run,
the delay the page shows against the counter, and a Socket.IO client in the browser."""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import time
from pathlib import Path

import cv2
import pytest
from aiohttp import web

from testing.clients import base_of, get_json
from testing.faces import T1_DLIB_BOXES, crop_face, place
from testing.page_probe import PRESENTATIONS_JS, READ_STAMP_JS, TRACK_DELAY_JS
from testing.stamps import stamp
from tests.browser import ARTIFACTS, launch_args, require_chromium, write_y4m

pytestmark = pytest.mark.slow

CAMERA_FPS = 30
CAMERA_FRAMES = 60  # the file loops every two seconds; frame numbers wrap there
FALLBACK_SECONDS = 60.0
SOCKET_IO_SECONDS = 15.0
# The longest wait between two answers shown. The freeze this guards against was seconds long (the
# demo page once showed 10 of 20 s frozen); a steady fallback's longest gap measures 128-186 ms
# over 60 s. On this 2-core machine, with Chromium, the server and the engine sharing it, full
# suite runs also gave single gaps of 324 and 423 ms (and 342 ms beside another busy process).
# Where those come from is not known: the engine's slowest frame alone is 67 ms, and three runs
# instrumented on the server's side (each frame's time inside it, the event loop's lag) stayed
# under 190 ms and showed nothing; full collections by the garbage collector took up to 274 ms in
# the suite's process until the server froze what it loads at start (app.py), and 423 ms came after.
MAX_GAP_MS = 600
DELAY_TOLERANCE = 0.25
# The share of the answers the fallback's pacing allows that must arrive (assert_keeps_pace): 0.95
# in a quiet run (13.6 of 14.3 a second); timers run late on a busy machine.
PACE_SHARE = 0.7
# The truth is timed at the page's frame presentations, one display refresh apart (60 Hz: the
# samples printed read 33.3 and 50 ms in a run whose mean was 40), so the tolerance is never under
# one refresh: at 40 ms a quarter is 10 ms, and a run failed by 11 against the steps of 16.7.
DISPLAY_REFRESH_MS = 1000 / 60
# Which frames a figure the page shows speaks for. Over WebRTC the estimate is rebuilt each second
# from the browser's counters over the second before and the server's median of its last 30
# frames (1-2 s): a figure read now speaks for about the last 2 s. Compared with the mean over the
# whole run instead, a run whose machine grew quiet or busy part-way went wrong: 97 ms shown
# against 75 (a failure); beside a load switched on and off every 6 s, 87 / 75 ms shown against
# 88 / 75 over the 2 s before each figure and 77 / 62 over the run. The fallback shows each
# answer's own trip: the last half second.
ESTIMATE_WINDOW_MS = 2000
LAST_ANSWER_WINDOW_MS = 500
SOCKET_IO_JS = Path(__file__).resolve().parent.parent / "node_modules/socket.io-client/dist/socket.io.min.js"

# Mean absolute difference between the camera frame and the answer, in the face and in a corner away
# from the frame counter, computed in the page from the <video> and the swapped element at one size.
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
  return { face: diff(130, 80, 190, 160), corner: diff(280, 0, 320, 40) };
}"""


@pytest.fixture(scope="module")
def camera(tmp_path_factory, t1_face):
    frame = place(t1_face, (640, 480), 1.6)
    frames = [stamp(frame, n) for n in range(CAMERA_FRAMES)]
    return write_y4m(tmp_path_factory.mktemp("cam") / "t1.y4m", frames, fps=CAMERA_FPS)


@pytest.fixture
async def chromium(camera):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=require_chromium(), args=launch_args(camera))
        try:
            yield browser
        finally:
            await browser.close()


async def open_demo(chromium, base: str, astronaut, tmp_path, path: str):
    page = await chromium.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(base + "/")
    source = tmp_path / "astronaut.png"
    cv2.imwrite(str(source), astronaut)
    await page.set_input_files("#source-file", str(source))
    await page.wait_for_function(
        "document.getElementById('source-verdict').textContent.includes('Source face ready')")
    if path == "ws":
        await page.check("#force-fallback")
    await page.evaluate(READ_STAMP_JS)
    await page.click("#start")
    label = "WebRTC (live)" if path == "webrtc" else "WebSocket (live)"
    await page.wait_for_function(f"document.getElementById('path').textContent.includes('{label}')",
                                 timeout=20_000)
    return page, errors


async def sampled(page, expression: str, seconds: float) -> list:
    """The page's `expression` read every half second for `seconds`, where it has a value."""
    values: list = []
    for _ in range(int(seconds * 2)):
        await asyncio.sleep(0.5)
        value = await page.evaluate(expression)
        if value is not None:
            values.append(value)
    return values


async def delays(page, seconds: float) -> tuple[list[tuple[float, float]], list[tuple[float, float]],
                                                dict[str, float]]:
    """Preview -> shown delays from the frame counter and the delays the page showed meanwhile, each
    as (the page's clock, ms), and the mean of each part the page's estimate names (over WebRTC;
    none on the fallback)."""
    await page.evaluate("() => { window.delays = []; }")
    samples = await sampled(page, "() => { const s = window.faceswapStats; return s.delayMs === null "
                                  "? null : [performance.now(), s.delayMs, s.webrtc]; }", seconds)
    named = [p for _, _, p in samples if p]
    parts = {k: statistics.mean(p[k] for p in named if k in p) for k in (named[-1] if named else {})}
    measured = [(t, d) for t, d in await page.evaluate("() => window.delays")]
    return measured, [(t, d) for t, d, _ in samples], parts


def truth_behind(measured: list[tuple[float, float]], shown: list[tuple[float, float]],
                 window_ms: float) -> tuple[list[float], list[float]]:
    """Each figure the page showed, beside the mean delay the frame counter measured over the
    `window_ms` before it was read: the frames the figure can speak for."""
    figures, truths = [], []
    for at, figure in shown:
        recent = [d for t, d in measured if at - window_ms <= t <= at]
        if len(recent) >= 3:
            figures.append(figure)
            truths.append(statistics.mean(recent))
    return figures, truths


def assert_delay_is_truthful(measured: list[tuple[float, float]], shown: list[tuple[float, float]],
                             parts: dict[str, float], window_ms: float) -> None:
    assert len(measured) > 20 and shown, (len(measured), shown)
    figures, truths = truth_behind(measured, shown, window_ms)
    assert len(figures) >= len(shown) // 2, (len(figures), len(shown))
    truth, figure = statistics.mean(truths), statistics.mean(figures)
    overall = statistics.mean(d for _, d in measured)
    # the parts in the message: which part runs ahead, if one does
    named = ", ".join(f"{k} {v:.0f}" for k, v in parts.items())
    print(f"delay: shown {figure:.0f} ms, measured {truth:.0f} ms over the {window_ms:.0f} ms before each "
          f"({overall:.0f} ms over the whole run, n={len(measured)}) {named}")
    assert abs(figure - truth) <= max(DELAY_TOLERANCE * truth, DISPLAY_REFRESH_MS), (figure, truth, named)


def assert_keeps_pace(rate: float, trip_ms: float, max_fps: float, in_flight: int = 2) -> None:
    """The fallback's answers come as fast as its pacing allows: at most `max_fps` in the server's
    one-second window (the sender allows 1.05 s), at most `in_flight` frames unanswered each
    `trip_ms` (the whole trip to the shown answer, longer than the wait for the answer itself).

    Not a floor on the machine: on a slow spell of this machine the trip grows and the bound falls
    with it (the floor of 12 answers/s this replaced failed at 10.5 with the code unchanged). A
    sender that waits when it may send, or freezes half the time, delivers half of it.
    """
    allowed = min(max_fps / 1.05, in_flight * 1000 / trip_ms)
    assert rate > PACE_SHARE * allowed, (rate, allowed, trip_ms)


async def test_demo_page_swaps_the_camera_over_webrtc_and_shows_a_truthful_delay(
        serve, chromium, astronaut, tmp_path):
    base = base_of(await serve())
    page, errors = await open_demo(chromium, base, astronaut, tmp_path, "webrtc")
    await page.wait_for_function("document.getElementById('remote-video').videoWidth > 0", timeout=20_000)
    await page.evaluate(TRACK_DELAY_JS, ["local", "remote-video", CAMERA_FRAMES])
    await asyncio.sleep(2)  # the tracker, the codecs and the estimate's per-second figures settle
    await page.evaluate(PRESENTATIONS_JS, "remote-video")
    measured, shown, estimate = await delays(page, 6)
    seen = await page.evaluate(COMPARE_JS, "remote-video")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "demo-webrtc.png"))
    parts = await page.text_content("#frame-note")
    fps = float(await page.text_content("#fps") or 0)
    presented = await page.evaluate("() => window.presented")
    error_line = "" if await page.is_hidden("#error") else await page.text_content("#error")
    await page.click("#stop")
    longest = max(b - a for a, b in itertools.pairwise(presented))
    rate = (len(presented) - 1) / ((presented[-1] - presented[0]) / 1000)
    print(f"webrtc: the fps tile read {fps:.1f}; the page counted {rate:.1f} swapped frames "
          f"presented a second, the longest wait {longest:.0f} ms")
    assert not errors and not error_line, (errors, error_line)
    assert seen["face"] > 8, seen  # the face on the remote video is not the camera's face
    assert seen["corner"] < 8, seen  # the background came back as it went (two video codecs apart)
    assert fps > 0 and longest < MAX_GAP_MS, (fps, longest)  # the swapped video kept moving
    assert "server" in parts and "network" in parts and "render" in parts, parts  # the parts are named
    assert_delay_is_truthful(measured, shown, estimate, ESTIMATE_WINDOW_MS)
    status = await get_json(base, "/status")
    assert status["swap_count"] >= 5 and status["error_count"] == 0, status


async def test_the_fallback_never_stalls_and_its_fps_tile_tells_the_truth(serve, chromium, astronaut,
                                                                         tmp_path):
    base = base_of(await serve())
    page, errors = await open_demo(chromium, base, astronaut, tmp_path, "ws")
    await page.wait_for_function("window.faceswapStats.fallback && window.faceswapStats.fallback.shown > 5",
                                 timeout=20_000)
    await page.evaluate(TRACK_DELAY_JS, ["local", "remote", CAMERA_FRAMES])
    seen = await page.evaluate(COMPARE_JS, "remote")
    before = await page.evaluate("() => ({...window.faceswapStats.fallback})")
    await page.evaluate("() => { window.faceswapStats.fallback.longestGapMs = 0; }")
    started = time.monotonic()
    measured, shown, estimate = await delays(page, FALLBACK_SECONDS)
    after = await page.evaluate("() => ({...window.faceswapStats.fallback})")
    elapsed = time.monotonic() - started
    rate = (after["shown"] - before["shown"]) / elapsed
    print(f"fallback over {elapsed:.0f} s: {rate:.1f} answers/s, longest gap {after['longestGapMs']:.0f} ms, "
          f"{after['drops'] - before['drops']} drop notice(s)")
    assert after["longestGapMs"] < MAX_GAP_MS, after
    assert_keeps_pace(rate, statistics.mean(d for _, d in measured), max_fps=15)
    assert seen["face"] > 8 and seen["corner"] < 6, seen
    assert_delay_is_truthful(measured, shown, estimate, LAST_ANSWER_WINDOW_MS)

    # a stall (the server's loop blocked for 1.5 s): the fps tile falls instead of keeping its last value
    steady = float(await page.text_content("#fps"))
    time.sleep(1.5)  # noqa: ASYNC251 - blocking the loop is the point: the in-process server stalls
    stalled = float(await page.text_content("#fps"))
    assert stalled < 0.6 * steady, (steady, stalled)
    assert not errors, errors
    await page.click("#stop")


SOCKET_IO_PAGE = """<!doctype html><html><body>
<video id="local" autoplay muted playsinline></video><img id="remote">
<script src="/socket.io.min.js"></script><script src="/static/fallback.js"></script>
<script>
(async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  const video = document.getElementById("local");
  video.srcObject = stream;
  await video.play();
  const canvas = document.createElement("canvas");
  const grab = () => {
    if (!video.videoWidth) return null;
    canvas.width = 640; canvas.height = 480;
    canvas.getContext("2d").drawImage(video, 0, 0, 640, 480);
    return canvas.toDataURL("image/jpeg", 0.8);
  };
  const socket = io({ transports: ["websocket"] });
  const sender = new FallbackSender({ send: (e, d) => { socket.emit(e, d); return socket.connected; }, grab,
    maxFps: 15, onShown: (img) => { document.getElementById("remote").src = img.src; } });
  socket.onAny((event, data) => sender.receive(event, data));
  socket.on("connect", () => sender.start());
  window.sender = sender;
})();
</script></body></html>"""


async def test_a_socketio_client_in_the_browser_never_stalls(serve, chromium, astronaut):
    from testing.clients import upload
    from testing.images import jpeg

    if not SOCKET_IO_JS.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{SOCKET_IO_JS} is missing: `make test` installs it with npm")
        pytest.skip("socket.io-client is missing: `make test` installs it with npm")
    async def client_page(request: web.Request) -> web.Response:
        return web.Response(text=SOCKET_IO_PAGE, content_type="text/html")

    async def client_library(request: web.Request) -> web.FileResponse:
        return web.FileResponse(SOCKET_IO_JS)

    def routes(router: web.UrlDispatcher) -> None:
        router.add_get("/socketio-client.html", client_page)
        router.add_get("/socket.io.min.js", client_library)

    base = base_of(await serve(extra_routes=routes))
    await upload(base, jpeg(astronaut))
    page = await chromium.new_page()
    await page.goto(base + "/socketio-client.html")
    await page.wait_for_function("window.sender && window.sender.stats.shown > 5", timeout=20_000)
    before = await page.evaluate("() => ({...window.sender.stats})")
    await page.evaluate("() => { window.sender.stats.longestGapMs = 0; }")
    trips = await sampled(page, "() => window.sender.stats.delayMs", SOCKET_IO_SECONDS)
    after = await page.evaluate("() => ({...window.sender.stats})")
    rate = (after["shown"] - before["shown"]) / SOCKET_IO_SECONDS
    print(f"socket.io-client: {rate:.1f} answers/s, longest gap {after['longestGapMs']:.0f} ms")
    assert after["longestGapMs"] < MAX_GAP_MS, after
    assert_keeps_pace(rate, statistics.mean(trips), max_fps=15)


async def test_the_source_card_follows_the_server_whoever_changes_it(serve, chromium, astronaut):
    from testing.clients import WsUser, upload
    from testing.images import jpeg

    base = base_of(await serve())
    page = await chromium.new_page()
    await page.goto(base + "/")
    card = "document.getElementById('source-verdict').textContent"
    await upload(base, jpeg(astronaut))  # through curl or the API, not this page
    await page.wait_for_function(f"{card}.includes('source face is loaded')", timeout=8_000)
    other = await WsUser().connect(base)
    try:
        await other.emit("clear_source")
        await other.next("status_update")
    finally:
        await other.close()
    await page.wait_for_function(f"{card}.includes('No source face on the server')", timeout=8_000)


async def test_the_source_card_says_what_in_the_photo_limits_the_likeness(serve, chromium, t1, astronaut,
                                                                          tmp_path):
    """A photo of a face turned nearly to profile is taken, and the card says why the likeness will
    be weaker (the server's upload answer, `notes`); a frontal photo after it clears that."""
    base = base_of(await serve())
    page = await chromium.new_page()
    await page.goto(base + "/")
    card = "document.getElementById('source-verdict').textContent"
    turned = crop_face(t1, T1_DLIB_BOXES["turned"], 0.8)
    for name, photo in (("turned.png", turned), ("frontal.png", astronaut)):
        cv2.imwrite(str(tmp_path / name), photo)
        await page.evaluate("() => { document.getElementById('source-verdict').textContent = ''; }")
        await page.set_input_files("#source-file", str(tmp_path / name))
        await page.wait_for_function(f"{card}.includes('Source face ready')", timeout=8_000)
        if name == "turned.png":
            assert "turned away from the camera" in await page.text_content("#source-notes")
            assert await page.is_visible("#source-notes")
        else:
            assert await page.is_hidden("#source-notes")
    await page.close()
