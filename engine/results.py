"""What the passes return, and how their traces are made when first read.

`Forward`, `Reverse` and `Tangents` hold a pass's numbers. With `trace=True` a pass keeps what
a viewer needs: each edge's local derivative and contribution, recorded as the pass forms
them (a small graph's reverse pass lists its edges from the graph only when the trace is
first read; see `engine.passes`). Per-edge lists and `events`
(tuples tagged EVALUATE, SEED, ...: see `engine.trace` for their meaning and JSON form) are
made from those numbers when first read: the running sums they show are replayed in the
pass's own order, so they are bit for bit the sums the pass formed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .graph import Graph

# Trace event tags (the first item of each recorded tuple).
EVALUATE, SEED, VISIT, LOCAL, CONTRIBUTE, ACCUMULATE, TERM, TANGENT = (
    "evaluate", "seed", "visit", "local", "contribute", "accumulate", "term", "tangent")


class Events(Sequence):
    """A pass's trace: its event tuples, made on first reading and kept."""

    __slots__ = ("_events", "_make")

    def __init__(self, make: Callable[[], list[tuple]]) -> None:
        self._make: Callable[[], list[tuple]] | None = make
        self._events: list[tuple] | None = None

    def _list(self) -> list[tuple]:
        if self._events is None:
            self._events = self._make()  # type: ignore[misc]
            self._make = None  # drop what it closed over
        return self._events

    def __len__(self) -> int:
        return len(self._list())

    def __getitem__(self, i):  # type: ignore[override]
        return self._list()[i]

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Events):
            other = other._list()
        return isinstance(other, list) and self._list() == other

    def __repr__(self) -> str:
        return f"Events({self._list()!r})"


class _Later:
    """The type of _LATER: one object, kept as itself through pickling and copying."""

    __slots__ = ()

    def __reduce__(self) -> str:
        return "_LATER"

    def __repr__(self) -> str:
        return "_LATER"


#: "Not worked out yet", for what a pass leaves to be made when first read (None is an answer).
_LATER: Any = _Later()


class FieldwiseEq:
    """Equal when of the same class with equal `_fields()`, and unhashable: as the dataclasses
    these result types were (slotted classes now, for what they make on first read)."""

    __slots__ = ()

    def _fields(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]


class Forward(FieldwiseEq):
    """A forward pass: `values`, every node's value in topological order; `first_nonfinite`,
    the first node whose value is inf or nan; `events`, the trace (None unless recorded).

    `first_nonfinite` and the events are worked out from `values` when first read, and kept:
    a pass that nobody inspects pays for neither.
    """

    __slots__ = ("_events", "_first", "values")

    def __init__(self, values: list[float], first_nonfinite: int | None = _LATER,
                 events: Sequence[tuple] | None = None) -> None:
        self.values = values
        self._first = first_nonfinite
        self._events = events  # _LATER: recorded, made on first read

    @property
    def first_nonfinite(self) -> int | None:
        if self._first is _LATER:
            self._first = _first_nonfinite(self.values, range(len(self.values)))
        return self._first

    @first_nonfinite.setter
    def first_nonfinite(self, i: int | None) -> None:
        self._first = i

    @property
    def events(self) -> Sequence[tuple] | None:
        if self._events is _LATER:
            self._events = _forward_events(self.values)
        return self._events

    @events.setter
    def events(self, events: Sequence[tuple] | None) -> None:
        self._events = events

    def _fields(self) -> tuple:
        return self.values, self.first_nonfinite, self.events

    def __repr__(self) -> str:
        v, f, e = self._fields()
        return f"Forward(values={v!r}, first_nonfinite={f!r}, events={e!r})"


