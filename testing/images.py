"""Images as clients send them: JPEG bytes, data URLs, hostile ones, and grainy, hard-compressed
or sunglassed photos."""

from __future__ import annotations

import base64
import struct
import zlib

import cv2
import numpy as np


def jpeg(image: np.ndarray, quality: int = 95) -> bytes:
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def data_url(image: np.ndarray, quality: int = 95) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg(image, quality)).decode()


def b64_url(body: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(body).decode()


def from_data_url(url: str) -> np.ndarray:
    payload = url.split(",", 1)[1]
    img = cv2.imdecode(np.frombuffer(base64.b64decode(payload), np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels but carries almost no data (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def grainy(image: np.ndarray, sigma: float, seed: int = 16) -> np.ndarray:
    """`image` (BGR uint8) with sensor noise of `sigma` levels on each of B, G and R, the same for a
    seed (a dim room's high ISO: bench.quality's `noisy` form and the tests)."""
    noise = np.random.default_rng(seed).normal(0.0, sigma, image.shape)
    return np.clip(image.astype(np.float32) + noise + 0.5, 0, 255).astype(np.uint8)


def recompressed(image: np.ndarray, quality: int) -> np.ndarray:
    """`image` (BGR) saved as a JPEG at `quality` and decoded again (a forwarded copy)."""
    return cv2.imdecode(np.frombuffer(jpeg(image, quality), np.uint8), cv2.IMREAD_COLOR)


def everywhere(image: np.ndarray) -> np.ndarray:
    """A mask that takes all of `image` (for the readings that are given the face's region)."""
    return np.ones(image.shape[:2], bool)


def sunglasses(image: np.ndarray, eyes: tuple[tuple[float, float], tuple[float, float]]) -> np.ndarray:
    """`image` with dark glasses drawn over the two `eyes` (their centres): near-black lenses, each
    with a paler reflection, and a bridge between them. No photo of a person in sunglasses ships
    with the wheels; these stand in for one."""
    out = image.copy()
    (ax, ay), (bx, by) = eyes
    gap = float(np.hypot(bx - ax, by - ay))
    angle = float(np.degrees(np.arctan2(by - ay, bx - ax)))
    axes = (round(0.42 * gap), round(0.3 * gap))
    lens = (28, 24, 22)
    for x, y in eyes:
        cv2.ellipse(out, (round(x), round(y + 0.05 * gap)), axes, angle, 0, 360, lens, -1, cv2.LINE_AA)
        spot = (round(x - 0.15 * gap), round(y - 0.05 * gap))
        cv2.ellipse(out, spot, (round(0.12 * gap), round(0.04 * gap)), angle - 30, 0, 360, (70, 66, 62), -1,
                    cv2.LINE_AA)
    ends = [(round(ax + k * (bx - ax)), round(ay + k * (by - ay))) for k in (0.4, 0.6)]
    cv2.line(out, ends[0], ends[1], lens, max(2, round(0.05 * gap)), cv2.LINE_AA)
    return out
