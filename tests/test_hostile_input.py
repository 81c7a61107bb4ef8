"""Hostile input against a real server process: generated malformed requests for every route and
event (testing/hostile.py, driven by hypothesis so a failure shrinks to a small example). Every answer
comes in under a second, in its dialect's shape, with no 5xx but capacity refusals and no Python
internals; every /ws message gets exactly one reply; and the server logs no traceback throughout."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import requests
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testing import hostile
from testing.rtc_client import sample_offer_sdp
from testing.server_process import free_port
from testing.waits import eventually

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {"http": 300, "ws": 40, "sio": 30}


class Server:
    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "server.log"
        command = [sys.executable, "server.py", "--port", str(self.port), "--db", ":memory:",
                   "--engine", "mesh", "--clients", "tester:s3cret", "--connect-rate", "100000",
                   "--takeover-grace", "0", "--max-fps", "0"]
        self.proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=self.log.open("wb"))
        for _ in range(300):
            try:
                if requests.get(self.base + "/status", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        answer = requests.post(f"{self.base}{hostile.API}/getToken", timeout=5,
                               json={"clientId": "tester", "clientSecret": "s3cret"}).json()
        self.token = answer["token"]
        self.sdp = asyncio.run(sample_offer_sdp())

    def tracebacks(self) -> list[str]:
        text = self.log.read_text(errors="replace")
        return [block[:600] for block in text.split("Traceback")[1:]] + \
            [line for line in text.splitlines() if " ERROR " in line]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(15)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("hostile"))
    yield running
    running.stop()
    assert running.tracebacks() == [], "the server logged errors for client input"


def send(server: Server, case: hostile.HttpCase) -> tuple[int, bytes, float]:
    started = time.monotonic()
    r = requests.request(case.method, server.base + case.path, headers=case.headers, data=case.body,
                         timeout=10, allow_redirects=False)
    return r.status_code, r.content, time.monotonic() - started


@settings(max_examples=EXAMPLES["http"], deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rng=st.randoms(use_true_random=False))
def test_every_route_answers_hostile_requests_in_its_own_shape(server, rng: random.Random):
    case = hostile.http_case(rng, server.token, server.sdp)
    status, body, seconds = send(server, case)
    assert hostile.problems(case, status, body, seconds) == [], case.describe()


async def ws_exchange(base: str, messages: list[str | bytes]) -> list[dict]:
    async with aiohttp.ClientSession() as http, http.ws_connect(base + "/ws") as ws:
        for message in messages:
            await (ws.send_str(message) if isinstance(message, str) else ws.send_bytes(message))
        replies: list[dict] = []
        deadline = time.monotonic() + 2.0
        while len(replies) < len(messages) and time.monotonic() < deadline:
            try:
                msg = await ws.receive(timeout=deadline - time.monotonic())
            except TimeoutError:
                break
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            reply = json.loads(msg.data)
            if reply["event"] != "status_update" or reply["data"]["message"] != "Source face ready!":
                replies.append(reply)
        return replies


@settings(max_examples=EXAMPLES["ws"], deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rng=st.randoms(use_true_random=False))
def test_every_ws_message_gets_one_reply_without_internals(server, rng: random.Random):
    messages = hostile.ws_messages(rng)
    replies = asyncio.run(ws_exchange(server.base, messages))
    text = json.dumps(replies)
    assert not hostile.EXCEPTION_TEXT.search(text), text[:300]
    assert len(replies) == len(messages), (messages, replies)


async def sio_exchange(base: str, events: list[tuple[str, object]]) -> list[object]:
    client = socketio.AsyncClient(reconnection=False)
    replies: list[object] = []
    for name in ("processed_frame", "frame_dropped", "status_update", "error"):
        client.on(name, lambda data, name=name: replies.append((name, data)))
    await client.connect(base, transports=["websocket"])
    try:
        for event, data in events:
            await client.emit(event, data)
        expected = sum(1 for event, _ in events if event in ("process_frame", "clear_source"))
        await eventually(lambda: len(replies) >= expected, 2.0, f"{expected} replies to {events}")
    finally:
        await client.disconnect()
    return replies


@settings(max_examples=EXAMPLES["sio"], deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rng=st.randoms(use_true_random=False))
def test_socketio_events_with_junk_are_answered_without_internals(server, rng: random.Random):
    replies = asyncio.run(sio_exchange(server.base, hostile.sio_events(rng)))
    text = json.dumps(replies, default=str)
    assert not hostile.EXCEPTION_TEXT.search(text), text[:300]


def test_the_server_is_still_healthy_afterwards(server):
    status = requests.get(server.base + "/status", timeout=5).json()
    assert status["models_loaded"] is True and status["error_count"] == 0, status


RAW_REQUESTS = [
    b"POST /offer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \x0b0\r\nContent-Length: 2\r\n\r\n{}",
    b"GET / HTTP/1.1\r\nHost: x\r\nX: \x00\r\n\r\n",
    b"GARBAGE\r\n\r\n",
    b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /detect HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"POST /detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
]


@pytest.mark.parametrize("raw", RAW_REQUESTS)
def test_malformed_http_is_refused_by_the_parser_with_a_4xx(server, raw):
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        conn.sendall(raw)
        answer = conn.recv(4096)
    assert answer.startswith((b"HTTP/1.1 4", b"HTTP/1.0 4")), answer[:100]


# -- the defects reported from a hostile campaign, one by one --------------------------------------
NESTED = b"[" * 100_000 + b"]" * 100_000
REPORTED = [
    ("POST", f"{hostile.API}/faceswap/live/info", {"Content-Type": "application/json; charset=bogus"},
     b'{"_id": "x"}', "api"),
    ("POST", "/offer", {"Content-Type": "application/json; charset=bogus"}, b'{"type": "offer"}', "offer"),
    ("POST", f"{hostile.API}/faceswap/live/create", {"Content-Type": "application/json"}, NESTED, "api"),
    ("POST", "/offer", {"Content-Type": "application/json"}, NESTED[:60_000] + NESTED[-60_000:], "offer"),
    ("POST", "/detect", {"Content-Type": "application/json"}, b'{"image_url": "http://[bad"}', "detect"),
    ("POST", "/upload_source", {"Content-Type": "multipart/form-data; boundary=XX"},
     b'--XX\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\nabc', "face_swap_live"),
    ("POST", "/whip/cam", {"Content-Type": "application/sdp"},
     b"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 0\x00 UDP/TLS/RTP/SAVPF 96\r\n", "sdp"),
    ("POST", "/whip/cam", {"Content-Type": "application/sdp"},
     b"v=0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n", "sdp"),
]


@pytest.mark.parametrize("method, path, headers, body, dialect", REPORTED,
                         ids=["charset-api", "charset-offer", "nested-api", "nested-offer", "bad-ipv6-url",
                              "multipart-cut", "sdp-nul", "sdp-no-ice"])
def test_each_reported_defect_is_a_4xx_with_a_reason(server, method, path, headers, body, dialect):
    case = hostile.HttpCase(method, path, dialect, {**headers, "Authorization": f"Bearer {server.token}"},
                            body)
    status, answer, seconds = send(server, case)
    assert hostile.problems(case, status, answer, seconds) == [], answer[:200]
    assert status < 500 and (status >= 400 or dialect in ("api", "detect")), status


def test_a_deeply_nested_ws_message_is_answered_and_the_connection_lives(server):
    replies = asyncio.run(ws_exchange(server.base, [NESTED[:20_000].decode(), "not json"]))
    assert [r["event"] for r in replies] == ["error", "error"], replies


def test_garbage_posted_to_socketio_polling_is_answered_at_once(server):
    started = time.monotonic()
    r = requests.post(f"{server.base}/socket.io/?EIO=4&transport=polling", data=b"garbage", timeout=10)
    assert r.status_code == 400 and time.monotonic() - started < 1.0
