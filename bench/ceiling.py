"""What a swap that keeps the target's eyes could reach, by the same judge as bench.quality.

    make bench-deps
    python -m bench.ceiling [--faces held-out]

An oracle, not an engine: each source's own photograph (the plain form of bench.quality) is
aligned to the target's frame by dlib's 68 landmarks (a similarity: the source keeps its
proportions), its colour matched (LAB mean and spread inside the face) and pasted inside the
target's outline (the jaw and the brows' top, feathered). That is every pixel of the source's
inner face, its expression included, with nothing warped or relit: more than a live swap may
take. Then the same with the target's own eyes put back (the inside of each eye's six landmarks:
a live swap keeps its user's blinks and gaze), with its eyes and lips, and that with the paste
reaching FOREHEAD above the brows (the source's forehead, and its hairline or fringe where it comes
that low, which bench.quality's engine does not paste over a target's own). Each row is judged
as bench.quality judges (dlib's descriptor, the gallery of every identity) beside the engine's
output on the same frame. Distances are averaged over the pairs where dlib finds a face in every
row's output, so the rows compare like with like; retrieval counts a face not found as a miss.
A contact sheet of the first source's rows is saved to test-artifacts/ceiling.png.
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from bench import quality as q
from bench.realism import EYES, JAW, LIPS, outline
from models import color

FEATHER = 0.03  # of the face's width: the paste's blur at the outline


def paste(source: np.ndarray, source_marks: np.ndarray, frame: np.ndarray, marks: np.ndarray,
          keep: tuple[range, ...] = (), up: float = 0.0) -> np.ndarray:
    """`source`'s face aligned onto `frame`'s by their landmarks and pasted inside the frame's
    outline (its top raised by `up` of the landmarks' height: the forehead), colour matched; the
    frame's own pixels kept inside the landmark hulls `keep`."""
    h, w = frame.shape[:2]
    fit, _ = cv2.estimateAffinePartial2D(source_marks, marks)
    moved = cv2.warpAffine(source, fit, (w, h), borderMode=cv2.BORDER_REPLICATE)
    width = float(np.ptp(marks[list(JAW), 0]))
    edge = outline(marks).copy()
    edge[len(JAW):, 1] -= up * float(np.ptp(marks[:, 1]))  # the brows' top, raised
    inside = np.zeros((h, w), np.float32)
    cv2.fillPoly(inside, [np.round(edge).astype(np.int32)], 1.0)
    moved = color.match_colour(moved, frame, (inside > 0).astype(np.uint8) * 255)
    alpha = cv2.GaussianBlur(inside, (0, 0), FEATHER * width)
    if keep:
        own = np.zeros((h, w), np.uint8)
        for part in keep:
            cv2.fillConvexPoly(own, cv2.convexHull(np.round(marks[list(part)]).astype(np.int32)), 255)
        own = cv2.GaussianBlur(cv2.dilate(own, np.ones((3, 3), np.uint8)), (0, 0), 1.5)
        alpha *= 1.0 - own.astype(np.float32) / 255.0
    a = alpha[..., None]
    return (moved * a + frame * (1.0 - a) + 0.5).astype(np.uint8)


FOREHEAD = 0.15  # of the landmarks' height (brows to chin): the last row's paste above the brows
ROWS = {  # row -> the target's parts kept, and the forehead taken (None: the engine's output)
    "the engine (MeshEngine())": None,
    "the source's face pasted": ((), 0.0),
    "pasted, the target's eyes kept": (EYES, 0.0),
    "pasted, the target's eyes and lips kept": ((*EYES, LIPS), 0.0),
    "... and the source's forehead (hairline)": ((*EYES, LIPS), FOREHEAD),
}


BEHIND = 8  # pairs listed where the engine is furthest from the source against the pastes


def behind(engine: list[float], pasted: list[float], n: int = BEHIND) -> list[int]:
    """Indices of the `n` pairs whose engine output is furthest beyond the paste's distance from
    the source, furthest first."""
    return sorted(range(len(engine)), key=lambda i: pasted[i] - engine[i])[:n]


def print_behind(judged: dict[str, list[float | None]], pairs: list[str], common: list[int]) -> None:
    """The pairs where the engine loses most against the paste that keeps what a live swap keeps
    (the target's eyes and lips), with the paste that keeps only the eyes beside it."""
    rows = list(ROWS)
    engine, eyes, lips = ([judged[rows[k]][i] for i in common] for k in (0, 2, 3))
    print("\nfurthest behind the paste that keeps the target's eyes and lips"
          " (distance: the engine, that paste, the paste keeping its eyes alone):")
    for i in behind(engine, lips):
        print(f"  {pairs[common[i]]:<30}{engine[i]:>7.3f}{lips[i]:>7.3f}{eyes[i]:>7.3f}"
              f"  gap {engine[i] - lips[i]:+.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", choices=("wheels", "held-out"), default="wheels")
    args = ap.parse_args()
    from models.mesh_engine import MeshEngine

    judge = q.Judge()
    ids = q.identities(judge)
    sources = list(ids)
    if args.faces == "held-out":
        extra = q.held_out(judge)
        if not extra:
            raise SystemExit(f"--faces held-out needs Debian's opencv-doc ({q.OPENCV_DOC})")
        ids |= extra
        sources = list(extra)
    names = list(ids)
    gallery = {n: judge.descriptor(q.frontal(*ids[n], 0.8)) for n in names}
    engine = MeshEngine()
    judged: dict[str, list[float | None]] = {row: [] for row in ROWS}
    retrieved = dict.fromkeys(ROWS, 0)
    skipped, sheet, pair_names = 0, [], []
    for src in sources:
        photo = q.frontal(*ids[src], 0.8)
        source_marks = judge.landmarks(photo)
        for k in range(1, q.TARGETS_PER_SOURCE + 1):
            tgt = names[(names.index(src) + k) % len(names)]
            clip = q.target_clip(*ids[tgt], q.CLIP)
            marks = judge.landmarks(clip[-1])
            if source_marks is None or marks is None:
                skipped += 1  # nothing to align: the pair is left out of every row
                continue
            outs, _ = q.swap_clips_engine(engine, q.source_form(*ids[src], "plain"), clip)
            pair_names.append(f"{src} -> {tgt}")
            images = [outs[-1] if how is None else paste(photo, source_marks, clip[-1], marks, *how)
                      for how in ROWS.values()]
            if src == sources[0]:
                sheet.append(np.hstack([clip[-1], *images]))
            for row, image in zip(ROWS, images, strict=True):
                d = judge.descriptor(image)
                if d is None:
                    judged[row].append(None)
                    continue
                dist = {n: float(np.linalg.norm(d - g)) for n, g in gallery.items()}
                judged[row].append(dist[src])
                retrieved[row] += min(dist, key=dist.get) == src
    engine.close()

    pairs = len(judged[next(iter(ROWS))])
    common = [i for i in range(pairs) if all(judged[row][i] is not None for row in ROWS)]
    print(f"{len(sources)} sources as photographed onto {q.TARGETS_PER_SOURCE} targets each: {pairs} pairs"
          f" ({skipped} without dlib's landmarks left out); dlib finds a face in every row's output for"
          f" {len(common)}")
    print(f"\n{'row':<44}{'retrieval':>11}{'found':>8}{'distance':>10}")
    for row in ROWS:
        found = sum(d is not None for d in judged[row])
        mean = np.mean([judged[row][i] for i in common]) if common else float("nan")
        print(f"{row:<44}{retrieved[row] / max(pairs, 1):>11.0%}{found:>8}{mean:>10.3f}")
    print_behind(judged, pair_names, common)
    if sheet:
        q.save_sheet(sheet, "ceiling.png", f"{sources[0]}: target, " + ", ".join(ROWS))


if __name__ == "__main__":
    main()
