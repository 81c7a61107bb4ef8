"""FaceMesh's landmarks read from their serialized bytes (mediapipe_faces.landmark_array), which
every frame's mesh goes through: the same numbers as reading them point by point."""

from __future__ import annotations

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.framework.formats import landmark_pb2

from models.mediapipe_faces import landmark_array


def point_by_point(landmarks: landmark_pb2.NormalizedLandmarkList) -> np.ndarray:
    return np.array([(p.x, p.y, p.z) for p in landmarks.landmark], np.float32)


def test_a_real_face_mesh_reads_the_same_from_its_bytes(astronaut: np.ndarray) -> None:
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh:
        found = mesh.process(cv2.cvtColor(astronaut, cv2.COLOR_BGR2RGB)).multi_face_landmarks
    assert found, "FaceMesh found no face on the astronaut"
    got = landmark_array(found[0])
    assert got.shape == (478, 3) and got.dtype == np.float32
    assert np.array_equal(got, point_by_point(found[0]))


def test_landmarks_with_more_fields_or_fewer_are_read_point_by_point() -> None:
    odd = landmark_pb2.NormalizedLandmarkList()
    first = odd.landmark.add()
    first.x, first.y, first.z = 0.25, 0.5, 0.0
    second = odd.landmark.add()
    second.x, second.y, second.z, second.visibility = 0.75, 0.125, -0.5, 0.9
    third = odd.landmark.add()
    third.x, third.y = 0.5, 0.5  # no z: read as 0
    assert np.array_equal(landmark_array(odd), point_by_point(odd))
    assert landmark_array(landmark_pb2.NormalizedLandmarkList()).shape == (0, 3)
