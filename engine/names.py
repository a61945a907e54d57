"""Names of nodes. One display name per node, the same in the graph, the table, the panels and
the messages: the name given to it, else the variable or the constant, else "f" for the output
(f1, f2, ... for several listed outputs), else the sub-expression as a textbook writes it
("x^2 + 2x", with the graph's labels) when that is short, else its id ("n12"). And the node a
name a person gives stands for (`output_nodes`, `variable_nodes`), or an error listing the names.

    >>> from engine import compile
    >>> display_names(compile("(x^2 + 2x) * ln(y)"))
    ['x', '2', 'x^2', '2x', 'x^2 + 2x', 'y', 'ln(y)', 'f']
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .errors import ExpressionError
from .graph import Graph

#: Sub-expressions longer than this are called by their id.
NAME_MAX = 14
ATOM = 100
#: The text of a node whose expression is longer than NAME_MAX.
TOO_LONG = "…" * (NAME_MAX + 1)
INFIX = {"add": 10, "sub": 10, "mul": 20, "div": 20, "matmul": 20, "pow": 40}
# Right operands that need brackets at equal strength: a − (b − c), a ÷ (b ÷ c).
RIGHT_TIGHT = {"sub", "div"}


def label(graph: Graph, i: int) -> str:
    """What to draw inside a node: its op symbol, its variable name or constant value."""
    op, leaf = graph.ops[i], graph.leaf[i]
    if op is not None:
        return op.label
    return graph.literals.get(i) or (leaf if isinstance(leaf, str) else format_number(leaf))  # type: ignore[arg-type]


def format_number(v: float) -> str:
    """Shortest text that reads back as the same float: 2 rather than 2.0; inf, nan."""
    if math.isfinite(v) and v == int(v) and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


def expression_texts(graph: Graph) -> list[str]:
    """Each node as an expression over the graph's labels, children first; a named
    intermediate node stands as its name. No recursion. A text longer than NAME_MAX is only ever
    an id, and so is every text that holds it: such nodes get `TOO_LONG`, and no text is made."""
    text: list[str] = []
    prec: list[int] = []
    ops, inputs, names, leaf = graph.ops, graph.inputs, graph.names, graph.leaf
    for i, op in enumerate(ops):
        if op is None:
            text.append(label(graph, i))
            prec.append(ATOM)
            continue
        if names[i]:  # named: it stands as its name, in its consumers and as its display name
            text.append(names[i])
            prec.append(ATOM)
            continue
        args = []
        for s in inputs[i]:
            if names[s] and ops[s] is not None:
                a = (names[s], ATOM, False)
            else:
                a = (text[s], prec[s], ops[s] is None and leaf[s].__class__ is not str)
            if len(a[0]) > NAME_MAX:  # an operand's text is part of its consumer's
                break
            args.append(a)
        else:
            t, p = _apply(op.name, op.label, args)
            if len(t) <= NAME_MAX:
                text.append(t)
                prec.append(p)
                continue
        text.append(TOO_LONG)
        prec.append(ATOM)
    return text


def _apply(name: str, label: str, args: list[tuple[str, int, bool]]) -> tuple[str, int]:
    if name in INFIX:
        p = INFIX[name]
        (a, pa, a_number), (b, pb, _) = args
        left = f"({a})" if pa < p or (pa == p and name == "pow") else a
        right = f"({b})" if pb < p or (pb == p and name in RIGHT_TIGHT) else b
        if name == "pow":
            return f"{left}^{right}", p
        if name == "mul" and a_number and (right[:1].isalpha() or right[:1] == "("):
            return f"{left}{right}", p  # 2x, as written
        return f"{left} {label} {right}", p
    if name == "transpose":
        a, pa, _ = args[0]
        return (f"({a})ᵀ" if pa < 50 else f"{a}ᵀ"), 50
    if name == "neg":
        a, pa, _ = args[0]
        return (f"−({a})" if pa < 30 else f"−{a}"), 30
    return f"{label}({', '.join(_bare(a) for a, _, _ in args)})", ATOM


def _bare(text: str) -> str:
    """`text` without one pair of brackets around the whole of it: "(a + b)" → "a + b"."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for i, c in enumerate(text):
        depth += (c == "(") - (c == ")")
        if depth == 0 and i < len(text) - 1:
            return text
    return text[1:-1]


def display_names(graph: Graph) -> list[str]:
    """The display name of every node (see the module's docstring)."""
    taken = {n for n in graph.names if n} | set(graph.variables)
    listed = {node: k for k, node in enumerate(graph.outputs, 1)} if len(graph.outputs) > 1 else {}
    out = []
    for i, t in enumerate(expression_texts(graph)):
        if graph.names[i]:
            out.append(graph.names[i])
        elif graph.ops[i] is None:
            out.append(t)
        elif i in listed:  # several outputs (a, b, sin(x)): f1, f2, f3 as the lecture numbers them
            out.append(f"f{listed[i]}" if f"f{listed[i]}" not in taken else f"out{listed[i]}")
        elif i == graph.output:
            out.append("out" if "f" in taken else "f")
        else:
            out.append(t if len(t) <= NAME_MAX else f"n{i}")
    return out


def output_nodes(graph: Graph, names: list[str], field: str = "outputs") -> list[int]:
    """The node of each output named: a named node, a variable, or the program's output by
    its display name (`f`); anything else is an error naming it."""
    shown = display_names(graph)
    index = {name: i for i, name in enumerate(graph.names) if name}
    for i, aliases in graph.aliases.items():
        index.update(dict.fromkeys(aliases, i))
    for node in {graph.output, *graph.outputs}:
        index.setdefault(shown[node], node)
    index.update((v, i) for v, i in zip(graph.variables, graph.var_nodes))
    missing = [n for n in names if n not in index]
    if missing:
        known = ", ".join(sorted(index)) or "none"
        raise ExpressionError(f"'{missing[0]}' names no node of this program (named nodes: {known})",
                              code="unknown_node", text=missing[0], field=field)
    return [index[n] for n in names]


def variable_nodes(graph: Graph, names: Iterable[str], field: str = "wrt") -> list[int]:
    """The node of each variable named; a name that is not a variable is an error naming it."""
    index = dict(zip(graph.variables, graph.var_nodes))
    for name in names:
        if name not in index:
            raise ExpressionError(f"cannot differentiate with respect to '{name}': it is not a "
                                  f"variable of this expression (its variables: "
                                  f"{', '.join(graph.variables) or 'none'})",
                                  code="unknown_variable", text=name, field=field)
    return [index[name] for name in names]
