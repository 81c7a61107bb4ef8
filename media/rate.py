"""Per-user frame-rate limit: at most N accepted events in any sliding one-second window.

A sliding window (rather than a minimum interval between frames) lets a camera that jitters around
exactly N fps through, while a client that sends faster still gets no more than N a second.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic,
                 window_s: float = 1.0) -> None:
        self.limit = max(1, round(per_second * window_s)) if per_second > 0 else 0  # 0 = unlimited
        self._window = window_s
        self._clock = clock
        self._accepted: deque[float] = deque(maxlen=max(self.limit, 1))

    def allow(self) -> bool:
        """Whether one more event fits now; an accepted event is counted."""
        if self.limit == 0:
            return True
        now = self._clock()
        while self._accepted and now - self._accepted[0] >= self._window:
            self._accepted.popleft()
        if len(self._accepted) >= self.limit:
            return False
        self._accepted.append(now)
        return True
