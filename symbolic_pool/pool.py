"""A small pool of warm SymPy worker processes (`python -m symbolic_pool.worker`, SymPy already
imported), one job at a time each, talking in length-prefixed pickles over pipes; a worker still
busy when its caller gives up is killed and replaced."""

from __future__ import annotations

import os
import pickle
import queue
import select
import subprocess
import sys
import threading


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
        self.proc.kill()
        self.proc.wait(timeout=5)
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                f.close()


class WorkerPool:
    """At most `size` warm workers; a job waits for a free one within its own budget."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self.idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self.lock = threading.Lock()
        self.started = 0

    def warm(self) -> None:
        """Start the workers now, so the first request does not wait for SymPy's import."""
        with self.lock:
            while self.started < self.size:
                self.started += 1
                self.idle.put(_Worker())

    def acquire(self, timeout: float) -> _Worker | None:
        with self.lock:
            if self.idle.empty() and self.started < self.size:
                self.started += 1
                return _Worker()
        try:
            return self.idle.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None

    def release(self, worker: _Worker, healthy: bool) -> None:
        if healthy and worker.proc.poll() is None:
            self.idle.put(worker)
            return
        worker.kill()
        with self.lock:
            self.started -= 1

    def close(self) -> None:
        while not self.idle.empty():
            self.release(self.idle.get(), healthy=False)


POOL = WorkerPool()
