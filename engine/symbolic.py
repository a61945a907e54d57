"""SymPy expressions built from our own graph (never by parsing the user's text), through
each op's `sympy` counterpart. Variables are real symbols."""

from __future__ import annotations

import sympy as sp

from .graph import Graph


def symbols(graph: Graph) -> dict[str, sp.Symbol]:
    return {name: sp.Symbol(name, real=True) for name in graph.variables}


def to_sympy(graph: Graph, node: int | None = None) -> sp.Expr:
    """The SymPy expression of `node` (default the output), built bottom-up without recursion.
    Constants that were typed as integers stay exact integers (so x^2 is x**2, not x**2.0)."""
    node = graph.output if node is None else node
    syms = symbols(graph)
    exprs: list[sp.Expr | None] = [None] * (node + 1)
    for i in range(node + 1):
        op = graph.ops[i]
        if op is None:
            leaf = graph.leaf[i]
            if isinstance(leaf, str):
                exprs[i] = syms[leaf]
            else:
                lit = graph.literals.get(i)
                if lit in ("pi", "π"):
                    exprs[i] = sp.pi
                elif lit == "e":
                    exprs[i] = sp.E
                elif float(leaf).is_integer() and abs(leaf) < 2**53:
                    exprs[i] = sp.Integer(int(leaf))
                else:
                    exprs[i] = sp.Float(leaf, 17)
        else:
            exprs[i] = op.sympy(sp, *(exprs[s] for s in graph.inputs[i]))
    out = exprs[node]
    assert out is not None
    return out
