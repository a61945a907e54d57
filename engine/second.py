"""Second derivatives: forward mode over the reverse pass.

Give every variable a tangent along a direction v and run the forward pass on dual numbers
(`engine.dual`): each value carries its derivative along v. Then run the ordinary reverse pass on
those values: every local derivative, every contribution and every adjoint carries its own
derivative along v, and a variable's adjoint comes out as ∂f/∂x + ((∇²f) v)_x ε — the gradient and
a Hessian-vector product from one forward and one reverse pass, as `jax.jvp(jax.grad(f))` and
PyTorch's double backward give it. The Hessian is n such products, one per unit direction.

    >>> h = hessian("(x^2 + 2x) * ln(y)", {"x": 1, "y": 2})
    >>> h.variables, [[round(v, 7) for v in row] for row in h.matrix]
    (['x', 'y'], [[1.3862944, 2.0], [2.0, -0.75]])

∂²f/∂x² = 2 ln y, ∂²f/∂x∂y = (2x + 2)/y and ∂²f/∂y² = −(x² + 2x)/y², at (1, 2). Scalar
expressions only (an array value is an error that says so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .dual import DUAL, Dual, lift
from .errors import ExpressionError, LimitExceeded
from .graph import Graph
from .limits import DEFAULT_LIMITS, Limits
from .names import variable_nodes
from .parser import parse
from .passes import reverse
from .results import Forward
from .values import leaf_values

#: A Hessian costs one forward and one reverse pass per variable: at most this many variables.
MAX_HESSIAN_VARIABLES = 64


@dataclass(frozen=True)
class HessianVector:
    """f, ∇f and (∇²f) v at a point, per variable (in the graph's order)."""

    value: float
    gradient: dict[str, float]
    product: dict[str, float]
    direction: dict[str, float]


@dataclass(frozen=True)
class Hessian:
    """f, ∇f and ∇²f at a point: `matrix[i][j]` = ∂²f / ∂variables[i] ∂variables[j]."""

    value: float
    variables: list[str]
    gradient: list[float]
    matrix: list[list[float]]


def _graph(expression: str | Graph, limits: Limits) -> Graph:
    graph = expression if isinstance(expression, Graph) else parse(expression, limits).graph
    if graph.tensor_ops:
        raise ExpressionError("second derivatives are computed for scalar expressions; this one "
                              "has tensor operations", code="tensors_unsupported")
    return graph


def _point(graph: Graph, values: Mapping[str, object], limits: Limits) -> dict[str, float]:
    env = leaf_values(graph, values, limits)
    for name, v in env.items():
        if isinstance(v, np.ndarray):
            raise ExpressionError(f"second derivatives are computed for scalar values; '{name}' is "
                                  "an array", code="tensors_unsupported", field=f"values.{name}")
    return env  # type: ignore[return-value]


def _forward_over_reverse(graph: Graph, env: Mapping[str, float], direction: Mapping[str, float]):
    """Values and adjoints as duals: the tangent of a variable's adjoint is ((∇²f) v) there."""
    vals: list = []
    for op, args, leaf in zip(graph.ops, graph.inputs, graph.leaf):
        if op is None:
            vals.append(Dual(env[leaf], direction.get(leaf, 0.0)) if leaf.__class__ is str else lift(leaf))
        else:
            vals.append(lift(op.forward(DUAL, *(vals[s] for s in args))))
    grads = reverse(graph, Forward(vals), xp=DUAL).grads
    return vals[graph.output], [lift(g) for g in grads]


def hessian_vector(expression: str | Graph, values: Mapping[str, object],
                   direction: Mapping[str, float], limits: Limits = DEFAULT_LIMITS) -> HessianVector:
    """(∇²f) v by one forward and one reverse pass, with f and ∇f on the way."""
    graph = _graph(expression, limits)
    env = _point(graph, values, limits)
    variable_nodes(graph, direction, "direction")
    out, grads = _forward_over_reverse(graph, env, direction)
    names, nodes = graph.variables, graph.var_nodes
    return HessianVector(out.v, {k: grads[i].v for k, i in zip(names, nodes)},
                         {k: grads[i].d for k, i in zip(names, nodes)},
                         {k: float(direction.get(k, 0.0)) for k in names})


def hessian(expression: str | Graph, values: Mapping[str, object],
            variables: list[str] | None = None, limits: Limits = DEFAULT_LIMITS,
            between: Callable[[], None] | None = None) -> Hessian:
    """∇²f over `variables` (all of the expression's by default), one Hessian-vector product per
    variable; symmetric up to rounding, and returned as computed (row i is (∇²f) e_i).
    `between` is called before each pass (a caller's budget check may raise there)."""
    graph = _graph(expression, limits)
    env = _point(graph, values, limits)
    names = list(graph.variables) if variables is None else list(variables)
    nodes = variable_nodes(graph, names, "variables")
    if len(names) > MAX_HESSIAN_VARIABLES:
        raise LimitExceeded(f"a Hessian over {len(names)} variables was asked for; at most "
                            f"{MAX_HESSIAN_VARIABLES} are computed", code="limit_exceeded",
                            limit="max_hessian_variables", maximum=MAX_HESSIAN_VARIABLES,
                            actual=len(names), field="variables")
    rows, out, grads = [], Dual(0.0), [Dual(0.0)] * len(graph)
    for name in names:
        if between is not None:
            between()
        out, grads = _forward_over_reverse(graph, env, {name: 1.0})
        rows.append([grads[i].d for i in nodes])
    return Hessian(out.v, names, [grads[i].v for i in nodes], rows)


def second_derivative(expression: str | Graph, values: Mapping[str, object], variable: str,
                      limits: Limits = DEFAULT_LIMITS) -> float:
    """d²f / d variable²."""
    return hessian_vector(expression, values, {variable: 1.0}, limits).product[variable]
