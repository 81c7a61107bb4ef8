"""Images as clients send them: JPEG bytes, data URLs, hostile ones, and grainy or hard-compressed
photos."""

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
