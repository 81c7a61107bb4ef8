"""glibc's allocator kept from hoarding memory: its settings for the process, and the heap's free
pages handed back to the system where a session ends. Both are no-ops outside glibc."""

from __future__ import annotations

import ctypes
import functools
from typing import Any

# glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
# Blocks above this are mapped on allocation and returned on free. At 256 KB every full-frame
# temporary of the engine was a fresh mapping paid in page faults (+3 ms a 640x480 frame, +7 ms at
# 720p); at 2 MB the engine's frame-sized work reuses arena memory and is as fast as with glibc's
# defaults, while 1,000 connection cycles grew RSS by 13 MB (4 MB: 52 MB; no threshold: 44 MB and
# climbing; bench.soak).
MMAP_THRESHOLD = 2 * 1024 * 1024
ARENAS = 2


@functools.cache
def _glibc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - both, or this is not glibc
    except (OSError, AttributeError):
        return None
    return libc


def tame() -> bool:
    """Keep glibc malloc from hoarding memory under connection churn (measured with bench.soak).

    Every WebRTC connection decodes on a thread of its own; glibc gives threads arenas of their own
    (up to 8 per core), and memory freed in one arena is not reused by another: RSS climbed ~4 MB
    per connection cycle with three at a time. ARENAS arenas, and blocks over MMAP_THRESHOLD always
    mapped and returned on free, keep it near flat after a warm-up. Call before threads start, in
    the server and in each engine process; False where it did not apply (not glibc).
    """
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, ARENAS)) and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def give_back() -> None:
    """glibc's malloc_trim(0): the free pages of every arena returned to the system. The settings
    of `tame` keep few arenas; what a closed stream's trackers and graphs freed still stayed mapped
    in them. Over 1,000 WebRTC connection cycles (`bench.soak --inputs 0`) the server ended at
    690-707 MB without it and at 460-473 MB with it (three runs each), and each engine process of
    --engine-processes 1 grew 126-163 MB without it, 12-27 MB with it. It takes 1.3-13 ms, on the
    thread that closed the stream."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
