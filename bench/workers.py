"""Engine throughput with several engines at once: as threads of one process (the server's worker
pool) and as processes of their own.

    python -m bench.workers [--engines 2] [--frames 300] [--size 640x480]

Each engine swaps its own clip (bench.engine's webcam_clip: the face 35% of the frame's height, moving;
t1-centre onto the astronaut and the reverse, in turn), all starting together. The table gives each
engine's median ms a frame, the frames a second of all of them together, and the CPU ms a frame.
Engines in threads share one interpreter: wherever the engine's Python and numpy hold the GIL, they
wait for each other. `ProcessEngine` is the server's `--engine-processes 1`: worker threads each
driving an engine in a process of its own (media/engine_process.py), frames and results crossing a
pipe; its CPU column counts both sides.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing as mp
import statistics
import threading
import time
from dataclasses import dataclass

from bench.table import frame_size

WARM_UP = 10  # frames each engine swaps before the clock starts (first detection, graph start)
PAIRS = (("t1-centre", "astronaut"), ("astronaut", "t1-centre"))  # source, target


@dataclass
class Run:
    """One engine's part of a run: ms per frame, and when it started and ended (perf_counter)."""

    ms: list[float]
    began: float
    ended: float


def prepared(index: int, frames: int, size: tuple[int, int], own_process: bool = False):
    """Engine `index`'s stream, source and clip (after its warm-up); with `own_process`, the
    engine runs in a process of its own behind media/engine_process.py, as the server's
    --engine-processes 1 runs it."""
    from bench.engine import webcam_clip
    from media.engine_process import ProcessEngine
    from models.mesh_engine import MeshEngine
    from testing.faces import faces

    imgs = faces()
    source, target = PAIRS[index % len(PAIRS)]
    engine = ProcessEngine(functools.partial(MeshEngine)) if own_process else MeshEngine()
    src = engine.prepare_source(imgs[source])
    clip = webcam_clip(engine, imgs[target], size, frames + WARM_UP)
    stream = engine.open_stream()
    for i, frame in enumerate(clip[:WARM_UP]):
        stream.swap(frame, [src], i / 30)
    return stream, src, clip[WARM_UP:], engine


def swapped(stream, src, clip) -> Run:
    """Swaps the clip, timing each frame (a 30 fps clock for the landmarks' smoothing)."""
    ms = []
    began = time.perf_counter()
    for i, frame in enumerate(clip):
        t = time.perf_counter()
        stream.swap(frame, [src], (WARM_UP + i) / 30)
        ms.append((time.perf_counter() - t) * 1000)
    return Run(ms, began, time.perf_counter())


def in_threads(engines: int, frames: int, size: tuple[int, int], own_process: bool = False
               ) -> tuple[list[Run], float]:
    """Each engine driven by a thread of this process (in it, or with `own_process` in a process
    of its own); the runs and the CPU seconds they took (this process's and the engines')."""
    from testing.server_process import cpu_seconds

    jobs = [prepared(i, frames, size, own_process) for i in range(engines)]
    children = [engine.pid for *_, engine in jobs if own_process]
    runs: list[Run | None] = [None] * engines
    start = threading.Barrier(engines)

    def work(i: int) -> None:
        start.wait()
        runs[i] = swapped(*jobs[i][:3])

    def cpu() -> float:
        return time.process_time() + sum(cpu_seconds(pid) for pid in children)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(engines)]
    began = cpu()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    used = cpu() - began
    for stream, _, _, engine in jobs:
        stream.close()
        engine.close()
    return [run for run in runs if run is not None], used


def _process(index: int, frames: int, size: tuple[int, int], start, results) -> None:
    job = prepared(index, frames, size)
    start.wait()
    cpu = time.process_time()
    run = swapped(*job[:3])
    # perf_counter is the system's monotonic clock (CLOCK_MONOTONIC on Linux): comparable across processes
    results.put((index, run.ms, run.began, run.ended, time.process_time() - cpu))


def in_processes(engines: int, frames: int, size: tuple[int, int]) -> tuple[list[Run], float]:
    """Each engine in a process of its own (spawned); the runs and the CPU seconds they took."""
    context = mp.get_context("spawn")
    start = context.Barrier(engines)
    results = context.Queue()
    procs = [context.Process(target=_process, args=(i, frames, size, start, results)) for i in range(engines)]
    for proc in procs:
        proc.start()
    got = sorted(results.get() for _ in procs)
    for proc in procs:
        proc.join()
    return [Run(ms, began, ended) for _, ms, began, ended, _ in got], sum(r[-1] for r in got)


def row(mode: str, runs: list[Run], cpu: float) -> str:
    frames = sum(len(run.ms) for run in runs)
    wall = max(run.ended for run in runs) - min(run.began for run in runs)
    medians = " / ".join(f"{statistics.median(run.ms):.1f}" for run in runs)
    return f"{mode:<14}{len(runs):>5}  {medians:>20}{frames / wall:>14.1f}{cpu / frames * 1000:>14.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", type=int, default=2, help="engines at once (the server's --workers)")
    ap.add_argument("--frames", type=int, default=300, help="frames each engine swaps, timed")
    ap.add_argument("--size", default="640x480", help="frame size, WxH")
    args = ap.parse_args()
    if not 1 <= args.engines <= 16 or args.frames < 1:
        ap.error("--engines 1-16, --frames at least 1")
    size = frame_size(args.size, ap)
    print(f"{args.engines} mesh engines at once, {args.frames} frames each at {size[0]}x{size[1]}\n")
    head = (f"{'engines in':<14}{'engines':>5}  {'median ms a frame':>20}"
            f"{'frames/s, all':>14}{'CPU ms/frame':>14}")
    print(head)
    print("-" * len(head))
    for mode, run in (("threads", in_threads), ("processes", in_processes),
                      ("ProcessEngine", functools.partial(in_threads, own_process=True))):
        print(row(mode, *run(args.engines, args.frames, size)), flush=True)


if __name__ == "__main__":
    main()
