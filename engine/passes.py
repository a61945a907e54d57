"""The three passes over a graph: forward values, reverse adjoints, forward-mode tangents.

Each is a flat loop in topological order (or its reverse): no recursion, so a 100,000-deep
chain is as easy as a short one. Both AD modes read the same `Op.partials`, in two steps:

1. Local derivatives. d target / d source on an edge depends on forward values only, so every
   edge's is computed before any adjoint moves: one rule call per edge for a small graph (in
   the same loop as step 2: grad[target] is final when its edges come); for a big one, each
   (op, argument) rule runs once on numpy vectors of all its edges, since the rules are
   written for arrays.
2. Accumulation. grad[source] += local × grad[target], edge by edge, latest target first: a
   loop with no calls and nothing allocated but the floats (forward mode sums local × tangent).
   A deep big graph has the same sums formed node by node, partly in numpy (`engine.sweep`).

With `trace=True` a pass keeps what a viewer needs: each edge's local derivative and
contribution (a small graph's reverse pass keeps only the graph and forward values, and runs
again, recording, when its trace is first read: the same calls on the same floats). Per-edge
lists and `events` (tuples, see `engine.trace` for their meaning and JSON form) are made
from those numbers when first read: the running sums they show are replayed in the pass's
own order, so they are bit for bit the sums the pass formed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from .errors import ExpressionError
from .graph import Graph
from .ops import SCALAR, SCALAR_ERRORS, numpy_rule
from .sweep import Sweep, accumulate

# Trace event tags (the first item of each recorded tuple).
EVALUATE, SEED, VISIT, LOCAL, CONTRIBUTE, ACCUMULATE, TERM, TANGENT = (
    "evaluate", "seed", "visit", "local", "contribute", "accumulate", "term", "tangent")

#: Below this many edges the forward and reverse passes loop over the graph directly and keep
#: no plan: for a graph a person types, building the plan costs as much as the passes.
SMALL_EDGES = 64
#: From this many edges, local derivatives are computed with numpy (a few microseconds per
#: op present, then a few nanoseconds per edge); below, one rule call per edge.
NUMPY_EDGES = 400
#: Adjoints are accumulated with numpy when the plan's edges fall into runs this long on
#: average (a wide graph, such as a sum of many terms); otherwise by the Python loop.
NUMPY_RUN = 32


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


class Forward:
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

    def __eq__(self, other: object) -> bool:  # as the dataclass it was: field by field
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        v, f, e = self._fields()
        return f"Forward(values={v!r}, first_nonfinite={f!r}, events={e!r})"


class Reverse:
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
            record = self._record = (graph, *_pass_edges(graph), local, contrib)
        return record  # type: ignore[return-value]

    def _release(self) -> None:
        # Once all three are made the record is not needed (the events hold what they need
        # until their list is made); dropping it frees the per-edge lists of a big graph.
        if self._local is not _LATER and self._contrib is not _LATER and self._events is not _LATER:
            self._record = None

    @property
    def edge_local(self) -> list[float | None] | None:
        if self._local is _LATER:
            graph, _, _, _, edge_ids, local, _ = self._ordered()
            self._local = _spread(graph, edge_ids, local)
            self._release()
        return self._local

    @edge_local.setter
    def edge_local(self, xs: list[float | None] | None) -> None:
        self._local = xs

    @property
    def edge_contribution(self) -> list[float | None] | None:
        if self._contrib is _LATER:
            graph, _, _, _, edge_ids, _, contrib = self._ordered()
            self._contrib = _spread(graph, edge_ids, contrib)
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

    def __eq__(self, other: object) -> bool:  # as the dataclass it was: field by field
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

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


# --- what the passes precompute once per graph -----------------------------------------------

class Plan:
    """A graph flattened for the passes' loops; built on first use and kept on the graph.

    Forward: the op nodes in order with their forward rule and arguments (`arg1` is -1 for
    one argument), and the constants. Reverse: the edges whose source needs a gradient, in the
    order the reverse pass visits them (target descending, argument index ascending), as
    parallel lists; with their partial rules per edge for a small graph, or grouped by
    (op, argument) as numpy index arrays for a big one, which accumulates by runs of edges
    (`runs`, a wide graph) or node by node (`sweep`, a deep one).
    """

    __slots__ = ("arg0", "arg1", "argpos", "consts", "fns", "groups", "op_nodes", "rules", "runs",
                 "sources", "sweep", "targets")

    def __init__(self, graph: Graph) -> None:
        ops, inputs, leaf, needs = graph.ops, graph.inputs, graph.leaf, graph.needs_grad
        # Node ids above 256 are 32-byte objects: reuse those the graph holds in its input
        # tuples rather than make a second set (a third of the plan's memory otherwise).
        node: Sequence[int] = range(len(ops))
        if len(ops) > 256:
            node = list(node)
            for args in inputs:
                for s in args:
                    node[s] = s
        self.consts: list[tuple[int, float]] = []
        self.op_nodes: list[int] = []
        self.fns: list[Callable] = []
        self.arg0: list[int] = []
        self.arg1: list[int] = []
        for i, op in enumerate(ops):
            args = inputs[i]
            if op is None:
                if leaf[i].__class__ is not str:
                    self.consts.append((i, leaf[i]))  # type: ignore[arg-type]
                continue
            if len(args) > 2:
                raise NotImplementedError("ops of more than two arguments need a branch in forward()")
            self.op_nodes.append(node[i])
            self.fns.append(op.forward)
            self.arg0.append(args[0])
            self.arg1.append(args[1] if len(args) == 2 else -1)
        big = graph.n_edges >= NUMPY_EDGES
        sources: list[int] = []
        targets: list[int] = []
        argpos = bytearray()
        rules: list[tuple] = []  # (partial rule, target, first and second argument), small graphs
        for t in range(graph.output, -1, -1):
            op = ops[t]
            if op is None or not needs[t]:
                continue
            args = inputs[t]
            for k, s in enumerate(args):
                if needs[s]:
                    sources.append(s)
                    targets.append(node[t])
                    argpos.append(k)
                    if not big:
                        rules.append((op.partials[k], t, args[0], args[1] if len(args) == 2 else -1))
        self.sources, self.targets, self.argpos = sources, targets, bytes(argpos)
        self.rules: list[tuple] | None = None if big else rules
        self.groups: list[tuple] | None = None
        self.runs: tuple[list[int], np.ndarray, np.ndarray] | None = None
        self.sweep: Sweep | None = None  # a deep graph's accumulation (engine.sweep)
        if big:
            self.groups = _groups(graph, self)
            self.runs = _runs(sources, targets)
            if self.runs is None:
                self.sweep = Sweep(sources, targets, graph.var_nodes, len(ops), node)
                # The locals are written straight into the places the sweep reads them from.
                self.groups = [(rule, self.sweep.place[pos].astype(np.intp), *rest)
                               for rule, pos, *rest in self.groups]


def _groups(graph: Graph, plan: Plan) -> list[tuple]:
    """(rule, positions in the edge lists, target nodes, first and second arguments) per
    (op, argument index), as numpy index arrays (of numpy's own index type, which indexing
    would otherwise convert to on every pass). A rule whose value is a constant (d(a+b)/da is
    1.0) comes as (the constant, positions, None, None, None): nothing to read or call."""
    n, ops = len(graph.ops), graph.ops
    ids = [id(ops[i]) for i in plan.op_nodes]  # ops are not hashable; one object per op
    distinct = list(dict.fromkeys(ids))
    table = [ops[plan.op_nodes[ids.index(d)]] for d in distinct]
    number = {d: j for j, d in enumerate(distinct)}
    m = len(plan.op_nodes)
    at = np.fromiter(plan.op_nodes, np.intp, m)
    code, arg0, arg1 = (np.full(n, -1, dtype=np.int32) for _ in range(3))
    code[at] = np.fromiter(map(number.__getitem__, ids), np.int32, m)
    arg0[at] = np.fromiter(plan.arg0, np.int32, m)
    arg1[at] = np.fromiter(plan.arg1, np.int32, m)
    t = np.fromiter(plan.targets, np.int32, len(plan.targets))
    # One key per (op, argument); a stable sort (a radix sort on 16 bits) keeps each group's
    # edges in plan order.
    key = (code[t] * 2 + np.frombuffer(plan.argpos, dtype=np.uint8)).astype(
        np.int16 if len(table) < 2**14 else np.int32)
    order = np.argsort(key, kind="stable").astype(np.int32)
    groups = []
    probe = np.array([0.5, 1.5])
    for pos in np.split(order, np.flatnonzero(np.diff(key[order])) + 1) if len(order) else []:
        op, k = table[key[pos[0]] // 2], key[pos[0]] % 2
        rule = op.partials[k]  # type: ignore[union-attr]
        with np.errstate(all="ignore"):
            value = rule(np, *[probe] * (1 + op.arity))  # type: ignore[union-attr]
        if np.ndim(value) == 0:  # a rule that gives a scalar for arrays reads none of them
            groups.append((value, pos.astype(np.intp), None, None, None))
            continue
        tt = t[pos]
        groups.append((rule, pos.astype(np.intp), tt.astype(np.intp), arg0[tt].astype(np.intp),
                       arg1[tt].astype(np.intp) if op.arity == 2 else None))  # type: ignore[union-attr]
    return groups


def _runs(sources: list[int], targets: list[int]) -> tuple[list[int], np.ndarray, np.ndarray] | None:
    """Where the edges split into runs in which no edge adds to a grad that a later edge of the
    same run reads: each run's contributions can then be computed at once. The run starts,
    and the sources and targets as numpy arrays; None when the runs are short (a deep graph)."""
    starts, written = [0], set()
    for e, (s, t) in enumerate(zip(sources, targets)):
        if t in written:
            if len(starts) * NUMPY_RUN > e + 1024:  # clearly short runs: a deep graph
                return None
            starts.append(e)
            written = set()
        written.add(s)
    starts.append(len(sources))
    if len(sources) < NUMPY_RUN * (len(starts) - 1):
        return None
    return starts, np.array(sources, dtype=np.int32), np.array(targets, dtype=np.int32)


def prepare(graph: Graph) -> Plan:
    """The graph's plan, built once (the first pass does this; call it to do so up front)."""
    plan = graph._plan
    if plan is None:
        plan = graph._plan = Plan(graph)
    return plan


