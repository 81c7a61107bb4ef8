"""Engine selection by name: `auto` picks the best engine whose model files are present."""

from __future__ import annotations

import logging

from models.engine import Engine

log = logging.getLogger(__name__)

ENGINES = ("auto", "mesh", "inswapper")


class EngineUnavailable(RuntimeError):
    """The requested engine cannot run here; the message says what is missing."""


def resolve(name: str) -> str:
    """The concrete engine `name` stands for."""
    if name not in ENGINES:
        raise EngineUnavailable(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    if name == "auto":
        # inswapper is not part of this build yet, so auto always means the embedded engine.
        return "mesh"
    return name


def load_engine(name: str, max_faces: int = 4) -> Engine:
    """Load (and warm up) an engine. Slow: call it off the event loop."""
    concrete = resolve(name)
    if concrete == "inswapper":
        raise EngineUnavailable(
            "the inswapper engine is not available in this build yet; run with --engine mesh "
            "(or auto), the embedded CPU engine"
        )
    from models.mesh_engine import MeshEngine

    return MeshEngine(max_faces=max_faces)
