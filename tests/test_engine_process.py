"""media/engine_process.py: the mesh engine in a process of its own swaps as it does in this one,
says what went wrong there, and does not hang on a process that died."""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import time

import numpy as np
import pytest

from media.engine_process import EngineProcessError, ProcessEngine, Restarts, SourceNames
from models.engine import NoFaceError, SourceFace
from models.mesh_engine import MeshEngine
from testing.faces import ASTRONAUT_BOX, T1_FACE_BOXES, astronaut, camera_frame, crop_face, place, t1, video
from testing.fakes import FAKE_SOURCE, FakeEngine


def source(name: str) -> SourceFace:
    return SourceFace(engine="mesh", box=(0, 0, 1, 1), data=name)


def test_a_source_is_sent_once_and_the_least_recently_used_dropped_beyond_what_is_kept():
    names = SourceNames(keep=2)
    a, b, c = source("a"), source("b"), source("c")
    keys, sent, dropped = names.name([a])
    assert (keys, list(sent.values()), dropped) == ([0], [a], [])
    assert names.name([a]) == ([0], {}, [])  # held: named, not sent again
    assert names.name([b]) == ([1], {1: b}, [])
    assert names.name([a]) == ([0], {}, [])  # a used last: b is now the oldest
    assert names.name([c]) == ([2], {2: c}, [1])
    assert names.name([b])[1:] == ({3: b}, [0])  # b comes back under a new name, a goes


def test_a_frame_with_more_sources_than_are_kept_drops_none_it_needs():
    names = SourceNames(keep=1)
    a, b = source("a"), source("b")
    keys, sent, dropped = names.name([a, b])
    assert keys == [0, 1] and set(sent) == {0, 1} and dropped == []


def test_an_equal_but_new_source_object_is_sent_as_new():
    # a new upload makes a new object: its id may be an old one's, once that is gone
    names = SourceNames()
    first = source("a")
    names.name([first])
    assert names.name([source("a")])[1] != {}


@pytest.fixture(scope="module")
def engines():
    local = MeshEngine()
    remote = ProcessEngine(functools.partial(MeshEngine))
    yield local, remote
    remote.close()
    local.close()


@pytest.mark.slow
def test_it_swaps_every_frame_as_the_engine_in_this_process_does(engines):
    local, remote = engines
    photo = crop_face(t1(), T1_FACE_BOXES["centre"], pad=0.5)
    here, there = local.prepare_source(photo), remote.prepare_source(photo)
    clip = video(crop_face(astronaut(), ASTRONAUT_BOX, pad=0.8), (640, 480), 12, 1.6)
    # and upside down, which the engine turns the right way up to swap and back
    clip += [np.ascontiguousarray(f[::-1, ::-1]) for f in clip[:8]]
    streams = local.open_stream(), remote.open_stream()
    swapped = 0
    for i, frame in enumerate(clip):
        a = streams[0].swap(frame, [here], i / 30)
        b = streams[1].swap(frame, [there], i / 30)
        assert np.array_equal(a.image, b.image), f"frame {i}"
        assert (a.faces_found, a.faces_swapped, a.reason, a.regions) == (b.faces_found, b.faces_swapped,
                                                                          b.reason, b.regions)
        swapped += b.swapped
    assert swapped >= len(clip) // 2  # the frames above are the check: this says they were swaps
    for stream in streams:
        stream.close()
    assert remote.name == local.name and remote.provider == local.provider


def test_a_frame_without_a_face_comes_back_as_it_was(engines):
    _, remote = engines
    stream = remote.open_stream()
    frame = np.full((480, 640, 3), 90, np.uint8)
    result = stream.swap(frame, [remote.prepare_source(astronaut())], 0.0)
    assert result.image is frame and not result.swapped
    stream.close()


@pytest.mark.slow
def test_a_photo_without_a_face_is_refused_with_the_engines_own_error(engines):
    local, remote = engines
    blank = np.full((300, 300, 3), 200, np.uint8)
    with pytest.raises(NoFaceError) as here:
        local.prepare_source(blank)
    with pytest.raises(NoFaceError) as there:
        remote.prepare_source(blank)
    assert str(there.value) == str(here.value)
    assert [f.box for f in remote.detect(camera_frame())] == [f.box for f in local.detect(camera_frame())]


@pytest.mark.slow
def test_several_photos_make_one_source_there_too(engines):
    _, remote = engines
    photos = [remote.prepare_source(astronaut()), remote.prepare_source(place(astronaut(), (512, 512), 0.9))]
    combined = remote.combine_sources(photos)
    stream = remote.open_stream()
    assert stream.swap(camera_frame(), [combined], 0.0).swapped
    stream.close()


def test_a_frames_cpu_time_is_the_engines_in_its_process_not_the_wait_for_it():
    remote = ProcessEngine(functools.partial(FakeEngine, delay=0.1, work=0.03))
    try:
        result = remote.open_stream().swap(np.zeros((64, 64, 3), np.uint8), [FAKE_SOURCE])
    finally:
        remote.close()
    assert result.cpu_ms is not None and 30 <= result.cpu_ms < 100


@pytest.mark.slow
def test_a_killed_engine_process_fails_one_frame_and_the_next_is_swapped_by_a_new_one():
    remote = ProcessEngine(functools.partial(MeshEngine))
    try:
        stream = remote.open_stream()
        face = remote.prepare_source(astronaut())
        assert stream.swap(camera_frame(), [face], 0.0).swapped
        first = remote.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        started = time.monotonic()
        with pytest.raises(EngineProcessError, match="exited"):
            stream.swap(camera_frame(), [face], 0.1)
        assert time.monotonic() - started < 5
        # the same stream and source go on in a process started afresh, its tracker new
        assert stream.swap(camera_frame(), [face], 0.2).swapped
        assert remote.pid != first
    finally:
        remote.close()