def edge_locals(graph: Graph, values: list[float], plan: Plan | None = None) -> list[float]:
    """d target / d source for the plan's edges (those whose source needs a gradient), in the
    plan's order: step 1 of both AD modes."""
    plan = plan or prepare(graph)
    if plan.groups is not None:
        return _in_plan_order(plan, _numpy_locals(plan, values)).tolist()
    S = SCALAR
    try:
        return [rule(S, values[t], values[a]) if b < 0 else rule(S, values[t], values[a], values[b])
                for rule, t, a, b in plan.rules]  # type: ignore[union-attr]
    except SCALAR_ERRORS:  # a domain edge somewhere (log 0, 1/0): edge by edge, with numpy there
        return [_local(graph, values, t, k) for t, k in zip(plan.targets, plan.argpos)]


def _numpy_locals(plan: Plan, values: list[float]) -> np.ndarray:
    """The locals in the plan's order, or for a deep graph in its sweep's (see `_in_plan_order`)."""
    v = np.fromiter(values, np.float64, len(values))
    # A sweep's places that hold no local hold 1.0 (see engine.sweep.Sweep).
    out = np.empty(len(plan.sources)) if plan.sweep is None else np.ones(plan.sweep.size)
    with np.errstate(all="ignore"):  # inf and nan are results here, as in the scalar rules
        for rule, pos, t, a, b in plan.groups:  # type: ignore[union-attr]
            if t is None:  # a constant (see _groups)
                out[pos] = rule
            else:
                out[pos] = rule(np, v[t], v[a]) if b is None else rule(np, v[t], v[a], v[b])
    return out


