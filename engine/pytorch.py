"""The gradient by PyTorch's own autograd, when PyTorch is installed (it is optional): the graph
is run node by node on float64 tensors, each op as the op table spells it for PyTorch
(`torch.sigmoid`, `torch.maximum`, ...; arithmetic by the op's own forward rule on tensors), then
`torch.autograd.grad`. Nothing is generated as code or evaluated from text: a spelling is only
looked up as an attribute path of the torch module.
"""

from __future__ import annotations

import importlib.util
import re
import types
from collections.abc import Callable, Mapping

from .graph import Graph
from .ops import Op
from .values import leaf_values

_CALL = re.compile(r"((?:torch|nn|functional)(?:\.\w+)+)\(\{0\}(?:, \{1\})?\)")


def available() -> bool:
    return importlib.util.find_spec("torch") is not None


def _namespace(torch) -> types.ModuleType:
    """numpy's names, as the op table's rules call them, for tensors."""
    def tensor(a):
        return a if isinstance(a, torch.Tensor) else torch.tensor(float(a), dtype=torch.float64)
    ns = types.ModuleType("torch-xp")
    for np_name, torch_name in (("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"),
                                ("power", "pow"), ("maximum", "maximum"), ("minimum", "minimum")):
        fn = getattr(torch, torch_name)
        setattr(ns, np_name, lambda *a, fn=fn: fn(*(tensor(x) for x in a)))
    for name in ("sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "log", "log2", "log10",
                 "log1p", "sqrt", "abs", "sign", "erf"):
        fn = getattr(torch, name)
        setattr(ns, name, lambda a, fn=fn: fn(tensor(a)))
    return ns


def _spelled(torch, op: Op) -> Callable | None:
    """PyTorch's own function for `op`, from its spelling in the op table (`torch.sigmoid({0})`)."""
    m = _CALL.fullmatch(op.torch)
    if m is None:
        return None
    obj: object = torch
    for part in m.group(1).split(".")[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj  # type: ignore[return-value]


def torch_gradient(graph: Graph, point: Mapping[str, object]) -> dict[str, float] | None:
    """d output / d each variable by PyTorch's autograd; None when PyTorch is not installed.
    Scalar graphs (the comparison table's)."""
    if not available():
        return None
    import torch

    ns = _namespace(torch)
    env = leaf_values(graph, point)
    leaves = {v: torch.tensor(float(env[v]), dtype=torch.float64, requires_grad=True)  # type: ignore[arg-type]
              for v in graph.variables}
    vals: list = []
    for op, args, leaf in zip(graph.ops, graph.inputs, graph.leaf):
        if op is None:
            vals.append(leaves[leaf] if isinstance(leaf, str) else torch.tensor(leaf, dtype=torch.float64))
            continue
        xs = [vals[s] for s in args]
        own = _spelled(torch, op)
        vals.append(own(*xs) if own is not None else op.forward(ns, *xs))
    out = vals[graph.output]
    if not graph.variables:
        return {}
    grads = torch.autograd.grad(out, [leaves[v] for v in graph.variables], allow_unused=True,
                                materialize_grads=True) if out.requires_grad else [
        torch.zeros((), dtype=torch.float64)] * len(graph.variables)
    return {v: float(g) for v, g in zip(graph.variables, grads)}
