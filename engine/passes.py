"""The three passes over a graph: forward values, reverse adjoints, forward-mode tangents.

Each is a flat loop in topological order (or its reverse): no recursion, so a 100,000-deep chain
is as easy as a short one. Both modes of AD read the same local derivatives, d node / d input,
from the op table's rules:

    reverse:  grad[input] += local × grad[node]      (latest node first; seeded with 1 at the output)
    forward:  tangent[node] = Σ local × tangent[input]   (earliest node first)

    >>> from engine import compile
    >>> g = compile("x*x + y")
    >>> fwd = forward(g, {"x": 3, "y": 1})
    >>> reverse(g, fwd).grads[0], tangent(g, fwd, "x").tangents[g.output]
    (6.0, 6.0)

A big graph's values and gradients without a trace come from `engine.fast`: the same bits.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import fast
from .errors import ExpressionError
from .graph import Graph
from .ops import Op
from .results import (
    ACCUMULATE,
    CONTRIBUTE,
    EVALUATE,
    LOCAL,
    SEED,
    TANGENT,
    TERM,
    VISIT,
    Forward,
    Reverse,
    Tangents,
    first_nonfinite,
)
from .values import direction_of, leaf_values
from .xp import SCALAR, SCALAR_ERRORS, numpy_rule

#: From this many edges untraced passes go through `engine.fast` (benchmarks/engine.py chose it:
#: below, making the accelerator's plan costs more than it saves).
FAST_EDGES = 2000


def _call(rule, *args: float) -> float:
    """A rule on floats; at a domain edge (log 0, 1/0) numpy gives the IEEE inf or nan."""
    try:
        return rule(SCALAR, *args)
    except SCALAR_ERRORS:
        return numpy_rule(rule, *args)


def local(op: Op, k: int, out: float, args: list[float]) -> float:
    """d out / d args[k] of one op application: its partial, or its JVP of a unit tangent."""
    if op.partials:
        return _call(op.partials[k], out, *args)
    return _call(op.jvp[k], 1.0, out, *args)


def forward(graph: Graph, values: Mapping[str, float], trace: bool = False) -> Forward:
    """Every node's value, in topological order: a leaf's from `values` or its constant, an
    op's from its forward rule."""
    env = leaf_values(graph, values)
    if not trace and graph.n_edges >= FAST_EDGES:
        vals = fast.values(graph, env)
        return Forward(vals, first_nonfinite(vals, range(len(vals))))
    vals = []
    for op, args, leaf in zip(graph.ops, graph.inputs, graph.leaf):
        if op is None:
            vals.append(env[leaf] if leaf.__class__ is str else leaf)  # type: ignore[index,arg-type]
        else:
            vals.append(_call(op.forward, *[vals[s] for s in args]))
    events = [(EVALUATE, i, v) for i, v in enumerate(vals)] if trace else None
    return Forward(vals, first_nonfinite(vals, range(len(vals))), events)


def reverse(graph: Graph, fwd: Forward, trace: bool = False) -> Reverse:
    """Adjoints d output / d node: seed 1 at the output, then, for each node latest first and
    each input that needs a gradient (depends on a variable): local = d node / d input,
    contribution = local × grad[node], grad[input] += contribution. Accumulated, never
    assigned: x used three times sums three contributions."""
    n, out = len(graph), graph.output
    if not trace and graph.n_edges >= FAST_EDGES:
        grads = fast.gradients(graph, fwd.values)
        return Reverse(grads, first_nonfinite(grads, range(n - 1, -1, -1)))
    ops, inputs, needs, vals = graph.ops, graph.inputs, graph.needs_grad, fwd.values
    grads = [0.0] * n
    grads[out] = 1.0
    if trace:
        first_edge = graph.edge_ids()
        local_of: list[float | None] = [None] * graph.n_edges
        contribution: list[float | None] = [None] * graph.n_edges
        events: list[tuple] = [(SEED, out, 1.0)] if needs[out] else []
    for t in range(out, -1, -1):  # every consumer of t came before t: grads[t] is final
        op = ops[t]
        if op is None or not needs[t]:
            continue
        args, g, visited = inputs[t], grads[t], False
        xs = [vals[s] for s in args]
        for k, s in enumerate(args):
            if not needs[s]:
                continue
            loc = local(op, k, vals[t], xs)
            c = loc * g
            before = grads[s]
            grads[s] = before + c
            if trace:
                if not visited:  # t's first edge
                    events.append((VISIT, t, g))
                    visited = True
                e = first_edge[t] + k
                local_of[e], contribution[e] = loc, c
                events += [(LOCAL, e, s, t, k, loc), (CONTRIBUTE, e, s, t, c),
                           (ACCUMULATE, e, s, before, grads[s])]
    first = first_nonfinite(grads, range(n - 1, -1, -1))
    if not trace:
        return Reverse(grads, first)
    return Reverse(grads, first, local_of, contribution, events)


def tangent(graph: Graph, fwd: Forward, direction: str | Mapping[str, float],
            trace: bool = False) -> Tangents:
    """Forward mode: d node / d direction for every node, in one topological sweep, from the
    same local derivatives the reverse pass uses. Nodes that do not depend on the seeded
    inputs keep 0."""
    seed = direction_of(graph, direction)
    ops, inputs, vals, n = graph.ops, graph.inputs, fwd.values, len(graph)
    tans, dep = [0.0] * n, bytearray(n)
    first_edge = graph.edge_ids()
    local_of: list[float | None] = [None] * graph.n_edges
    terms: list[float | None] = [None] * graph.n_edges
    events: list[tuple] = []
    for i in range(n):
        op = ops[i]
        if op is None:
            if graph.leaf[i] in seed:
                tans[i], dep[i] = seed[graph.leaf[i]], 1  # type: ignore[index]
                events.append((SEED, i, tans[i]))
            continue
        t = 0.0
        xs = [vals[s] for s in inputs[i]]
        for k, s in enumerate(inputs[i]):
            if dep[s]:
                dep[i] = 1
                e = first_edge[i] + k
                loc = local_of[e] = local(op, k, vals[i], xs)
                term = terms[e] = loc * tans[s]
                t += term
                events += [(LOCAL, e, s, i, k, loc), (TERM, e, s, i, term)]
        if dep[i]:
            tans[i] = t
            events.append((TANGENT, i, t))
    if not trace:
        return Tangents(seed, tans, dep)
    return Tangents(seed, tans, dep, local_of, terms, events)


def gradient(graph: Graph, rev: Reverse, wrt: list[str] | None = None) -> dict[str, float] | list[float]:
    """d output / d variable: a dict over all variables, or a list in the order of `wrt`
    (repeats allowed, each gets its value, as torch.autograd.grad(f, (x, x)) gives two)."""
    index = dict(zip(graph.variables, graph.var_nodes))
    if wrt is None:
        return {name: rev.grads[i] for name, i in index.items()}
    for name in wrt:
        if name not in index:
            raise ExpressionError(f"cannot differentiate with respect to '{name}': it is not a "
                                  f"variable of this expression (its variables: "
                                  f"{', '.join(graph.variables) or 'none'})",
                                  code="unknown_variable", text=name)
    return [rev.grads[index[name]] for name in wrt]