def _in_plan_order(plan: Plan, local: np.ndarray) -> np.ndarray:
    return local if plan.sweep is None else local[plan.sweep.place]


def _local(graph: Graph, values: list[float], t: int, k: int) -> float:
    """d t / d (its k-th input), with Python floats."""
    rule = graph.ops[t].partials[k]  # type: ignore[union-attr]
    args = graph.inputs[t]
    try:
        if len(args) == 2:
            return float(rule(SCALAR, values[t], values[args[0]], values[args[1]]))
        return float(rule(SCALAR, values[t], values[args[0]]))
    except SCALAR_ERRORS:  # a domain edge: numpy gives the IEEE inf or nan
        return numpy_rule(rule, values[t], *[values[j] for j in args])


def _first_nonfinite(xs: list[float], order: range) -> int | None:
    # One C-level sum answers "all finite?" in the common case; only then scan.
    if math.isfinite(sum(xs)):
        return None
    for i in order:
        if not math.isfinite(xs[i]):
            return i
    return None


def _edge_ids(graph: Graph, targets: Sequence[int], argpos: Sequence[int]) -> list[int]:
    """The ids of the edges given by target and argument index (the plan's edges)."""
    first = graph.edge_ids()  # edges are numbered by target, then argument
    return [first[t] + k for t, k in zip(targets, argpos)]


