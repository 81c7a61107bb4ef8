"""The pages in web/ (the demo page, the OBS player page, their assets) and /metrics."""

from __future__ import annotations

import os

from aiohttp import web

from metrics import CONTENT_TYPE, Metrics

WEB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")


def page(name: str) -> web.FileResponse:
    return web.FileResponse(os.path.join(WEB_DIR, name))


def add_routes(app: web.Application, metrics: Metrics) -> None:
    async def index(request: web.Request) -> web.FileResponse:
        return page("index.html")

    async def player(request: web.Request) -> web.FileResponse:
        return page("player.html")

    async def favicon(request: web.Request) -> web.FileResponse:
        return page("favicon.svg")  # browsers ask for /favicon.ico on every page load

    async def prometheus(request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get("/", index)
    app.router.add_get("/player", player)
    app.router.add_get("/metrics", prometheus)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_static("/static/", WEB_DIR, show_index=False)
