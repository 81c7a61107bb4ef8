"""The venv holds exactly one OpenCV and one onnxruntime distribution."""

from __future__ import annotations

import importlib.metadata as md
import platform
import sys


def distributions(prefix: str) -> list[str]:
    names = {(d.metadata["Name"] or "").lower() for d in md.distributions()}
    return sorted(n for n in names if n.startswith(prefix))


def test_one_opencv_distribution():
    assert distributions("opencv") == ["opencv-contrib-python"]


def test_one_onnxruntime_distribution():
    gpu_platform = sys.platform == "linux" and platform.machine() == "x86_64"
    assert distributions("onnxruntime") == (["onnxruntime-gpu"] if gpu_platform else ["onnxruntime"])


def test_jax_is_not_installed():
    """mediapipe's face solutions run without jax (it is ~330 MB)."""
    assert distributions("jax") == []


def test_onnxruntime_runs_on_cpu_without_a_gpu():
    import onnxruntime as ort

    assert "CPUExecutionProvider" in ort.get_available_providers()