def _spread(graph: Graph, edge_ids: list[int], xs: list[float]) -> list[float | None]:
    """Per-edge numbers spread over all edges by id (None on edges whose source needs no
    gradient)."""
    out: list[float | None] = [None] * graph.n_edges
    for e, x in zip(edge_ids, xs):
        out[e] = x
    return out


# --- forward ----------------------------------------------------------------------------------

def leaf_values(graph: Graph, values: Mapping[str, float]) -> dict[str, float]:
    """Each variable's value as a float; a missing one is an error that names it."""
    out = {}
    for name in graph.variables:
        if name not in values:
            raise _missing(name)
        out[name] = _real(name, values[name], "value")
    return out


def _missing(name: str) -> ExpressionError:
    return ExpressionError(f"no value given for the variable '{name}'", code="missing_value",
                           text=name)


def _real(name: str, v: object, what: str) -> float:
    """Any real number (int, float, numpy scalar; not a bool) as a float64."""
    if v.__class__ is float:
        return v  # type: ignore[return-value]
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise ExpressionError(f"the {what} of '{name}' must be a number, not {v!r}",
                              code="invalid_value", text=name)
    try:
        return float(v)
    except OverflowError:
        raise ExpressionError(f"the {what} of '{name}' is too large for a float64 (at most about "
                              f"1.8e308)", code="invalid_value", text=name) from None


def forward(graph: Graph, values: Mapping[str, float], trace: bool = False) -> Forward:
    """Every node's value, in topological order."""
    if graph.n_edges < SMALL_EDGES:
        return Forward(_small_forward(graph, values), _LATER, _LATER if trace else None)
    env = leaf_values(graph, values)
    plan = prepare(graph)
    vals = [0.0] * len(graph.ops)
    for i, v in plan.consts:
        vals[i] = v
    for name, i in zip(graph.variables, graph.var_nodes):
        vals[i] = env[name]
    S = SCALAR
    for i, f, a, b in zip(plan.op_nodes, plan.fns, plan.arg0, plan.arg1):
        try:
            vals[i] = f(S, vals[a]) if b < 0 else f(S, vals[a], vals[b])
        except SCALAR_ERRORS:  # a domain edge (log 0, 1/0): numpy gives inf or nan
            vals[i] = numpy_rule(f, vals[a]) if b < 0 else numpy_rule(f, vals[a], vals[b])
    return Forward(vals, _first_nonfinite(vals, range(len(vals))), _forward_events(vals) if trace else None)


