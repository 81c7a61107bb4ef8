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
from collections.abc import Callable
from dataclasses import dataclass, field
from unittest import mock

import numpy as np

from bench.engine import pin_to_one_core
from bench.finding import people
from models import edge_hold
from models.mediapipe_faces import FaceFinder, FaceTracker
from testing.faces import crop_face, place

OUTS = (0.4, 0.5, 0.6, 0.7, 0.8)
CONFIGS = {"as is": {}, "hold 3 s": {}, "mesh alone": {"follow_edges": False}}
# --entering: the tracker as it is, and with the detector looking at the frame alone (models/edge_strips.py)
ENTERING = {"as is": {}, "frame alone": {"find_entering": False}}
SITTING = (0.3, 0.4, 0.5, 0.6, 0.7)  # --entering: how far out faces there from the start are
MISSED = 0.8  # --entering counts the frames not followed with this much of the face out or less
# a likeness no face reaches: the hold ends MAX_HELD seconds on, as it did before the check
PATCHES = {"hold 3 s": {"ALIKE": 2.0}}
SIZE = (640, 480)
WIDEN = 400  # px added beyond the edge for the whole face's reading
EDGES = ("left", "top", "right", "bottom")
SHARE = 0.35  # of the frame's height, the face's box
# (the head's crop, its scale in the frame, the face's size there (its box is square), each frame's
# centre, the frames)
Clip = tuple[np.ndarray, float, float, list[tuple[float, float]], list[np.ndarray]]
START = 1.1  # of the face beyond the edge where one coming in starts


def slide(out: float, face_size: float, speed: float, edge: str = "left",
          stay: int = 10) -> list[tuple[float, float]]:
    """The face's centre in each frame: off the frame's `edge` until `out` of the face is beyond
    it, `stay` frames there swaying, and back."""
    ahead = _towards(out, face_size, speed, edge)
    return ahead + _sway(ahead[-1], stay, edge) + ahead[::-1]


def _towards(out: float, face_size: float, speed: float, edge: str) -> list[tuple[float, float]]:
    """The face's centre from the frame's centre to where `out` of it is beyond `edge`."""
    axis = _axis(edge)
    end = face_size * (0.5 - out)
    if _far(edge):
        end = SIZE[axis] - end
    there = max(2, int(np.ceil(abs(SIZE[axis] / 2 - end) / speed)))
    across = SIZE[1 - axis] / 2
    return [(a, across) if axis == 0 else (across, a) for a in np.linspace(SIZE[axis] / 2, end, there)]


def _sway(centre: tuple[float, float], frames: int, edge: str) -> list[tuple[float, float]]:
    """A face staying at `centre` for `frames`, swaying 3 px along the `edge`'s axis and across it."""
    moves = [(3 * np.sin(i), 3 * np.cos(i)) for i in range(frames)]
    if _axis(edge) == 1:
        moves = [(b, a) for a, b in moves]
    return [(centre[0] + a, centre[1] + b) for a, b in moves]


def _axis(edge: str) -> int:
    return 0 if edge in ("left", "right") else 1


def _far(edge: str) -> bool:
    """Whether `edge` is at the frame's far end of its axis (its right or its bottom)."""
    return edge in ("right", "bottom")


def leaving(photo: np.ndarray, box: tuple[int, int, int, int], out: float, speed: float = 12.0,
            edge: str = "left", stay: int = 10) -> Clip:
    """The face in `box` sliding off the frame's `edge` until `out` of it is beyond, and back."""
    return _clip(photo, box, lambda size: slide(out, size, speed, edge, stay))


def coming_in(photo: np.ndarray, box: tuple[int, int, int, int], speed: float = 12.0,
              edge: str = "left") -> Clip:
    """As `leaving`, the face coming into a stream by the frame's `edge`: from just beyond it to
    the frame's centre."""
    return _clip(photo, box, lambda size: _towards(START, size, speed, edge)[::-1])


def sitting(photo: np.ndarray, box: tuple[int, int, int, int], out: float, seconds: float = 2.0,
            edge: str = "left") -> Clip:
    """As `leaving`, the face `out` beyond the frame's `edge` from the stream's first frame on,
    swaying there for `seconds`."""
    frames = round(seconds * 15)
    return _clip(photo, box, lambda size: _sway(_towards(out, size, 1.0, edge)[-1], frames, edge))


