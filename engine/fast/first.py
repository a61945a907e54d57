"""A graph's first untraced scalar pass: the plain passes' arithmetic, in lean loops, no plan.

A plan (`engine.fast.plan`) costs several passes to make, so it is made only for a graph
evaluated again and again (issue 12: a plan never costs more than the pass it serves unless the
graph is evaluated again). The loops here do what `engine.passes` does on floats, step for step, so the
bits are its bits: each value `op.forward(SCALAR, ...)`, each adjoint `0.0 + c1 + c2 ...` over
its contributions `local × grad[target]` in the reverse pass's order (targets latest first,
arguments in order), a domain edge (log 0) redone by numpy. What they leave out is the plain
pass's generality (the trace, tensors, `wrt`): one call per value and per local derivative.
"""

from __future__ import annotations

from ..graph import Graph
from ..xp import SCALAR, SCALAR_ERRORS, numpy_rule


def values(graph: Graph, leaves: dict[str, float]) -> list[float]:
    """Every node's value, given each variable's (checked) value: `forward(...).values`."""
    S, vals = SCALAR, []
    append = vals.append
    for op, args, leaf in zip(graph.ops, graph.inputs, graph.leaf):
        if op is None:
            append(leaves[leaf] if leaf.__class__ is str else leaf)  # type: ignore[index]
            continue
        try:  # by the op's arity (its inputs' number): an attribute, not a call of len
            if op.arity == 2:
                a, b = args
                append(op.forward(S, vals[a], vals[b]))
            elif op.arity == 1:
                append(op.forward(S, vals[args[0]]))
            else:
                append(op.forward(S, *[vals[s] for s in args]))
        except SCALAR_ERRORS:  # a domain edge (log 0, 1/0): numpy gives the IEEE inf or nan
            append(numpy_rule(op.forward, *[vals[s] for s in args]))
    return vals


def _local(rule, *args: float) -> float:
    try:
        return rule(SCALAR, *args)
    except SCALAR_ERRORS:
        return numpy_rule(rule, *args)


def gradients(graph: Graph, vals: list[float]) -> list[float]:
    """d output / d node for every node, given every node's value: `reverse(...).grads`."""
    # needs as a list: CPython specialises a list's indexing, not a bytearray's (5-9 % of the pass)
    S, inputs, needs = SCALAR, graph.inputs, list(graph.needs_grad)
    out = graph.output
    grads = [0.0] * len(inputs)
    grads[out] = 1.0
    # Every consumer of t came before t: grads[t] is final. Values and grads read where used
    # (no locals made for a node that sends nothing). A target that needs no gradient is not
    # skipped by a check of its own: none of its inputs needs one either.
    for t, op in zip(range(out, -1, -1), reversed(graph.ops[:out + 1])):
        if op is None:
            continue
        args = inputs[t]
        if op.arity == 2:  # as in `values`
            a, b = args
            c0, c1 = op.constants
            if needs[a]:
                if c0 is None:
                    try:
                        c0 = op.partials[0](S, vals[t], vals[a], vals[b])
                    except SCALAR_ERRORS:
                        c0 = numpy_rule(op.partials[0], vals[t], vals[a], vals[b])
                grads[a] += c0 * grads[t]
            if needs[b]:
                if c1 is None:
                    try:
                        c1 = op.partials[1](S, vals[t], vals[a], vals[b])
                    except SCALAR_ERRORS:
                        c1 = numpy_rule(op.partials[1], vals[t], vals[a], vals[b])
                grads[b] += c1 * grads[t]
            continue
        if op.arity == 1:
            a = args[0]
            if needs[a]:
                c = op.constants[0]
                if c is None:
                    try:
                        c = op.partials[0](S, vals[t], vals[a])
                    except SCALAR_ERRORS:
                        c = numpy_rule(op.partials[0], vals[t], vals[a])
                grads[a] += c * grads[t]
            continue
        g, y = grads[t], vals[t]
        xs = [vals[s] for s in args]
        for k, s in enumerate(args):
            if needs[s]:
                c = op.constants[k]
                grads[s] += (c if c is not None else _local(op.partials[k], y, *xs)) * g
    return grads
