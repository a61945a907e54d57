"""What a server process does before it takes a request, so that the first graph, layout and
symbolic answer are as fast as the tenth: Graphviz's WebAssembly compiled and a first layout run,
a real graph body built and encoded, and the SymPy workers started, each having run a real job
(symbolic_pool.worker); then what start-up made is frozen for the garbage collector. The app's
lifespan awaits it; /readyz says ready afterwards."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
import time

from drawing import warm_up as graphviz_warm_up
from symbolic_pool import POOL

from .graphs import response_body
from .settings import Settings

#: Not an example of the page's: the lecture's own example is still laid out on first request.
EXPRESSION = "sin(x*y) + (x^2 + 2x) * ln(y) - exp(-x) / y"


def warm_up(settings: Settings) -> dict[str, float]:
    """Seconds each part took (symbolic last: its workers start first and warm meanwhile).
    Also sets how often threads hand over the GIL: heavy requests are Python threads, and with
    Python's 5 ms the event loop waits its turn behind each of them."""
    sys.setswitchinterval(settings.switch_interval_s)
    limit_malloc_arenas(settings.malloc_arenas)
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    if settings.symbolic_warm_up:
        POOL.start()
    if settings.layout_warm_up:
        graphviz_warm_up()
        seconds["graphviz"] = time.perf_counter() - start
        t = time.perf_counter()
        for body_format in ("objects", "compact"):  # both written (the page asks for compact)
            response_body(EXPRESSION, {"x": 1.5, "y": 2.0}, wrt=["x"], tangent="x", settings=settings,
                          body_format=body_format)
        seconds["graph"] = time.perf_counter() - t
    if settings.symbolic_warm_up:
        t = time.perf_counter()
        POOL.warm()
        seconds["symbolic"] = time.perf_counter() - t
    if not gc.get_freeze_count():  # once a process
        # What start-up made (modules, the app: ~120,000 objects) lives as long as the process:
        # frozen, the collector's full passes no longer walk it (a 953-node body 10 % faster).
        gc.freeze()
    return seconds


_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int) -> bool:
    """At most `arenas` glibc malloc arenas in this process from now on (0: glibc's default);
    False where the C library is not glibc. Heavy requests run on threads, and glibc gives
    threads that allocate at once arenas of their own (up to 8 a core), each keeping what its
    thread freed: a server's memory then stays well above its start after a burst of load."""
    if arenas <= 0:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl, macOS, Windows: nothing to tune
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))
