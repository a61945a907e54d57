"""The one layout cache: layouts kept by the graph's structure (LRU), and for a while the
structures whose layout failed, so the same big graph with other values costs nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from .dot import DEFAULT_FANOUT_THRESHOLD, validate
from .errors import LayoutSkipped
from .graphviz import MEMORY_LIMIT_BYTES
from .layout import Layout, check_size, render_layout

__all__ = ["LayoutCache", "structure_key"]


def structure_key(nodes: Sequence[tuple[str, str, str]], edges: Sequence[tuple[str, str, int]]) -> str:
    """A digest of everything the layout's DOT is built from: ids, kinds and edges. Neither
    values nor labels reach it (nodes have fixed sizes, and the cache lays out with blank labels),
    so the same expression at another point, or with another constant or function in a node
    (2x -> 23x, sin -> cos, as one types), has the same key."""
    shape = [(node[0], node[2]) for node in nodes]
    try:
        blob = orjson.dumps((shape, edges))
    except orjson.JSONEncodeError:  # an id or kind that is no plain str (validate() refuses it)
        blob = json.dumps((shape, edges), default=repr).encode("ascii", "backslashreplace")
    return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class _Failure:
    skipped: LayoutSkipped  # never raised itself: see _copy
    until: float  # time.monotonic() after which the structure is tried again


def _copy(skipped: LayoutSkipped) -> LayoutSkipped:
    """A new LayoutSkipped saying the same. A remembered failure is raised as a copy, never
    itself: each raise appends the raising frames to an exception's traceback, and those frames
    hold every request's graph, which the cache would then keep alive, hit after hit."""
    return LayoutSkipped(skipped.reason, limit=skipped.limit, maximum=skipped.maximum,
                         actual=skipped.actual)


# Every cache's lock, renewed in a forked child: a lock another thread held at fork time
# would stay locked there forever. The cached layouts themselves stay valid.
_caches: weakref.WeakSet[LayoutCache] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for cache in list(_caches):
        cache._lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)


class LayoutCache:
    """Layouts by structure, with the bounds they are made under.

    `layout(nodes, edges)` returns the same Layout object for the same ids, labels, kinds and
    edges (at most `size` entries, least recently used dropped first). A layout that failed on
    time, memory or Graphviz's own limits is remembered as one of those entries for
    `failure_ttl_s` and raised again at once; only for graphs of at least `FAILURES_FROM_NODES`
    nodes (smaller ones lay out in milliseconds, so their failure says more about the load of
    the moment than about the graph). Over max_nodes nothing is stored: that check is cheaper
    than the key. Safe to share between threads.
    """

    FAILURES_FROM_NODES = 100

    def __init__(
        self,
        size: int = 256,
        *,
        timeout_s: float = 5.0,
        max_nodes: int = 3000,
        fanout_threshold: int | None = DEFAULT_FANOUT_THRESHOLD,
        memory_bytes: int = MEMORY_LIMIT_BYTES,
        failure_ttl_s: float = 60.0,
    ) -> None:
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size!r}")
        self.size = size
        self.timeout_s = timeout_s
        self.max_nodes = max_nodes
        self.fanout_threshold = fanout_threshold
        self.memory_bytes = memory_bytes
        self.failure_ttl_s = failure_ttl_s
        self._items: OrderedDict[str, Layout | _Failure] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = 0
        _caches.add(self)

    def layout(self, nodes: Sequence[tuple[str, str, str]], edges: Sequence[tuple[str, str, int]]) -> Layout:
        """drawing.layout.layout under this cache's bounds, cached by `structure_key`."""
        check_size(nodes, edges, self.max_nodes)
        # Every time, hit or miss: a hit may come with labels the cached layout never saw.
        validate(nodes, edges)
        key = structure_key(nodes, edges)
        hit = self._lookup(key)
        if isinstance(hit, _Failure):  # raised here: one frame of its own (see _copy)
            raise _copy(hit.skipped)
        return hit if hit is not None else self._make(key, nodes, edges)

    def layout_of(self, key: str, items: Callable[[], tuple[Sequence[tuple[str, str, str]],
                                                          Sequence[tuple[str, str, int]]]]) -> Layout:
        """The layout of the structure the caller knows by `key` (a digest of its ids, kinds and
        edges, made by the caller from data of its own, and never equal to a `structure_key`:
        prefix it), whose `items()` are the `nodes, edges` of `layout`, made and checked only
        when it is not cached. For the app, which asks for a layout with every /graph answer:
        on a hit, no items to make and check (a third of a 233-node answer's layout time)."""
        hit = self._lookup(key)
        if isinstance(hit, Layout):
            return hit
        nodes, edges = items()
        check_size(nodes, edges, self.max_nodes)
        validate(nodes, edges)
        if isinstance(hit, _Failure):
            raise _copy(hit.skipped)
        return self._make(key, nodes, edges)

    def _lookup(self, key: str) -> Layout | _Failure | None:
        with self._lock:
            hit = self._items.get(key)
            if isinstance(hit, _Failure) and time.monotonic() > hit.until:
                del self._items[key]  # expired: the failure may have been the load's
                hit = None
            if hit is not None:
                self._items.move_to_end(key)
                self._hits += 1
            else:
                self._misses += 1
            return hit

    def _make(self, key: str, nodes: Sequence[tuple[str, str, str]],
              edges: Sequence[tuple[str, str, int]]) -> Layout:
        """Lay out what is not cached, and keep it under `key` (a big one's failure too)."""
        try:
            # Blank labels: the layout is then made of what the key holds and nothing else
            # (with fixed node sizes Graphviz places nodes the same whatever their labels).
            blank = [(node_id, "", kind) for node_id, _, kind in nodes]
            result = render_layout(blank, edges, timeout_s=self.timeout_s,
                                   fanout_threshold=self.fanout_threshold, memory_bytes=self.memory_bytes)
        except LayoutSkipped as skipped:
            if len(nodes) >= self.FAILURES_FROM_NODES:
                self._put(key, _Failure(_copy(skipped), time.monotonic() + self.failure_ttl_s))
            raise
        kept = self._put(key, result)
        assert isinstance(kept, Layout)  # a layout replaces a failure, never the other way
        return kept

    def _put(self, key: str, entry: Layout | _Failure) -> Layout | _Failure:
        with self._lock:
            # Two threads may have computed the same layout; keep the first so callers keep
            # getting one object.
            kept = self._items.get(key)
            if not isinstance(kept, Layout):
                self._items[key] = kept = entry
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return kept

    def info(self) -> dict[str, int]:
        """Hits, misses, entries (`size`, of which `failures`) and capacity (`maxsize`)."""
        with self._lock:
            failures = sum(isinstance(v, _Failure) for v in self._items.values())
            return {"hits": self._hits, "misses": self._misses, "size": len(self._items),
                    "failures": failures, "maxsize": self.size}

    def clear(self) -> None:
        """Forget every entry and reset the counters."""
        with self._lock:
            self._items.clear()
            self._hits = self._misses = 0
