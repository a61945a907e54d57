"""Heavy requests (a graph with its layout, SymPy, finite differences, the comparison table, paths,
check, training): admitted up to a number in flight, run in a worker thread under a CPU-time
budget, and stopped when their client goes away.

- Past `max_heavy_requests` in flight, a new heavy request is answered 503 with `Retry-After` at
  once; of those admitted, `heavy_threads` run at a time and the others wait their turn (a queue
  bounded by the cap). /healthz and light requests never wait on this.
- The work gets a `checkpoint` callable and calls it between bounded steps (a variable, a sweep
  curve, a training step): it raises `BudgetExceeded` (422 naming the budget) once the thread has
  used the budget's CPU seconds, or `Cancelled` once the client has disconnected.
- A slot is freed when the thread ends, not when the client leaves: the count is the work the
  CPUs are really doing.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
from fastapi import Request

from .errors import APIError

T = TypeVar("T")
Checkpoint = Callable[[], None]


class BudgetExceeded(APIError):
    def __init__(self, limit: str, maximum: float, used: float) -> None:
        super().__init__(422, "budget_exceeded",
                         f"the request used its CPU-time budget ({limit} is {maximum:g} s; stopped "
                         f"after {used:.2f} s): ask for less work (fewer variables, steps or "
                         f"nodes)", limit=limit, maximum=maximum, actual=used)


class Cancelled(APIError):
    """The client went away; nobody reads this answer (uvicorn drops it)."""

    def __init__(self) -> None:
        super().__init__(499, "client_closed_request", "the client closed the connection; the work "
                                                       "was stopped")


class Budget:
    """CPU seconds of the thread doing the work (time.thread_time: waiting for the GIL or for a
    SymPy worker costs nothing, so a busy machine does not eat the budget), and a flag set when
    the client disconnects."""

    def __init__(self, limit: str, cpu_s: float) -> None:
        self.limit, self.cpu_s = limit, cpu_s
        self.cancelled = threading.Event()
        self._start: float | None = None

    def run(self, fn: Callable[[Checkpoint], T]) -> T:
        """fn(self.check) in this thread, its CPU time counted from now."""
        self._start = time.thread_time()
        self.check()
        return fn(self.check)

    def check(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled
        used = time.thread_time() - (self._start or 0.0)
        if used > self.cpu_s:
            raise BudgetExceeded(self.limit, self.cpu_s, used)


class Admission:
    """Heavy requests in flight in this server process. Counted on the event loop only (admit and
    release run there), so no lock is needed."""

    def __init__(self, capacity: int, retry_after_s: int, threads: int | None = None) -> None:
        self.capacity, self.retry_after_s = capacity, retry_after_s
        self.in_flight = 0
        self.refused = 0
        # At most `threads` of the admitted requests run at once, in threads of their own (the
        # default threadpool stays free for light work); the others wait their turn, a queue no
        # longer than `capacity`. Python runs one thread at a time anyway: more threads would
        # only slow each other and the event loop down (the GIL).
        self.limiter = anyio.CapacityLimiter(min(threads or capacity, capacity))

    def status(self) -> dict:
        return {"in_flight": self.in_flight, "capacity": self.capacity, "refused": self.refused,
                "running": self.limiter.borrowed_tokens}

    async def run(self, request: Request, limit: str, cpu_s: float, fn: Callable[[Checkpoint], T]) -> T:
        """fn(checkpoint) in a worker thread, or a 503 at once when `capacity` are in flight."""
        self.enter()
        try:
            return await run(request, Budget(limit, cpu_s), fn, self.limiter)
        finally:
            self.leave()

    def enter(self) -> None:
        """Take a slot, or raise the 503 (for work that is not one call, e.g. a stream; pair it
        with `leave`)."""
        if self.in_flight >= self.capacity:
            self.refused += 1
            raise APIError(503, "overloaded",
                           f"the server is busy ({self.capacity} heavy requests in flight); try again "
                           f"in {self.retry_after_s} s", limit="max_heavy_requests",
                           maximum=self.capacity, actual=self.in_flight + 1,
                           headers={"Retry-After": str(self.retry_after_s)})
        self.in_flight += 1

    def leave(self) -> None:
        self.in_flight -= 1


async def run(request: Request, budget: Budget, fn: Callable[[Checkpoint], T],
              limiter: anyio.CapacityLimiter | None = None) -> T:
    """fn(budget.check) in a worker thread (the default pool without `limiter`), `budget` cancelled
    when the client disconnects meanwhile."""
    watcher = asyncio.ensure_future(_watch_disconnect(request, budget.cancelled))
    try:
        # Not abandoned on cancellation: the caller waits until the thread returns.
        return await anyio.to_thread.run_sync(budget.run, fn, limiter=limiter)
    finally:
        watcher.cancel()


async def _watch_disconnect(request: Request, cancelled: threading.Event) -> None:
    """Wait on the connection (the body is read by now) until the client disconnects."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            cancelled.set()
            return


def admission(request: Request) -> Admission:
    return request.app.state.admission