def _clip(photo: np.ndarray, box: tuple[int, int, int, int],
          path: Callable[[float], list[tuple[float, float]]]) -> Clip:
    head = crop_face(photo, box, 0.8)
    scale = SIZE[1] * SHARE / (box[2] - box[0])
    size = (box[2] - box[0]) * scale
    centres = path(size)
    return head, scale, size, centres, [place(head, SIZE, scale, 0, centre) for centre in centres]


def out_of_frame(centre: tuple[float, float], face_size: float, edge: str) -> float:
    """The share of a face of `face_size` centred at `centre` that lies beyond the frame's `edge`."""
    axis = _axis(edge)
    beyond = centre[axis] + face_size / 2 - SIZE[axis] if _far(edge) else face_size / 2 - centre[axis]
    return float(np.clip(beyond / face_size, 0.0, 1.0))


@dataclass
class Run:
    """One face's clip through a tracker."""

    followed: list[bool] = field(default_factory=list)  # each frame's: whether the face was
    errors: list[float] = field(default_factory=list)  # where it is at least 30% out and followed
    ms: list[float] = field(default_factory=list)  # the tracker's, on those frames
    idle_ms: list[float] = field(default_factory=list)  # the tracker's, on frames it followed nothing


def run(head: np.ndarray, scale: float, face_size: float, path: list[tuple[float, float]],
        frames: list[np.ndarray], edge: str = "left", **config) -> Run:
    """One face along `path`, by the frame's `edge`."""
    tracker = FaceTracker(FaceFinder(), **config)
    whole = FaceTracker(FaceFinder())
    axis = _axis(edge)
    wider = np.array(SIZE) + np.eye(2, dtype=int)[axis] * WIDEN
    shift = np.zeros(2) if _far(edge) else np.eye(2)[axis] * WIDEN  # the frame's place in it
    measured = Run()
    try:
        for i, (centre, frame) in enumerate(zip(path, frames, strict=True)):
            started = time.perf_counter()
            faces = tracker.update(frame, i / 15)
            took = (time.perf_counter() - started) * 1000
            truth = whole.update(place(head, tuple(wider), scale, 0, tuple(np.add(centre, shift))), i / 15)
            measured.followed.append(bool(faces))
            if not faces:
                measured.idle_ms.append(took)
            if not faces or not truth:
                continue
            points = truth[0].points - shift
            low, high = points[:, axis].min(), points[:, axis].max()
            beyond = high - SIZE[axis] if _far(edge) else -low
            if beyond / (high - low) < 0.3:
                continue
            seen = (points[:, axis] >= 0) & (points[:, axis] < SIZE[axis])
            apart = np.linalg.norm(faces[0].points[seen] - points[seen], axis=1)
            measured.errors.append(float(np.median(apart)) / face_size)
            measured.ms.append(took)
    finally:
        tracker.close()
        whole.close()
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed", type=float, default=12.0, help="px a frame the face slides")
    parser.add_argument("--edge", choices=EDGES, default="left", help="the edge the face leaves by")
    parser.add_argument("--stay", type=float, default=10 / 15, help="seconds the face stays out there")
    parser.add_argument("--entering", action="store_true",
                        help="faces coming in by the edge, and there from the stream's start, instead")
    args = parser.parse_args()
    pin_to_one_core()
    if args.entering:
        entering(args.speed, args.edge)
    else:
        leaving_table(args.speed, args.edge, args.stay)


