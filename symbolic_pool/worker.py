"""The process behind `symbolic_pool.pool.WorkerPool`: imports SymPy once, then runs one
job at a time from stdin, writing each result to stdout as it comes (length-prefixed pickles)."""

from __future__ import annotations

import contextlib
import os
import resource
import sys

MEMORY_LIMIT = 2 * 1024**3  # a runaway exact computation fails here instead of swapping


def main() -> None:
    with contextlib.suppress(ValueError, OSError):  # not every platform allows it
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    import pickle

    import sympy  # noqa: F401 - warm: this is what makes a job start fast

    from symbolic_pool.jobs import derivatives_job
    from symbolic_pool.pool import read_exactly, write_frame

    jobs = {"derivatives": derivatives_job}
    fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
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


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
