"""The three passes over a graph: forward values, reverse adjoints, forward-mode tangents.

Each is one flat loop in topological order (or its reverse): no recursion, so a
100,000-deep chain is as easy as a short one. Both AD modes read the same `Op.partials`.
With `trace=True` a pass also records, as plain tuples, every step a viewer can replay
(see `engine.trace` for their meaning and their JSON form); without it the loops do no
bookkeeping beyond the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ExpressionError
from .graph import Graph
from .ops import SCALAR, SCALAR_ERRORS, numpy_rule

# Trace event tags (the first item of each recorded tuple).
EVALUATE, SEED, VISIT, LOCAL, CONTRIBUTE, ACCUMULATE, TERM, TANGENT = (
    "evaluate", "seed", "visit", "local", "contribute", "accumulate", "term", "tangent")


@dataclass
class Forward:
    values: list[float]
    first_nonfinite: int | None  # first node (topological order) whose value is inf or nan
    events: list[tuple] | None = None


@dataclass
class Reverse:
    grads: list[float]  # d output / d node; meaningful where graph.needs_grad
    first_nonfinite: int | None  # first node (in the reverse pass) whose adjoint is inf or nan
    edge_local: list[float | None] | None = None  # d target / d source per edge, when recorded
    edge_contribution: list[float | None] | None = None
    events: list[tuple] | None = None


@dataclass
class Tangents:
    direction: dict[str, float]
    tangents: list[float]  # d node / d direction
    depends: bytearray  # 1 where a node depends on the seeded inputs
    edge_local: list[float | None] | None = None
    edge_term: list[float | None] | None = None
    events: list[tuple] | None = None


def _first_nonfinite(xs: list[float], order: range) -> int | None:
    # One C-level sum answers "all finite?" in the common case; only then scan.
    if math.isfinite(sum(xs)):
        return None
    for i in order:
        if not math.isfinite(xs[i]):
            return i
    return None


def leaf_values(graph: Graph, values: Mapping[str, float]) -> dict[str, float]:
    """Each variable's value as a float; a missing one is an error that names it."""
    out = {}
    for name in graph.variables:
        if name not in values:
            raise ExpressionError(f"no value given for the variable '{name}'", code="missing_value",
                                  text=name)
        v = values[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ExpressionError(f"the value of '{name}' must be a number, not {v!r}",
                                  code="invalid_value", text=name)
        out[name] = float(v)
    return out


def forward(graph: Graph, values: Mapping[str, float], trace: bool = False) -> Forward:
    """Every node's value, in topological order."""
    env = leaf_values(graph, values)
    ops, inputs, leaf = graph.ops, graph.inputs, graph.leaf
    n = len(ops)
    vals = [0.0] * n
    events: list[tuple] | None = [] if trace else None
    S = SCALAR
    for i in range(n):
        op = ops[i]
        if op is None:
            v = leaf[i]
            vals[i] = env[v] if v.__class__ is str else v  # type: ignore[index, assignment]
        else:
            args = inputs[i]
            f = op.forward
            try:
                if len(args) == 2:
                    vals[i] = f(S, vals[args[0]], vals[args[1]])
                else:
                    vals[i] = f(S, vals[args[0]])
            except SCALAR_ERRORS:
                vals[i] = numpy_rule(f, *[vals[j] for j in args])
        if events is not None:
            events.append((EVALUATE, i, vals[i]))
    return Forward(vals, _first_nonfinite(vals, range(n)), events)


def reverse(graph: Graph, fwd: Forward, trace: bool = False) -> Reverse:
    """Adjoints d output / d node: seed 1 at the output, then push back edge by edge.

    For each node, latest first: for each input that needs a gradient,
    local = d node / d input (the op's partial rule), contribution = local × grad[node],
    grad[input] += contribution. Gradients are accumulated, never assigned, so fan-out
    (x used three times) sums its three contributions.
    """
    ops, inputs, needs = graph.ops, graph.inputs, graph.needs_grad
    vals = fwd.values
    out = graph.output
    n = len(ops)
    grads = [0.0] * n
    if trace:
        return _reverse_traced(graph, vals, grads)
    grads[out] = 1.0
    S = SCALAR
    for i in range(out, -1, -1):
        op = ops[i]
        if op is None or not needs[i]:
            continue
        g = grads[i]
        args = inputs[i]
        pr = op.partials
        o = vals[i]
        if len(args) == 2:
            a, b = args
            va, vb = vals[a], vals[b]
            if needs[a]:
                try:
                    grads[a] += pr[0](S, o, va, vb) * g
                except SCALAR_ERRORS:
                    grads[a] += numpy_rule(pr[0], o, va, vb) * g
            if needs[b]:
                try:
                    grads[b] += pr[1](S, o, va, vb) * g
                except SCALAR_ERRORS:
                    grads[b] += numpy_rule(pr[1], o, va, vb) * g
        else:
            a = args[0]
            try:
                grads[a] += pr[0](S, o, vals[a]) * g
            except SCALAR_ERRORS:
                grads[a] += numpy_rule(pr[0], o, vals[a]) * g
    return Reverse(grads, _first_nonfinite(grads, range(out, -1, -1)))


def _local(rule, o: float, argv: list[float]) -> float:
    try:
        return float(rule(SCALAR, o, *argv))
    except SCALAR_ERRORS:
        return numpy_rule(rule, o, *argv)


def _reverse_traced(graph: Graph, vals: list[float], grads: list[float]) -> Reverse:
    """The same pass as `reverse`, recording each edge's local, contribution and sum."""
    ops, inputs, needs = graph.ops, graph.inputs, graph.needs_grad
    out = graph.output
    starts = graph.edge_ids()
    local: list[float | None] = [None] * graph.n_edges
    contrib: list[float | None] = [None] * graph.n_edges
    events: list[tuple] = []
    if needs[out]:
        grads[out] = 1.0
        events.append((SEED, out, 1.0))
    for i in range(out, -1, -1):
        op = ops[i]
        if op is None or not needs[i]:
            continue
        g = grads[i]
        args = inputs[i]
        events.append((VISIT, i, g))
        argv = [vals[s] for s in args]
        for k, s in enumerate(args):
            if not needs[s]:
                continue
            e = starts[i] + k
            loc = _local(op.partials[k], vals[i], argv)
            c = loc * g
            local[e], contrib[e] = loc, c
            before = grads[s]
            grads[s] = before + c
            events.append((LOCAL, e, s, i, k, loc))
            events.append((CONTRIBUTE, e, s, i, c))
            events.append((ACCUMULATE, e, s, before, grads[s]))
    return Reverse(grads, _first_nonfinite(grads, range(out, -1, -1)), local, contrib, events)


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
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ExpressionError(f"the tangent of '{name}' must be a finite number, not {v!r}",
                                  code="invalid_value", text=name)
        out[name] = float(v)
    return out


def tangent(graph: Graph, fwd: Forward, direction: str | Mapping[str, float],
            trace: bool = False) -> Tangents:
    """Forward mode: d node / d direction for every node, in one topological sweep.

    tangent[node] = sum over inputs k of partial_k × tangent[input k], the same partial
    rules the reverse pass uses. Nodes that do not depend on the seeded inputs keep 0.
    """
    seed = direction_of(graph, direction)
    ops, inputs, leaf = graph.ops, graph.inputs, graph.leaf
    vals = fwd.values
    n = len(ops)
    tans = [0.0] * n
    dep = bytearray(n)
    starts = graph.edge_ids() if trace else None
    local: list[float | None] | None = [None] * graph.n_edges if trace else None
    terms: list[float | None] | None = [None] * graph.n_edges if trace else None
    events: list[tuple] | None = [] if trace else None
    for i in range(n):
        op = ops[i]
        if op is None:
            name = leaf[i]
            if name.__class__ is str and name in seed:
                tans[i] = seed[name]  # type: ignore[index]
                dep[i] = 1
                if events is not None:
                    events.append((SEED, i, tans[i]))
            continue
        args = inputs[i]
        t = 0.0
        argv = None
        for k, s in enumerate(args):
            if not dep[s]:
                continue
            if argv is None:
                argv = [vals[j] for j in args]
            loc = _local(op.partials[k], vals[i], argv)
            term = loc * tans[s]
            t += term
            if events is not None:
                e = starts[i] + k  # type: ignore[index]
                local[e], terms[e] = loc, term  # type: ignore[index]
                events.append((LOCAL, e, s, i, k, loc))
                events.append((TERM, e, s, i, term))
        if argv is not None:
            tans[i] = t
            dep[i] = 1
            if events is not None:
                events.append((TANGENT, i, t))
    return Tangents(seed, tans, dep, local, terms, events)


def gradient(graph: Graph, rev: Reverse, wrt: list[str] | None = None) -> dict[str, float] | list[float]:
    """d output / d variable: a dict over all variables, or a list in the order of `wrt`
    (repeats allowed, each gets its value, as torch.autograd.grad(f, (x, x)) gives two)."""
    if wrt is None:
        return {name: rev.grads[i] for name, i in zip(graph.variables, graph.var_nodes)}
    index = dict(zip(graph.variables, graph.var_nodes))
    out = []
    for name in wrt:
        if name not in index:
            raise ExpressionError(f"cannot differentiate with respect to '{name}': it is not a "
                                  f"variable of this expression (its variables: "
                                  f"{', '.join(graph.variables) or 'none'})",
                                  code="unknown_variable", text=name)
        out.append(rev.grads[index[name]])
    return out
