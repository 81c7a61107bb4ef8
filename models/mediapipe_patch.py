"""The one place this server reaches into mediapipe 0.10.21: the legacy solutions' `process`.

`SolutionBase.process` makes a new namedtuple class on every call, by `collections.namedtuple`,
which compiles its source with `eval`, and returns that class with the outputs set on it as class
attributes. That took 0.2-0.45 ms of a FaceMesh's 2.5-3.3 ms `process` on one core (ad hoc, 300
calls on a 256 px crop, alternating with and without), and the engine calls it every frame for
every face. Here the module's `collections` is replaced by a stand-in whose `namedtuple` gives a
plain namespace instead: the outputs are read by attribute just the same, and each call's are its
own (the class returned before was rebuilt per call too, so nothing kept one from call to call).
"""

from __future__ import annotations

import types

from mediapipe.python import solution_base


class _Outputs:
    """What `solution_base` sees as `collections`: `namedtuple` makes the object `process` sets its
    outputs on and returns."""

    @staticmethod
    def namedtuple(typename: str, field_names: object) -> types.SimpleNamespace:
        return types.SimpleNamespace()


def install() -> None:
    """Process-wide, idempotent: every legacy solution's `process` returns a namespace."""
    solution_base.collections = _Outputs  # type: ignore[assignment]


def installed() -> bool:
    return solution_base.collections is _Outputs
