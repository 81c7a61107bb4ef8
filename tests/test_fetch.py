"""models.fetch: licence first, pinned checksums, a clear failure offline. Never downloads the
real (800 MB) files: a loopback server and an unresolvable host stand in for the internet."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys

import pytest
from aiohttp import web

from models import fetch


@pytest.fixture
async def files_server(aiohttp_server):
    async def blob(request: web.Request) -> web.Response:
        return web.Response(body=b"model bytes " * 1000)

    app = web.Application()
    app.router.add_get("/model.onnx", blob)
    return await aiohttp_server(app)


async def test_download_keeps_a_file_only_when_its_checksum_matches(files_server, tmp_path):
    url = str(files_server.make_url("/model.onnx"))
    good = hashlib.sha256(b"model bytes " * 1000).hexdigest()
    dest = tmp_path / "m.onnx"
    await asyncio.to_thread(fetch.download, url, str(dest), good)
    assert dest.read_bytes() == b"model bytes " * 1000
    other = tmp_path / "bad.onnx"
    with pytest.raises(fetch.FetchError, match="expected 0000"):
        await asyncio.to_thread(fetch.download, url, str(other), "0" * 64)
    assert not other.exists() and not list(tmp_path.glob("*.part"))


def test_offline_fails_with_a_clear_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fetch, "BUFFALO_L", "http://models.invalid/buffalo_l.zip")  # .invalid never resolves
    assert fetch.main(["--yes", "--dest", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "NON-COMMERCIAL RESEARCH USE ONLY" in out
    assert "cannot download http://models.invalid/buffalo_l.zip" in err
    assert "Copy the files by hand" in err


def test_nothing_is_downloaded_without_agreeing_to_the_licence(tmp_path):
    done = subprocess.run([sys.executable, "-m", "models.fetch", "--dest", str(tmp_path)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 2
    assert "NON-COMMERCIAL" in done.stdout and "--yes" in done.stderr
    assert not any(tmp_path.iterdir())
