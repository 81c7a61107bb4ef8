"""What a face leaving the frame and coming back costs the frames around it.

    python -m bench.reacquire [--cycles 20]

A stream follows a face at 640x480 for 10 frames, loses it for 3 (a grey frame: the person
stepped away, a hand over the lens) and finds it again, `cycles` times; the table gives median
and worst ms per swap of each kind of frame: a followed face, the frame that loses it, the frames
without a face, the frame it comes back in: after a tenth of a second away, or ("back later")
every other cycle, after longer than `upright_frames.TRUSTED_FOR`. The first cycle (the stream's
first face: its mesh is built then) is left out. Pinned to one core, as bench.engine. Two
columns: the engine as it is, and with its frames never turned
(`MeshEngine(upright_frames=False)`): a face found is read for which way up it is, and a frame
without a face is looked at turned every few frames (models/upright_frames.py).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.engine import pin_to_one_core
from bench.table import pct
from models.upright_frames import TRUSTED_FOR
from testing.faces import faces, place

KINDS = ("followed", "lost", "no face", "back", "back later")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, default=20)
    args = ap.parse_args()
    pin_to_one_core()
    from models.mesh_engine import MeshEngine

    head = faces()["t1-centre"]
    # the face comes back in another place each time, as a person does
    places = [place(head, (640, 480), 1.2, 0, (250 + 40 * (k % 4), 230 + 10 * (k % 3))) for k in range(4)]
    empty = np.full_like(places[0], 90)
    configs = {"as is": MeshEngine(), "never turned": MeshEngine(upright_frames=False)}
    times = {name: _times(engine, places, empty, args.cycles) for name, engine in configs.items()}
    print(f"640x480, one face, {args.cycles} cycles (1 core); ms per swap, median / worst\n")
    print(f"{'frame':<10} {'frames':>7} " + " ".join(f"{name:>16}" for name in configs))
    for kind in KINDS:
        cells = [f"{pct(t[kind], 50):>7.1f} / {max(t[kind], default=float('nan')):>6.1f}"
                 for t in times.values()]
        print(f"{kind:<10} {len(times['as is'][kind]):>7} " + " ".join(f"{c:>16}" for c in cells))


def _times(engine, places: list[np.ndarray], empty: np.ndarray, cycles: int) -> dict[str, list[float]]:
    source = engine.prepare_source(faces()["astronaut"])
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    stream = engine.open_stream()
    n, away = 0, 0.0
    try:
        for cycle in range(cycles + 1):
            frame = places[cycle % len(places)]
            later = cycle % 2 == 1
            away += TRUSTED_FOR + 1 if later else 0.0
            plan = [("back later" if later else "back", frame)] + [("followed", frame)] * 9
            plan += [("lost", empty)] + [("no face", empty)] * 2
            for kind, image in plan:
                t = time.perf_counter()
                stream.swap(image, [source], taken_at=n / 30 + away)
                n += 1
                if cycle > 0:
                    times[kind].append((time.perf_counter() - t) * 1000)
    finally:
        stream.close()
        engine.close()
    return times

if __name__ == "__main__":
    main()
