"""An engine in a process of its own, behind the Engine interface (models/engine.py).

Engines in threads of one process share its GIL: the mesh engine's Python and numpy hold it for
most of a frame, so two of them swapped 68-71 frames a second in all where one swapped 53-55, and
92-104 as two processes (`python -m bench.workers`). A worker thread that drives a ProcessEngine
waits on a pipe instead, with the GIL released, while the engine works in its own interpreter.

What crosses the pipe: each frame (pickled, one copy) and, back, only the boxes the swap wrote
(SwapResult.regions: the image equals the frame everywhere else). A source face crosses once per
engine process: the parent names each source it sends and the child keeps the last MAX_SOURCES
it was sent, dropping them in the order the parent does.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from models.engine import DetectedFace, Engine, SourceFace, SwapResult

log = logging.getLogger(__name__)

MAX_SOURCES = 32  # source faces an engine process keeps (a session's, across its reconnects)
START_TIMEOUT = 120.0  # s for the process to load its engine (model files, warm-up)
STOP_TIMEOUT = 5.0  # s for it to close its engine before it is killed


class EngineProcessError(RuntimeError):
    """The engine's process is gone (it crashed, or was killed) or did not start."""


def _serve(load: Callable[[], Engine], conn: Connection, log_level: int) -> None:
    """The child: loads the engine, then answers requests until told to stop or the pipe closes."""
    # Ctrl-C reaches the whole process group: the server shuts down and stops this process itself
    # (or, gone, closes the pipe), where an interrupt here printed a traceback mid-request
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=log_level,
                        format="%(asctime)s %(levelname)s %(name)s [engine process %(process)d]: %(message)s")
    try:
        engine = load()
    except BaseException as exc:  # the parent hears why instead of waiting out START_TIMEOUT
        conn.send(("error", _picklable(exc)))
        return
    conn.send(("ready", (engine.name, engine.provider, list(engine.model_files), engine.occlusion)))
    sources: OrderedDict[int, SourceFace] = OrderedDict()
    streams: dict[int, Any] = {}
    try:
        while True:
            try:
                op, args = conn.recv()
            except EOFError:
                return
            if op == "stop":
                return
            try:
                conn.send(("ok", _run(engine, sources, streams, op, args)))
            except Exception as exc:
                conn.send(("error", _picklable(exc)))
    finally:
        for stream in streams.values():
            stream.close()
        engine.close()


def _run(engine: Engine, sources: OrderedDict[int, SourceFace], streams: dict[int, Any], op: str,
         args: tuple) -> Any:
    if op == "swap":
        stream_id, frame, keys, sent, dropped, taken_at = args
        for key in dropped:
            sources.pop(key, None)
        sources.update(sent)
        result = streams[stream_id].swap(frame, [sources[k] for k in keys], taken_at)
        patches = [np.ascontiguousarray(result.image[y0:y1, x0:x1]) for x0, y0, x1, y1 in result.regions]
        return replace(result, image=None), patches
    if op == "open":
        streams[args[0]] = engine.open_stream()
        return None
    if op == "close_stream":
        stream = streams.pop(args[0], None)
        if stream is not None:
            stream.close()
        return None
    if op == "detect":
        return engine.detect(*args)
    if op == "prepare":
        return engine.prepare_source(*args)
    if op == "combine":
        return engine.combine_sources(*args)
    raise ValueError(f"unknown request {op!r}")


