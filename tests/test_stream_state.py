"""A stream's state per face over an hour: every face that leaves is forgotten, however many come
and go. The mesh engine keeps a dozen kinds of state per track (its smoothing, its hair's edges and
cut, its beard, its glasses, its shadow's edge, what is in front of it); each is pruned when its
track ends, each by its own code. This holds them all to it at once, and any kind added later; and
the inswapper engine's stream (stand-in models, testing/standin_models.py) to the same."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from models.inswapper_engine import InswapperEngine
from models.mesh_engine import MeshEngine
from models.weights import InswapperFiles
from testing.faces import T1_FACE_BOXES, crop_face, place
from testing.standin_models import weights_dir

pytestmark = pytest.mark.parallel

ROUNDS = 8
SEEN_FOR = 12  # frames a round's face is in view: past its first looks (hair, beard, glasses)
GONE_FOR = 2  # empty frames after it: its track ends in the first


def _held(obj: object, path: str = "stream", depth: int = 0,
          seen: set[int] | None = None) -> Iterator[tuple[str, int]]:
    """(where, how many) for every dict, list, set and tuple the engine's own objects hold,
    reached through their attributes and through what those containers hold; a container's
    elements share one path, so the figures of two moments compare."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 6 or not type(obj).__module__.startswith("models."):
        return
    seen.add(id(obj))
    for name, value in vars(obj).items() if hasattr(obj, "__dict__") else ():
        where = f"{path}.{name}"
        if isinstance(value, (dict, list, set, tuple)):
            yield where, len(value)
            items = value.values() if isinstance(value, dict) else value
            for item in items:
                yield from _held(item, f"{where}[]", depth + 1, seen)
        else:
            yield from _held(value, where, depth + 1, seen)


def _sizes(stream: object) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for where, count in _held(stream):
        sizes[where] = sizes.get(where, 0) + count
    return sizes


@pytest.mark.parametrize("kind", ["mesh", "inswapper"])
def test_a_stream_forgets_every_face_that_leaves_however_many_come_and_go(t1, astronaut_face, tmp_path, kind):
    # the first woman of t1.jpg: long hair over her cheek, so the hair's watch and cut hold her too
    frame = place(crop_face(t1, T1_FACE_BOXES["left"], 0.8), (640, 480), 1.6)
    empty = np.full_like(frame, 120)
    engine = (MeshEngine() if kind == "mesh" else
              InswapperEngine(InswapperFiles.find(weights_dir(str(tmp_path))), color_correction=False))
    try:
        source = engine.prepare_source(astronaut_face)
        stream = engine.open_stream()
        clock = iter(np.arange(10_000) / 30.0)
        after: list[dict[str, int]] = []
        swapped = 0
        for _ in range(ROUNDS):
            for _ in range(SEEN_FOR):
                swapped += stream.swap(frame, [source], next(clock)).faces_swapped
            for _ in range(GONE_FOR):
                assert stream.swap(empty, [source], next(clock)).faces_found == 0
            after.append(_sizes(stream))
        stream.close()
    finally:
        engine.close()
    assert swapped == ROUNDS * SEEN_FOR  # a face came and went in every round
    if kind == "mesh":
        assert any("hair_watch.cuts" in where for where in after[1])  # her hair's state was there to forget
    # after the second round (the first builds what a stream keeps whatever its faces), nothing
    # the stream holds is larger for having seen six more faces come and go
    grown = {where: (after[1].get(where, 0), count) for where, count in after[-1].items()
             if count > after[1].get(where, 0)}
    assert not grown, grown
