"""glibc's heap kept between gradient steps.

A step of C(w) on 10,000 points makes about 25 arrays of 80 KB, then frees them. glibc hands the
freed top of its heap back to the kernel once more than 128 KB of it is free (M_TRIM_THRESHOLD),
so every step grows the heap again, and each new page costs a fault and the kernel's zeroing:
measured, half of a step's time (benchmarks/README.md). glibc raises that threshold by itself
for big arrays (its "dynamic mmap threshold"), never for these. `keep_heap` sets what it would
have reached for arrays up to 32 MB: such arrays come from the heap, and up to 64 MB of free heap
is kept for the next step. Once per process; a no-op off glibc (musl, macOS, Windows).
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # bytes: arrays up to this size from the heap
TRIM_THRESHOLD = 64 << 20  # bytes of free heap top kept (glibc's own rule: twice the above)

_state: dict[str, bool] = {}


def keep_heap() -> bool:
    """Tune glibc's malloc as above (the first call; later calls say what the first did).
    True when it took effect."""
    if "done" not in _state:
        _state["done"] = _tune()
    return _state["done"]


def _tune() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # mallopt answers 1 on success; musl's answers 0 and does nothing.
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
