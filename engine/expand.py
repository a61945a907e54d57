"""Composite nodes drawn as their unit functions: `sigmoid(a)` as the lecture's logistic graph
(negate, exp, +1, reciprocal). Each composite op declares its expansion in the op table
(`Op.expansion`, text in our own expression language over a and b, read by our own parser), so
the op table stays the one source of truth; `expand` rebuilds a graph with the chosen nodes so
replaced. The numbers agree both ways (the unit functions' chain rule is the composite's
derivative), up to rounding; tests check it against SymPy.

One pass over the nodes in topological order, each template inlined by a loop over its own
nodes: no recursion. Identical subexpressions are shared as the parser shares them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

from .errors import ExpressionError
from .graph import Graph, GraphBuilder
from .ops import OPS
from .parser import parse

ARGUMENTS = ("a", "b")


@cache
def template(op_name: str) -> Graph:
    """The parsed expansion of an op (its variables among a, b)."""
    op = OPS[op_name]
    graph = parse(op.expansion).graph
    if not set(graph.variables) <= set(ARGUMENTS[:op.arity]):
        raise ValueError(f"op {op_name}: the expansion {op.expansion!r} may use only "
                         f"{', '.join(ARGUMENTS[:op.arity])}")
    return graph


@dataclass(frozen=True)
class Expanded:
    """A graph with some composite nodes replaced by their unit functions. `composite` maps each
    node of it that is a composite, or that an expansion made, to (the composite's id in the
    graph as parsed, its op's name, whether it is expanded)."""

    graph: Graph
    composite: dict[int, tuple[int, str, bool]]


def composites(graph: Graph) -> list[int]:
    """The nodes that can be drawn as unit functions."""
    return [i for i, op in enumerate(graph.ops) if op is not None and op.expansion]


def expand(graph: Graph, which: Collection[int], max_nodes: int | None = None) -> Expanded:
    """`graph` with the composite nodes `which` (ids in `graph`) replaced by their unit
    functions; names, aliases and outputs carried over. A node in `which` that is not a
    composite is an ExpressionError naming it."""
    can = set(composites(graph))
    for i in which:
        if i not in can:
            known = ", ".join(f"n{k}" for k in sorted(can)) or "none"
            raise ExpressionError(f"'n{i}' is not a composite node of this expression (composites: "
                                  f"{known})", code="not_composite", text=f"n{i}", field="expand")
    b = GraphBuilder(max_nodes)
    new: list[int] = []  # each node's id in the new graph
    composite: dict[int, tuple[int, str, bool]] = {}
    for i, op in enumerate(graph.ops):
        at = graph.where.get(i)
        if op is None:
            leaf = graph.leaf[i]
            j = b.var(leaf) if isinstance(leaf, str) else b.const(leaf, graph.literals.get(i))
        elif i in which:
            tpl, args, local = template(op.name), [new[s] for s in graph.inputs[i]], []
            for t, unit in enumerate(tpl.ops):
                before = len(b.ops)
                if unit is None:
                    leaf = tpl.leaf[t]
                    k = (args[ARGUMENTS.index(leaf)] if isinstance(leaf, str)
                         else b.const(leaf, tpl.literals.get(t)))
                else:
                    k = b.node(unit, tuple(local[s] for s in tpl.inputs[t]), at)
                if len(b.ops) > before:  # made here, not shared with a node typed
                    composite[k] = (i, op.name, True)
                local.append(k)
            j = local[tpl.output]
        else:
            j = b.node(op, tuple(new[s] for s in graph.inputs[i]), at)
            if op.expansion:
                composite[j] = (i, op.name, False)
        new.append(j)
        if graph.names[i] is not None:
            b.name(j, graph.names[i])
        for alias in graph.aliases.get(i, ()):
            b.name(j, alias)
    outputs = tuple(new[o] for o in graph.outputs) if len(graph.outputs) > 1 else ()
    return Expanded(b.build(new[graph.output], prune=False, outputs=outputs), composite)
