"""One-Euro filter over landmark arrays (Casiez et al., CHI 2012).

Smooths jitter when a face is still and follows quickly when it moves: the cut-off frequency
rises with the speed of the signal.
"""

from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff_hz: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    def __init__(
        self,
        min_cutoff: float = 1.5,
        beta: float = 0.05,
        d_cutoff: float = 1.0,
        jump: float = 0.25,
    ) -> None:
        """`jump`: a mean move larger than this fraction of the face size resets the filter."""
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.jump = jump
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def __call__(self, x: np.ndarray, t: float, scale: float) -> np.ndarray:
        """Filter points `x` (N x 2) taken at time `t` seconds; `scale` is the face size in px."""
        if self._x is None or self._t is None or t <= self._t:
            return self._start(x, t)
        moved = float(np.mean(np.linalg.norm(x - self._x, axis=-1)))
        if moved > self.jump * max(scale, 1.0):
            return self._start(x, t)
        dt = t - self._t
        # speeds are measured in face sizes per second so one setting suits every face size
        dx = (x - self._x) / dt / max(scale, 1.0)
        a_d = _alpha(self.d_cutoff, dt)
        assert self._dx is not None
        dx_hat = a_d * dx + (1 - a_d) * self._dx
        speed = np.linalg.norm(dx_hat, axis=-1, keepdims=True)
        cutoff = self.min_cutoff + self.beta * speed * 100.0
        tau = 1.0 / (2.0 * math.pi * cutoff)
        a = 1.0 / (1.0 + tau / dt)
        x_hat = a * x + (1 - a) * self._x
        self._x, self._dx, self._t = x_hat, dx_hat, t
        return x_hat

    def _start(self, x: np.ndarray, t: float) -> np.ndarray:
        self._x = x.copy()
        self._dx = np.zeros_like(x)
        self._t = t
        return x
