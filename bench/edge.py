"""A face leaving the frame's edge and coming back: is it still followed, and how well.

    python -m bench.edge [--speed 12] [--edge left|top|right|bottom] [--stay 0.67]

Each face the wheels carry (the astronaut and the six people of `t1.jpg`), its box 35% of a
640x480 frame's height, slides from the frame's centre off its left edge (or its top: someone
standing up; its right; its bottom: someone ducking) until `out` of it is beyond (`--speed` px a
frame), stays there `--stay` seconds (10 frames at 15 a second) swaying a little, and slides back.
Three columns: the tracker as it is; its hold without the likeness check, so that it ends
`MAX_HELD` seconds after it began, whatever the face looks like; and with
FaceMesh's reading alone (`FaceTracker(follow_edges=False)`; models/edge_hold.py). The rows, by `out`:
- followed: the share of the clip's frames in which the tracker gives the face (a face not
  followed is not swapped: the person's own face shows);
- error: where the face is at least 30% out and followed, how far its landmarks in view lie from
  those the same tracker reads with the frame widened so that the face is whole, median, in
  face widths (its box is about square);
- ms: the tracker's time for those frames, median, one core (as bench.engine).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from unittest import mock

import numpy as np

from bench.engine import pin_to_one_core
from bench.finding import people
from models import edge_hold
from models.mediapipe_faces import FaceFinder, FaceTracker
from testing.faces import crop_face, place

OUTS = (0.4, 0.5, 0.6, 0.7, 0.8)
CONFIGS = {"as is": {}, "hold 3 s": {}, "mesh alone": {"follow_edges": False}}
# a likeness no face reaches: the hold ends MAX_HELD seconds on, as it did before the check
PATCHES = {"hold 3 s": {"ALIKE": 2.0}}
SIZE = (640, 480)
WIDEN = 400  # px added beyond the edge for the whole face's reading
EDGES = ("left", "top", "right", "bottom")
SHARE = 0.35  # of the frame's height, the face's box


def slide(out: float, face_size: float, speed: float, edge: str = "left",
          stay: int = 10) -> list[tuple[float, float]]:
    """The face's centre in each frame: off the frame's `edge` until `out` of the face is beyond
    it, `stay` frames there swaying, and back."""
    axis = _axis(edge)
    end = face_size * (0.5 - out)
    if _far(edge):
        end = SIZE[axis] - end
    there = max(2, int(np.ceil(abs(SIZE[axis] / 2 - end) / speed)))
    ahead = list(np.linspace(SIZE[axis] / 2, end, there))
    across = SIZE[1 - axis] / 2
    there_for = [(end + 3 * np.sin(i), across + 3 * np.cos(i)) for i in range(stay)]
    path = [(a, across) for a in ahead] + there_for + [(a, across) for a in ahead[::-1]]
    return path if axis == 0 else [(b, a) for a, b in path]


def _axis(edge: str) -> int:
    return 0 if edge in ("left", "right") else 1


def _far(edge: str) -> bool:
    """Whether `edge` is at the frame's far end of its axis (its right or its bottom)."""
    return edge in ("right", "bottom")


def leaving(photo: np.ndarray, box: tuple[int, int, int, int], out: float, speed: float = 12.0,
            edge: str = "left", stay: int = 10,
            ) -> tuple[np.ndarray, float, float, list[tuple[float, float]], list[np.ndarray]]:
    """The face in `box` sliding off the frame's `edge` until `out` of it is beyond, and back: (the
    head's crop, its scale in the frame, the face's size there (its box is square), each frame's
    centre, the frames)."""
    head = crop_face(photo, box, 0.8)
    scale = SIZE[1] * SHARE / (box[2] - box[0])
    size = (box[2] - box[0]) * scale
    path = slide(out, size, speed, edge, stay)
    return head, scale, size, path, [place(head, SIZE, scale, 0, centre) for centre in path]


def run(head: np.ndarray, scale: float, face_size: float, path: list[tuple[float, float]],
        frames: list[np.ndarray], edge: str = "left", **config) -> tuple[float, list[float], list[float]]:
    """(share of frames followed, errors, ms) for one face along `path`, leaving by `edge`."""
    tracker = FaceTracker(FaceFinder(), **config)
    whole = FaceTracker(FaceFinder())
    axis = _axis(edge)
    wider = np.array(SIZE) + np.eye(2, dtype=int)[axis] * WIDEN
    shift = np.zeros(2) if _far(edge) else np.eye(2)[axis] * WIDEN  # the frame's place in it
    followed, errors, ms = 0, [], []
    try:
        for i, (centre, frame) in enumerate(zip(path, frames, strict=True)):
            started = time.perf_counter()
            faces = tracker.update(frame, i / 15)
            took = (time.perf_counter() - started) * 1000
            truth = whole.update(place(head, tuple(wider), scale, 0, tuple(np.add(centre, shift))), i / 15)
            followed += bool(faces)
            if not faces or not truth:
                continue
            points = truth[0].points - shift
            low, high = points[:, axis].min(), points[:, axis].max()
            beyond = high - SIZE[axis] if _far(edge) else -low
            if beyond / (high - low) < 0.3:
                continue
            seen = (points[:, axis] >= 0) & (points[:, axis] < SIZE[axis])
            errors.append(float(np.median(np.linalg.norm(faces[0].points[seen] - points[seen], axis=1))
                                / face_size))
            ms.append(took)
    finally:
        tracker.close()
        whole.close()
    return followed / len(path), errors, ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed", type=float, default=12.0, help="px a frame the face slides")
    parser.add_argument("--edge", choices=EDGES, default="left", help="the edge the face leaves by")
    parser.add_argument("--stay", type=float, default=10 / 15, help="seconds the face stays out there")
    args = parser.parse_args()
    pin_to_one_core()
    rows = {name: {out: ([], [], []) for out in OUTS} for name in CONFIGS}
    for name, (photo, box) in people().items():
        for out in OUTS:
            head, scale, face_size, path, frames = leaving(photo, box, out, args.speed, args.edge,
                                                           round(args.stay * 15))
            for config, options in CONFIGS.items():
                with contextlib.ExitStack() as patches:
                    for setting, value in PATCHES.get(config, {}).items():
                        patches.enter_context(mock.patch.object(edge_hold, setting, value))
                    share, errors, ms = run(head, scale, face_size, path, frames, args.edge, **options)
                kept = rows[config][out]
                kept[0].append(share)
                kept[1].extend(errors)
                kept[2].extend(ms)
        print(f"{name} done", flush=True)

    def cell(values: tuple[list[float], list[float], list[float]]) -> str:
        shares, errors, ms = values
        error = f"{np.median(errors):.3f}" if errors else "-"
        took = f"{np.median(ms):.1f}" if ms else "-"
        return f"{float(np.mean(shares)):.0%} / {error} / {took}"

    print(f"\nfaces sliding off a {SIZE[0]}x{SIZE[1]} frame's {args.edge} edge at {args.speed:g} px a frame"
          f" and back, {args.stay:.2g} s out there; {len(people())} people;"
          " followed / error (face widths) / ms\n")
    print("| out | " + " | ".join(CONFIGS) + " |")
    print("| --- |" + " --- |" * len(CONFIGS))
    for out in OUTS:
        print(f"| {out:.0%} | " + " | ".join(cell(rows[c][out]) for c in CONFIGS) + " |")


if __name__ == "__main__":
    main()
