"""How many of the faces in view a stream swaps, by how large they are, and what looking costs.

    python -m bench.finding [--frames 30]

Two columns: the engine as it is, and with its detector looking at the whole frame alone
(`MeshEngine(tiles=False)`; models/tiles.py). The rows:
- `t1.jpg` (six people, faces 100-130 px) as a frame at three sizes, swaying gently: the faces
  swapped per frame (mean over the clip) and the first frame with all six (`MeshEngine(max_faces=6)`);
- the faces `detect` gives for the photo (the Live Face Swap API's face detection);
- the astronaut and the six people of `t1.jpg`, each alone, their face (the box around brows,
  eyes, nose and mouth) `--frames` frames at 6-15% of a 640x480 frame's height, swaying as in
  bench.quality: the share of frames swapped;
- ms per frame with no face in view, median (the detector runs on every such frame), pinned to
  one core as bench.engine.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from bench.engine import pin_to_one_core
from bench.table import pct
from testing.faces import ASTRONAUT_DLIB_BOX, T1_DLIB_BOXES, astronaut, crop_face, place, t1, video

SHARES = (0.06, 0.08, 0.10, 0.12, 0.15)  # of the frame's height: the face's box
GROUP_SIZES = ((1280, 886), (960, 664), (640, 443))
CONFIGS = {"as is": {}, "whole frame": {"tiles": False}}


def people() -> dict[str, tuple[np.ndarray, tuple[int, int, int, int]]]:
    """name -> (photo, face box): the faces the wheels carry but Hanks (a tight photo in a grey
    frame), boxed as bench.quality boxes them (by dlib)."""
    group = t1()
    return {"astronaut": (astronaut(), ASTRONAUT_DLIB_BOX)} | {
        f"t1-{i + 1}": (group, box) for i, box in enumerate(T1_DLIB_BOXES.values())}


def small_face_clip(photo: np.ndarray, box: tuple[int, int, int, int], share: float, n: int
                    ) -> list[np.ndarray]:
    return video(crop_face(photo, box, 0.8), (640, 480), 60, 480 * share / (box[2] - box[0]))[:n]


def group_clip(size: tuple[int, int], n: int) -> list[np.ndarray]:
    w, h = size
    photo = t1()
    return [place(photo, size, w / photo.shape[1] * (1 + 0.03 * np.sin(p)), 2 * np.sin(p),
                  (w / 2 + 10 * np.sin(p), h / 2)) for p in (i / 60 * 2 * np.pi for i in range(n))]


def swapped_counts(engine, source, clip: list[np.ndarray]) -> list[int]:
    stream = engine.open_stream()
    ticks = itertools.count(0.0, 1 / 15)
    stream.clock = lambda: next(ticks)
    try:
        return [stream.swap(frame, [source]).faces_swapped for frame in clip]
    finally:
        stream.close()


def empty_frame_ms(engine, source, n: int) -> float:
    stream = engine.open_stream()
    frame = np.full((480, 640, 3), 90, np.uint8)
    times = []
    try:
        for _ in range(n):
            start = time.perf_counter()
            stream.swap(frame, [source])
            times.append((time.perf_counter() - start) * 1000)
    finally:
        stream.close()
    return pct(times[5:], 50)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=30)
    args = ap.parse_args()
    pin_to_one_core()
    from models.mesh_engine import MeshEngine

    engines = {name: MeshEngine(max_faces=6, **options) for name, options in CONFIGS.items()}
    sources = {name: engine.prepare_source(astronaut()) for name, engine in engines.items()}
    rows: list[tuple[str, list[str]]] = []
    for size in GROUP_SIZES:
        cells = []
        for name, engine in engines.items():
            counts = swapped_counts(engine, sources[name], group_clip(size, args.frames))
            first = next((i + 1 for i, c in enumerate(counts) if c == 6), None)
            cells.append(f"{np.mean(counts):.2f}, {'-' if first is None else first}")
        rows.append((f"t1.jpg at {size[0]}x{size[1]}: faces a frame (of 6), first frame with 6", cells))
    rows.append(("t1.jpg: faces `detect` finds (of 6)", [str(len(e.detect(t1()))) for e in engines.values()]))
    everyone = people()
    for share in SHARES:
        cells = []
        for name, engine in engines.items():
            clips = [small_face_clip(photo, box, share, args.frames) for photo, box in everyone.values()]
            counts = [c for clip in clips for c in swapped_counts(engine, sources[name], clip)]
            cells.append(f"{np.mean(np.array(counts) > 0):.0%}")
        label = f"a face {share:.0%} of a 640x480 frame's height: frames swapped ({len(everyone)} people)"
        rows.append((label, cells))
    rows.append(("ms per frame with no face in view, median (1 core)",
                 [f"{empty_frame_ms(e, sources[name], 4 * args.frames):.2f}" for name, e in engines.items()]))
    width = max(len(label) for label, _ in rows)
    print(f"{'':<{width}}" + "".join(f"{name:>16}" for name in engines))
    for label, cells in rows:
        print(f"{label:<{width}}" + "".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    main()
