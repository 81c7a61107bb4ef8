"""Per-stage engine timings on the real test faces.

    python -m bench.engine [--engine mesh] [--frames 150] [--all-cores] [--occlusion off,hands]
                           [--size 640x480,1280x720,1920x1080] [--face 0.35] [--switches eyes=False,...]

A face moves, turns and scales through synthetic video (so tracking works as in a live stream)
at each `--size` (default 640x480 and 1280x720); the table gives median and p95 ms per stage and
in total. The face is `--face` of the frame's height wide (0.35, a webcam at arm's length; the
engine's work grows with the face's pixels, and `bench.long_run`'s face is 0.47). By default the
process is pinned to one CPU core, the budget a single stream gets on a busy server. Each
`--occlusion` mode is timed on the clip as it is and with a real hand photograph (Debian's
opencv-doc) held in front of the face; `hand runs` is the share of frames the hand models ran on.
`--engine inswapper` prints the provider, detect / swap / paste-back ms and insightface's own
paste-back on the same frames (see bench/inswapper.py).

`--switches eyes=False,glasses=False` also prints what each of the mesh engine's switches (a
MeshEngine keyword and a value for it) costs a frame at the first `--size`: the engine as it is and
the engine with that one switch set, each with a stream of its own, swap the same clips frame by
frame in turn in one process, so a machine that slows down during the run slows both alike (runs
minutes apart differed by more than most switches cost).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time

import cv2

from bench.table import frame_size, pct
from testing.faces import crop_face, faces, video

SIZES = [(640, 480), (1280, 720)]  # the frame sizes timed unless --size says otherwise
FPS = 30  # the clips' frame rate, as their frames are stamped
FACE = 0.35  # the face's width, of the frame's height, unless --face says otherwise


def pin_to_one_core() -> None:
    """This process, and OpenCV's threads, on one CPU core: the budget one stream gets on a busy
    server (where the OS allows pinning)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        cv2.setNumThreads(1)


