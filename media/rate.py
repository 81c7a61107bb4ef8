"""Rate limit: at most N accepted events in any sliding window (one second by default).

A sliding window (rather than a minimum interval between frames) lets a camera that jitters around
exactly N fps through, while a client that sends faster still gets no more than N a second.
Pure: the caller passes `now`.
"""

from __future__ import annotations

from collections import OrderedDict, deque


class RateLimiter:
    def __init__(self, per_second: float, window_s: float = 1.0) -> None:
        self.limit = max(1, round(per_second * window_s)) if per_second > 0 else 0  # 0 = unlimited
        self._window = window_s
        self._accepted: deque[float] = deque(maxlen=max(self.limit, 1))

    def allow(self, now: float) -> bool:
        """Whether one more event fits at `now`; an accepted event is counted."""
        if self.limit == 0:
            return True
        while self._accepted and now - self._accepted[0] >= self._window:
            self._accepted.popleft()
        if len(self._accepted) >= self.limit:
            return False
        self._accepted.append(now)
        return True


class AddressLimiter:
    """A RateLimiter per client address; the least recently seen addresses are forgotten past
    `max_addresses`, so memory stays bounded however many addresses appear."""

    def __init__(self, per_window: int, window_s: float, max_addresses: int = 10_000) -> None:
        self.per_window = per_window
        self.window_s = window_s
        self.max_addresses = max_addresses
        self._limiters: OrderedDict[str, RateLimiter] = OrderedDict()

    def allow(self, address: str, now: float) -> bool:
        limiter = self._limiters.get(address)
        if limiter is None:
            limiter = self._limiters[address] = RateLimiter(self.per_window / self.window_s, self.window_s)
            if len(self._limiters) > self.max_addresses:
                self._limiters.popitem(last=False)
        else:
            self._limiters.move_to_end(address)
        return limiter.allow(now)
