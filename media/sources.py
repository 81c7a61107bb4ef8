"""The source faces that frames are swapped to, with when they last changed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from models.engine import SourceFace


class SourceSlot:
    """Replaced as a whole (an upload sets it, clear_source empties it); read by every frame."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._faces: tuple[SourceFace, ...] = ()
        self.changed_at = clock()

    @property
    def faces(self) -> list[SourceFace]:
        with self._lock:
            return list(self._faces)

    @property
    def loaded(self) -> bool:
        return bool(self._faces)

    def set(self, faces: list[SourceFace]) -> None:
        with self._lock:
            self._faces = tuple(faces)
            self.changed_at = self._clock()

    def clear(self) -> None:
        self.set([])