@pytest.mark.slow
def test_an_engine_process_that_does_not_answer_is_killed_and_started_again():
    remote = ProcessEngine(functools.partial(FakeEngine, delay=30.0), timeout=0.5)
    try:
        first = remote.pid
        stream = remote.open_stream()
        started = time.monotonic()
        with pytest.raises(EngineProcessError, match=r"did not answer 'swap' within 0\.5 s"):
            stream.swap(np.zeros((64, 64, 3), np.uint8), [FAKE_SOURCE])
        assert time.monotonic() - started < 3
        assert remote.detect(np.zeros((64, 64, 3), np.uint8)) == []  # answered by a new process
        assert remote.pid != first
    finally:
        remote.close()


@pytest.mark.slow
def test_an_engine_process_that_keeps_dying_is_left_dead_once_its_restarts_are_spent():
    remote = ProcessEngine(functools.partial(FakeEngine, delay=30.0), timeout=0.3,
                           restarts=Restarts(limit=1, window=60.0))
    frame = np.zeros((64, 64, 3), np.uint8)
    try:
        stream = remote.open_stream()
        for _ in range(2):  # the first process, then the one restart allowed
            with pytest.raises(EngineProcessError, match="did not answer"):
                stream.swap(frame, [FAKE_SOURCE])
        with pytest.raises(EngineProcessError, match="died 1 times within 60 s: not started again"):
            stream.swap(frame, [FAKE_SOURCE])
    finally:
        remote.close()


def test_restarts_are_allowed_up_to_the_limit_within_the_window_and_again_once_it_has_passed():
    restarts = Restarts(limit=2, window=60.0)
    assert restarts.allow(0.0) and restarts.allow(10.0)
    assert not restarts.allow(59.0)  # two in the last minute
    assert restarts.allow(60.5)  # the first has left the window
    assert not restarts.allow(61.0)


def broken_engine() -> MeshEngine:
    raise FileNotFoundError("models/weights/inswapper_128.onnx is missing")


@pytest.mark.slow
def test_an_engine_that_cannot_load_says_why():
    with pytest.raises(FileNotFoundError, match=r"inswapper_128\.onnx is missing"):
        ProcessEngine(broken_engine)


@pytest.mark.slow
async def test_a_server_whose_workers_run_engines_in_processes_swaps_a_users_frames(aiohttp_server, frame,
                                                                                    measure):
    from app import create_app
    from settings import Settings
    from testing.clients import SioUser, base_of, get_json, upload
    from testing.images import data_url, from_data_url, jpeg
    from tests.face_checks import assert_swapped

    settings = Settings(db=":memory:", clients="tester:s3cret-value", engine="mesh", workers=2,
                        engine_processes=1, max_fps=0, shape_fit="depth")
    before = set(multiprocessing.active_children())  # this module's other engines
    server = await aiohttp_server(create_app(settings))
    base = base_of(server)
    assert (await upload(base, jpeg(astronaut())))[0] == 200
    user = await SioUser().connect(base)
    try:
        for _ in range(3):
            answer = await user.roundtrip(data_url(frame))
        assert answer["success"] is True, answer
        sent = from_data_url(data_url(frame))  # what the server decodes
        assert_swapped(measure, from_data_url(answer["processed"]), sent, astronaut())
        status = await get_json(base, "/status")
        # what the engine in the process runs, as it said when it was ready
        assert (status["engine"], status["shape_fit"]) == ("mesh", "depth")
        workers = status["workers"]
        assert len(workers) == 2
        # the engine processes' own CPU time: some, and no more than the time their workers waited
        # for them on every core at once (the detector's looks run on a thread beside the
        # landmarks where there is a second core: models/beside.py)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        cpu, busy = (sum(w[key] for w in workers) for key in ("cpu_seconds", "busy_seconds"))
        assert 0 < cpu <= cores * busy, (cpu, busy)
    finally:
        await user.close()
    children = [child for child in multiprocessing.active_children() if child not in before]
    assert len(children) == 2
    await server.close()
    assert not any(child.is_alive() for child in children)  # the engines' processes stop with the server


@pytest.mark.slow
async def test_ctrl_c_stops_the_server_and_its_engine_processes_without_a_traceback(tmp_path):
    import asyncio
    import sys

    import aiohttp

    from server import PROCESS_ENV
    from testing.server_process import free_port

    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "wb") as err:  # noqa: ASYNC230 - a local file, opened once
        # a session of its own, as a terminal's: Ctrl-C reaches every process in it
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "server.py", "--port", str(port), "--db", ":memory:", "--clients",
            "tester:s3cret", "--workers", "2", "--engine-processes", "1", env={**PROCESS_ENV, **os.environ},
            stdout=asyncio.subprocess.DEVNULL, stderr=err, start_new_session=True)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/status") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
        with pytest.raises(ProcessLookupError):  # nothing of the server's is left running
            for _ in range(50):
                os.killpg(proc.pid, 0)
                await asyncio.sleep(0.1)
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
    text = log.read_text()
    assert "each engine in a process of its own" in text
    assert "shape fit flat" in text
    assert "Traceback" not in text, text
