"""Business codes of the Live Face Swap API, and the error that carries one to the client."""

from __future__ import annotations

from enum import IntEnum


class ApiCode(IntEnum):
    OK = 1000
    PARAM_ERROR = 1003
    TOO_FREQUENT = 1005
    INVALID_TOKEN = 1101
    MISSING_AUTH = 1102
    TOO_MANY_SESSIONS = 1106  # ours: the per-client or total cap on live sessions is reached
    BUSY = 1107  # ours: the engine has too much waiting; try again shortly
    INTERNAL = 1500  # ours: the server failed (a bug; its log has the traceback)


class ApiError(Exception):
    """A request cannot be served; answered with `code` and `msg` (HTTP 200, as the hosted service)."""

    def __init__(self, code: ApiCode, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