def _small_forward(graph: Graph, values: Mapping[str, float]) -> list[float]:
    """forward()'s values without a plan: the same calls on the same floats. Variables are
    checked as leaf_values() checks them, in the same order (node order), so the same error."""
    vals: list[float] = []
    put = vals.append  # node i is the i-th value put
    S = SCALAR
    for op, args, x in zip(graph.ops, graph.inputs, graph.leaf):
        if op is None:
            if x.__class__ is str:  # a variable, else a constant (already a float)
                if x not in values:
                    raise _missing(x)  # type: ignore[arg-type]
                v = values[x]  # type: ignore[index]
                put(v if v.__class__ is float else _real(x, v, "value"))  # type: ignore[arg-type]
            else:
                put(x)  # type: ignore[arg-type]
            continue
        f, n = op.forward, len(args)
        try:
            if n == 1:
                put(f(S, vals[args[0]]))
            elif n == 2:
                put(f(S, vals[args[0]], vals[args[1]]))
            else:
                raise NotImplementedError("ops of more than two arguments need a branch in forward()")
        except SCALAR_ERRORS:  # a domain edge (log 0, 1/0): numpy gives inf or nan
            put(numpy_rule(f, *[vals[a] for a in args]))
    return vals


def _forward_events(values: list[float]) -> Events:
    # Made here, not in forward(): a closure there would turn its loop's `vals` into a cell.
    return Events(lambda: [(EVALUATE, i, v) for i, v in enumerate(values)])


# --- reverse ----------------------------------------------------------------------------------

def reverse(graph: Graph, fwd: Forward, trace: bool = False) -> Reverse:
    """Adjoints d output / d node: seed 1 at the output, then push back edge by edge.

    For each node, latest first, and each input that needs a gradient:
    local = d node / d input (the op's partial rule), contribution = local × grad[node],
    grad[input] += contribution. Gradients are accumulated, never assigned, so fan-out
    (x used three times) sums its three contributions.
    """
    n, out = len(graph.ops), graph.output
    if graph.n_edges < SMALL_EDGES:
        return _small_reverse(graph, fwd.values, trace)
    plan = prepare(graph)
    if plan.groups is None:  # Python floats throughout
        local = edge_locals(graph, fwd.values, plan)
        grads = _accumulate(plan, local, n, out)
    else:
        local_np = _numpy_locals(plan, fwd.values)
        if plan.runs is None:  # a deep graph
            grads = accumulate(plan.sweep, local_np, n, out)  # type: ignore[arg-type]
        else:
            grads = _accumulate_runs(plan.runs, local_np, n, out)
        if trace:
            local_np = _in_plan_order(plan, local_np)
        local = local_np.tolist() if trace else []
    first = _first_nonfinite(grads, range(out, -1, -1))
    if not trace:
        return Reverse(grads, first)
    if plan.groups is None:
        contrib = [loc * grads[t] for t, loc in zip(plan.targets, local)]
    else:
        with np.errstate(all="ignore"):
            contrib = (local_np * np.array(grads)[np.array(plan.targets, dtype=np.intp)]).tolist()
    edge_ids = _edge_ids(graph, plan.targets, plan.argpos)
    return _traced(graph, grads, first, plan.sources, plan.targets, plan.argpos, edge_ids, local,
                   contrib)


def _traced(graph: Graph, grads: list[float], first: int | None, sources: Sequence[int],
            targets: Sequence[int], argpos: Sequence[int], edge_ids: list[int], local: list[float],
            contrib: list[float]) -> Reverse:
    """A traced Reverse from the edges that carry a gradient, in the pass's order (its per-edge
    lists and events are made when first read)."""
    return Reverse(grads, first, _LATER, _LATER, _LATER,
                   (graph, sources, targets, argpos, edge_ids, local, contrib))


def _small_reverse(graph: Graph, values: list[float], trace: bool) -> Reverse:
    """reverse() without a plan."""
    if not trace:
        return Reverse(_small_grads(graph, values))
    return _small_results(graph, values, *_small_traced(graph, values), True)[1]


def _small_traced(graph: Graph, values: list[float]) -> tuple[list[float], tuple]:
    """The small reverse pass with its trace recorded: adjoints, and the record a traced
    Reverse keeps: (graph, locals, contributions) in the pass's order (its edges, which
    depend on the graph alone, are listed by _pass_edges when the trace is first read)."""
    local: list[float] = []
    contrib: list[float] = []
    return _small_grads(graph, values, local, contrib), (graph, local, contrib)


