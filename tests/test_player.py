"""The OBS player page in real headless Chromium recovers by itself: a publisher that stops and
starts again, a publisher killed without a goodbye, and a server restart. Each camera is a solid
colour, so the test knows whose video the player shows."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import numpy as np
import pytest

from testing.clients import base_of
from testing.rtc_client import FaceCamera, sdp_post, wait_connected
from tests.browser import FLAGS, require_chromium

pytestmark = pytest.mark.slow

RECOVERY_S = 15.0
SHOWN_JS = """() => {
  const v = document.getElementById('video');
  if (!v.videoWidth) return null;
  const c = document.createElement('canvas'); c.width = 32; c.height = 24;
  const g = c.getContext('2d'); g.drawImage(v, 0, 0, 32, 24);
  const d = g.getImageData(0, 0, 32, 24).data; let r = 0, gr = 0, b = 0;
  for (let i = 0; i < d.length; i += 4) { r += d[i]; gr += d[i + 1]; b += d[i + 2]; }
  const n = d.length / 4;
  return { rgb: [r / n, gr / n, b / n], stats: window.playerStats };
}"""
COLOURS = {"red": (0, 0, 220), "green": (0, 200, 0), "blue": (220, 0, 0)}  # BGR


def camera(colour: str) -> FaceCamera:
    return FaceCamera([np.full((240, 320, 3), COLOURS[colour], np.uint8)], fps=15)


def looks(rgb: list[float], colour: str) -> bool:
    want = {"red": 0, "green": 1, "blue": 2}[colour]
    return rgb[want] > 120 and all(rgb[want] > rgb[k] + 60 for k in range(3) if k != want)


async def showing(page, colour: str, within: float = RECOVERY_S) -> float:
    """Seconds until the player shows `colour`; fails after `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        seen = await page.evaluate(SHOWN_JS)
        if seen and looks(seen["rgb"], colour):
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"the player did not show {colour} within {within:g} s: {seen}")


def kill(publisher) -> None:
    """Close the publisher's sockets without a goodbye, as a crashed OBS would."""
    for transceiver in publisher.pc.getTransceivers():
        for protocol in transceiver.sender.transport.transport._connection._protocols:
            protocol.transport.close()


async def test_the_player_recovers_from_stop_kill_and_restart(aiohttp_server, mesh_engine):
    from playwright.async_api import async_playwright

    from app import create_app
    from settings import Settings

    def app():
        return create_app(Settings(db=":memory:", clients="t:t"), engine=mesh_engine)

    server = await aiohttp_server(app())
    base, port = base_of(server), server.port
    recovery: dict[str, float] = {}
    publishers = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=require_chromium(), args=FLAGS)
        try:
            page = await browser.new_page()
            await page.goto(base + "/player?channel=studio")  # nobody publishes yet: it keeps trying
            red = await sdp_post(base, "whip", "studio", camera("red"))
            publishers.append(red)
            await showing(page, "red")
            attempts = (await page.evaluate(SHOWN_JS))["stats"]["attempts"]
            await asyncio.sleep(3)  # a healthy connection is left alone
            steady = await page.evaluate(SHOWN_JS)
            assert looks(steady["rgb"], "red") and steady["stats"]["attempts"] == attempts, steady

            # 1. the publisher stops (DELETE) and starts again
            async with aiohttp.ClientSession() as http, http.delete(base + red.location):
                pass
            await red.close()
            green = await sdp_post(base, "whip", "studio", camera("green"))
            publishers.append(green)
            recovery["stop/start"] = await showing(page, "green")

            # 2. the publisher is killed without a goodbye; a new one takes the channel over
            await wait_connected(green.pc)
            kill(green)
            blue = await sdp_post(base, "whip", "studio", camera("blue"))
            publishers.append(blue)
            recovery["killed"] = await showing(page, "blue")

            # 3. the server restarts on the same port; the camera comes back
            await server.close()
            server = await aiohttp_server(app(), port=port)
            red_again = await sdp_post(base, "whip", "studio", camera("red"))
            publishers.append(red_again)
            recovery["server restart"] = await showing(page, "red")
        finally:
            for publisher in publishers:
                await publisher.close()
            await browser.close()
    print("player recovery, s:", {k: round(v, 1) for k, v in recovery.items()})
    assert all(v < RECOVERY_S for v in recovery.values()), recovery
