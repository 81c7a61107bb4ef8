"""JSON bodies of the Live Face Swap API turned into typed values at the boundary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from signaling.json_body import BadBody, read_json
from signaling.live_face_swap_api.codes import ApiCode, ApiError

MAX_SOURCES = 4
MAX_PERSON = 64  # characters in a sourceImage[].person name


@dataclass(frozen=True)
class SourceImage:
    path: str  # an http(s) URL, a data: URI or the id of an image uploaded here
    opts: str  # a landmarks_str from /detect, or ""
    near: tuple[float, float] | None  # the centre of opts' points: pick the face nearest to it
    person: str | None = None  # entries naming the same person are photos of one source face

    def as_json(self) -> dict[str, str]:
        out = {"path": self.path, "opts": self.opts}
        if self.person is not None:
            out["person"] = self.person
        return out


def group_by_person(images: list[SourceImage]) -> list[list[int]]:
    """Indices of `images` per source face, in the order each face first appears: entries with
    the same `person` are one face, every entry without one is a face of its own."""
    groups: dict[str | int, list[int]] = {}
    for i, image in enumerate(images):
        groups.setdefault(i if image.person is None else image.person, []).append(i)
    return list(groups.values())


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
        person = item.get("person")
        if isinstance(person, int) and not isinstance(person, bool):
            person = str(person)
        if person is not None and (not isinstance(person, str) or not 0 < len(person) <= MAX_PERSON):
            why = f"sourceImage[{i}].person must be a name or number of at most {MAX_PERSON} characters"
            raise ApiError(ApiCode.PARAM_ERROR, why)
        images.append(SourceImage(item["path"].strip(), opts or "", near, person))
    return images


def parse_session_id(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ApiError(ApiCode.PARAM_ERROR, "_id must be a session id string")
    return value
