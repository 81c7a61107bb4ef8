"""numba's compiler for the few loops numpy and OpenCV cannot do in one call (models/raster.py,
models/warp.py, models/gaze.py, models/order.py, models/side_hair.py, the light's robust fit in
models/surfaces.py), with its code kept between runs where it can be.

numba keeps compiled code beside the module (`__pycache__`) or, where that cannot be written, in
the user's cache folder; where neither can (a read-only install run by a user without a home), a
cached function cannot be made at all, and the module that holds it would not import. There it is
compiled in each process instead, on its import (the six modules' kernels together took 5.9 s
on 2026-12-07 at night, 4.6 s before the warp's were added the same hour).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numba

log = logging.getLogger(__name__)


def compiled(signature: str) -> Callable[[Callable[..., Any]], Any]:
    """A decorator: the function compiled now, for `signature` alone, without the GIL."""

    def compile_now(function: Callable[..., Any]) -> Any:
        try:
            return numba.njit(signature, cache=True, nogil=True)(function)
        except RuntimeError as e:  # numba: "cannot cache function ...: no locator available"
            log.warning("%s compiled without a cache: %s", function.__qualname__, e)
            return numba.njit(signature, nogil=True)(function)

    return compile_now
