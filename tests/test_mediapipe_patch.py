"""mediapipe's legacy `process`, with its outputs returned as a namespace and its graph run on the
calling thread (models/mediapipe_patch.py): the same landmarks and detections as mediapipe's own."""

from __future__ import annotations

import collections
import os
import threading

import cv2
import mediapipe as mp
import numpy as np
import pytest
from mediapipe.framework import calculator_pb2
from mediapipe.python import solution_base
from mediapipe.python._framework_bindings import calculator_graph

from models import mediapipe_patch
from models.mediapipe_faces import landmark_array


def test_the_patch_is_in_place_once_the_face_wrappers_are_loaded() -> None:
    assert mediapipe_patch.installed()


def test_face_mesh_and_detection_read_the_same_with_and_without_it(astronaut: np.ndarray) -> None:
    rgb = cv2.cvtColor(astronaut, cv2.COLOR_BGR2RGB)
    read = {}
    try:
        for patched in (False, True):
            if patched:
                mediapipe_patch.install()
            else:
                solution_base.collections = collections
                solution_base.calculator_graph = calculator_graph
            with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh:
                meshes = mesh.process(rgb).multi_face_landmarks
            with mp.solutions.face_detection.FaceDetection(model_selection=1) as finder:
                found = finder.process(rgb).detections
            assert meshes and found, "mediapipe found no face on the astronaut"
            read[patched] = (landmark_array(meshes[0]), [d.SerializeToString() for d in found])
    finally:
        mediapipe_patch.install()
    assert np.array_equal(read[False][0], read[True][0])
    assert read[False][1] == read[True][1]


def _mediapipe_threads() -> set[str]:
    """The ids of this process's threads that mediapipe's thread pools started (each is named
    mediapipe/...)."""
    tids = set()
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/comm") as f:
            if f.read().startswith("mediapipe"):
                tids.add(tid)
    return tids


def test_a_face_mesh_runs_on_the_thread_that_calls_it(astronaut: np.ndarray) -> None:
    rgb = cv2.cvtColor(astronaut, cv2.COLOR_BGR2RGB)
    before = _mediapipe_threads()
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, refine_landmarks=True) as mesh:
        assert mesh.process(rgb).multi_face_landmarks
        started = _mediapipe_threads() - before
    assert not started, f"mediapipe started {len(started)} pool threads for one graph"


def test_a_graph_made_on_one_thread_is_read_on_others(astronaut: np.ndarray) -> None:
    # the engine's graphs are made where it loads and read where its frames are swapped
    rgb = cv2.cvtColor(astronaut, cv2.COLOR_BGR2RGB)
    read: list[np.ndarray] = []
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh:
        def one() -> None:
            read.append(landmark_array(mesh.process(rgb).multi_face_landmarks[0]))

        for _ in range(3):
            worker = threading.Thread(target=one)
            worker.start()
            worker.join(timeout=30)
        one()
    assert len(read) == 4
    assert all(np.array_equal(read[0], r) for r in read[1:])


def test_a_graph_that_names_its_own_default_executor_is_refused() -> None:
    config = calculator_pb2.CalculatorGraphConfig()
    config.executor.add(type="ThreadPoolExecutor")
    with pytest.raises(ValueError, match="ThreadPoolExecutor"):
        mediapipe_patch.on_calling_thread(config)
