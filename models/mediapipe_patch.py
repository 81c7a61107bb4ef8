"""The one place this server reaches into mediapipe 0.10.21: the legacy solutions' `process`, and the
thread their graphs run on.

`SolutionBase.process` makes a new namedtuple class on every call, by `collections.namedtuple`,
which compiles its source with `eval`, and returns that class with the outputs set on it as class
attributes. That took 0.2-0.45 ms of a FaceMesh's 2.5-3.3 ms `process` on one core (ad hoc, 300
calls on a 256 px crop, alternating with and without), and the engine calls it every frame for
every face. Here the module's `collections` is replaced by a stand-in whose `namedtuple` gives a
plain namespace instead: the outputs are read by attribute just the same, and each call's are its
own (the class returned before was rebuilt per call too, so nothing kept one from call to call).

Each graph also runs on the thread that calls `process`. mediapipe's default executor is a pool of
as many threads as the machine has cores (two per graph here): `process` hands the picture to it
and waits until the graph is idle, and each calculator's turn is taken by a pool thread. With the
default executor's type set to "ApplicationThreadExecutor" (mediapipe's own, for running a graph
synchronously on the calling thread) the caller takes each turn itself while it waits: no hand-over
between threads, none between cores. The graph and its answers are the same. In one process, two
engines swapping bench.engine's 640x480 clip in turn, one with its graphs on a pool and one on the
calling thread, the output frames the same to the byte (ad hoc `/tmp/exp/s44/appab2.py`, two runs
each): the frame's median 0.20-0.26 ms less on one core (bench.engine's budget), 0.74-1.04 ms less
with the process free to use both cores, as the server's engine is. Two engines in threads of one
process (the server's default workers; bench.workers' threads row) swapped as many frames a second
either way (81.3 / 69.2 on the pool, 81.1 / 69.9 on the calling thread, two runs).
"""

from __future__ import annotations

import types

from mediapipe.framework import calculator_pb2
from mediapipe.python import solution_base
from mediapipe.python._framework_bindings import calculator_graph

ON_CALLING_THREAD = "ApplicationThreadExecutor"


class _Outputs:
    """What `solution_base` sees as `collections`: `namedtuple` makes the object `process` sets its
    outputs on and returns."""

    @staticmethod
    def namedtuple(typename: str, field_names: object) -> types.SimpleNamespace:
        return types.SimpleNamespace()


def on_calling_thread(graph_config: calculator_pb2.CalculatorGraphConfig) -> calculator_graph.CalculatorGraph:
    """The graph `graph_config` describes, with its default executor (the unnamed one) the thread
    that waits on it."""
    config = calculator_pb2.CalculatorGraphConfig()
    config.CopyFrom(graph_config)
    default = [e for e in config.executor if not e.name]
    executor = default[0] if default else config.executor.add()
    if executor.type:
        raise ValueError(f"the graph names its own default executor, {executor.type!r}")
    # the unnamed executor's options hold a thread pool's size: none is made
    executor.ClearField("options")
    executor.type = ON_CALLING_THREAD
    return calculator_graph.CalculatorGraph(graph_config=config)


class _Graphs:
    """What `solution_base` sees as `calculator_graph`: each solution's graph on its caller's thread."""

    CalculatorGraph = staticmethod(on_calling_thread)


def install() -> None:
    """Process-wide, idempotent: every legacy solution made from now on returns a namespace from
    `process` and runs on the thread that calls it."""
    solution_base.collections = _Outputs  # type: ignore[assignment]
    solution_base.calculator_graph = _Graphs  # type: ignore[assignment]


def installed() -> bool:
    return solution_base.collections is _Outputs and solution_base.calculator_graph is _Graphs
