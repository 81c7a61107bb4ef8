"""Image bytes in, BGR arrays out, and back: judged by content, bounded before full decode.

These functions are CPU work: callers on the event loop run them in an executor.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# The formats the Face Swap Live seed accepts (.jpg .jpeg .png .bmp .webp), as PIL names them.
ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "BMP", "WEBP"})
# The long side stills are decoded to: a face in a photo needs no more for detection or as a source
# (the mesh engine works on a 320 px face), and it bounds what a decoded upload costs.
WORKING_SIDE = 2048
# JPEG decodes at 1/2, 1/4 or 1/8 scale for free (PIL's draft): such a file may claim up to 64 times
# the pixel cap, as long as what is decoded stays under it.
JPEG_DRAFT_FACTOR = 64
_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+)?(;[a-z0-9=.+-]+)*;base64,", re.IGNORECASE)


class ImageRejected(ValueError):
    """The bytes are not an acceptable image; the message says why (shown to the client)."""


def _open(data: bytes, max_pixels: int, draft_to: int | None = None) -> Image.Image:
    """Open lazily (headers only) and refuse unknown formats and oversized images before decoding.

    With `draft_to`, a JPEG is set to decode at the smallest DCT scale that still covers that many
    pixels on its long side; the pixel cap then applies to what will actually be decoded.
    """
    if not data:
        raise ImageRejected("Empty image")
    try:
        with warnings.catch_warnings():
            # PIL warns about large images itself; our own pixel cap below is the rule.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=sorted(ALLOWED_FORMATS))
    except UnidentifiedImageError:
        raise ImageRejected("Not an image in an allowed format (JPEG, PNG, BMP, WebP)") from None
    except Image.DecompressionBombError:
        raise ImageRejected(f"Image is too large (limit {max_pixels:,} pixels)") from None
    except (OSError, ValueError) as exc:
        raise ImageRejected(f"Unreadable image: {exc}") from None
    w, h = img.size
    if w < 1 or h < 1:
        raise ImageRejected("Image has no pixels")
    claimed_limit = max_pixels * JPEG_DRAFT_FACTOR if draft_to and img.format == "JPEG" else max_pixels
    if w * h > claimed_limit:
        raise ImageRejected(f"Image is too large: {w}x{h} pixels (limit {max_pixels:,} pixels)")
    img.info["claimed_size"] = (w, h)  # what the file says, before a draft reduces it
    if draft_to and img.format == "JPEG":
        img.draft("RGB", _fit((w, h), draft_to))
        if img.size[0] * img.size[1] > max_pixels:
            raise ImageRejected(f"Image is too large: {w}x{h} pixels (limit {max_pixels:,} pixels)")
    return img


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """`size` scaled down so its long side is at most `side`."""
    w, h = size
    scale = min(1.0, side / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


@dataclass(frozen=True)
class Still:
    """A decoded still photo, upright, its long side at most WORKING_SIDE."""

    image: np.ndarray  # BGR uint8
    scale: float  # its pixels per pixel of the upload (1.0 when not reduced)

    def to_upload(self, x: float, y: float) -> tuple[float, float]:
        """A point of `image` in the upload's own (upright) pixels."""
        return x / self.scale, y / self.scale

    def from_upload(self, x: float, y: float) -> tuple[float, float]:
        return x * self.scale, y * self.scale


def decode_upload(data: bytes, max_pixels: int, max_side: int = WORKING_SIDE) -> Still:
    """A still photo as BGR, turned upright by its EXIF orientation (phone photos) and reduced to
    `max_side` on its long side. Memory: at most `max_pixels` are decoded (a JPEG decodes straight
    to about the reduced size), then only copies of the reduced image are made."""
    img = _open(data, max_pixels, draft_to=max_side)
    upload_side = max(img.info.get("claimed_size", img.size))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)  # in place: drops the full decode
            img = ImageOps.exif_transpose(img)
            rgb = np.asarray(img.convert("RGB"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageRejected(f"Unreadable image: {exc}") from None
    return Still(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), max(rgb.shape[:2]) / upload_side)


def decode_frame(data: bytes, max_pixels: int) -> np.ndarray:
    """A video frame as BGR uint8. Headers are checked by PIL, pixels decoded by OpenCV (faster)."""
    _open(data, max_pixels)
    frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise ImageRejected("Unreadable image: the image data is corrupt")
    return frame


def split_data_url(value: object, max_bytes: int) -> bytes:
    """The bytes inside a `data:image/...;base64,` URL (a bare base64 string is accepted too)."""
    if not isinstance(value, str):
        raise ImageRejected("Frame must be a data URL string (data:image/jpeg;base64,...)")
    if len(value) > max_bytes * 4 // 3 + 256:
        raise ImageRejected(f"Frame is too large (limit {max_bytes:,} bytes)")
    m = _DATA_URL.match(value)
    payload = value[m.end():] if m else value
    if not m and value.startswith("data:"):
        raise ImageRejected("Frame must be a base64 data URL (data:image/jpeg;base64,...)")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageRejected("Frame is not valid base64") from None


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def to_data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
