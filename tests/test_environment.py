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


def test_onnxruntime_runs_a_model_on_the_cpu_provider(tmp_path):
    """The CPU provider of the installed onnxruntime (the GPU build on Linux x86_64) runs a model."""
    import numpy as np
    import onnxruntime as ort

    from testing.standin_models import identity_model

    path = identity_model(str(tmp_path / "identity.onnx"))
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"data": np.ones((1, 3, 112, 112), np.float32)})
    assert out.shape == (1, 512) and np.isfinite(out).all() and np.abs(out).sum() > 0
    assert session.get_providers() == ["CPUExecutionProvider"]
