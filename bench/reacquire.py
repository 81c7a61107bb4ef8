"""What a face leaving the frame and coming back costs the frames around it.

    python -m bench.reacquire [--cycles 20]

A stream follows a face at 640x480 for 10 frames, loses it for 3 (a grey frame: the person
stepped away, a hand over the lens) and finds it again, `cycles` times; the table gives median
and worst ms per swap of each kind of frame: a followed face, the frame that loses it, the frames
without a face, the frame it comes back in. The first cycle (the stream's first face: its mesh
is built then) is left out. Pinned to one core, as bench.engine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.engine import pin_to_one_core
from bench.table import pct
from testing.faces import faces, place

KINDS = ("followed", "lost", "no face", "back")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, default=20)
    args = ap.parse_args()
    pin_to_one_core()
    from models.mesh_engine import MeshEngine

    engine = MeshEngine()
    source = engine.prepare_source(faces()["astronaut"])
    head = faces()["t1-centre"]
    # the face comes back in another place each time, as a person does
    places = [place(head, (640, 480), 1.2, 0, (250 + 40 * (k % 4), 230 + 10 * (k % 3))) for k in range(4)]
    empty = np.full_like(places[0], 90)
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    stream = engine.open_stream()
    n = 0
    try:
        for cycle in range(args.cycles + 1):
            frame = places[cycle % len(places)]
            plan = [("back", frame)] + [("followed", frame)] * 9 + [("lost", empty)]
            plan += [("no face", empty)] * 2
            for kind, image in plan:
                t = time.perf_counter()
                stream.swap(image, [source], taken_at=n / 30)
                n += 1
                if cycle > 0:
                    times[kind].append((time.perf_counter() - t) * 1000)
    finally:
        stream.close()
        engine.close()
    print(f"640x480, one face, {args.cycles} cycles (1 core)\n")
    print(f"{'frame':<10} {'frames':>7} {'p50 ms':>8} {'max ms':>8}")
    for kind in KINDS:
        values = times[kind]
        worst = max(values, default=float("nan"))
        print(f"{kind:<10} {len(values):>7} {pct(values, 50):>8.1f} {worst:>8.1f}")


if __name__ == "__main__":
    main()