def machine_reference(photo, calls: int = 200) -> float:
    """Median ms of mediapipe's FaceMesh (the tracking one the engine follows faces with) on a
    256 px crop of `photo`: work none of this project's code takes part in, so its figure moves
    only with the machine (another process, a slower day). It moved by up to a third between runs
    minutes apart (2.85 then 3.75 ms): a machine much slower, or shared with a test run (4.30),
    shows in it, a few percent does not."""
    from models.mediapipe_faces import video_mesh

    crop = cv2.cvtColor(cv2.resize(photo, (256, 256), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    mesh = video_mesh()
    try:
        for _ in range(10):  # the graph's start, and its first finding of the face
            mesh.process(crop)
        times = []
        for _ in range(calls):
            t = time.perf_counter()
            mesh.process(crop)
            times.append((time.perf_counter() - t) * 1000)
    finally:
        mesh.close()
    return statistics.median(times)


def make_engine(name: str, occlusion: str = "off", **switches: object):
    from models.mesh_engine import MeshEngine

    engines = {"mesh": MeshEngine}
    return engines[name](occlusion=occlusion, **switches)


def with_hand(frames: list, hand) -> list:
    """The clip with a still hand raised in front of the lower face (the head moves behind it)."""
    from testing.occluders import put_over

    h, w = frames[0].shape[:2]
    return [put_over(f, hand, 0.5 * h / 480, 90, (0.47 * w, 0.69 * h))[0] for f in frames]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", default="mesh", choices=["mesh", "inswapper"])
    ap.add_argument("--weights", default=None, help="inswapper model folder (default models/weights)")
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    ap.add_argument("--occlusion", default="off", help="comma-separated occlusion modes to time (off,hands)")
    ap.add_argument("--size", default=",".join(f"{w}x{h}" for w, h in SIZES),
                    help="comma-separated frame sizes, WxH (e.g. 640x480,1280x720,1920x1080)")
    ap.add_argument("--face", type=float, default=FACE,
                    help="the face's width as a share of the frame's height (bench.long_run's is 0.47)")
    ap.add_argument("--switches", default=None,
                    help="comma-separated MeshEngine switches, name=value (e.g. eyes=False): what each costs")
    args = ap.parse_args()
    sizes = [frame_size(text, ap) for text in args.size.split(",")]
    switches = [] if args.switches is None else switch_list(args.switches, ap)
    if not args.all_cores:
        pin_to_one_core()

    imgs = faces()
    if args.engine == "inswapper":
        from bench.inswapper import run

        head = imgs["t1-centre"]
        # the crop is about twice the face: the face is 30 % of the frame height, a webcam at arm's length
        clips = {f"{w}x{h}": video(head, (w, h), args.frames, h * 0.6 / head.shape[0]) for w, h in sizes}
        run(clips, imgs["astronaut"], args.weights)
        return
    from testing.occluders import hand_cutout, hand_photos_present

    modes = args.occlusion.split(",")
    hand = hand_cutout() if hand_photos_present() and modes != ["off"] else None
    if hand is None and modes != ["off"]:
        print("no hand photographs (apt-get install opencv-doc): timing clips without a hand only")
    rows = []
    for mode in modes:
        engine = make_engine(args.engine, mode)
        if mode == modes[0]:
            cores = "all cores" if args.all_cores else "1 core"
            print(f"engine={engine.name} provider={engine.provider} frames={args.frames} ({cores})")
            t = time.perf_counter()
            sources = {name: engine.prepare_source(img) for name, img in imgs.items()}
            print(f"prepare_source: {(time.perf_counter() - t) * 1000 / len(sources):.1f} ms per source\n")
        rows += time_clips(engine, imgs, sources, args.frames, mode, hand, sizes, args.face)
        engine.close()

    names = [k for k in rows[0][-1] if k != "total"]
    names = [*names, *sorted({k for *_, st in rows for k in st} - {"total", *names}), "total"]
    head = (f"{'size':<10}{'swap':<24}{'occlusion':<11}{'hand':<6}{'faces/frame':>12}{'hand runs':>10}  "
            + "".join(f"{n:>16}" for n in names) + f"{'mean':>8}")
    print(head)
    print(f"{'':<73}" + "".join(f"{'p50 / p95 ms':>16}" for _ in names) + f"{'ms':>8}")
    print("-" * len(head))
    for size, label, mode, held, swapped, n, runs, stages in rows:
        cells = "".join(
            f"{pct(stages.get(k, [0.0]), 50):>8.2f} /{pct(stages.get(k, [0.0]), 95):>6.2f}" for k in names
        )
        mean = statistics.fmean(stages["total"])
        print(f"{size:<10}{label:<24}{mode:<11}{held:<6}{swapped / n:>12.2f}{runs / n:>10.2f}  "
              f"{cells}{mean:>8.2f}")
    med = statistics.median(rows[0][-1]["total"])
    budget = ""
    if args.face != FACE:  # the budget is set for the webcam at arm's length
        budget = f" (the face {args.face:g} of the frame's height wide; the budget is set at {FACE:g})"
    elif rows[0][0] == "640x480":
        budget = " (target <= 15 ms)"
    print(f"\n{rows[0][0]} one face, total median {med:.2f} ms{budget}")
    reference = machine_reference(imgs["astronaut"])
    print(f"machine reference: FaceMesh alone on a 256 px crop, median {reference:.2f} ms "
          "(the machine's speed: compare totals from runs on other days only where this is alike)")
    if switches:
        print_switch_costs(imgs, switches, args.frames, sizes[0])
    sys.stdout.flush()


def webcam_clip(engine, photo, size: tuple[int, int], n: int, face: float = FACE) -> list:
    """`n` frames of the photo's face, found by `engine`, moving gently in a frame of `size`: the
    face `face` of the frame's height wide (35 %: a webcam shot at arm's length), moving about its
    centre so it stays in view."""
    box = engine.detect(photo)[0].box
    head = crop_face(photo, tuple(int(v) for v in box), pad=0.8)
    return video(head, size, n, size[1] * face / (box[2] - box[0]))


def switch_list(text: str, ap: argparse.ArgumentParser) -> list[tuple[str, object]]:
    """`--switches`' name=value pairs, each value read as a Python literal (False, 2, 0.5), or kept
    as text ("fixed"); a name MeshEngine does not take is an error."""
    import ast
    import inspect

    from models.mesh_engine import MeshEngine

    known = set(inspect.signature(MeshEngine).parameters) - {"occlusion"}  # --occlusion's
    out: list[tuple[str, object]] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, eq, value = item.partition("=")
        if not eq or name not in known:
            ap.error(f"--switches: {item!r} is not a MeshEngine switch as name=value "
                     f"(names: {', '.join(sorted(known))})")
        try:
            parsed: object = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            parsed = value
        out.append((name, parsed))
    return out


def print_switch_costs(imgs: dict, switches: list[tuple[str, object]], n: int, size: tuple[int, int]) -> None:
    """`--switches`' table: per switch and clip, the frame's median with the engine as it is and
    with the switch set, and the median and the mean the switch saves. Each engine takes its own
    upload of the source: a switch may change what an upload makes (`edges`, `hair`)."""
    base = make_engine("mesh")
    clips = {target: webcam_clip(base, imgs[target], size, n) for target in ("astronaut", "t1-centre")}
    base_sources = {source: base.prepare_source(imgs[source]) for source in ("t1-centre", "astronaut")}
    print(f"\nwhat each switch saves a frame at {size[0]}x{size[1]}, ms (the engine as it is and switched, "
          "frame by frame in turn, one process)")
    print(f"{'switch':<24}{'swap':<24}{'as is p50':>10}{'switched p50':>14}{'saved p50':>11}"
          f"{'saved mean':>12}")
    for name, value in switches:
        switched = make_engine("mesh", **{name: value})
        for target, source in (("astronaut", "t1-centre"), ("t1-centre", "astronaut")):
            engines = {"as is": (base, base_sources[source]),
                       "switched": (switched, switched.prepare_source(imgs[source]))}
            times = in_turn(engines, clips[target])
            a, b = times["as is"], times["switched"]
            print(f"{f'{name}={value}':<24}{f'{source}->{target}':<24}{statistics.median(a):>10.2f}"
                  f"{statistics.median(b):>14.2f}{statistics.median(a) - statistics.median(b):>11.2f}"
                  f"{statistics.fmean(a) - statistics.fmean(b):>12.2f}")
        switched.close()
    base.close()


def in_turn(engines: dict, frames: list) -> dict[str, list[float]]:
    """Each engine's total ms a frame over `frames` (name -> (engine, its source); each its own
    stream), the engines taking each frame in turn, which goes first alternating, after ten frames
    of warm-up."""
    streams = {k: (engine.open_stream(), src) for k, (engine, src) in engines.items()}
    clocks = {k: (i / FPS for i in itertools.count()) for k in streams}
    times: dict[str, list[float]] = {k: [] for k in streams}
    order = list(streams)
    for i, f in enumerate(frames[:10] + frames):
        for k in order if i % 2 else order[::-1]:
            stream, src = streams[k]
            result = stream.swap(f, [src], next(clocks[k]))
            if i >= 10:
                times[k].append(result.timings_ms["total"])
    for stream, _ in streams.values():
        stream.close()
    return times


def time_clips(engine, imgs: dict, sources: dict, n: int, mode: str, hand,
               sizes: list[tuple[int, int]] = SIZES, face: float = FACE) -> list[tuple]:
    rows = []
    for size in sizes:
        for target, source in (("astronaut", "t1-centre"), ("t1-centre", "astronaut")):
            clip = webcam_clip(engine, imgs[target], size, n, face)
            for held in ("no", "yes") if hand is not None else ("no",):
                frames = with_hand(clip, hand) if held == "yes" else clip
                stream = engine.open_stream()
                # each frame stamped as a camera's at FPS: the landmarks are smoothed by the
                # frames' times, and by the wall clock the outputs differed from run to run
                clock = (i / FPS for i in itertools.count())
                for f in frames[:10]:  # warm-up: first detection, graph start
                    stream.swap(f, [sources[source]], next(clock))
                runs = stream.occluder.runs
                stages: dict[str, list[float]] = {}
                swapped = 0
                for f in frames:
                    r = stream.swap(f, [sources[source]], next(clock))
                    swapped += r.faces_swapped
                    for k, v in r.timings_ms.items():
                        stages.setdefault(k, []).append(v)
                runs = stream.occluder.runs - runs
                stream.close()
                rows.append((f"{size[0]}x{size[1]}", f"{source}->{target}", mode, held, swapped, len(frames),
                             runs, stages))
    return rows


if __name__ == "__main__":
    main()
