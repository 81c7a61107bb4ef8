"""How the face tracker's landmark smoothing trails a moving head and steadies a still one.

    python -m bench.landmarks [--frames 45]

mediapipe's landmarks are taken once per clip (raw, unfiltered) on real faces (the astronaut and
the three t1 faces), then each filter runs over the same points:
- sway: the bench's gentle motion (testing.faces.video: a 4 s cycle at 15 fps, 8 % of the frame's
  width side to side, 8 degrees of roll, 10 % nearer), and a fast one (the same in 1.3 s);
  `lag` is the mean distance in px of the filtered points from the raw ones, frames 3 on;
- talk: the first frame held still while the jaw opens and closes (the face below the upper lip
  drawn down by up to 6 % of the face's width, three times a second); `lag` there is over the
  points that move (the lower lip, the chin), frames 3 on;
- still: the first frame held still with sensor noise (sigma 3 grey levels); `jitter` is the
  mean frame-to-frame move of a point in px, frames 8 on.
Raw points have no lag and all the jitter; a good filter removes most of the jitter and adds
little lag. Face widths here are about 170 px (35 % of the frame's height).
"""

from __future__ import annotations

import argparse
import itertools

import cv2
import numpy as np

from bench.table import pct
from models import face_topology as ft
from models.mediapipe_faces import FaceFinder, FaceTracker
from models.smoothing import SMOOTHINGS, LandmarkFilter
from testing.faces import ASTRONAUT_BOX, T1_FACE_BOXES, astronaut, crop_face, t1, video

# models/smoothing.py: "pose" (what the tracker uses by default), "points" (one One-Euro filter
# over every point, as until this benchmark)
FILTERS: dict[str, type[LandmarkFilter] | None] = {"raw": None, **SMOOTHINGS}
FPS = 15.0


class _Recorder:
    """A landmark filter that keeps what it is given and changes nothing."""

    def __init__(self, into: list) -> None:
        self.into = into

    def __call__(self, x: np.ndarray, t: float, scale: float) -> np.ndarray:
        self.into.append((x.copy(), t, scale))
        return x

    def reset(self) -> None:
        pass


def heads() -> dict[str, np.ndarray]:
    group = t1()
    out = {"astronaut": crop_face(astronaut(), ASTRONAUT_BOX, 0.8)}
    out.update({f"t1-{k}": crop_face(group, box, 0.8) for k, box in T1_FACE_BOXES.items()})
    return out


def raw_points(finder: FaceFinder, frames: list[np.ndarray]) -> list[tuple[np.ndarray, float, float]]:
    seen: list = []
    tracker = FaceTracker(finder, max_faces=1, smoothing=lambda: _Recorder(seen))
    try:
        for i, frame in enumerate(frames):
            before = len(seen)
            tracker.update(frame, i / FPS)
            if len(seen) == before:  # the face was lost: the clip's run ends
                break
    finally:
        tracker.close()
    return seen


def talking(frame: np.ndarray, points: np.ndarray, n: int) -> list[np.ndarray]:
    """`frame` with its jaw opening and closing three times a second: below the upper lip the face
    is drawn down, fully from the chin on, fading out sideways."""
    h, w = frame.shape[:2]
    lip, chin = points[ft.UPPER_INNER_LIP], points[ft.CHIN]
    face_w = float(np.ptp(points[:, 0]))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    weight = np.clip((ys - lip[1]) / max(chin[1] - lip[1], 1.0), 0, 1)
    weight *= np.exp(-(((xs - chin[0]) / (0.45 * face_w)) ** 2))
    out = []
    for i in range(n):
        drop = 0.06 * face_w * 0.5 * (1 - np.cos(2 * np.pi * 3 * i / FPS))
        out.append(cv2.remap(frame, xs, ys - drop * weight, cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE))
    return out


def run(make: type[LandmarkFilter] | None, points: list[tuple[np.ndarray, float, float]]) -> list[np.ndarray]:
    f = make() if make is not None else None
    return [f(x, t, s) if f is not None else x for x, t, s in points]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=45)
    args = ap.parse_args()
    finder = FaceFinder()
    clips: dict[str, list[list]] = {"sway": [], "fast sway": [], "talk": [], "still": []}
    rng = np.random.default_rng(0)
    for head in heads().values():
        scale = 480 * 0.35 / head.shape[1] * 1.8  # the face (0.8 padded crop) 35 % of the height
        clips["sway"].append(raw_points(finder, video(head, (640, 480), 60, scale)[: args.frames]))
        clips["fast sway"].append(raw_points(finder, video(head, (640, 480), 20, scale)[: args.frames]))
        first = video(head, (640, 480), 60, scale)[0]
        found = raw_points(finder, [first])
        if found:
            clips["talk"].append(raw_points(finder, talking(first, found[0][0], args.frames)))
        still = [np.clip(first + rng.normal(0, 3, first.shape), 0, 255).astype(np.uint8)
                 for _ in range(args.frames)]
        clips["still"].append(raw_points(finder, still))
    print(f"{'filter':<20}{'sway lag':>10}{'p95':>7}{'fast lag':>10}{'p95':>7}{'talk lag':>10}{'p95':>7}"
          f"{'still jitter':>14}")
    for name, make in FILTERS.items():
        row = []
        for kind in ("sway", "fast sway"):
            lags = [float(np.linalg.norm(o - x, axis=1).mean()) for pts in clips[kind]
                    for o, (x, _, _) in list(zip(run(make, pts), pts, strict=True))[3:]]
            row += [np.mean(lags), pct(lags, 95)]
        lags = []
        for pts in clips["talk"]:
            raw = np.array([x for x, _, _ in pts])
            moving = raw.std(axis=0).max(axis=1) > 1.0  # the jaw's points, not the still head's
            lags += [float(np.linalg.norm(o[moving] - x[moving], axis=1).mean())
                     for o, x in list(zip(run(make, pts), raw, strict=True))[3:]]
        row += [np.mean(lags), pct(lags, 95)]
        moves = [float(np.linalg.norm(b - a, axis=1).mean())
                 for pts in clips["still"] for a, b in itertools.pairwise(run(make, pts)[8:])]
        print(f"{name:<20}{row[0]:>10.2f}{row[1]:>7.2f}{row[2]:>10.2f}{row[3]:>7.2f}{row[4]:>10.2f}{row[5]:>7.2f}"
              f"{np.mean(moves):>14.3f}")
    print("px; lag: filtered points from the raw ones; jitter: a point's frame-to-frame move on a still face")
    finder.close()


if __name__ == "__main__":
    main()