def _pass_edges(graph: Graph) -> tuple[list[int], list[int], list[int], list[int]]:
    """The edges the reverse pass reads, in its order (targets latest first, arguments in
    order; only sources that need a gradient): sources, targets, argument indices, edge ids."""
    ops, inputs, needs = graph.ops, graph.inputs, graph.needs_grad
    first = graph.edge_ids()
    sources: list[int] = []
    targets: list[int] = []
    argpos: list[int] = []
    edge_ids: list[int] = []
    for t in range(graph.output, -1, -1):
        if ops[t] is None or not needs[t]:
            continue
        for k, s in enumerate(inputs[t]):
            if needs[s]:
                sources.append(s)
                targets.append(t)
                argpos.append(k)
                edge_ids.append(first[t] + k)
    return sources, targets, argpos, edge_ids


def _small_results(graph: Graph, values: list[float], grads: list[float], record: tuple | None,
                   trace: bool) -> tuple[Forward, Reverse]:
    """What forward() and reverse() give for a small graph's values, adjoints and record."""
    if not trace:
        return Forward(values), Reverse(grads)
    return Forward(values, _LATER, _LATER), Reverse(grads, _LATER, _LATER, _LATER, _LATER, record)


def _small_grads(graph: Graph, values: list[float], local: list[float] | None = None,
                 contrib: list[float] | None = None) -> list[float]:
    """reverse()'s adjoints without a plan: the same edges in the same order, the same rule
    calls and sums, so the same floats bit for bit. One loop: each edge's local derivative is
    taken and added in at once, as grads[t] is final when t's edges come (t's consumers all
    came first).

    With `local` and `contrib` (lists), each edge's local derivative and contribution are
    appended to them in the pass's order: the trace's record (see _small_traced).
    """
    ops, inputs, needs, out = graph.ops, graph.inputs, graph.needs_grad, graph.output
    grads = [0.0] * len(ops)
    grads[out] = 1.0
    S = SCALAR
    for t in range(out, -1, -1):  # targets latest first, arguments in order
        op = ops[t]
        if op is None or not needs[t]:
            continue
        args, v, g = inputs[t], values[t], grads[t]
        if len(args) == 1:  # t needs a gradient, so its one input does too
            a = args[0]
            rule = op.partials[0]
            try:
                loc = rule(S, v, values[a])
            except SCALAR_ERRORS:  # a domain edge: numpy gives the IEEE inf or nan
                loc = numpy_rule(rule, v, values[a])
            c = loc * g
            grads[a] += c
            if local is not None:
                local.append(loc)
                contrib.append(c)  # type: ignore[union-attr]
            continue
        a, b = args  # forward() turned away ops of more arguments
        va, vb = values[a], values[b]
        if needs[a]:
            rule = op.partials[0]
            try:
                loc = rule(S, v, va, vb)
            except SCALAR_ERRORS:
                loc = numpy_rule(rule, v, va, vb)
            c = loc * g
            grads[a] += c
            if local is not None:
                local.append(loc)
                contrib.append(c)  # type: ignore[union-attr]
        if needs[b]:
            rule = op.partials[1]
            try:
                loc = rule(S, v, va, vb)
            except SCALAR_ERRORS:
                loc = numpy_rule(rule, v, va, vb)
            c = loc * g
            grads[b] += c
            if local is not None:
                local.append(loc)
                contrib.append(c)  # type: ignore[union-attr]
    return grads


def _accumulate(plan: Plan, local: Sequence[float], n: int, out: int) -> list[float]:
    grads = [0.0] * n
    grads[out] = 1.0
    # Targets come latest first, so grads[t] is final when its edges are read.
    for s, t, loc in zip(plan.sources, plan.targets, local):
        grads[s] += loc * grads[t]
    return grads


def _accumulate_runs(runs: tuple[list[int], np.ndarray, np.ndarray], local: np.ndarray, n: int,
                     out: int) -> list[float]:
    """The same sums for a wide graph, two numpy calls per run of edges (see `_runs`):
    np.add.at adds in the edges' order, so each sum is formed exactly as `_accumulate` forms it."""
    starts, sources, targets = runs
    grads = np.zeros(n)
    grads[out] = 1.0
    with np.errstate(all="ignore"):
        for a, b in pairwise(starts):
            np.add.at(grads, sources[a:b], local[a:b] * grads[targets[a:b]])
    return grads.tolist()


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


