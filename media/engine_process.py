"""An engine in a process of its own, behind the Engine interface (models/engine.py).

Engines in threads of one process share its GIL: the mesh engine's Python and numpy hold it for
most of a frame, so two of them swapped 68-71 frames a second in all where one swapped 53-55, and
92-104 as two processes (`python -m bench.workers`). A worker thread that drives a ProcessEngine
waits on a pipe instead, with the GIL released, while the engine works in its own interpreter.

What crosses the pipe: each frame (pickled, one copy) and, back, only the boxes the swap wrote
(SwapResult.regions: the image equals the frame everywhere else). A source face crosses once per
engine process: the parent names each source it sends and the child keeps the last MAX_SOURCES
it was sent, dropping them in the order the parent does. A process that dies, or does not answer,
is started again on the next request (at most RESTARTS times in RESTART_WINDOW seconds).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import pickle
import signal
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from media.heap import give_back, tame
from models.engine import DetectedFace, Engine, SourceFace, SwapResult

log = logging.getLogger(__name__)

MAX_SOURCES = 32  # source faces an engine process keeps (a session's, across its reconnects)
START_TIMEOUT = 120.0  # s for the process to load its engine (model files, warm-up)
STOP_TIMEOUT = 5.0  # s for it to close its engine before it is killed
# s a request may take: a frame takes tens of ms, an upload's photo (25 MP at most) a few seconds
REQUEST_TIMEOUT = 60.0
RESTARTS, RESTART_WINDOW = 3, 60.0  # an engine process is started again at most 3 times a minute


class EngineProcessError(RuntimeError):
    """The engine's process is gone (it crashed, or was killed) or did not start."""


def _serve(load: Callable[[], Engine], conn: Connection, log_level: int) -> None:
    """The child: loads the engine, then answers requests until told to stop or the pipe closes."""
    # Ctrl-C reaches the whole process group: the server shuts down and stops this process itself
    # (or, gone, closes the pipe), where an interrupt here printed a traceback mid-request
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the server's malloc settings, before the engine starts its threads: without them an engine
    # process grew from 321 MB to 1086 MB over 300 WebRTC connection cycles (bench.soak's)
    tame()
    logging.basicConfig(level=log_level,
                        format="%(asctime)s %(levelname)s %(name)s [engine process %(process)d]: %(message)s")
    try:
        engine = load()
    except BaseException as exc:  # the parent hears why instead of waiting out START_TIMEOUT
        conn.send(("error", _picklable(exc)))
        return
    # shape_fit: the mesh engine's alone (None for another)
    conn.send(("ready", (engine.name, engine.provider, list(engine.model_files), engine.occlusion,
                         getattr(engine, "shape_fit", None))))
    sources: dict[int, SourceFace] = {}
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


def _run(engine: Engine, sources: dict[int, SourceFace], streams: dict[int, Any], op: str,
         args: tuple) -> Any:
    if op == "swap":
        stream_id, frame, keys, sent, dropped, taken_at = args
        for key in dropped:
            sources.pop(key, None)
        sources.update(sent)
        if stream_id not in streams:  # a stream of the process before this one: opened afresh
            streams[stream_id] = engine.open_stream()
        started = time.thread_time()
        result = streams[stream_id].swap(frame, [sources[k] for k in keys], taken_at)
        cpu_ms = 1000 * (time.thread_time() - started)
        patches = [np.ascontiguousarray(result.image[y0:y1, x0:x1]) for x0, y0, x1, y1 in result.regions]
        return replace(result, image=None, cpu_ms=cpu_ms), patches
    if op == "open":
        streams[args[0]] = engine.open_stream()
        return None
    if op == "close_stream":
        stream = streams.pop(args[0], None)
        if stream is not None:
            stream.close()
            give_back()
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


