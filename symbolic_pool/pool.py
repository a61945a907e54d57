"""A small pool of warm SymPy worker processes (`python -m symbolic_pool.worker`, SymPy already
imported and a warm-up job run), one job at a time each, talking in length-prefixed pickles over
pipes; a worker still busy when its caller gives up is killed, and any worker that dies is replaced
by a keeper thread before the next job needs it."""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import subprocess
import sys
import threading
import time


def write_frame(fd: int, obj: object) -> None:
    data = pickle.dumps(obj)
    view = memoryview(len(data).to_bytes(8, "little") + data)
    while view:
        view = view[os.write(fd, view):]


def read_exactly(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            raise EOFError("worker closed its pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


READY_TIMEOUT_S = 120.0  # a new worker imports SymPy and runs its warm-up job within this


class _Worker:
    def __init__(self) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [root, *filter(None, [os.environ.get("PYTHONPATH")])]))
        self.proc = subprocess.Popen([sys.executable, "-m", "symbolic_pool.worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.out_fd = self.proc.stdin.fileno()
        self.in_fd = self.proc.stdout.fileno()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, job: tuple) -> None:
        write_frame(self.out_fd, job)

    def recv(self, timeout: float) -> object:
        """The next message, or raise TimeoutError."""
        ready, _, _ = select.select([self.in_fd], [], [], max(timeout, 0.0))
        if not ready:
            raise TimeoutError
        size = int.from_bytes(read_exactly(self.in_fd, 8), "little")
        return pickle.loads(read_exactly(self.in_fd, size))

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait(timeout=5)
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                f.close()


class WorkerPool:
    """`size` warm workers, kept at that number by a keeper thread: a worker killed for its
    budget, or found dead while idle, is replaced in the background, and a new worker counts as
    ready only after it has run a real job (SymPy's printers and simplify imported), so no request
    pays for a cold start. A job waits for a free worker within its own budget."""

    def __init__(self, size: int = 2, check_every_s: float = 0.5) -> None:
        self.size, self.check_every_s = size, check_every_s
        self.cond = threading.Condition()
        self.idle: list[_Worker] = []
        self.busy = 0
        self.starting = 0
        self.replaced = 0  # workers started in place of one that died or was killed
        self._keeper: threading.Thread | None = None
        self._wake = threading.Event()

    # --- the keeper ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the keeper (once): it brings the pool up to `size` now and keeps it there."""
        with self.cond:
            if self._keeper is not None and self._keeper.is_alive():
                return
            self._keeper = threading.Thread(target=self._keep, name="sympy-pool-keeper", daemon=True)
            self._wake.set()
            self._keeper.start()

    def warm(self, timeout: float = READY_TIMEOUT_S) -> bool:
        """Start the workers and wait until all of them are ready (warm-up before serving)."""
        self.start()
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.idle) + self.busy < self.size:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def status(self) -> dict:
        with self.cond:
            return {"size": self.size, "idle": len(self.idle), "busy": self.busy,
                    "starting": self.starting, "replaced": self.replaced}

    def pids(self) -> list[int]:
        with self.cond:
            return [w.pid for w in self.idle]

    def _prune(self) -> int:
        """Drop idle workers that died (caller holds the lock); how many were dropped."""
        dead = [w for w in self.idle if not w.alive()]
        for w in dead:
            self.idle.remove(w)
        return len(dead)

    def _keep(self) -> None:
        first = True
        while True:
            self._wake.wait(self.check_every_s)
            self._wake.clear()
            with self.cond:
                lost = self._prune()
                need = self.size - len(self.idle) - self.busy - self.starting
                self.starting += max(need, 0)
                if not first:
                    self.replaced += max(need, 0)
            for w in [_Worker() for _ in range(max(need, 0))]:
                ok = False
                with contextlib.suppress(TimeoutError, EOFError, OSError, pickle.UnpicklingError):
                    ok = w.recv(READY_TIMEOUT_S) == ("ready",)
                with self.cond:
                    self.starting -= 1
                    if ok:
                        self.idle.append(w)
                        self.cond.notify_all()
                if not ok:
                    w.kill()
                    time.sleep(1.0)  # SymPy cannot start: do not spin
            if need > 0 or lost:
                first = False

    # --- jobs ----------------------------------------------------------------------------

    def acquire(self, timeout: float) -> _Worker | None:
        """A ready worker, or None if none became free within `timeout` seconds. A worker that
        died while idle is never handed out: it is dropped and replaced."""
        self.start()
        deadline = time.monotonic() + max(timeout, 0.0)
        with self.cond:
            while True:
                if self._prune():
                    self._wake.set()
                if self.idle:
                    self.busy += 1
                    return self.idle.pop()
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def release(self, worker: _Worker, healthy: bool) -> None:
        if healthy and worker.alive():
            with self.cond:
                self.busy -= 1
                self.idle.append(worker)
                self.cond.notify()
            return
        worker.kill()
        with self.cond:
            self.busy -= 1
        self._wake.set()  # the keeper starts a replacement now

    def close(self) -> None:
        with self.cond:
            idle, self.idle = self.idle, []
        for w in idle:
            w.kill()


POOL = WorkerPool()
