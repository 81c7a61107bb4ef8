"""Per-stage figures of the inswapper engine, and our paste-back beside insightface's own.

Run through `python -m bench.engine --engine inswapper [--weights DIR]`. With the real files in
models/weights/ (see `python -m models.fetch`) this measures the real models on whatever provider
onnxruntime gives (CUDA on a GPU machine). Without them it builds the test suite's stand-in models
(same inputs and outputs, trivial compute) and says so: then detect and paste-back are real, the
model stages are not.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np
from insightface.app.common import Face

from bench.table import pct
from models import face_topology as ft
from models.inswapper_engine import InswapperEngine
from models.weights import WEIGHTS_DIR, InswapperFiles


def cell(values: list[float], width: int = 16) -> str:
    return f"{pct(values, 50):>{width - 9}.2f} /{pct(values, 95):>7.2f}"


def run(frames_by_size: dict[str, list[np.ndarray]], source_image: np.ndarray, weights: str | None) -> None:
    files = InswapperFiles.find(weights or WEIGHTS_DIR)
    note = f"real model files from {weights or WEIGHTS_DIR}"
    if files is None:
        from testing.standin_models import weights_dir

        files = InswapperFiles.find(weights_dir(tempfile.mkdtemp(prefix="standins-"), "constant"))
        note = "STAND-IN models (no real weights here): swap and identity times are not the real models'"
    assert files is not None
    engine = InswapperEngine(files)
    print(f"engine=inswapper provider={engine.provider} (asked {engine.providers}); {note}")
    print(f"alignment: {'SCRFD ' + str(640) if engine.scrfd else 'mediapipe landmarks (no det_10g.onnx)'}")
    t = time.perf_counter()
    source = engine.prepare_source(source_image)
    print(f"identity (prepare_source, once per upload): {(time.perf_counter() - t) * 1000:.1f} ms\n")

    src_face = Face(embedding=source.data.embedding)  # unit already: normed_embedding is the same
    head = (f"{'size':<10}{'detect':>16}{'swap':>16}{'paste (ours)':>16}{'paste (insightface)':>22}"
            f"{'total':>16}")
    print(head)
    print(f"{'':<10}" + f"{'p50 / p95 ms':>16}" * 3 + f"{'p50 / p95 ms':>22}" + f"{'p50 / p95 ms':>16}")
    print("-" * len(head))
    for size, frames in frames_by_size.items():
        stream = engine.open_stream()
        stages: dict[str, list[float]] = {"detect": [], "swap": [], "paste": [], "total": [], "theirs": []}
        for i, frame in enumerate(frames):
            r = stream.swap(frame, [source])
            if i < 5 or not r.swapped:
                continue
            for k in ("detect", "swap", "paste", "total"):
                stages[k].append(r.timings_ms.get(k, float("nan")))
            # insightface's paste-back on the same face: get(paste_back=True) minus get(paste_back=False)
            if engine.mp_faces is not None:
                pts = engine.still.mesh(frame, r.assigned[0][0]) if engine.still else None
                if pts is None:
                    continue
                kps = ft.keypoints5(pts)
            else:
                kps = engine.scrfd_faces(frame)[0][1]
            target = Face(kps=kps)
            t0 = time.perf_counter()
            engine.swapper.get(frame, target, src_face, paste_back=False)
            t1 = time.perf_counter()
            engine.swapper.get(frame, target, src_face, paste_back=True)
            t2 = time.perf_counter()
            stages["theirs"].append(max(0.0, (t2 - t1) - (t1 - t0)) * 1000)
        stream.close()
        print(f"{size:<10}{cell(stages['detect'])}{cell(stages['swap'])}{cell(stages['paste'])}"
              f"{cell(stages['theirs'], 22)}{cell(stages['total'])}")
    engine.close()
