"""The one frame path: what happens to a publisher's frame, whatever transport carried it.

`FramePath.swap` turns a frame into a `FrameResult`: swapped, passed through with a reason, or
dropped (a newer frame of the same publisher overtook it). A frame is passed through untouched
when there is no source face, and then neither decoded nor shown to the engine.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from media.accounting import Accounting, DropReason, PassReason
from media.codec import ImageRejected
from media.worker import Status
from media.workers import WorkerPool
from models.engine import BAD_FRAME, NO_FACE, NO_SOURCE, SourceFace

PROCESSING_FAILED = "Processing error"


class Overtaken(Exception):
    """Raised by a frame's `load` when a newer frame of the publisher reached the engine first
    (decoding runs on several threads): the older one is dropped, never shown after the newer."""


class Verdict(Enum):
    SWAPPED = "swapped"
    PASSED = "passed"  # sent on unswapped; `reason` and `message` say why
    DROPPED = "dropped"  # overtaken by a newer frame: no output, no answer


@dataclass(frozen=True)
class FrameResult:
    verdict: Verdict
    image: np.ndarray | None = None  # the swapped picture, when SWAPPED
    regions: tuple[tuple[int, int, int, int], ...] = ()  # where it differs from the input
    reason: PassReason | None = None
    message: str = ""  # what a client is told when not swapped (stable strings: clients show them)

    @property
    def swapped(self) -> bool:
        return self.verdict is Verdict.SWAPPED


SWAP_REASONS = {NO_FACE: PassReason.NO_FACE, BAD_FRAME: PassReason.BAD_FRAME}
DROPPED = FrameResult(Verdict.DROPPED)


def passed(reason: PassReason, message: str) -> FrameResult:
    return FrameResult(Verdict.PASSED, reason=reason, message=message)


@dataclass
class FramePath:
    """One publisher's frames through the engine workers (pinned to one of them for its life).

    `sources` gives the channel's faces at the moment a frame is taken; `wanted` says whether the
    channel delivers to anyone (the engine does no work for a channel nobody receives); `active`
    is called for every frame that arrives (idle timeouts).
    """

    session_id: str
    transport: str
    worker: WorkerPool
    accounting: Accounting
    sources: Callable[[], Sequence[SourceFace]]
    wanted: Callable[[], bool] = lambda: True
    active: Callable[[], None] = lambda: None

    async def swap(self, load: Callable[[], Awaitable[np.ndarray]]) -> FrameResult:
        """Swap the frame that `load` decodes; `load` runs only when there is a source face."""
        result = await self._swap(load, time.monotonic())
        if result.reason is not None:
            self.accounting.passed(result.reason, self.transport)
        return result

    async def _swap(self, load: Callable[[], Awaitable[np.ndarray]], arrived: float) -> FrameResult:
        sources = list(self.sources())
        if not sources:
            return passed(PassReason.NO_SOURCE, NO_SOURCE)
        try:
            image = await load()
        except ImageRejected as exc:
            return passed(PassReason.REJECTED, str(exc))
        except Overtaken:
            self.drop(DropReason.SUPERSEDED)
            return DROPPED
        # the time it arrived, before decoding and the wait for the engine (landmark smoothing)
        outcome = await self.worker.process(self.session_id, image, sources, arrived)
        if outcome.status is Status.DROPPED:
            return DROPPED
        if outcome.status is Status.ERROR or outcome.result is None:
            return passed(PassReason.ENGINE_ERROR, PROCESSING_FAILED)
        result = outcome.result
        if not result.swapped:
            message = result.reason or NO_FACE
            return passed(SWAP_REASONS.get(message, PassReason.NO_FACE), message)
        return FrameResult(Verdict.SWAPPED, result.image, tuple(result.regions))

    def drop(self, reason: DropReason) -> None:
        self.accounting.dropped(self.session_id, reason)

    def delivered(self, ms_inside: float) -> None:
        """A frame left for the encoder `ms_inside` after it arrived decoded."""
        self.accounting.session(self.session_id).record_latency(ms_inside)

    def close(self) -> None:
        """The publisher is gone: its engine stream is closed and its figures forgotten."""
        self.worker.close_session(self.session_id)
        self.accounting.forget(self.session_id)