class Restarts:
    """Whether an engine process that died may be started again: at most `limit` times within
    `window` seconds (an engine that dies on every frame is left dead, and its worker retired)."""

    def __init__(self, limit: int = RESTARTS, window: float = RESTART_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._at: list[float] = []

    def allow(self, now: float) -> bool:
        """Whether a restart at `now` (seconds) is allowed; counted when it is."""
        self._at = [t for t in self._at if now - t < self.window]
        if len(self._at) >= self.limit:
            return False
        self._at.append(now)
        return True


class ProcessEngine:
    """An engine built by `load` (picklable: a module-level function or a functools.partial of
    one) in a process of its own; the same interface, used from one thread at a time. A request
    not answered within `timeout` seconds kills the process; a process that died is started again
    on the next request (Restarts permitting), its streams opened afresh there."""

    def __init__(self, load: Callable[[], Engine], timeout: float = REQUEST_TIMEOUT,
                 restarts: Restarts | None = None) -> None:
        self._load = load
        self.timeout = timeout
        self._restarts = restarts or Restarts()
        self._lock = threading.Lock()
        self._next_stream = 0
        self.name, self.provider, self.model_files, self.occlusion, self.shape_fit = self._start()

    def _start(self) -> tuple[str, str, list[str], str, str | None]:
        """A new process, its engine loaded; what it says of the engine (name, provider, model
        files, occlusion, the mesh engine's shape fit)."""
        context = mp.get_context("spawn")  # not fork: the parent's threads and graphs stay behind
        self._conn, child = context.Pipe()
        level = logging.getLogger().getEffectiveLevel()  # the server's --log-level, there too
        self._process = context.Process(target=_serve, args=(self._load, child, level), name="engine",
                                        daemon=True)
        self._process.start()
        child.close()
        self._names = SourceNames()
        self._broken = True  # until it says it is ready
        if not self._conn.poll(START_TIMEOUT):
            self._kill(f"did not start within {START_TIMEOUT:.0f} s")
            raise EngineProcessError(f"the engine process did not start within {START_TIMEOUT:.0f} s")
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError):
            raise EngineProcessError(f"the engine process exited as it started (code {self._exit_code()})"
                                     ) from None
        if status == "error":
            self._kill("could not load its engine")
            raise value
        self._broken = False
        return value

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def _exit_code(self) -> int | None:
        self._process.join(0.5)
        return self._process.exitcode

    def _ready(self) -> None:
        """The process is up: started again if it died (raises EngineProcessError if it may not be)."""
        if not self._broken:
            return
        if not self._restarts.allow(time.monotonic()):
            raise EngineProcessError(f"the engine process died {self._restarts.limit} times within "
                                     f"{self._restarts.window:.0f} s: not started again")
        old = self._process.pid
        self._conn.close()
        self._start()
        log.warning("engine process %s was gone: started again as %s", old, self._process.pid)

    def _exchange(self, op: str, args: tuple) -> Any:
        """Sends one request and waits for its answer (the lock held)."""
        try:
            self._conn.send((op, args))
            answered = self._conn.poll(self.timeout)
            if answered:
                status, value = self._conn.recv()
        except (EOFError, OSError, ValueError):  # a broken pipe, or one closed by close()
            self._broken = True
            raise EngineProcessError(f"the engine process exited (code {self._exit_code()})") from None
        if not answered:
            # its answer, if it ever came, would be taken for the next request's
            self._broken = True
            why = f"did not answer {op!r} within {self.timeout:g} s"
            self._kill(why)
            raise EngineProcessError(f"the engine process {why}: killed")
        if status == "error":
            raise value
        return value

    def _request(self, op: str, *args: Any) -> Any:
        with self._lock:
            self._ready()
            return self._exchange(op, args)

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
            self._ready()
            keys, sent, dropped = self._names.name(sources)
            result, patches = self._exchange("swap", (stream_id, frame, keys, sent, dropped, taken_at))
        if not patches:
            return replace(result, image=frame)
        image = frame.copy()
        for (x0, y0, x1, y1), patch in zip(result.regions, patches, strict=True):
            image[y0:y1, x0:x1] = patch
        return replace(result, image=image)

    def _close_stream(self, stream_id: int) -> None:
        with self._lock:
            if self._broken:
                return  # its state went with the process
            try:
                self._exchange("close_stream", (stream_id,))
            except EngineProcessError:
                pass

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

    def _kill(self, why: str = "did not stop") -> None:
        if self._process.is_alive():
            log.warning("engine process %s %s: killed", self._process.pid, why)
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
