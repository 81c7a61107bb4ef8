"""Image bytes in, BGR arrays out, and back: judged by content, bounded before full decode.

These functions are CPU work: callers on the event loop run them in an executor.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# The formats the Face Swap Live seed accepts (.jpg .jpeg .png .bmp .webp), as PIL names them.
ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "BMP", "WEBP"})
_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+)?(;[a-z0-9=.+-]+)*;base64,", re.IGNORECASE)


class ImageRejected(ValueError):
    """The bytes are not an acceptable image; the message says why (shown to the client)."""


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open lazily (headers only) and refuse unknown formats and oversized images before decoding."""
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
    if w * h > max_pixels:
        raise ImageRejected(f"Image is too large: {w}x{h} pixels (limit {max_pixels:,} pixels)")
    return img


def decode_upload(data: bytes, max_pixels: int) -> np.ndarray:
    """A still photo as BGR uint8, turned upright by its EXIF orientation (phone photos)."""
    img = _open(data, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = ImageOps.exif_transpose(img)
            rgb = np.asarray(img.convert("RGB"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageRejected(f"Unreadable image: {exc}") from None
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


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
