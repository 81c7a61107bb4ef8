"""Waiting for something a test cannot be told about directly (state in another thread or process)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

POLL_S = 0.005


async def eventually(predicate: Callable[[], bool | Awaitable[bool]], within: float = 10.0,
                     what: str = "condition") -> None:
    """Return as soon as `predicate()` holds; AssertionError naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    for _ in range(int(within / POLL_S) + 1):
        held = predicate()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"timed out after {within:g} s waiting for {what}")
