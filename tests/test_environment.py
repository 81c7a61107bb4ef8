"""The venv holds exactly one OpenCV and one onnxruntime distribution; the process is set up as
the server needs."""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import subprocess
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


BLAS_THREADS = """
import ctypes, glob, os, sys
sys.path.insert(0, {root!r})
import server, numpy
libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__) + ".libs", "libopenblas*"))
lib = ctypes.CDLL(libs[0]) if libs else None
names = ("openblas_get_num_threads64_", "openblas_get_num_threads")
get = next((getattr(lib, n) for n in names if lib is not None and hasattr(lib, n)), None)
print(get() if get else "none")
"""


def blas_threads(env: dict[str, str]) -> str:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    clean = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", BLAS_THREADS.format(root=root)], env={**clean, **env},
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def test_the_server_keeps_numpys_blas_to_one_thread_unless_told_otherwise():
    # spinning BLAS threads per core doubled the server's CPU per frame (bench.webrtc); the
    # engine's parallelism is its worker pool
    found = blas_threads({})
    if found == "none":
        return  # a numpy without a bundled OpenBLAS has no such threads
    assert found == "1"
    assert blas_threads({"OPENBLAS_NUM_THREADS": "2"}) == "2"
