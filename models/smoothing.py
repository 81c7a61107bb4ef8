"""Landmark smoothing: the One-Euro filter over point arrays (Casiez et al., CHI 2012), and a
filter that smooths a face's pose and its shape apart (what the face tracker uses).

One-Euro smooths jitter when a face is still and follows quickly when it moves: the cut-off
frequency rises with the speed of the signal.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np


class LandmarkFilter(Protocol):
    """Filters one face's points (N x 2) taken at `t` seconds; `scale` is the face's size in px."""

    def __call__(self, x: np.ndarray, t: float, scale: float) -> np.ndarray: ...

    def reset(self) -> None: ...


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


class PoseShapeFilter:
    """Smooths a face's landmarks in two parts: its pose in the frame (where it is, how large,
    how rolled) and its shape in that pose (expression, turn, the landmarks' own jitter).

    One filter over every point lags a moving head by the whole of its move (`python -m
    bench.landmarks`: 2 px in a gentle sway, 3.5 px in a fast one, against 0.24 and 0.38 px
    here), enough to slide the swapped eyes off the target's. The pose is fitted to all the
    points at once, so it is far steadier than any one point and can follow quickly; only the
    shape, which carries most of the jitter, is smoothed hard. `pose` and `shape` are
    (min_cutoff, beta) of each part's One-Euro filter.
    """

    def __init__(self, pose: tuple[float, float] = (0.5, 1.0), shape: tuple[float, float] = (1.5, 0.05),
                 jump: float = 0.25) -> None:
        self.pose = OneEuroFilter(*pose, jump=math.inf)
        self.shape = OneEuroFilter(*shape, jump=math.inf)
        self.jump = jump
        self._reference: np.ndarray | None = None  # complex: the first frame's points, centred
        self._radius = 1.0
        self._size = 1.0
        self._centre: complex | None = None
        self._t: float | None = None

    def reset(self) -> None:
        self._reference = self._centre = self._t = None
        self.pose.reset()
        self.shape.reset()

    def __call__(self, x: np.ndarray, t: float, scale: float) -> np.ndarray:
        """Filter points `x` (N x 2) taken at time `t` seconds; `scale` is the face size in px."""
        z = x[:, 0] + 1j * x[:, 1]
        centre = complex(z.mean())
        if (self._reference is None or self._centre is None or self._t is None or t <= self._t
                or abs(centre - self._centre) > self.jump * max(scale, 1.0)):
            self.reset()
            self._reference = z - centre
            self._radius = float(np.sqrt(np.mean(np.abs(self._reference) ** 2))) or 1.0
            self._size = max(scale, 1.0)
        assert self._reference is not None
        self._t = t
        # the similarity z ~ a * reference + centre (least squares; a holds scale and roll)
        ref = self._reference
        a = complex(np.vdot(ref, z - centre) / np.vdot(ref, ref))
        if a == 0:
            a = 1.0
        # the pose as two points either side of the centre: a similarity is fixed by two points,
        # and a pair of points is what the One-Euro filter smooths
        ends = np.array([centre - a * self._radius, centre + a * self._radius])
        ends = _from_xy(self.pose(_to_xy(ends), t, scale))
        centre_hat = complex(ends.mean())
        a_hat = complex((ends[1] - ends[0]) / (2 * self._radius))
        shape = _from_xy(self.shape(_to_xy((z - centre) / a), t, self._size))
        out = a_hat * shape + centre_hat
        self._centre = centre_hat
        return _to_xy(out).astype(x.dtype, copy=False)


def _to_xy(z: np.ndarray) -> np.ndarray:
    return np.stack([z.real, z.imag], axis=1)


def _from_xy(xy: np.ndarray) -> np.ndarray:
    return xy[:, 0] + 1j * xy[:, 1]


# How a face's landmarks are smoothed: "pose" (the pose and the shape apart), or "points" (one
# One-Euro filter over every point, as before; it trails a moving head)
SMOOTHINGS: dict[str, type[LandmarkFilter]] = {"pose": PoseShapeFilter, "points": OneEuroFilter}
