"""The policy of one encode shared by many viewers (pure; `now` is an argument, no I/O).

- `ViewerQueue`: what one viewer has yet to send. Bounded: a viewer that falls behind loses what it
  queued and waits for the next keyframe instead of holding the others back or decoding garbage.
- `KeyframeGate`: keyframe requests from every viewer (a newcomer, a PLI, a viewer that fell
  behind) folded into at most one forced keyframe per interval, since a keyframe costs every viewer
  its bandwidth.
- `BitrateVotes`: each viewer's receiver estimate (REMB); the shared encoder aims for the lowest
  recent one, which every viewer can take, or the configured rate when nobody has said.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

VIEWER_QUEUE_FRAMES = 8  # about a quarter of a second at 30 fps
KEYFRAME_INTERVAL = 0.5  # seconds between two forced keyframes, at least
VOTE_LIFETIME = 5.0  # seconds a receiver estimate counts without being repeated


@dataclass(frozen=True)
class EncodedFrame:
    payloads: tuple[bytes, ...]
    timestamp: int  # in the codec's RTP clock, before each sender adds its own random origin
    keyframe: bool


class ViewerQueue:
    """Frames one viewer has yet to send, starting at a keyframe."""

    def __init__(self, limit: int = VIEWER_QUEUE_FRAMES) -> None:
        self.limit = limit
        self._frames: deque[EncodedFrame] = deque()
        self.waiting_for_keyframe = True  # a newcomer cannot decode anything before one
        self.skipped = 0

    def push(self, frame: EncodedFrame) -> bool:
        """Queue `frame` if this viewer can use it; True when the viewer needs a keyframe."""
        if len(self._frames) >= self.limit:  # the viewer fell behind: what it holds is stale
            self.skipped += len(self._frames)
            self._frames.clear()
            self.waiting_for_keyframe = True
        if self.waiting_for_keyframe and not frame.keyframe:
            self.skipped += 1
            return True
        self.waiting_for_keyframe = False
        self._frames.append(frame)
        return False

    def pop(self) -> EncodedFrame | None:
        return self._frames.popleft() if self._frames else None

    def __len__(self) -> int:
        return len(self._frames)


class KeyframeGate:
    """Many requests, at most one forced keyframe per `interval` seconds; none is forgotten."""

    def __init__(self, interval: float = KEYFRAME_INTERVAL) -> None:
        self.interval = interval
        self._pending = False
        self._last: float | None = None

    def request(self) -> None:
        self._pending = True

    def take(self, now: float) -> bool:
        """Whether the frame encoded `now` must be a keyframe."""
        if not self._pending or (self._last is not None and now - self._last < self.interval):
            return False
        self._pending = False
        self._last = now
        return True

    def produced(self, now: float) -> None:
        """The encoder made a keyframe by itself: a pending request is served by it."""
        self._pending = False
        self._last = now


class BitrateVotes:
    """The rate every viewer can take: the lowest recent receiver estimate, within `floor..ceiling`."""

    def __init__(self, default: int, floor: int, ceiling: int, lifetime: float = VOTE_LIFETIME) -> None:
        self.default = default
        self.floor = floor
        self.ceiling = ceiling
        self.lifetime = lifetime
        self._votes: dict[object, tuple[int, float]] = {}

    def vote(self, viewer: object, bps: int, now: float) -> None:
        self._votes[viewer] = (bps, now)

    def forget(self, viewer: object) -> None:
        self._votes.pop(viewer, None)

    def target(self, now: float) -> int:
        fresh = [bps for bps, at in self._votes.values() if now - at <= self.lifetime]
        wanted = min(fresh) if fresh else self.default
        return max(self.floor, min(self.ceiling, wanted))
