"""The passes' strategy for a big graph: its `Plan`, the graph flattened once for their loops.

From SMALL_EDGES edges (see `engine.passes`) the forward and reverse passes read the graph's
plan, built on first use and kept on the graph; forward mode reads it at any size. The two
steps of AD, as the plan has them formed:

1. Local derivatives (`edge_locals`, both AD modes). d target / d source on an edge depends on
   forward values only, so every edge's is computed before any adjoint moves: one rule call
   per edge below NUMPY_EDGES edges; from there, each (op, argument) rule runs once on numpy
   vectors of all its edges, since the rules are written for arrays.
2. Accumulation (the reverse pass). grad[source] += local × grad[target], edge by edge, latest
   target first: a loop with no calls and nothing allocated but the floats (`_accumulate`).
   From NUMPY_EDGES edges, a wide graph (runs of NUMPY_RUN independent edges on average) has
   each run's sums formed at once with numpy (`_accumulate_runs`); a deep one has the same
   sums formed node by node, partly in numpy (`engine.sweep`).
"""

from __future__ import annotations

import dis
from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np

from .graph import Graph
from .ops import SCALAR, SCALAR_ERRORS, numpy_rule
from .results import _pass_edges
from .sweep import Sweep

#: From this many edges, local derivatives are computed with numpy (a few microseconds per
#: op present, then a few nanoseconds per edge); below, one rule call per edge.
NUMPY_EDGES = 400
#: Adjoints are accumulated with numpy when the plan's edges fall into runs this long on
#: average (a wide graph, such as a sum of many terms); otherwise by the Python loop.
NUMPY_RUN = 32


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
        ops, inputs, leaf = graph.ops, graph.inputs, graph.leaf
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
        sources, targets, argpos = _pass_edges(graph, node)
        self.sources, self.targets, self.argpos = sources, targets, bytes(argpos)
        # (partial rule, target, first and second argument) per edge, for a small graph.
        rules = None if big else [
            (ops[t].partials[k], t, inputs[t][0], inputs[t][1] if len(inputs[t]) == 2 else -1)  # type: ignore[union-attr]
            for t, k in zip(targets, argpos)]
        self.rules: list[tuple] | None = rules
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
    """(rule, positions in the edge lists, index) per (op, argument index): index holds the
    target nodes and the op's arguments whose values the rule reads, as numpy index arrays
    (of numpy's own index type, which indexing would otherwise convert to on every pass), and
    None for a value it does not read. A rule whose value is a constant (d(a+b)/da is 1.0)
    comes as (the constant, positions, None): nothing to read or call."""
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
            groups.append((value, pos.astype(np.intp), None))
            continue
        tt = t[pos]
        index = [tt, arg0[tt], arg1[tt]][:1 + op.arity]  # type: ignore[union-attr]
        # A value the rule does not read is not gathered (mul's d/da reads b alone).
        groups.append((rule, pos.astype(np.intp), tuple(
            i.astype(np.intp) if r else None for i, r in zip(index, _reads(rule, len(index))))))
    return groups


def _reads(rule: Callable, n: int) -> tuple[bool, ...]:
    """Which of its n value arguments (out, then the op's) a rule's code reads: all of them
    unless it is Python code that never loads one (as a lambda that ignores `out`)."""
    code = getattr(rule, "__code__", None)
    if code is None or code.co_argcount != n + 1:
        return (True,) * n
    loads = {i.argval for i in dis.get_instructions(code) if i.opname.startswith("LOAD_")}
    return tuple(name in loads or name in code.co_cellvars for name in code.co_varnames[1:n + 1])


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
        for rule, pos, index in plan.groups:  # type: ignore[union-attr]
            if index is None:  # a constant (see _groups)
                out[pos] = rule
            else:
                out[pos] = rule(np, *[None if i is None else v[i] for i in index])
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


# --- accumulation ---------------------------------------------------------------------------

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

