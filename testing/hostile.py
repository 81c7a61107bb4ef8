"""Hostile input for every route and event, and what an answer to it must look like.

Each generator takes a `random.Random` and returns one malformed (or nearly well-formed) request:
tests/test_hostile_input.py draws that Random from hypothesis (so failures shrink), bench/soak.py
seeds its own for thousands of inputs. `problems()` says what is wrong with an answer: a 5xx that is
not a capacity refusal, Python internals in the text, a body not in the dialect's shape.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from dataclasses import dataclass, field
from typing import Any

from testing.images import png_header_only

API = "/api/open/v3"

# What an answer must never contain: the last words of a traceback.
EXCEPTION_TEXT = re.compile(
    r"Traceback|\b[A-Z][A-Za-z]*(Error|Exception)\b:|object has no attribute|invalid literal for|"
    r"unexpected keyword|NoneType|not subscriptable|codec can't|KeyError|IndexError")
CAPACITY = re.compile(r"maximum|busy|too many|try again", re.IGNORECASE)


@dataclass
class HttpCase:
    method: str
    path: str
    dialect: str  # face_swap_live | api | detect | offer | sdp | site
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def describe(self) -> str:
        body = (self.body or b"")[:120]
        return f"{self.method} {self.path} {self.headers} {body!r}"


# -- building blocks ---------------------------------------------------------------------------
def junk_text(rng: random.Random, longest: int = 40) -> str:
    alphabet = string.printable + "\x00\x01\x7f\u00e9\u0661\uff11\u3002\u2460\ud7ff\ufffd\U0001f600"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))


def junk_json(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.random()
    if depth > 3 or pick < 0.45:
        return rng.choice([None, True, False, 0, -1, 2**70, 1e308, float("1e-320"), "", junk_text(rng),
                           "x" * rng.randint(1, 5000), [], {}])
    if pick < 0.7:
        return [junk_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {junk_text(rng, 8): junk_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def deep_nesting(rng: random.Random) -> bytes:
    n = rng.choice([100, 1000, 5000, 50_000])
    return rng.choice([b"[" * n + b"]" * n, b'{"a":' * n + b"1" + b"}" * n, b"[" * n])


def junk_image(rng: random.Random) -> bytes:
    return rng.choice([
        b"", rng.randbytes(rng.randint(1, 3000)), b"\xff\xd8\xff\xe0" + rng.randbytes(500),
        png_header_only(rng.choice([1, 70_000, 30_000]), rng.choice([1, 70_000, 20_000])),
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"BM" + rng.randbytes(60),
    ])


def junk_url(rng: random.Random) -> str:
    return rng.choice([
        "http://[bad", "http://", "https:///x", "file:///etc/passwd", "gopher://x", "ftp://127.0.0.1/",
        "http://１２７.０.０.１/", "http://127。0。0。1:1/", "http://[::1]:1/", "http://0x7f.1/",
        "http://2130706433/", "http://user:pw@127.0.0.1/", "http://a.invalid/x.jpg", "data:,",
        "data:image/jpeg;base64,@@@", "img_" + junk_text(rng, 10), junk_text(rng), "x" * 9000,
    ])


def junk_data_url(rng: random.Random) -> Any:
    image = junk_image(rng)
    return rng.choice([
        "data:image/jpeg;base64," + base64.b64encode(image).decode(), base64.b64encode(image).decode(),
        "data:image/png;base64,!!!", "data:text/plain,hello", junk_text(rng), junk_json(rng), None, 12,
    ])


def content_type(rng: random.Random, usual: str) -> str:
    return rng.choice([usual, usual, f"{usual}; charset=bogus", f"{usual}; charset=utf-16", "text/plain",
                       "", "application/x-www-form-urlencoded", "multipart/form-data", junk_text(rng, 20)])


def auth(rng: random.Random, token: str) -> dict[str, str]:
    return rng.choice([
        {}, {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {token}"},
        {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}, {"x-api-key": token},
        {"Authorization": f"Bearer {junk_text(rng, 60)}"}, {"x-api-key": junk_text(rng, 30)},
    ])


def json_body(rng: random.Random, near: dict[str, Any]) -> bytes:
    """A body close to `near` (fields replaced by junk), or junk JSON, or not JSON at all."""
    pick = rng.random()
    if pick < 0.5:
        body = {k: (junk_json(rng) if rng.random() < 0.5 else v) for k, v in near.items()}
        if rng.random() < 0.3:
            body[junk_text(rng, 8)] = junk_json(rng)
        text = json.dumps(body, allow_nan=True)
        return text.encode("utf-8", "surrogatepass")
    if pick < 0.7:
        return json.dumps(junk_json(rng), allow_nan=True).encode("utf-8", "surrogatepass")
    if pick < 0.8:
        return deep_nesting(rng)
    return rng.choice([rng.randbytes(rng.randint(0, 200)), b"", b"\xff\xfe{}", b'{"a": "\\ud800"}',
                       b"nul\x00l"])


# -- SDP -----------------------------------------------------------------------------------------
def junk_sdp(rng: random.Random, template: str) -> str:
    """A real offer with a few lines mutated, or junk."""
    if rng.random() < 0.15:
        return rng.choice(["", "v=0", junk_text(rng, 200), "v=0\r\nm=video 9 X 96\r\n" * rng.randint(1, 3)])
    lines = template.split("\r\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        line, op = lines[i], rng.random()
        if op < 0.2:
            del lines[i]
        elif op < 0.35:
            lines.insert(i, line)
        elif op < 0.6:
            tokens = line.split(" ")
            tokens[rng.randrange(len(tokens))] = rng.choice(["", "0", "-1", "99999999", "abc", "96", "\x00",
                                                             "0\x00", "x" * 300, "\u00e4"])
            lines[i] = " ".join(tokens)
        elif op < 0.8:
            k = rng.randrange(len(line) + 1)
            lines[i] = line[:k] + rng.choice([":", "/", " ", "=", "1", "a"]) + line[k:]
        else:
            lines[i] = line[: rng.randrange(len(line) + 1)]
    return "\r\n".join(lines)


def channel_name(rng: random.Random) -> str:
    return rng.choice(["studio", "ch_deadbeef", "default", "x" * 70, "..%2F..%2Fetc", "%00", "a b",
                       "\u00e9", junk_text(rng, 10).replace("/", "").replace("?", "") or "x"])


# -- whole requests ------------------------------------------------------------------------------
def multipart(rng: random.Random) -> tuple[dict[str, str], bytes]:
    boundary = rng.choice(["XyZ", "a" * 70, "", "--", junk_text(rng, 10).replace("\r", "")])
    name = rng.choice(["image", "image", "photo", "", '"', "image\x00"])
    part = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="f.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n").encode("utf-8", "surrogatepass") + junk_image(rng)
    body = rng.choice([part + f"\r\n--{boundary}--\r\n".encode("utf-8", "surrogatepass"), part,  # cut
                       part[: rng.randint(0, len(part))], b"--" + boundary.encode("utf-8", "surrogatepass")])
    ctype = rng.choice([f"multipart/form-data; boundary={boundary}", "multipart/form-data",
                        f"multipart/mixed; boundary={boundary}", "application/json"])
    return {"Content-Type": ctype}, body


def header_value(value: str) -> str:
    """What parses as an HTTP header value: latin-1 without control characters (malformed HTTP
    itself is the HTTP parser's to refuse; tests/test_hostile_input.py sends some raw)."""
    printable = "".join(c for c in value if c == "\t" or " " <= c != "\x7f")
    return printable.encode("latin-1", "replace").decode("latin-1").strip()


def http_case(rng: random.Random, token: str, sdp_template: str) -> HttpCase:
    """One hostile HTTP request, to any route of the three dialects."""
    case = _http_case(rng, token, sdp_template)
    case.headers = {k: header_value(v) for k, v in case.headers.items()}
    return case


def _http_case(rng: random.Random, token: str, sdp_template: str) -> HttpCase:
    kind = rng.randrange(11)
    if kind == 0:
        headers, body = multipart(rng)
        return HttpCase("POST", "/upload_source", "face_swap_live", headers, body)
    if kind == 1:
        near = {"clientId": "tester", "clientSecret": "wrong"}
        return HttpCase("POST", f"{API}/getToken", "api",
                        {"Content-Type": content_type(rng, "application/json")}, json_body(rng, near))
    if kind in (2, 3):
        op = rng.choice(["create", "update", "close", "info", junk_text(rng, 6).replace("/", "") or "x"])
        near = {"_id": junk_text(rng, 24), "sourceImage": [{"path": junk_url(rng), "opts": junk_text(rng)}]}
        headers = {"Content-Type": content_type(rng, "application/json"), **auth(rng, token)}
        return HttpCase("POST", f"{API}/faceswap/live/{op}", "api", headers, json_body(rng, near))
    if kind == 4:
        near = {"img": junk_data_url(rng), "single_face": junk_json(rng)}
        headers = {"Content-Type": content_type(rng, "application/json"), **auth(rng, token)}
        return HttpCase("POST", f"{API}/upload", "api", headers, json_body(rng, near))
    if kind == 5:
        near = {"single_face": True, "image_url": junk_url(rng), "img": junk_data_url(rng)}
        if rng.random() < 0.5:
            near.pop(rng.choice(["image_url", "img"]))
        headers = {"Content-Type": content_type(rng, "application/json"), **auth(rng, token)}
        return HttpCase("POST", "/detect", "detect", headers, json_body(rng, near))
    if kind == 6:
        near = {"sdp": junk_sdp(rng, sdp_template), "type": rng.choice(["offer", "offer", "answer", 1]),
                "channel": channel_name(rng)}
        headers = {"Content-Type": content_type(rng, "application/json"), **auth(rng, token)}
        return HttpCase("POST", "/offer", "offer", headers, json_body(rng, near))
    if kind == 7:
        role = rng.choice(["whip", "whep"])
        body = junk_sdp(rng, sdp_template).encode("utf-8", "surrogatepass")
        headers = {"Content-Type": content_type(rng, "application/sdp"), **auth(rng, token)}
        return HttpCase("POST", f"/{role}/{channel_name(rng)}", "sdp", headers, body)
    if kind == 8:
        role = rng.choice(["whip", "whep"])
        method = rng.choice(["DELETE", "PATCH", "OPTIONS", "GET", "PUT"])
        return HttpCase(method, f"/{role}/{channel_name(rng)}/{junk_text(rng, 32).replace('/', '') or 'x'}",
                        "sdp", auth(rng, token), rng.randbytes(rng.randint(0, 100)))
    if kind == 9:
        path = rng.choice(["/status", "/metrics", "/", "/player?channel=" + junk_text(rng, 20),
                           "/static/" + rng.choice(["../server.py", "%2e%2e/app.py", "app.js",
                                                    junk_text(rng, 20)]),
                           "/favicon.ico", "/" + junk_text(rng, 30).replace("?", "")])
        return HttpCase(rng.choice(["GET", "HEAD", "POST"]), path, "site")
    path = rng.choice([f"/offer/{junk_text(rng, 32).replace('/', '') or 'x'}/stats", "/socket.io/",
                       f"{API}/nothing"])
    return HttpCase(rng.choice(["GET", "POST"]), path, "site", {}, rng.randbytes(rng.randint(0, 50)))


def ws_messages(rng: random.Random) -> list[str | bytes]:
    """Messages for the /ws transport: JSON events with junk, not JSON, binary, deep nesting."""
    out: list[str | bytes] = []
    for _ in range(rng.randint(1, 4)):
        pick = rng.random()
        if pick < 0.5:
            event = rng.choice(["process_frame", "process_frame", "clear_source", junk_text(rng, 12)])
            data = rng.choice([{"frame": junk_data_url(rng), "id": junk_json(rng)}, junk_json(rng)])
            out.append(json.dumps({"event": event, "data": data}, allow_nan=True))
        elif pick < 0.7:
            out.append(deep_nesting(rng).decode())
        elif pick < 0.85:
            out.append(junk_text(rng, 200))
        else:
            out.append(rng.randbytes(rng.randint(0, 100)))
    return out


def sio_events(rng: random.Random) -> list[tuple[str, Any]]:
    """(event, data) pairs for a Socket.IO client."""
    return [(rng.choice(["process_frame", "process_frame", "clear_source", junk_text(rng, 12) or "x"]),
             rng.choice([{"frame": junk_data_url(rng), "id": junk_json(rng)}, junk_json(rng)]))
            for _ in range(rng.randint(1, 4))]


# -- what an answer must be -----------------------------------------------------------------------
def problems(case: HttpCase, status: int, body: bytes, seconds: float, limit_s: float = 1.0) -> list[str]:
    """What is wrong with the server's answer to `case` (empty when it is fine)."""
    found = []
    text = body.decode("utf-8", "replace")
    if status >= 500 and not (status == 503 and CAPACITY.search(text)):
        found.append(f"answered {status}")
    if EXCEPTION_TEXT.search(text):
        found.append(f"exception text in the answer: {EXCEPTION_TEXT.search(text).group(0)!r}")
    if seconds > limit_s:
        found.append(f"took {seconds:.2f} s")
    # the dialect's own shape: a business code, /detect's error_code, the WebRTC error, success/message
    shapes = {"api": "code", "detect": "error_code", "face_swap_live": "success", "offer": "error"}
    key = shapes.get(case.dialect)
    if key is not None and not (case.dialect == "offer" and status == 200) and case.method != "HEAD":
        try:
            answer = json.loads(text)
        except ValueError:
            found.append(f"the answer is not JSON: {text[:80]!r}")
        else:
            if not isinstance(answer, dict) or key not in answer:
                found.append(f"the answer lacks {key!r}: {text[:80]!r}")
    return found
