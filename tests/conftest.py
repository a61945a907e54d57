"""Shared helpers for the engine tests: SymPy as the oracle, and graph comparisons.

SymPy is evaluated at a point by replacing each symbol with a 40-digit Float and asking
for 30 digits, which is exact enough to judge float64 results to 1e-9 (or 1e-12).
"""

from __future__ import annotations

import math

import sympy as sp

from engine import Graph


def sympy_at(expr: sp.Expr, point: dict[str, float], digits: int = 30) -> float | None:
    """The real value of `expr` at `point` as a float, or None where SymPy finds it complex,
    infinite, undefined or cannot evaluate it."""
    subs = {s: sp.Float(point[s.name], 40) for s in expr.free_symbols}
    try:
        value = expr.xreplace(subs).evalf(digits)
    except (ArithmeticError, ValueError, TypeError):
        return None
    if value.is_real is not True or value.is_finite is not True:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def structures(graphs: list[Graph], nodes: list[int]) -> list[int]:
    """Canonical ids for the structure under each (graph, node), from one shared table: equal
    ids mean the same expression DAG (op names, argument order, variable names, constants
    including the sign of zero), whatever the node numbering."""
    table: dict[tuple, int] = {}
    out = []
    for graph, node in zip(graphs, nodes):
        ids: list[int] = []
        for i in range(len(graph)):
            op = graph.ops[i]
            if op is None:
                leaf = graph.leaf[i]
                key: tuple = ("var", leaf) if isinstance(leaf, str) else ("const", repr(leaf))
            else:
                key = (op.name, *(ids[s] for s in graph.inputs[i]))
            ids.append(table.setdefault(key, len(table)))
        out.append(ids[node])
    return out


def same_structure(a: Graph, b: Graph) -> bool:
    """The outputs of `a` and `b` are the same expression DAG, whatever the numbering."""
    sa, sb = structures([a, b], [a.output, b.output])
    return sa == sb


def same_graph(a: Graph, b: Graph) -> bool:
    """Identical node by node: same numbering, ops, inputs, leaves (sign of zero included),
    names and output."""
    return (len(a) == len(b)
            and [op.name if op else None for op in a.ops] == [op.name if op else None for op in b.ops]
            and a.inputs == b.inputs
            and [repr(v) for v in a.leaf] == [repr(v) for v in b.leaf]
            and a.names == b.names
            and a.output == b.output)


def close(actual: float, expected: float, rel: float, scale: float = 0.0) -> bool:
    """|actual - expected| <= rel * max(|expected|, scale)."""
    return abs(actual - expected) <= rel * max(abs(expected), scale)
