"""The same computation as PyTorch code, ready to copy: leaf tensors with requires_grad, the
expression (named intermediates as their own lines), and torch.autograd.grad."""

from __future__ import annotations

import keyword
from collections.abc import Mapping, Sequence

from .graph import Graph, format_number
from .values import leaf_values

RESERVED = {"torch", "print", "grads", "f", "out"}


def _py_name(name: str, taken: set[str]) -> str:
    """A Python identifier for a user's name (θ is fine; `lambda` or `torch` are not)."""
    base = name if name.isidentifier() and not keyword.iskeyword(name) and name not in RESERVED \
        else f"{name}_"
    if not base.isidentifier():
        base = "v_" + "".join(ch if ch.isalnum() else "_" for ch in name)
    out, k = base, 2
    while out in taken:
        out, k = f"{base}{k}", k + 1
    taken.add(out)
    return out


def torch_snippet(graph: Graph, point: Mapping[str, float], wrt: Sequence[str] | None = None) -> str:
    """PyTorch code computing the output and d output / d each of `wrt` (default: all variables,
    repeats allowed) at `point`, in float64."""
    env = leaf_values(graph, point)
    wrt = list(graph.variables) if wrt is None else list(wrt)
    taken: set[str] = set()
    var_names = {v: _py_name(v, taken) for v in graph.variables}
    lines = ["import torch", ""]
    for v in graph.variables:
        lines.append(f"{var_names[v]} = torch.tensor({env[v]!r}, dtype=torch.float64, requires_grad=True)")
    # Walk in topological order; a named intermediate becomes its own line, the rest inline.
    text: dict[int, tuple[str, int]] = {}
    for i, op in enumerate(graph.ops):
        if op is None:
            leaf = graph.leaf[i]
            if isinstance(leaf, str):
                text[i] = (var_names[leaf], 100)
            else:
                s = format_number(leaf) + ".0" if float(leaf).is_integer() else repr(float(leaf))
                text[i] = (f"({s})" if s.startswith("-") else s, 100)
            continue
        args = [text[s] for s in graph.inputs[i]]
        if op.symbol is None or not graph.needs_grad[i]:
            # torch functions want tensors, and float-only arithmetic would raise on 1/0.
            args = [(f"torch.tensor({float(graph.leaf[s])!r}, dtype=torch.float64)", 100)
                    if graph.ops[s] is None and not isinstance(graph.leaf[s], str) else a
                    for s, a in zip(graph.inputs[i], args)]
        if op.symbol is None:
            s, prec = op.torch.format(*(a for a, _ in args)), 100
        elif op.arity == 1:
            a, p = args[0]
            s, prec = f"-{a}" if p > op.precedence else f"-({a})", op.precedence
        else:
            (a, pa), (b, pb) = args
            right_assoc = op.name == "pow"
            left = a if (pa > op.precedence or (pa == op.precedence and not right_assoc)) else f"({a})"
            right = b if (pb > op.precedence or (pb == op.precedence and right_assoc)) else f"({b})"
            s, prec = op.torch.format(left, right), op.precedence
        name = graph.names[i]
        if name and i != graph.output:
            py = _py_name(name, taken)
            lines.append(f"{py} = {s}")
            s, prec = py, 100
        text[i] = (s, prec)
    lines.append(f"f = {text[graph.output][0]}")
    targets = ", ".join(var_names[v] for v in wrt)
    lines += [
        "",
        f"grads = torch.autograd.grad(f, ({targets}{',' if len(wrt) == 1 else ''}))",
        "print(f.item())",
        "print([g.item() for g in grads])",
    ]
    return "\n".join(lines) + "\n"
