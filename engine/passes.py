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

A graph of fewer than SMALL_EDGES edges is passed over directly, here; a bigger one through
its plan (`engine.plan`: how a big graph's locals and sums are formed). What the passes
return, and how their traces are made when first read, is in `engine.results`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .errors import ExpressionError
from .graph import Graph
from .ops import SCALAR, SCALAR_ERRORS, numpy_rule
from .plan import _accumulate, _accumulate_runs, _in_plan_order, _local, _numpy_locals, edge_locals, prepare
from .results import (
    _LATER,
    ACCUMULATE,
    CONTRIBUTE,
    EVALUATE,
    LOCAL,
    SEED,
    TANGENT,
    TERM,
    VISIT,
    Events,
    Forward,
    Reverse,
    Tangents,
    _edge_ids,
    _first_nonfinite,
    _forward_events,
    _spread,
)
from .sweep import accumulate

# The passes; and, re-exported for the modules, tests and benchmarks that import them from here
# (they were defined here before engine.results and engine.plan were split out): what the passes
# return, the trace's tags, and prepare.
__all__ = [
    "ACCUMULATE", "CONTRIBUTE", "EVALUATE", "LOCAL", "SEED", "SMALL_EDGES", "TANGENT", "TERM",
    "VISIT", "Events", "Forward", "Reverse", "Tangents", "direction_of", "forward", "gradient",
    "leaf_values", "prepare", "reverse", "tangent",
]

#: Below this many edges the forward and reverse passes loop over the graph directly and keep
#: no plan: for a graph a person types, building the plan costs as much as the passes.
SMALL_EDGES = 64


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
        # The two inputs written out, not looped over: a loop costs this pass a fifth more.
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
