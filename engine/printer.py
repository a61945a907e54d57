"""A graph written back as text in our own expression language (one expression, no
statements), with just the brackets needed to read back as the same graph."""

from __future__ import annotations

import math

from .graph import Graph, ancestors
from .names import format_number

ATOM = 100


def _number(v: float) -> str:
    """A constant as text that reads back as the same float, the sign of zero included."""
    if not math.isfinite(v):
        raise ValueError(f"the constant {v} cannot be written in the expression language")
    if v == 0 and math.copysign(1.0, v) < 0:
        return "-0"
    return format_number(v)


def to_text(graph: Graph, node: int | None = None, max_length: int = 1_000_000) -> str:
    """The expression for `node` (default the output). Shared nodes are written out at each
    use, so a graph with heavy sharing can grow long: past `max_length` this raises ValueError."""
    node = graph.output if node is None else node
    text: dict[int, tuple[str, int]] = {}
    keep = ancestors(graph.inputs, (node,))
    for i in range(node + 1):
        if not keep[i]:
            continue
        op = graph.ops[i]
        if op is None:
            leaf = graph.leaf[i]
            if isinstance(leaf, str):
                text[i] = (leaf, ATOM)
            else:
                lit = graph.literals.get(i)
                s = lit if lit is not None and not lit.startswith("-") else _number(leaf)
                text[i] = (s, 30 if s.startswith("-") else ATOM)
            continue
        args = [text[s] for s in graph.inputs[i]]
        if op.symbol is None:
            s, prec = f"{op.spelling}({', '.join(a for a, _ in args)})", ATOM
        elif op.arity == 1:  # unary minus: parenthesise anything looser than itself,
            a, p = args[0]  # and a bare number, which would read back as a negative constant
            inner = f"({a})" if p < op.precedence or a[:1].isdigit() or a[:1] in "-." else a
            s, prec = f"-{inner}", op.precedence
        else:
            (a, pa), (b, pb) = args
            if op.name == "pow":  # right-associative
                left = f"({a})" if pa <= op.precedence else a
                right = f"({b})" if pb < op.precedence else b
                s = f"{left}^{right}"
            else:
                left = f"({a})" if pa < op.precedence else a
                right = f"({b})" if pb <= op.precedence else b
                s = f"{left} {op.symbol} {right}"
            prec = op.precedence
        if len(s) > max_length:
            raise ValueError(f"the expression written out is longer than {max_length} characters")
        text[i] = (s, prec)
    return text[node][0]
