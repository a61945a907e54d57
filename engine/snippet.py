"""The same computation as PyTorch code, ready to copy, as the lecture writes it: leaf tensors
(float64; requires_grad on those differentiated by), the expression (named intermediates as their
own lines), torch.autograd.grad for the inputs asked for, and torch.autograd.backward filling
every leaf's .grad. Arrays are tensors; a non-scalar output is seeded with ones, as ours."""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .graph import Graph
from .names import format_number
from .values import leaf_values

RESERVED = {"torch", "print", "grads", "f", "out", "H", "point"}


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


def torch_snippet(graph: Graph, point: Mapping[str, object], wrt: Sequence[str] | None = None,
                  requires_grad: Sequence[str] | None = None) -> str:
    """PyTorch code computing the output and d output / d each of `wrt` (default: the variables
    that require a gradient, repeats allowed) at `point`, in float64. `requires_grad`: the
    variables differentiated by (default all); the others are data."""
    env = leaf_values(graph, point)
    needs = list(graph.variables) if requires_grad is None else [v for v in graph.variables
                                                                 if v in set(requires_grad)]
    wrt = list(needs) if wrt is None else list(wrt)
    taken: set[str] = set()
    var_names = {v: _py_name(v, taken) for v in graph.variables}
    lines = ["import torch", ""]
    for v in graph.variables:
        value = env[v].tolist() if hasattr(env[v], "tolist") else env[v]
        flag = ", requires_grad=True" if v in needs or v in wrt else ""
        lines.append(f"{var_names[v]} = torch.tensor({value!r}, dtype=torch.float64{flag})")
    body, text = _expression_lines(graph, var_names, taken)
    lines += body
    lines.append(f"f = {text[graph.output]}")
    if not wrt:
        return "\n".join([*lines, "print(f.tolist())"]) + "\n"
    targets = ", ".join(var_names[v] for v in wrt)
    seed = ", grad_outputs=torch.ones_like(f)" if _output_shape(graph, env) else ""
    lines += [
        "",
        "# every leaf that requires a gradient gets .grad (the graph is kept for the next call)",
        f"torch.autograd.backward(f{', torch.ones_like(f)' if seed else ''}, retain_graph=True)",
        "# the inputs asked for, in order (repeats allowed)",
        f"grads = torch.autograd.grad(f, ({targets}{',' if len(wrt) == 1 else ''}){seed})",
        "print(f.tolist())",
        "print([g.tolist() for g in grads])",
        f"print({{{', '.join(f'{v!r}: {var_names[v]}.grad.tolist()' for v in needs)}}})",
    ]
    return "\n".join(lines) + "\n"


def _expression_lines(graph: Graph, var_names: Mapping[str, str],
                      taken: set[str]) -> tuple[list[str], dict[int, str]]:
    """The expression in PyTorch: a line per named intermediate, and each node's text (a named
    intermediate's is its name)."""
    lines: list[str] = []
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
        args = [(format_number(float(graph.leaf[s])), 100) if k in op.static else a  # an axis: int
                for k, (s, a) in enumerate(zip(graph.inputs[i], args))]
        if op.symbol is None or not graph.needs_grad[i]:
            # torch functions want tensors, and float-only arithmetic would raise on 1/0.
            args = [(f"torch.tensor({float(graph.leaf[s])!r}, dtype=torch.float64)", 100)
                    if graph.ops[s] is None and not isinstance(graph.leaf[s], str)
                    and k not in op.static else a
                    for k, (s, a) in enumerate(zip(graph.inputs[i], args))]
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
    return lines, {i: t for i, (t, _) in text.items()}


def _function_of(graph: Graph, point: Mapping[str, object], inputs: Sequence[str],
                 returns: Callable[[dict[int, str]], str]) -> tuple[list[str], str]:
    """The lines that define `f(*inputs)` (the other variables fixed at their values, returning
    `returns(each node's text)`) and `point`, the inputs' values as a tuple of tensors; and the
    inputs as Python names, comma-separated."""
    env = leaf_values(graph, point)
    taken: set[str] = set()
    var_names = {v: _py_name(v, taken) for v in graph.variables}
    body, text = _expression_lines(graph, var_names, taken)
    lines = ["import torch", ""]
    lines += [f"{var_names[v]} = torch.tensor({env[v]!r}, dtype=torch.float64)"
              for v in graph.variables if v not in inputs]
    lines += ["", f"def f({', '.join(var_names[v] for v in inputs)}):", *(f"    {line}" for line in body),
              f"    return {returns(text)}", ""]
    tensors = ", ".join(f"torch.tensor({env[v]!r}, dtype=torch.float64)" for v in inputs)
    lines.append(f"point = ({tensors}{',' if len(inputs) == 1 else ''})")
    return lines, ", ".join(var_names[v] for v in inputs)


def torch_hessian_snippet(graph: Graph, point: Mapping[str, object],
                          variables: Sequence[str] | None = None) -> str:
    """PyTorch code for the Hessian over `variables` (default all) at `point`, two ways:
    torch.autograd.functional.hessian, and double backward (create_graph=True keeps the backward
    pass as a graph, which is then differentiated: chainrule's derivative_of graph)."""
    names = list(graph.variables) if variables is None else list(variables)
    lines, args = _function_of(graph, point, names, lambda text: text[graph.output])
    tup = args + ("," if len(names) == 1 else "")
    lines += [
        "H = torch.autograd.functional.hessian(f, point)",
        "print([[h.item() for h in row] for row in H])",
        "# the same by double backward: the backward pass kept as a graph, then differentiated",
        f"{tup} = (t.clone().requires_grad_() for t in point)",
        f"grads = torch.autograd.grad(f({args}), ({tup}), create_graph=True)",
        "# (a constant derivative has no graph left to differentiate: its row is zeros)",
        f"print([[h.item() for h in (torch.autograd.grad(g, ({tup}), materialize_grads=True) "
        f"if g.requires_grad else [torch.zeros(())] * {len(names)})] for g in grads])",
    ]
    return "\n".join(lines) + "\n"


def torch_jacobian_snippet(graph: Graph, point: Mapping[str, object], outputs: Sequence[int],
                           inputs: Sequence[str]) -> str:
    """PyTorch code for ∂outputs/∂inputs (output nodes, input variables) at `point` with
    torch.autograd.functional.jacobian, in both of its modes: vectorize over reverse passes (a
    row per output) and forward-mode AD (a column per input)."""
    lines, _ = _function_of(graph, point, inputs, lambda text: "({}{})".format(
        ", ".join(text[node] for node in outputs), "," if len(outputs) == 1 else ""))
    lines += [
        "# reverse mode, a row per output; then forward mode, a column per input",
        "for mode in ('reverse-mode', 'forward-mode'):",
        "    J = torch.autograd.functional.jacobian(f, point, strategy=mode,",
        "                                           vectorize=mode == 'forward-mode')",
        "    print([[d.item() for d in row] for row in J])",
    ]
    return "\n".join(lines) + "\n"


def _output_shape(graph: Graph, env: Mapping[str, object]) -> tuple:
    """The output's shape, without computing it: shapes known from the values alone would need
    a pass, so ask the forward pass (cheap next to writing code a person reads)."""
    from .passes import forward

    return np.shape(forward(graph, env).values[graph.output])
