"""The Jacobian of several outputs with respect to several inputs, built both ways, with what
each way cost: the lecture's "when is each mode cheaper", measured rather than asserted.

Forward mode fills it a column at a time: one tangent pass per input, seeded with that input's
unit direction, gives every output's derivative along it. Reverse mode fills it a row at a time:
one reverse pass per output, seeded with 1 at that output, gives its derivative with respect to
every input. Any named node (an intermediate) can be an output, so a program has as many
outputs as it has names. And, on tensors, one edge's Jacobian (`edge_jacobian`, what eq. 6.46
multiplies by), from the edge's own backward step.

    >>> j = jacobian_both_ways(compile("a = x*y; b = x + y; f = a*b"), {"x": 2, "y": 3}, ["a", "b"])
    >>> j.forward.matrix, j.forward.passes, j.reverse.passes
    ([[3.0, 2.0], [1.0, 1.0]], 2, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .errors import ExpressionError, LimitExceeded
from .graph import Graph
from .names import display_names, output_nodes, variable_nodes
from .passes import forward, pull, reverse, tangent, unbroadcast
from .results import Forward
from .xp import NUMPY

#: A Jacobian costs a pass per row or per column: at most this many of either.
MAX_JACOBIAN_SIDE = 64


@dataclass(frozen=True)
class Build:
    """One way of building the Jacobian: `matrix[i][j]` = ∂outputs[i]/∂inputs[j]; `passes`, one
    per column (forward) or row (reverse); `locals_per_pass`, the local derivatives each pass
    evaluated, in the order the passes ran."""

    mode: str
    matrix: list[list[float]]
    passes: int
    locals_per_pass: list[int]

    @property
    def locals(self) -> int:
        return sum(self.locals_per_pass)


@dataclass(frozen=True)
class Jacobian:
    outputs: list[str]
    output_nodes: list[int]
    inputs: list[str]
    forward: Build
    reverse: Build


def jacobian_both_ways(graph: Graph, values: Mapping[str, object], outputs: list[str] | None = None,
                       inputs: list[str] | None = None,
                       between: Callable[[], None] | None = None) -> Jacobian:
    """∂outputs/∂inputs by forward mode (a pass per input) and by reverse mode (a pass per
    output), from the same forward values. Defaults: the program's outputs; every variable.
    `between` is called before each pass (a caller's budget check may raise there)."""
    between = between or (lambda: None)
    if graph.tensor_ops:
        raise ExpressionError("the Jacobian is built for functions of numbers; this one has "
                              "tensor operations", code="tensors_unsupported")
    shown = display_names(graph)
    if outputs is None:  # the outputs listed (a, b, sin(x)), or the one output
        outputs = [shown[node] for node in graph.outputs]
    inputs = list(graph.variables) if inputs is None else list(inputs)
    for field, side in (("outputs", outputs), ("inputs", inputs)):
        if not side or len(side) > MAX_JACOBIAN_SIDE:
            raise LimitExceeded(f"{field} has {len(side)} entries; from 1 to {MAX_JACOBIAN_SIDE} are "
                                "allowed", code="limit_exceeded", limit="max_jacobian_side",
                                maximum=MAX_JACOBIAN_SIDE, actual=len(side), field=field)
    rows = output_nodes(graph, outputs)
    columns = variable_nodes(graph, inputs, "inputs")
    fwd = forward(graph, values)
    if any(isinstance(v, np.ndarray) for v in fwd.values):
        raise ExpressionError("the Jacobian is built for functions of numbers; a value given is an "
                              "array", code="tensors_unsupported", field="values")
    by_column, counted = [], []
    for name in inputs:  # forward mode: column j is every node's tangent along e_j
        between()
        tan = tangent(graph, fwd, name, trace=True, upto=rows)
        by_column.append([float(tan.tangents[i]) for i in rows])
        counted.append(sum(loc is not None for loc in tan.edge_local))  # type: ignore[union-attr]
    forward_build = Build("forward", [list(r) for r in zip(*by_column)], len(inputs), counted)
    matrix, counted = [], []
    for node in rows:  # reverse mode: row i is every adjoint, seeded at output i
        between()
        rev = reverse(graph, fwd, trace=True, target=node)
        matrix.append([float(rev.grads[j]) for j in columns])
        counted.append(sum(loc is not None for loc in rev.edge_local))  # type: ignore[union-attr]
    return Jacobian(outputs, rows, inputs, forward_build, Build("reverse", matrix, len(rows), counted))


def family(inputs: int, outputs: int) -> str:
    """A program with `inputs` variables and `outputs` named outputs, each output depending on
    every input through a shared sum (s = Σ sin(xⱼ); oᵢ = exp(s / i)): forward mode pays a pass
    per input, reverse mode one per output, so the cheaper way changes where n and m cross."""
    for what, k in (("inputs", inputs), ("outputs", outputs)):
        if not 1 <= k <= MAX_JACOBIAN_SIDE:
            raise LimitExceeded(f"{what} must be from 1 to {MAX_JACOBIAN_SIDE}, not {k}",
                                code="limit_exceeded", limit="max_jacobian_side",
                                maximum=MAX_JACOBIAN_SIDE, actual=k, field=what)
    lines = ["s = " + " + ".join(f"sin(x{j})" for j in range(1, inputs + 1))]
    lines += [f"o{i} = exp(s / {i})" for i in range(1, outputs + 1)]
    lines.append("f = " + " + ".join(f"o{i}" for i in range(1, outputs + 1)))
    return "\n".join(lines)


def edge_jacobian(graph: Graph, fwd: Forward, target: int, k: int) -> np.ndarray:
    """∂target/∂(its k-th input) at the point, both flattened: rows the target's elements,
    columns the input's. Built from the edge's own backward step applied to each row's unit
    vector, so that Jᵀ g is exactly what the reverse pass sends along the edge."""
    op, vals = graph.ops[target], fwd.values
    xs = [vals[s] for s in graph.inputs[target]]
    out, shape = np.asarray(vals[target]), np.shape(xs[k])
    rows = []
    with np.errstate(all="ignore"):
        for i in range(out.size):
            unit = np.zeros(out.size)
            unit[i] = 1.0
            c = pull(NUMPY, op, k, unit.reshape(out.shape), out, xs)[1]  # type: ignore[arg-type]
            rows.append(np.ravel(unbroadcast(np.asarray(c), shape)[0] if np.shape(c) != shape else c))
    return np.array(rows).reshape(out.size, int(np.prod(shape)))
