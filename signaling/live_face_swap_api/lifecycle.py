"""The life of a live session as a state machine: `faceswap_status` and what moves it.

    QUEUEING (1) --prepared--> READY (2)        --updated--> QUEUEING
    QUEUEING (1) --failed----> FAILED (4)       --updated--> QUEUEING
    any open     --closed, expired--> ENDED (3)
    QUEUEING or READY --server restarted--> FAILED (4)   (live media cannot survive a restart)

Pure: no clock, no I/O.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class SessionStatus(IntEnum):
    QUEUEING = 1  # source faces being prepared
    READY = 2  # connect now
    ENDED = 3  # closed or expired
    FAILED = 4  # with the reason in msg

    @property
    def open(self) -> bool:
        """Holds a channel (and counts against the caps) until closed or expired."""
        return self is not SessionStatus.ENDED


class SessionEvent(Enum):
    PREPARED = "ready"
    PREPARE_FAILED = "failed"
    UPDATED = "preparing source faces"
    CLOSED = "closed"
    EXPIRED = "expired"
    SERVER_RESTARTED = "server restarted"


class InvalidTransition(ValueError):
    pass


Q, R, E, F = SessionStatus.QUEUEING, SessionStatus.READY, SessionStatus.ENDED, SessionStatus.FAILED
TRANSITIONS: dict[tuple[SessionStatus, SessionEvent], SessionStatus] = {
    (Q, SessionEvent.PREPARED): R,
    (Q, SessionEvent.PREPARE_FAILED): F,
    **{(s, SessionEvent.UPDATED): Q for s in (Q, R, F)},
    **{(s, SessionEvent.CLOSED): E for s in (Q, R, F)},
    **{(s, SessionEvent.EXPIRED): E for s in (Q, R, F)},
    **{(s, SessionEvent.SERVER_RESTARTED): F for s in (Q, R)},
}


def next_status(status: SessionStatus, event: SessionEvent) -> SessionStatus:
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidTransition(f"a session in status {status.name} cannot be {event.name}") from None


def expired(expires_at: float, now: float) -> bool:
    return expires_at <= now
