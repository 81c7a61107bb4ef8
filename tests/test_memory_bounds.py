"""Memory stays bounded under small files that decode big: 16 PNGs of 25 MP (the default pixel cap),
a few hundred KB each, uploaded at once to a server in its own process."""

from __future__ import annotations

import asyncio
import io
import sys

import aiohttp
import pytest
from PIL import Image

from testing import faces
from testing.server_process import figures, free_port, running

pytestmark = pytest.mark.slow

UPLOADS = 16
# One decode at a time (~6 bytes a pixel: 150 MB at 25 MP), decoded stills of 2048 px waiting for
# the engine (12 MB each, at most 8), and the engine's buffers for a still that size, sized once.
# The peak over the start measured 379-428 MB in six runs alone (2026-12-07, five of this code,
# one of the code before it) and 451 MB in one run of the whole suite, failing a bound of 450: the
# bound is 500. Two decodes at once would add about 150 MB.
PEAK_BOUND_MB = 500
# Those buffers are reused: the same load again must not add to them. What the allocator keeps in
# its two arenas after a round is not one figure: 397-418 MB after the first round, then 349-515 MB
# (17 runs on 2026-12-01, before and after an unrelated change: 408, 469, 470; 397, 361, 469; 397,
# 445, 433; with a malloc_trim after each decode 407, 394, 515), so a round that settles low and the
# next high looked like growth to a comparison of the last round with the highest before it. What
# it must catch is growth that every round adds: one decoded still kept per upload is 16 x 12 MB a
# round, 384 MB over the two repeats (measured with one kept in media/codec.py: 589, 829, 1010); the
# last round is compared with the first. Within one run the arenas alone went 430, 527, 587 (a
# fresh clone, 2026-12-02: 157 MB, over the 150 this bound was), so the bound sits between.
ROUNDS = 3
REPEAT_GROWTH_MB = 250


def big_png(side: int = 5000) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (side, side), (120, 90, 60)).save(buf, "PNG")
    return buf.getvalue()


async def test_sixteen_pixel_bombs_at_once_stay_within_the_stated_bound(tmp_path):
    data = big_png()
    assert len(data) < 1_000_000
    port = free_port()
    command = (sys.executable, "server.py", "--port", str(port), "--db", ":memory:", "--clients", "t:t")
    async with running(*command, port=port, log_path=str(tmp_path / "server.log"),
                       source=faces.astronaut()) as (base, pid):  # a first upload warms the engine up
        await asyncio.sleep(1.0)
        baseline = figures(pid)["rss_mb"]
        peak = baseline
        done = asyncio.Event()

        async def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, figures(pid)["rss_mb"])
                await asyncio.sleep(0.05)

        async def upload(http: aiohttp.ClientSession) -> int:
            form = aiohttp.FormData()
            form.add_field("image", data, filename="big.png", content_type="image/png")
            async with http.post(base + "/upload_source", data=form) as r:
                return r.status

        watcher = asyncio.create_task(watch())
        settled = []
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
            for _ in range(ROUNDS):
                statuses = await asyncio.gather(*(upload(http) for _ in range(UPLOADS)))
                await asyncio.sleep(3.0)
                settled.append(figures(pid)["rss_mb"])
        done.set()
        await watcher
    print(f"RSS {baseline:.0f} MB -> peak {peak:.0f} MB -> settled after each round "
          f"{', '.join(f'{mb:.0f}' for mb in settled)} MB; answers {statuses}")
    assert set(statuses) <= {400, 503}, statuses  # no face in a flat image, or the engine queue is full
    assert peak - baseline < PEAK_BOUND_MB, (baseline, peak)
    assert settled[-1] - settled[0] < REPEAT_GROWTH_MB, settled
