"""What every benchmark prints with and reads: percentiles that tolerate empty lists, frame sizes."""

from __future__ import annotations

import argparse

import numpy as np

SIDES = (320, 3840)  # the smallest and largest side a frame size may have


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def frame_size(text: str, ap: argparse.ArgumentParser) -> tuple[int, int]:
    """--size's frame size given as WxH, as (w, h), each side within SIDES; ap.error otherwise."""
    w, _, h = text.strip().lower().partition("x")
    if not (w.isdigit() and h.isdigit()) or not all(SIDES[0] <= int(v) <= SIDES[1] for v in (w, h)):
        ap.error(f"--size {text!r}: give WxH, each side {SIDES[0]}-{SIDES[1]} px (e.g. 1280x720)")
    return int(w), int(h)
