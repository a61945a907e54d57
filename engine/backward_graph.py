"""The backward pass as a computation graph of its own ("differentiate the derivative").

The reverse pass is itself a computation: for each edge s → t it forms the local derivative
∂t/∂s, multiplies it by grad[t] and adds the product into grad[s]. Written down as nodes — the
forward nodes, then each local derivative built from the op table's own derivative text (`sin`'s
is `cos(a)`, σ's `out*(1 - out)`), each product and each sum — it is a graph whose output is
∂f/∂x, as PyTorch builds with `create_graph=True`. Evaluating that graph gives the gradient;
running the reverse pass over it gives second derivatives.

    >>> d = backward_graph(compile("(x^2 + 2x) * ln(y)"), "x")
    >>> from engine import grad
    >>> value, second = grad(d.graph, x=1.0, y=2.0)
    >>> round(value, 7), round(second["x"], 7), round(second["y"], 7)
    (2.7725887, 1.3862944, 2.0)

Identical subexpressions are shared, so d exp(a)/da is the forward pass's own exp(a) node.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .errors import ExpressionError
from .graph import Graph, GraphBuilder, ancestors, needs_grad
from .limits import DEFAULT_LIMITS, Limits
from .names import display_names, variable_nodes
from .parser import compile


@dataclass(frozen=True)
class BackwardGraph:
    """`graph`, whose output is ∂f/∂`variable`; `origin[i]` says where node i came from:
    ("forward", node of f's graph), ("local", edge id), ("product", edge id), ("sum", edge id)
    or ("seed", f's output); the first role when a node is shared."""

    graph: Graph
    variable: str
    origin: list[tuple[str, int]]


@cache
def _template(text: str) -> Graph:
    """An op's derivative text (from the op table, never from a user) read once."""
    return compile(text)


def backward_graph(graph: Graph, variable: str, limits: Limits = DEFAULT_LIMITS) -> BackwardGraph:
    """The graph of ∂f/∂`variable` (see the module's docstring); at most `limits.max_nodes` nodes."""
    if graph.tensor_ops:
        raise ExpressionError("the backward pass is drawn as a graph for scalar expressions; this "
                              "one has tensor operations", code="tensors_unsupported")
    [target] = variable_nodes(graph, [variable], "variable")
    b = GraphBuilder(limits.max_nodes)
    origin: dict[int, tuple[str, int]] = {}

    def made(node: int, role: str, where: int) -> int:
        origin.setdefault(node, (role, where))
        return node

    ids: list[int] = []
    names = display_names(graph)
    for i, op in enumerate(graph.ops):
        leaf = graph.leaf[i]
        if op is None:
            node = b.var(leaf) if isinstance(leaf, str) else b.const(leaf, graph.literals.get(i))  # type: ignore[arg-type]
        else:
            node = b.op(op, *(ids[s] for s in graph.inputs[i]))
        ids.append(made(node, "forward", i))
        if graph.names[i]:
            b.name(node, graph.names[i])
    needs = needs_grad(graph, [variable])
    first_edge = graph.edge_ids()
    grads: list[int | None] = [None] * len(graph)
    seed = grads[graph.output] = made(b.const(1.0), "seed", graph.output)
    for t in range(graph.output, -1, -1):  # every consumer of t came before t: grads[t] is final
        op, g = graph.ops[t], grads[t]
        if op is None or g is None or not needs[t]:
            continue
        args = [ids[s] for s in graph.inputs[t]]
        env = {"a": args[0], "b": args[-1], "out": ids[t]}
        for k, s in enumerate(graph.inputs[t]):
            if not needs[s]:
                continue
            e = first_edge[t] + k
            start = len(b.ops)
            local = _instantiate(b, _template(op.derivatives[k]), env)
            for node in (*range(start, len(b.ops)), local):  # its inner nodes (b − 1 in b·a^(b − 1)) too
                made(node, "local", e)
            c = op.constants[k]
            if c == 1.0:
                contribution = g  # 1 × grad: no node
            elif c == -1.0:
                contribution = made(b.op("neg", g), "product", e)
            elif g == seed:
                contribution = local  # local × 1
            else:
                contribution = made(b.op("mul", local, g), "product", e)
            before = grads[s]
            grads[s] = contribution if before is None else made(b.op("add", before, contribution), "sum", e)
    out = grads[target]
    assert out is not None  # the variable needs a gradient, so some edge reached it
    for i, g in enumerate(grads):  # the gradients a person would ask for: named nodes' and variables'
        if g is not None and (graph.names[i] or graph.ops[i] is None):
            b.name(g, f"∂{names[graph.output]}/∂{names[i]}")
    keep = ancestors(b.inputs, (out,))
    new_ids = {old: new for new, old in enumerate(i for i, k in enumerate(keep) if k)}
    built = b.build(out)
    roles = [("forward", 0)] * len(built)
    for old, new in new_ids.items():
        roles[new] = origin[old]
    return BackwardGraph(built, variable, roles)


def _instantiate(b: GraphBuilder, template: Graph, env: dict[str, int]) -> int:
    """The template's nodes added to `b`, its variables a, b, out standing for env's nodes."""
    ids: list[int] = []
    for i, op in enumerate(template.ops):
        leaf = template.leaf[i]
        if op is None:
            ids.append(env[leaf] if isinstance(leaf, str) else b.const(leaf))  # type: ignore[arg-type]
        else:
            ids.append(b.op(op, *(ids[s] for s in template.inputs[i])))
    return ids[template.output]
