"""JSON bodies of the Live Face Swap API turned into typed values at the boundary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from signaling.json_body import BadBody, read_json
from signaling.live_face_swap_api.codes import ApiCode, ApiError

MAX_SOURCES = 4


@dataclass(frozen=True)
class SourceImage:
    path: str  # an http(s) URL, a data: URI or the id of an image uploaded here
    opts: str  # a landmarks_str from /detect, or ""
    near: tuple[float, float] | None  # the centre of opts' points: pick the face nearest to it

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "opts": self.opts}


async def read_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; ApiError (parameter error) saying what is wrong with it."""
    try:
        data = await read_json(request)
    except BadBody as exc:
        raise ApiError(ApiCode.PARAM_ERROR, str(exc)) from None
    if not isinstance(data, dict):
        raise ApiError(ApiCode.PARAM_ERROR, "the body must be a JSON object")
    return data


def parse_landmarks_str(text: str) -> tuple[float, float]:
    """The centre of the points of a `landmarks_str` ("x,y:x,y:..."); ValueError says why not."""
    try:
        pts = [tuple(float(v) for v in p.split(",")) for p in text.split(":") if p.strip()]
    except ValueError:
        raise ValueError(f"opts {text[:40]!r} is not a landmarks_str like 'x,y:x,y:x,y:x,y'") from None
    pts = [p for p in pts if len(p) == 2 and p != (0.0, 0.0)]
    if not pts:
        raise ValueError(f"opts {text[:40]!r} has no points")
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def parse_source_images(value: Any) -> list[SourceImage]:
    if not isinstance(value, list) or not value:
        raise ApiError(ApiCode.PARAM_ERROR, "sourceImage must be a non-empty array of {path, opts}")
    if len(value) > MAX_SOURCES:
        raise ApiError(ApiCode.PARAM_ERROR, f"at most {MAX_SOURCES} source images")
    images = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not item["path"].strip():
            raise ApiError(ApiCode.PARAM_ERROR, f"sourceImage[{i}].path must be a non-empty string")
        opts = item.get("opts")
        if opts not in (None, "") and not isinstance(opts, str):
            raise ApiError(ApiCode.PARAM_ERROR, f"sourceImage[{i}].opts must be a landmarks_str")
        near = None
        if opts:
            try:
                near = parse_landmarks_str(opts)
            except ValueError as exc:
                raise ApiError(ApiCode.PARAM_ERROR, f"sourceImage[{i}]: {exc}") from None
        images.append(SourceImage(item["path"].strip(), opts or "", near))
    return images


def parse_session_id(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ApiError(ApiCode.PARAM_ERROR, "_id must be a session id string")
    return value
