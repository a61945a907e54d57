"""The process behind `symbolic_pool.pool.WorkerPool`: imports SymPy once and runs a warm-up job
(the lecture's example: SymPy's diff, simplify and printers load their modules on first use), says
("ready",), then runs one job at a time from stdin, writing each result to stdout as it comes
(length-prefixed pickles)."""

from __future__ import annotations

import contextlib
import os
import resource
import sys

MEMORY_LIMIT = 2 * 1024**3  # a runaway exact computation fails here instead of swapping
WARM_UP_EXPRESSION = "(x^2 + 2x) * ln(y) + sin(x)"


def main() -> None:
    with contextlib.suppress(ValueError, OSError):  # not every platform allows it
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    import pickle

    import sympy  # noqa: F401 - warm: this is what makes a job start fast

    from symbolic_pool.jobs import derivatives_job
    from symbolic_pool.pool import read_exactly, write_frame

    jobs = {"derivatives": derivatives_job}
    fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
    warm_up(derivatives_job)
    write_frame(fd_out, ("ready",))
    while True:
        try:
            size = int.from_bytes(read_exactly(fd_in, 8), "little")
        except EOFError:
            return
        name, *args = pickle.loads(read_exactly(fd_in, size))
        try:
            for message in jobs[name](*args):
                write_frame(fd_out, message)
            write_frame(fd_out, ("done",))
        except (MemoryError, RecursionError, ArithmeticError, ValueError, TypeError) as err:
            write_frame(fd_out, ("error", f"{type(err).__name__}: {err}"[:500]))


def warm_up(job) -> None:
    """Run a real job once, its output dropped, so the first request's job is as fast as the
    tenth."""
    from engine import parse
    from symbolic_pool.jobs import graph_state

    graph = parse(WARM_UP_EXPRESSION).graph
    candidate = graph_state(parse("2*(x+1)*ln(y)").graph)
    for _ in job(graph_state(graph), dict.fromkeys(graph.variables, 1.5), {"x": candidate}):
        pass


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