# --- forward mode -----------------------------------------------------------------------------

def direction_of(graph: Graph, tangent: str | Mapping[str, float]) -> dict[str, float]:
    """A variable name means the unit direction along it; a mapping gives a direction."""
    if isinstance(tangent, str):
        tangent = {tangent: 1.0}
    out = {}
    for name, v in tangent.items():
        if name not in graph.variables:
            raise ExpressionError(f"'{name}' is not a variable of this expression "
                                  f"(its variables: {', '.join(graph.variables) or 'none'})",
                                  code="unknown_variable", text=name)
        v = _real(name, v, "tangent")
        if not math.isfinite(v):
            raise ExpressionError(f"the tangent of '{name}' must be a finite number, not {v!r}",
                                  code="invalid_value", text=name)
        out[name] = v
    return out


def tangent(graph: Graph, fwd: Forward, direction: str | Mapping[str, float],
            trace: bool = False) -> Tangents:
    """Forward mode: d node / d direction for every node, in one topological sweep.

    tangent[node] = sum over inputs k of partial_k × tangent[input k], with the same local
    derivatives the reverse pass uses. Nodes that do not depend on the seeded inputs keep 0.
    """
    seed = direction_of(graph, direction)
    plan = prepare(graph)
    local = _spread(graph, _edge_ids(graph, plan.targets, plan.argpos), edge_locals(graph, fwd.values, plan))
    ops, inputs, leaf = graph.ops, graph.inputs, graph.leaf
    n = len(ops)
    tans = [0.0] * n
    dep = bytearray(n)
    first_edge = graph.edge_ids()
    terms: list[float | None] | None = [None] * graph.n_edges if trace else None
    events: list[tuple] | None = [] if trace else None
    for i in range(n):
        if ops[i] is None:
            name = leaf[i]
            if name.__class__ is str and name in seed:
                tans[i] = seed[name]  # type: ignore[index]
                dep[i] = 1
                if events is not None:
                    events.append((SEED, i, tans[i]))
            continue
        t = 0.0
        for k, s in enumerate(inputs[i]):
            if not dep[s]:
                continue
            dep[i] = 1
            e = first_edge[i] + k
            loc: Any = local[e]  # None only past the output (a graph built without pruning)
            if loc is None:
                loc = local[e] = _local(graph, fwd.values, i, k)
            term = loc * tans[s]
            t += term
            if events is not None:
                terms[e] = term  # type: ignore[index]
                events.append((LOCAL, e, s, i, k, loc))
                events.append((TERM, e, s, i, term))
        if dep[i]:
            tans[i] = t
            if events is not None:
                events.append((TANGENT, i, t))
    if not trace:
        return Tangents(seed, tans, dep)
    # Only the edges forward mode used keep their local derivative.
    used = [loc if term is not None else None for loc, term in zip(local, terms)]  # type: ignore[arg-type]
    return Tangents(seed, tans, dep, used, terms, events)


def _gradient_dict(graph: Graph, grads: list[float]) -> dict[str, float]:
    """d output / d variable for all variables, from the reverse pass's grads."""
    out = {}  # a plain loop: a comprehension costs a function call more, for a few names
    for name, i in zip(graph.variables, graph.var_nodes):
        out[name] = grads[i]
    return out


def gradient(graph: Graph, rev: Reverse, wrt: list[str] | None = None) -> dict[str, float] | list[float]:
    """d output / d variable: a dict over all variables, or a list in the order of `wrt`
    (repeats allowed, each gets its value, as torch.autograd.grad(f, (x, x)) gives two)."""
    if wrt is None:
        return _gradient_dict(graph, rev.grads)
    index = dict(zip(graph.variables, graph.var_nodes))
    found = []
    for name in wrt:
        if name not in index:
            raise ExpressionError(f"cannot differentiate with respect to '{name}': it is not a "
                                  f"variable of this expression (its variables: "
                                  f"{', '.join(graph.variables) or 'none'})",
                                  code="unknown_variable", text=name)
        found.append(rev.grads[index[name]])
    return found