class Reverse(FieldwiseEq):
    """A reverse pass: `grads`, d output / d node (meaningful where graph.needs_grad);
    `first_nonfinite`, the first node (in the reverse pass) whose adjoint is inf or nan.
    Recorded with the trace: `edge_local` (d target / d source) and `edge_contribution`
    (local × grad[target]) per edge id, None on edges whose source needs no gradient; `events`.

    A traced pass records its edges in its own order with their local derivatives and
    contributions (the trace's numbers); the per-edge lists by edge id and the events are
    made from that record when first read.
    """

    __slots__ = ("_contrib", "_events", "_first", "_local", "_record", "grads")

    def __init__(self, grads: list[float], first_nonfinite: int | None = _LATER,
                 edge_local: list[float | None] | None = None,
                 edge_contribution: list[float | None] | None = None,
                 events: Sequence[tuple] | None = None, _record: tuple | None = None) -> None:
        self.grads = grads
        self._first = first_nonfinite
        # _record: (graph, sources, targets, argpos, edge_ids, locals, contributions), the
        # edges in the pass's order, or a small pass's (graph, locals, contributions). With a
        # record, the three below are given as _LATER: made from it when first read.
        self._record = _record
        self._local, self._contrib, self._events = edge_local, edge_contribution, events

    @property
    def first_nonfinite(self) -> int | None:
        if self._first is _LATER:
            # From the last node down: those past the output (if any) keep 0.0, so this finds
            # the node the pass met first.
            grads = self.grads
            self._first = _first_nonfinite(grads, range(len(grads) - 1, -1, -1))
        return self._first

    @first_nonfinite.setter
    def first_nonfinite(self, i: int | None) -> None:
        self._first = i

    def _ordered(self) -> tuple:
        """graph, then the pass's edges in its order: sources, targets, argument indices, edge
        ids, locals, contributions."""
        record = self._record
        if len(record) == 3:  # type: ignore[arg-type]  # a small pass's: its edges listed now
            graph, local, contrib = record  # type: ignore[misc]
            sources, targets, argpos = _pass_edges(graph)
            record = self._record = (graph, sources, targets, argpos,
                                     _edge_ids(graph, targets, argpos), local, contrib)
        return record  # type: ignore[return-value]

    def _release(self) -> None:
        # Once all three are made the record is not needed (the events hold what they need
        # until their list is made); dropping it frees the per-edge lists of a big graph.
        if self._local is not _LATER and self._contrib is not _LATER and self._events is not _LATER:
            self._record = None

    def _by_edge_id(self, k: int) -> list[float | None]:
        """Item k of the record (5: locals, 6: contributions) spread over the edge ids."""
        record = self._ordered()
        return _spread(record[0], record[4], record[k])

    @property
    def edge_local(self) -> list[float | None] | None:
        if self._local is _LATER:
            self._local = self._by_edge_id(5)
            self._release()
        return self._local

    @edge_local.setter
    def edge_local(self, xs: list[float | None] | None) -> None:
        self._local = xs

    @property
    def edge_contribution(self) -> list[float | None] | None:
        if self._contrib is _LATER:
            self._contrib = self._by_edge_id(6)
            self._release()
        return self._contrib

    @edge_contribution.setter
    def edge_contribution(self, xs: list[float | None] | None) -> None:
        self._contrib = xs

    @property
    def events(self) -> Sequence[tuple] | None:
        if self._events is _LATER:
            ordered = self._ordered()
            self._events = Events(lambda: _reverse_events(*ordered))
            self._release()
        return self._events

    @events.setter
    def events(self, events: Sequence[tuple] | None) -> None:
        self._events = events

    def _fields(self) -> tuple:
        return self.grads, self.first_nonfinite, self.edge_local, self.edge_contribution, self.events

    def __repr__(self) -> str:
        g, f, loc, c, e = self._fields()
        return (f"Reverse(grads={g!r}, first_nonfinite={f!r}, edge_local={loc!r}, "
                f"edge_contribution={c!r}, events={e!r})")


@dataclass
class Tangents:
    direction: dict[str, float]
    tangents: list[float]  # d node / d direction
    depends: bytearray  # 1 where a node depends on the seeded inputs
    edge_local: list[float | None] | None = None
    edge_term: list[float | None] | None = None
    events: Sequence[tuple] | None = None


# --- what the results work out when first read ----------------------------------------------

def _first_nonfinite(xs: list[float], order: range) -> int | None:
    # One C-level sum answers "all finite?" in the common case; only then scan.
    if math.isfinite(sum(xs)):
        return None
    for i in order:
        if not math.isfinite(xs[i]):
            return i
    return None


def _spread(graph: Graph, edge_ids: list[int], xs: list[float]) -> list[float | None]:
    """Per-edge numbers spread over all edges by id (None on edges whose source needs no
    gradient)."""
    out: list[float | None] = [None] * graph.n_edges
    for e, x in zip(edge_ids, xs):
        out[e] = x
    return out


def _pass_edges(graph: Graph, node: Sequence[int] | None = None) -> tuple[list[int], list[int], bytearray]:
    """The edges the reverse pass reads, in its order (targets latest first, arguments in
    order; only sources that need a gradient): sources, targets, argument indices. `node`
    gives the int objects to use for targets (a plan shares the graph's own)."""
    ops, inputs, needs = graph.ops, graph.inputs, graph.needs_grad
    if node is None:
        node = range(len(ops))
    sources: list[int] = []
    targets: list[int] = []
    argpos = bytearray()
    for t in range(graph.output, -1, -1):
        if ops[t] is None or not needs[t]:
            continue
        for k, s in enumerate(inputs[t]):
            if needs[s]:
                sources.append(s)
                targets.append(node[t])
                argpos.append(k)
    return sources, targets, argpos


def _edge_ids(graph: Graph, targets: Sequence[int], argpos: Sequence[int]) -> list[int]:
    """The ids of the edges given by target and argument index (the pass's edges)."""
    first = graph.edge_ids()  # edges are numbered by target, then argument
    return [first[t] + k for t, k in zip(targets, argpos)]


def _forward_events(values: list[float]) -> Events:
    # A function of its own, not a lambda in forward(): a closure there would turn its loop's
    # `vals` into a cell.
    return Events(lambda: [(EVALUATE, i, v) for i, v in enumerate(values)])


def _reverse_events(graph: Graph, sources: Sequence[int], targets: Sequence[int],
                    argpos: Sequence[int], edge_ids: list[int], local: list[float],
                    contrib: list[float]) -> list[tuple]:
    """The reverse pass's events, replayed from its locals and contributions in its order."""
    out = graph.output
    events: list[tuple] = []
    running = [0.0] * len(graph.ops)
    if graph.needs_grad[out]:
        running[out] = 1.0
        events.append((SEED, out, 1.0))
    visiting = -1
    for s, t, k, e, loc, c in zip(sources, targets, argpos, edge_ids, local, contrib):
        if t != visiting:
            visiting = t
            events.append((VISIT, t, running[t]))  # final: all of t's consumers came first
        before = running[s]
        running[s] = before + c
        events.append((LOCAL, e, s, t, k, loc))
        events.append((CONTRIBUTE, e, s, t, c))
        events.append((ACCUMULATE, e, s, before, running[s]))
    return events