def leaving_table(speed: float, edge: str, stay: float) -> None:
    rows = {name: {out: ([], [], []) for out in OUTS} for name in CONFIGS}
    for name, (photo, box) in people().items():
        for out in OUTS:
            head, scale, face_size, path, frames = leaving(photo, box, out, speed, edge, round(stay * 15))
            for config, options in CONFIGS.items():
                with contextlib.ExitStack() as patches:
                    for setting, value in PATCHES.get(config, {}).items():
                        patches.enter_context(mock.patch.object(edge_hold, setting, value))
                    _add(rows[config][out], run(head, scale, face_size, path, frames, edge, **options))
        print(f"{name} done", flush=True)

    print(f"\nfaces sliding off a {SIZE[0]}x{SIZE[1]} frame's {edge} edge at {speed:g} px a frame"
          f" and back, {stay:.2g} s out there; {len(people())} people;"
          " followed / error (face widths) / ms\n")
    print("| out | " + " | ".join(CONFIGS) + " |")
    print("| --- |" + " --- |" * len(CONFIGS))
    for out in OUTS:
        print(f"| {out:.0%} | " + " | ".join(_cell(rows[c][out]) for c in CONFIGS) + " |")


def _add(kept: tuple[list[float], list[float], list[float]], measured: Run) -> None:
    """Adds a clip's share of frames followed, its errors and its ms to a table's cell."""
    kept[0].append(float(np.mean(measured.followed)))
    kept[1].extend(measured.errors)
    kept[2].extend(measured.ms)


def _cell(values: tuple[list[float], list[float], list[float]]) -> str:
    shares, errors, ms = values
    error = f"{np.median(errors):.3f}" if errors else "-"
    took = f"{np.median(ms):.1f}" if ms else "-"
    return f"{float(np.mean(shares)):.0%} / {error} / {took}"


def entering(speed: float, edge: str) -> None:
    """The tables of `--entering`: faces coming in by `edge`, and there from the stream's start."""
    coming = {name: [] for name in ENTERING}  # per person: (out when first followed, frames missed)
    there = {name: {out: ([], [], []) for out in SITTING} for name in ENTERING}
    idle: dict[str, list[float]] = {name: [] for name in ENTERING}
    for person, (photo, box) in people().items():
        head, scale, face_size, path, frames = coming_in(photo, box, speed, edge)
        outs = [out_of_frame(centre, face_size, edge) for centre in path]
        for name, options in ENTERING.items():
            measured = run(head, scale, face_size, path, frames, edge, **options)
            seen = list(zip(outs, measured.followed, strict=True))
            first = next((out for out, followed in seen if followed), None)
            missed = sum(not followed and out <= MISSED for out, followed in seen)
            coming[name].append((first, missed))
            idle[name].extend(measured.idle_ms)
        for out in SITTING:
            clip = sitting(photo, box, out, edge=edge)
            for name, options in ENTERING.items():
                _add(there[name][out], run(*clip, edge, **options))
        print(f"{person} done", flush=True)

    print(f"\nfaces coming into a {SIZE[0]}x{SIZE[1]} frame by its {edge} edge at {speed:g} px a frame,"
          f" from {START:.0%} out to its centre; {len(people())} people\n")
    print("| | " + " | ".join(ENTERING) + " |")
    print("| --- |" + " --- |" * len(ENTERING))
    firsts = {name: [first for first, _ in coming[name]] for name in ENTERING}
    print("| out when first followed: median (each person) | " + " | ".join(
        f"{np.median([f for f in firsts[n] if f is not None]):.0%} ("
        + " ".join("-" if f is None else f"{f:.0%}" for f in firsts[n]) + ")" for n in ENTERING) + " |")
    print(f"| frames not followed, {1 - MISSED:.0%} of the face or more in view: mean (each) | " + " | ".join(
        f"{np.mean([m for _, m in coming[n]]):.1f} (" + " ".join(str(m) for _, m in coming[n]) + ")"
        for n in ENTERING) + " |")
    print("| tracker ms on frames with no face followed: median | " + " | ".join(
        f"{np.median(idle[n]):.1f}" if idle[n] else "-" for n in ENTERING) + " |")
    print(f"\nfaces part out of the frame's {edge} edge from the stream's first frame, 2 s, swaying;"
          " followed / error (face widths) / ms\n")
    print("| out | " + " | ".join(ENTERING) + " |")
    print("| --- |" + " --- |" * len(ENTERING))
    for out in SITTING:
        print(f"| {out:.0%} | " + " | ".join(_cell(there[n][out]) for n in ENTERING) + " |")


if __name__ == "__main__":
    main()
