"""The three passes over a graph: forward values, reverse adjoints, forward-mode tangents.

Each is a flat loop in topological order (or its reverse): no recursion, so a 100,000-deep chain
is as easy as a short one. Both modes of AD read the same rules of the op table:

    reverse:  grad[input] += local × grad[node]          (latest node first; 1 at the output)
    forward:  tangent[node] = Σ local × tangent[input]   (earliest node first)

    >>> from engine import compile
    >>> g = compile("x*x + y")
    >>> fwd = forward(g, {"x": 3, "y": 1})
    >>> reverse(g, fwd).grads[0], tangent(g, fwd, "x").tangents[g.output]
    (6.0, 6.0)

Values are floats, or numpy arrays when a value given is an array or an op is not elementwise
(tensor mode, numpy's broadcasting rules). On tensors an elementwise edge's local derivative
is an array; what it sends back, local × grad, has the node's shape and is summed over the axes
where its input was broadcast; an op that is not elementwise pulls grad back by its
vector-Jacobian product, ∇x z = (∂y/∂x)ᵀ ∇y z (Goodfellow et al., eq. 6.46). Scalar values
and gradients without a trace come from `engine.fast`: the same bits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from types import ModuleType

import numpy as np

from . import fast
from .graph import Graph, ancestors, needs_grad
from .limits import DEFAULT_LIMITS, Limits
from .names import variable_nodes
from .ops import Op
from .results import (
    ACCUMULATE,
    CONTRIBUTE,
    EVALUATE,
    LOCAL,
    REDUCE,
    SEED,
    TANGENT,
    TERM,
    VISIT,
    Forward,
    Reverse,
    Tangents,
)
from .shapes import check_shapes, check_size
from .values import direction_of, leaf_values
from .xp import NUMPY, SCALAR, SCALAR_ERRORS, numpy_rule


def unbroadcast(c, shape: tuple) -> tuple:
    """c summed over the axes where an input of `shape` was broadcast, and those axes."""
    lead = np.ndim(c) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and c.shape[lead + i] != 1)
    return (np.sum(c, axis=axes).reshape(shape) if axes else c), axes


def _local(xp, op: Op, k: int, out, xs: list):
    """d out / d xs[k] by the op's partial, on floats (or duals) or on arrays."""
    if xp is NUMPY:
        return op.partials[k](NUMPY, out, *xs)
    try:
        return op.partials[k](xp, out, *xs)
    except SCALAR_ERRORS:  # a domain edge (log 0, 1/0): numpy gives the IEEE inf or nan
        return numpy_rule(op.partials[k], out, *xs)


def pull(xp, op: Op, k: int, g, out, xs: list):
    """One edge's backward step: d out / d xs[k] (None for an op that declares a VJP) and what
    it sends back (local × g, or the VJP of g; on tensors, before any sum over broadcast axes)."""
    if xp is NUMPY:  # arrays: an op may declare a VJP; a constant partial needs no array made
        if not op.partials:
            return None, op.vjp[k](NUMPY, g, out, *xs)  # type: ignore[misc]
        loc = op.constants[k]
        if loc is not None:  # ±1 sends g itself
            return loc, g if loc == 1.0 else -g if loc == -1.0 else loc * g
    loc = _local(xp, op, k, out, xs)
    return loc, loc * g


def forward(graph: Graph, values: Mapping[str, object], trace: bool = False,
            limits: Limits = DEFAULT_LIMITS) -> Forward:
    """Every node's value, in topological order: a leaf's from `values` or its constant, an
    op's from its forward rule."""
    env = leaf_values(graph, values, limits)
    if graph.tensor_ops or any(v.__class__ is np.ndarray for v in env.values()):
        if not trace:  # a big untraced tensor graph: fused kernels (engine.fast)
            fused = fast.tensor_forward(graph, env, limits)
            if fused is not None:
                return fused
        return _forward_tensors(graph, env, trace, limits)
    if not trace:
        return Forward(fast.values(graph, env))  # type: ignore[arg-type]
    vals = []
    for op, args, leaf in zip(graph.ops, graph.inputs, graph.leaf):
        if op is None:
            vals.append(env[leaf] if leaf.__class__ is str else leaf)  # type: ignore[index,arg-type]
            continue
        xs = [vals[s] for s in args]
        try:
            vals.append(op.forward(SCALAR, *xs))
        except SCALAR_ERRORS:  # a domain edge (log 0, 1/0): numpy gives the IEEE inf or nan
            vals.append(numpy_rule(op.forward, *xs))
    return Forward(vals, [(EVALUATE, i, v) for i, v in enumerate(vals)])


def _forward_tensors(graph: Graph, env: Mapping, trace: bool, limits: Limits) -> Forward:
    vals: list = []
    work = 0  # elements made in all: a bound on a request's time and memory
    with np.errstate(all="ignore"):
        for i, (op, args, leaf) in enumerate(zip(graph.ops, graph.inputs, graph.leaf)):
            if op is None:
                vals.append(np.asarray(env[leaf] if leaf.__class__ is str else leaf, dtype=float))
                continue
            xs = [vals[s] for s in args]
            size = int(np.prod(check_shapes(graph, i, op, xs)))
            work += size
            check_size(graph, i, size, work, limits)
            vals.append(np.asarray(op.forward(NUMPY, *xs), dtype=float))
    return Forward(vals, [(EVALUATE, i, v) for i, v in enumerate(vals)] if trace else None)


