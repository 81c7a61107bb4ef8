"""mediapipe's legacy `process`, with its outputs returned as a namespace (models/mediapipe_patch.py):
the same landmarks and detections as mediapipe's own."""

from __future__ import annotations

import collections

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.python import solution_base

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

