"""Stand-in ONNX models with the contracts of insightface's real ones, built with onnx.helper.

The real weights (buffalo_l, inswapper_128) are not redistributable and cannot be downloaded here.
These stand-ins have the same inputs, outputs and (for the swapper) the trailing 512x512 `emap`
initializer, so the engine's wiring can be tested: alignment, identity latent, paste-back geometry,
providers, selection, errors. They prove the wiring, not the quality of a swap.
"""

from __future__ import annotations

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _save(graph: onnx.GraphProto, path: str) -> str:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save(model, path)
    return path


def identity_model(path: str, seed: int = 0) -> str:
    """ArcFace's contract: `data` 1x3x112x112 -> `fc1` 1x512. The embedding is a fixed random
    projection of the face crop's 4x4 average colours, so different faces give different vectors."""
    rng = np.random.default_rng(seed)
    proj = rng.standard_normal((48, 512)).astype(np.float32)
    nodes = [
        helper.make_node("AveragePool", ["data"], ["pooled"], kernel_shape=[28, 28], strides=[28, 28]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "proj"], ["fc1"]),
    ]
    graph = helper.make_graph(
        nodes, "arcface_standin",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("fc1", TensorProto.FLOAT, [1, 512])],
        [numpy_helper.from_array(proj, "proj")],
    )
    return _save(graph, path)


def _swapper(path: str, name: str, nodes: list[onnx.NodeProto], consts: dict[str, np.ndarray],
             seed: int) -> str:
    """inswapper's contract: `target` 1x3x128x128 and `source` 1x512 -> `output` 1x3x128x128 (RGB in
    0..1), with emap (512x512) as the last initializer, where insightface reads it."""
    emap = np.random.default_rng(seed).standard_normal((512, 512)).astype(np.float32)
    inits = [numpy_helper.from_array(v, k) for k, v in {**consts, "emap": emap}.items()]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("target", TensorProto.FLOAT, [1, 3, 128, 128]),
         helper.make_tensor_value_info("source", TensorProto.FLOAT, [1, 512])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 128, 128])],
        inits,
    )
    return _save(graph, path)


def constant_swapper(path: str, rgb: tuple[float, float, float], seed: int = 1) -> str:
    """The output is one flat colour: where it lands in the frame shows exactly where the paste-back
    puts the face."""
    nodes = [
        helper.make_node("Mul", ["target", "zero"], ["blank"]),
        helper.make_node("ReduceSum", ["source", "axes"], ["ssum"], keepdims=1),  # uses `source`
        helper.make_node("Mul", ["ssum", "zero"], ["szero"]),
        helper.make_node("Add", ["blank", "colour"], ["painted"]),
        helper.make_node("Add", ["painted", "szero"], ["output"]),
    ]
    consts = {"zero": np.array(0, np.float32), "axes": np.array([1], np.int64),
              "colour": np.array(rgb, np.float32).reshape(1, 3, 1, 1)}
    return _swapper(path, "inswapper_standin", nodes, consts, seed)


def latent_swapper(path: str, seed: int = 1) -> str:
    """The colour is the sigmoid of 20 x the first three `source` values, so a test can read back
    which latent the engine sent."""
    nodes = [
        helper.make_node("Mul", ["target", "zero"], ["blank"]),
        helper.make_node("Slice", ["source", "starts", "ends", "axes"], ["first3"]),
        helper.make_node("Mul", ["first3", "gain"], ["scaled"]),
        helper.make_node("Sigmoid", ["scaled"], ["rgb"]),
        helper.make_node("Reshape", ["rgb", "shape"], ["rgb4"]),
        helper.make_node("Add", ["blank", "rgb4"], ["output"]),
    ]
    consts = {"zero": np.array(0, np.float32), "starts": np.array([0], np.int64),
              "ends": np.array([3], np.int64), "axes": np.array([1], np.int64),
              "gain": np.array(20.0, np.float32), "shape": np.array([1, 3, 1, 1], np.int64)}
    return _swapper(path, "inswapper_latent_standin", nodes, consts, seed)


def weights_dir(root: str, swapper: str = "constant",
                rgb: tuple[float, float, float] = (0.0, 1.0, 0.0)) -> str:
    """A models folder laid out as the engine expects (no SCRFD: mediapipe aligns)."""
    identity_model(os.path.join(root, "buffalo_l", "w600k_r50.onnx"))
    target = os.path.join(root, "inswapper_128.onnx")
    if swapper == "constant":
        constant_swapper(target, rgb)
    else:
        latent_swapper(target)
    return root
