"""What a server process does before it takes a request, so that the first graph, layout and
symbolic answer are as fast as the tenth: Graphviz's WebAssembly compiled and a first layout run,
a real graph body built and encoded, and the SymPy workers started, each having run a real job
(symbolic_pool.worker). The app's lifespan awaits it; /readyz says ready afterwards."""

from __future__ import annotations

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
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    if settings.symbolic_warm_up:
        POOL.start()
    if settings.layout_warm_up:
        graphviz_warm_up()
        seconds["graphviz"] = time.perf_counter() - start
        t = time.perf_counter()
        response_body(EXPRESSION, {"x": 1.5, "y": 2.0}, wrt=["x"], tangent="x", settings=settings)  # encoded
        seconds["graph"] = time.perf_counter() - t
    if settings.symbolic_warm_up:
        t = time.perf_counter()
        POOL.warm()
        seconds["symbolic"] = time.perf_counter() - t
    return seconds
