"""JSON request bodies read the same way on every route: UTF-8 whatever the Content-Type's charset
says (RFC 8259: JSON on the wire is UTF-8), bounded in size; nesting too deep for the parser is a
client error (CPython's parser raises RecursionError cleanly, long before the stack is at risk)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

MAX_JSON_BYTES = 16 * 1024 * 1024  # /detect and live sessions carry base64 images of up to 10 MB


class BadBody(ValueError):
    """The body cannot be read as JSON; the message says why, in the client's terms. `status` is
    413 for a body that is too large, else 400."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("the body is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadBody("the JSON is nested too deeply") from None
    except ValueError:
        raise BadBody("the body is not valid JSON") from None
    try:  # "\\ud800" parses to a lone surrogate, which is not text: no store or hash could take it
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadBody("the JSON contains an unpaired surrogate escape (\\ud800-\\udfff)") from None
    return data


async def read_json(request: web.Request, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The request's JSON body; BadBody saying why not."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BadBody(f"the body is larger than {max_bytes} bytes", 413)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BadBody("the body is too large", 413) from None
    if len(raw) > max_bytes:
        raise BadBody(f"the body is larger than {max_bytes} bytes", 413)
    return parse_json(raw)
