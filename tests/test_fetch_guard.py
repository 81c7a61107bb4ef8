"""The image fetcher never reaches inside the network: a canary on 127.0.0.2 counts every request
that gets through, for every spelling of its address, directly and after a redirect from a host
the allow-list lets through."""

from __future__ import annotations

import pytest
from aiohttp import web

from signaling.live_face_swap_api.fetch import COULD_NOT_FETCH, FetchRefused, SafeFetcher

SPELLINGS = [
    "１２７.０.０.２",  # fullwidth digits
    "127。0。0。2",  # ideographic full stops
    "①②⑦.0.0.2",  # circled digits
    "1２7.0.0.2",  # mixed
    "127.0.0.2",
    "127.2",  # inet_aton short forms, resolved by the system
    "2130706434",
    "0x7f000002",
    "[::ffff:127.0.0.2]",
    "localhost",
]


@pytest.fixture
async def canary(aiohttp_server):
    hits: list[str] = []

    async def anything(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=b"\xff\xd8not really a jpeg", content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/{tail:.*}", anything)
    server = await aiohttp_server(app, host="127.0.0.2")
    return server.port, hits


@pytest.fixture
async def redirector(aiohttp_server):
    async def to(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def missing(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/to", to)
    app.router.add_get("/missing", missing)
    server = await aiohttp_server(app)  # 127.0.0.1, which the allow-list below lets through
    return server.port


@pytest.mark.parametrize("host", SPELLINGS)
async def test_no_spelling_of_an_inward_address_is_fetched(canary, host):
    port, hits = canary
    with pytest.raises(FetchRefused, match=r"not fetched|non-ASCII|not a valid URL") as refused:
        await SafeFetcher((), 2**20, 3.0).fetch(f"http://{host}:{port}/face.jpg")
    assert hits == [], f"{host} reached the canary"
    assert "127.0.0" not in str(refused.value) or "loopback" in str(refused.value)


@pytest.mark.parametrize("host", SPELLINGS)
async def test_nor_after_a_redirect_from_an_allowed_host(canary, redirector, host):
    port, hits = canary
    fetcher = SafeFetcher(("127.0.0.1",), 2**20, 3.0)
    target = f"http://{host}:{port}/face.jpg"
    with pytest.raises(FetchRefused):
        await fetcher.fetch(f"http://127.0.0.1:{redirector}/to?to={target}")
    assert hits == [], f"a redirect to {host} reached the canary"


async def test_an_allowed_address_is_fetched(canary):
    port, hits = canary
    data = await SafeFetcher(("127.0.0.2",), 2**20, 3.0).fetch(f"http://127.0.0.2:{port}/face.jpg")
    assert data.startswith(b"\xff\xd8") and hits == ["/face.jpg"]


async def test_a_closed_port_and_a_missing_page_read_alike(redirector, unused_tcp_port):
    """No port scanning through the fetcher: failures do not tell open ports from closed ones."""
    fetcher = SafeFetcher(("127.0.0.1",), 2**20, 3.0)
    messages = set()
    for url in (f"http://127.0.0.1:{unused_tcp_port}/face.jpg", f"http://127.0.0.1:{redirector}/missing"):
        with pytest.raises(FetchRefused) as failed:
            await fetcher.fetch(url)
        messages.add(str(failed.value).split(" (")[0])
    assert messages == {COULD_NOT_FETCH}


@pytest.mark.parametrize("url, why", [
    ("http://[bad", "not a valid URL"),
    ("file:///etc/passwd", "only http"),
    ("http://user:pw@example.com/x.jpg", "credentials"),
    ("http:///nohost", "no host"),
])
async def test_urls_that_are_not_fetchable_say_why(url, why):
    with pytest.raises(FetchRefused, match=why):
        await SafeFetcher((), 2**20, 3.0).fetch(url)
