"""Engine selection by name: `auto` picks the best engine whose model files are present.

Each engine's heavy dependencies (mediapipe, onnxruntime, insightface) are imported only when that
engine is loaded, so `server.py --help` and tools that only look at files start fast.
"""

from __future__ import annotations

import logging

from models.engine import Engine
from models.weights import WEIGHTS_DIR, InswapperFiles

log = logging.getLogger(__name__)

ENGINES = ("auto", "mesh", "inswapper")


class EngineUnavailable(RuntimeError):
    """The requested engine cannot run here; the message says what is missing."""


def resolve(name: str, weights_dir: str = WEIGHTS_DIR) -> str:
    """The concrete engine `name` stands for: `auto` is inswapper when its files are there, else mesh."""
    if name not in ENGINES:
        raise EngineUnavailable(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    if name == "auto":
        return "inswapper" if InswapperFiles.find(weights_dir) else "mesh"
    return name


def load_engine(name: str, max_faces: int = 4, weights_dir: str = WEIGHTS_DIR, force_cpu: bool = False,
                keep_mouth: bool = False, occlusion: str = "off", shape_depth: bool = False) -> Engine:
    """Load (and warm up) an engine. Slow: call it off the event loop. `shape_depth`: the mesh
    engine's shape fit takes in the source's depth (MeshEngine.shape_depth)."""
    concrete = resolve(name, weights_dir)
    if concrete == "inswapper":
        files = InswapperFiles.find(weights_dir)
        if files is None:
            raise EngineUnavailable(
                f"the inswapper engine needs {weights_dir}/inswapper_128.onnx (or inswapper_128_fp16.onnx)"
                f" and {weights_dir}/buffalo_l/w600k_r50.onnx: run `python -m models.fetch`,"
                " or use --engine mesh"
            )
        from models.inswapper_engine import InswapperEngine, ModelFileError

        try:
            return InswapperEngine(files, force_cpu=force_cpu, max_faces=max_faces, keep_mouth=keep_mouth,
                                  occlusion=occlusion)
        except ModelFileError as exc:
            raise EngineUnavailable(str(exc)) from None
    from models.mesh_engine import MeshEngine

    return MeshEngine(max_faces=max_faces, occlusion=occlusion, shape_depth=shape_depth)