def reverse(graph: Graph, fwd: Forward, trace: bool = False,
            wrt: Iterable[str] | None = None, xp: ModuleType = SCALAR, target: int | None = None) -> Reverse:
    """Adjoints d output / d node: seed 1 at the output (or at node `target`), then, for each
    node latest first and each input that needs a gradient (depends on a variable of `wrt`, all
    by default): local = d node / d input, contribution = local × grad[node], grad[input] +=
    contribution. Accumulated, never assigned: x used three times sums three contributions.
    (`xp=DUAL` on dual-number values is forward mode over this pass: `engine.second`.)"""
    n, vals = len(graph), fwd.values
    out = graph.output if target is None else target
    tensors = isinstance(vals[out], np.ndarray)
    if not trace and tensors and target is None:  # the gradients of a fused forward (engine.fast)
        fused = fast.tensor_reverse(graph, fwd, wrt)
        if fused is not None:
            return fused
    if not trace and not tensors and wrt is None and xp is SCALAR and target is None:
        return Reverse(fast.gradients(graph, vals))
    ops, inputs, needs = graph.ops, graph.inputs, needs_grad(graph, wrt)
    if target is not None:  # only what the target depends on: no steps that send 0
        needs = ancestors(inputs, (target,), needs)
    xp = NUMPY if tensors else xp
    grads: list = [None] * n if tensors else [0.0] * n
    grads[out] = np.ones_like(vals[out]) if tensors else 1.0  # a non-scalar output: its sum's
    local_of = sent = events = None
    if trace:
        first_edge = graph.edge_ids()
        local_of, sent = [None] * graph.n_edges, [None] * graph.n_edges
        events = [(SEED, out, grads[out])] if needs[out] else []
    with np.errstate(all="ignore") if tensors else nullcontext():  # inf and nan are answers
        for t in range(out, -1, -1):  # every consumer of t came before t: grads[t] is final
            op = ops[t]
            if op is None or not needs[t]:
                continue
            g = grads[t] if grads[t] is not None else np.zeros_like(vals[t])
            xs, visited = [vals[s] for s in inputs[t]], False
            for k, s in enumerate(inputs[t]):
                if not needs[s]:
                    continue
                loc, c = pull(xp, op, k, g, vals[t], xs)
                if trace:
                    e = first_edge[t] + k
                    if not visited:
                        events.append((VISIT, t, g))
                        visited = True
                    events += [(LOCAL, e, s, t, k, loc), (CONTRIBUTE, e, s, t, c)]
                if tensors and np.shape(c) != np.shape(xs[k]):  # broadcast: summed back, a step
                    c, axes = unbroadcast(c, np.shape(xs[k]))
                    if trace:
                        events.append((REDUCE, e, s, axes, c))
                before = grads[s]
                grads[s] = c if before is None else before + c
                if trace:
                    local_of[e], sent[e] = loc, c
                    events.append((ACCUMULATE, e, s, before, grads[s]))
    if tensors:
        grads = [np.asarray(g) if g is not None else np.zeros_like(vals[i]) if needs[i] else None
                 for i, g in enumerate(grads)]
    return Reverse(grads, local_of, sent, events)


def tangent(graph: Graph, fwd: Forward, direction: str | Mapping[str, float],
            trace: bool = False, upto: Iterable[int] | None = None) -> Tangents:
    """Forward mode: d node / d direction for every node, in one topological sweep, from the
    same rules the reverse pass uses. Nodes that do not depend on the seeded inputs keep 0; with
    `upto`, so do nodes that none of those nodes depends on (the sweep stops at its outputs)."""
    seed = direction_of(graph, direction)
    ops, inputs, vals, n = graph.ops, graph.inputs, fwd.values, len(graph)
    wanted = None if upto is None else ancestors(inputs, tuple(upto))
    tensors = isinstance(vals[graph.output], np.ndarray)
    xp = NUMPY if tensors else SCALAR
    tans: list = [np.zeros_like(v) for v in vals] if tensors else [0.0] * n
    dep = bytearray(n)
    first_edge = graph.edge_ids()
    local_of: list = [None] * graph.n_edges
    terms: list = [None] * graph.n_edges
    events: list[tuple] = []
    with np.errstate(all="ignore"):
        for i in range(n):
            op = ops[i]
            if op is None:
                if graph.leaf[i] in seed:
                    v = seed[graph.leaf[i]]  # type: ignore[index]
                    tans[i], dep[i] = (np.full_like(vals[i], v) if tensors else v), 1
                    events.append((SEED, i, tans[i]))
                continue
            if wanted is not None and not wanted[i]:
                continue
            t = 0.0
            xs = [vals[s] for s in inputs[i]]
            for k, s in enumerate(inputs[i]):
                if dep[s]:
                    dep[i] = 1
                    e = first_edge[i] + k
                    if op.partials:
                        loc = local_of[e] = _local(xp, op, k, vals[i], xs)
                        term = terms[e] = loc * tans[s]
                    else:
                        loc, term = None, op.jvp[k](xp, tans[s], vals[i], *xs)  # type: ignore[misc]
                        terms[e] = term
                    t += term
                    events += [(LOCAL, e, s, i, k, loc), (TERM, e, s, i, term)]
            if dep[i]:
                tans[i] = np.broadcast_to(t, np.shape(vals[i])).copy() if tensors else t
                events.append((TANGENT, i, tans[i]))
    if not trace:
        return Tangents(seed, tans, dep)
    return Tangents(seed, tans, dep, local_of, terms, events)


def gradient(graph: Graph, rev: Reverse, wrt: list[str] | None = None) -> dict[str, float] | list[float]:
    """d output / d variable: a dict over all variables, or a list in the order of `wrt`
    (repeats allowed, each gets its value, as torch.autograd.grad(f, (x, x)) gives two)."""
    if wrt is None:
        return {name: rev.grads[i] for name, i in zip(graph.variables, graph.var_nodes)}
    return [rev.grads[i] for i in variable_nodes(graph, wrt)]
