"""Headless Debian Chromium for browser tests, with a fake camera playing a .y4m of test faces."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

CHROMIUM = os.environ.get("FACESWAP_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def require_chromium() -> str:
    """The browser's path; CI must have it (.ci/run installs it), elsewhere the test is skipped."""
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
    pytest.skip("browser tests need Debian's chromium: apt-get install chromium chromium-driver")


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 15) -> Path:
    """A raw YUV 4:2:0 video, the format Chromium's --use-file-for-fake-video-capture plays (looped)."""
    h, w = frames[0].shape[:2]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def launch_args(y4m: Path) -> list[str]:
    return [*FLAGS, f"--use-file-for-fake-video-capture={y4m}"]
