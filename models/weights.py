"""Where the inswapper engine's model files live, and which of them are present.

Light on purpose (no onnxruntime, no insightface): engine selection and `python -m models.fetch`
need only this.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
SWAPPER_NAMES = ("inswapper_128.onnx", "inswapper_128_fp16.onnx")


@dataclass(frozen=True)
class InswapperFiles:
    identity: str
    swapper: str
    detector: str | None  # optional: mediapipe aligns without it

    @classmethod
    def find(cls, weights_dir: str = WEIGHTS_DIR) -> InswapperFiles | None:
        """The files in `weights_dir`, or None when the two required ones are not both there."""
        identity = os.path.join(weights_dir, "buffalo_l", "w600k_r50.onnx")
        swapper = next((os.path.join(weights_dir, n) for n in SWAPPER_NAMES
                        if os.path.isfile(os.path.join(weights_dir, n))), None)
        detector = os.path.join(weights_dir, "buffalo_l", "det_10g.onnx")
        if not os.path.isfile(identity) or swapper is None:
            return None
        return cls(identity, swapper, detector if os.path.isfile(detector) else None)
