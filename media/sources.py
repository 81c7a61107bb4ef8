"""The source faces frames are swapped to, and how long they are kept when nobody uses them.

Pure: no clock of its own, no I/O. Callers pass `now` (seconds, monotonic) to every method that
depends on time, so the lifetime rules are tested with plain numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from models.engine import SourceFace

Listener = Callable[[tuple[SourceFace, ...]], None]


class SourceSlot:
    """Source faces replaced as a whole (an upload sets them, `clear_source` empties them).

    Every user of a channel holds the slot while connected, whatever carries its frames. With
    `forget_after` set, the faces are forgotten that many seconds after the slot was last set or
    last left by its final holder, whichever is later: privacy, and memory. `None` keeps them until
    they are cleared (a live API session owns its faces for its whole life).
    """

    def __init__(self, forget_after: float | None, now: float) -> None:
        self.forget_after = forget_after
        self._faces: tuple[SourceFace, ...] = ()
        self._holders = 0
        self._unused_since = now
        self._listeners: list[Listener] = []

    @property
    def faces(self) -> tuple[SourceFace, ...]:
        return self._faces

    @property
    def loaded(self) -> bool:
        return bool(self._faces)

    @property
    def holders(self) -> int:
        return self._holders

    def set(self, faces: Sequence[SourceFace], now: float) -> None:
        self._faces = tuple(faces)
        self._unused_since = max(self._unused_since, now)
        for listener in self._listeners:
            listener(self._faces)

    def clear(self, now: float) -> None:
        self.set((), now)

    def on_change(self, listener: Listener) -> None:
        """Call `listener(faces)` after every set or clear."""
        self._listeners.append(listener)

    def hold(self) -> None:
        self._holders += 1

    def release(self, now: float) -> None:
        self._holders = max(0, self._holders - 1)
        if self._holders == 0:
            self._unused_since = now

    def unused_for(self, now: float) -> float:
        """Seconds since anyone held the slot or it was set; 0 while it is held."""
        return 0.0 if self._holders else max(0.0, now - self._unused_since)

    def expire(self, now: float) -> bool:
        """Forget the faces if they have gone unused for `forget_after`; True when it did."""
        if self.forget_after is None or not self._faces or self.unused_for(now) <= self.forget_after:
            return False
        self.clear(now)
        return True