def _picklable(exc: BaseException) -> BaseException:
    """`exc` as it can cross the pipe: as it is where it pickles, else a RuntimeError with its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}\n{''.join(traceback.format_exception(exc))}")


class SourceNames:
    """The names a parent gives the source faces it sends one engine process, and which of them
    the child holds: the last `keep` used, the least recently used dropped first."""

    def __init__(self, keep: int = MAX_SOURCES) -> None:
        self.keep = keep
        # id(source) -> (its name, the source: held so that its id is not reused while named)
        self._held: OrderedDict[int, tuple[int, SourceFace]] = OrderedDict()
        self._next = 0

    def name(self, sources: list[SourceFace]) -> tuple[list[int], dict[int, SourceFace], list[int]]:
        """Each source's name, the sources the child has not been sent yet (by name), and the
        names it drops to keep `keep`."""
        keys, sent, dropped = [], {}, []
        for source in sources:
            held = self._held.get(id(source))
            if held is not None and held[1] is source:
                self._held.move_to_end(id(source))
                keys.append(held[0])
                continue
            key, self._next = self._next, self._next + 1
            self._held[id(source)] = (key, source)
            sent[key] = source
            keys.append(key)
        # this frame's sources were moved to the end: the oldest are others (unless one frame
        # brings more than are kept)
        while len(self._held) > self.keep and next(iter(self._held.values()))[0] not in keys:
            dropped.append(self._held.popitem(last=False)[1][0])
        return keys, sent, dropped


class ProcessEngine:
    """An engine built by `load` (picklable: a module-level function or a functools.partial of
    one) in a process of its own; the same interface, used from one thread at a time."""

    def __init__(self, load: Callable[[], Engine]) -> None:
        context = mp.get_context("spawn")  # not fork: the parent's threads and graphs stay behind
        self._conn, child = context.Pipe()
        level = logging.getLogger().getEffectiveLevel()  # the server's --log-level, there too
        self._process = context.Process(target=_serve, args=(load, child, level), name="engine", daemon=True)
        self._process.start()
        child.close()
        self._lock = threading.Lock()
        self._next_stream = 0
        self._names = SourceNames()
        if not self._conn.poll(START_TIMEOUT):
            self._kill()
            raise EngineProcessError(f"the engine process did not start within {START_TIMEOUT:.0f} s")
        status, value = self._receive()
        if status == "error":
            self._kill()
            raise value
        self.name, self.provider, self.model_files, self.occlusion = value

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def _receive(self) -> tuple[str, Any]:
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            raise EngineProcessError(f"the engine process exited (code {self._exit_code()})") from None

    def _exit_code(self) -> int | None:
        self._process.join(0.5)
        return self._process.exitcode

    def _request(self, op: str, *args: Any) -> Any:
        with self._lock:
            try:
                self._conn.send((op, args))
            except (OSError, ValueError):  # a broken pipe, or one closed by close()
                raise EngineProcessError(f"the engine process exited (code {self._exit_code()})") from None
            status, value = self._receive()
        if status == "error":
            raise value
        return value

    def detect(self, image: np.ndarray, max_faces: int = 10) -> list[DetectedFace]:
        return self._request("detect", image, max_faces)

    def prepare_source(self, image: np.ndarray, near: tuple[float, float] | None = None) -> SourceFace:
        return self._request("prepare", image, near)

    def combine_sources(self, faces: list[SourceFace]) -> SourceFace:
        return self._request("combine", faces)

    def open_stream(self) -> ProcessStream:
        stream_id = self._next_stream
        self._next_stream += 1
        self._request("open", stream_id)
        return ProcessStream(self, stream_id)

    def _swap(self, stream_id: int, frame: np.ndarray, sources: list[SourceFace],
              taken_at: float | None) -> SwapResult:
        with self._lock:
            keys, sent, dropped = self._names.name(sources)
        result, patches = self._request("swap", stream_id, frame, keys, sent, dropped, taken_at)
        if not patches:
            return replace(result, image=frame)
        image = frame.copy()
        for (x0, y0, x1, y1), patch in zip(result.regions, patches, strict=True):
            image[y0:y1, x0:x1] = patch
        return replace(result, image=image)

    def _close_stream(self, stream_id: int) -> None:
        try:
            self._request("close_stream", stream_id)
        except EngineProcessError:
            pass  # nothing left to close

    def close(self) -> None:
        with self._lock:
            if self._process.is_alive():
                try:
                    self._conn.send(("stop", ()))
                except (OSError, ValueError):
                    pass
                self._process.join(STOP_TIMEOUT)
            self._kill()
            self._conn.close()

    def _kill(self) -> None:
        if self._process.is_alive():
            log.warning("engine process %s did not stop: killed", self._process.pid)
            self._process.kill()
            self._process.join(STOP_TIMEOUT)


class ProcessStream:
    """A stream of a ProcessEngine: its state (the trackers, the smoothing) lives in the child."""

    def __init__(self, engine: ProcessEngine, stream_id: int) -> None:
        self._engine = engine
        self._id = stream_id

    def swap(self, frame: np.ndarray, sources: list[SourceFace], taken_at: float | None = None) -> SwapResult:
        return self._engine._swap(self._id, frame, sources, taken_at)

    def close(self) -> None:
        self._engine._close_stream(self._id)
